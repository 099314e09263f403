// `docker run --init` with the real docker CLI against a real tsdockerd: our
// tsd-init is PID 1 (named docker-init, as with Docker), reaps the zombies a
// plain PID 1 leaves, and forwards docker stop's SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../fixtures/busybox';
import { ok, startDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
beforeAll(async () => {
  const rootfs = await busyboxRootfsTar();
  d = await startDaemon();
  ok(d.docker(['import', '-c', 'CMD ["sh"]', rootfs, 'busybox:latest']));
}, 60_000);
afterAll(async () => {
  if (!d) return;
  const ids = d.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length) d.docker(['rm', '-f', ...ids]);
  await d.cleanup();
});

const rows = (out: string) => out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));

describe('docker run --init', () => {
  it('runs our init as PID 1 and the command as its child', () => {
    const ps = rows(ok(d.docker(['run', '--rm', '--init', 'busybox', 'ps', '-o', 'pid,ppid,comm,args'])));
    expect(ps[0]).toEqual(['1', '0', 'docker-init', '/sbin/docker-init', '--', 'ps', '-o', 'pid,ppid,comm,args']);
    expect(ps[1]!.slice(1, 3)).toEqual(['1', 'ps']);
    expect(ps).toHaveLength(2);
    const inspect = ok(d.docker(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'ls -l /sbin/docker-init; grep " /sbin/docker-init " /proc/self/mountinfo']));
    expect(inspect).toMatch(/ro,/);
  });

  it('passes the exit code through, and exec failures as docker does', () => {
    expect(d.docker(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'exit 5']).code).toBe(5);
    const missing = d.docker(['run', '--rm', '--init', 'busybox', 'nope']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('exec nope failed: No such file or directory');
  });

  it('reaps orphaned zombies that a plain PID 1 leaves', async () => {
    // The subshell exits at once, so its `sleep 0.1` is re-parented to PID 1; `sleep 30` (exec'd) never waits.
    const zombies = async (init: boolean): Promise<string[]> => {
      const id = ok(d.docker(['run', '-d', ...(init ? ['--init'] : []), 'busybox', 'sh', '-c', '(sleep 0.1 &); exec sleep 30'])).trim();
      await new Promise((r) => setTimeout(r, 600));
      const ps = rows(ok(d.docker(['exec', id, 'ps', '-o', 'stat,comm'])));
      ok(d.docker(['rm', '-f', id]));
      return ps.filter((r) => r[0]!.startsWith('Z')).map((r) => r[1]!);
    };
    expect(await zombies(false)).toEqual(['sleep']);
    expect(await zombies(true)).toEqual([]);
  });

  it('forwards docker stop’s SIGTERM to the command: stops in well under the 10 s timeout', () => {
    const id = ok(d.docker(['run', '-d', '--init', 'busybox', 'sleep', '100'])).trim();
    const t0 = Date.now();
    ok(d.docker(['stop', id]));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(ok(d.docker(['inspect', '-f', '{{.State.ExitCode}}', id])).trim()).toBe('143');
    ok(d.docker(['rm', id]));
  });
});
