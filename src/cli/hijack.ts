// Hijacked requests (attach, exec start): an HTTP/1.1 POST with
// `Connection: Upgrade` and `Upgrade: tcp` on a connection of its own; after
// the daemon's 101 (older dockerds answer attach with 200) the same socket
// carries raw stream bytes both ways. node:net directly, not undici's upgrade
// API: nothing more to load, and the socket can be half-closed after stdin's EOF.
import type { ApiClient, RequestOptions } from './client';
import { connectError } from './client';
import { type ByteSocket, connect, readBody, readHead } from './http';
import { connectPipe } from './pipe';

/** The hijacked connection: a net.Socket, or (output only, on a unix socket) pipe.ts's PipeSocket. */
export type HijackedSocket = ByteSocket & { write(data: string | Buffer): unknown; end(): unknown; unshift(chunk: Buffer): unknown };

export interface HijackOptions {
  query?: RequestOptions['query'];
  /** A JSON body (exec start's `{Detach, Tty}`). */
  body?: unknown;
  /** No stdin to send: a unix socket may go without node:net (pipe.ts). */
  outputOnly?: boolean;
}

/** Opens the hijacked stream; rejects on an error answer as the docker client does. */
export async function hijack(client: ApiClient, path: string, opts: HijackOptions = {}): Promise<HijackedSocket> {
  const url = await client.url(path, opts.query);
  const body = opts.body === undefined ? '' : JSON.stringify(opts.body);
  const pipe = opts.outputOnly && client.host.startsWith('unix://') ? connectPipe(client.host.slice('unix://'.length)) : undefined;
  const socket: HijackedSocket = pipe ?? connect(client.host, client.tls);
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
    await readBody(socket, headers, rest);
    socket.destroy();
    // The docker client's words for any other answer, whatever the daemon's message.
    throw new Error(`unable to upgrade to tcp, received ${status}`);
  } catch (err) {
    socket.destroy();
    throw connectError(err, client.host);
  }
}

