// The distribution client (see ./types.ts for the contract): the registry HTTP
// API v2 over undici. Endpoints: Docker Hub's names go to registry-1.docker.io
// (or a configured mirror); the scheme and TLS of other hosts as dockerd picks
// them (./endpoint.ts). Authentication follows the registry's 401 challenge:
// Basic, or a Bearer token fetched from the realm it names for the
// repository's scope (cached per scope until it expires). A tag is resolved
// with a HEAD first, as dockerd does (registries do not count it against pull
// limits), and the manifest fetched by its digest.
import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import { NotImplementedError, TsdError, UnauthorizedError, UnavailableError } from '../errors';
import { isDigest, sha256, type Digest } from '../api/digest';
import { isIndexMediaType, isManifestMediaType, MEDIA_TYPE } from '../graph/media-types';
import { DEFAULT_DOMAIN, familiarString, type NamedRef } from '../api/reference';
import { challengeOf, tokenFrom, type Challenge } from './auth';
import { Endpoints, type EndpointOptions } from './endpoint';
import { pullDenied, registryError, requestName, tokenRefused } from './errors';
import type { Descriptor, DistributionClient, RegistryAuth } from './types';

type Response = Awaited<ReturnType<typeof import('undici').request>>;
type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';

interface SendOptions {
  method?: HttpMethod;
  /** Opens the body (again, for the retry after a 401). */
  body?: () => Buffer | Readable;
  /** Asks for push access too. */
  push?: boolean;
  /** Another repository's pull access in the same token (a cross-repository mount's source). */
  alsoPull?: string;
}

/** Manifests and indexes are small documents: more than this is refused unread. */
const MAX_MANIFEST = 4 * 1024 * 1024;
const DOCKER_HUB_ENDPOINT = 'https://registry-1.docker.io';

const SCHEMA1_TYPES = new Set(['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws']);
const ACCEPT = [MEDIA_TYPE.dockerManifestList, MEDIA_TYPE.ociIndex, MEDIA_TYPE.dockerManifest, MEDIA_TYPE.ociManifest, ...SCHEMA1_TYPES].join(', ');

export interface RegistryOptions extends EndpointOptions {
  /** Mirrors of Docker Hub, tried in order before it (daemon.json `registry-mirrors`). */
  readonly mirrors: readonly string[];
}

/** A manifest or index as fetched: its descriptor and bytes (digest checked). */
export interface FetchedManifest {
  desc: Descriptor;
  bytes: Buffer;
}

export class RegistryClient implements DistributionClient {
  /** Authorization headers (Basic, or Bearer tokens) by `<registry> <scope> <user>`, with their expiry (ms). */
  private readonly tokens = new Map<string, { authorization: string; expires: number }>();
  private readonly endpoints: Endpoints;

  constructor(private readonly opts: RegistryOptions) {
    this.endpoints = new Endpoints(opts);
  }

  /** The base URL of a registry host. */
  endpoint(domain: string): string {
    if (domain === DEFAULT_DOMAIN) return this.opts.mirrors[0]?.replace(/\/+$/, '') ?? DOCKER_HUB_ENDPOINT;
    return `${this.endpoints.schemesFor(domain)[0]}://${domain}`;
  }

  async resolve(ref: NamedRef, auth?: RegistryAuth): Promise<Descriptor> {
    return (await this.manifest(ref, ref.digest ?? ref.tag ?? 'latest', auth)).desc;
  }

