// The macvlan driver through the daemon and the docker CLI: a parent of the
// test's own (a veth pair, both ends up: this kernel has no dummy driver),
// two containers on it reaching each other, Docker's refusals for what is
// not supported, and the stats' networks section of a bridge container.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithContainers, ok, type TestDaemon } from '../helpers/daemon';
import { endpoints, HTTPD, ncGet, network, startNetDaemon } from './helpers';

const tag = randomBytes(3).toString('hex');
const parent = `tsdmv${tag}`;
let d: TestDaemon;

beforeAll(async () => {
  execFileSync('ip', ['link', 'add', parent, 'type', 'veth', 'peer', 'name', `tsdmp${tag}`]);
  execFileSync('ip', ['link', 'set', parent, 'up']);
  execFileSync('ip', ['link', 'set', `tsdmp${tag}`, 'up']);
  d = await startNetDaemon();
}, 60_000);
afterAll(async () => {
  await cleanupWithContainers(d);
  spawnSync('ip', ['link', 'del', parent]);
});

describe('macvlan networks', () => {
  it('puts containers on the parent, reaching each other', () => {
    ok(d.docker(['network', 'create', '-d', 'macvlan', '--subnet', '10.233.41.0/24', '-o', `parent=${parent}`, 'mv']));
    expect(network(d, 'mv')).toMatchObject({ Driver: 'macvlan', Options: { parent } });
    ok(d.docker(['run', '-d', '--name', 'mvweb', '--network', 'mv', 'busybox', ...HTTPD]));
    const ip = endpoints(d, 'mvweb')['mv']!.IPAddress;
    expect(ip).toMatch(/^10\.233\.41\./);
    const r = d.docker(['run', '--rm', '--network', 'mv', 'busybox', ...ncGet(ip, 80)]);
    expect(r.stdout, r.stderr).toContain('hello-from-');
    ok(d.docker(['rm', '-f', 'mvweb']));
    ok(d.docker(['network', 'rm', 'mv']));
  });

  it("refuses what tsdocker's macvlan does not do, with a 400", () => {
    expect(d.docker(['network', 'create', '-d', 'macvlan', 'nopar']).stderr).toContain('needs a parent interface');
    expect(d.docker(['network', 'create', '-d', 'macvlan', '-o', 'parent=nosuch0', 'x1']).stderr).toContain('-o parent interface was not found on the host: nosuch0');
    expect(d.docker(['network', 'create', '-d', 'macvlan', '-o', `parent=${parent}`, '-o', 'macvlan_mode=vepa', 'x2']).stderr).toContain('macvlan mode vepa is not supported');
    expect(d.docker(['network', 'create', '-d', 'overlay', 'x3']).stderr).toContain('not supported by tsdocker');
  });
});

describe('stats', () => {
  it('reports the networks section per interface', async () => {
    ok(d.docker(['run', '-d', '--name', 'counted', 'busybox', 'sleep', '60']));
    const r = await d.request('GET', '/containers/counted/stats?stream=false');
    const stats = JSON.parse(r.body) as { networks?: Record<string, { rx_bytes: number; tx_packets: number }> };
    expect(Object.keys(stats.networks ?? {})).toEqual(['eth0']);
    ok(d.docker(['rm', '-f', 'counted']));
  });
});
