// src/container/cgroups.ts (and cgroup-files.ts) against real cgroups: a busy process in temporary
// cgroups of every v1 hierarchy (this host's layout) read, frozen, thawed and
// limited; the v2 reader on a real cgroup2 mount (the hybrid host's
// /sys/fs/cgroup/unified, or /sys/fs/cgroup on a v2 host) for what it offers
// without controllers (freeze, cpu.stat); and the v2 file formats for the
// controllers a hybrid host cannot give it (memory, pids, io, cpu.max) in a
// directory laid out as the kernel writes them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blkioToIoWeight, parseBlkioV1, parseFlatKeyed, parseIoStatV2, parseLimit, sharesToWeight } from '../../src/container/cgroup-files';
import { cgroupAt } from '../../src/container/cgroups';
import { cgroupMounts, hostCgroupLayout, readCgroupLayout, type CgroupLayout } from '../../src/system/cgroup-layout';

const ROOT = '/sys/fs/cgroup';
const isRoot = process.getuid?.() === 0;
const pureV2 = statfsSync(ROOT).type === 0x63677270;
const mounts = cgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')).v1;
const hasV1 = !pureV2 && ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'].every((c) => mounts.has(c));
const v2Root = pureV2 ? ROOT : existsSync(join(ROOT, 'unified', 'cgroup.procs')) ? join(ROOT, 'unified') : undefined;
const REL = `/tsdocker-cgtest-${process.pid}`;

const children: ChildProcess[] = [];
const made: string[] = [];
const tmps: string[] = [];

function mkcg(dir: string): string {
  mkdirSync(dir);
  made.push(dir);
  return dir;
}

/** A busy loop that moves itself into `procsFiles` first, so that what it maps is charged there. */
function busyIn(procsFiles: string[]): ChildProcess {
  const script = 'for f in "$@"; do echo $$ > "$f"; done; exec /bin/busybox sh -c "while :; do :; done"';
  const c = spawn('/bin/busybox', ['sh', '-c', script, 'sh', ...procsFiles], { stdio: 'ignore' });
  children.push(c);
  return c;
}

