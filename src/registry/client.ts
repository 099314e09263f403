// The distribution client (see ./types.ts for the contract): the registry HTTP
// API v2 over undici. Endpoints: Docker Hub's names go to registry-1.docker.io
// (or a configured mirror); loopback hosts and `insecure-registries` speak
// plain HTTP, every other registry HTTPS. Authentication follows the
// registry's 401 challenge: Basic, or a Bearer token fetched from the realm it
// names for the repository's scope (cached per scope until it expires).
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent, interceptors, request } from 'undici';

type Response = Awaited<ReturnType<typeof request>>;
type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';

interface SendOptions {
  method?: HttpMethod;
  /** Opens the body (again, for the retry after a 401). */
  body?: () => Buffer | Readable;
  /** Asks for push access too. */
  push?: boolean;
}
import { NotFoundError, NotImplementedError, TsdError, UnauthorizedError, UnavailableError } from '../errors';
import { isDigest, sha256, type Digest } from '../api/digest';
import { isIndexMediaType, isManifestMediaType, MEDIA_TYPE } from '../graph/media-types';
import { DEFAULT_DOMAIN, familiarName, familiarString, type NamedRef } from '../api/reference';
import { challengeOf, tokenFrom, type Challenge } from './auth';
import type { Descriptor, DistributionClient, RegistryAuth } from './types';

/** Manifests and indexes are small documents: more than this is refused unread. */
const MAX_MANIFEST = 4 * 1024 * 1024;
const DOCKER_HUB_ENDPOINT = 'https://registry-1.docker.io';

const SCHEMA1_TYPES = new Set(['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws']);
const ACCEPT = [MEDIA_TYPE.dockerManifestList, MEDIA_TYPE.ociIndex, MEDIA_TYPE.dockerManifest, MEDIA_TYPE.ociManifest, ...SCHEMA1_TYPES].join(', ');

export interface RegistryOptions {
  /** `host[:port]` or CIDRs served over plain HTTP (daemon.json `insecure-registries`). */
  insecureRegistries: readonly string[];
  /** Mirrors of Docker Hub, tried in order before it (daemon.json `registry-mirrors`). */
  mirrors: readonly string[];
}

/** A registry's error body: {"errors":[{"code","message"}]}. */
interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string }>;
}

/** A manifest or index as fetched: its descriptor and bytes (digest checked). */
export interface FetchedManifest {
  desc: Descriptor;
  bytes: Buffer;
}

function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts.reduce((n, p) => n * 256 + p, 0) : undefined;
}

