// What the daemon keeps from the other users of its host, tested as `nobody`
// (setpriv) against a real daemon:
// - its data root and exec root are closed to others: a setuid-root binary in an
//   image layer cannot be run from the host (CVE-2021-41091), and the database,
//   which holds every container's Env, its logs and its files cannot be read;
// - a real dockerd (the reference) denies the same attempt on its own layers;
// - an install left open by an older tsdockerd is closed at start;
// - containers still work for a non-root user inside them (through their mounts),
//   and their files keep their modes whatever umask the daemon was started with;
// - the listeners: plain TCP is refused on anything but loopback (TLS: tls.test.ts).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithContainers, ok, refusedStart, startBusyboxDaemon, startDaemon, type CommandResult, type TestDaemon } from '../helpers/daemon';
import { startDockerd } from '../helpers/dockerd';
import { itWithDockerd, succeeded } from '../helpers/peer';

/** Runs a shell command line as nobody, without any supplementary group. */
function asNobody(command: string): CommandResult {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', command], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts that nobody is refused `command` by the file modes. */
function deniedToNobody(command: string): void {
  const r = asNobody(command);
  expect(r.code, `${command}: ${r.stdout}`).not.toBe(0);
  expect(r.stderr).toMatch(/Permission denied/);
}

/** A one-layer image tar with the host's coreutils `id` as /bin/suid-id, setuid root (busybox would drop the privilege itself). */
async function setuidLayerTar(path: string): Promise<void> {
  const pack = tar.pack();
  const id = readFileSync('/usr/bin/id');
  pack.entry({ name: 'bin', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
  pack.entry({ name: 'bin/suid-id', type: 'file', mode: 0o4755, uid: 0, gid: 0, size: id.length }, id);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  writeFileSync(path, Buffer.concat(chunks));
}

/** A test directory others may enter, so that only the daemon's own modes keep nobody out of its state. */
function openTestDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-security-'));
  chmodSync(dir, 0o755);
  return dir;
}

const mode = (path: string) => statSync(path).mode & 0o7777;

describe('the daemon state is closed to other users', () => {
  let d: TestDaemon;
  let setuidBinary: string;
  let containerId: string;
  beforeAll(async () => {
    d = await startBusyboxDaemon({ dir: openTestDir() });
    const layerTar = join(d.dir, 'suid-layer.tar');
    await setuidLayerTar(layerTar);
    ok(d.docker(['import', layerTar, 'suid:latest']));
    setuidBinary = join(ok(d.docker(['image', 'inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'suid:latest'])).trim(), 'bin', 'suid-id');
    containerId = ok(d.docker(['run', '-d', '-e', 'SECRET=hunter2', 'busybox', 'sh', '-c', 'echo started; sleep 300'])).trim();
  }, 120_000);
  afterAll(async () => cleanupWithContainers(d), 60_000);

  it('a setuid-root binary in an image layer cannot be run by others from the data root', () => {
    // The layer keeps the bit (containers need their setuid binaries), and root runs it as it is.
    expect(mode(setuidBinary) & 0o4000).toBe(0o4000);
    expect(spawnSync(setuidBinary, ['-u'], { encoding: 'utf8' }).stdout).toBe('0\n');
    deniedToNobody(`${setuidBinary} -u`);
  });

  it('the data root and the exec root are 0700, and so are their directories', () => {
    for (const root of [d.dataRoot, d.execRoot]) {
      expect(mode(root).toString(8)).toBe('700');
      deniedToNobody(`ls ${root}`);
    }
    for (const dir of ['containers', 'layers', 'content']) expect(mode(join(d.dataRoot, dir)).toString(8)).toBe('700');
    expect(mode(join(d.dataRoot, 'containers', containerId)).toString(8)).toBe('700');
    expect(mode(join(d.execRoot, containerId)).toString(8)).toBe('700');
  });

  it('the database (every container Env), the logs and the container files are unreadable by others', () => {
    const db = join(d.dataRoot, 'tsdocker.db');
    for (const file of [db, `${db}-wal`, `${db}-shm`]) {
      expect(mode(file).toString(8)).toBe('600');
      deniedToNobody(`cat ${file}`);
    }
    expect(readFileSync(`${db}-wal`).includes('SECRET=hunter2') || readFileSync(db).includes('SECRET=hunter2')).toBe(true);
    const dir = join(d.dataRoot, 'containers', containerId);
    for (const name of [`${containerId}-json.log`, 'hosts', 'hostname', 'resolv.conf']) deniedToNobody(`cat ${join(dir, name)}`);
    deniedToNobody(`ls ${join(d.execRoot, containerId)}`);
  });

  it('a non-root user inside a container still reaches its files through the mounts', () => {
    const out = ok(d.docker(['run', '--rm', '-u', 'nobody', 'busybox', 'sh', '-c', 'id -u; cat /etc/hosts /etc/hostname /etc/resolv.conf >/dev/null && ls /bin/sh /etc/passwd']));
    expect(out).toBe('65534\n/bin/sh\n/etc/passwd\n');
    expect(ok(d.docker(['exec', '-u', 'nobody', containerId, 'sh', '-c', 'id -u; cat /etc/hosts >/dev/null && echo read']))).toBe('65534\nread\n');
  });

  it('the API socket stays 0660', () => {
    expect(mode(d.socket).toString(8)).toBe('660');
  });
});

describe('the same attempt against a real dockerd (the reference)', () => {
  itWithDockerd('dockerd denies nobody its layers, with no directory of its data root open to others', async () => {
    const peer = await startDockerd({ prefix: 'tsd-security-dockerd-' });
    try {
      chmodSync(peer.dir, 0o755); // as openTestDir: only dockerd's own modes count
      const layerTar = join(peer.dir, 'suid-layer.tar');
      await setuidLayerTar(layerTar);
      succeeded(peer.docker(['import', layerTar, 'suid:latest']), 'dockerd import');
      const upper = succeeded(peer.docker(['image', 'inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'suid:latest']), 'dockerd inspect').trim();
      const binary = join(upper, 'bin', 'suid-id');
      expect(mode(binary) & 0o4000).toBe(0o4000);
      deniedToNobody(`${binary} -u`);
      for (const dir of [peer.dataRoot, join(peer.dataRoot, 'overlay2'), join(peer.dataRoot, 'containers'), peer.execRoot]) {
        expect(mode(dir) & 0o007, dir).toBe(0);
      }
    } finally {
      await peer.stop();
    }
  });
});

describe('whatever umask the daemon was started with', () => {
  /** A busybox daemon spawned under `umask` (the child inherits it), as a service manager may start it. */
  async function daemonUnderUmask(umask: number): Promise<TestDaemon> {
    const previous = process.umask(umask);
    try {
      return await startBusyboxDaemon({ dir: openTestDir() });
    } finally {
      process.umask(previous);
    }
  }

  it('umask 000: the files a container gets are not writable by its other users', async () => {
    const d = await daemonUnderUmask(0o000);
    try {
      const id = ok(d.docker(['create', 'busybox', 'true'])).trim();
      ok(d.docker(['start', id]));
      for (const name of ['hosts', 'hostname', 'resolv.conf']) expect(mode(join(d.dataRoot, 'containers', id, name)).toString(8), name).toBe('644');
      const r = d.docker(['run', '--rm', '-u', 'nobody', 'busybox', 'sh', '-c', 'echo 6.6.6.6 evil >> /etc/hosts']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/Permission denied/);
    } finally {
      await cleanupWithContainers(d);
    }
  });

  it('umask 077: a non-root user inside a container still reaches / and /etc/hosts', async () => {
    const d = await daemonUnderUmask(0o077);
    try {
      expect(ok(d.docker(['run', '--rm', '-u', 'nobody', 'busybox', 'sh', '-c', 'cat /etc/hosts >/dev/null && ls -d /bin']))).toBe('/bin\n');
    } finally {
      await cleanupWithContainers(d);
    }
  });
});

describe('an install left open by an older tsdockerd', () => {
  it('is closed at start: the roots, their directories and the database files', async () => {
    const dir = openTestDir();
    const first = await startDaemon({ dir });
    const layerTar = join(dir, 'suid-layer.tar');
    await setuidLayerTar(layerTar);
    ok(first.docker(['import', layerTar, 'suid:latest']));
    const binary = join(ok(first.docker(['image', 'inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'suid:latest'])).trim(), 'bin', 'suid-id');
    expect(await first.kill('SIGTERM')).toBe(0);
    // The modes the daemon used to leave.
    const db = join(first.dataRoot, 'tsdocker.db');
    chmodSync(first.dataRoot, 0o711);
    chmodSync(first.execRoot, 0o755);
    for (const sub of ['layers', 'content']) chmodSync(join(first.dataRoot, sub), 0o755);
    chmodSync(dirname(dirname(dirname(binary))), 0o755); // layers/<id>
    chmodSync(db, 0o644);
    expect(asNobody(`${binary} -u`).stdout).toBe('0\n'); // the hole the restart must close

    const second = await startDaemon({ dir });
    try {
      deniedToNobody(`${binary} -u`);
      expect(mode(second.dataRoot).toString(8)).toBe('700');
      expect(mode(second.execRoot).toString(8)).toBe('700');
      for (const sub of ['layers', 'content']) expect(mode(join(second.dataRoot, sub)).toString(8)).toBe('700');
      expect(mode(db).toString(8)).toBe('600');
      expect(ok(second.docker(['image', 'ls', '-q', 'suid'])).trim()).not.toBe('');
    } finally {
      await second.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Starts tsdockerd expecting it to refuse: its exit code and stderr (it is killed after 15 s if it starts instead). */
describe('listeners: no plain TCP on the network', () => {
  it('refuses plain TCP on a non-loopback address before binding anything', () => {
    // 192.0.2.0/24 is TEST-NET-1: no interface here has it, so even a daemon that tried could not bind it.
    const r = refusedStart(['-H', 'tcp://192.0.2.10:23750']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refusing to listen on tcp://192.0.2.10:23750');
    expect(r.stderr).toContain('gives root access on this machine to everyone who has access to your network');
  });

  it('still listens on loopback TCP, with its warning', async () => {
    const port = 23_000 + (process.pid % 2000);
    const d = await startDaemon({ hosts: [`tcp://127.0.0.1:${port}`] });
    try {
      const r = spawnSync('docker', ['-H', `tcp://127.0.0.1:${port}`, 'version', '-f', '{{.Server.Os}}'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.stdout.trim(), r.stderr).toBe('linux');
      expect(d.logs()).toMatch(/API is listening on plain TCP without TLS/);
    } finally {
      await d.cleanup();
    }
  }, 30_000);
});
