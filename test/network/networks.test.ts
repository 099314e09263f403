// Container networks for real (issue 12, net-core's part): the default
// bridge, user networks, connect/disconnect, container:<x>, links, the host
// reached through the gateway, isolation between networks, and nothing left
// on the host after rm -f or after a daemon SIGKILL and restart. Real
// daemon, real docker CLI, real namespaces; DNS forwarding points at a dead
// loopback address so no query leaves the machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostVethName, nftTableName } from '../../src/network/host-names';
import { cleanupWithContainers, ok, startDaemon, type TestDaemon } from '../helpers/daemon';
import { eventually } from './driver-suite';
import { endpoints, hostServer, HTTPD, ncGet, ipIn, json, leases, linkExists, network, nftTable, startNetDaemon } from './helpers';

let d: TestDaemon;
beforeAll(async () => {
  d = await startNetDaemon();
}, 60_000);
afterAll(async () => cleanupWithContainers(d));

/** GET / from a new container (busybox-static's wget segfaults, nc does not). */
const fetch = (ip: string, port: number, args: string[] = []) => d.docker(['run', '--rm', ...args, 'busybox', ...ncGet(ip, port)]);

describe('the default bridge', () => {
  it('gives a container an address of its subnet, with the gateway as its route', () => {
    const bridge = network(d, 'bridge');
    const { Subnet, Gateway } = bridge.IPAM.Config[0]!;
    expect(linkExists(bridge.Options['com.docker.network.bridge.name']!)).toBe(true);
    const out = ok(d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route']));
    const addr = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(out)!;
    expect(ipIn(Subnet, addr[1]!)).toBe(true);
    expect(`/${addr[2]}`).toBe(Subnet.slice(Subnet.indexOf('/')));
    expect(out).toContain(`default via ${Gateway} dev eth0`);
  });

  it('reaches a server on the host through the gateway address', async () => {
    const gw = network(d, 'bridge').IPAM.Config[0]!.Gateway;
    const port = 20000 + (process.pid % 20000);
    const srv = await hostServer(gw, port, 'hello-from-host');
    try {
      const r = fetch(gw, port);
      expect(r.stdout, r.stderr).toContain('hello-from-host');
    } finally {
      srv.close();
    }
  });

  it('shows the endpoint in inspect, ps and network inspect', async () => {
    ok(d.docker(['run', '-d', '--name', 'insp', 'busybox', 'sleep', '60']));
    const bridge = network(d, 'bridge');
    const ep = endpoints(d, 'insp')['bridge']!;
    expect(ep.NetworkID).toBe(bridge.Id);
    expect(ep.Gateway).toBe(bridge.IPAM.Config[0]!.Gateway);
    expect(ep.IPPrefixLen).toBe(Number(bridge.IPAM.Config[0]!.Subnet.split('/')[1]));
    expect(ep.MacAddress).toMatch(/^02:42(:[0-9a-f]{2}){4}$/);
    const top = json<{ IPAddress: string; EndpointID: string }>(d, ['inspect', '-f', '{{json .NetworkSettings}}', 'insp']);
    expect(top.IPAddress).toBe(ep.IPAddress);
    expect(top.EndpointID).toBe(ep.EndpointID);
    const c = Object.values(bridge.Containers).find((x) => x.Name === 'insp')!;
    expect(c.IPv4Address).toBe(`${ep.IPAddress}/${ep.IPPrefixLen}`);
    expect(ok(d.docker(['ps', '--filter', 'network=bridge', '--format', '{{.Names}} {{.Networks}}']))).toContain('insp bridge');
    expect(linkExists(hostVethName(ep.EndpointID))).toBe(true);
    ok(d.docker(['rm', '-f', 'insp']));
    expect(await eventually(() => !linkExists(hostVethName(ep.EndpointID)))).toBe(true);
    expect(leases(d).some((l) => l.endpoint_id === ep.EndpointID)).toBe(false);
  });

  it('--network none has only loopback; container:<x> shares the namespace of x', () => {
    expect(ok(d.docker(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']))).not.toContain('eth0');
    ok(d.docker(['run', '-d', '--name', 'owner', 'busybox', 'sleep', '60']));
    const ip = endpoints(d, 'owner')['bridge']!.IPAddress;
    expect(ok(d.docker(['run', '--rm', '--network', 'container:owner', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']))).toContain(`inet ${ip}/`);
    expect(endpoints(d, 'owner')).toHaveProperty('bridge');
    ok(d.docker(['rm', '-f', 'owner']));
  });

  it('legacy --link: a hosts entry and the <ALIAS>_… variables', () => {
    ok(d.docker(['run', '-d', '--name', 'linked', '-e', 'SECRET=x1', '--expose', '80', 'busybox', 'sleep', '60']));
    const ip = endpoints(d, 'linked')['bridge']!.IPAddress;
    const out = ok(d.docker(['run', '--rm', '--link', 'linked:db', 'busybox', 'sh', '-c', 'cat /etc/hosts; env']));
    expect(out).toMatch(new RegExp(`${ip.replace(/\./g, '\\.')}\tdb `));
    expect(out).toContain(`DB_PORT_80_TCP=tcp://${ip}:80`);
    expect(out).toContain('DB_ENV_SECRET=x1');
    expect(out).toMatch(/DB_NAME=\/[a-z_]+\/db/);
    ok(d.docker(['rm', '-f', 'linked']));
  });

  it('never hands out a released address again soon', () => {
    ok(d.docker(['create', '--name', 'lease1', 'busybox', 'true']));
    const first = endpoints(d, 'lease1')['bridge']!.IPAddress;
    expect(leases(d).map((l) => l.address)).toContain(first);
    ok(d.docker(['rm', 'lease1']));
    expect(leases(d).map((l) => l.address)).not.toContain(first);
    ok(d.docker(['create', '--name', 'lease2', 'busybox', 'true']));
    expect(endpoints(d, 'lease2')['bridge']!.IPAddress).not.toBe(first);
    ok(d.docker(['rm', 'lease2']));
  });
});

describe('user-defined networks', () => {
  it('containers on one network reach each other by address, name and alias', () => {
    ok(d.docker(['network', 'create', 'n1']));
    ok(d.docker(['run', '-d', '--name', 'web1', '--network', 'n1', '--network-alias', 'site', 'busybox', ...HTTPD]));
    const ip = endpoints(d, 'web1')['n1']!.IPAddress;
    expect(ipIn(network(d, 'n1').IPAM.Config[0]!.Subnet, ip)).toBe(true);
    expect(fetch(ip, 80, ['--network', 'n1']).stdout).toContain('hello-from-');
    // busybox-static's wget cannot resolve (static glibc, no NSS): nslookup asks 127.0.0.11 itself.
    for (const name of ['web1', 'site']) {
      const r = d.docker(['run', '--rm', '--network', 'n1', 'busybox', 'nslookup', name]);
      expect(r.stdout, r.stderr).toContain(`Address: ${ip}`);
    }
  });

  it('a renamed container answers to its new name', () => {
    ok(d.docker(['run', '-d', '--name', 'oldname', '--network', 'n1', 'busybox', 'sleep', '60']));
    const ip = endpoints(d, 'oldname')['n1']!.IPAddress;
    ok(d.docker(['rename', 'oldname', 'newname']));
    expect(d.docker(['run', '--rm', '--network', 'n1', 'busybox', 'nslookup', 'newname']).stdout).toContain(`Address: ${ip}`);
    expect(d.docker(['run', '--rm', '--network', 'n1', 'busybox', 'nslookup', 'oldname']).stdout).not.toContain(`Address: ${ip}`);
    ok(d.docker(['rm', '-f', 'newname']));
  });

  it('a container on another network cannot connect', () => {
    ok(d.docker(['network', 'create', 'n2']));
    const ip = endpoints(d, 'web1')['n1']!.IPAddress;
    const r = fetch(ip, 80, ['--network', 'n2']);
    expect(r.stdout).not.toContain('hello-from-');
    const names = d.docker(['run', '--rm', '--network', 'n2', 'busybox', 'nslookup', 'web1']);
    expect(names.stdout).not.toContain(`Address: ${ip}`);
  });

  it('connects and disconnects a running container', () => {
    ok(d.docker(['run', '-d', '--name', 'roamer', '--network', 'n2', 'busybox', 'sleep', '60']));
    ok(d.docker(['network', 'connect', '--alias', 'rover', 'n1', 'roamer']));
    const ep = endpoints(d, 'roamer')['n1']!;
    expect(ok(d.docker(['exec', 'roamer', 'ip', '-4', '-o', 'addr', 'show', 'eth1']))).toContain(`inet ${ep.IPAddress}/`);
    expect(ok(d.docker(['exec', 'roamer', ...ncGet(endpoints(d, 'web1')['n1']!.IPAddress, 80)]))).toContain('hello-from-');
    const again = d.docker(['network', 'connect', 'n1', 'roamer']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists in network n1');
    ok(d.docker(['network', 'disconnect', 'n1', 'roamer']));
    expect(d.docker(['exec', 'roamer', 'ip', 'link', 'show', 'eth1']).code).not.toBe(0);
    expect(linkExists(hostVethName(ep.EndpointID))).toBe(false);
    expect(Object.keys(endpoints(d, 'roamer'))).toEqual(['n2']);
    ok(d.docker(['rm', '-f', 'roamer']));
  });

  it('takes --subnet, --gateway, --ip-range, --ip and refuses what does not fit', () => {
    ok(d.docker(['network', 'create', '--subnet', '10.231.7.0/24', '--gateway', '10.231.7.254', '--ip-range', '10.231.7.128/25', 'n3']));
    const n3 = network(d, 'n3');
    expect(n3.IPAM.Config[0]).toMatchObject({ Subnet: '10.231.7.0/24', Gateway: '10.231.7.254', IPRange: '10.231.7.128/25' });
    ok(d.docker(['create', '--name', 'fixed', '--network', 'n3', '--ip', '10.231.7.9', 'busybox', 'true']));
    expect(endpoints(d, 'fixed')['n3']!.IPAddress).toBe('10.231.7.9');
    const dup = d.docker(['create', '--network', 'n3', '--ip', '10.231.7.9', 'busybox', 'true']);
    expect(dup.stderr).toContain('Address already in use');
    ok(d.docker(['create', '--name', 'ranged', '--network', 'n3', 'busybox', 'true']));
    expect(endpoints(d, 'ranged')['n3']!.IPAddress).toBe('10.231.7.129');
    expect(d.docker(['create', '--network', 'n3', '--ip', '10.9.9.9', 'busybox', 'true']).stderr).toContain("It does not belong to any of this network's subnets");
    expect(d.docker(['network', 'create', '--subnet', '10.231.7.0/25', 'n4']).stderr).toContain('Pool overlaps with other one on this address space');
    expect(d.docker(['network', 'rm', 'n3']).stderr).toContain('has active endpoints');
    ok(d.docker(['rm', 'fixed', 'ranged']));
    ok(d.docker(['network', 'rm', 'n3']));
  });

  it('--ipv6 gives a unique-local subnet and containers an IPv6 address and route', () => {
    ok(d.docker(['network', 'create', '--ipv6', 'n6']));
    const cfg = network(d, 'n6').IPAM.Config;
    const v6 = cfg.find((c) => c.Subnet.includes(':'))!;
    expect(v6.Subnet).toMatch(/^fd[0-9a-f]{2}:[0-9a-f:]+\/64$/);
    const out = ok(d.docker(['run', '--rm', '--network', 'n6', 'busybox', 'sh', '-c', 'ip -6 -o addr show eth0 scope global; ip -6 route']));
    expect(out).toContain(`default via ${v6.Gateway} dev eth0`);
    expect(out).toMatch(/inet6 fd[0-9a-f:]+\/64 scope global/);
    ok(d.docker(['network', 'rm', 'n6']));
  });

  it("answers the API's errors as dockerd does", async () => {
    expect(d.docker(['network', 'create', 'n1']).stderr).toContain('network with name n1 already exists');
    const rmBridge = await d.request('DELETE', '/networks/bridge');
    expect([rmBridge.status, JSON.parse(rmBridge.body).message]).toEqual([403, 'bridge is a pre-defined network and cannot be removed']);
    const missing = await d.request('GET', '/networks/nosuchnet');
    expect([missing.status, JSON.parse(missing.body).message]).toEqual([404, 'network nosuchnet not found']);
    const badFilter = await d.request('GET', `/networks?filters=${encodeURIComponent('{"color":["red"]}')}`);
    expect(badFilter.status).toBe(400);
    const custom = ok(d.docker(['network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}'])).split('\n');
    expect(custom).toContain('n1');
    expect(custom).not.toContain('bridge');
  });

  it('publishes network events: create, connect and disconnect at start and exit, destroy', () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    ok(d.docker(['network', 'create', 'evnet']));
    ok(d.docker(['run', '--rm', '--network', 'evnet', 'busybox', 'true']));
    ok(d.docker(['network', 'rm', 'evnet']));
    const out = ok(d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=network', '--filter', 'network=evnet', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}']));
    expect(out.trim().split('\n')).toEqual(['create evnet bridge', 'connect evnet bridge', 'disconnect evnet bridge', 'destroy evnet bridge']);
  });

  it('prunes the networks no container uses', () => {
    ok(d.docker(['network', 'create', '--label', 'keep=no', 'spare']));
    const out = ok(d.docker(['network', 'prune', '-f', '--filter', 'label=keep=no']));
    expect(out).toContain('spare');
    expect(d.docker(['network', 'inspect', 'spare']).code).toBe(1);
  });
});

describe('nothing is left on the host', () => {
  it('after docker rm -f: no veth, no nft element, no lease', async () => {
    ok(d.docker(['run', '-d', '--name', 'pub', '--network', 'n1', '-p', '127.0.0.1::80', 'busybox', ...HTTPD]));
    const ep = endpoints(d, 'pub')['n1']!;
    const table = nftTableName(d.execRoot);
    expect(linkExists(hostVethName(ep.EndpointID))).toBe(true);
    expect(nftTable(table)).toContain(ep.IPAddress);
    ok(d.docker(['rm', '-f', 'pub']));
    expect(await eventually(() => !linkExists(hostVethName(ep.EndpointID)))).toBe(true);
    expect(nftTable(table)).not.toContain(ep.IPAddress);
    expect(leases(d).map((l) => l.address)).not.toContain(ep.IPAddress);
  });

  it('after a daemon SIGKILL and restart: running containers keep their network, removed ones leave nothing', async () => {
    ok(d.docker(['run', '-d', '--name', 'survivor', '--network', 'n1', '-p', '127.0.0.1::80', 'busybox', ...HTTPD]));
    ok(d.docker(['run', '-d', '--name', 'goner', 'busybox', 'sleep', '600']));
    const survivor = endpoints(d, 'survivor')['n1']!;
    const goner = endpoints(d, 'goner')['bridge']!;
    const pid = json<number>(d, ['inspect', '-f', '{{.State.Pid}}', 'goner']);
    await d.kill('SIGKILL');
    process.kill(pid, 'SIGKILL');
    d = await startDaemon({ dir: d.dir });
    expect(json<boolean>(d, ['inspect', '-f', '{{.State.Running}}', 'survivor'])).toBe(true);
    expect(nftTable(nftTableName(d.execRoot))).toContain(survivor.IPAddress);
    expect(ok(d.docker(['port', 'survivor', '80']))).toMatch(/^127\.0\.0\.1:\d+/);
    expect(fetch(survivor.IPAddress, 80, ['--network', 'n1']).stdout).toContain('hello-from-');
    expect(linkExists(hostVethName(goner.EndpointID))).toBe(false);
    ok(d.docker(['rm', '-f', 'survivor', 'goner']));
    expect(await eventually(() => !linkExists(hostVethName(survivor.EndpointID)))).toBe(true);
    expect(nftTable(nftTableName(d.execRoot))).not.toContain(survivor.IPAddress);
    const left = leases(d).map((l) => l.address);
    expect(left).not.toContain(survivor.IPAddress);
    expect(left).not.toContain(goner.IPAddress);
  }, 90_000);
});
