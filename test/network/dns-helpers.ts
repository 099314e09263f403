// Test fixtures for the embedded DNS server: network namespaces made with
// `ip netns add` (unique names, removed after), test upstream DNS servers on
// unique 127.53.x.y addresses in the host namespace (never the real resolvers),
// and the dns-client.cjs run inside a namespace.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { join } from 'node:path';
import { buildReply, parseQuery, RCODE, TYPE } from '../../src/network/dns/message';

export const CLIENT = join(__dirname, '..', 'helpers', 'dns-client.cjs');

export interface Reply {
  rcode: number;
  tc: boolean;
  ra: boolean;
  aa: boolean;
  answers: Array<{ name: string; type: number; ttl: number; data: string }>;
  error?: string;
}

export interface ClientResult {
  replies: Reply[];
  latenciesUs: number[];
  totalUs: number;
}

export function makeNetns(tag: string): { name: string; path: string; remove(): void } {
  const name = `tsddns-${tag}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr}`);
  return { name, path: `/run/netns/${name}`, remove: () => void spawnSync('ip', ['netns', 'del', name]) };
}

/** Runs dns-client.cjs in the namespace (asynchronously, so this process keeps serving). */
export function query(ns: string, name: string, type: string, proto: 'udp' | 'tcp', count = 1, concurrency = 1, server = '127.0.0.11'): Promise<ClientResult> {
  return runClient(['ip', 'netns', 'exec', ns], [server, name, type, proto, String(count), String(concurrency)]);
}

/** dns-client.cjs in the network namespace of process `pid` (a container's), asynchronously (a test upstream in this process keeps answering). */
export function queryPid(pid: number, name: string, type: string, proto: 'udp' | 'tcp', count = 1, concurrency = 1): Promise<ClientResult> {
  return runClient(['nsenter', `--net=/proc/${pid}/ns/net`], ['127.0.0.11', name, type, proto, String(count), String(concurrency)]);
}

function runClient(prefix: string[], args: string[]): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(prefix[0]!, [...prefix.slice(1), process.execPath, CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`dns client exited ${code}: ${err}`));
      resolve(JSON.parse(out) as ClientResult);
    });
  });
}

/** busybox nslookup in the namespace: its output and status. */
export function nslookup(ns: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'busybox', 'nslookup', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** A unique loopback address of the host namespace for a test upstream. */
export function loopbackAddress(): string {
  const b = () => 1 + Math.floor(Math.random() * 250);
  return `127.53.${b()}.${b()}`;
}

export interface Upstream {
  address: string;
  /** Queries received (UDP and TCP). */
  count(): number;
  close(): Promise<void>;
}

/**
 * A test DNS server on address:53 (UDP and TCP; a unique 127.53.x.y unless given): A for any name → 192.0.2.7,
 * NXDOMAIN for names starting with "nx"; silent (never answers) when `silent`.
 */
export async function startUpstream(opts: { silent?: boolean; address?: string } = {}): Promise<Upstream> {
  const address = opts.address ?? loopbackAddress();
  let received = 0;
  const answer = (msg: Buffer): Buffer | undefined => {
    received++;
    if (opts.silent) return undefined;
    const q = parseQuery(msg);
    const name = q.question?.name ?? '';
    if (name.startsWith('nx')) return buildReply(q, RCODE.NXDOMAIN, [], 512);
    if (q.question?.type !== TYPE.A) return buildReply(q, RCODE.NOERROR, [], 512);
    return buildReply(q, RCODE.NOERROR, [{ type: TYPE.A, ttl: 30, data: '192.0.2.7' }], 512);
  };
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const reply = answer(msg);
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(53, address, () => resolve());
  });
  const conns = new Set<net.Socket>();
  const tcp = net.createServer((sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const reply = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (!reply) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length, 0);
        sock.write(Buffer.concat([len, reply]));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(53, address, () => resolve());
  });
  return {
    address,
    count: () => received,
    close: async () => {
      udp.close();
      for (const c of conns) c.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
