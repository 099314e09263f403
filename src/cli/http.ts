// The CLI's own HTTP/1.1 over node:net, for the requests on a command's hot
// path (ping, create, start, wait, kill: short JSON both ways) and for the
// hijacked streams: no HTTP library to load before the first request. One
// request at a time per connection, kept alive between them. Streamed bodies
// (logs, stats, events, archives) go through undici (client.ts).
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { tcpTarget, tlsConnectOptions, type TlsSettings } from './endpoint';
import { connectPipe } from './pipe';

/** What the request code uses of a connection: a net.Socket, or pipe.ts's PipeSocket. */
export type ByteSocket = EventEmitter & { write(data: string): unknown; pause(): unknown; resume(): unknown; destroy(): unknown; readonly destroyed: boolean };
import { dialSsh } from './ssh';

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

/** A new connection to the daemon: a socket, or for ssh:// an ssh process's stdio (ssh.ts). */
export function connect(host: string, tls?: TlsSettings): Duplex {
  if (host.startsWith('unix://')) return net.connect({ path: host.slice('unix://'.length), allowHalfOpen: true });
  if (host.startsWith('tcp://')) {
    const { hostname, port } = tcpTarget(host, tls);
    const socket = net.connect({ host: hostname, port, allowHalfOpen: true });
    socket.setNoDelay(true);
    // TLS over that socket keeps its half-open mode; `host` is the name the server's certificate is checked against.
    return tls ? process.getBuiltinModule('node:tls').connect({ socket, host: hostname, ...tlsConnectOptions(tls, hostname) }) : socket;
  }
  if (host.startsWith('ssh://')) return dialSsh(host);
  throw new Error(`unsupported protocol scheme in host: ${host}`);
}

/** The connection of short requests: on a unix socket without node:net where the pipe binding allows. */
function connectShort(host: string, tls?: TlsSettings): ByteSocket {
  return (host.startsWith('unix://') && connectPipe(host.slice('unix://'.length))) || connect(host, tls);
}

export interface Head {
  status: number;
  headers: Map<string, string>;
  rest: Buffer;
}

/** Reads the status line and headers; what follows them is handed back as `rest`. */
export function readHead(socket: ByteSocket): Promise<Head> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (err?: Error, head?: Head) => {
      socket.off('data', onData).off('error', onError).off('end', onEnd);
      socket.pause();
      if (err) reject(err);
      else resolve(head!);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(HEAD_END);
      if (end < 0) {
        if (buffered.length > MAX_HEAD) done(new Error('malformed HTTP response: header too long'));
        return;
      }
      const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
      if (!status) return done(new Error(`malformed HTTP response ${JSON.stringify(lines[0])}`));
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      done(undefined, { status: Number(status[1]), headers, rest: buffered.subarray(end + HEAD_END.length) });
    };
    const onError = (err: Error) => done(err);
    const onEnd = () => done(new Error('the daemon closed the connection before answering'));
    socket.on('data', onData).on('error', onError).on('end', onEnd);
    // A kept-alive socket was paused after the previous answer.
    socket.resume();
  });
}

/** The body of an error answer: by Content-Length, chunked, or up to the close. */
export function readBody(socket: ByteSocket, headers: Map<string, string>, rest: Buffer): Promise<string> {
  const length = headers.get('content-length');
  const chunked = /chunked/i.test(headers.get('transfer-encoding') ?? '');
  return new Promise((resolve) => {
    let data = rest;
    const complete = (): Buffer | undefined => {
      if (length !== undefined) return data.length >= Number(length) ? data.subarray(0, Number(length)) : undefined;
      if (chunked) return dechunk(data);
      return undefined;
    };
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const body = complete();
      if (body) finish(body);
    };
    const onEnd = () => finish(chunked ? (dechunk(data) ?? Buffer.alloc(0)) : data);
    const onError = () => finish(data);
    const finish = (body: Buffer) => {
      socket.off('data', onData).off('end', onEnd).off('error', onError);
      socket.pause();
      resolve(body.toString('utf8'));
    };
    const ready = complete();
    if (ready) return finish(ready);
    socket.on('data', onData).on('end', onEnd).on('error', onError);
    socket.resume();
  });
}

/** A chunked body once its last chunk has arrived, else undefined. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return Buffer.concat(parts);
    if (size === 0) return Buffer.concat(parts);
    if (data.length < eol + 2 + size) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

export interface HttpAnswer {
  status: number;
  headers: Map<string, string>;
  /** The body, read once the head has been handed over. */
  body: Promise<string>;
}

/** A kept-alive connection to the daemon serving one request at a time, in the order asked. */
export class HttpConnection {
  private socket: ByteSocket | undefined;
  private idle: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: string,
    private readonly tls?: TlsSettings,
  ) {}

  /** Sends a request; resolves with the head once it has arrived, the body following. */
  request(method: string, path: string, headers: Record<string, string>, body = ''): Promise<HttpAnswer> {
    const answer = this.idle.then(() => this.exchange(method, path, headers, body));
    // The next request waits for this one's body (or its failure).
    this.idle = answer.then((a) => a.body).catch(() => undefined);
    return answer;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private async exchange(method: string, path: string, headers: Record<string, string>, body: string): Promise<HttpAnswer> {
    const reused = this.socket !== undefined;
    try {
      return await this.send(method, path, headers, body);
    } catch (err) {
      const closed = this.socket === undefined || this.socket.destroyed;
      this.close();
      // A kept-alive connection the daemon closed while idle: once more on a new one.
      if (!reused || !closed) throw err;
      return this.send(method, path, headers, body);
    }
  }

  private async send(method: string, path: string, headers: Record<string, string>, body: string): Promise<HttpAnswer> {
    if (!this.socket) {
      const fresh = connectShort(this.host, this.tls);
      fresh.once('end', () => {
        if (this.socket === fresh) this.socket = undefined;
        fresh.destroy();
      });
      this.socket = fresh;
    }
    const socket = this.socket;
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: api.moby.localhost', `Content-Length: ${Buffer.byteLength(body)}`];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    const head = await readHead(socket);
    const empty = method === 'HEAD' || head.status === 204 || head.status === 304 || head.headers.get('content-length') === '0';
    const text = empty ? Promise.resolve('') : readBody(socket, head.headers, head.rest);
    if (/close/i.test(head.headers.get('connection') ?? '')) void text.finally(() => socket.destroy());
    return { status: head.status, headers: head.headers, body: text };
  }
}
