// The CLI's one HTTP client: talks to the daemon over unix:// or tcp:// with
// undici's Client (only the Client is loaded, to keep start-up short),
// negotiates the API version with one /_ping like the docker CLI, and turns
// error answers into DaemonError with Docker's message.
import type { Readable } from 'node:stream';
import Client from 'undici/lib/dispatcher/client';
import request from 'undici/lib/api/api-request';
import type { Dispatcher } from 'undici';
import { API_VERSION, FALLBACK_API_VERSION, compareVersions } from '../api/version';
import { DEFAULT_HOST, tcpTarget, tlsConnectOptions, type TlsSettings } from './endpoint';

/** An error answer from the daemon; the CLI prints "Error response from daemon: …". */
export class DaemonError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

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

function makeClient(host: string, tls: TlsSettings | undefined): Dispatcher {
  if (host.startsWith('unix://')) {
    return new Client('http://localhost', { socketPath: host.slice('unix://'.length) }) as unknown as Dispatcher;
  }
  if (host.startsWith('tcp://')) {
    const target = tcpTarget(host, tls);
    return new Client(target.origin, tls ? { connect: tlsConnectOptions(tls, target.hostname) } : {}) as unknown as Dispatcher;
  }
  throw new Error(`unsupported protocol scheme in host: ${host}`);
}

export class ApiClient {
  private readonly dispatcher: Dispatcher;
  private version: string | undefined;

  constructor(
    readonly host: string,
    readonly tls?: TlsSettings,
  ) {
    this.dispatcher = makeClient(host, tls);
    const pinned = process.env['DOCKER_API_VERSION'];
    if (pinned) this.version = pinned;
  }

  /** The API version in use: ours, or the daemon's when it is older. */
  async apiVersion(): Promise<string> {
    if (this.version === undefined) {
      // GET, not docker's HEAD: undici closes the connection after a HEAD, and
      // the next request would pay for a new one.
      const res = await this.raw('GET', '/_ping', {}, false);
      await res.body.dump();
      const header = res.headers['api-version'];
      const server = typeof header === 'string' && header !== '' ? header : FALLBACK_API_VERSION;
      this.version = compareVersions(server, API_VERSION) < 0 ? server : API_VERSION;
    }
    return this.version;
  }

  /** `/vX.Y/path?query` as requests send it (the hijack builds its own request line with it). */
  async url(path: string, query: RequestOptions['query'] = {}, versioned = true): Promise<string> {
    const prefix = versioned ? `/v${await this.apiVersion()}` : '';
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) v.forEach((x) => params.append(k, x));
      else params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    }
    const qs = params.toString();
    return `${prefix}${path}${qs ? `?${qs}` : ''}`;
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
      return await request.call(this.dispatcher, { method, path: url, headers, body });
    } catch (err) {
      throw connectError(err, this.host);
    }
  }

  /** A request whose answer is JSON (or empty); error answers throw DaemonError. */
  async json<T>(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<JsonResponse<T>> {
    const res = await this.raw(method, path, opts);
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new DaemonError(res.statusCode, errorMessage(text, res.statusCode));
    return { status: res.statusCode, headers: res.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
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
    await this.dispatcher.close();
  }

  /** Ends the connection at once, with any stream still open on it (close() would wait for it). */
  async destroy(): Promise<void> {
    await this.dispatcher.destroy();
  }
}

/** The CLI's "cannot connect" error for a failed connection, or `err` itself. */
export function connectError(err: unknown, host: string): unknown {
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

export function errorMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: Docker's older daemons answer some errors in plain text
  }
  return text.trim() || `status ${status}`;
}
