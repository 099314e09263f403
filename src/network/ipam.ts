// Address management of one network, in the caller's transaction: an
// endpoint's IPv4 (and IPv6) lease, either the one the client asked for or
// the next free one after the subnet's cursor (serial, as Docker's bitseq
// allocator: a released address comes back only after the whole range has
// been handed out), with Docker's errors.
import { ForbiddenError, InvalidArgumentError, UnavailableError } from '../errors';
import type { Tx } from '../state/tx';
import { contains, formatAddr, hostRange, parseAddr, parsePrefix, type Prefix } from './ip';
import type { NetworkRecord, NetworkStore } from './records';
import type { IpamPool } from './types';

export interface Lease {
  address: string;
  /** The pool's subnet (for the prefix length and the gateway). */
  pool: IpamPool;
}

function poolsOf(net: NetworkRecord, family: 4 | 6): Array<{ pool: IpamPool; prefix: Prefix }> {
  return net.pools.map((pool) => ({ pool, prefix: parsePrefix(pool.subnet) })).filter((p) => p.prefix.family === family);
}

/** Gateway and auxiliary addresses are never leased. */
function reserved(net: NetworkRecord): Set<string> {
  return new Set([...net.pools.map((p) => p.gateway).filter((g) => g !== ''), ...Object.values(net.auxAddresses)]);
}

function requestedLease(tx: Tx, store: NetworkStore, net: NetworkRecord, family: 4 | 6, wanted: string, endpointId: string): Lease {
  const addr = parseAddr(wanted);
  if (!addr || addr.family !== family) throw new InvalidArgumentError(`invalid IPv${family} address: ${wanted}`);
  const match = poolsOf(net, family).find((p) => contains(p.prefix, family, addr.value));
  if (!match) throw new InvalidArgumentError(`Invalid address ${wanted}: It does not belong to any of this network's subnets`);
  const address = formatAddr(family, addr.value);
  if (reserved(net).has(address) || !store.lease(tx, net.id, address, endpointId)) throw new ForbiddenError('Address already in use');
  return { address, pool: match.pool };
}

/** The lease of one family for an endpoint; `wanted` is the client's --ip/--ip6 ('' for any). */
export function leaseAddress(tx: Tx, store: NetworkStore, net: NetworkRecord, family: 4 | 6, wanted: string, endpointId: string): Lease | undefined {
  if (wanted !== '') return requestedLease(tx, store, net, family, wanted, endpointId);
  const taken = new Set([...store.leased(net.id), ...reserved(net)]);
  for (const { pool, prefix } of poolsOf(net, family)) {
    const range = pool.ipRange ? parsePrefix(pool.ipRange) : prefix;
    const { first, last } = hostRange(range);
    const cursor = store.cursor(net.id, pool.subnet);
    const after = cursor !== undefined ? parseAddr(cursor)?.value : undefined;
    const start = after !== undefined && after >= first && after < last ? after + 1n : first;
    const count = last - first + 1n;
    // Serial from the cursor, wrapping once; a /8's worth of leases is never scanned in practice.
    for (let i = 0n; i < count; i++) {
      const v = first + ((start - first + i) % count);
      const address = formatAddr(family, v);
      if (taken.has(address)) continue;
      if (!store.lease(tx, net.id, address, endpointId)) continue;
      store.setCursor(tx, net.id, pool.subnet, address);
      return { address, pool };
    }
  }
  if (poolsOf(net, family).length === 0) return undefined;
  throw new UnavailableError(`no available IPv${family} addresses on this network's address pools: ${net.name} (${net.id})`);
}

/** Docker's MAC for an IPv4 address: 02:42 and the four bytes (unique in the subnet); random without IPv4. */
export function macFor(ipv4: string): string {
  const bytes = ipv4 ? ipv4.split('.').map(Number) : Array.from({ length: 4 }, () => Math.floor(Math.random() * 256));
  return ['02', '42', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
