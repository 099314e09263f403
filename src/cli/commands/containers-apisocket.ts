// run/create --use-api-socket (docker 28): the daemon's Unix socket bound into
// the container at /var/run/docker.sock and, unless the container's
// environment names a DOCKER_CONFIG already, the client's registry
// credentials (when it has any) copied in as /run/secrets/docker/config.json with DOCKER_CONFIG
// pointing there, as the docker CLI does (a config file of `auths` alone,
// tab-indented, 0600, written after the create).
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { encodeEntryHeader, END_OF_ARCHIVE, padding } from '../../archive/tar-writer';
import type { Cli } from '../cli';
import { CliError } from '../cli';
import { allCredentials } from '../credentials';

const CONFIG_PATH = '/run/secrets/docker/config.json';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Adds the socket's mount (and DOCKER_CONFIG) to the create body; the config file to copy in once created, if any. */
export function useApiSocket(host: string, body: Record<string, unknown>): Buffer | undefined {
  if (!host.startsWith('unix://')) throw new CliError(`flag --use-api-socket can only be used with unix sockets: docker endpoint ${host} incompatible`);
  const hostConfig = isRecord(body['HostConfig']) ? body['HostConfig'] : (body['HostConfig'] = {});
  const mounts: unknown[] = Array.isArray(hostConfig['Mounts']) ? hostConfig['Mounts'] : [];
  hostConfig['Mounts'] = [...mounts, { Type: 'bind', Source: host.slice('unix://'.length), Target: '/var/run/docker.sock', BindOptions: {} }];
  const env: unknown[] = Array.isArray(body['Env']) ? body['Env'] : [];
  if (env.some((e) => typeof e === 'string' && e.startsWith('DOCKER_CONFIG='))) return undefined;
  const creds = Object.entries(allCredentials());
  // No credentials: no config file, no DOCKER_CONFIG.
  if (creds.length === 0) return undefined;
  body['Env'] = [...env, `DOCKER_CONFIG=${posix.dirname(CONFIG_PATH)}`];
  const auths = Object.fromEntries(creds.sort(([a], [b]) => (a < b ? -1 : 1)));
  return Buffer.from(JSON.stringify({ auths }, null, '\t'));
}

/** PUT /containers/{id}/archive?path=/ of a tar holding the config file alone. */
export async function copyConfigIn(cli: Cli, id: string, config: Buffer): Promise<void> {
  const header = encodeEntryHeader({ name: CONFIG_PATH, type: 'file', mode: 0o600, uid: 0, gid: 0, size: config.length, mtime: 0 });
  try {
    await cli.client.json('PUT', `/containers/${id}/archive`, { query: { noOverwriteDirNonDir: 'true', path: '/' }, stream: Readable.from([Buffer.concat([header, config, padding(config.length), END_OF_ARCHIVE])]) });
  } catch (err) {
    throw new CliError(`injecting docker config.json into container failed: copying config.json into container failed: ${(err as Error).message}`);
  }
}
