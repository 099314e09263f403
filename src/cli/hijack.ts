// Hijacked requests (attach, exec start): an HTTP/1.1 POST with
// `Connection: Upgrade` and `Upgrade: tcp` on a connection of its own; after
// the daemon's 101 (older dockerds answer attach with 200) the same socket
// carries raw stream bytes both ways. node:net directly, not undici's upgrade
// API: nothing more to load, and the socket can be half-closed after stdin's EOF.
import type { Duplex } from 'node:stream';
import type { ApiClient, RequestOptions } from './client';
import { DaemonError, connectError, errorMessage } from './client';
import { connect, readBody, readHead } from './http';

export interface HijackOptions {
  query?: RequestOptions['query'];
  /** A JSON body (exec start's `{Detach, Tty}`). */
  body?: unknown;
}

/** Opens the hijacked stream; rejects with DaemonError on an error answer. */
export async function hijack(client: ApiClient, path: string, opts: HijackOptions = {}): Promise<Duplex> {
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

