// The embedded DNS server for real: EmbeddedDns attached to network
// namespaces made with `ip netns add`, queried at 127.0.0.11 from inside them
// (dns-client.cjs and busybox nslookup), forwarding to test upstreams on
// 127.53.x.y in the host namespace.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDns, type DnsDirectory } from '../../src/network/dns';
import { makeNetns, nslookup, query, startUpstream, type Upstream } from './dns-helpers';

const missing = process.getuid?.() !== 0 ? 'needs root (network namespaces)' : spawnSync('ip', ['-V']).status !== 0 ? 'needs iproute2' : undefined;
if (missing) console.warn(`skipping embedded DNS tests: ${missing}`);

const MANY = Array.from({ length: 60 }, (_, i) => `10.99.1.${i + 1}`);

/** Two containers: c1 on n1 with web/db, c2 on n2 that sees only "other". */
function directory(upstreams: () => string[]): DnsDirectory & { ndots: boolean; fromContainer: boolean } {
  const names: Record<string, Record<string, { v4: string[]; v6: string[] }>> = {
    c1: {
      web: { v4: ['10.99.0.2'], v6: [] },
      'web.n1': { v4: ['10.99.0.2'], v6: [] },
      dual: { v4: ['10.99.0.3'], v6: ['fd00::3'] },
      many: { v4: MANY, v6: [] },
    },
    c2: { other: { v4: ['10.98.0.2'], v6: [] } },
  };
  return {
    ndots: false,
    fromContainer: false,
    forwardFromContainer() {
      return this.fromContainer;
    },
    lookup(asker, name, family) {
      const e = names[asker]?.[name];
      return e === undefined ? undefined : family === 4 ? e.v4 : e.v6;
    },
    upstreams: () => upstreams(),
    reverse: (asker, addr) => (asker === 'c1' && addr === '10.99.0.2' ? 'web.n1' : undefined),
    ndotsSet() {
      return this.ndots;
    },
  };
}

