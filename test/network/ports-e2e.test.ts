// Published ports through the daemon (issue 12's "done when"): the real docker
// CLI against tsdockerd, busybox httpd in a container on the default bridge,
// curl on the host; no process of ours listens on the published port, `docker
// port`, ps and inspect answer as dockerd's, the same port twice is "already
// allocated", and nothing of ours is left after rm -f. DNS forwarding points at
// a dead loopback address, so no query leaves the machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nftTableName } from '../../src/network/host-names';
import { cleanupWithContainers, httpRequest, ok, startBusyboxDaemon, startDaemon, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';
import { freePort, listenOn } from '../helpers/ports';

let d: TestDaemon;
let table: string;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-ports-'));
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ dns: ['127.0.0.1'] }));
  d = await startBusyboxDaemon({ dir });
  table = nftTableName(d.execRoot);
}, 120_000);
afterAll(async () => {
  await cleanupWithContainers(d);
  spawnSync('nft', ['delete', 'table', 'inet', table]);
}, 60_000);

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello-from-container > /www/index.html && exec httpd -f -p 80 -h /www'];

/** curl from the host: the body, or '' when nothing answers (curl retries while httpd starts). */
function curl(url: string, retry = true): string {
  const again = retry ? ['--retry', '5', '--retry-connrefused', '--retry-delay', '1'] : [];
  const r = spawnSync('curl', ['-sS', '--max-time', '3', ...again, url], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

function listening(port: number): string {
  return execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
}

const mapText = (): string => spawnSync('nft', ['list', 'table', 'inet', table], { encoding: 'utf8' }).stdout;

describe('published ports through tsdockerd', () => {
  it('serves -p 127.0.0.1:<port>:80 in the kernel: curl gets the page, nothing listens, port/ps/inspect answer', async () => {
    const port = await freePort();
    ok(d.docker(['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, 'busybox', ...HTTPD]));
    expect(curl(`http://127.0.0.1:${port}/`)).toBe('hello-from-container');
    expect(listening(port)).toBe('');
    expect(ok(d.docker(['port', 'web']))).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    expect(ok(d.docker(['port', 'web', '80']))).toBe(`127.0.0.1:${port}\n`);
    expect(ok(d.cli(['port', 'web', '80/tcp']))).toBe(`127.0.0.1:${port}\n`);
    expect(ok(d.docker(['ps', '--filter', 'name=web', '--format', '{{.Ports}}']))).toBe(`127.0.0.1:${port}->80/tcp\n`);
    expect(ok(d.cli(['ps', '--filter', 'name=web', '--format', '{{.Ports}}']))).toBe(`127.0.0.1:${port}->80/tcp\n`);
    expect(JSON.parse(ok(d.docker(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web'])))).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    expect(d.docker(['port', 'web', '81']).stderr).toContain("No public port '81' published for web");
  });

  it('refuses the same port twice with "port is already allocated", and a host program cannot take it', async () => {
    const port = Number(JSON.parse(ok(d.docker(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web'])))['80/tcp'][0].HostPort);
    const r = d.docker(['run', '-d', '--name', 'web2', '-p', `127.0.0.1:${port}:80`, 'busybox', ...HTTPD]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`Bind for 127.0.0.1:${port} failed: port is already allocated`);
    expect(r.stderr).toMatch(/driver failed programming external connectivity on endpoint web2 \([0-9a-f]{64}\)/);
    // The API answer is dockerd's: a 500 on start.
    const start = await d.request('POST', '/containers/web2/start');
    expect(start.status).toBe(500);
    expect(JSON.parse(start.body).message).toMatch(new RegExp(`^driver failed programming external connectivity on endpoint web2 \\([0-9a-f]{64}\\): Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated$`));
    expect(await listenOn(port, '127.0.0.1')).toBe('EADDRINUSE');
    expect(curl(`http://127.0.0.1:${port}/`)).toBe('hello-from-container');
    ok(d.docker(['rm', '-f', 'web2']));
  });

  it('leaves nothing after rm -f: the port is free, its map element gone', async () => {
    const port = Number(JSON.parse(ok(d.docker(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web'])))['80/tcp'][0].HostPort);
    expect(mapText()).toContain(`. ${port} :`);
    ok(d.docker(['rm', '-f', 'web']));
    expect(mapText()).not.toContain(`. ${port} :`);
    expect(await listenOn(port, '127.0.0.1')).toBe('ok');
    expect(curl(`http://127.0.0.1:${port}/`, false)).toBe('');
  });

  it('publishes every EXPOSEd port with -P on ephemeral ports, reachable from the host and, hairpin, from containers', () => {
    ok(d.docker(['run', '-d', '--name', 'pall', '-P', '--expose', '80', '--expose', '81/udp', 'busybox', ...HTTPD]));
    const ports = JSON.parse(ok(d.docker(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'pall']))) as Record<string, Array<{ HostIp: string; HostPort: string }>>;
    const [lo, hi] = execFileSync('cat', ['/proc/sys/net/ipv4/ip_local_port_range'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    const tcp = Number(ports['80/tcp']![0]!.HostPort);
    expect(ports['80/tcp']![0]!.HostIp).toBe('0.0.0.0');
    expect(tcp >= lo! && tcp <= hi!).toBe(true);
    expect(ports['81/udp']).toHaveLength(1);
    expect(curl(`http://127.0.0.1:${tcp}/`)).toBe('hello-from-container');
    expect(ok(d.docker(['port', 'pall', '80']))).toBe(`0.0.0.0:${tcp}\n`);
    expect(ok(d.docker(['ps', '--filter', 'name=pall', '--format', '{{.Ports}}']))).toBe(`0.0.0.0:${tcp}->80/tcp, 0.0.0.0:${ports['81/udp']![0]!.HostPort}->81/udp\n`);
    // Another container reaches it through the host's gateway address, and the container itself too (hairpin).
    const gw = ok(d.docker(['inspect', '-f', '{{.NetworkSettings.Gateway}}', 'pall'])).trim();
    const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${gw} ${tcp}`;
    expect(ok(d.docker(['run', '--rm', 'busybox', 'sh', '-c', get]))).toContain('hello-from-container');
    expect(ok(d.docker(['exec', 'pall', 'sh', '-c', get]))).toContain('hello-from-container');
    ok(d.docker(['rm', '-f', 'pall']));
  });
});

describe('ports of containers that do not run', () => {
  it('are empty in inspect and ps while created or stopped, as dockerd empties them with the network', async () => {
    const port = await freePort();
    const ports = () => JSON.parse(ok(d.docker(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'idle']))) as unknown;
    const column = () => ok(d.docker(['ps', '-a', '--filter', 'name=idle', '--format', '{{.Ports}}']));
    ok(d.docker(['create', '--name', 'idle', '-p', `${port}:80`, '--expose', '90', 'busybox', 'sleep', '60']));
    expect([ports(), column()]).toEqual([{}, '\n']);
    ok(d.docker(['start', 'idle']));
    expect([ports(), column()]).toEqual([{ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(port) }], '90/tcp': null }, `90/tcp, 0.0.0.0:${port}->80/tcp\n`]);
    ok(d.docker(['stop', '-t', '0', 'idle']));
    expect([ports(), column()]).toEqual([{}, '\n']);
    expect(await listenOn(port, '0.0.0.0')).toBe('ok');
    ok(d.docker(['rm', 'idle']));
  });
});

describe('published ports across a daemon crash (live-restore)', () => {
  it('keep serving while the daemon is down, are reserved again after its restart, and go with rm -f', async () => {
    const port = await freePort();
    ok(d.docker(['run', '-d', '--name', 'live', '-p', `${port}:80`, 'busybox', ...HTTPD]));
    expect(curl(`http://127.0.0.1:${port}/`)).toBe('hello-from-container');
    await d.kill('SIGKILL');
    // No process of ours is in the path: the kernel keeps forwarding.
    expect(curl(`http://127.0.0.1:${port}/`)).toBe('hello-from-container');
    d = await startDaemon({ dir: d.dir });
    expect(curl(`http://127.0.0.1:${port}/`)).toBe('hello-from-container');
    expect(await listenOn(port, '0.0.0.0')).toBe('EADDRINUSE');
    expect(ok(d.docker(['port', 'live', '80/tcp']))).toBe(`0.0.0.0:${port}\n`);
    ok(d.docker(['rm', '-f', 'live']));
    expect(mapText()).not.toContain(`. ${port} :`);
    expect(await listenOn(port, '0.0.0.0')).toBe('ok');
  });
});

describe('port specifications', () => {
  const peerMissing = dockerdMissingReason();
  let peer: Dockerd | undefined;
  beforeAll(async () => {
    if (peerMissing) console.warn(`ports: no comparison with dockerd: ${peerMissing}`);
    else peer = await startDockerd({ prefix: 'dockerd-ports-', namespace: 'tsd-ports' });
  }, 120_000);
  afterAll(async () => peer?.stop(), 60_000);

  const BAD = [
    { 'abc/tcp': [{ HostPort: '80' }] },
    { '80/tcp': [{ HostPort: 'abc' }] },
    { '80-90/tcp': [{ HostPort: '80' }] },
    { '99999/tcp': [{ HostPort: '80' }] },
    { '80/tcp': [{ HostPort: '9000-8000' }] },
  ];

  it('refuses a bad HostConfig.PortBindings with dockerd\'s 400 and message', async () => {
    for (const PortBindings of BAD) {
      const ours = await d.request('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { PortBindings } });
      expect({ PortBindings, status: ours.status }).toEqual({ PortBindings, status: 400 });
      expect(JSON.parse(ours.body).message).toMatch(/^invalid port specification: "/);
      if (peer) {
        const theirs = await httpRequest(peer.socket, 'POST', '/v1.41/containers/create', { Image: 'nope-no-such-image', HostConfig: { PortBindings } });
        expect({ PortBindings, ours: JSON.parse(ours.body), status: ours.status }).toEqual({ PortBindings, ours: JSON.parse(theirs.body), status: theirs.status });
      }
    }
    expect(ok(d.docker(['ps', '-aq']))).toBe('');
  });
});
