// `context ls|use|inspect|create|rm|export|import`: the docker CLI's contexts, in its own store
// (contexts.ts), so a context made or chosen by either CLI serves the other.
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import type { Command } from 'commander';
import { CliError, type Cli } from '../cli';
import { checkContextName, contextPaths, currentContext, DEFAULT_CONTEXT, listContexts, readContext, removeContext, useContext, writeContext, type TlsFiles } from '../contexts';
import { contextName } from '../endpoint';
import { printInspect, renderList } from '../format';
import { configDir, defaultContext, lookup, registerContextEdits } from './context-edit';
import { goPathError } from './containers-units';

interface ContextRow {
  Name: string;
  Description: string;
  DockerEndpoint: string;
  Current: boolean;
  Error: string;
}

function ls(cli: Cli, o: { format?: string; quiet?: boolean }): void {
  listContextsOut(cli, o);
  // After the list, as docker: a host in the environment wins over any context.
  const variable = process.env['DOCKER_HOST'] ? 'DOCKER_HOST' : process.env['TSDOCKER_HOST'] ? 'TSDOCKER_HOST' : undefined;
  if (variable) cli.err(`Warning: ${variable} environment variable overrides the active context. To use a context, either set the global --context flag, or unset ${variable} environment variable.\n`);
}

function listContextsOut(cli: Cli, o: { format?: string; quiet?: boolean }): void {
  const dir = configDir(cli);
  const current = contextName(cli.flags, dir) ?? DEFAULT_CONTEXT;
  const contexts = [defaultContext(), ...listContexts(dir)];
  if (o.quiet) {
    cli.out(contexts.map((c) => `${c.name}\n`).join(''));
    return;
  }
  const rows: ContextRow[] = contexts.map((c) => ({ Name: c.name, Description: c.description, DockerEndpoint: c.host, Current: c.name === current, Error: '' }));
  cli.out(
    renderList(o.format, {
      defaultTable: 'table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}',
      // Current's header is empty: the header row gets no " *".
      headers: { Name: 'NAME', Description: 'DESCRIPTION', DockerEndpoint: 'DOCKER ENDPOINT', Current: '', Error: 'ERROR' },
      context: '*formatter.clientContextContext',
      rows,
    }),
  );
}

/** docker context inspect: each context as JSON or through --format (typed only); those not found reported after. */
function inspect(cli: Cli, names: string[], format: string | undefined): void {
  const wanted = names.length > 0 ? names : [contextName(cli.flags, configDir(cli)) ?? DEFAULT_CONTEXT];
  const objects: unknown[] = [];
  const errors: string[] = [];
  for (const name of wanted) {
    try {
      objects.push(inspectOne(cli, name));
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      errors.push(err.message);
    }
  }
  errors.push(...printInspect(cli, format, objects, true));
  if (errors.length) throw new CliError(errors.join('\n'));
}

/** docker context inspect's shape (its store's metadata, TLS file names and paths). */
function inspectOne(cli: Cli, name: string): unknown {
  const c = lookup(cli, name);
  const paths = name === DEFAULT_CONTEXT ? { meta: '<IN MEMORY>', tls: '<IN MEMORY>' } : contextPaths(configDir(cli), name);
  const tlsFiles = Object.keys(c.tls).map((k) => `${k}.pem`);
  return {
    Name: c.name,
    Metadata: name === DEFAULT_CONTEXT ? {} : { Description: c.description },
    Endpoints: { docker: { Host: c.host, SkipTLSVerify: c.skipTlsVerify } },
    TLSMaterial: tlsFiles.length > 0 ? { docker: tlsFiles } : {},
    Storage: { MetadataPath: paths.meta, TLSPath: paths.tls },
  };
}

function rm(cli: Cli, names: string[], o: { force?: boolean }): void {
  const dir = configDir(cli);
  for (const name of names) {
    if (name === DEFAULT_CONTEXT) throw new CliError('default: context "default" cannot be removed');
    if (currentContext(dir) === name) {
      if (!o.force) throw new CliError(`${name}: context "${name}" is in use, set -f flag to force remove`);
      useContext(dir, DEFAULT_CONTEXT);
    }
    removeContext(dir, name);
    cli.out(`${name}\n`);
  }
}

const MAX_IMPORT_BYTES = 1024 * 1024;
const IMPORTED = new Set(['meta.json', 'tls/docker/ca.pem', 'tls/docker/cert.pem', 'tls/docker/key.pem']);

