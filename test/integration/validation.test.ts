// Hostile and mistyped requests against a real tsdockerd, compared with the
// peer dockerd where docker.io is installed: bodies of the wrong JSON type,
// bodies nested too deep, settings that need networking, the swarm and plugin
// endpoints, bad API versions and request lines, and the version-shaped
// answers (image inspect, /info).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_A_MANAGER, NOT_IN_SWARM } from '../../src/daemon/routes/swarm';
import { cleanupWithContainers, httpRequest, ok, startBusyboxDaemon, type TestDaemon } from '../helpers/daemon';
import { dockerdMissingReason, startDockerd, type Dockerd } from '../helpers/dockerd';

let d: TestDaemon;
let peer: Dockerd | undefined;
const peerMissing = dockerdMissingReason();
beforeAll(async () => {
  d = await startBusyboxDaemon();
  if (peerMissing) console.warn(`validation: no comparison with dockerd: ${peerMissing}`);
  else peer = await startDockerd({ prefix: 'dockerd-validation-', namespace: 'tsd-validation' });
}, 120_000);
afterAll(async () => {
  await cleanupWithContainers(d);
  await peer?.stop();
}, 60_000);

const message = (body: string): string => (JSON.parse(body) as { message: string }).message;

/** Create bodies dockerd refuses at decoding, and Go's words for each. */
const MISTYPED: [unknown, string][] = [
  [{ Image: 'busybox', Labels: { a: 5 } }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type string'],
  [{ Image: 'busybox', HostConfig: { Memory: '1g' } }, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64'],
  [{ Image: 'busybox', HostConfig: { ReadonlyRootfs: 'false' } }, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.ReadonlyRootfs of type bool'],
  [{ Image: 'busybox', HostConfig: { Privileged: 'yes' } }, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Privileged of type bool'],
  [{ Image: 'busybox', HostConfig: { CpuShares: 1e30 } }, 'json: cannot unmarshal number 1e+30 into Go struct field HostConfig.HostConfig.CpuShares of type int64'],
  [{ Image: 'busybox', Cmd: { a: 1 } }, 'json: cannot unmarshal object into Go struct field ContainerConfigWrapper.Cmd of type string'],
  [{ Image: 'busybox', HostConfig: [] }, 'json: cannot unmarshal array into Go struct field ContainerConfigWrapper.HostConfig of type container.HostConfig'],
  [{ Image: 'busybox', HostConfig: { PortBindings: 5 } }, 'json: cannot unmarshal number into Go struct field HostConfig.HostConfig.PortBindings of type nat.PortMap'],
  [{ Image: 'busybox', Env: [1, null] }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Env of type string'],
  [{ Image: 'busybox', HostConfig: { Mounts: [{ Type: 5 }] } }, 'json: cannot unmarshal number into Go struct field Mount.HostConfig.Mounts.Type of type mount.Type'],
  [{ Image: 'busybox', Healthcheck: { Interval: '1s' } }, 'json: cannot unmarshal string into Go struct field HealthConfig.Healthcheck.Interval of type time.Duration'],
  [{ Image: 'busybox', HostConfig: { BlkioWeight: 70000 } }, 'json: cannot unmarshal number 70000 into Go struct field HostConfig.HostConfig.BlkioWeight of type uint16'],
  [5, 'json: cannot unmarshal number into Go value of type runconfig.ContainerConfigWrapper'],
];

describe('request bodies', () => {
  it('refuses a wrong JSON type with a 400 and Go\'s message, and stores nothing', async () => {
    for (const [body, expected] of MISTYPED) {
      const r = await d.request('POST', '/v1.41/containers/create', body);
      expect({ body, status: r.status, message: message(r.body) }).toEqual({ body, status: 400, message: expected });
    }
    const other: [string, unknown, string][] = [
      ['/containers/nosuch/update', { Memory: '1g' }, 'json: cannot unmarshal string into Go struct field UpdateConfig.Memory of type int64'],
      ['/containers/nosuch/exec', { Cmd: 'x' }, 'json: cannot unmarshal string into Go struct field ExecConfig.Cmd of type []string'],
      ['/exec/nosuch/start', { Detach: 'x' }, 'json: cannot unmarshal string into Go struct field ExecStartCheck.Detach of type bool'],
      ['/commit?container=nosuch', { Cmd: 5 }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Cmd of type string'],
      ['/containers/nosuch/stop?t=abc', undefined, 'strconv.Atoi: parsing "abc": invalid syntax'],
    ];
    for (const [path, body, expected] of other) {
      const r = await d.request('POST', path, body);
      expect({ path, status: r.status, message: message(r.body) }).toEqual({ path, status: 400, message: expected });
    }
    expect(ok(d.docker(['ps', '-aq']))).toBe('');
  });

  it.skipIf(peerMissing !== undefined)('refuses them in dockerd\'s words', async () => {
    for (const [body] of MISTYPED) {
      const theirs = await httpRequest(peer!.socket, 'POST', '/v1.41/containers/create', body);
      const ours = await d.request('POST', '/v1.41/containers/create', body);
      expect({ body, message: message(ours.body) }).toEqual({ body, message: message(theirs.body) });
    }
  });

  it('stores what Go decodes from nulls and unknown fields, well typed', async () => {
    const r = await d.request('POST', '/containers/create?name=nulls', {
      Image: 'busybox', Cmd: 'true', Labels: { a: null }, Env: ['A=1'], Volumes: null, HostConfig: { Memory: null, Binds: null }, Unknown: [[1]],
    });
    expect(r.status, r.body).toBe(201);
    // `docker ps` decodes every container's labels as strings: a stored number would break it for every client.
    expect(ok(d.docker(['ps', '-a', '--format', '{{.Names}} {{.Labels}} {{.Command}}']))).toBe('nulls a= "true"\n');
    ok(d.docker(['rm', 'nulls']));
  });

  it('refuses a body nested 100000 deep with a 400, before parsing it', async () => {
    const deep = `{"Image":"busybox","X":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await d.request('POST', '/containers/create', deep);
    expect({ status: r.status, message: message(r.body) }).toEqual({ status: 400, message: "invalid character '[' exceeded max depth" });
    expect((await d.request('GET', '/_ping')).status).toBe(200);
  });

  it('takes every create body the docker CLI 28 sends', async () => {
    const captured = JSON.parse(readFileSync(join(__dirname, '..', 'cli', 'fixtures', 'docker-create-bodies.json'), 'utf8')) as { url: string; body: string }[];
    for (const [i, c] of captured.entries()) {
      const r = await d.request('POST', `/v1.50/containers/create?name=fixture${i}`, c.body);
      expect(r.status === 400 ? message(r.body) : '', `fixture ${i}`).not.toMatch(/json: cannot unmarshal|exceeded max depth/);
    }
    const ids = d.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) ok(d.docker(['rm', '-f', ...ids]));
  });
});

describe('settings that need networking', () => {
  const create = (hostConfig: object) => d.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: hostConfig });

  it('are checked as dockerd checks them, never dropped', async () => {
    const refused: [object, number, string, object?][] = [
      [{ NetworkMode: 'mynet' }, 404, 'network mynet not found'],
      [{ NetworkMode: 'container:abc' }, 404, 'No such container: abc'],
      [{ NetworkMode: 'container:' }, 400, 'invalid container format container:<name|id>'],
      [{ NetworkMode: 'host', Links: ['a:b'] }, 400, "conflicting options: host type networking can't be used with links"],
      [{ NetworkMode: 'none', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }, 400, 'conflicting options: port publishing'],
      [{}, 400, 'user specified IP address is supported on user defined networks only', { bridge: { IPAMConfig: { IPv4Address: '172.17.0.9' } } }],
      [{}, 400, 'network-scoped alias is supported only for containers in user defined networks', { bridge: { Aliases: ['x'] } }],
      [{}, 400, 'endpoint driver options (--driver-opt) are not supported by tsdocker', { bridge: { DriverOpts: { a: 'b' } } }],
    ];
    for (const [hostConfig, status, expected, endpoints] of refused) {
      const r = await d.request('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: hostConfig, ...(endpoints ? { NetworkingConfig: { EndpointsConfig: endpoints } } : {}) });
      expect({ hostConfig, status: r.status }).toEqual({ hostConfig, status });
      expect(message(r.body)).toContain(expected);
    }
    expect(d.docker(['ps', '-aq']).stdout).toBe('');
  });

  it('are taken when empty or one of the modes tsdocker runs', async () => {
    for (const mode of ['default', 'bridge', 'none', 'host', '']) {
      const r = await create({ NetworkMode: mode, PortBindings: {}, Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, Links: null, PublishAllPorts: false });
      expect({ mode, status: r.status }).toEqual({ mode, status: 201 });
      ok(d.docker(['rm', (JSON.parse(r.body) as { Id: string }).Id]));
    }
  });
});

describe('swarm and plugins', () => {
  const cases: [string, string, number, unknown, unknown?][] = [
    ['GET', '/swarm', 503, NOT_A_MANAGER],
    ['POST', '/swarm/leave', 503, NOT_IN_SWARM],
    ['GET', '/swarm/unlockkey', 503, NOT_A_MANAGER],
    ['GET', '/nodes', 503, NOT_A_MANAGER],
    ['GET', '/nodes/x', 503, NOT_A_MANAGER],
    ['GET', '/services', 503, NOT_A_MANAGER],
    ['DELETE', '/services/x', 503, NOT_A_MANAGER],
    ['GET', '/tasks', 503, NOT_A_MANAGER],
    ['GET', '/secrets', 503, NOT_A_MANAGER],
    ['POST', '/configs/create', 503, NOT_A_MANAGER, {}],
    ['GET', '/plugins', 200, []],
    ['GET', '/plugins/x/json', 404, { message: 'plugin "x" not found' }],
  ];
  const answer = (status: number, expected: unknown) => (status === 503 ? { message: expected } : expected);

  it('answer as a dockerd outside a swarm, with no plugin', async () => {
    for (const [method, path, status, expected, body] of cases) {
      const r = await d.request(method, `/v1.41${path}`, body);
      expect({ path, status: r.status, body: JSON.parse(r.body) }).toEqual({ path, status, body: answer(status, expected) });
    }
    expect(ok(d.docker(['info', '--format', '{{.Swarm.LocalNodeState}}']))).toBe('inactive\n');
  });

  it.skipIf(peerMissing !== undefined)('as the peer dockerd does', async () => {
    for (const [method, path, , , body] of cases) {
      const theirs = await httpRequest(peer!.socket, method, `/v1.41${path}`, body);
      const ours = await d.request(method, `/v1.41${path}`, body);
      expect({ path, status: ours.status, body: JSON.parse(ours.body) }).toEqual({ path, status: theirs.status, body: JSON.parse(theirs.body) });
    }
  });
});

describe('API versions and request lines', () => {
  it('refuses a version part beyond int64 with a 400', async () => {
    const r = await d.request('GET', '/v1.41.999999999999999999999/info');
    expect(r.status).toBe(400);
    expect(message(r.body)).toContain('invalid API version 1.41.999999999999999999999');
    expect((await d.request('GET', '/v1.41.0/_ping')).status).toBe(200);
  });

  it('answers a request line without an HTTP version with 400, then closes', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(d.socket);
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write('GET /info\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).not.toContain('"ID"');
  });
});

describe('version-shaped answers', () => {
  it('image inspect has Container/ContainerConfig before API 1.45 and VirtualSize before 1.44', async () => {
    const inspect = async (version: string) => JSON.parse((await d.request('GET', `/v${version}/images/busybox/json`)).body) as Record<string, unknown>;
    const old = await inspect('1.43');
    expect(old.ContainerConfig).toMatchObject({ Hostname: '', Cmd: null, Image: '' });
    expect(old.VirtualSize).toBe(old.Size);
    const v144 = await inspect('1.44');
    expect(v144.ContainerConfig).toBeDefined();
    expect(v144.VirtualSize).toBeUndefined();
    const now = await inspect('1.50');
    expect([now.ContainerConfig, now.Container, now.VirtualSize]).toEqual([undefined, undefined, undefined]);
  });

  it('/info reports the data root\'s filesystem, the plugins and runtimes that exist', async () => {
    const info = JSON.parse((await d.request('GET', '/info')).body) as {
      DriverStatus: [string, string][];
      Plugins: { Volume: string[]; Network: string[] };
      Runtimes: Record<string, unknown>;
    };
    const status = Object.fromEntries(info.DriverStatus);
    // `stat -f` names ext2/3/4 "ext2/ext3", Docker names them "extfs".
    const fs = spawnSync('stat', ['-f', '-c', '%T', d.dataRoot], { encoding: 'utf8' }).stdout.trim().replace('ext2/ext3', 'extfs');
    expect(status['Backing Filesystem']).toBe(fs);
    if (peer) {
      const theirs = JSON.parse((await httpRequest(peer.socket, 'GET', '/info')).body) as { DriverStatus: [string, string][] };
      // Both data roots are under the same temporary directory.
      expect(Object.fromEntries(theirs.DriverStatus)['Backing Filesystem']).toBe(status['Backing Filesystem']);
    }
    expect(info.Plugins.Volume).toEqual(['local']); // as dockerd: its local driver (plugins are found when used)
    expect(info.Plugins.Network).toEqual(['bridge', 'host', 'macvlan', 'null']);
    for (const runtime of ['runc', 'crun']) {
      const installed = spawnSync('sh', ['-c', `command -v ${runtime}`]).status === 0;
      expect({ runtime, listed: runtime in info.Runtimes }).toEqual({ runtime, listed: installed });
    }
    expect(info.Runtimes['tsd-runtime']).toBeDefined();
  });
});