  /** The manifest or index `reference` (a tag or digest) names; schema 1 is refused as dockerd does. */
  async manifest(ref: NamedRef, reference: string, auth?: RegistryAuth): Promise<FetchedManifest> {
    let wanted = reference;
    if (!isDigest(reference)) {
      // A tag: HEAD for its digest, then the manifest by digest (a registry that answers no digest gets a GET by tag).
      const head = await this.send(ref, `/v2/${ref.path}/manifests/${reference}`, { accept: ACCEPT }, auth, { method: 'HEAD' });
      await head.body.dump();
      const digest = head.headers['docker-content-digest'];
      if (head.statusCode === 200 && typeof digest === 'string' && isDigest(digest)) wanted = digest;
    }
    const res = await this.send(ref, `/v2/${ref.path}/manifests/${wanted}`, { accept: ACCEPT }, auth);
    if (res.statusCode !== 200) throw registryError(res.statusCode, await res.body.text(), ref, 'manifest');
    const bytes = await readBounded(res.body, MAX_MANIFEST, `manifest for ${familiarString(ref)}`);
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim() || mediaTypeField(bytes);
    if (SCHEMA1_TYPES.has(mediaType) || (mediaTypeField(bytes) === '' && schemaVersionOf(bytes) === 1)) {
      throw new NotImplementedError(
        `[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of ${familiarString(ref)} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/`,
      );
    }
    const digest = sha256(bytes);
    if (isDigest(wanted) && digest !== wanted) throw new UnavailableError(`manifest verification failed for digest ${wanted}`);
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

  /**
   * Starts an upload session; with `mountFrom` (a repository of the same
   * registry known to hold the blob) asks for a cross-repository mount first:
   * 'mounted' when the registry did it, else the session's URL.
   */
  async startUpload(ref: NamedRef, digest: Digest, auth?: RegistryAuth, mountFrom?: string): Promise<URL | 'mounted'> {
    const query = mountFrom ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : '';
    const start = await this.send(ref, `/v2/${ref.path}/blobs/uploads/${query}`, {}, auth, { method: 'POST', push: true, ...(mountFrom ? { alsoPull: mountFrom } : {}) });
    const body = await start.body.text();
    if (mountFrom && start.statusCode === 201) return 'mounted';
    if (start.statusCode !== 202 || typeof start.headers.location !== 'string') throw registryError(start.statusCode, body, ref, 'blob');
    return new URL(start.headers.location, this.endpoint(ref.domain));
  }

  /** A monolithic upload: POST for an upload URL, then PUT of the bytes with their digest. */
  async uploadBlob(ref: NamedRef, desc: Descriptor, body: Readable, auth?: RegistryAuth, session?: URL): Promise<void> {
    const location = session ?? (await this.startUpload(ref, desc.digest, auth));
    if (location === 'mounted') return;
    location.searchParams.set('digest', desc.digest);
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) };
    const res = await this.send(ref, location.toString(), headers, auth, { method: 'PUT', body: () => body, push: true });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw registryError(res.statusCode, text, ref, 'blob');
  }

  /**
   * A chunked upload: each chunk a PATCH with its Content-Range (the session
   * URL the registry answers each with goes on), then the PUT with the digest.
   */
  async uploadChunks(ref: NamedRef, desc: Descriptor, chunks: AsyncIterable<{ body: Readable; length: number }>, session: URL, auth?: RegistryAuth): Promise<void> {
    let location = session;
    let offset = 0;
    for await (const chunk of chunks) {
      const headers = { 'content-type': 'application/octet-stream', 'content-length': String(chunk.length), 'content-range': `${offset}-${offset + chunk.length - 1}` };
      const res = await this.send(ref, location.toString(), headers, auth, { method: 'PATCH', body: () => chunk.body, push: true });
      const text = await res.body.text();
      if (res.statusCode !== 202 || typeof res.headers.location !== 'string') throw registryError(res.statusCode, text, ref, 'blob');
      location = new URL(res.headers.location, location);
      offset += chunk.length;
    }
    location.searchParams.set('digest', desc.digest);
    const res = await this.send(ref, location.toString(), { 'content-length': '0' }, auth, { method: 'PUT', push: true });
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
    // dockerd answers a failed Basic login with a 500, a token server's refusal with a 401 in the server's words.
    const failed = (status: number) => new TsdError(`login attempt to ${url} failed with status: ${status} ${STATUS_CODES[status] ?? ''}`);
    const first = await this.call('GET', url, {});
    await first.body.dump();
    const base = `${this.endpoint(domain)}/v2/`; // the scheme that answered
    if (first.statusCode === 200) return;
    const challenge = challengeOf(first.headers['www-authenticate']);
    if (first.statusCode !== 401 || !challenge) throw failed(first.statusCode);
    const value = await this.authorize(challenge, [], auth, `${base} login ${auth.username ?? ''}`).catch((err: unknown) => {
      if (!(err instanceof UnauthorizedError)) throw err;
      throw challenge.scheme === 'bearer' ? new UnauthorizedError(`${requestName('GET', base)}: ${err.message}`) : failed(401);
    });
    const res = await this.call('GET', base, { authorization: value });
    await res.body.dump();
    if (res.statusCode !== 200) throw failed(res.statusCode);
  }

  /**
   * One request, authenticated as the registry's challenge asks (one retry
   * after a 401: `body` is opened again for it). `path` may be a URL the
   * registry gave (an upload's Location).
   */
  private async send(ref: NamedRef, path: string, headers: Record<string, string>, auth?: RegistryAuth, opts: SendOptions = {}): Promise<Response> {
    const method = opts.method ?? 'GET';
    const scopes = [`repository:${ref.path}:${opts.push ? 'pull,push' : 'pull'}`, ...(opts.alsoPull ? [`repository:${opts.alsoPull}:pull`] : [])];
    const cacheKey = () => `${this.endpoint(ref.domain)} ${scopes.join(' ')} ${auth?.username ?? ''}`;
    const cached = this.tokens.get(cacheKey());
    const authorization = cached && cached.expires > Date.now() ? cached.authorization : undefined;
    let url = new URL(path, this.endpoint(ref.domain)).toString();
    let res = await this.call(method, url, { ...headers, ...(authorization ? { authorization } : {}) }, opts.body?.());
    url = new URL(path, this.endpoint(ref.domain)).toString(); // the scheme that answered
    if (res.statusCode !== 401) return res;
    const challenge = challengeOf(res.headers['www-authenticate']);
    await res.body.dump();
    if (!challenge) throw new TsdError(`${ref.domain}: authentication required`);
    // dockerd answers a pull it could not authorize with a 500: a 401 would make the docker CLI prompt for credentials.
    if (challenge.scheme === 'basic' && auth?.username === undefined) throw new TsdError(`${requestName(method, url)}: no basic auth credentials`);
    const value = await this.authorize(challenge, scopes, auth, cacheKey()).catch((err: unknown) => {
      throw err instanceof UnauthorizedError ? new TsdError(`${requestName(method, url)}: ${err.message}`) : err;
    });
    res = await this.call(method, url, { ...headers, authorization: value }, opts.body?.());
    if (res.statusCode === 401 && challenge.scheme === 'bearer') {
      // Authorized, and still refused: the token does not grant the repository.
      await res.body.dump();
      this.tokens.delete(cacheKey());
      if (!opts.push) throw pullDenied(ref);
      throw new TsdError('denied: requested access to the resource is denied');
    }
    return res;
  }

  /** The Authorization value for `challenge`: Basic credentials, or a token from its realm for `scopes`. */
  private async authorize(challenge: Challenge, scopes: readonly string[], auth: RegistryAuth | undefined, cacheKey: string): Promise<string> {
    const basic = auth?.username !== undefined ? `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}` : undefined;
    if (challenge.scheme === 'basic') {
      if (!basic) throw new UnauthorizedError('no basic auth credentials');
      this.tokens.set(cacheKey, { authorization: basic, expires: Infinity });
      return basic;
    }
    const url = new URL(challenge.params.realm ?? '');
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const res = await this.call('GET', url.toString(), basic ? { authorization: basic } : {});
    const body = (await readBounded(res.body, 1024 * 1024, 'token')).toString();
    if (res.statusCode !== 200) throw new UnauthorizedError(tokenRefused(res.statusCode, body));
    const token = tokenFrom(body);
    this.tokens.set(cacheKey, { authorization: `Bearer ${token.token}`, expires: token.expires });
    return `Bearer ${token.token}`;
  }

  /**
   * One HTTP request. An insecure registry is tried over HTTPS first: a
   * failure to connect there (before any byte of a streamed body went) tries
   * plain HTTP, and the host's scheme is remembered.
   */
  private async call(method: HttpMethod, url: string, headers: Record<string, string>, body?: Buffer | Readable): Promise<Response> {
    const u = new URL(url);
    try {
      const { request } = await import('undici');
      const res = await request(u, { method, headers, body: body ?? null, dispatcher: await this.endpoints.dispatcher(u), headersTimeout: 30_000, bodyTimeout: 60_000 });
      this.endpoints.answered(u.host, u.protocol === 'https:' ? 'https' : 'http');
      return res;
    } catch (err) {
      if (u.protocol === 'https:' && this.endpoints.schemesFor(u.host).includes('http') && !(body instanceof Readable)) {
        this.endpoints.answered(u.host, 'http');
        u.protocol = 'http:';
        return this.call(method, u.toString(), headers, body);
      }
      throw connectError(method, u, err);
    }
  }
}

/** A request that got no answer, worded as Go's net/http and net do. */
function connectError(method: string, u: URL, err: unknown): UnavailableError {
  const code = (err as { code?: string }).code;
  const dial = `dial tcp ${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  const name = requestName(method, u.toString());
  if (code === 'ECONNREFUSED') return new UnavailableError(`${name}: ${dial}: connect: connection refused`);
  if (code === 'ENOTFOUND') return new UnavailableError(`${name}: ${dial}: lookup ${u.hostname}: no such host`);
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) return new UnavailableError(`${name}: x509: certificate signed by unknown authority`);
  return new UnavailableError(`${name}: ${(err as Error).message}`);
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
