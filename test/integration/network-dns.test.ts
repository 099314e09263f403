// Embedded DNS end to end, from the real docker CLI against tsdockerd: two
// containers on `docker network create` reach each other by name and by alias,
// nslookup over UDP (busybox) and TCP (dns-client.cjs in the container's netns)
// answers, names of other networks do not resolve, and other names are
// forwarded to the container's --dns: a test upstream this file runs on the
// network's gateway address (never the host's real resolvers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithContainers, ok, startBusyboxDaemon, startDaemon, type TestDaemon } from '../helpers/daemon';
import { queryPid, startUpstream, type ClientResult, type Upstream } from '../network/dns-helpers';

const missing = process.getuid?.() !== 0 ? 'needs root' : undefined;
if (missing) console.warn(`skipping embedded DNS end-to-end tests: ${missing}`);

let d: TestDaemon | undefined;
let upstream: Upstream | undefined;
const tag = Math.random().toString(36).slice(2, 7);

/** dns-client.cjs in a container's network namespace (the daemon answers at 127.0.0.11 there). */
function queryIn(container: string, name: string, type: string, proto: 'udp' | 'tcp'): Promise<ClientResult> {
  return queryPid(Number(ok(d!.docker(['inspect', '-f', '{{.State.Pid}}', container])).trim()), name, type, proto);
}

beforeAll(async () => {
  if (missing) return;
  d = await startBusyboxDaemon();
  ok(d.docker(['network', 'create', `n1-${tag}`]));
  ok(d.docker(['network', 'create', `n2-${tag}`]));
  const gateway = ok(d.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', `n1-${tag}`])).trim();
  upstream = await startUpstream({ address: gateway });
  ok(d.docker(['run', '-d', '--name', `web-${tag}`, '--network', `n1-${tag}`, '--network-alias', `alias-${tag}`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']));
  ok(d.docker(['run', '-d', '--name', `other-${tag}`, '--network', `n2-${tag}`, 'busybox', 'sleep', '600']));
  ok(d.docker(['run', '-d', '--name', `client-${tag}`, '--network', `n1-${tag}`, '--dns', upstream.address, 'busybox', 'sleep', '600']));
});

afterAll(async () => {
  await cleanupWithContainers(d);
  await upstream?.close();
});

describe.skipIf(missing !== undefined)('embedded DNS on a user network', () => {
  it('writes resolv.conf with 127.0.0.11 and the --dns server as ExtServers', () => {
    const text = ok(d!.docker(['exec', `client-${tag}`, 'cat', '/etc/resolv.conf']));
    expect(text).toContain('\nnameserver 127.0.0.11\noptions ndots:0\n');
    expect(text).toContain(`# ExtServers: [${upstream!.address}]`);
  });

  it('reaches the other container by name and by alias (ping, wget)', () => {
    for (const target of [`web-${tag}`, `alias-${tag}`]) {
      expect(ok(d!.docker(['exec', `client-${tag}`, 'ping', '-c', '1', '-W', '5', target]))).toContain('1 packets received');
      expect(ok(d!.docker(['exec', `client-${tag}`, 'wget', '-q', '-O', '-', `http://${target}/hostname`]))).toMatch(/^[0-9a-f]{12}\n$/);
    }
  });

  it('answers nslookup over UDP (busybox) and TCP with the container\'s address', async () => {
    const ip = ok(d!.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "n1-${tag}").IPAddress}}`, `web-${tag}`])).trim();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ok(d!.docker(['exec', `client-${tag}`, 'nslookup', `web-${tag}`]))).toContain(`Address: ${ip}`);
    expect(ok(d!.docker(['exec', `client-${tag}`, 'nslookup', `alias-${tag}.n1-${tag}`]))).toContain(`Address: ${ip}`);
    for (const proto of ['udp', 'tcp'] as const) {
      expect((await queryIn(`client-${tag}`, `web-${tag}`, 'A', proto)).replies[0]).toMatchObject({ rcode: 0, answers: [{ data: ip, ttl: 600 }] });
    }
  });

  it('does not resolve a container of another network, and forwards other names to the --dns server', async () => {
    const before = upstream!.count();
    expect((await queryIn(`client-${tag}`, `other-${tag}`, 'A', 'udp')).replies[0]).toMatchObject({ rcode: 0, answers: [{ data: '192.0.2.7' }] });
    expect(upstream!.count()).toBe(before + 1);
    expect((await queryIn(`client-${tag}`, 'example.test', 'A', 'tcp')).replies[0]).toMatchObject({ rcode: 0, answers: [{ data: '192.0.2.7' }] });
    expect((await queryIn(`client-${tag}`, 'nxname.test', 'A', 'udp')).replies[0]).toMatchObject({ rcode: 3 });
  });

  it('resolves running containers only, as Docker adds names at start and drops them at stop', async () => {
    ok(d!.docker(['create', '--name', `later-${tag}`, '--network', `n1-${tag}`, 'busybox', 'sleep', '600']));
    expect((await queryIn(`client-${tag}`, `later-${tag}`, 'A', 'udp')).replies[0]).toMatchObject({ answers: [{ data: '192.0.2.7' }] });
    ok(d!.docker(['start', `later-${tag}`]));
    const ip = ok(d!.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "n1-${tag}").IPAddress}}`, `later-${tag}`])).trim();
    expect((await queryIn(`client-${tag}`, `later-${tag}`, 'A', 'udp')).replies[0]).toMatchObject({ answers: [{ data: ip, ttl: 600 }] });
    ok(d!.docker(['rm', '-f', `later-${tag}`]));
    expect((await queryIn(`client-${tag}`, `later-${tag}`, 'A', 'udp')).replies[0]).toMatchObject({ answers: [{ data: '192.0.2.7' }] });
  });

  it('follows connect and disconnect at once', async () => {
    ok(d!.docker(['network', 'connect', `n2-${tag}`, `client-${tag}`]));
    const ip = ok(d!.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "n2-${tag}").IPAddress}}`, `other-${tag}`])).trim();
    expect((await queryIn(`client-${tag}`, `other-${tag}`, 'A', 'udp')).replies[0]).toMatchObject({ answers: [{ data: ip }] });
    ok(d!.docker(['network', 'disconnect', `n2-${tag}`, `client-${tag}`]));
    expect((await queryIn(`client-${tag}`, `other-${tag}`, 'A', 'udp')).replies[0]).toMatchObject({ answers: [{ data: '192.0.2.7' }] });
    // The container's own server kept answering its own network throughout.
    expect((await queryIn(`client-${tag}`, `web-${tag}`, 'A', 'udp')).replies[0]!.answers).toHaveLength(1);
  });

  it('answers again as soon as the daemon is back after a SIGKILL (live-restore)', async () => {
    const pid = Number(ok(d!.docker(['inspect', '-f', '{{.State.Pid}}', `client-${tag}`])).trim());
    expect(await d!.kill('SIGKILL')).toBe(null);
    // Nothing of ours answers while the daemon is away (the container keeps running).
    expect(['timeout', 'ECONNREFUSED']).toContain((await queryPid(pid, `web-${tag}`, 'A', 'udp')).replies[0]!.error);
    d = await startDaemon({ dir: d!.dir });
    expect((await queryPid(pid, `web-${tag}`, 'A', 'udp')).replies[0]).toMatchObject({ rcode: 0, answers: [{ ttl: 600 }] });
    expect(ok(d.docker(['exec', `client-${tag}`, 'ping', '-c', '1', '-W', '5', `alias-${tag}`]))).toContain('1 packets received');
  });
});
