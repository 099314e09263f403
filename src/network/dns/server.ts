// The embedded DNS server: 127.0.0.11:53 over UDP and TCP in every container
// on a user network, as Docker's.
//
// Each container gets its own pair of sockets, opened inside its network
// namespace by the addon (netnsListen: setns on this thread, bind, setns back)
// and served from the daemon's namespace by Node. Nothing is shared between
// containers and nothing is reloaded: attaching or detaching one container
// never touches another's sockets, so no query is dropped while networks
// change (aardvark-dns#389). Names are looked up in the DnsDirectory on every
// query; other queries are forwarded from the daemon's namespace
// (forwarder.ts). Bounded per container: queries in flight (more get
// REFUSED), TCP connections, idle TCP time, UDP query size.
//
// Lifecycle: attach() in the start pipeline's network step once the netns
// exists (idempotent; a new netns for the same container, after a restart,
// replaces the old sockets), detach() in its undo (stop, exit, failed start,
// remove), close() at daemon shutdown. A socket keeps its namespace alive, so
// detach must come when the container's task goes.
import dgram from 'node:dgram';
import { closeSync, openSync, statSync } from 'node:fs';
import net from 'node:net';
import type { Logger } from 'pino';
import { netnsListen } from '../../native';
import { DEFAULT_FORWARDER, Forwarder, type ForwarderOptions } from './forwarder';
import { MAX_MSG_SIZE } from './message';
import { QueryResolver, type Proto } from './resolve';
import { DEFAULT_LIMITS, RESOLVER_IP, type DnsDirectory, type DnsLimits } from './types';

interface Listener {
  netnsIno: bigint;
  /** An open fd of the container's namespace, for forwarding from it (/proc/self/fd/N). */
  netnsFd: number;
  udp: dgram.Socket;
  tcp: net.Server;
  conns: Set<net.Socket>;
  inflight: number;
  closed: boolean;
}

export interface EmbeddedDnsOptions {
  directory: DnsDirectory;
  log: Logger;
  limits?: Partial<DnsLimits>;
  forwarder?: Partial<ForwarderOptions>;
  /** Where to listen in each namespace (tests): 127.0.0.11:53 by default. */
  address?: string;
  port?: number;
}

export class EmbeddedDns {
  private readonly listeners = new Map<string, Listener>();
  private readonly pending = new Map<string, Promise<void>>();
  /** Bumped by every detach: an attach that was still opening when its container was detached closes what it opened. */
  private readonly epochs = new Map<string, number>();
  private readonly resolver: QueryResolver;
  private readonly limits: DnsLimits;
  private readonly log: Logger;
  private readonly address: string;
  private readonly port: number;

  constructor(opts: EmbeddedDnsOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.resolver = new QueryResolver(opts.directory, new Forwarder({ ...DEFAULT_FORWARDER, ...opts.forwarder }));
    this.log = opts.log;
    this.address = opts.address ?? RESOLVER_IP;
    this.port = opts.port ?? 53;
  }

  /** Opens the container's sockets in the netns at netnsPath; idempotent per container and namespace. */
  attach(containerId: string, netnsPath: string): Promise<void> {
    const waiting = this.pending.get(containerId);
    const epoch = this.epochs.get(containerId) ?? 0;
    const run = (waiting ?? Promise.resolve()).catch(() => undefined).then(() => this.open(containerId, netnsPath, epoch));
    const tracked = run.finally(() => {
      if (this.pending.get(containerId) !== tracked) return;
      this.pending.delete(containerId);
      this.epochs.delete(containerId);
    });
    this.pending.set(containerId, tracked);
    return tracked;
  }

  /** Closes the container's sockets (queries in flight get no reply); nothing when it has none. */
  detach(containerId: string): void {
    this.epochs.set(containerId, (this.epochs.get(containerId) ?? 0) + 1);
    if (!this.pending.has(containerId)) this.epochs.delete(containerId);
    const l = this.listeners.get(containerId);
    if (!l) return;
    this.listeners.delete(containerId);
    this.closeListener(l);
  }

