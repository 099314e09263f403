// Live-restore with the real docker CLI against tsdockerd: the daemon is
// SIGKILLed under running containers and started again on the same state.
// Containers keep running (same pids, logs without a gap, stats, exec,
// attach, logs -f and stop still work); one that exits while the daemon is
// down shows its real exit code and a FinishedAt from the outage, and its
// restart policy is applied once the daemon is back.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, cleanupWithContainers, startBusyboxDaemon, startDaemon, type TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
beforeAll(async () => {
  d = await startBusyboxDaemon();
}, 60_000);
afterAll(() => cleanupWithContainers(d));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(100);
  }
}

const inspect = (name: string, format: string): string => ok(d.docker(['inspect', '-f', format, name])).trim();

/** Docker's RFC 3339 time with nanoseconds, as epoch milliseconds. */
const epochMs = (t: string): number => Date.parse(t.replace(/(\.\d{3})\d*Z$/, '$1Z'));

/** Processes whose command line holds every one of `words`: e.g. the shims and runtimes of a container, by its ID. */
function processesNaming(...words: string[]): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return words.every((w) => cmdline.includes(w));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Runs `docker args` until `done(output)` holds, then kills it; resolves with what it printed. */
function streamUntil(args: string[], done: (out: string) => boolean): Promise<string> {
  const child = spawn('docker', args, { env: { ...process.env, DOCKER_HOST: d.host } });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`docker ${args.join(' ')}: no match in ${JSON.stringify(out)}`));
    }, 10_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (!done(out)) return;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(out);
    });
  });
}

