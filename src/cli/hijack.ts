// Hijacked requests (attach, exec start): an HTTP/1.1 POST with
// `Connection: Upgrade` and `Upgrade: tcp` on a connection of its own; after
// the daemon's 101 (older dockerds answer attach with 200) the same socket
// carries raw stream bytes both ways. node:net directly, not undici's upgrade
// API: nothing more to load, and the socket can be half-closed after stdin's EOF.
import net from 'node:net';
import type { ApiClient, RequestOptions } from './client';
import { DaemonError, connectError, errorMessage } from './client';
import { tcpTarget, tlsConnectOptions, type TlsSettings } from './endpoint';

export interface HijackOptions {
  query?: RequestOptions['query'];
  /** A JSON body (exec start's `{Detach, Tty}`). */
  body?: unknown;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

/** Opens the hijacked stream; rejects with DaemonError on an error answer. */
export async function hijack(client: ApiClient, path: string, opts: HijackOptions = {}): Promise<net.Socket> {
  const url = await client.url(path, opts.query);
  const body = opts.body === undefined ? '' : JSON.stringify(opts.body);
  const socket = connect(client.host, client.tls);
  const request =
    `POST ${url} HTTP/1.1\r\n` +
    'Host: api.moby.localhost\r\n' +
    'User-Agent: tsdocker-cli\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: Upgrade\r\n' +
    `Content-Type: ${opts.body === undefined ? 'text/plain' : 'application/json'}\r\n` +
    'Upgrade: tcp\r\n\r\n' +
    body;
  socket.write(request);
  try {
    const { status, headers, rest } = await readHead(socket);
    if (status === 101 || status === 200) {
      if (rest.length > 0) socket.unshift(rest);
      return socket;
    }
    const text = await readBody(socket, headers, rest);
    socket.destroy();
    throw new DaemonError(status, errorMessage(text, status));
  } catch (err) {
    socket.destroy();
    throw connectError(err, client.host);
  }
}

function connect(host: string, tls: TlsSettings | undefined): net.Socket {
  if (host.startsWith('unix://')) return net.connect({ path: host.slice('unix://'.length), allowHalfOpen: true });
  if (host.startsWith('tcp://')) {
    const { hostname, port } = tcpTarget(host, tls);
    const socket = net.connect({ host: hostname, port, allowHalfOpen: true });
    socket.setNoDelay(true);
    // TLS over that socket keeps its half-open mode; `host` is the name the server's certificate is checked against.
    return tls ? process.getBuiltinModule('node:tls').connect({ socket, host: hostname, ...tlsConnectOptions(tls, hostname) }) : socket;
  }
  throw new Error(`unsupported protocol scheme in host: ${host}`);
}

interface Head {
  status: number;
  headers: Map<string, string>;
  rest: Buffer;
}

/** Reads the status line and headers; what follows them is handed back as `rest`. */
function readHead(socket: net.Socket): Promise<Head> {
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
  });
}

/** The body of an error answer: by Content-Length, chunked, or up to the close. */
function readBody(socket: net.Socket, headers: Map<string, string>, rest: Buffer): Promise<string> {
  const length = headers.get('content-length');
  const chunked = /chunked/i.test(headers.get('transfer-encoding') ?? '');
  return new Promise((resolve) => {
    let data = rest;
    const complete = (): Buffer | undefined => {
      if (length !== undefined) return data.length >= Number(length) ? data.subarray(0, Number(length)) : undefined;
      if (chunked) return dechunk(data);
      return undefined;
    };
    const finish = (body: Buffer) => {
      socket.removeAllListeners('data');
      resolve(body.toString('utf8'));
    };
    const ready = complete();
    if (ready) return finish(ready);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const body = complete();
      if (body) finish(body);
    });
    socket.on('end', () => finish(chunked ? (dechunk(data) ?? Buffer.alloc(0)) : data));
    socket.on('error', () => finish(data));
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
