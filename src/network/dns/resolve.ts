// One query in, one reply out, as Docker's embedded resolver (libnetwork
// resolver.go ServeDNS) answers it:
//   - not a query (QR set): no reply; an opcode other than QUERY: NOTIMP;
//     not exactly one question, or bytes that do not parse: FORMERR (miekg's
//     default accept function);
//   - A / AAAA / PTR for a name of the asker's networks: NOERROR with the
//     records (TTL 600, addresses shuffled), or an empty NOERROR when the name
//     is ours without an address of that family; truncated to 512 bytes over
//     UDP (or the client's EDNS size), 65535 over TCP;
//   - anything else forwarded upstream (forwarder.ts; from the container's
//     namespace when the directory says its servers are the user's), SERVFAIL when no server
//     gave an answer or the container has no external access, an empty
//     NOERROR for a single-label A/AAAA when the container set ndots itself.
import { Forwarder } from './forwarder';
import { buildReply, DnsFormatError, MAX_MSG_SIZE, MIN_UDP_SIZE, OPCODE_QUERY, parseQuery, ptrAddress, RCODE, replyToUnparsable, TYPE, type Answer, type Query } from './message';
import { RESP_TTL, type DnsDirectory } from './types';

export type Proto = 'udp' | 'tcp';

function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Local answers: a record list (maybe empty) when the name is ours, undefined when not. */
function localAnswers(dir: DnsDirectory, asker: string, q: Query): Answer[] | undefined {
  const question = q.question!;
  const name = question.name.toLowerCase();
  if (question.type === TYPE.A || question.type === TYPE.AAAA) {
    const family = question.type === TYPE.A ? 4 : 6;
    const addrs = dir.lookup(asker, name, family);
    if (addrs === undefined) return undefined;
    return shuffled(addrs).map((data) => ({ type: question.type as typeof TYPE.A | typeof TYPE.AAAA, ttl: RESP_TTL, data }));
  }
  if (question.type === TYPE.PTR && dir.reverse) {
    const addr = ptrAddress(name);
    const host = addr === undefined ? undefined : dir.reverse(asker, addr);
    return host === undefined ? undefined : [{ type: TYPE.PTR, ttl: RESP_TTL, data: host }];
  }
  return undefined;
}

export class QueryResolver {
  constructor(
    private readonly dir: DnsDirectory,
    readonly forwarder: Forwarder,
  ) {}

  /** The reply to `msg` from container `asker` (whose namespace is at netnsPath), or undefined when none is due. */
  async resolve(msg: Buffer, proto: Proto, asker: string, netnsPath?: string): Promise<Buffer | undefined> {
    let q: Query;
    try {
      q = parseQuery(msg);
    } catch (err) {
      if (err instanceof DnsFormatError) return replyToUnparsable(msg, RCODE.FORMERR);
      throw err;
    }
    if (q.flags & 0x8000) return undefined;
    const udpMax = Math.max(MIN_UDP_SIZE, Math.min(q.ednsSize ?? 0, MAX_MSG_SIZE));
    const maxSize = proto === 'tcp' ? MAX_MSG_SIZE : udpMax;
    if (q.opcode !== OPCODE_QUERY) return buildReply(q, RCODE.NOTIMP, [], maxSize);
    if (q.qdcount !== 1 || !q.question) return buildReply(q, RCODE.FORMERR, [], maxSize);
    let local: Answer[] | undefined;
    try {
      local = localAnswers(this.dir, asker, q);
    } catch {
      return buildReply(q, RCODE.SERVFAIL, [], maxSize);
    }
    if (local !== undefined) return buildReply(q, RCODE.NOERROR, local, maxSize);
    if (this.dir.externalAccess && !this.dir.externalAccess(asker)) return buildReply(q, RCODE.SERVFAIL, [], maxSize);
    const { type, name } = q.question;
    if ((type === TYPE.A || type === TYPE.AAAA) && this.dir.ndotsSet?.(asker) && !name.includes('.')) {
      return buildReply(q, RCODE.NOERROR, [], maxSize);
    }
    const fromContainer = netnsPath !== undefined && this.dir.forwardFromContainer?.(asker) === true;
    const reply = await this.forwarder.forward(msg, proto, this.dir.upstreams(asker), fromContainer ? { netnsPath, scope: asker } : undefined);
    return reply ?? buildReply(q, RCODE.SERVFAIL, [], maxSize);
  }

  /** REFUSED for a query over the container's in-flight bound. */
  refuse(msg: Buffer): Buffer | undefined {
    try {
      const q = parseQuery(msg);
      return q.flags & 0x8000 ? undefined : buildReply(q, RCODE.REFUSED, [], MIN_UDP_SIZE);
    } catch {
      return replyToUnparsable(msg, RCODE.REFUSED);
    }
  }
}
