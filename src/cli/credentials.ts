// The docker CLI's credentials file, shared with it: $DOCKER_CONFIG/config.json
// (~/.docker by default) with `auths` (base64 user:password), `credsStore` and
// `credHelpers` (a `docker-credential-<name>` program: get/store/erase over
// stdin). The file is written 0600; a secret never reaches a message.
import childProcess from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli';

/** Docker Hub's key in `auths`, as the docker CLI writes it. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

export interface Credentials {
  username: string;
  password: string;
}

/** A registry's entry in `auths`, as the docker CLI writes it (its other fields omitted when empty). */
export interface AuthEntry {
  auth?: string;
  email?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

function configPath(): string {
  return join(process.env['DOCKER_CONFIG'] || join(homedir(), '.docker'), 'config.json');
}

function readConfig(): ConfigFile {
  try {
    return JSON.parse(readFileSync(configPath(), 'utf8')) as ConfigFile;
  } catch {
    return {};
  }
}

function writeConfig(config: ConfigFile): void {
  const path = configPath();
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The `auths` key of a registry host (`docker.io` is Docker Hub's v1 URL). */
export function registryKey(domain: string): string {
  return domain === 'docker.io' ? DOCKER_HUB_KEY : domain;
}

/** The registry host of an image name (distribution's rule: a first component with '.' or ':' or `localhost`). */
export function domainOf(name: string): string {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  return slash >= 0 && (/[.:]/.test(first) || first === 'localhost') ? first : 'docker.io';
}

function helper(name: string, action: 'get' | 'store' | 'erase', input: string): string {
  const r = childProcess.spawnSync(`docker-credential-${name}`, [action], { input, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new CliError(`error ${action === 'get' ? 'getting' : action === 'store' ? 'storing' : 'erasing'} credentials - err: ${r.error ? r.error.message : `exit status ${r.status}`}, out: \`${(r.stdout ?? '').trim()}\``);
  return r.stdout;
}

function helperFor(config: ConfigFile, key: string): string | undefined {
  return config.credHelpers?.[key] ?? config.credsStore;
}

/** The saved credentials for a registry host, if any. */
export function loadCredentials(domain: string): Credentials | undefined {
  return credentialsOf(readConfig(), registryKey(domain));
}

/** Every saved credential by its `auths` key (the docker CLI's GetAll: what login wrote, a helper's too), as a config file holds them. */
export function allCredentials(): Record<string, AuthEntry> {
  const config = readConfig();
  const out: Record<string, AuthEntry> = {};
  for (const key of new Set([...Object.keys(config.auths ?? {}), ...Object.keys(config.credHelpers ?? {})])) {
    const entry = config.auths?.[key];
    const creds = credentialsOf(config, key);
    if (!entry && !creds) continue;
    const auth = creds && (creds.username || creds.password) ? Buffer.from(`${creds.username}:${creds.password}`).toString('base64') : undefined;
    const { email, identitytoken, registrytoken } = entry ?? {};
    out[key] = { ...(auth ? { auth } : {}), ...(email ? { email } : {}), ...(identitytoken ? { identitytoken } : {}), ...(registrytoken ? { registrytoken } : {}) };
  }
  return out;
}

function credentialsOf(config: ConfigFile, key: string): Credentials | undefined {
  const store = helperFor(config, key);
  if (store) {
    const got = JSON.parse(helper(store, 'get', key) || '{}') as { Username?: string; Secret?: string };
    return got.Username ? { username: got.Username, password: got.Secret ?? '' } : undefined;
  }
  const auth = config.auths?.[key]?.auth;
  if (!auth) return undefined;
  const plain = Buffer.from(auth, 'base64').toString();
  const colon = plain.indexOf(':');
  return colon < 0 ? undefined : { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
}

export function saveCredentials(domain: string, creds: Credentials): void {
  const config = readConfig();
  const key = registryKey(domain);
  const store = helperFor(config, key);
  if (store) helper(store, 'store', JSON.stringify({ ServerURL: key, Username: creds.username, Secret: creds.password }));
  const auth = store ? {} : { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  writeConfig({ ...config, auths: { ...config.auths, [key]: auth } });
}

/** Forgets a registry's credentials; whether there were any. */
export function eraseCredentials(domain: string): boolean {
  const config = readConfig();
  const key = registryKey(domain);
  if (!config.auths?.[key]) return false;
  const store = helperFor(config, key);
  if (store) helper(store, 'erase', key);
  const { [key]: _gone, ...rest } = config.auths;
  writeConfig({ ...config, auths: rest });
  return true;
}

/** The X-Registry-Auth header for an image's registry (anonymous: `{}`, as the docker CLI sends). */
export function registryAuthHeader(domain: string): string {
  const creds = loadCredentials(domain);
  const body = creds ? { username: creds.username, password: creds.password, serveraddress: registryKey(domain) } : {};
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}
