// Hijacked connections (attach, exec start): the client asks for
// `Connection: Upgrade, Upgrade: tcp`, and after the answer the connection
// carries raw stream bytes both ways. Node hands such requests to the server's
// 'upgrade' event with the HTTP parser already detached; `routeUpgrade` sends
// them through the same Fastify routing as every request (so versioning and
// error answers stay in one place), with the body (exec start's JSON) read
// beforehand. A route then calls `hijack()` to answer 101 and own the socket.
// Requests without Upgrade are answered 200 and streamed the same way (output
// only), as dockerd does.
import type { FastifyReply, FastifyRequest } from 'fastify';
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { API_VERSION, ENGINE_VERSION, compareVersions } from '../api/version';

type Routing = (req: IncomingMessage, res: http.ServerResponse) => void;

const upgradeBodies = new WeakMap<IncomingMessage, unknown>();

const MAX_UPGRADE_BODY = 1 << 20;

export function routeUpgrade(routing: Routing, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_UPGRADE_BODY) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  let buffered = head;
  const dispatch = (): void => {
    socket.pause();
    const body = buffered.subarray(0, length);
    const rest = buffered.subarray(length);
    if (rest.length > 0) socket.unshift(rest);
    if (length > 0 && String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      try {
        upgradeBodies.set(req, JSON.parse(body.toString()));
      } catch {
        upgradeBodies.set(req, undefined);
      }
    }
    // The body is consumed: Fastify must not wait for one.
    delete req.headers['content-length'];
    delete req.headers['content-type'];
    delete req.headers['transfer-encoding'];
    const res = new http.ServerResponse(req);
    res.assignSocket(socket as import('node:net').Socket);
    res.shouldKeepAlive = false;
    // An error answer (404, 409, …) ends the connection.
    res.on('finish', () => socket.end());
    routing(req, res);
  };
  if (buffered.length >= length) return dispatch();
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length < length) return;
    socket.off('data', onData);
    dispatch();
  };
  socket.on('data', onData);
}

/** The JSON body of a request, whether it came through Fastify or before an upgrade. */
export function requestBody<T>(req: FastifyRequest): T | undefined {
  return (upgradeBodies.has(req.raw) ? upgradeBodies.get(req.raw) : req.body) as T | undefined;
}

/** Answers the request (101 with Upgrade, else 200) and returns the raw connection. */
export function hijack(req: FastifyRequest, reply: FastifyReply, contentType: string): Duplex {
  reply.hijack();
  const socket = req.raw.socket;
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase() === 'tcp';
  const lines = [
    upgrade ? 'HTTP/1.1 101 UPGRADED' : 'HTTP/1.1 200 OK',
    `Content-Type: ${contentType}`,
    ...(upgrade ? ['Connection: Upgrade', 'Upgrade: tcp'] : []),
    `Api-Version: ${API_VERSION}`,
    'Ostype: linux',
    `Server: Docker/${ENGINE_VERSION} (linux)`,
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  socket.setTimeout(0);
  return socket;
}

/** Docker's stream media type: multiplexed frames without a tty from API 1.42 on. */
export function streamType(tty: boolean, apiVersion: string): string {
  return !tty && compareVersions(apiVersion, '1.42') >= 0 ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
}
