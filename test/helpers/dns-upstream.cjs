// A test DNS server for inside a network namespace (`ip netns exec NS node dns-upstream.cjs ADDR IP`):
// answers every query on ADDR:53 (UDP and TCP) with one A record IP, TTL 30; prints "ready" once listening.
'use strict';
const dgram = require('node:dgram');
const net = require('node:net');

const [addr, ip] = process.argv.slice(2);

function reply(q) {
  let off = 12;
  while (q[off] !== 0) off += q[off] + 1;
  const question = q.subarray(12, off + 5);
  const head = Buffer.from(q.subarray(0, 12));
  head.writeUInt16BE(0x8180, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(1, 6);
  head.writeUInt32BE(0, 8);
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, ...ip.split('.').map(Number)]);
  return Buffer.concat([head, question, rr]);
}

const udp = dgram.createSocket('udp4');
udp.on('message', (m, r) => udp.send(reply(m), r.port, r.address));
const tcp = net.createServer((s) => {
  let buf = Buffer.alloc(0);
  s.on('error', () => s.destroy());
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const r = reply(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(r.length, 0);
      s.write(Buffer.concat([len, r]));
    }
  });
});
udp.bind(53, addr, () => tcp.listen(53, addr, () => process.stdout.write('ready\n')));
