// Host port reservations: a bound, never listening socket per published host
// address and port, held by the daemon. Another program's bind() and another
// container's publish then fail as Docker's do ("Bind for 0.0.0.0:8080 failed:
// port is already allocated"); closing the fd releases the port. Ephemeral
// ports (HostPort "" or 0) come from /proc/sys/net/ipv4/ip_local_port_range,
// handed out in turn from the range's start as Docker's portallocator does.
import { closeSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { ConflictError, TsdError, isErrno } from '../../errors';
import { reservePort } from '../../native/nft';
import type { PortProtocol } from './types';

/** One host port on one or two addresses (0.0.0.0 reserves :: too). */
export interface Reservation {
  protocol: PortProtocol;
  hostIp: string;
  port: number;
  fds: number[];
}

/** Docker's default when the range cannot be read. */
const FALLBACK_RANGE: [number, number] = [49153, 65535];

export function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && hi !== undefined && lo > 0 && hi >= lo && hi <= 65535) return [lo, hi];
  } catch {
    // fall back
  }
  return FALLBACK_RANGE;
}

export function allocatedError(hostIp: string, port: number): ConflictError {
  return new ConflictError(`Bind for ${hostIp.includes(':') ? `[${hostIp}]` : hostIp}:${port} failed: port is already allocated`);
}

function closeAll(fds: number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** What a failed bind() means to the user, in Docker's words. */
function bindError(err: unknown, protocol: PortProtocol, hostIp: string, port: number): Error {
  if (isErrno(err, 'EADDRINUSE')) return allocatedError(hostIp, port);
  if (isErrno(err, 'EADDRNOTAVAIL') || isErrno(err, 'EINVAL')) {
    const fam = isIPv6(hostIp) ? '6' : '4';
    return new TsdError(`Error starting userland proxy: listen ${protocol}${fam} ${isIPv6(hostIp) ? `[${hostIp}]` : hostIp}:${port}: bind: cannot assign requested address`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Binds protocol/hostIp:port (port 0: the kernel's pick is not used, callers
 * pass a port). For 0.0.0.0 the IPv6 wildcard is bound too when the host has
 * IPv6, so the port is the same on both. SCTP without kernel support is not
 * reserved (the DNAT still applies).
 */
export function reserve(protocol: PortProtocol, hostIp: string, port: number): Reservation {
  const addrs = hostIp === '0.0.0.0' ? ['0.0.0.0', '::'] : [hostIp];
  const fds: number[] = [];
  for (const addr of addrs) {
    try {
      fds.push(reservePort(protocol, addr, port).fd);
    } catch (err) {
      const optional = addr === '::' && (isErrno(err, 'EAFNOSUPPORT') || isErrno(err, 'EADDRNOTAVAIL'));
      const noSctp = protocol === 'sctp' && (isErrno(err, 'EPROTONOSUPPORT') || isErrno(err, 'ESOCKTNOSUPPORT'));
      if (optional || noSctp) continue;
      closeAll(fds);
      throw bindError(err, protocol, hostIp, port);
    }
  }
  return { protocol, hostIp, port, fds };
}

export function release(r: Reservation): void {
  closeAll(r.fds);
  r.fds = [];
}

/** Hands out ephemeral ports in turn over the range, skipping those taken. */
export class EphemeralPorts {
  private next = new Map<PortProtocol, number>();

  /** Reserves the first free port of [start, end] (the whole ephemeral range when start is 0). */
  take(protocol: PortProtocol, hostIp: string, start: number, end: number): Reservation {
    const ephemeral = start === 0;
    const [lo, hi] = ephemeral ? ephemeralRange() : [start, end];
    const span = hi - lo + 1;
    const first = ephemeral ? Math.min(Math.max(this.next.get(protocol) ?? lo, lo), hi) : lo;
    for (let i = 0; i < span; i++) {
      const port = lo + ((first - lo + i) % span);
      try {
        const r = reserve(protocol, hostIp, port);
        if (ephemeral) this.next.set(protocol, port + 1 > hi ? lo : port + 1);
        return r;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    if (ephemeral) throw new TsdError('all ports are allocated');
    throw allocatedError(hostIp, start === end ? start : end);
  }
}
