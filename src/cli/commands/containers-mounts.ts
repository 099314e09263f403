// `--mount` (docker/cli opts.MountOpt) and `-p`/`--expose` (go-connections
// nat.ParsePortSpecs), with docker's error messages. Objects are built in the
// Go structs' field order, empty fields left out as `omitempty` does.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ramInBytes, sortedMap, splitKV } from './containers-units';

export interface Mount {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; Subpath?: string; DriverConfig?: { Name: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** Splits one CSV record as Go's encoding/csv does (quotes, doubled quotes). */
function csvFields(value: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '"' && value[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

const parseBool = (key: string, v: string): boolean => {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
};

/** What a --mount value's fields said so far, before the Mount is assembled. */
interface MountFields {
  type: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  consistency?: string;
  bind?: NonNullable<Mount['BindOptions']>;
  volume?: NonNullable<Mount['VolumeOptions']>;
  tmpfs?: NonNullable<Mount['TmpfsOptions']>;
}

/** A field without `=`: an option that is switched on. */
function applySwitch(m: MountFields, key: string, field: string): void {
  if (key === 'readonly' || key === 'ro') m.readOnly = true;
  else if (key === 'volume-nocopy') (m.volume ??= {}).NoCopy = true;
  else if (key === 'bind-nonrecursive') (m.bind ??= {}).NonRecursive = true;
  else throw new Error(`invalid field '${field}' must be a key=value pair`);
}

/** bind-recursive=enabled|disabled|writable|readonly. */
function applyBindRecursive(bind: NonNullable<Mount['BindOptions']>, key: string, val: string): void {
  if (val === 'disabled') bind.NonRecursive = true;
  else if (val === 'writable') bind.ReadOnlyNonRecursive = true;
  else if (val === 'readonly') bind.ReadOnlyForceRecursive = true;
  else if (val !== 'enabled') throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
}

/** One `key=value` field. */
function applyField(m: MountFields, key: string, val: string, field: string): void {
  const bindOpts = () => (m.bind ??= {});
  const volumeOpts = () => (m.volume ??= {});
  const tmpfsOpts = () => (m.tmpfs ??= {});
  const driver = () => (volumeOpts().DriverConfig ??= { Name: '' });
  switch (key) {
    case 'type': m.type = val.toLowerCase(); break;
    case 'source': case 'src': m.source = val === '.' || val.startsWith('./') ? resolve(val) : val; break;
    case 'target': case 'dst': case 'destination': m.target = val; break;
    case 'readonly': case 'ro': m.readOnly = parseBool(key, val); break;
    case 'consistency': m.consistency = val.toLowerCase(); break;
    case 'bind-propagation': bindOpts().Propagation = val.toLowerCase(); break;
    case 'bind-nonrecursive': bindOpts().NonRecursive = parseBool(key, val); break;
    case 'bind-recursive': applyBindRecursive(bindOpts(), key, val); break;
    case 'volume-subpath': volumeOpts().Subpath = val; break;
    case 'volume-nocopy': volumeOpts().NoCopy = parseBool(key, val); break;
    case 'volume-label': {
      const [k, v] = splitKV(val);
      (volumeOpts().Labels ??= {})[k] = v;
      break;
    }
    case 'volume-driver': driver().Name = val; break;
    case 'volume-opt': {
      const [k, v] = splitKV(val);
      (driver().Options ??= {})[k] = v;
      break;
    }
    case 'tmpfs-size':
      try {
        tmpfsOpts().SizeBytes = ramInBytes(val);
      } catch {
        throw new Error(`invalid value for ${key}: ${val}`);
      }
      break;
    case 'tmpfs-mode':
      if (!/^[0-7]+$/.test(val)) throw new Error(`invalid value for ${key}: ${val}`);
      tmpfsOpts().Mode = parseInt(val, 8);
      break;
    default:
      throw new Error(`unexpected key '${key}' in '${field}'`);
  }
}

/** The Mount the fields describe, once they are known to agree with its type. */
function assembleMount(m: MountFields): Mount {
  const { type, bind, volume, tmpfs } = m;
  if (type === '') throw new Error('type is required');
  if (!m.target) throw new Error('target is required');
  if (volume && type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${type}'`);
  if (bind && type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${type}'`);
  if (tmpfs && type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${type}'`);
  const mount: Mount = { Type: type };
  if (m.source) mount.Source = m.source;
  mount.Target = m.target;
  if (m.readOnly) mount.ReadOnly = true;
  if (m.consistency) mount.Consistency = m.consistency;
  if (bind) mount.BindOptions = bind;
  if (volume) {
    const { NoCopy, Labels, Subpath, DriverConfig } = volume;
    mount.VolumeOptions = {
      ...(NoCopy ? { NoCopy } : {}),
      ...(Labels ? { Labels: sortedMap(Object.entries(Labels)) } : {}),
      ...(Subpath ? { Subpath } : {}),
      ...(DriverConfig ? { DriverConfig: { Name: DriverConfig.Name, ...(DriverConfig.Options ? { Options: sortedMap(Object.entries(DriverConfig.Options)) } : {}) } } : {}),
    };
  }
  if (tmpfs) mount.TmpfsOptions = tmpfs;
  return mount;
}

/** One `--mount type=…,source=…,target=…,…` value. */
export function parseMount(value: string): Mount {
  const fields: MountFields = { type: 'volume', readOnly: false };
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) applySwitch(fields, key, field);
    else applyField(fields, key, field.slice(eq + 1), field);
  }
  return assembleMount(fields);
}

type PortBinding = { HostIp: string; HostPort: string };

/** nat.ParsePortRange, with Go's strconv errors. */
function portRange(s: string): [number, number] {
  if (s === '') throw new Error('empty string specified for ports');
  const uint16 = (v: string) => {
    if (!/^\d+$/.test(v)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
    if (Number(v) > 65535) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(v)}: value out of range`);
    return Number(v);
  };
  const [first, second] = s.split('-');
  const start = uint16(first!);
  const end = second === undefined ? start : uint16(second);
  if (end < start) throw new Error(`invalid range specified for port: ${s}`);
  return [start, end];
}

function splitProto(s: string): [string, string] {
  const slash = s.indexOf('/');
  if (slash < 0) return [s, 'tcp'];
  return [s.slice(0, slash), s.slice(slash + 1) || 'tcp'];
}

/** `--publish` (and the long `published=…,target=…` form) and `--expose` as ExposedPorts and PortBindings. */
export function parsePorts(publish: string[], expose: string[]): { exposed: Record<string, Record<string, never>>; bindings: Record<string, PortBinding[]> } {
  const exposed = new Map<string, Record<string, never>>();
  const bindings = new Map<string, PortBinding[]>();
  for (const raw of publish) {
    let spec = raw;
    if (raw.includes('=')) {
      const params: Record<string, string> = { protocol: 'tcp' };
      for (const p of raw.split(',')) {
        const [k, v] = splitKV(p);
        if (!p.includes('=')) throw new Error(`invalid publish opts format (should be name=value but got '${p}')`);
        params[k] = v;
      }
      spec = `${params['published'] ?? ''}:${params['target'] ?? ''}/${params['protocol']}`;
    }
    const parts = spec.split(':');
    const last = parts[parts.length - 1]!;
    const hostPort = parts.length >= 2 ? parts[parts.length - 2]! : '';
    let ip = parts.length >= 3 ? parts.slice(0, parts.length - 2).join(':') : '';
    const [containerPort, proto] = splitProto(last);
    if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (ip !== '' && isIP(ip) === 0) throw new Error(`invalid IP address: ${ip}`);
    if (containerPort === '') throw new Error(`no port specified: ${spec}<empty>`);
    let start: number, end: number;
    try {
      [start, end] = portRange(containerPort);
    } catch {
      throw new Error(`invalid containerPort: ${containerPort}`);
    }
    let hostStart = 0, hostEnd = 0;
    if (hostPort !== '') {
      try {
        [hostStart, hostEnd] = portRange(hostPort);
      } catch {
        throw new Error(`invalid hostPort: ${hostPort}`);
      }
      if (end - start !== hostEnd - hostStart && end !== start) {
        throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
      }
    }
    if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new Error(`invalid proto: ${proto}`);
    for (let i = 0; i <= end - start; i++) {
      let host = hostPort === '' ? '' : String(hostStart + i);
      if (start === end && hostStart !== hostEnd) host = `${host}-${hostEnd}`;
      const key = `${start + i}/${proto.toLowerCase()}`;
      exposed.set(key, {});
      bindings.set(key, [...(bindings.get(key) ?? []), { HostIp: ip, HostPort: host }]);
    }
  }
  for (const e of expose) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const [port, proto] = splitProto(e);
    let start: number, end: number;
    try {
      [start, end] = portRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let p = start; p <= end; p++) exposed.set(`${p}/${proto}`, {});
  }
  return { exposed: sortedMap(exposed), bindings: sortedMap(bindings) };
}
