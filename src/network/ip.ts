// IPv4 and IPv6 addresses and prefixes as bigints: parsing with Docker's
// messages, containment, overlap, the nth address of a subnet. Pure, no I/O.
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors';

export interface Prefix {
  family: 4 | 6;
  /** The network address (host bits cleared). */
  base: bigint;
  bits: number;
}

const width = (family: 4 | 6): number => (family === 4 ? 32 : 128);

export function parseAddr(text: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) return { family, value: text.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n) };
  if (family !== 6) return undefined;
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  let h = groups(head);
  let t = groups(tail);
  // An embedded IPv4 (::ffff:1.2.3.4) is two groups.
  const last = (t.length ? t : h).at(-1);
  if (last?.includes('.')) {
    const v4 = parseAddr(last)!.value;
    const pair = [(v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
    if (t.length) t = [...t.slice(0, -1), ...pair];
    else h = [...h.slice(0, -1), ...pair];
  }
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { family, value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function formatAddr(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of zero groups (≥ 2) becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** "172.18.0.0/16" → Prefix (host bits cleared). */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? undefined : parseAddr(text.slice(0, slash));
  const bitsText = slash < 0 ? '' : text.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width(addr.family)) {
    throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
  }
  const bits = Number(bitsText);
  const hostMask = (1n << BigInt(width(addr.family) - bits)) - 1n;
  return { family: addr.family, base: addr.value & ~hostMask, bits };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr(p.family, p.base)}/${p.bits}`;
}

export function size(p: Prefix): bigint {
  return 1n << BigInt(width(p.family) - p.bits);
}

export function contains(p: Prefix, family: 4 | 6, value: bigint): boolean {
  return p.family === family && value >= p.base && value < p.base + size(p);
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** The subnet's addresses a container may get: not the network address, nor (IPv4) the broadcast. */
export function hostRange(p: Prefix): { first: bigint; last: bigint } {
  const n = size(p);
  if (p.family === 4 && p.bits <= 30) return { first: p.base + 1n, last: p.base + n - 2n };
  if (p.family === 6) return { first: p.base + 1n, last: p.base + n - 1n };
  return { first: p.base, last: p.base + n - 1n };
}

/** Splits `base` into subnets of `bits` (Docker's default-address-pools), in order. */
export function* splitPool(base: Prefix, bits: number): Generator<Prefix> {
  if (bits < base.bits) return;
  const step = 1n << BigInt(width(base.family) - bits);
  for (let v = base.base; v < base.base + size(base); v += step) yield { family: base.family, base: v, bits };
}
