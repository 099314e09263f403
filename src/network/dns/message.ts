// The DNS wire format (RFC 1035, EDNS0's OPT of RFC 6891) as far as the
// embedded server needs it: read a query's header, first question and EDNS
// buffer size; write the answers the server owns (A, AAAA, PTR) and the error
// replies Docker's resolver gives (SERVFAIL, NXDOMAIN, REFUSED, FORMERR,
// NOTIMP). Replies are built as miekg/dns's SetReply + RecursionAvailable:
// same id, opcode, RD and CD, QR and RA set, the first question echoed byte for
// byte (its case kept), answers named by a pointer to it. A reply over the
// client's size keeps as many answers as fit and sets TC (miekg's Truncate),
// so the client retries over TCP.
import { isIP } from 'node:net';

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const OPCODE_QUERY = 0;

/** RFC 1035's UDP limit without EDNS (miekg's MinMsgSize) and the TCP one (MaxMsgSize). */
export const MIN_UDP_SIZE = 512;
export const MAX_MSG_SIZE = 65535;
const HEADER = 12;
const MAX_NAME = 255;

export class DnsFormatError extends Error {}

export interface Question {
  /** As written in the query, without the final dot ('' for the root). */
  name: string;
  type: number;
  cls: number;
}

export interface Query {
  id: number;
  opcode: number;
  /** The header's flag bits as sent (QR, RD, CD …), for the reply to copy. */
  flags: number;
  qdcount: number;
  /** The first question; undefined when the query has none. */
  question?: Question;
  /** The first question's wire bytes, echoed in replies. */
  questionBytes?: Buffer;
  /** EDNS0 UDP payload size the client advertises, when it sent an OPT record. */
  ednsSize?: number;
}

export interface Answer {
  type: typeof TYPE.A | typeof TYPE.AAAA | typeof TYPE.PTR;
  ttl: number;
  /** An address for A/AAAA, a domain name for PTR. */
  data: string;
}

/** Reads the name at `off` (pointers followed, loops refused); returns it and the offset after it in place. */
export function readName(buf: Buffer, off: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = off;
  let next = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (pos >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsFormatError('name pointer runs past the message');
      if (++jumps > 32) throw new DnsFormatError('name pointer loop');
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError('unknown label type');
    if (len === 0) break;
    if (pos + 1 + len > buf.length) throw new DnsFormatError('label runs past the message');
    length += len + 1;
    if (length > MAX_NAME) throw new DnsFormatError('name longer than 255 bytes');
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next: next < 0 ? pos + 1 : next };
}