/** docker context export's tar: meta.json, then tls/docker/{ca,cert,key}.pem. */
async function exportContext(cli: Cli, name: string, file: string | undefined): Promise<void> {
  const c = lookup(cli, name);
  // The default context's description is the list's, not its metadata's; an empty one is left out.
  const description = name !== DEFAULT_CONTEXT && c.description ? { Description: c.description } : {};
  const meta = JSON.stringify({ Name: c.name, Metadata: description, Endpoints: { docker: { Host: c.host, SkipTLSVerify: c.skipTlsVerify } } });
  const pack = tar.pack();
  const mtime = new Date(0);
  pack.entry({ name: 'meta.json', mode: 0o644, mtime }, meta);
  pack.entry({ name: 'tls', type: 'directory', mode: 0o700, mtime });
  const files = Object.entries(c.tls) as [keyof TlsFiles, string][];
  if (files.length > 0) {
    pack.entry({ name: 'tls/docker', type: 'directory', mode: 0o700, mtime });
    for (const [kind, path] of files) pack.entry({ name: `tls/docker/${kind}.pem`, mode: 0o600, mtime }, readFileSync(path));
  }
  pack.finalize();
  const target = file === undefined ? `${name}.dockercontext` : file;
  await pipeline(pack, target === '-' ? process.stdout : createWriteStream(target, { mode: 0o600 })).catch((err: unknown) => {
    throw new CliError(goPathError(err));
  });
  if (target !== '-') cli.err(`Written file "${target}"\n`);
}

/** Reads an exported context (only its known members, at most 1 MiB) and stores it as `name`. */
async function importContext(cli: Cli, name: string, file: string): Promise<void> {
  checkContextName(name);
  const members = new Map<string, string>();
  let total = 0;
  const source = file === '-' ? process.stdin : createReadStream(file);
  const extract = tar.extract();
  source.on('error', (err: Error) => extract.destroy(err));
  source.pipe(extract);
  // The docker CLI writes no end-of-archive blocks: an archive that ends between two members is whole.
  let inMember = false;
  try {
    for await (const entry of extract) {
      inMember = true;
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > MAX_IMPORT_BYTES) throw new CliError(`${file}: too large for a context export (over ${MAX_IMPORT_BYTES} bytes)`);
        chunks.push(chunk);
      }
      if (entry.header.type === 'file' && IMPORTED.has(entry.header.name)) members.set(entry.header.name, Buffer.concat(chunks).toString('utf8'));
      inMember = false;
    }
  } catch (err) {
    source.destroy();
    if (err instanceof CliError) throw err;
    if ((err as NodeJS.ErrnoException).syscall) throw new CliError(goPathError(err));
    const endedBetweenMembers = !inMember && members.size > 0 && (err as Error).message === 'Unexpected end of data';
    if (!endedBetweenMembers) throw new CliError(`${file}: not a context export: ${(err as Error).message}`);
  }
  const metaText = members.get('meta.json');
  if (metaText === undefined) throw new CliError(`${file}: not a context export: no meta.json`);
  let meta: { Metadata?: { Description?: unknown }; Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
  try {
    meta = JSON.parse(metaText) as typeof meta;
  } catch (err) {
    throw new CliError(`${file}: meta.json: ${(err as Error).message}`);
  }
  const docker = meta.Endpoints?.docker;
  if (typeof docker?.Host !== 'string') throw new CliError(`${file}: meta.json has no docker endpoint`);
  const tls: TlsFiles = {};
  for (const kind of ['ca', 'cert', 'key'] as const) {
    const pem = members.get(`tls/docker/${kind}.pem`);
    if (pem !== undefined) tls[kind] = pem;
  }
  const description = meta.Metadata?.Description;
  writeContext(configDir(cli), { name, description: typeof description === 'string' ? description : '', host: docker.Host, skipTlsVerify: docker.SkipTLSVerify === true }, tls);
  cli.out(`${name}\n`);
  cli.err(`Successfully imported context "${name}"\n`);
}

export function registerContext(program: Command, cli: Cli): void {
  const context = program.command('context').description('Manage contexts');
  context
    .command('ls')
    .alias('list')
    .description('List contexts')
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only show context names')
    .action((o: { format?: string; quiet?: boolean }) => ls(cli, o));
  context
    .command('use')
    .usage('CONTEXT')
    // cobra's ExactArgs here, not docker's own wording.
    .argument('[CONTEXT...]')
    .description('Set the current docker context')
    .action((names: string[]) => {
      if (names.length !== 1) throw new CliError(`accepts 1 arg(s), received ${names.length}`);
      const name = names[0]!;
      useContext(configDir(cli), name);
      cli.out(`${name}\n`);
      cli.err(`Current context is now "${name}"\n`);
    });
  context
    .command('inspect')
    .usage('[OPTIONS] [CONTEXT] [CONTEXT...]')
    .argument('[CONTEXT...]')
    .description('Display detailed information on one or more contexts')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action((names: string[], o: { format?: string }) => inspect(cli, names, o.format));
  registerContextEdits(context, cli);
  context
    .command('export')
    .usage('[OPTIONS] CONTEXT [FILE|-]')
    .argument('<CONTEXT>')
    .argument('[FILE|-]')
    .description('Export a context to a tar archive FILE or a tar stream on STDOUT.')
    .action((name: string, file: string | undefined) => exportContext(cli, name, file));
  context
    .command('import')
    .argument('<CONTEXT>')
    .argument('<FILE|->')
    .description('Import a context from a tar or zip file')
    .action((name: string, file: string) => importContext(cli, name, file));
  context
    .command('rm')
    .alias('remove')
    .usage('CONTEXT [CONTEXT...]')
    .argument('<CONTEXT...>')
    .description('Remove one or more contexts')
    .option('-f, --force', 'Force the removal of a context in use')
    .action((names: string[], o: { force?: boolean }) => rm(cli, names, o));
}
