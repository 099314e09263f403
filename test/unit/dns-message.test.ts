// The DNS codec and the reply rules of Docker's embedded resolver, on wire
// bytes (the server's sockets are tested in test/network/dns.test.ts).
import { describe, expect, it } from 'vitest';
import { Forwarder } from '../../src/network/dns/forwarder';
import { buildReply, ipv6Bytes, parseQuery, ptrAddress, RCODE, readName, TYPE, writeName } from '../../src/network/dns/message';
import { QueryResolver } from '../../src/network/dns/resolve';

/** A query as dig sends it: id, RD, one question, optionally an OPT record with a UDP size. */
function wireQuery(name: string, type: number, o: { id?: number; flags?: number; qd?: number; edns?: number } = {}): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(o.id ?? 0x1234, 0);
  head.writeUInt16BE(o.flags ?? 0x0100, 2);
  head.writeUInt16BE(o.qd ?? 1, 4);
  head.writeUInt16BE(o.edns ? 1 : 0, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(1, 2);
  const parts: Buffer[] = [head];
  for (let i = 0; i < (o.qd ?? 1); i++) parts.push(writeName(name), q);
  if (o.edns) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(TYPE.OPT, 1);
    opt.writeUInt16BE(o.edns, 3);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

const dir = {
  lookup: (_a: string, name: string, family: 4 | 6) => (name === 'web' ? (family === 4 ? ['10.0.0.2'] : []) : name === 'many' ? Array.from({ length: 100 }, (_, i) => `10.1.0.${i}`) : undefined),
  upstreams: () => [],
};
const resolver = new QueryResolver(dir, new Forwarder({ tryTimeoutMs: 100, deadForMs: 1000 }));

describe('DNS messages', () => {
  it('parses a query and echoes its question (case kept) in the reply', () => {
    const q = parseQuery(wireQuery('Web.Example', TYPE.A, { edns: 1232 }));
    expect(q).toMatchObject({ id: 0x1234, opcode: 0, qdcount: 1, question: { name: 'Web.Example', type: 1, cls: 1 }, ednsSize: 1232 });
    const reply = buildReply(q, RCODE.NOERROR, [{ type: TYPE.A, ttl: 600, data: '10.0.0.2' }], 512);
    expect(reply.readUInt16BE(0)).toBe(0x1234);
    expect(reply.readUInt16BE(2)).toBe(0x8180); // QR, RD, RA, NOERROR
    expect(readName(reply, 12).name).toBe('Web.Example');
    expect(reply.subarray(-4)).toEqual(Buffer.from([10, 0, 0, 2]));
    expect(readName(reply, reply.length - 16).name).toBe('Web.Example'); // the answer's name: a pointer to the question
  });

  it('refuses pointer loops and names past the message', () => {
    const loop = Buffer.concat([wireQuery('a', TYPE.A).subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(() => parseQuery(loop)).toThrow(/loop/);
    expect(() => parseQuery(Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 97]))).toThrow(/past the message/);
    expect(() => writeName(`${'a'.repeat(64)}.b`)).toThrow(/bad label/);
  });

  it('writes IPv6 and reads PTR names', () => {
    expect(ipv6Bytes('fd00::3').toString('hex')).toBe('fd000000000000000000000000000003');
    expect(ipv6Bytes('::ffff:10.0.0.1').toString('hex')).toBe('00000000000000000000ffff0a000001');
    expect(ptrAddress('2.0.0.10.in-addr.arpa')).toBe('10.0.0.2');
    expect(ptrAddress(`${'3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f'}.ip6.arpa`)).toBe('fd00::3');
    expect(ptrAddress('0.10.in-addr.arpa')).toBeUndefined();
  });
});

describe('replies as Docker\'s resolver gives them', () => {
  const rcodeOf = (b: Buffer | undefined) => b![3]! & 0xf;

  it('FORMERR for two questions or a broken message, NOTIMP for another opcode, nothing for a response', async () => {
    expect(rcodeOf(await resolver.resolve(wireQuery('web', TYPE.A, { qd: 2 }), 'udp', 'c'))).toBe(RCODE.FORMERR);
    expect(rcodeOf(await resolver.resolve(wireQuery('web', TYPE.A).subarray(0, 15), 'udp', 'c'))).toBe(RCODE.FORMERR);
    expect(rcodeOf(await resolver.resolve(wireQuery('web', TYPE.A, { flags: 0x2000 }), 'udp', 'c'))).toBe(RCODE.NOTIMP);
    expect(await resolver.resolve(wireQuery('web', TYPE.A, { flags: 0x8000 }), 'udp', 'c')).toBeUndefined();
    expect(await resolver.resolve(Buffer.from([1, 2, 3]), 'udp', 'c')).toBeUndefined();
  });

  it('REFUSED over the in-flight bound, SERVFAIL with no upstream', async () => {
    expect(rcodeOf(resolver.refuse(wireQuery('x.test', TYPE.A)))).toBe(RCODE.REFUSED);
    expect(rcodeOf(await resolver.resolve(wireQuery('x.test', TYPE.A), 'udp', 'c'))).toBe(RCODE.SERVFAIL);
  });

  it('sizes UDP replies to 512 bytes or the EDNS size, TCP to 65535', async () => {
    const plain = (await resolver.resolve(wireQuery('many', TYPE.A), 'udp', 'c'))!;
    expect(plain.length).toBeLessThanOrEqual(512);
    expect(plain[2]! & 0x02).toBe(0x02); // TC
    const edns = (await resolver.resolve(wireQuery('many', TYPE.A, { edns: 4096 }), 'udp', 'c'))!;
    expect(edns.readUInt16BE(6)).toBe(100);
    expect(edns[2]! & 0x02).toBe(0);
    const tcp = (await resolver.resolve(wireQuery('many', TYPE.A), 'tcp', 'c'))!;
    expect(tcp.readUInt16BE(6)).toBe(100);
  });
});