/** An `insecure-registries` entry names the host: `host[:port]` itself, or a CIDR holding its IPv4 address. */
function insecureEntryMatches(entry: string, domain: string): boolean {
  const bare = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const slash = bare.indexOf('/');
  if (slash < 0) return bare === domain;
  const net = ipv4(bare.slice(0, slash));
  const bits = Number(bare.slice(slash + 1));
  const host = ipv4(domain.replace(/:\d+$/, ''));
  if (net === undefined || host === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(host / size) === Math.floor(net / size);
}

/** The error of a registry answer, worded as dockerd's distribution/errors.go does for the reference. */
function registryError(status: number, body: string, ref: NamedRef, what: 'manifest' | 'blob'): TsdError {
  let first: { code?: string; message?: string } | undefined;
  try {
    first = (JSON.parse(body) as RegistryErrorBody).errors?.[0];
  } catch {
    first = undefined;
  }
  const cause = first?.code ? `${first.code.toLowerCase().replace(/_/g, ' ')}: ${first.message ?? ''}` : `unexpected status ${status}`;
  switch (first?.code) {
    case 'MANIFEST_UNKNOWN':
      return new NotFoundError(`manifest for ${familiarString(ref)} not found: ${cause}`);
    case 'NAME_UNKNOWN':
      return new NotFoundError(`repository ${familiarName(ref)} not found: ${cause}`);
    case 'UNAUTHORIZED':
      return new TsdError(cause); // a 401 would make the docker CLI prompt for credentials
    case 'DENIED':
      return new NotFoundError(`pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${cause}`);
    case 'BLOB_UNKNOWN':
      return new NotFoundError(`${what} unknown to registry: ${cause}`);
  }
  if (status === 404) return new NotFoundError(`${what} for ${familiarString(ref)} not found: ${cause}`);
  if (status === 401) return new TsdError(`${familiarName(ref)}: ${cause}`);
  return new UnavailableError(`received unexpected HTTP status: ${status} from ${ref.domain}`);
}

export class RegistryClient implements DistributionClient {
  /** Authorization headers (Basic, or Bearer tokens) by `<registry> <scope> <user>`, with their expiry (ms). */
  private readonly tokens = new Map<string, { authorization: string; expires: number }>();

  /** Blob GETs may redirect to a storage backend (S3, a CDN). */
  private readonly dispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 3 }));

  constructor(private readonly opts: RegistryOptions) {}

  /** The base URL of a registry host. */
  endpoint(domain: string): string {
    if (domain === DEFAULT_DOMAIN) return this.opts.mirrors[0]?.replace(/\/+$/, '') ?? DOCKER_HUB_ENDPOINT;
    const insecure = isLoopbackHost(domain) || this.opts.insecureRegistries.some((e) => insecureEntryMatches(e, domain));
    return `${insecure ? 'http' : 'https'}://${domain}`;
  }

  async resolve(ref: NamedRef, auth?: RegistryAuth): Promise<Descriptor> {
    return (await this.manifest(ref, ref.digest ?? ref.tag ?? 'latest', auth)).desc;
  }

  /** The manifest or index `reference` (a tag or digest) names; schema 1 is refused as dockerd does. */
  async manifest(ref: NamedRef, reference: string, auth?: RegistryAuth): Promise<FetchedManifest> {
    const res = await this.send(ref, `/v2/${ref.path}/manifests/${reference}`, { accept: ACCEPT }, auth);
    if (res.statusCode !== 200) throw registryError(res.statusCode, await res.body.text(), ref, 'manifest');
    const bytes = await readBounded(res.body, MAX_MANIFEST, `manifest for ${familiarString(ref)}`);
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim() || mediaTypeField(bytes);
    if (SCHEMA1_TYPES.has(mediaType) || (mediaTypeField(bytes) === '' && schemaVersionOf(bytes) === 1)) {
      throw new NotImplementedError(
        `[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of ${familiarString(ref)} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/`,
      );
    }
    const digest = sha256(bytes);
    if (isDigest(reference) && digest !== reference) throw new UnavailableError(`manifest verification failed for digest ${reference}`);
    return { desc: { mediaType, digest, size: bytes.length }, bytes };
  }

  async fetch(ref: NamedRef, desc: Descriptor, opts: { offset?: number; auth?: RegistryAuth } = {}): Promise<Readable> {
    return (await this.fetchBlob(ref, desc, opts)).stream;
  }

  /** A blob from `offset`; `offset` in the answer is 0 when the registry ignored the Range and sends it whole. */
  async fetchBlob(ref: NamedRef, desc: Descriptor, opts: { offset?: number; auth?: RegistryAuth } = {}): Promise<{ stream: Readable; offset: number }> {
    const offset = opts.offset ?? 0;
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const res = await this.send(ref, `/v2/${ref.path}/blobs/${desc.digest}`, headers, opts.auth);
    if (res.statusCode === 206 && offset > 0) return { stream: res.body, offset };
    if (res.statusCode === 200) return { stream: res.body, offset: 0 };
    throw registryError(res.statusCode, await res.body.text(), ref, 'blob');
  }

  /** The repository's tags (`pull --all-tags`). */
  async tags(ref: NamedRef, auth?: RegistryAuth): Promise<string[]> {
    const res = await this.send(ref, `/v2/${ref.path}/tags/list`, {}, auth);
    if (res.statusCode !== 200) throw registryError(res.statusCode, await res.body.text(), ref, 'manifest');
    const body = JSON.parse((await readBounded(res.body, MAX_MANIFEST, 'tag list')).toString()) as { tags?: unknown };
    return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : [];
  }

  /** Sends a blob unless the registry has it; a manifest or index goes under `ref`'s tag (or its digest). */
  async push(ref: NamedRef, desc: Descriptor, open: () => Promise<Readable>, auth?: RegistryAuth): Promise<void> {
    if (isManifestMediaType(desc.mediaType) || isIndexMediaType(desc.mediaType)) {
      await this.putManifest(ref, desc, await readBounded(await open(), MAX_MANIFEST, 'manifest'), auth);
    } else if (!(await this.hasBlob(ref, desc.digest, auth))) {
      await this.uploadBlob(ref, desc, await open(), auth);
    }
  }

  /** HEAD of a blob in the repository (which also settles push authorization before any upload). */
  async hasBlob(ref: NamedRef, digest: Digest, auth?: RegistryAuth): Promise<boolean> {
    const res = await this.send(ref, `/v2/${ref.path}/blobs/${digest}`, {}, auth, { method: 'HEAD', push: true });
    await res.body.dump();
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    throw registryError(res.statusCode, '', ref, 'blob');
  }

  /** A monolithic upload: POST for an upload URL, then PUT of the bytes with their digest. */
  async uploadBlob(ref: NamedRef, desc: Descriptor, body: Readable, auth?: RegistryAuth): Promise<void> {
    const start = await this.send(ref, `/v2/${ref.path}/blobs/uploads/`, {}, auth, { method: 'POST', push: true });
    const startBody = await start.body.text();
    if (start.statusCode !== 202 || typeof start.headers.location !== 'string') throw registryError(start.statusCode, startBody, ref, 'blob');
    const location = new URL(start.headers.location, this.endpoint(ref.domain));
    location.searchParams.set('digest', desc.digest);
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) };
    const res = await this.send(ref, location.toString(), headers, auth, { method: 'PUT', body: () => body, push: true });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw registryError(res.statusCode, text, ref, 'blob');
  }

  private async putManifest(ref: NamedRef, desc: Descriptor, bytes: Buffer, auth?: RegistryAuth): Promise<void> {
    const path = `/v2/${ref.path}/manifests/${ref.tag ?? desc.digest}`;
    const res = await this.send(ref, path, { 'content-type': desc.mediaType }, auth, { method: 'PUT', body: () => bytes, push: true });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw registryError(res.statusCode, text, ref, 'manifest');
  }

  /**
   * `docker login`: the registry's /v2/ answers 200 with the credentials
   * (Basic, or a token the realm grants for them); else dockerd's words.
   */
  async login(domain: string, auth: RegistryAuth): Promise<void> {
    const url = `${this.endpoint(domain)}/v2/`;
    const failed = (status: number) => new UnauthorizedError(`login attempt to ${url} failed with status: ${status} ${STATUS_CODES[status] ?? ''}`);
    const first = await this.get(url, {});
    await first.body.dump();
    if (first.statusCode === 200) return;
    const challenge = challengeOf(first.headers['www-authenticate']);
    if (first.statusCode !== 401 || !challenge) throw failed(first.statusCode);
    const value = await this.authorize(challenge, undefined, auth, `${url} login ${auth.username ?? ''}`).catch((err: unknown) => {
      throw err instanceof UnauthorizedError ? failed(401) : err;
    });
    const res = await this.get(url, { authorization: value });
    await res.body.dump();
    if (res.statusCode !== 200) throw failed(res.statusCode);
  }

  /** One GET, authenticated as the registry's challenge asks (one retry after a 401). */
  /**
   * One request, authenticated as the registry's challenge asks (one retry
   * after a 401: `body` is opened again for it). `path` may be a URL the
   * registry gave (an upload's Location).
   */
  private async send(ref: NamedRef, path: string, headers: Record<string, string>, auth?: RegistryAuth, opts: SendOptions = {}): Promise<Response> {
    const base = this.endpoint(ref.domain);
    const url = new URL(path, base).toString();
    const method = opts.method ?? 'GET';
    const scope = `repository:${ref.path}:${opts.push ? 'pull,push' : 'pull'}`;
    const cacheKey = `${base} ${scope} ${auth?.username ?? ''}`;
    const cached = this.tokens.get(cacheKey);
    const authorization = cached && cached.expires > Date.now() ? cached.authorization : undefined;
    let res = await this.call(method, url, { ...headers, ...(authorization ? { authorization } : {}) }, opts.body?.());
    if (res.statusCode !== 401) return res;
    const challenge = challengeOf(res.headers['www-authenticate']);
    await res.body.dump();
    if (!challenge) throw new TsdError(`${ref.domain}: authentication required`);
    // dockerd answers a pull it could not authorize with a 500: a 401 would make the docker CLI prompt for credentials.
    const verb = method.charAt(0) + method.slice(1).toLowerCase();
    if (challenge.scheme === 'basic' && auth?.username === undefined) throw new TsdError(`${verb} "${url}": no basic auth credentials`);
    const value = await this.authorize(challenge, scope, auth, cacheKey).catch((err: unknown) => {
      throw err instanceof UnauthorizedError ? new TsdError(err.message) : err;
    });
    res = await this.call(method, url, { ...headers, authorization: value }, opts.body?.());
    return res;
  }

  private async authorize(challenge: Challenge, scope: string | undefined, auth: RegistryAuth | undefined, cacheKey: string): Promise<string> {
    const basic = auth?.username !== undefined ? `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}` : undefined;
    if (challenge.scheme === 'basic') {
      if (!basic) throw new UnauthorizedError('no basic auth credentials');
      this.tokens.set(cacheKey, { authorization: basic, expires: Infinity });
      return basic;
    }
    const url = new URL(challenge.params.realm ?? '');
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    if (scope !== undefined) url.searchParams.set('scope', scope);
    const res = await this.get(url.toString(), basic ? { authorization: basic } : {});
    const body = (await readBounded(res.body, 1024 * 1024, 'token')).toString();
    if (res.statusCode !== 200) throw new UnauthorizedError(`failed to authorize: ${res.statusCode === 401 ? 'authentication required' : `unexpected status ${res.statusCode}`}`);
    const token = tokenFrom(body);
    this.tokens.set(cacheKey, { authorization: `Bearer ${token.token}`, expires: token.expires });
    return `Bearer ${token.token}`;
  }

  private get(url: string, headers: Record<string, string>): Promise<Response> {
    return this.call('GET', url, headers);
  }

  private async call(method: HttpMethod, url: string, headers: Record<string, string>, body?: Buffer | Readable): Promise<Response> {
    try {
      return await request(url, { method, headers, body: body ?? null, dispatcher: this.dispatcher, headersTimeout: 30_000, bodyTimeout: 60_000 });
    } catch (err) {
      const { hostname, port, protocol } = new URL(url);
      const code = (err as { code?: string }).code;
      const dial = `dial tcp ${hostname}:${port || (protocol === 'https:' ? '443' : '80')}`;
      const verb = `${method.charAt(0)}${method.slice(1).toLowerCase()}`;
      if (code === 'ECONNREFUSED') throw new UnavailableError(`${verb} "${url}": ${dial}: connect: connection refused`);
      if (code === 'ENOTFOUND') throw new UnavailableError(`${verb} "${url}": ${dial}: lookup ${hostname}: no such host`);
      throw new UnavailableError(`${method.charAt(0)}${method.slice(1).toLowerCase()} "${url}": ${(err as Error).message}`);
    }
  }
}

function mediaTypeField(bytes: Buffer): string {
  try {
    const v = (JSON.parse(bytes.toString()) as { mediaType?: unknown }).mediaType;
    return typeof v === 'string' ? v : '';
  } catch {
    return '';
  }
}

function schemaVersionOf(bytes: Buffer): number | undefined {
  try {
    const v = (JSON.parse(bytes.toString()) as { schemaVersion?: unknown }).schemaVersion;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The whole body, refused past `limit` bytes. */
export async function readBounded(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new UnavailableError(`${what} is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Decodes the X-Registry-Auth header the docker CLI sends (base64url JSON); none or unreadable is anonymous. */
export function registryAuthOf(header: string | string[] | undefined): RegistryAuth | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  try {
    const v = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>;
    const str = (k: string) => (typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : undefined);
    const username = str('username');
    const password = str('password');
    const identityToken = str('identitytoken');
    return { ...(username ? { username } : {}), ...(password ? { password } : {}), ...(identityToken ? { identityToken } : {}) };
  } catch {
    return undefined;
  }
}
