// Volume plugins (Docker's legacy volume plugin protocol) from the real docker
// CLI: a plugin the test runs (test/fixtures/volume-plugin.mjs) found by its
// socket and by a spec file, creating and mounting a volume a container writes
// to, its errors passed through, mount IDs paired, a plugin that is down
// retried then reported (its volumes kept), and managed plugins refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithContainers, ok, startBusyboxDaemon, type TestDaemon } from '../helpers/daemon';

const FIXTURE = join(__dirname, '..', 'fixtures', 'volume-plugin.mjs');
const base = mkdtempSync(join(tmpdir(), 'tsd-vplug-'));
const sockets = join(base, 'run');
const specs = join(base, 'etc');
const pluginDir = join(base, 'plugin');
let plugin: ChildProcess | undefined;
let d: TestDaemon;

function startPlugin(socket: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE, socket, pluginDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.once('data', () => resolve(child));
    child.once('error', reject);
  });
}

async function stopPlugin(): Promise<void> {
  const p = plugin;
  plugin = undefined;
  if (!p || p.exitCode !== null) return;
  await new Promise((r) => {
    p.once('exit', r);
    p.kill('SIGTERM');
  });
}

const calls = (): Array<{ method: string; body: Record<string, unknown>; accept: string }> =>
  existsSync(join(pluginDir, 'calls.log')) ? readFileSync(join(pluginDir, 'calls.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];

beforeAll(async () => {
  mkdirSync(sockets, { recursive: true });
  mkdirSync(specs, { recursive: true });
  process.env['TSDOCKER_PLUGIN_SOCKETS_DIR'] = sockets;
  process.env['TSDOCKER_PLUGIN_SPECS_DIRS'] = specs;
  process.env['TSDOCKER_PLUGIN_TIMEOUT_MS'] = '1500';
  plugin = await startPlugin(join(sockets, 'tplug.sock'));
  writeFileSync(join(specs, 'tspec.spec'), `unix://${join(sockets, 'tplug.sock')}\n`);
  writeFileSync(join(specs, 'tdown.json'), JSON.stringify({ Name: 'tdown', Addr: `unix://${join(base, 'nothing.sock')}` }));
  d = await startBusyboxDaemon();
}, 120_000);

afterAll(async () => {
  await cleanupWithContainers(d);
  await stopPlugin();
  rmSync(base, { recursive: true, force: true });
});

describe('volume plugins', () => {
  it('creates a volume with docker volume create -d, as dockerd shows it', () => {
    expect(ok(d.docker(['volume', 'create', '-d', 'tplug', '--label', 'x=y', 'pv'])).trim()).toBe('pv');
    const [vol] = JSON.parse(ok(d.docker(['volume', 'inspect', 'pv']))) as Array<Record<string, unknown>>;
    expect(vol).toMatchObject({ Driver: 'tplug', Name: 'pv', Mountpoint: join(pluginDir, 'volumes', 'pv'), Scope: 'global', Labels: { x: 'y' } });
    expect(existsSync(join(pluginDir, 'volumes', 'pv'))).toBe(true);
    const activate = calls().find((c) => c.method === 'Plugin.Activate');
    expect(activate?.accept).toBe('application/vnd.docker.plugins.v1.2+json');
    expect(ok(d.docker(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']))).toContain('tplug pv\n');
  });

  it('mounts a plugin volume a container writes to (--volume-driver), with the same mount ID at mount and unmount', () => {
    const id = ok(d.docker(['run', '-d', '--volume-driver', 'tplug', '-v', 'px:/d', 'busybox', 'sh', '-c', 'echo from-container > /d/f'])).trim();
    expect(ok(d.docker(['wait', id])).trim()).toBe('0');
    expect(readFileSync(join(pluginDir, 'volumes', 'px', 'f'), 'utf8')).toBe('from-container\n');
    const mount = calls().find((c) => c.method === 'VolumeDriver.Mount' && c.body['Name'] === 'px');
    const unmount = calls().find((c) => c.method === 'VolumeDriver.Unmount' && c.body['Name'] === 'px');
    expect(mount?.body['ID']).toBe(id);
    expect(unmount?.body['ID']).toBe(id);
    const mounts = JSON.parse(ok(d.docker(['inspect', '-f', '{{json .Mounts}}', id]))) as Array<Record<string, unknown>>;
    expect(mounts).toEqual([{ Type: 'volume', Name: 'px', Source: join(pluginDir, 'volumes', 'px'), Destination: '/d', Driver: 'tplug', Mode: '', RW: true, Propagation: '' }]);
    ok(d.docker(['rm', id]));
    // The same plugin found through a spec file; a name taken by another driver is refused, as dockerd.
    ok(d.docker(['run', '--rm', '--mount', 'type=volume,src=py,dst=/m,volume-driver=tspec', 'busybox', 'sh', '-c', 'echo spec > /m/f']));
    expect(readFileSync(join(pluginDir, 'volumes', 'py', 'f'), 'utf8')).toBe('spec\n');
    expect(d.docker(['run', '--rm', '--mount', 'type=volume,src=px,dst=/m,volume-driver=tspec', 'busybox']).stderr).toContain('create px: volume name must be unique');
  });

  it("passes the plugin's error to the client, and removes through the plugin", () => {
    const r = d.docker(['volume', 'create', '-d', 'tplug', '-o', 'fail=no space left on the moon', 'bad']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error response from daemon: create bad: VolumeDriver.Create: no space left on the moon');
    expect(ok(d.docker(['volume', 'rm', 'pv'])).trim()).toBe('pv');
    expect(existsSync(join(pluginDir, 'volumes', 'pv'))).toBe(false);
    expect(calls().some((c) => c.method === 'VolumeDriver.Remove' && c.body['Name'] === 'pv')).toBe(true);
  });

  it('retries a plugin that is down, then answers with the connection error; nothing is lost', async () => {
    const r = d.docker(['volume', 'create', '-d', 'tdown', 'dv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`create dv: Post "http://${encodeURIComponent(join(base, 'nothing.sock'))}/Plugin.Activate": dial unix ${join(base, 'nothing.sock')}: connect: no such file or directory`);
    ok(d.docker(['volume', 'create', '-d', 'tplug', 'kept']));
    await stopPlugin();
    const down = d.docker(['run', '--rm', '-v', 'kept:/k', 'busybox', 'true']);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/connect: (connection refused|no such file or directory)/);
    expect(ok(d.docker(['volume', 'ls', '-q']))).toContain('kept\n');
    plugin = await startPlugin(join(sockets, 'tplug.sock'));
    expect(ok(d.docker(['run', '--rm', '-v', 'kept:/k', 'busybox', 'sh', '-c', 'echo back > /k/f; cat /k/f'])).trim()).toBe('back');
  });

  it('lists no managed plugins and refuses to install one', async () => {
    expect(ok(d.docker(['plugin', 'ls', '--format', '{{.Name}}']))).toBe('');
    const r = d.docker(['plugin', 'install', '--grant-all-permissions', 'vieux/sshfs']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('managed plugins (docker plugin install) are not supported by tsdocker');
  });
});
