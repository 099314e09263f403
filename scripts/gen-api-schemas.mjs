// Generates src/daemon/schemas/engine-api.ts from the Engine API's own spec
// (/work/shared/spec/docker-engine-api.yaml, or the path given): the request
// bodies and integer query parameters of the routes tsdockerd serves, as JSON
// schemas for Fastify. The output is checked in, so the daemon never parses
// YAML (the spec takes ~0.5 s to parse).
//
// The spec describes what dockerd answers; what it accepts is what Go's
// encoding/json decodes. So the schemas keep only the JSON types (each also
// allowing null, which Go decodes as the zero value), drop what dockerd
// checks later or never (enum, minimum, pattern, required …), bound integers
// by their Go type, and name each node's Go type (`x-go`) and each struct
// (`x-go-struct`) for Go's error messages, mark pointer fields (`x-go-pointer`), and mark list items and map values
// (`x-go-elem`, their JSON type), where a null decodes as the zero value.
//
//   node scripts/gen-api-schemas.mjs [spec.yaml]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const specPath = process.argv[2] ?? '/work/shared/spec/docker-engine-api.yaml';
const spec = parse(readFileSync(specPath, 'utf8'));

/** The request bodies served: [method, path, schema name, Go struct, Go type of the whole body]. */
const BODIES = [
  ['post', '/containers/create', 'ContainerCreateRequest', 'ContainerConfigWrapper', 'runconfig.ContainerConfigWrapper'],
  ['post', '/containers/{id}/update', 'ContainerUpdateRequest', 'UpdateConfig', 'container.UpdateConfig'],
  ['post', '/commit', 'ContainerCommitRequest', 'ContainerConfigWrapper', 'runconfig.ContainerConfigWrapper'],
  ['post', '/containers/{id}/exec', 'ExecConfig', 'ExecConfig', 'types.ExecConfig'],
  ['post', '/exec/{id}/start', 'ExecStartConfig', 'ExecStartCheck', 'types.ExecStartCheck'],
];

/** Go types the spec's `format` does not give (moby's api/types), by "Definition.Property". */
const GO_TYPES = {
  'ContainerConfig.Cmd': 'strslice', 'ContainerConfig.Entrypoint': 'strslice', 'ContainerConfig.Shell': 'strslice',
  'ContainerConfig.ExposedPorts{}': 'struct {}', 'ContainerConfig.Volumes{}': 'struct {}',
  'ContainerConfig.StopTimeout': 'int', 'HealthConfig.Retries': 'int',
  'HealthConfig.Interval': 'time.Duration', 'HealthConfig.Timeout': 'time.Duration',
  'HealthConfig.StartPeriod': 'time.Duration', 'HealthConfig.StartInterval': 'time.Duration',
  'Resources.CpuShares': 'int64', 'Resources.BlkioWeight': 'uint16', 'Resources.BlkioWeightDevice[].Weight': 'uint16',
  'Resources.Ulimits[].Soft': 'int64', 'Resources.Ulimits[].Hard': 'int64',
  'Resources.IOMaximumIOps': 'uint64', 'Resources.IOMaximumBandwidth': 'uint64',
  'ThrottleDevice.Rate': 'uint64', 'DeviceRequest.Count': 'int',
  'HostConfig.OomScoreAdj': 'int', 'HostConfig.ConsoleSize': '[2]uint', 'HostConfig.PortBindings': 'nat.PortMap',
  'HostConfig.NetworkMode': 'container.NetworkMode', 'HostConfig.IpcMode': 'container.IpcMode',
  'HostConfig.PidMode': 'container.PidMode', 'HostConfig.UTSMode': 'container.UTSMode',
  'HostConfig.UsernsMode': 'container.UsernsMode', 'HostConfig.CgroupnsMode': 'container.CgroupnsMode',
  'HostConfig.Cgroup': 'container.CgroupSpec', 'HostConfig.Isolation': 'container.Isolation',
  'PortMap{}': '[]nat.PortBinding', 'RestartPolicy.MaximumRetryCount': 'int', 'RestartPolicy.Name': 'container.RestartPolicyMode',
  'Mount.Type': 'mount.Type', 'Mount.Consistency': 'mount.Consistency', 'Mount.BindOptions.Propagation': 'mount.Propagation',
  'Mount.TmpfsOptions.Mode': 'os.FileMode', 'EndpointSettings.IPPrefixLen': 'int', 'EndpointSettings.GwPriority': 'int',
  'EndpointSettings.GlobalIPv6PrefixLen': 'int', 'ExecConfig.ConsoleSize': '[2]uint', 'ExecStartConfig.ConsoleSize': '[2]uint',
};

