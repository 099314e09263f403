// readLogs, cgroupPids and top against real containers: tsd-shim writing and
// rotating the json-file and local logs, tsd-runtime placing the processes in their cgroup.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLogs } from '../../src/container/logs';
import { cgroupPids, top } from '../../src/container/top';
import { shimPath } from '../../src/native/paths';
import { canRunContainers, makeRootfs } from '../native/bundle';
import { Shims } from '../native/shims';
import { collect, deframe, jsonFile, readAll, waitFor } from './log-helpers';

const enabled = canRunContainers() && existsSync(shimPath());

let dir: string;
let shims: Shims;

beforeAll(() => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tsd-ctr-shim-'));
  shims = new Shims(dir, makeRootfs(join(dir, 'rootfs-holder')), `/tsdctrtest-${process.pid}`, 'c');
});

afterAll(async () => {
  if (!enabled) return;
  await shims.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!enabled)('with tsd-shim and tsd-runtime', () => {
  it('follows a log the shim rotates, to the last line, and reads it back with tail', async () => {
    // Slow enough that the reader follows several rotations as they happen.
    // (About 40 kB: 5 rotations, and the 5 files of 8 kB kept hold nearly all, so a
    // reader slowed by load loses nothing; one further behind would, as with Docker.)
    const script = 'i=0; while [ $i -lt 300 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); [ $((i % 10)) = 0 ] && usleep 10000; done; printf end';
    const c = await shims.launch({ args: ['sh', '-c', script] }, { logMaxSize: '8k', logMaxFile: 5 });
    const exited = c.client.wait();
    const follow = collect(readLogs(jsonFile(c.logFile), { follow: true, stdout: true, stderr: true, timestamps: false, tail: 'all' }, false, exited.then(() => undefined)));
    await c.client.start();
    await follow.ended;
    const got = deframe(follow.data());
    const out = got.filter((m) => m.stream === 1).map((m) => m.text);
    const err = got.filter((m) => m.stream === 2).map((m) => m.text);
    // Rotation keeps 5 files: the start of the output is gone, what the follower saw is not.
    expect(existsSync(`${c.logFile}.4`)).toBe(true);
    expect(existsSync(`${c.logFile}.5`)).toBe(false);
    expect(out).toEqual([...Array.from({ length: 300 }, (_, i) => `out ${i}\n`), 'end']);
    expect(err).toEqual(Array.from({ length: 300 }, (_, i) => `err ${i}\n`));

    // Afterwards: the last entries, across the rotated files (the shim's
    // stdout and stderr batches interleave in the file as it read the pipes).
    const opts = { follow: false, stdout: true, stderr: true, timestamps: true, tail: 150 } as const;
    const tail = deframe(await readAll(readLogs(jsonFile(c.logFile), opts, false, Promise.resolve())));
    expect(tail).toHaveLength(150);
    expect(tail.at(-1)!.text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z end$/);
    expect(readFileSync(c.logFile, 'utf8').trim().split('\n').length).toBeLessThan(150);
    const kept = deframe(await readAll(readLogs(jsonFile(c.logFile), { ...opts, timestamps: false, tail: 'all', stderr: false }, false, Promise.resolve())));
    expect(kept.length).toBeLessThan(301);
    expect(kept.map((m) => m.text)).toEqual(out.slice(301 - kept.length));
  });

  it("follows the local driver's log as the shim rotates and gzips it, and reads it back with tail, since and until", async () => {
    const script = 'i=0; while [ $i -lt 300 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); [ $((i % 10)) = 0 ] && usleep 10000; done; printf end';
    // About 40 kB: 5 rotations, and the 5 files of 8 kB kept hold nearly all, so a follower slowed by load loses nothing.
    const c = await shims.launch({ args: ['sh', '-c', script] }, { logMaxSize: '8k', logMaxFile: 5, local: { compress: true } });
    const source = { driver: 'local', path: c.logFile } as const;
    const exited = c.client.wait();
    const follow = collect(readLogs(source, { follow: true, stdout: true, stderr: true, timestamps: false, tail: 'all' }, false, exited.then(() => undefined)));
    await c.client.start();
    await follow.ended;
    const got = deframe(follow.data());
    expect(got.filter((m) => m.stream === 1).map((m) => m.text)).toEqual([...Array.from({ length: 300 }, (_, i) => `out ${i}\n`), 'end']);
    expect(got.filter((m) => m.stream === 2).map((m) => m.text)).toEqual(Array.from({ length: 300 }, (_, i) => `err ${i}\n`));
    // Five files in all, the rotated ones gzipped.
    const files = readdirSync(dirname(c.logFile)).sort();
    expect(files).toHaveLength(5);
    expect(files.filter((f) => f.endsWith('.gz'))).toHaveLength(4);

    const opts = { follow: false, stdout: true, stderr: false, timestamps: true, tail: 'all' } as const;
    const kept = deframe(await readAll(readLogs(source, opts, false, Promise.resolve())));
    const keptText = kept.map((m) => m.text.replace(/^\S+ /, ''));
    expect(keptText.at(-1)).toBe('end');
    const first = Number(/^out (\d+)/.exec(keptText[0]!)![1]);
    expect(keptText).toEqual([...Array.from({ length: 300 - first }, (_, i) => `out ${first + i}\n`), 'end']);
    // tail counts back across the gzipped files; since and until cut by time.
    const tail = deframe(await readAll(readLogs(source, { ...opts, timestamps: false, tail: 100 }, false, Promise.resolve())));
    expect(tail.map((m) => m.text)).toEqual(keptText.slice(-tail.length));
    expect(tail.length).toBeGreaterThan(30);
    const mid = kept[Math.floor(kept.length / 2)]!.text.split(' ')[0]!;
    const midNs = BigInt(Date.parse(mid.slice(0, 19) + 'Z') / 1000) * 1_000_000_000n + BigInt(mid.slice(20, 29));
    const since = deframe(await readAll(readLogs(source, { ...opts, since: midNs }, false, Promise.resolve())));
    expect(since[0]!.text.startsWith(mid)).toBe(true);
    const until = deframe(await readAll(readLogs(source, { ...opts, until: midNs }, false, Promise.resolve())));
    expect(until.at(-1)!.text.split(' ')[0]! <= mid).toBe(true);
    expect(until.length + since.length).toBeGreaterThanOrEqual(kept.length);
  });

  it('reads a tty container raw', async () => {
    const c = await shims.launch({ args: ['sh', '-c', 'echo hi; echo there'], terminal: true });
    await c.client.start();
    await c.client.wait();
    const data = await readAll(readLogs(jsonFile(c.logFile), { follow: false, stdout: true, stderr: true, timestamps: false, tail: 'all' }, true, Promise.resolve()));
    expect(data.toString()).toBe('hi\r\nthere\r\n');
  });

  it("finds a running container's processes in its cgroup and lists them with ps", async () => {
    const c = await shims.launch({ args: ['sh', '-c', 'sleep 300 & exec sleep 301'] });
    await c.client.start();
    let pids: number[] = [];
    let res = await top([], '');
    const commands = () => res.Processes.map((p) => p[7]).sort().join(',');
    // Until the shell has forked and exec'd.
    for (let i = 0; i < 200 && commands() !== 'sleep 300,sleep 301'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      pids = cgroupPids(c.cgroupsPath);
      res = await top(pids, '');
    }
    expect(pids).toHaveLength(2);
    expect(pids).toContain(c.pid);
    expect(res.Titles).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(commands()).toBe('sleep 300,sleep 301');
    expect(res.Processes.find((p) => p[1] === String(c.pid))![7]).toBe('sleep 301');
    await c.client.kill('KILL', true);
    await c.client.wait();
    await waitFor(() => cgroupPids(c.cgroupsPath).length === 0);
  });
});
