// The spine end to end: a real tsdockerd on its own socket, driven over HTTP,
// by our CLI and by the real docker CLI 28.2.2.
import { statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, MIN_API_VERSION } from '../../src/api/version';
import { hasDocker, startDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => {
  await d?.cleanup();
});

describe('API', () => {
  it('answers /_ping (GET and HEAD) with the negotiation headers', async () => {
    const get = await d.request('GET', '/_ping');
    expect(get.status).toBe(200);
    expect(get.body).toBe('OK');
    expect(get.headers['content-type']).toBe('text/plain; charset=utf-8');
    const head = await d.request('HEAD', '/_ping');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('0');
    for (const r of [get, head]) {
      expect(r.headers['api-version']).toBe(API_VERSION);
      expect(r.headers['ostype']).toBe('linux');
      expect(r.headers['docker-experimental']).toBe('false');
      expect(r.headers['builder-version']).toBe('1');
      expect(r.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    }
  });

  it('serves every route with and without a version prefix', async () => {
    for (const path of ['/version', '/v1.41/version', `/v${MIN_API_VERSION}/version`, `/v${API_VERSION}/version`]) {
      const r = await d.request('GET', path);
      expect(r.status, path).toBe(200);
      const v = JSON.parse(r.body);
      expect(v.ApiVersion).toBe(API_VERSION);
      expect(v.MinAPIVersion).toBe(MIN_API_VERSION);
      expect(v.KernelVersion).toMatch(/^\d+\.\d+/);
      expect(v.Os).toBe('linux');
    }
  });

  it('refuses versions out of range with Docker\'s 400 messages', async () => {
    const high = await d.request('GET', '/v1.99/version');
    expect(high.status).toBe(400);
    expect(high.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(high.body)).toEqual({ message: `client version 1.99 is too new. Maximum supported API version is ${API_VERSION}` });
    const low = await d.request('GET', '/v1.10/version');
    expect(low.status).toBe(400);
    expect(JSON.parse(low.body).message).toBe(
      `client version 1.10 is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  });

  it('answers unknown routes with 404 page not found', async () => {
    for (const [method, path] of [['GET', '/nope'], ['GET', '/v1.41/nope'], ['POST', '/version']]) {
      const r = await d.request(method!, path!);
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body)).toEqual({ message: 'page not found' });
    }
  });

  it('reports real host values in /info', async () => {
    const info = JSON.parse((await d.request('GET', '/v1.41/info')).body);
    expect(info.NCPU).toBeGreaterThan(0);
    expect(info.MemTotal).toBeGreaterThan(1 << 20);
    expect(info.DockerRootDir).toBe(d.dataRoot);
    expect(info.Driver).toBe('overlay2');
    expect(['1', '2']).toContain(info.CgroupVersion);
    expect(info.CgroupDriver).toBe('cgroupfs');
    expect(info.LiveRestoreEnabled).toBe(true);
    expect(info.ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(info.CDISpecDirs).toBeUndefined(); // added in 1.44: shaped away for 1.41
    expect(JSON.parse((await d.request('GET', '/info')).body).CDISpecDirs).toEqual([]);
  });

  it('creates the socket 0660', () => {
    expect(statSync(d.socket).mode & 0o777).toBe(0o660);
  });
});

describe('tsdocker CLI', () => {
  it('version shows client and server', () => {
    const r = d.cli(['version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Client:\n Version: +28\.2\.2\n API version: +1\.50\n/);
    expect(r.stdout).toMatch(/\nServer: tsdocker Engine - Community\n Engine:\n  Version: +28\.2\.2\n  API version: +1\.50 \(minimum version 1\.24\)/);
  });
  it('version and info take --format templates', () => {
    expect(d.cli(['version', '--format', '{{.Server.APIVersion}}|{{.Client.APIVersion}}']).stdout).toBe(`${API_VERSION}|${API_VERSION}\n`);
    const info = d.cli(['info', '--format', '{{json .}}']);
    expect(JSON.parse(info.stdout).DockerRootDir).toBe(d.dataRoot);
    expect(d.cli(['system', 'info', '--format', '{{.Driver}}']).stdout).toBe('overlay2\n');
  });
  it('info prints the server section, and no warning for a default daemon', () => {
    const r = d.cli(['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(` Docker Root Dir: ${d.dataRoot}\n`);
    expect(r.stdout).toMatch(/ Cgroup Version: [12]\n/);
    expect(r.stderr).not.toContain('WARNING');
  });
  it('system df prints the four rows', () => {
    const r = d.cli(['system', 'df']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE');
    expect(r.stdout).toMatch(/\nImages +0 +0 +0B +0B\n/);
    expect(r.stdout).toMatch(/\nBuild Cache +0 +0 +0B +0B\n$/);
  });
  it('negotiates down to an older daemon version when pinned', () => {
    const r = d.cli(['version', '--format', '{{.Client.APIVersion}}'], { env: { DOCKER_API_VERSION: '1.41' } });
    expect(r.stdout).toBe('1.41\n');
  });
  it('fails like docker: bad flag 125, unknown command 1, no daemon 1', () => {
    const flag = d.cli(['version', '--nope']);
    expect(flag.code).toBe(125);
    expect(flag.stderr).toContain('unknown flag: --nope');
    expect(d.cli(['nopecmd']).code).toBe(1);
    const down = d.cli(['version'], { env: { DOCKER_HOST: `unix://${join(d.dir, 'absent.sock')}` } });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^Client:/);
    expect(down.stderr).toContain(`Cannot connect to the tsdocker daemon at unix://${join(d.dir, 'absent.sock')}. Is the tsdocker daemon running?`);
  });
  it('-H wins over DOCKER_HOST, TSDOCKER_HOST over DOCKER_HOST', () => {
    const bogus = { DOCKER_HOST: `unix://${join(d.dir, 'absent.sock')}` };
    expect(d.cli(['-H', d.host, 'version', '--format', '{{.Server.Os}}'], { env: bogus }).stdout).toBe('linux\n');
    expect(d.cli(['version', '--format', '{{.Server.Os}}'], { env: { ...bogus, TSDOCKER_HOST: d.host } }).stdout).toBe('linux\n');
  });
});

describe.skipIf(!hasDocker)('docker CLI 28.2.2 against tsdockerd', () => {
  it('docker version succeeds and shows our server', () => {
    const r = d.docker(['version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Server: tsdocker Engine - Community/);
    expect(r.stdout).toMatch(/API version: +1\.50 \(minimum version 1\.24\)/);
    expect(r.stdout).not.toContain('downgraded');
  });
  it('docker info succeeds with our values', () => {
    const r = d.docker(['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Docker Root Dir: ${d.dataRoot}`);
    expect(r.stdout).toContain('Storage Driver: overlay2');
    expect(r.stdout).toContain('Default Runtime: tsd-runtime');
    expect(d.docker(['info', '--format', '{{.ServerVersion}} {{.OSType}}']).stdout).toBe('28.2.2 linux\n');
  });
  it('docker system df succeeds', () => {
    const r = d.docker(['system', 'df']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +0/);
  });
  it('docker works when pinned to API 1.41', () => {
    const r = d.docker(['version', '--format', '{{.Client.APIVersion}}']);
    expect(r.code).toBe(0);
  });
});

describe('daemon lifecycle', () => {
  it('refuses a second daemon on the same data root, with a clear message', async () => {
    const other = await startDaemon({ args: ['--data-root', d.dataRoot], waitReady: false });
    const code = await new Promise<number | null>((resolve) => other.process.once('exit', resolve));
    expect(code).toBe(1);
    expect(other.logs()).toMatch(/data root lock .* is held by process \d+: is another tsdockerd running\?/);
    await other.cleanup();
  });

  it('refuses an unknown key in the config file', async () => {
    writeFileSync(join(d.dir, 'bad.json'), '{"nope": true}');
    const again = await startDaemon({ waitReady: false, args: ['--config-file', join(d.dir, 'bad.json')] });
    const code = await new Promise<number | null>((resolve) => again.process.once('exit', resolve));
    expect(code).toBe(1);
    expect(again.logs()).toContain("the following directives don't match any configuration option: nope");
    await again.cleanup();
  });

  it('reloads labels on SIGHUP', async () => {
    const x = await startDaemon();
    writeFileSync(join(x.dir, 'daemon.json'), JSON.stringify({ labels: ['team=core'] }));
    x.process.kill('SIGHUP');
    let labels: string[] = [];
    for (let i = 0; i < 100 && labels.length === 0; i++) {
      labels = JSON.parse((await x.request('GET', '/info')).body).Labels;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(labels).toEqual(['team=core']);
    expect(x.logs()).toContain('configuration reloaded');
    await x.cleanup();
  });

  it('stops cleanly on SIGTERM and removes its socket and pidfile', async () => {
    const x = await startDaemon();
    expect(readFileSync(x.pidfile, 'utf8')).toBe(String(x.process.pid));
    expect(await x.kill('SIGTERM')).toBe(0);
    expect(() => statSync(x.socket)).toThrow();
    expect(() => statSync(x.pidfile)).toThrow();
    await x.cleanup();
  });

  it('restarts after SIGKILL with the same state (stale locks taken over)', async () => {
    const x = await startDaemon();
    const id = JSON.parse((await x.request('GET', '/info')).body).ID;
    await x.kill('SIGKILL');
    const again = await startDaemon({ dir: x.dir });
    expect(JSON.parse((await again.request('GET', '/info')).body).ID).toBe(id);
    await again.cleanup();
    await x.cleanup();
  });

  it('warns loudly when listening on plain TCP', async () => {
    const x = await startDaemon({ hosts: ['tcp://127.0.0.1:0'] });
    expect(x.logs()).toContain('API is listening on plain TCP without TLS');
    await x.cleanup();
  });
});
