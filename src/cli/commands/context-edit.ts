// `context create|update|show` and what the context commands share: the
// store's directory, the default context (-H/DOCKER_HOST's host, kept nowhere
// on disk) and a context by name. create takes the endpoint from --docker,
// from another context (--from) or, given neither, from the current one, as
// the docker CLI does.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, type Cli } from '../cli';
import { DEFAULT_CONTEXT, dockerConfigDir, readContext, writeContext, type DockerContext, type TlsFiles } from '../contexts';
import { contextName, DEFAULT_HOST } from '../endpoint';
import { goPathError } from './containers-units';

export const configDir = (cli: Cli): string => dockerConfigDir(cli.configFlag);

export function defaultContext(): DockerContext {
  const host = process.env['TSDOCKER_HOST'] || process.env['DOCKER_HOST'] || DEFAULT_HOST;
  return { name: DEFAULT_CONTEXT, description: 'Current DOCKER_HOST based configuration', host, skipTlsVerify: false, tls: {} };
}

export function lookup(cli: Cli, name: string): DockerContext {
  return name === DEFAULT_CONTEXT ? defaultContext() : readContext(configDir(cli), name);
}

type Endpoint = Omit<DockerContext, 'name' | 'description' | 'tls'> & { pem: TlsFiles };

/** The contents of TLS files (a context's own, or --docker's ca=, cert=, key=). */
function readPem(files: TlsFiles): TlsFiles {
  const pem: TlsFiles = {};
  for (const [kind, path] of Object.entries(files) as [keyof TlsFiles, string][]) {
    try {
      pem[kind] = readFileSync(path, 'utf8');
    } catch (err) {
      throw new CliError(`unable to create docker endpoint config: ${goPathError(err)}`);
    }
  }
  return pem;
}

/** Parses --docker "host=…,ca=…,cert=…,key=…,skip-tls-verify=…". */
function parseDockerEndpoint(value: string): Endpoint {
  const fields = new Map<string, string>();
  for (const part of value.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new CliError(`invalid docker endpoint option "${part}": expected key=value`);
    const key = part.slice(0, eq);
    if (!['host', 'ca', 'cert', 'key', 'skip-tls-verify'].includes(key)) throw new CliError(`unrecognized config key: ${key}`);
    fields.set(key, part.slice(eq + 1));
  }
  const files: TlsFiles = {};
  for (const kind of ['ca', 'cert', 'key'] as const) {
    const path = fields.get(kind);
    if (path) files[kind] = path;
  }
  return { host: fields.get('host') || defaultContext().host, skipTlsVerify: fields.get('skip-tls-verify') === 'true', pem: readPem(files) };
}

/** A stored context's endpoint, its TLS files' contents with it. */
function endpointOf(context: DockerContext): Endpoint {
  return { host: context.host, skipTlsVerify: context.skipTlsVerify, pem: readPem(context.tls) };
}

interface EditOptions { docker?: string; description?: string; from?: string }

function create(cli: Cli, name: string, o: EditOptions): void {
  if (o.from !== undefined && o.docker !== undefined) throw new CliError('cannot use --docker flag when --from is set');
  const endpoint = o.docker !== undefined ? parseDockerEndpoint(o.docker) : endpointOf(lookup(cli, o.from ?? contextName(cli.flags, configDir(cli)) ?? DEFAULT_CONTEXT));
  writeContext(configDir(cli), { name, description: o.description ?? '', host: endpoint.host, skipTlsVerify: endpoint.skipTlsVerify }, endpoint.pem);
  cli.out(`${name}\n`);
  cli.err(`Successfully created context "${name}"\n`);
}

function update(cli: Cli, name: string, o: EditOptions): void {
  const old = readContext(configDir(cli), name);
  const endpoint = o.docker !== undefined ? parseDockerEndpoint(o.docker) : endpointOf(old);
  writeContext(configDir(cli), { name, description: o.description || old.description, host: endpoint.host, skipTlsVerify: endpoint.skipTlsVerify }, endpoint.pem, true);
  cli.out(`${name}\n`);
  cli.err(`Successfully updated context "${name}"\n`);
}

/** docker's Long text of create and update (the endpoint's keys and an example). */
function longText(program: string, verb: 'create' | 'update'): string {
  const keys = [
    ['from', "Copy named context's Docker endpoint configuration"],
    ['host', 'Docker endpoint on which to connect'],
    ['ca', 'Trust certs signed only by this CA'],
    ['cert', 'Path to TLS certificate file'],
    ['key', 'Path to TLS key file'],
    ['skip-tls-verify', 'Skip TLS certificate validation'],
  ].map(([k, d]) => `${k!.padEnd(20)}${d}`);
  const example = `$ ${program} context ${verb} my-context --description "some description" --docker "host=tcp://myserver:2376,ca=~/ca-file,cert=~/cert-file,key=~/key-file"`;
  return [`${verb === 'create' ? 'Create' : 'Update'} a context`, '', 'Docker endpoint config:', '', `${'NAME'.padEnd(20)}DESCRIPTION`, ...keys, '', 'Example:', '', example].join('\n');
}

export function registerContextEdits(context: Command, cli: Cli): void {
  const program = context.parent?.name() ?? 'docker';
  const edit = (verb: 'create' | 'update') => {
    const cmd = context
      .command(verb)
      .usage('[OPTIONS] CONTEXT')
      .argument('<CONTEXT>')
      .summary(`${verb === 'create' ? 'Create' : 'Update'} a context`)
      .description(longText(program, verb))
      .option('--description <string>', 'Description of the context')
      .option('--docker <stringToString>', 'set the docker endpoint (default [])');
    return verb === 'create' ? cmd.option('--from <string>', 'create context from a named context') : cmd;
  };
  edit('create').action((name: string, o: EditOptions) => create(cli, name, o));
  edit('update').action((name: string, o: EditOptions) => update(cli, name, o));
  context
    .command('show')
    .description('Print the name of the current context')
    .action(() => cli.out(`${contextName(cli.flags, configDir(cli)) ?? DEFAULT_CONTEXT}\n`));
}