async function inCgroup(pid: number, procs: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (readFileSync(procs, 'utf8').split('\n').includes(String(pid))) return;
    await sleep(10);
  }
  throw new Error(`${pid} never joined ${procs}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  // A frozen process would not die: thaw first.
  for (const dir of made) {
    if (existsSync(join(dir, 'freezer.state'))) writeFileSync(join(dir, 'freezer.state'), 'THAWED');
    if (existsSync(join(dir, 'cgroup.freeze'))) writeFileSync(join(dir, 'cgroup.freeze'), '0');
  }
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    process.kill(c.pid!, 'SIGKILL');
    await exited;
  }
  for (const dir of made.reverse()) {
    for (let i = 0; i < 100; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        await sleep(20);
      }
    }
  }
  for (const t of tmps) rmSync(t, { recursive: true, force: true });
});

describe('file formats', () => {
  it('parses flat keyed files, limits and v1 blkio lists', () => {
    expect(parseFlatKeyed('user 12\nsystem 3\n')).toEqual({ user: 12, system: 3 });
    expect(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n')['oom_kill']).toBe(2);
    expect(parseLimit('max\n')).toBeUndefined();
    expect(parseLimit('33554432\n')).toBe(33554432);
    expect(parseBlkioV1('8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n')).toEqual([
      { major: 8, minor: 0, op: 'Read', value: 4096 },
      { major: 8, minor: 0, op: 'Write', value: 8192 },
      { major: 8, minor: 0, op: 'Sync', value: 0 },
      { major: 8, minor: 0, op: 'Async', value: 12288 },
      { major: 8, minor: 0, op: 'Discard', value: 0 },
      { major: 8, minor: 0, op: 'Total', value: 12288 },
    ]);
    expect(parseBlkioV1('Total 0\n')).toEqual([]);
    expect(parseBlkioV1('8:16 1234\n')).toEqual([{ major: 8, minor: 16, op: '', value: 1234 }]); // sectors_recursive
    expect(parseIoStatV2('254:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n')).toEqual([
      { major: 254, minor: 0, values: { rbytes: 4096, wbytes: 0, rios: 1, wios: 0, dbytes: 0, dios: 0 } },
    ]);
  });

  it('converts v1 values to v2 scales as runc does', () => {
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(262144)).toBe(10000);
    expect(blkioToIoWeight(10)).toBe(1);
    expect(blkioToIoWeight(500)).toBe(4950);
    expect(blkioToIoWeight(1000)).toBe(10000);
  });

  it('finds each v1 controller in mountinfo', () => {
    const info = [
      '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '36 31 0:33 /sub /mnt/elsewhere rw,relatime - cgroup cgroup rw,pids',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n');
    const { v1: m, unified } = cgroupMounts(info);
    expect(unified).toBe('/sys/fs/cgroup/unified');
    expect(m.get('cpu')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(m.get('cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(m.get('memory')).toBe('/sys/fs/cgroup/memory');
    expect(m.has('pids')).toBe(false); // not the hierarchy's root
    expect(readCgroupLayout('/nonexistent', () => info)).toEqual({ version: '1', mounts: m, unified: '/sys/fs/cgroup/unified' });
    expect(readCgroupLayout(ROOT)).toEqual(hostCgroupLayout());
  });
});

describe('the v2 reader and writer on files as the kernel writes them', () => {
  function v2Dir(files: Record<string, string>): { dir: string; layout: CgroupLayout } {
    const root = mkdtempSync(join(tmpdir(), 'tsd-cgv2-'));
    tmps.push(root);
    const dir = join(root, 'tsdocker', 'c1');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries({ 'cgroup.procs': '42\n', ...files })) writeFileSync(join(dir, name), text);
    return { dir, layout: { version: '2', root } };
  }

  it('reads cpu.stat, memory, pids and io.stat into Docker-ready numbers', () => {
    const { layout } = v2Dir({
      'cpu.stat': 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n',
      'memory.current': '1048576\n',
      'memory.max': '33554432\n',
      'memory.stat': 'anon 65536\nfile 4096\ninactive_file 4096\n',
      'memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
      'pids.current': '3\n',
      'pids.max': 'max\n',
      'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n',
    });
    const s = cgroupAt('/tsdocker/c1', layout).stats();
    expect(s.cpu).toEqual({ total: 2_500_000, kernel: 500_000, user: 2_000_000, periods: 10, throttledPeriods: 2, throttledTime: 300_000 });
    expect(s.memory).toEqual({ usage: 1048576, failcnt: 1, limit: 33554432, stat: { anon: 65536, file: 4096, inactive_file: 4096 } });
    expect(s.pids).toEqual({ current: 3, limit: undefined });
    expect(s.blkio).toEqual({
      serviceBytes: [
        { major: 8, minor: 0, op: 'read', value: 4096 },
        { major: 8, minor: 0, op: 'write', value: 8192 },
      ],
    });
  });

  it('leaves out what a controller does not offer, and fails once the cgroup is gone', () => {
    const { dir, layout } = v2Dir({ 'cpu.stat': 'usage_usec 1\nuser_usec 1\nsystem_usec 0\n' });
    const cg = cgroupAt('/tsdocker/c1', layout);
    const s = cg.stats();
    expect(s.cpu?.total).toBe(1000);
    expect(s.memory).toBeUndefined();
    expect(s.pids).toBeUndefined();
    expect(s.blkio).toBeUndefined();
    rmSync(dir, { recursive: true });
    expect(() => cg.stats()).toThrow(/ENOENT/);
  });

  it('writes limits in v2 terms, keeping the other half of cpu.max', () => {
    const { dir, layout } = v2Dir({ 'memory.max': 'max\n', 'cpu.max': 'max 100000\n', 'pids.max': 'max\n', 'io.weight': 'default 100\n' });
    const cg = cgroupAt('/tsdocker/c1', layout);
    const file = (n: string): string => readFileSync(join(dir, n), 'utf8');
    cg.update({ memory: { limit: 32 << 20, swap: 64 << 20, reservation: 16 << 20 } });
    expect([file('memory.max'), file('memory.swap.max'), file('memory.low')]).toEqual([String(32 << 20), String(32 << 20), String(16 << 20)]);
    cg.update({ memory: { swap: 48 << 20 } }); // swap alone: against the memory.max in place
    expect(file('memory.swap.max')).toBe(String(16 << 20));
    cg.update({ memory: { limit: -1 } });
    expect([file('memory.max'), file('memory.swap.max')]).toEqual(['max', 'max']);
    cg.update({ cpu: { quota: 50000 } });
    expect(file('cpu.max')).toBe('50000 100000');
    cg.update({ cpu: { period: 200000 } });
    expect(file('cpu.max')).toBe('50000 200000');
    cg.update({ cpu: { shares: 1024, cpus: '0', mems: '0' } });
    expect([file('cpu.weight'), file('cpuset.cpus'), file('cpuset.mems')]).toEqual(['39', '0', '0']);
    cg.update({ pids: 20 });
    expect(file('pids.max')).toBe('20');
    cg.update({ pids: 0 });
    expect(file('pids.max')).toBe('max');
    cg.update({ blkioWeight: 500 });
    expect(file('io.weight')).toBe('4950');
    writeFileSync(join(dir, 'io.bfq.weight'), 'default 100\n');
    cg.update({ blkioWeight: 300 });
    expect(file('io.bfq.weight')).toBe('300');
  });

  it('reads the frozen state from cgroup.events', () => {
    const { dir, layout } = v2Dir({ 'cgroup.events': 'populated 1\nfrozen 0\n' });
    const cg = cgroupAt('/tsdocker/c1', layout);
    expect(cg.frozen()).toBe(false);
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    expect(cg.frozen()).toBe(true);
  });
});

describe.skipIf(!isRoot || !hasV1)('cgroup v1 (this host)', () => {
  const layout: CgroupLayout = { version: '1', mounts };
  const CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer', 'blkio'];

  /** A busy process alone in its own cgroup `rel` of every hierarchy (combined ones once). */
  async function busyContainer(rel: string): Promise<{ pid: number; dirs: Map<string, string> }> {
    const dirs = new Map<string, string>();
    for (const c of CONTROLLERS) {
      const dir = join(mounts.get(c)!, rel);
      dirs.set(c, existsSync(dir) ? dir : mkcg(dir));
    }
    const cpuset = join(mounts.get('cpuset')!, rel);
    if (!existsSync(cpuset)) {
      mkcg(cpuset);
      for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(cpuset, f), readFileSync(join(mounts.get('cpuset')!, f)));
    }
    dirs.set('cpuset', cpuset);
    const child = busyIn([...new Set(dirs.values())].map((d) => join(d, 'cgroup.procs')));
    await inCgroup(child.pid!, join(dirs.get('memory')!, 'cgroup.procs'));
    return { pid: child.pid!, dirs };
  }

  it('is what the host layout says', () => {
    expect(hostCgroupLayout().version).toBe('1');
  });

  it('reads cpu, memory, pids and blkio of a busy process', async () => {
    const { dirs } = await busyContainer(`${REL}-read`);
    const cg = cgroupAt(`${REL}-read`, layout);
    await sleep(200);
    const a = cg.stats();
    await sleep(300);
    const b = cg.stats();
    expect(a.cpu!.total).toBeGreaterThan(0);
    expect(b.cpu!.total).toBeGreaterThan(a.cpu!.total);
    // usage_percpu is read after usage, and the process runs on meanwhile.
    expect(b.cpu!.perCpu!.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(b.cpu!.total);
    expect(b.cpu!.user + b.cpu!.kernel).toBeGreaterThan(0);
    expect(b.memory!.usage).toBeGreaterThan(0);
    expect(b.memory!.limit).toBe(Number(readFileSync(join(dirs.get('memory')!, 'memory.limit_in_bytes'), 'utf8')));
    expect(b.memory!.stat).toHaveProperty('total_rss');
    expect(b.pids).toEqual({ current: 1, limit: undefined });
    expect(b.blkio).toBeDefined();
  });

  it('freezes and thaws: the process stops using CPU and goes on after', async () => {
    const { pid, dirs } = await busyContainer(`${REL}-freeze`);
    const cg = cgroupAt(`${REL}-freeze`, layout);
    await cg.freeze();
    expect(cg.frozen()).toBe(true);
    expect(readFileSync(join(dirs.get('freezer')!, 'freezer.state'), 'utf8').trim()).toBe('FROZEN');
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^State:\s+D/m);
    const a = cg.stats().cpu!.total;
    await sleep(300);
    expect(cg.stats().cpu!.total).toBe(a);
    await cg.thaw();
    expect(cg.frozen()).toBe(false);
    await sleep(300);
    expect(cg.stats().cpu!.total).toBeGreaterThan(a);
  });

  it('writes new limits, memory and memsw in the order the kernel accepts', async () => {
    const { dirs } = await busyContainer(`${REL}-update`);
    const cg = cgroupAt(`${REL}-update`, layout);
    const read = (c: string, f: string): string => readFileSync(join(dirs.get(c)!, f), 'utf8').trim();
    const memsw = existsSync(join(dirs.get('memory')!, 'memory.memsw.limit_in_bytes'));
    cg.update({ memory: { limit: 32 << 20, ...(memsw ? { swap: 64 << 20 } : {}), reservation: 16 << 20 } });
    expect(read('memory', 'memory.limit_in_bytes')).toBe(String(32 << 20));
    expect(read('memory', 'memory.soft_limit_in_bytes')).toBe(String(16 << 20));
    if (memsw) {
      expect(read('memory', 'memory.memsw.limit_in_bytes')).toBe(String(64 << 20));
      // Down below the current memsw: memory first. Then up again: memsw first.
      cg.update({ memory: { limit: 16 << 20, swap: 16 << 20 } });
      expect([read('memory', 'memory.limit_in_bytes'), read('memory', 'memory.memsw.limit_in_bytes')]).toEqual([String(16 << 20), String(16 << 20)]);
      cg.update({ memory: { limit: 48 << 20, swap: 96 << 20 } });
      expect([read('memory', 'memory.limit_in_bytes'), read('memory', 'memory.memsw.limit_in_bytes')]).toEqual([String(48 << 20), String(96 << 20)]);
      expect(() => cg.update({ memory: { swap: 8 << 20 } })).toThrow(/^failed to write "8388608": write \/.*memory\.memsw\.limit_in_bytes: invalid argument$/);
    }
    cg.update({ cpu: { shares: 512, period: 50000, quota: 25000, cpus: '0' } });
    expect([read('cpu', 'cpu.shares'), read('cpu', 'cpu.cfs_period_us'), read('cpu', 'cpu.cfs_quota_us'), read('cpuset', 'cpuset.cpus')]).toEqual(['512', '50000', '25000', '0']);
    cg.update({ pids: 10 });
    expect(read('pids', 'pids.max')).toBe('10');
    expect(cg.stats().pids).toEqual({ current: 1, limit: 10 });
    cg.update({ pids: 0 });
    expect(read('pids', 'pids.max')).toBe('max');
  });
});

describe.skipIf(!isRoot || v2Root === undefined)('cgroup v2 on a real cgroup2 mount', () => {
  it('freezes and thaws through cgroup.freeze, and reads cpu.stat', async () => {
    const dir = mkcg(join(v2Root!, REL.slice(1)));
    const child = busyIn([join(dir, 'cgroup.procs')]);
    await inCgroup(child.pid!, join(dir, 'cgroup.procs'));
    const cg = cgroupAt(REL, { version: '2', root: v2Root! });
    await sleep(200);
    const a = cg.stats().cpu!.total;
    expect(a).toBeGreaterThan(0);
    await cg.freeze();
    expect(cg.frozen()).toBe(true);
    expect(parseFlatKeyed(readFileSync(join(dir, 'cgroup.events'), 'utf8'))['frozen']).toBe(1);
    const frozenAt = cg.stats().cpu!.total;
    await sleep(300);
    expect(cg.stats().cpu!.total).toBe(frozenAt);
    await cg.thaw();
    expect(cg.frozen()).toBe(false);
    await sleep(300);
    expect(cg.stats().cpu!.total).toBeGreaterThan(frozenAt);
  });
});
