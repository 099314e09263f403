// tsd-init alone (the PID 1 of `docker run --init`): exit codes, the child's
// own process group, signal forwarding (to the child, or its group with -g),
// zombie reaping as a subreaper and as PID 1 of a new pid namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { initPath } from '../../src/native/paths';

const INIT = initPath();
const enabled = existsSync(INIT);
const isRoot = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process we start, and the pids they report, killed at the end if still alive. */
const started: ChildProcess[] = [];
const strays: number[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of strays.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  return existsSync(stat) && procStat(pid)?.state !== 'Z';
}

/** state, ppid and pgrp of /proc/<pid>/stat (undefined once the process is gone). */
function procStat(pid: number): { comm: string; state: string; ppid: number; pgrp: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const [state = '', ppid = '0', pgrp = '0'] = text.slice(close + 2).split(' ');
  return { comm: text.slice(text.indexOf('(') + 1, close), state, ppid: Number(ppid), pgrp: Number(pgrp) };
}

function childrenOf(pid: number): Array<{ pid: number; comm: string; state: string }> {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s?.ppid === pid) out.push({ pid: Number(name), comm: s.comm, state: s.state });
  }
  return out;
}

interface Running {
  child: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
}

function start(args: string[], cmd = INIT): Running {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
  return { child, out: () => out, exited };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

describe.skipIf(!enabled)('tsd-init', () => {
  const run = (args: string[]) => spawnSync(INIT, args, { encoding: 'utf8', timeout: 10_000 });

  it('exits with the command’s code, 128+signal when it is killed, 127/126 when exec fails, 1 on usage', () => {
    expect(run(['--', 'sh', '-c', 'exit 7']).status).toBe(7);
    expect(run(['sh', '-c', 'echo hi']).stdout).toBe('hi\n');
    expect(run(['sh', '-c', 'kill -KILL $$']).status).toBe(137);
    const notFound = run(['nope-not-here']);
    expect(notFound.status).toBe(127);
    expect(notFound.stderr).toBe('tsd-init: exec nope-not-here failed: No such file or directory\n');
    expect(run(['/etc/passwd']).status).toBe(126);
    expect(run([]).status).toBe(1);
    expect(run(['-x', 'true']).status).toBe(1);
    expect(run(['--version']).stdout).toMatch(/^tsd-init version \d+\.\d+\.\d+\n$/);
  });

  it('passes the command its own options and runs it in a process group of its own, signals unblocked', () => {
    // $$ is the shell's pid; field 5 of /proc/self/stat its process group; SigBlk its blocked set.
    const r = run(['sh', '-c', 'echo $$ $(cut -d" " -f5 /proc/$$/stat) $(grep SigBlk /proc/$$/status | cut -f2)', '-g']);
    const [pid, pgrp, blocked] = r.stdout.trim().split(' ');
    expect(pgrp).toBe(pid);
    expect(blocked).toBe('0000000000000000');
  });

  it('forwards signals to the child', async () => {
    const r = start(['sh', '-c', 'trap "echo got USR1; exit 3" USR1; echo ready; while :; do sleep 0.02; done']);
    await until(() => r.out().includes('ready'));
    r.child.kill('SIGUSR1');
    expect(await r.exited).toBe(3);
    expect(r.out()).toBe('ready\ngot USR1\n');

    const t0 = Date.now();
    const s = start(['sleep', '60']);
    await until(() => childrenOf(s.child.pid!).length === 1);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(143);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('forwards to the whole process group with -g, to the child alone without', async () => {
    for (const group of [true, false]) {
      const r = start([...(group ? ['-g'] : []), 'sh', '-c', 'sleep 60 & echo $!; wait']);
      await until(() => /^\d+\n/.test(r.out()));
      const sleeper = Number(r.out().trim());
      strays.push(sleeper);
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(143);
      await sleep(100);
      expect(alive(sleeper)).toBe(!group);
    }
  });

  it('adopts orphans as a subreaper and reaps them', async () => {
    const r = start(['sh', '-c', '(sleep 0.3 &); exec sleep 2']);
    const init = r.child.pid!;
    // The orphan (its subshell gone) now belongs to the init, beside the command.
    await until(() => childrenOf(init).length === 2);
    expect(childrenOf(init).map((c) => c.comm)).toEqual(['sleep', 'sleep']);
    // Once it exits it is reaped: no zombie left behind while the command runs on.
    await until(() => childrenOf(init).length === 1, 3000);
    expect(childrenOf(init)).toEqual([{ pid: expect.any(Number), comm: 'sleep', state: 'S' }]);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(143);
  });

  it.skipIf(!isRoot)('works as PID 1 of a pid namespace: reaps orphans, takes signals from outside', async () => {
    const ps = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', INIT, 'sh', '-c', '(sleep 0.1 &); sleep 0.5; ps -o pid,stat,comm'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(ps.status, ps.stderr).toBe(0);
    const rows = ps.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(rows[0]).toEqual(['1', 'S', 'tsd-init']);
    expect(rows.filter((r) => r[1]!.startsWith('Z'))).toEqual([]);

    const u = start(['--pid', '--fork', INIT, 'sleep', '60'], 'unshare');
    await until(() => childrenOf(u.child.pid!).some((c) => c.comm === 'tsd-init'));
    const init = childrenOf(u.child.pid!).find((c) => c.comm === 'tsd-init')!.pid;
    await until(() => childrenOf(init).length === 1);
    process.kill(init, 'SIGTERM');
    expect(await u.exited).toBe(143);
  });
});
