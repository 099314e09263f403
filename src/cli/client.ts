// The CLI's one API client: talks to the daemon over unix:// or tcp://,
// negotiates the API version with one /_ping like the docker CLI, and turns
// error answers into DaemonError with Docker's message. Short JSON requests
// (the hot path of run: ping, create, start, wait) go through http.ts, our
// own HTTP/1.1 on node:net; streamed bodies through undici's Client, loaded
// only when a command needs one (its module and WASM parser cost ~10 ms).
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { API_VERSION, FALLBACK_API_VERSION, compareVersions } from '../api/version';
import { HttpConnection, type HttpAnswer } from './http';
import { DEFAULT_HOST, tcpTarget, tlsConnectOptions, type TlsSettings } from './endpoint';
import { CommandExitError, dialSsh, parseSshUrl } from './ssh';

/** An error answer from the daemon; the CLI prints "Error response from daemon: …". */
export class DaemonError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * URLSearchParams' serialization (application/x-www-form-urlencoded: space as
 * `+`, all but alphanumerics and `*-._` escaped) without Node's URL code,
 * which a command would compile for its one query string.
 */
const formEncode = (s: string) => encodeURIComponent(s).replace(/[!'()~]|%20/g, (c) => (c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`));

/** The daemon could not be reached at all. */
export class ConnectError extends Error {}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** A JSON body. */
  body?: unknown;
  /** A raw body (a tar archive, stdin), sent chunked. */
  stream?: Readable;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface JsonResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

async function makeClient(host: string, tls: TlsSettings | undefined): Promise<Dispatcher> {
  const { default: Client } = await import('undici/lib/dispatcher/client');
  if (host.startsWith('unix://')) {
    return new Client('http://localhost', { socketPath: host.slice('unix://'.length) }) as unknown as Dispatcher;
  }
  if (host.startsWith('tcp://')) {
    const target = tcpTarget(host, tls);
    return new Client(target.origin, tls ? { connect: tlsConnectOptions(tls, target.hostname) } : {}) as unknown as Dispatcher;
  }
  if (host.startsWith('ssh://')) {
    // Each connection undici asks for is a session over this invocation's ssh connection (ssh.ts).
    // Answered on a later tick: undici's dispatch loop stops at a connect and misses a socket handed over at once.
    const connect = (_opts: unknown, done: (err: Error | null, socket: unknown) => void) => process.nextTick(() => done(null, dialSsh(host)));
    return new Client('http://docker.example.com', { connect } as ConstructorParameters<typeof Client>[1]) as unknown as Dispatcher;
  }
  throw new Error(`unsupported protocol scheme in host: ${host}`);
}

export class ApiClient {
  private dispatcher: Promise<Dispatcher> | undefined;
  private readonly connection: HttpConnection;
  private version: string | undefined;
  private negotiating: Promise<string> | undefined;

  constructor(
    readonly host: string,
    readonly tls?: TlsSettings,
  ) {
    if (host.startsWith('ssh://')) parseSshUrl(host);
    else if (!host.startsWith('unix://') && !host.startsWith('tcp://')) throw new Error(`unsupported protocol scheme in host: ${host}`);
    this.connection = new HttpConnection(host, tls);
    const pinned = process.env['DOCKER_API_VERSION'];
    if (pinned) this.version = pinned;
  }

  /** The API version in use: ours, or the daemon's when it is older (one ping at a time; a failed one is tried again). */
  apiVersion(): Promise<string> {
    if (this.version !== undefined) return Promise.resolve(this.version);
    this.negotiating ??= this.ping().finally(() => (this.negotiating = undefined));
    return this.negotiating;
  }

  private async ping(): Promise<string> {
    // GET, not docker's HEAD (the answer is the same): one connection for all.
    const res = await this.send('GET', '/_ping', {}, false);
    await res.body;
    const header = res.headers.get('api-version');
    const server = header ? header : FALLBACK_API_VERSION;
    this.version = compareVersions(server, API_VERSION) < 0 ? server : API_VERSION;
    return this.version;
  }

  /** A short request on our own connection: the head once it is in, the body as it follows. */
  async send(method: string, path: string, opts: Omit<RequestOptions, 'stream'> = {}, versioned = true): Promise<HttpAnswer> {
    const url = await this.url(path, opts.query, versioned);
    const headers: Record<string, string> = { 'User-Agent': 'tsdocker-cli', ...opts.headers };
    const body = opts.body === undefined ? '' : JSON.stringify(opts.body);
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await this.connection.request(method, url, headers, body);
    } catch (err) {
      throw connectError(err, this.host);
    }
  }

  /** `/vX.Y/path?query` as requests send it (the hijack builds its own request line with it). */
  async url(path: string, query: RequestOptions['query'] = {}, versioned = true): Promise<string> {
    const prefix = versioned ? `/v${await this.apiVersion()}` : '';
    const pairs: string[] = [];
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [typeof v === 'boolean' ? (v ? '1' : '0') : String(v)]) pairs.push(`${formEncode(k)}=${formEncode(x)}`);
    }
    return `${prefix}${path}${pairs.length ? `?${pairs.join('&')}` : ''}`;
  }

  /**
   * A second client on its own connection, with the version already
   * negotiated: for a request that stays open (wait, logs -f) while others run.
   */
  async fork(): Promise<ApiClient> {
    const other = new ApiClient(this.host, this.tls);
    other.version = await this.apiVersion();
    return other;
  }

  async raw(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}, versioned = true): Promise<Dispatcher.ResponseData> {
    const url = await this.url(path, opts.query, versioned);
    const headers: Record<string, string> = { 'User-Agent': 'tsdocker-cli', ...opts.headers };
    let body: string | Readable | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
    } else if (opts.stream !== undefined) {
      body = opts.stream;
      headers['Content-Type'] = opts.contentType ?? 'application/x-tar';
    }
    try {
      const [dispatcher, { default: request }] = await Promise.all([(this.dispatcher ??= makeClient(this.host, this.tls)), import('undici/lib/api/api-request')]);
      return await request.call(dispatcher, { method, path: url, headers, body });
    } catch (err) {
      throw connectError(err, this.host);
    }
  }

  /** A request whose answer is JSON (or empty); error answers throw DaemonError. */
  async json<T>(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<JsonResponse<T>> {
    if (opts.stream !== undefined) {
      const res = await this.raw(method, path, opts);
      return jsonAnswer<T>(res.statusCode, res.headers, await res.body.text());
    }
    const res = await this.send(method, path, opts);
    return jsonAnswer<T>(res.status, Object.fromEntries(res.headers), await res.body);
  }

  /** A request whose answer is a stream; error answers throw DaemonError. */
  async stream(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
    const res = await this.raw(method, path, opts);
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      throw new DaemonError(res.statusCode, errorMessage(text, res.statusCode));
    }
    return res;
  }

  async get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return (await this.json<T>('GET', path, query ? { query } : {})).body;
  }

  async close(): Promise<void> {
    this.connection.close();
    if (this.dispatcher) await (await this.dispatcher).close();
  }

  /** Ends the connections at once, with any stream still open on them (close() would wait for it). */
  async destroy(): Promise<void> {
    this.connection.close();
    if (this.dispatcher) await (await this.dispatcher).destroy();
  }
}

/** The CLI's "cannot connect" error for a failed connection, or `err` itself. */
export function connectError(err: unknown, host: string): unknown {
  if (err instanceof CommandExitError) return new ConnectError(`error during connect: ${err.message}`);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'UND_ERR_SOCKET') {
    const hint = code === 'EACCES' ? ' (permission denied: are you in the tsdocker group, or root?)' : '';
    return new ConnectError(
      `Cannot connect to the tsdocker daemon at ${host}. Is the tsdocker daemon running?${hint}\n` +
        `Start it with: sudo tsdockerd${host === DEFAULT_HOST ? '' : ` -H ${host}`}`,
    );
  }
  return err;
}

function jsonAnswer<T>(status: number, headers: JsonResponse<T>['headers'], text: string): JsonResponse<T> {
  if (status >= 400) throw new DaemonError(status, errorMessage(text, status));
  return { status, headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export function errorMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: Docker's older daemons answer some errors in plain text
  }
  return text.trim() || `status ${status}`;
}