/** Scalar fields that are pointers in Go (*int64, *bool): a null stays null (nil), not the zero value (the spec lists HostConfig's Init with Resources). */
const GO_POINTERS = new Set([
  'ContainerConfig.StopTimeout', 'Resources.Init', 'Resources.MemorySwappiness', 'Resources.OomKillDisable', 'Resources.PidsLimit',
]);

/** Go struct names of definitions and inline objects, where they differ from the definition's name. */
const GO_STRUCTS = {
  PortMap: 'nat.PortMap', PortBinding: 'nat.PortBinding', Mount: 'mount.Mount', DeviceMapping: 'container.DeviceMapping',
  ThrottleDevice: 'blkiodev.ThrottleDevice', 'Resources.BlkioWeightDevice[]': 'blkiodev.WeightDevice',
  'Resources.Ulimits[]': 'units.Ulimit', 'HostConfig.LogConfig': 'container.LogConfig',
  'Mount.BindOptions': 'mount.BindOptions', 'Mount.VolumeOptions': 'mount.VolumeOptions',
  'Mount.VolumeOptions.DriverConfig': 'mount.Driver', 'Mount.TmpfsOptions': 'mount.TmpfsOptions', 'Mount.ImageOptions': 'mount.ImageOptions',
  EndpointSettings: 'network.EndpointSettings', EndpointIPAMConfig: 'network.EndpointIPAMConfig', NetworkingConfig: 'network.NetworkingConfig',
};

/** Integer bounds of Go's integer types (int64's ends are not exact doubles: Go refuses beyond them). */
const RANGES = {
  int: [-(2 ** 63), 2 ** 63], int64: [-(2 ** 63), 2 ** 63], 'time.Duration': [-(2 ** 63), 2 ** 63], int32: [-(2 ** 31), 2 ** 31 - 1],
  uint64: [0, 2 ** 64], uint32: [0, 2 ** 32 - 1], 'os.FileMode': [0, 2 ** 32 - 1], uint16: [0, 65535], uint8: [0, 255], uint: [0, 2 ** 64],
};

const definitions = {};
const used = new Set();

function refName(ref) {
  return ref.replace('#/definitions/', '');
}

/** Go's type name for a node of JSON type `type` at `where` ("Definition.Property"). */
function goType(node, where) {
  if (GO_TYPES[where]) return GO_TYPES[where];
  if (node.$ref) return GO_STRUCTS[refName(node.$ref)] ?? `container.${refName(node.$ref)}`;
  switch (node.type) {
    case 'integer': return node.format && node.format !== 'int' ? node.format : 'int';
    case 'number': return 'float64';
    case 'boolean': return 'bool';
    case 'string': return 'string';
    case 'array': return `[]${goType(node.items ?? {}, `${where}[]`)}`;
    case 'object':
      if (node.properties) return GO_STRUCTS[where] ?? `container.${where.split('.').pop()}`;
      if (typeof node.additionalProperties === 'object') return `map[string]${goType(node.additionalProperties, `${where}{}`)}`;
      return 'map[string]interface {}';
    default: return 'interface {}';
  }
}