describe('daemon killed with SIGKILL', () => {
  it('keeps containers running and records what happened while it was down', async () => {
    const printer = ok(d.docker(['run', '-d', '--name', 'printer', 'busybox', 'sh', '-c', 'i=0; while true; do echo $i; i=$((i+1)); usleep 100000; done'])).trim();
    const sleeper = ok(d.docker(['run', '-d', '--name', 'sleeper', 'busybox', 'sleep', '1000'])).trim();
    const quitter = ok(d.docker(['run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 2; exit 42'])).trim();
    const retried = ok(d.docker(['run', '-d', '--name', 'retried', '--restart', 'on-failure:1', 'busybox', 'sh', '-c', 'echo run; sleep 2; exit 42'])).trim();
    const pids = Object.fromEntries(['printer', 'sleeper', 'quitter', 'retried'].map((n) => [n, Number(inspect(n, '{{.State.Pid}}'))]));
    for (const pid of Object.values(pids)) expect(pid).toBeGreaterThan(0);

    const killedAt = Date.now();
    expect(await d.kill('SIGKILL')).toBe(null);
    // (c) exits while the daemon is down; (a) and (b) keep running.
    await until(() => !existsSync(`/proc/${pids.quitter}`) && !existsSync(`/proc/${pids.retried}`));
    await sleep(300);
    expect(existsSync(`/proc/${pids.printer}`)).toBe(true);
    expect(existsSync(`/proc/${pids.sleeper}`)).toBe(true);
    const restartedAt = Date.now();
    d = await startDaemon({ dir: d.dir });

    expect(inspect('printer', '{{.State.Status}} {{.State.Pid}}')).toBe(`running ${pids.printer}`);
    expect(inspect('sleeper', '{{.State.Status}} {{.State.Pid}}')).toBe(`running ${pids.sleeper}`);

    // The exit the daemon missed: the real code, and the time it happened.
    expect(inspect('quitter', '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}')).toBe('exited false 42 0');
    const finishedAt = epochMs(inspect('quitter', '{{.State.FinishedAt}}'));
    expect(finishedAt).toBeGreaterThan(killedAt);
    expect(finishedAt).toBeLessThan(restartedAt);
    const dies = ok(d.docker(['events', '--since', String(Math.floor(killedAt / 1000) - 1), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=quitter', '--filter', 'event=die', '--format', '{{.Actor.Attributes.exitCode}}']));
    expect(dies).toBe('42\n');

    // Its restart policy applies once the daemon is back: one more run, then it stays exited.
    await until(() => inspect('retried', '{{.RestartCount}} {{.State.Status}}') === '1 exited', 15_000);
    expect(inspect('retried', '{{.State.ExitCode}}')).toBe('42');
    expect(ok(d.docker(['logs', 'retried']))).toBe('run\nrun\n');

    // The printer's log has no gap across the outage, and it kept counting.
    const numbers = ok(d.docker(['logs', 'printer'])).trim().split('\n').map(Number);
    numbers.forEach((n, i) => expect(n).toBe(i));
    expect(numbers.length).toBeGreaterThan((restartedAt - killedAt) / 100 / 2);

    const stats = ok(d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', 'printer', 'sleeper']));
    expect(stats).toMatch(/^printer [\d.]+[KMG]iB \/ [\d.]+[KMG]iB \d+\nsleeper [\d.]+[KMG]iB \/ [\d.]+[KMG]iB 1\n$/);
    expect(ok(d.docker(['exec', 'sleeper', 'sh', '-c', 'echo in $HOSTNAME']))).toBe(`in ${sleeper.slice(0, 12)}\n`);
    expect(d.docker(['exec', 'printer', 'sh', '-c', 'exit 7']).code).toBe(7);

    const last = numbers[numbers.length - 1]!;
    const attached = await streamUntil(['attach', '--no-stdin', 'printer'], (out) => /\n/.test(out));
    expect(Number(attached.split('\n')[0])).toBeGreaterThan(last);
    const followed = await streamUntil(['logs', '-f', '--tail', '1', 'printer'], (out) => out.split('\n').length > 3);
    const seq = followed.trim().split('\n').map(Number);
    seq.forEach((n, i) => expect(n).toBe(seq[0]! + i));

    ok(d.docker(['stop', '-t', '1', 'printer', 'sleeper']));
    expect(existsSync(`/proc/${pids.printer}`)).toBe(false);
    expect(existsSync(`/proc/${pids.sleeper}`)).toBe(false);
    expect(inspect('sleeper', '{{.State.Status}}')).toBe('exited');
    ok(d.docker(['rm', printer, sleeper, quitter, retried]));
    for (const id of [printer, sleeper, quitter, retried]) {
      expect(processesNaming(id)).toEqual([]);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(id);
    }
  });
});

describe('a paused container across a daemon restart', () => {
  it('stays paused, and its health probes wait for the unpause', async () => {
    const id = ok(d.docker(['run', '-d', '--name', 'ph', '--health-cmd', 'true', '--health-interval', '1s', 'busybox', 'sleep', '300'])).trim();
    /** The last probe's start and result (the log keeps the last 5). */
    const lastProbe = (): string => JSON.stringify((JSON.parse(inspect('ph', '{{json .State.Health.Log}}')) as unknown[]).at(-1) ?? null);
    await until(() => inspect('ph', '{{.State.Health.Status}}') === 'healthy');
    // Paused just after a probe, so that none is under way when the daemon dies
    // (one would stay frozen in the container until the unpause).
    const before = lastProbe();
    await until(() => lastProbe() !== before);
    ok(d.docker(['pause', 'ph']));
    const paused = lastProbe();
    expect(await d.kill('SIGKILL')).toBe(null);
    d = await startDaemon({ dir: d.dir });
    // Longer than the interval: a probe started at restore would be under way now (an exec: its shim shows).
    await sleep(1500);
    expect(inspect('ph', '{{.State.Status}} {{.State.Paused}} {{.State.Health.Status}}')).toBe('paused true healthy');
    expect(processesNaming(id, '--exec-process')).toEqual([]);
    expect(lastProbe()).toBe(paused);
    ok(d.docker(['unpause', 'ph']));
    await until(() => lastProbe() !== paused);
    expect(JSON.parse(lastProbe())).toMatchObject({ ExitCode: 0, Output: '' });
    ok(d.docker(['rm', '-f', 'ph']));
  });
});

describe('execs across a daemon restart', () => {
  it('lets a running exec finish, then leaves no exec shim behind', async () => {
    const id = ok(d.docker(['run', '-d', '--name', 'ex', 'busybox', 'sleep', '300'])).trim();
    ok(d.docker(['exec', '-d', 'ex', 'sh', '-c', 'sleep 1; touch /tmp/done']));
    expect(processesNaming(id, '--exec-process')).toHaveLength(1);
    expect(await d.kill('SIGKILL')).toBe(null);
    d = await startDaemon({ dir: d.dir });
    await until(() => d.docker(['exec', 'ex', 'test', '-e', '/tmp/done']).code === 0);
    await until(() => processesNaming(id, '--exec-process').length === 0);
    ok(d.docker(['rm', '-f', 'ex']));
  });
});

describe('daemon.json init', () => {
  it('runs an init in containers created without --init, at each start, as dockerd does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsd-test-init-'));
    const config = (init: boolean) => writeFileSync(join(dir, 'daemon.json'), `${JSON.stringify({ init })}\n`);
    config(true);
    let di: TestDaemon | undefined = await startBusyboxDaemon({ dir });
    try {
      const pid1 = (args: string[]) => ok(di!.docker(['run', '--rm', ...args, 'busybox', 'cat', '/proc/1/comm'])).trim();
      expect(pid1([])).toBe('docker-init');
      expect(pid1(['--init=false'])).toBe('cat');
      // The default stays out of the container's HostConfig: it is applied at start.
      ok(di.docker(['create', '--name', 'later', 'busybox', 'cat', '/proc/1/comm']));
      expect(ok(di.docker(['inspect', '-f', '{{json .HostConfig.Init}}', 'later']))).toBe('null\n');
      expect(ok(di.docker(['start', '-a', 'later']))).toBe('docker-init\n');

      await di.cleanup();
      config(false);
      di = await startDaemon({ dir });
      expect(pid1([])).toBe('cat');
      expect(pid1(['--init'])).toBe('docker-init');
      expect(ok(di.docker(['start', '-a', 'later']))).toBe('cat\n');
    } finally {
      await cleanupWithContainers(di);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused when not a boolean, with the key named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsd-test-init-'));
    writeFileSync(join(dir, 'daemon.json'), '{"init": "yes"}\n');
    try {
      await expect(startDaemon({ dir })).rejects.toThrow(/invalid value for "init" in configuration file: expected boolean/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a start the daemon died in', () => {
  it('ends the container it had begun and undoes the mount, leaving the container startable', async () => {
    const id = ok(d.docker(['run', '-d', '--name', 'halfway', 'busybox', 'sleep', '1000'])).trim();
    const pid = Number(inspect('halfway', '{{.State.Pid}}'));
    await d.kill('SIGKILL');
    // What a SIGKILL between the shim's start and the record's save leaves: a
    // live shim and container under a record that never said running.
    const db = new Database(join(d.dataRoot, 'tsdocker.db'));
    const row = db.prepare('SELECT record FROM containers WHERE id = ?').get(id) as { record: string };
    const rec = JSON.parse(row.record) as { state: Record<string, unknown> };
    rec.state = { ...rec.state, Status: 'created', Running: false, Pid: 0, StartedAt: '0001-01-01T00:00:00Z' };
    db.prepare('UPDATE containers SET record = ? WHERE id = ?').run(JSON.stringify(rec), id);
    db.close();
    expect(existsSync(`/proc/${pid}`)).toBe(true);

    d = await startDaemon({ dir: d.dir });
    await until(() => !existsSync(`/proc/${pid}`));
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(id);
    expect(inspect('halfway', '{{.State.Status}}')).toBe('created');
    ok(d.docker(['start', 'halfway']));
    expect(inspect('halfway', '{{.State.Running}}')).toBe('true');
    ok(d.docker(['rm', '-f', 'halfway']));
  });
});

describe('a docker cp the daemon died in', () => {
  it.skipIf(!existsSync('/sys/fs/cgroup/freezer'))('leaves a container frozen (v1 freezer) that the restart thaws, since the user did not pause it', async () => {
    const id = ok(d.docker(['run', '-d', '--name', 'copied', 'busybox', 'sleep', '1000'])).trim();
    await d.kill('SIGKILL');
    // What a copy in progress leaves (archive.ts freezes the container meanwhile).
    const state = `/sys/fs/cgroup/freezer/tsdocker/${id}/freezer.state`;
    writeFileSync(state, 'FROZEN');
    d = await startDaemon({ dir: d.dir });
    await until(() => readFileSync(state, 'utf8').trim() === 'THAWED');
    expect(inspect('copied', '{{.State.Status}} {{.State.Paused}}')).toBe('running false');
    ok(d.docker(['rm', '-f', 'copied']));
  });
});

describe('live-restore turned off', () => {
  it('stops the containers with the daemon; the restart policy brings them back at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsd-test-nolr-'));
    writeFileSync(join(dir, 'daemon.json'), '{"live-restore": false}\n');
    let dn: TestDaemon | undefined = await startBusyboxDaemon({ dir });
    try {
      const state = (name: string) => ok(dn!.docker(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', name])).trim().split(' ');
      ok(dn.docker(['run', '-d', '--name', 'plain', '--stop-timeout', '1', 'busybox', 'sleep', '1000']));
      ok(dn.docker(['run', '-d', '--name', 'always', '--stop-timeout', '1', '--restart', 'always', 'busybox', 'sleep', '1000']));
      const pids = ['plain', 'always'].map((n) => Number(state(n)[1]));
      expect(ok(dn.docker(['info', '-f', '{{.LiveRestoreEnabled}}']))).toBe('false\n');

      expect(await dn.kill('SIGTERM')).toBe(0);
      for (const pid of pids) expect(existsSync(`/proc/${pid}`), `pid ${pid} outlived the daemon`).toBe(false);

      dn = await startDaemon({ dir });
      // sleep as PID 1 ignores SIGTERM: killed after the stop timeout.
      expect(ok(dn.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'plain']))).toBe('exited 137\n');
      await until(() => state('always')[0] === 'running');
      expect(Number(state('always')[1])).not.toBe(pids[1]);
    } finally {
      await cleanupWithContainers(dn);
    }
  });
});