describe.skipIf(missing !== undefined)('embedded DNS in a network namespace', () => {
  const log = pino({ level: 'silent' });
  let ns1: ReturnType<typeof makeNetns>;
  let ns2: ReturnType<typeof makeNetns>;
  let good: Upstream;
  let silent: Upstream;
  let upstreams: string[] = [];
  let dir: ReturnType<typeof directory>;
  let dns: EmbeddedDns;

  beforeAll(async () => {
    ns1 = makeNetns('a');
    ns2 = makeNetns('b');
    good = await startUpstream();
    silent = await startUpstream({ silent: true });
    upstreams = [good.address];
    dir = directory(() => upstreams);
    dns = new EmbeddedDns({ directory: dir, log, forwarder: { tryTimeoutMs: 400, deadForMs: 60_000 } });
    await dns.attach('c1', ns1.path);
  });
  afterAll(async () => {
    dns?.close();
    await good?.close();
    await silent?.close();
    ns1?.remove();
    ns2?.remove();
  });

  it('answers A for a name of the asker\'s networks over UDP and TCP, TTL 600, RA set', async () => {
    for (const proto of ['udp', 'tcp'] as const) {
      const { replies } = await query(ns1.name, 'web', 'A', proto);
      expect(replies[0]).toMatchObject({ rcode: 0, tc: false, ra: true, aa: false, answers: [{ name: 'web', type: 1, ttl: 600, data: '10.99.0.2' }] });
    }
    const { replies } = await query(ns1.name, 'WEB.n1.', 'A', 'udp');
    expect(replies[0]!.answers).toEqual([{ name: 'WEB.n1', type: 1, ttl: 600, data: '10.99.0.2' }]);
  });

  it('answers AAAA, and an empty NOERROR for a name of ours without an IPv6 address', async () => {
    expect((await query(ns1.name, 'dual', 'AAAA', 'udp')).replies[0]).toMatchObject({ rcode: 0, answers: [{ type: 28, data: 'fd00:0:0:0:0:0:0:3' }] });
    expect((await query(ns1.name, 'web', 'AAAA', 'tcp')).replies[0]).toMatchObject({ rcode: 0, answers: [] });
  });

  it('answers PTR for its addresses', async () => {
    const { replies } = await query(ns1.name, '2.0.99.10.in-addr.arpa', 'PTR', 'udp');
    expect(replies[0]).toMatchObject({ rcode: 0, answers: [{ type: 12, data: 'web.n1', ttl: 600 }] });
  });

  it('truncates a UDP reply over 512 bytes (TC) and gives it whole over TCP', async () => {
    const udp = (await query(ns1.name, 'many', 'A', 'udp')).replies[0]!;
    expect(udp.tc).toBe(true);
    expect(udp.answers.length).toBeGreaterThan(0);
    expect(udp.answers.length).toBeLessThan(MANY.length);
    const tcp = (await query(ns1.name, 'many', 'A', 'tcp')).replies[0]!;
    expect(tcp.tc).toBe(false);
    expect(tcp.answers.map((a) => a.data).sort()).toEqual([...MANY].sort());
  });

  it('forwards other names to the upstream from the host namespace, NXDOMAIN passed through', async () => {
    const before = good.count();
    expect((await query(ns1.name, 'example.test', 'A', 'udp')).replies[0]).toMatchObject({ rcode: 0, answers: [{ data: '192.0.2.7' }] });
    expect((await query(ns1.name, 'example.test', 'A', 'tcp')).replies[0]).toMatchObject({ rcode: 0, answers: [{ data: '192.0.2.7' }] });
    expect((await query(ns1.name, 'nxname.test', 'A', 'udp')).replies[0]).toMatchObject({ rcode: 3, answers: [] });
    expect(good.count() - before).toBe(3);
  });

  it('works for busybox nslookup', async () => {
    const r = await nslookup(ns1.name, ['web', '127.0.0.11']);
    expect(r.out).toContain('10.99.0.2');
    expect(r.code).toBe(0);
  });

  it('answers SERVFAIL when no upstream answers, and an empty reply for single labels when ndots is set', async () => {
    upstreams = [];
    expect((await query(ns1.name, 'example.test', 'A', 'udp')).replies[0]).toMatchObject({ rcode: 2, answers: [] });
    upstreams = [good.address];
    dir.ndots = true;
    try {
      expect((await query(ns1.name, 'single', 'A', 'udp')).replies[0]).toMatchObject({ rcode: 0, answers: [] });
    } finally {
      dir.ndots = false;
    }
  });

  it('fails over from a dead first upstream and remembers it as dead', async () => {
    upstreams = [silent.address, good.address];
    try {
      const { replies } = await query(ns1.name, 'example.test', 'A', 'udp', 10);
      for (const r of replies) expect(r).toMatchObject({ rcode: 0, answers: [{ data: '192.0.2.7' }] });
      // Tried once, then skipped while it is remembered as dead.
      expect(silent.count()).toBe(1);
    } finally {
      upstreams = [good.address];
    }
  });

  it('forwards the user\'s servers (--dns) from the container\'s namespace: --dns 127.0.0.1 reaches a resolver inside it', async () => {
    const inside = spawn('ip', ['netns', 'exec', ns1.name, process.execPath, join(__dirname, '..', 'helpers', 'dns-upstream.cjs'), '127.0.0.1', '192.0.2.99'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        inside.stdout.once('data', () => resolve());
        inside.once('exit', (code) => reject(new Error(`dns-upstream exited ${code}`)));
      });
      upstreams = ['127.0.0.1'];
      dir.fromContainer = true;
      for (const proto of ['udp', 'tcp'] as const) {
        expect((await query(ns1.name, 'example.test', 'A', proto)).replies[0], proto).toMatchObject({ rcode: 0, answers: [{ data: '192.0.2.99' }] });
      }
    } finally {
      dir.fromContainer = false;
      upstreams = [good.address];
      inside.kill();
    }
  });

  it('keeps each container to its own names', async () => {
    await dns.attach('c2', ns2.path);
    try {
      expect((await query(ns2.name, 'other', 'A', 'udp')).replies[0]).toMatchObject({ rcode: 0, answers: [{ data: '10.98.0.2' }] });
      expect((await query(ns1.name, 'other', 'A', 'udp')).replies[0]).toMatchObject({ answers: [{ data: '192.0.2.7' }] });
    } finally {
      dns.detach('c2');
    }
  });

  it('drops no query while another container attaches and detaches', async () => {
    const running = query(ns1.name, 'web', 'A', 'udp', 300, 4);
    let cycles = 0;
    let done = false;
    void running.finally(() => (done = true));
    while (!done) {
      await dns.attach('c2', ns2.path);
      dns.detach('c2');
      cycles++;
      await new Promise((r) => setTimeout(r, 5));
    }
    const { replies } = await running;
    expect(cycles).toBeGreaterThan(0);
    expect(replies.filter((r) => r.error !== undefined || r.answers[0]?.data !== '10.99.0.2')).toEqual([]);
  });

  it('is idempotent per container and closes its sockets on detach', async () => {
    await dns.attach('c1', ns1.path);
    expect(dns.attached()).toEqual(['c1']);
    dns.detach('c1');
    const { replies } = await query(ns1.name, 'web', 'A', 'udp');
    expect(['timeout', 'ECONNREFUSED']).toContain(replies[0]!.error);
    await dns.attach('c1', ns1.path);
    expect((await query(ns1.name, 'web', 'A', 'udp')).replies[0]!.answers[0]!.data).toBe('10.99.0.2');
  });

  it('closes what an attach still opening opened when its container is detached meanwhile', async () => {
    const opening = dns.attach('c2', ns2.path);
    dns.detach('c2');
    await opening;
    expect(dns.attached()).toEqual(['c1']);
    const { replies } = await query(ns2.name, 'other', 'A', 'udp');
    expect(['timeout', 'ECONNREFUSED']).toContain(replies[0]!.error);
    await dns.attach('c2', ns2.path);
    expect((await query(ns2.name, 'other', 'A', 'udp')).replies[0]!.answers[0]!.data).toBe('10.98.0.2');
    dns.detach('c2');
  });

  it('refuses a namespace path that is not one, with the path and errno in the error', async () => {
    await expect(dns.attach('c9', '/run/netns/tsddns-does-not-exist')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(dns.attach('c9', '/etc/hostname')).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringContaining('setns /etc/hostname') });
  });
});
