// A small DNS client for tests and the bench, run inside a network namespace
// (`ip netns exec NS node dns-client.cjs …` or `nsenter --net=… node …`):
//   node dns-client.cjs SERVER NAME TYPE PROTO COUNT [CONCURRENCY]
// TYPE A|AAAA|PTR|MX|TXT|<number>, PROTO udp|tcp. Sends COUNT queries (CONCURRENCY
// at once, 1 by default), each with a 2 s timeout, and prints one JSON line:
// { replies: [{ rcode, tc, ra, answers: [...] } | { error }], latenciesUs: [...] }.
'use strict';
const dgram = require('node:dgram');
const net = require('node:net');

const TYPES = { A: 1, NS: 2, CNAME: 5, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33 };
const [server, name, typeName, proto, countArg, concArg] = process.argv.slice(2);
const qtype = TYPES[typeName] ?? Number(typeName);
const count = Number(countArg ?? 1);
const concurrency = Number(concArg ?? 1);

function query(id) {
  const labels = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x0100, 2); // RD
  head.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(qtype, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([head, ...labels, tail]);
}

function readName(buf, off) {
  const labels = [];
  let next = -1;
  for (let jumps = 0; jumps < 64; ) {
    const len = buf[off];
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1];
      jumps++;
      continue;
    }
    if (len === 0) break;
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  return { name: labels.join('.'), next: next < 0 ? off + 1 : next };
}

function parse(buf) {
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) off = readName(buf, off).next + 4;
  const answers = [];
  for (let i = 0; i < an; i++) {
    const { name: rname, next } = readName(buf, off);
    const type = buf.readUInt16BE(next);
    const ttl = buf.readUInt32BE(next + 4);
    const len = buf.readUInt16BE(next + 8);
    const rdata = buf.subarray(next + 10, next + 10 + len);
    let data;
    if (type === 1) data = [...rdata].join('.');
    else if (type === 28) data = Array.from({ length: 8 }, (_, j) => rdata.readUInt16BE(j * 2).toString(16)).join(':');
    else if (type === 12) data = readName(buf, next + 10).name;
    else data = rdata.toString('hex');
    answers.push({ name: rname, type, ttl, data });
    off = next + 10 + len;
  }
  return { id: buf.readUInt16BE(0), rcode: flags & 0xf, tc: (flags & 0x200) !== 0, ra: (flags & 0x80) !== 0, aa: (flags & 0x400) !== 0, answers };
}

function udpOnce(id) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => { sock.close(); resolve({ error: 'timeout' }); }, 2000);
    sock.on('message', (msg) => {
      if (msg.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      sock.close();
      resolve(parse(msg));
    });
    sock.on('error', (err) => { clearTimeout(timer); sock.close(); resolve({ error: err.code || String(err) }); });
    sock.send(query(id), 53, server);
  });
}

function tcpOnce(id) {
  return new Promise((resolve) => {
    const sock = net.connect(53, server);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); resolve({ error: 'timeout' }); }, 2000);
    sock.on('error', (err) => { clearTimeout(timer); resolve({ error: err.code || String(err) }); });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(parse(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    const q = query(id);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length, 0);
    sock.write(Buffer.concat([len, q]));
  });
}

async function main() {
  const replies = new Array(count);
  const latenciesUs = new Array(count);
  let next = 0;
  async function worker() {
    while (next < count) {
      const i = next++;
      const id = (i * 7919 + 1) & 0xffff;
      const t0 = process.hrtime.bigint();
      replies[i] = await (proto === 'tcp' ? tcpOnce(id) : udpOnce(id));
      latenciesUs[i] = Number((process.hrtime.bigint() - t0) / 1000n);
    }
  }
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const totalUs = Number((process.hrtime.bigint() - t0) / 1000n);
  process.stdout.write(`${JSON.stringify({ replies, latenciesUs, totalUs })}\n`);
}

main();
