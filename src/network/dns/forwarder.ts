// Forwarding of the queries the embedded server does not own, over the
// protocol the client used, to the container's upstream servers in order:
// from the daemon's own network namespace for servers read from the host's
// resolv.conf (so a host resolver on 127.0.0.53 works), from the container's
// for servers the user gave (--dns, daemon.json dns), as Docker 28 does (a
// socket made in that namespace by the addon: --dns 127.0.0.1 reaches a
// resolver inside the container).
//
// Failover is fast (aardvark-dns#482 waits out a dead server on every query):
// each try has a short timeout, a server that timed out or refused (ICMP port
// unreachable) is remembered as dead for DEAD_FOR_MS and tried after the live
// ones only, and an answer from it brings it back. SERVFAIL and REFUSED from a
// server move on to the next one, as Docker's resolver does. Each UDP try uses
// its own socket (a fresh source port) connected to the server, and only a
// reply with the query's id is taken.
import dgram from 'node:dgram';
import net from 'node:net';
import { isIP } from 'node:net';
import { netnsSocket } from '../../native';
import { MAX_MSG_SIZE, RCODE, replyRcode } from './message';

export interface ForwarderOptions {
  /** Per-try timeout over UDP and TCP, ms. */
  tryTimeoutMs: number;
  /** How long a server that did not answer is tried last, ms. */
  deadForMs: number;
}

export const DEFAULT_FORWARDER: ForwarderOptions = { tryTimeoutMs: 1500, deadForMs: 30_000 };

/** An upstream as `ip` (port 53), `ip:port` or `[ipv6]:port`. */
export function parseUpstream(s: string): { host: string; port: number } | undefined {
  if (isIP(s)) return { host: s, port: 53 };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m || !isIP(m[1]!) || Number(m[2]) < 1 || Number(m[2]) > 65535) return undefined;
  return { host: m[1]!, port: Number(m[2]) };
}

class TryFailed extends Error {}

export class Forwarder {
  /** Server → time until which it counts as dead. */
  private readonly dead = new Map<string, number>();

  constructor(private readonly opts: ForwarderOptions = DEFAULT_FORWARDER) {}

  /** Live servers first, in their order, then the dead ones (oldest death first); `scope` is where they are reached from. */
  order(servers: readonly string[], scope = 'host'): string[] {
    const now = Date.now();
    const until = (s: string) => this.dead.get(`${scope}|${s}`) ?? 0;
    const live = servers.filter((s) => until(s) <= now);
    const dead = servers.filter((s) => until(s) > now).sort((a, b) => until(a) - until(b));
    return [...live, ...dead];
  }

  /**
   * The first usable reply from the servers, or undefined when none gave one
   * (the caller answers SERVFAIL). `query` is sent as is (the client's id).
   * With `from`, the sockets are made in that network namespace (`scope`
   * names it in the dead-server memory: a server dead from one container may
   * answer another).
   */
  async forward(query: Buffer, proto: 'udp' | 'tcp', servers: readonly string[], from?: { netnsPath: string; scope: string }): Promise<Buffer | undefined> {
    const scope = from?.scope ?? 'host';
    for (const server of this.order(servers, scope)) {
      const target = parseUpstream(server);
      if (!target) continue;
      const key = `${scope}|${server}`;
      let reply: Buffer;
      try {
        reply = proto === 'udp' ? await this.tryUdp(query, target, from?.netnsPath) : await this.tryTcp(query, target, from?.netnsPath);
      } catch {
        this.dead.set(key, Date.now() + this.opts.deadForMs);
        continue;
      }
      this.dead.delete(key);
      const rcode = replyRcode(reply);
      if (rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED) continue;
      return reply;
    }
    return undefined;
  }

  private tryUdp(query: Buffer, target: { host: string; port: number }, netnsPath?: string): Promise<Buffer> {
    const family = isIP(target.host) === 6 ? 6 : 4;
    const fd = netnsPath === undefined ? undefined : netnsSocket(netnsPath, family, 'udp');
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
      const id = query.readUInt16BE(0);
      let finished = false;
      const done = (err: Error | undefined, reply?: Buffer) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        sock.close();
        if (err) reject(err);
        else resolve(reply!);
      };
      const timer = setTimeout(() => done(new TryFailed('timeout')), this.opts.tryTimeoutMs);
      sock.on('error', (err) => done(err));
      sock.on('message', (msg) => {
        if (msg.length >= 12 && msg.readUInt16BE(0) === id && msg[2]! & 0x80) done(undefined, msg);
      });
      const send = () => sock.connect(target.port, target.host, () => sock.send(query, (err) => err && done(err)));
      if (fd === undefined) send();
      else sock.bind({ fd }, send);
    });
  }

  private tryTcp(query: Buffer, target: { host: string; port: number }, netnsPath?: string): Promise<Buffer> {
    const fd = netnsPath === undefined ? undefined : netnsSocket(netnsPath, isIP(target.host) === 6 ? 6 : 4, 'tcp');
    return new Promise((resolve, reject) => {
      const sock = fd === undefined ? net.connect({ host: target.host, port: target.port }) : new net.Socket({ fd, readable: true, writable: true }).connect({ host: target.host, port: target.port });
      let buf: Buffer = Buffer.alloc(0);
      let finished = false;
      const done = (err: Error | undefined, reply?: Buffer) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        sock.destroy();
        if (err) reject(err);
        else resolve(reply!);
      };
      const timer = setTimeout(() => done(new TryFailed('timeout')), this.opts.tryTimeoutMs);
      sock.on('error', (err) => done(err));
      sock.on('close', () => done(new TryFailed('closed before a reply')));
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length > MAX_MSG_SIZE + 2) return done(new TryFailed('reply too long'));
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(undefined, buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length, 0);
      sock.write(Buffer.concat([len, query]));
    });
  }
}
