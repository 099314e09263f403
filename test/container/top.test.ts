// cgroupPids with real processes in real (temporary) cgroups, and top() with
// the host's real ps.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupPids, parsePsOutput, top } from '../../src/container/top';

const ROOT = '/sys/fs/cgroup';
const isRoot = process.getuid?.() === 0;
const pureV2 = statfsSync(ROOT).type === 0x63677270;
const hybridUnified = !pureV2 && existsSync(join(ROOT, 'unified', 'cgroup.procs')) ? join(ROOT, 'unified') : undefined;
const parent = `tsdtoptest-${process.pid}`;

const sleeps: ChildProcess[] = [];
const made: string[] = []; // cgroup dirs, removed deepest first

function sleeper(): number {
  const c = spawn('sleep', ['300'], { stdio: 'ignore' });
  sleeps.push(c);
  return c.pid!;
}

/** Creates <hierarchy>/<rel> (and its parents) and moves pid into it. */
function place(hierarchy: string, rel: string, pid: number): void {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const dir = join(hierarchy, ...parts.slice(0, i));
    if (!existsSync(dir)) {
      mkdirSync(dir);
      made.push(dir);
    }
  }
  writeFileSync(join(hierarchy, rel, 'cgroup.procs'), String(pid));
}

function procCgroups(pid: number): string {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8');
}


afterAll(async () => {
  await Promise.all(
    sleeps.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          process.kill(c.pid!, 'SIGKILL');
        }),
    ),
  );
  for (const dir of made.sort((a, b) => b.length - a.length)) {
    for (let i = 0; i < 100; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 20)); // the killed process leaves the cgroup asynchronously
      }
    }
  }
});

describe.skipIf(!isRoot || pureV2)('cgroupPids on a cgroup v1 / hybrid host', () => {
  it('reads a container cgroup and its sub-cgroups from the pids hierarchy', () => {
    const a = sleeper();
    const b = sleeper();
    place(join(ROOT, 'pids'), `${parent}/c1`, a);
    place(join(ROOT, 'pids'), `${parent}/c1/sub`, b);
    expect(procCgroups(a)).toContain(`pids:/${parent}/c1\n`);
    expect(cgroupPids(`/${parent}/c1`)).toEqual([a, b].sort((x, y) => x - y));
    expect(cgroupPids(`${parent}/c1`)).toEqual([a, b].sort((x, y) => x - y));
    expect(cgroupPids(`/${parent}/c1/sub`)).toEqual([b]);
    expect(cgroupPids(`/${parent}/none`)).toEqual([]);
  });

  it('falls back to the memory hierarchy, and reads systemd-style paths', () => {
    const a = sleeper();
    place(join(ROOT, 'memory'), `${parent}/c2`, a);
    expect(existsSync(join(ROOT, 'pids', parent, 'c2'))).toBe(false);
    expect(cgroupPids(`/${parent}/c2`)).toEqual([a]);
    const b = sleeper();
    place(join(ROOT, 'pids'), `${parent}/tsd-c3.scope`, b);
    expect(cgroupPids(`${parent}:tsd:c3`)).toEqual([b]);
  });

  it.skipIf(hybridUnified === undefined)('prefers the unified hierarchy when the cgroup exists there', () => {
    const inUnified = sleeper();
    const inV1 = sleeper();
    place(hybridUnified!, `${parent}/c4`, inUnified);
    place(join(ROOT, 'pids'), `${parent}/c4`, inV1);
    expect(procCgroups(inUnified)).toContain(`0::/${parent}/c4\n`);
    expect(cgroupPids(`/${parent}/c4`)).toEqual([inUnified]);
  });
});

describe.skipIf(!isRoot || !pureV2)('cgroupPids on a cgroup v2 host', () => {
  it('reads /sys/fs/cgroup<path>', () => {
    const a = sleeper();
    place(ROOT, `${parent}/c1`, a);
    expect(cgroupPids(`/${parent}/c1`)).toEqual([a]);
  });
});

describe('top', () => {
  it('runs ps -ef and keeps the header and the given pids', async () => {
    const a = sleeper();
    const other = sleeper();
    const res = await top([a], '');
    expect(res.Titles).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(res.Processes).toHaveLength(1);
    const row = res.Processes[0]!;
    expect(row).toHaveLength(8);
    expect(row[1]).toBe(String(a));
    expect(row[2]).toBe(String(process.pid));
    expect(row[7]).toBe('sleep 300');
    expect(res.Processes.some((p) => p[1] === String(other))).toBe(false);
  });

  it('takes BSD, custom-column and forest arguments', async () => {
    const a = sleeper();
    const aux = await top([a], 'aux');
    expect(aux.Titles).toEqual(['USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND']);
    expect(aux.Processes.map((p) => [p[1], p[10]])).toEqual([[String(a), 'sleep 300']]);
    expect(await top([a], '-o pid,args')).toEqual({ Processes: [[String(a), 'sleep 300']], Titles: ['PID', 'COMMAND'] });
    // Docker's field order, as its JSON has it.
    expect(Object.keys(aux)).toEqual(['Processes', 'Titles']);
    // f cannot be combined with -q: the unfiltered list is filtered here.
    const forest = await top([a], '-ef f');
    expect(forest.Processes).toHaveLength(1);
    expect(forest.Processes[0]![1]).toBe(String(a));
    expect(forest.Processes[0]!.at(-1)).toMatch(/\\_ sleep 300$/);
  });

  it("refuses what would fool the pid filter, with Docker's errors", async () => {
    const a = sleeper();
    await expect(top([a], '-o comm')).rejects.toThrow("Couldn't find PID field in ps output");
    await expect(top([a], '-o user=PID')).rejects.toThrow('specifying "user=PID" is not allowed');
    await expect(top([a], '-o pid=PID')).resolves.toEqual({ Processes: [[String(a)]], Titles: ['PID'] });
  });

  it("fails with ps's own first error line", async () => {
    const direct = spawnSync('ps', ['xyz'], { encoding: 'utf8' }).stderr.split('\n')[0];
    expect(direct).not.toBe('');
    await expect(top([1], 'xyz')).rejects.toThrow(`ps: ${direct}`);
    await expect(top([1], '--no-such-option')).rejects.toThrow(/^ps: /);
  });
});

describe('parsePsOutput', () => {
  it("needs a PID column, with Docker's errors", () => {
    expect(() => parsePsOutput('USER COMMAND\nroot sh\n', new Set([1]))).toThrow("Couldn't find PID field in ps output");
    expect(() => parsePsOutput('PID CMD\nabc sh\n', new Set([1]))).toThrow(
      `Unexpected pid 'abc': strconv.Atoi: parsing "abc": invalid syntax`,
    );
  });

  it('joins the overhanging fields into the last column and keeps thread rows', () => {
    const out = ['  PID TTY      STAT   TIME COMMAND', '    7 ?        Ss     0:00 sh -c sleep 1', '    -   -        Ss     0:00 -', '    8 ?        S      0:00 other', '    -   -        S      0:00 -', ''].join('\n');
    expect(parsePsOutput(out, new Set([7]))).toEqual({
      Processes: [
        ['7', '?', 'Ss', '0:00', 'sh -c sleep 1'],
        ['-', '-', 'Ss', '0:00', '-'],
      ],
      Titles: ['PID', 'TTY', 'STAT', 'TIME', 'COMMAND'],
    });
  });
});
