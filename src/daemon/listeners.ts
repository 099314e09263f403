// The daemon's API listeners: one HTTP server per -H host, each handing its
// requests to the same Fastify routing. Unix sockets are created 0660 and given
// to the `tsdocker` group when that group exists. With TLS configured every TCP
// listener speaks TLS (tls.ts); without client verification TCP is only served on
// loopback.
import { lookup } from 'node:dns/promises';
import { chmodSync, chownSync, readFileSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Duplex } from 'node:stream';
import { routeUpgrade } from './hijack';
import { gateTls, type TlsOptions } from './tls';
import { InvalidArgumentError, isErrno, messageOf } from '../errors';
import { mallocTrim } from '../native';

export type HostAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export const DEFAULT_TCP_PORT = 2375;

/** Parses a -H value: unix:///path, tcp://host:port (dockerd's forms). */
export function parseHost(value: string): HostAddress {
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    if (!path.startsWith('/')) throw new InvalidArgumentError(`invalid unix socket path: ${value}`);
    return { kind: 'unix', path };
  }
  if (value.startsWith('tcp://')) {
    // dockerd's tcp://:2375 is every address: the URL parser wants a host there.
    const url = URL.parse(value.replace(/^tcp:\/\/(?=:|$)/, 'tcp://0.0.0.0').replace(/^tcp:/, 'http:'));
    if (url === null) throw new InvalidArgumentError(`invalid bind address format: ${value}`);
    if (url.pathname !== '/' && url.pathname !== '') throw new InvalidArgumentError(`invalid bind address (${value}): should not contain a path element`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port === '' ? DEFAULT_TCP_PORT : Number(url.port);
    return { kind: 'tcp', host, port };
  }
  throw new InvalidArgumentError(`invalid bind address format: ${value}`);
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4'); // also matches ::ffff:127.x.y.z
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether every address `host` stands for is a loopback one ("localhost" is, without a lookup, as for dockerd). */
async function isLoopback(host: string): Promise<boolean> {
  if (host === 'localhost') return true;
  const family = net.isIP(host);
  const addresses = family !== 0 ? [{ address: host, family }] : await lookup(host, { all: true });
  return addresses.length > 0 && addresses.every((a) => LOOPBACK.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4'));
}

/**
 * Checks every -H value before anything is opened, and refuses TCP off loopback
 * unless clients must show a certificate (--tlsverify): whoever reaches such a port
 * is root on this host. As dockerd ≥ 27, `--tls` alone (encrypted, anyone may
 * connect) does not count.
 */
export async function checkHosts(values: readonly string[], tlsVerify: boolean): Promise<void> {
  if (tlsVerify) {
    values.forEach(parseHost);
    return;
  }
  for (const value of values) {
    const address = parseHost(value);
    if (address.kind !== 'tcp') continue;
    let loopback: boolean;
    try {
      loopback = await isLoopback(address.host);
    } catch (err) {
      throw new InvalidArgumentError(`refusing to listen on ${value}: cannot resolve ${address.host}: ${messageOf(err)}`);
    }
    if (!loopback) {
      throw new InvalidArgumentError(
        `refusing to listen on ${value}: binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network: ` +
          'serve it with --tlsverify (certificates: tsdocker tls init), or listen on a Unix socket or a loopback address (tcp://127.0.0.1:2375)',
      );
    }
  }
}

export interface Listener {
  readonly address: string;
  /** New TLS settings for the connections to come (a TLS listener only). */
  setTls?(options: TlsOptions): void;
  close(): Promise<void>;
}

function groupId(name: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [group, , gid] = line.split(':');
      if (group === name && gid !== undefined) return Number(gid);
    }
  } catch {
    // no /etc/group: no group to give the socket to
  }
  return undefined;
}

/** Removes a socket file left by a dead daemon; refuses one that still answers. */
async function clearStaleSocket(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new InvalidArgumentError(`listen unix ${path}: bind: address already in use (another daemon is serving it)`);
  try {
    unlinkSync(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

/** Whether a request came with a body (Content-Length above 0, or chunked). */
function sentBody(req: http.IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

// glibc keeps the heap pages a burst of requests freed (its trim threshold
// rises with the largest block freed): ~2 MB after 20 000 requests. Once no
// request has come for a second, they go back to the kernel (~1 ms, once per
// quiet spell: the timer is re-armed by the next request).
const IDLE_TRIM_MS = 1000;
let idleTrim: NodeJS.Timeout | undefined;

function requestCame(): void {
  if (idleTrim) idleTrim.refresh();
  else idleTrim = setTimeout(mallocTrim, IDLE_TRIM_MS).unref();
}

/** Serves one -H host; `tls` (the daemon's TLS settings) applies to TCP hosts. */
export async function listen(app: FastifyInstance, value: string, group: string, tls?: TlsOptions): Promise<Listener> {
  const address = parseHost(value);
  const inFlight = new WeakMap<Duplex, http.IncomingMessage>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    requestCame();
    inFlight.set(req.socket, req);
    app.routing(req, res);
  };
  // `secure` instead of `instanceof https.Server` below: an idle daemon without TLS never loads https (and tls).
  const secure = tls && address.kind === 'tcp' ? https.createServer(tls, onRequest) : undefined;
  const server: http.Server = secure ?? http.createServer(onRequest);
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => routeUpgrade((rq, rs) => app.routing(rq, rs), req, socket, head));
  server.keepAliveTimeout = 60_000;
  // A client that half-closes after sending a body (a shell pipe into `load`) still gets the whole answer, as from
  // dockerd (Node's default aborts the request at the client's FIN); one that half-closes a request without a body
  // (an `events` or `logs -f` reader that quit) is gone, as before. Upgraded (hijacked) connections are not touched.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on(secure ? 'secureConnection' : 'connection', (socket: Duplex) =>
    socket.once('end', () => {
      const req = inFlight.get(socket);
      if (req && !sentBody(req)) socket.destroy();
    }),
  );
  // The socket bound: the HTTP(S) server itself, or the plaintext gate in front of a TLS one.
  const bound: net.Server = secure ? gateTls(secure) : server;
  if (address.kind === 'unix') await clearStaleSocket(address.path);
  await new Promise<void>((resolve, reject) => {
    bound.once('error', reject);
    if (address.kind === 'unix') bound.listen(address.path, resolve);
    else bound.listen(address.port, address.host, resolve);
  });
  if (address.kind === 'unix') {
    chmodSync(address.path, 0o660);
    const gid = groupId(group);
    if (gid !== undefined) chownSync(address.path, 0, gid);
  }
  return {
    address: value,
    ...(secure ? { setTls: (options: TlsOptions) => secure.setSecureContext(options) } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        if (bound !== server) bound.close();
        server.close(() => resolve());
        server.closeAllConnections();
        if (address.kind === 'unix') {
          try {
            unlinkSync(address.path);
          } catch {
            // already gone
          }
        }
      }),
  };
}
