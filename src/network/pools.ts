// Choosing a subnet for a network: daemon.json `default-address-pools`, else
// Docker's defaults (172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/16 in
// /20s), skipping any that overlaps a route of the host (read from /proc, so
// a docker0, another daemon's bridges or a VPN are seen) or a network of
// ours. Several daemons run on one host in tests: the choice and the
// bridge's creation happen under one flock, /run/tsdocker-ipam.lock.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { flock } from '../native';
import { isErrno, UnavailableError } from '../errors';
import { formatAddr, formatPrefix, overlaps, parsePrefix, splitPool, type Prefix } from './ip';
import type { IpamPool } from './types';

export interface AddressPool {
  base: string;
  size: number;
}

export const DOCKER_DEFAULT_POOLS: readonly AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

const LOCK_PATH = '/run/tsdocker-ipam.lock';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return '';
    throw err;
  }
}

/** The host's routes (v4 and v6), default and link-local routes left out. */
export function hostRoutes(): Prefix[] {
  const out: Prefix[] = [];
  for (const line of readText('/proc/net/route').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const le = (hex: string) => BigInt(`0x${hex.match(/../g)!.reverse().join('')}`);
    const mask = le(f[7]!);
    if (mask === 0n) continue;
    const bits = mask.toString(2).replace(/0+$/, '').length;
    out.push({ family: 4, base: le(f[1]!), bits });
  }
  for (const line of readText('/proc/net/ipv6_route').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const bits = parseInt(f[1]!, 16);
    const base = BigInt(`0x${f[0]}`);
    if (bits === 0 || f[0]!.startsWith('fe80') || f[0]!.startsWith('ff')) continue;
    out.push({ family: 6, base, bits });
  }
  return out;
}

let chain: Promise<unknown> = Promise.resolve();

/**
 * Runs fn holding the host-wide IPAM lock (other daemons: flock, waited for
 * up to 10 s; this daemon's own callers: one after the other, since flocks
 * of one process on two descriptors would wait on each other).
 */
export function withIpamLock<T>(fn: () => Promise<T> | T): Promise<T> {
  const run = chain.then(async () => {
    const fd = openSync(LOCK_PATH, 'a', 0o600);
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          flock(fd, true, true);
          break;
        } catch (err) {
          if (!isErrno(err, 'EWOULDBLOCK') || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      return await fn();
    } finally {
      closeSync(fd); // releases the lock
    }
  });
  chain = run.catch(() => undefined);
  return run;
}

/** The first free IPv4 subnet of the pools, with its gateway (the first address). */
export function chooseSubnet(pools: readonly AddressPool[], taken: readonly Prefix[]): IpamPool {
  const busy = [...taken, ...hostRoutes()];
  for (const pool of pools) {
    for (const candidate of splitPool(parsePrefix(pool.base), pool.size)) {
      if (busy.some((b) => overlaps(b, candidate))) continue;
      return { subnet: formatPrefix(candidate), gateway: formatAddr(4, candidate.base + 1n) };
    }
  }
  throw new UnavailableError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/** A unique-local IPv6 /64 (RFC 4193: fd + 40 random bits), its gateway ::1. */
export function ulaSubnet(taken: readonly Prefix[]): IpamPool {
  for (;;) {
    const r = randomBytes(5);
    const base = (0xfdn << 120n) | (BigInt(`0x${r.toString('hex')}`) << 80n);
    const p: Prefix = { family: 6, base, bits: 64 };
    if (taken.some((t) => overlaps(t, p))) continue;
    return { subnet: formatPrefix(p), gateway: formatAddr(6, base + 1n) };
  }
}