/** The schema Fastify validates with, for one spec node at `where`. */
function convert(node, where) {
  if (node.$ref) {
    const name = refName(node.$ref);
    if (!used.has(name)) {
      used.add(name);
      definitions[name] = convertDefinition(spec.definitions[name], name);
    }
    return GO_TYPES[where] ? { $ref: `docker#/definitions/${name}`, 'x-go': GO_TYPES[where] } : { $ref: `docker#/definitions/${name}` };
  }
  if (node.allOf) {
    const parts = { allOf: node.allOf.map((part) => convert(part, where)) };
    return GO_TYPES[where] ? { ...parts, 'x-go': GO_TYPES[where] } : parts;
  }
  const out = {};
  const go = goType(node, where);
  if (go === 'strslice') {
    // strslice.StrSlice: a string or a list of strings.
    return { type: ['array', 'string', 'null'], items: { type: ['string', 'null'], 'x-go-elem': 'string' }, 'x-go': 'string', 'x-go-strslice': true };
  }
  if (node.type) out.type = [node.type, 'null'];
  if (node.type === 'integer') {
    const [min, max] = RANGES[go] ?? RANGES.int64;
    out.minimum = min;
    out.maximum = max;
  }
  if (node.properties) {
    out.properties = {};
    for (const [key, value] of Object.entries(node.properties)) out.properties[key] = convert(value, `${where}.${key}`);
    out['x-go-struct'] = (GO_STRUCTS[where] ?? where).split('.').pop();
  }
  if (node.items) out.items = element(node.items, `${where}[]`);
  if (typeof node.additionalProperties === 'object') out.additionalProperties = element(node.additionalProperties, `${where}{}`);
  out['x-go'] = go;
  if (GO_POINTERS.has(where)) out['x-go-pointer'] = true;
  return out;
}

/** A list item or map value: Go decodes a null there as the zero value of its type. */
function element(node, where) {
  return { ...convert(node, where), 'x-go-elem': node.$ref ? 'object' : (node.type ?? 'object') };
}

function convertDefinition(node, name) {
  if (node.allOf) {
    return { allOf: node.allOf.map((part) => convert(part, name)), 'x-go': GO_STRUCTS[name] ?? `container.${name}`, 'x-go-struct': name };
  }
  const out = convert(node, name);
  if (GO_STRUCTS[name]) out['x-go'] = GO_STRUCTS[name];
  return out;
}

function bodyOf(method, path) {
  const op = spec.paths[path]?.[method];
  const body = op?.parameters?.find((p) => p.in === 'body');
  if (!body) throw new Error(`${method} ${path}: no body in the spec`);
  return body.schema;
}

for (const [method, path, name, struct, go] of BODIES) {
  const converted = convert(bodyOf(method, path), name);
  definitions[name] = { allOf: [converted], type: ['object', 'null'], 'x-go': go, 'x-go-struct': struct };
}

/** Integer query parameters of every operation: dockerd parses them with strconv.Atoi (not the log
 * times, which are timestamps the spec calls integers). */
const queries = {};
for (const [path, ops] of Object.entries(spec.paths)) {
  for (const [method, op] of Object.entries(ops)) {
    const ints = (op.parameters ?? []).filter((p) => p.in === 'query' && p.type === 'integer' && p.name !== 'since' && p.name !== 'until').map((p) => p.name);
    if (ints.length > 0) queries[`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`] = ints;
  }
}

const header = `// Generated by scripts/gen-api-schemas.mjs from the Engine API spec ${spec.info.version}: do not edit.
import type { EngineApiSchemas } from './types';

export const engineApi: EngineApiSchemas = `;
// One definition (and one operation's query) per line: diffs stay readable, the file short.
const lines = (record) => Object.entries(record).map(([key, value]) => `    ${JSON.stringify(key)}: ${JSON.stringify(value)},`).join('\n');
const body = `{\n  $id: 'docker',\n  definitions: {\n${lines(definitions)}\n  },\n  queries: {\n${lines(queries)}\n  },\n}`;
writeFileSync(join(root, 'src/daemon/schemas/engine-api.ts'), `${header}${body};\n`);
console.log(`wrote src/daemon/schemas/engine-api.ts: ${Object.keys(definitions).length} definitions, ${Object.keys(queries).length} queries`);
