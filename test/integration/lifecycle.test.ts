// A container's lifecycle at its edges: a SIGKILL kill returns only once the
// container is dead and recorded so (scripts run `docker kill x && docker rm
// x`); an export takes the container's lock to mount its rootfs; restore
// removes what a crash left that no record owns, and nothing a record owns.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanupWithContainers, ok, startBusyboxDaemon, startDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
beforeAll(async () => {
  d = await startBusyboxDaemon();
}, 60_000);
afterAll(() => cleanupWithContainers(d));

const json = <T>(body: string): T => JSON.parse(body) as T;

describe('kill', () => {
  it('returns from a SIGKILL only once inspect says exited (50 times)', async () => {
    const created = await d.request('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } });
    const { Id } = json<{ Id: string }>(created.body);
    for (let i = 0; i < 50; i++) {
      expect((await d.request('POST', `/v1.41/containers/${Id}/start`)).status).toBe(204);
      expect((await d.request('POST', `/v1.41/containers/${Id}/kill`)).status).toBe(204);
      const { State } = json<{ State: { Running: boolean; Status: string; ExitCode: number } }>((await d.request('GET', `/v1.41/containers/${Id}/json`)).body);
      expect([i, State.Status, State.Running, State.ExitCode]).toEqual([i, 'exited', false, 137]);
    }
    expect((await d.request('DELETE', `/v1.41/containers/${Id}`)).status).toBe(204);
  });
});

describe('export', () => {
  it("takes the container's lock: an export asked for during a stop waits for it, and exports the stopped container", async () => {
    ok(d.docker(['run', '-d', '--name', 'exp', '--network', 'none', 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']));
    let stopped = false;
    const stop = d.request('POST', '/v1.41/containers/exp/stop?t=2').then((r) => {
      stopped = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    const answered = await new Promise<boolean>((resolve, reject) => {
      http.get({ socketPath: d.socket, path: '/v1.41/containers/exp/export' }, (res) => {
        resolve(stopped);
        res.resume();
      }).on('error', reject);
    });
    expect(answered).toBe(true);
    expect((await stop).status).toBe(204);
    ok(d.docker(['rm', 'exp']));
  });
});

describe('restore after a crash', () => {
  it('removes the container directories, shims, mounts and cgroups no record owns, and nothing a record owns', async () => {
    const orphan = ok(d.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '1000'])).trim();
    const pid = Number(ok(d.docker(['inspect', '-f', '{{.State.Pid}}', orphan])).trim());
    const kept = ok(d.docker(['create', '--name', 'kept', '--network', 'none', 'busybox', 'true'])).trim();
    await d.kill('SIGKILL');
    // What a SIGKILL between a create's directories and its record leaves (here also a running container's shim, mount and cgroup).
    const db = new Database(join(d.dataRoot, 'tsdocker.db'));
    db.prepare('DELETE FROM containers WHERE id = ?').run(orphan);
    db.close();
    const bare = randomBytes(32).toString('hex');
    mkdirSync(join(d.dataRoot, 'containers', bare, 'upper'), { recursive: true });
    const notAnId = join(d.dataRoot, 'containers', 'not-a-container');
    mkdirSync(notAnId);
    writeFileSync(join(notAnId, 'f'), 'x');
    expect(existsSync(`/proc/${pid}`)).toBe(true);

    d = await startDaemon({ dir: d.dir });
    // Killed by the restore; its reaping (by whoever inherited it) may come a moment later.
    await vi.waitFor(() => expect(running(pid)).toBe(false), { timeout: 5000, interval: 50 });
    for (const gone of [join(d.dataRoot, 'containers', orphan), join(d.execRoot, orphan), join(d.dataRoot, 'containers', bare)]) expect(existsSync(gone), gone).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(orphan);
    expect(existsSync(`/sys/fs/cgroup/pids/tsdocker/${orphan}`) || existsSync(`/sys/fs/cgroup/unified/tsdocker/${orphan}`)).toBe(false);
    expect(readFileSync(join(notAnId, 'f'), 'utf8')).toBe('x');
    expect(existsSync(join(d.dataRoot, 'containers', kept, 'upper'))).toBe(true);
    ok(d.docker(['start', '-a', 'kept']));
    ok(d.docker(['rm', 'kept']));
  });
});

/** Whether a process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
