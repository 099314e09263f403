// Volumes across a daemon SIGKILL (live-restore, on by default): records and
// references come back, a running container keeps its volumes mounted (a
// tmpfs volume keeps its files), a container that exited while the daemon was
// down has its mount dropped at restore, and a volume a crash left without a
// record is removed.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithContainers, ok, startBusyboxDaemon, startDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;

beforeAll(async () => {
  d = await startBusyboxDaemon();
}, 120_000);

afterAll(async () => {
  await cleanupWithContainers(d);
});

const mounted = (path: string): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);

/** Until the container's shim has written its exit (the daemon is down: no API to ask). */
async function exitedWhileDown(id: string): Promise<void> {
  while (!existsSync(join(d.execRoot, id, 'exit.json'))) await new Promise((r) => setTimeout(r, 100));
}

describe('volumes after a daemon SIGKILL', () => {
  it('keeps records, references and the mounts of running containers; drops those of containers that exited meanwhile', async () => {
    ok(d.docker(['volume', 'create', 'named']));
    ok(d.docker(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=4m', 'tv']));
    ok(d.docker(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'short']));
    const runner = ok(d.docker(['run', '-d', '-v', 'tv:/t', '-v', 'named:/n', 'busybox', 'sh', '-c', 'echo live > /t/f; echo kept > /n/f; sleep 600'])).trim();
    const brief = ok(d.docker(['run', '-d', '-v', 'short:/s', 'busybox', 'sh', '-c', 'echo x > /s/f; sleep 2'])).trim();
    ok(d.docker(['exec', runner, 'cat', '/t/f']));
    const tvData = join(d.dataRoot, 'volumes', 'tv', '_data');
    const shortData = join(d.dataRoot, 'volumes', 'short', '_data');
    expect(mounted(tvData)).toBe(true);
    expect(mounted(shortData)).toBe(true);

    expect(await d.kill('SIGKILL')).toBe(null);
    // A volume directory a crash left without a record (its create never committed).
    mkdirSync(join(d.dataRoot, 'volumes', 'orphan', '_data'), { recursive: true });
    await exitedWhileDown(brief);
    d = await startDaemon({ dir: d.dir });

    expect(ok(d.docker(['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort()).toEqual(['named', 'short', 'tv']);
    expect(existsSync(join(d.dataRoot, 'volumes', 'orphan'))).toBe(false);
    expect(ok(d.docker(['exec', runner, 'cat', '/t/f', '/n/f']))).toBe('live\nkept\n');
    expect(mounted(tvData)).toBe(true);
    expect(d.docker(['volume', 'rm', 'tv']).stderr).toContain(`remove tv: volume is in use - [${runner}]`);
    // The exit while down was recorded and its start undone: the tmpfs is unmounted.
    expect(ok(d.docker(['inspect', '-f', '{{.State.Running}}', brief])).trim()).toBe('false');
    expect(mounted(shortData)).toBe(false);

    ok(d.docker(['rm', '-f', runner]));
    expect(mounted(tvData)).toBe(false);
    ok(d.docker(['rm', brief]));
    expect(ok(d.docker(['volume', 'rm', 'tv', 'short']))).toBe('tv\nshort\n');
    expect(ok(d.docker(['run', '--rm', '-v', 'named:/n', 'busybox', 'cat', '/n/f']))).toBe('kept\n');
  });
});