  close(): void {
    for (const id of [...this.listeners.keys()]) this.detach(id);
  }

  /** Containers with sockets open (tests, debugging). */
  attached(): string[] {
    return [...this.listeners.keys()];
  }

  private async open(containerId: string, netnsPath: string, epoch: number): Promise<void> {
    if ((this.epochs.get(containerId) ?? 0) !== epoch) return;
    const ino = statSync(netnsPath, { bigint: true }).ino;
    const current = this.listeners.get(containerId);
    if (current?.netnsIno === ino) return;
    if (current) this.detach(containerId);
    const netnsFd = openSync(netnsPath, 'r');
    let fds: { udp: number; tcp: number };
    try {
      fds = netnsListen(netnsPath, this.address, this.port);
    } catch (err) {
      closeSync(netnsFd);
      throw err;
    }
    const l: Listener = {
      netnsIno: ino, netnsFd, udp: dgram.createSocket('udp4'), tcp: net.createServer({ pauseOnConnect: false }), conns: new Set(), inflight: 0, closed: false,
    };
    try {
      await new Promise<void>((resolve, reject) => {
        l.udp.once('error', reject);
        l.udp.bind({ fd: fds.udp }, () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        l.tcp.once('error', reject);
        l.tcp.listen({ fd: fds.tcp }, () => resolve());
      });
    } catch (err) {
      this.closeListener(l);
      throw err;
    }
    if ((this.epochs.get(containerId) ?? 0) !== epoch) {
      this.closeListener(l);
      return;
    }
    l.udp.removeAllListeners('error');
    l.tcp.removeAllListeners('error');
    l.udp.on('error', (err) => this.log.warn({ err, containerId }, 'embedded DNS: UDP socket error'));
    l.tcp.on('error', (err) => this.log.warn({ err, containerId }, 'embedded DNS: TCP listener error'));
    l.udp.on('message', (msg, rinfo) => this.onDatagram(l, containerId, msg, rinfo));
    l.tcp.on('connection', (sock) => this.onConnection(l, containerId, sock));
    this.listeners.set(containerId, l);
  }

  private closeListener(l: Listener): void {
    l.closed = true;
    closeSync(l.netnsFd);
    for (const c of l.conns) c.destroy();
    l.conns.clear();
    try {
      l.udp.close();
    } catch {
      // never bound: the fd went with the failed bind
    }
    l.tcp.close();
  }

  /** Runs one query under the in-flight bound; `send` gets the reply unless the listener closed meanwhile. */
  private handle(l: Listener, asker: string, msg: Buffer, proto: Proto, send: (reply: Buffer) => void): void {
    if (l.inflight >= this.limits.maxInflight) {
      const refused = this.resolver.refuse(msg);
      if (refused) send(refused);
      return;
    }
    l.inflight++;
    this.resolver
      .resolve(msg, proto, asker, `/proc/self/fd/${l.netnsFd}`)
      .then((reply) => {
        if (reply && !l.closed) send(reply);
      })
      .catch((err: unknown) => this.log.warn({ err, containerId: asker }, 'embedded DNS: query failed'))
      .finally(() => l.inflight--);
  }

  private onDatagram(l: Listener, asker: string, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length > this.limits.maxUdpQuery) return;
    this.handle(l, asker, msg, 'udp', (reply) => l.udp.send(reply, rinfo.port, rinfo.address));
  }

  /** RFC 1035 4.2.2 framing (2-byte length); queries on one connection may be answered out of order (RFC 7766). */
  private onConnection(l: Listener, asker: string, sock: net.Socket): void {
    if (l.closed || l.conns.size >= this.limits.maxTcpConnections) {
      sock.destroy();
      return;
    }
    l.conns.add(sock);
    sock.setTimeout(this.limits.tcpIdleMs, () => sock.destroy());
    sock.on('close', () => l.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        this.handle(l, asker, Buffer.from(msg), 'tcp', (reply) => {
          if (sock.destroyed || reply.length > MAX_MSG_SIZE) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(reply.length, 0);
          sock.write(Buffer.concat([head, reply]));
        });
      }
    });
  }
}