/** A domain name in wire form (no compression); throws on a label over 63 or a name over 255 bytes. */
export function writeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  for (const label of trimmed === '' ? [] : trimmed.split('.')) {
    const b = Buffer.from(label, 'latin1');
    if (b.length === 0 || b.length > 63) throw new DnsFormatError(`bad label in ${JSON.stringify(name)}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > MAX_NAME) throw new DnsFormatError('name longer than 255 bytes');
  return out;
}

/** Skips a resource record at `off`; returns its type, class, ttl, rdata position and the offset after it. */
function readRecord(buf: Buffer, off: number): { type: number; cls: number; ttl: number; next: number } {
  const { next } = readName(buf, off);
  if (next + 10 > buf.length) throw new DnsFormatError('record runs past the message');
  const rdlen = buf.readUInt16BE(next + 8);
  if (next + 10 + rdlen > buf.length) throw new DnsFormatError('record data runs past the message');
  return { type: buf.readUInt16BE(next), cls: buf.readUInt16BE(next + 2), ttl: buf.readUInt32BE(next + 4), next: next + 10 + rdlen };
}

/** Parses a query. Throws DnsFormatError for what cannot be a DNS message (replyError can still answer it when 12 bytes came). */
export function parseQuery(buf: Buffer): Query {
  if (buf.length < HEADER) throw new DnsFormatError('message shorter than its header');
  const flags = buf.readUInt16BE(2);
  const q: Query = { id: buf.readUInt16BE(0), flags, opcode: (flags >> 11) & 0xf, qdcount: buf.readUInt16BE(4) };
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  let off = HEADER;
  for (let i = 0; i < q.qdcount; i++) {
    const { name, next } = readName(buf, off);
    if (next + 4 > buf.length) throw new DnsFormatError('question runs past the message');
    if (i === 0) {
      q.question = { name, type: buf.readUInt16BE(next), cls: buf.readUInt16BE(next + 2) };
      // A compressed question name cannot be echoed as is: write it out plainly.
      q.questionBytes = next - off === writeNameLength(name) ? buf.subarray(off, next + 4) : Buffer.concat([writeName(name), buf.subarray(next, next + 4)]);
    }
    off = next + 4;
  }
  for (let i = 0; i < an + ns + ar; i++) {
    const rr = readRecord(buf, off);
    if (i >= an + ns && rr.type === TYPE.OPT) q.ednsSize = rr.cls;
    off = rr.next;
  }
  return q;
}

function writeNameLength(name: string): number {
  return name === '' ? 1 : Buffer.byteLength(name, 'latin1') + 2;
}

/** A reply's header: miekg's SetReply (id, opcode, RD and CD when a query) with QR and RA set. */
function replyHeader(id: number, queryFlags: number, rcode: number, counts: { qd: number; an: number }, truncated: boolean): Buffer {
  const opcode = (queryFlags >> 11) & 0xf;
  let flags = 0x8000 | (opcode << 11) | 0x0080 | (rcode & 0xf);
  if (opcode === OPCODE_QUERY) flags |= queryFlags & 0x0110; // RD, CD
  if (truncated) flags |= 0x0200;
  const h = Buffer.alloc(HEADER);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(counts.qd, 4);
  h.writeUInt16BE(counts.an, 6);
  return h;
}

/** One answer record, named by a pointer to the question (offset 12). */
function answerRecord(a: Answer): Buffer {
  let rdata: Buffer;
  if (a.type === TYPE.PTR) rdata = writeName(a.data);
  else {
    const family = isIP(a.data);
    if (a.type === TYPE.A && family !== 4) throw new DnsFormatError(`not an IPv4 address: ${a.data}`);
    if (a.type === TYPE.AAAA && family !== 6) throw new DnsFormatError(`not an IPv6 address: ${a.data}`);
    rdata = a.type === TYPE.A ? Buffer.from(a.data.split('.').map(Number)) : ipv6Bytes(a.data);
  }
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc000 | HEADER, 0);
  rr.writeUInt16BE(a.type, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(a.ttl >>> 0, 6);
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([rr, rdata]);
}

/** The 16 bytes of an IPv6 address in text form (:: and a dotted IPv4 tail allowed). */
export function ipv6Bytes(addr: string): Buffer {
  let text = addr.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, -v4[1]!.length)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/**
 * The reply to `q` with `answers` (none for an error or an empty NOERROR),
 * keeping as many answers as fit in maxSize and setting TC when some did not.
 */
export function buildReply(q: Query, rcode: number, answers: readonly Answer[], maxSize: number): Buffer {
  const question = q.questionBytes;
  const records: Buffer[] = [];
  let size = HEADER + (question?.length ?? 0);
  let truncated = false;
  for (const a of answers) {
    const rr = answerRecord(a);
    if (size + rr.length > maxSize) {
      truncated = true;
      break;
    }
    records.push(rr);
    size += rr.length;
  }
  const header = replyHeader(q.id, q.flags, rcode, { qd: question ? 1 : 0, an: records.length }, truncated);
  return Buffer.concat([header, ...(question ? [question] : []), ...records]);
}

/** An error reply to a message that could not be parsed past its header (FORMERR), or undefined when not even that came. */
export function replyToUnparsable(buf: Buffer, rcode: number): Buffer | undefined {
  if (buf.length < HEADER) return undefined;
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response: never answered
  return replyHeader(buf.readUInt16BE(0), flags, rcode, { qd: 0, an: 0 }, false);
}

/** The rcode of a reply (for the forwarder: SERVFAIL and REFUSED try the next server). */
export function replyRcode(buf: Buffer): number {
  return buf.length >= 4 ? buf[3]! & 0xf : RCODE.SERVFAIL;
}

/** in-addr.arpa / ip6.arpa name → the address it asks about, or undefined when it is not a full one. */
export function ptrAddress(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.in-addr.arpa')) {
    const parts = lower.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) return undefined;
    return parts.reverse().map(Number).join('.');
  }
  if (lower.endsWith('.ip6.arpa')) {
    const nibbles = lower.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    const groups = Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(i * 4, i * 4 + 4), 16).toString(16));
    return compressIPv6(groups);
  }
  return undefined;
}

/** RFC 5952 text of 8 hex groups (the longest zero run of two or more as ::). */
function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
