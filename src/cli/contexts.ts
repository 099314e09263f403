// The docker CLI's context store, in its own format so that a context made by
// either CLI works in the other: <config>/contexts/meta/<sha256 of name>/meta.json
// holds the endpoint, <config>/contexts/tls/<sha256 of name>/docker/{ca,cert,key}.pem
// its TLS material. The config directory is --config, $DOCKER_CONFIG or ~/.docker.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error';

export const DEFAULT_CONTEXT = 'default';
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;
const TLS_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;

export function dockerConfigDir(flag?: string): string {
  // $HOME first, as Go's os.UserHomeDir (and without loading node:os).
  return flag || process.env['DOCKER_CONFIG'] || join(process.env['HOME'] || homedir(), '.docker');
}

/** The docker CLI's directory name for a context: the hex SHA-256 of its name. */
function contextId(name: string): string {
  // node:crypto on first use: commands that use no context do not load it.
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(name).digest('hex');
}

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface DockerContext {
  name: string;
  description: string;
  host: string;
  skipTlsVerify: boolean;
  /** Paths of the TLS files the context holds (those it has). */
  tls: TlsFiles;
}

interface MetaJson {
  Name?: unknown;
  Metadata?: { Description?: unknown };
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

export function checkContextName(name: string): void {
  if (name === DEFAULT_CONTEXT) throw new CliError(`"${DEFAULT_CONTEXT}" is a reserved context name`);
  if (!NAME.test(name)) throw new CliError(`context name "${name}" is invalid, names are validated against regexp "${NAME.source}"`);
}

/** Reads a context from the store; a missing one is docker's "context not found" error. */
export function readContext(configDir: string, name: string): DockerContext {
  const id = contextId(name);
  const metaPath = join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: MetaJson;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as MetaJson;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`context "${name}": context not found: open ${metaPath}: no such file or directory`);
    throw new CliError(`context "${name}": cannot read ${metaPath}: ${(err as Error).message}`);
  }
  const docker = meta.Endpoints?.docker;
  if (typeof docker?.Host !== 'string') throw new CliError(`context "${name}": ${metaPath} has no docker endpoint`);
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  const tls: TlsFiles = {};
  for (const file of TLS_FILES) {
    const path = join(tlsDir, file);
    if (existsSync(path)) tls[file.slice(0, -'.pem'.length) as keyof TlsFiles] = path;
  }
  const description = meta.Metadata?.Description;
  return { name, description: typeof description === 'string' ? description : '', host: docker.Host, skipTlsVerify: docker.SkipTLSVerify === true, tls };
}

/** Writes a context (dirs 0700, files 0600, as the docker CLI); `tls` holds the PEM texts. */
export function writeContext(configDir: string, context: Omit<DockerContext, 'tls'>, tls: TlsFiles, overwrite = false): void {
  checkContextName(context.name);
  const id = contextId(context.name);
  const metaDir = join(configDir, 'contexts', 'meta', id);
  if (!overwrite && existsSync(join(metaDir, 'meta.json'))) throw new CliError(`context "${context.name}" already exists`);
  const meta = {
    Name: context.name,
    Metadata: { Description: context.description },
    Endpoints: { docker: { Host: context.host, SkipTLSVerify: context.skipTlsVerify } },
  };
  mkdirSync(metaDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(metaDir, 'meta.json'), JSON.stringify(meta), { mode: 0o644 });
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  rmSync(tlsDir, { recursive: true, force: true });
  if (Object.keys(tls).length === 0) return;
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  for (const [kind, text] of Object.entries(tls)) writeFileSync(join(tlsDir, `${kind}.pem`), text, { mode: 0o600 });
}

/** Every context in the store, by name. */
export function listContexts(configDir: string): DockerContext[] {
  let ids: string[];
  try {
    ids = readdirSync(join(configDir, 'contexts', 'meta'));
  } catch {
    return [];
  }
  return ids
    .flatMap((id) => {
      try {
        const meta = JSON.parse(readFileSync(join(configDir, 'contexts', 'meta', id, 'meta.json'), 'utf8')) as MetaJson;
        return typeof meta.Name === 'string' ? [readContext(configDir, meta.Name)] : [];
      } catch {
        return []; // not a context (docker skips such entries too)
      }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function removeContext(configDir: string, name: string): void {
  readContext(configDir, name);
  const id = contextId(name);
  rmSync(join(configDir, 'contexts', 'meta', id), { recursive: true, force: true });
  rmSync(join(configDir, 'contexts', 'tls', id), { recursive: true, force: true });
}

/** Where the context's files live (for inspect). */
export function contextPaths(configDir: string, name: string): { meta: string; tls: string } {
  const id = contextId(name);
  return { meta: join(configDir, 'contexts', 'meta', id), tls: join(configDir, 'contexts', 'tls', id) };
}

function readConfigJson(configDir: string): Record<string, unknown> {
  try {
    const config: unknown = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'));
    return typeof config === 'object' && config !== null && !Array.isArray(config) ? (config as Record<string, unknown>) : {};
  } catch {
    return {}; // no config.json (or not JSON): the docker CLI's defaults
  }
}

/** config.json's currentContext (`docker context use`), if any. */
export function currentContext(configDir: string): string | undefined {
  const name = readConfigJson(configDir)['currentContext'];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** Sets config.json's currentContext, keeping its other keys; "default" removes it, as the docker CLI. */
export function useContext(configDir: string, name: string): void {
  if (name !== DEFAULT_CONTEXT) readContext(configDir, name);
  const config = readConfigJson(configDir);
  if (name === DEFAULT_CONTEXT) delete config['currentContext'];
  else config['currentContext'] = name;
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(configDir, 'config.json'), `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
}
