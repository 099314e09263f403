// A running container's cgroup, read and changed by the daemon after the
// runtime created it (native/src/cgroups.c lays it out at linux.cgroupsPath,
// `/tsdocker/<id>`): stats, freeze/thaw (pause), and new limits (update).
// cgroup v1 (one directory per mounted controller; this host's layout, also
// when a v2 hierarchy is mounted beside them) and v2 (one directory under
// /sys/fs/cgroup) sit behind the same interface; src/system/cgroup-layout.ts
// tells which this host has.
// Values are what the kernel files hold; Docker's shapes are made in stats.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostCgroupLayout, type CgroupLayout } from '../system/cgroup-layout';
import { parseFlatKeyed, parseLimit, parseBlkioV1, parseIoStatV2, sharesToWeight, blkioToIoWeight, readOptional, readNumber, writeControl, waitFor } from './cgroup-files';
import type { BlkioEntry } from './cgroup-files';

/** USER_HZ: cpuacct.stat counts in these ticks on every Linux. */
const CLOCK_TICKS = 100;

export type { BlkioEntry } from './cgroup-files';

/** One read of a cgroup's counters; a group is absent when its controller is not there. */
export interface CgroupStats {
  cpu?: {
    /** Nanoseconds. */
    total: number;
    perCpu?: number[];
    kernel: number;
    user: number;
    periods: number;
    throttledPeriods: number;
    /** Nanoseconds. */
    throttledTime: number;
  };
  memory?: {
    usage: number;
    /** v1 only (memory.max_usage_in_bytes). */
    maxUsage?: number;
    /** v1 memory.failcnt; v2 the "oom" count of memory.events (as Docker reports it). */
    failcnt: number;
    /** undefined: no limit. */
    limit?: number;
    /** memory.stat. */
    stat: Record<string, number>;
  };
  pids?: { current: number; limit?: number };
  /** Docker's blkio lists by name (v2 fills only serviceBytes). */
  blkio?: Partial<Record<BlkioList, BlkioEntry[]>>;
}

export type BlkioList = 'serviceBytes' | 'serviced' | 'queued' | 'serviceTime' | 'waitTime' | 'merged' | 'time' | 'sectors';

/**
 * New limits for a running container; only the fields given are written.
 * memory.limit/swap: bytes, -1 for no limit (swap is memory + swap, as
 * Docker's MemorySwap). pids: 0 or less for no limit.
 */
export interface ResourceUpdate {
  memory?: { limit?: number; swap?: number; reservation?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: number;
  blkioWeight?: number;
}

/** A container's cgroup. Reads fail with ENOENT once the container is gone. */
export interface ContainerCgroup {
  readonly version: '1' | '2';
  stats(): CgroupStats;
  /** Freezes every process (pause); resolves once the kernel reports the cgroup frozen. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  frozen(): boolean;
  update(u: ResourceUpdate): void;
}

// ---- layout ------------------------------------------------------------------

/** The cgroup path tsdocker gives a container (its spec's linux.cgroupsPath). */
export function containerCgroupPath(id: string): string {
  return `/tsdocker/${id}`;
}

/** The cgroup at `path` ("/tsdocker/<id>") in `layout`. */
export function cgroupAt(path: string, layout: CgroupLayout = hostCgroupLayout()): ContainerCgroup {
  return layout.version === '2' ? new CgroupV2(join(layout.root, path)) : new CgroupV1(layout.mounts, path);
}

export function containerCgroup(id: string, layout?: CgroupLayout): ContainerCgroup {
  return cgroupAt(containerCgroupPath(id), layout);
}

// ---- v1 --------------------------------------------------------------------------

const V1_BLKIO_CFQ: Array<[BlkioList, string]> = [
  ['sectors', 'blkio.sectors_recursive'],
  ['serviceBytes', 'blkio.io_service_bytes_recursive'],
  ['serviced', 'blkio.io_serviced_recursive'],
  ['queued', 'blkio.io_queued_recursive'],
  ['serviceTime', 'blkio.io_service_time_recursive'],
  ['waitTime', 'blkio.io_wait_time_recursive'],
  ['merged', 'blkio.io_merged_recursive'],
  ['time', 'blkio.time_recursive'],
];

class CgroupV1 implements ContainerCgroup {
  readonly version = '1';

  constructor(
    private readonly mounts: ReadonlyMap<string, string>,
    private readonly path: string,
  ) {}

  /** The file in the controller's hierarchy; undefined when that controller is not mounted. */
  private file(controller: string, name: string): string | undefined {
    const mnt = this.mounts.get(controller);
    return mnt === undefined ? undefined : join(mnt, this.path, name);
  }

  private read(controller: string, name: string): string | undefined {
    const f = this.file(controller, name);
    return f === undefined ? undefined : readOptional(f);
  }

  private write(controller: string, name: string, value: string | number): void {
    const f = this.file(controller, name);
    if (f === undefined) throw new Error(`cgroup controller ${controller} is not mounted`);
    writeControl(f, value);
  }

  stats(): CgroupStats {
    const out: CgroupStats = {};
    const usage = this.read('cpuacct', 'cpuacct.usage');
    if (usage !== undefined) {
      const ticks = parseFlatKeyed(this.read('cpuacct', 'cpuacct.stat') ?? '');
      const throttle = parseFlatKeyed(this.read('cpu', 'cpu.stat') ?? '');
      const perCpu = (this.read('cpuacct', 'cpuacct.usage_percpu') ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
      out.cpu = {
        total: Number(usage.trim()),
        ...(perCpu.length ? { perCpu } : {}),
        kernel: ((ticks['system'] ?? 0) * 1e9) / CLOCK_TICKS,
        user: ((ticks['user'] ?? 0) * 1e9) / CLOCK_TICKS,
        periods: throttle['nr_periods'] ?? 0,
        throttledPeriods: throttle['nr_throttled'] ?? 0,
        throttledTime: throttle['throttled_time'] ?? 0,
      };
    }
    const memUsage = this.read('memory', 'memory.usage_in_bytes');
    if (memUsage !== undefined) {
      const num = (name: string): number => Number((this.read('memory', name) ?? '0').trim());
      out.memory = {
        usage: Number(memUsage.trim()),
        maxUsage: num('memory.max_usage_in_bytes'),
        failcnt: num('memory.failcnt'),
        limit: num('memory.limit_in_bytes'),
        stat: parseFlatKeyed(this.read('memory', 'memory.stat') ?? ''),
      };
    }
    const pids = this.read('pids', 'pids.current');
    if (pids !== undefined) out.pids = { current: Number(pids.trim()), limit: parseLimit(this.read('pids', 'pids.max') ?? 'max') };
    out.blkio = this.blkio();
    return out;
  }

  /** containerd's choice: CFQ's recursive files when they hold entries, else the throttle counters. */
  private blkio(): CgroupStats['blkio'] {
    if (!this.mounts.has('blkio')) return undefined;
    const cfq: Partial<Record<BlkioList, BlkioEntry[]>> = {};
    let entries = 0;
    for (const [list, name] of V1_BLKIO_CFQ) {
      const text = this.read('blkio', name);
      if (text === undefined) continue;
      cfq[list] = parseBlkioV1(text);
      entries += cfq[list]!.length;
    }
    if (entries > 0) return cfq;
    return {
      serviced: parseBlkioV1(this.read('blkio', 'blkio.throttle.io_serviced') ?? ''),
      serviceBytes: parseBlkioV1(this.read('blkio', 'blkio.throttle.io_service_bytes') ?? ''),
    };
  }

  async freeze(): Promise<void> {
    this.write('freezer', 'freezer.state', 'FROZEN');
    try {
      await waitFor(() => this.freezerState() === 'FROZEN', 'freeze');
    } catch (err) {
      this.write('freezer', 'freezer.state', 'THAWED');
      throw err;
    }
  }

  async thaw(): Promise<void> {
    this.write('freezer', 'freezer.state', 'THAWED');
    await waitFor(() => this.freezerState() === 'THAWED', 'thaw');
  }

  frozen(): boolean {
    return this.freezerState() === 'FROZEN';
  }

  private freezerState(): string {
    return (this.read('freezer', 'freezer.state') ?? '').trim();
  }

  update(u: ResourceUpdate): void {
    if (u.memory) this.updateMemory(u.memory);
    const c = u.cpu;
    if (c?.shares) this.write('cpu', 'cpu.shares', c.shares);
    if (c?.period) this.write('cpu', 'cpu.cfs_period_us', c.period);
    if (c?.quota) this.write('cpu', 'cpu.cfs_quota_us', c.quota);
    if (c?.cpus) this.write('cpuset', 'cpuset.cpus', c.cpus);
    if (c?.mems) this.write('cpuset', 'cpuset.mems', c.mems);
    if (u.pids !== undefined) this.write('pids', 'pids.max', u.pids > 0 ? u.pids : 'max');
    if (u.blkioWeight) {
      const cfq = this.file('blkio', 'blkio.weight');
      this.write('blkio', cfq !== undefined && existsSync(cfq) ? 'blkio.weight' : 'blkio.bfq.weight', u.blkioWeight);
    }
  }

  /** runc's order: the kernel refuses a memory limit above memsw, and memsw below the memory limit. */
  private updateMemory(m: NonNullable<ResourceUpdate['memory']>): void {
    const swap = m.swap ?? (m.limit === -1 ? -1 : undefined);
    const setLimit = (): void => {
      if (m.limit) this.write('memory', 'memory.limit_in_bytes', m.limit);
    };
    const setSwap = (): void => {
      if (swap) this.write('memory', 'memory.memsw.limit_in_bytes', swap);
    };
    if (m.limit && swap) {
      const current = Number((this.read('memory', 'memory.limit_in_bytes') ?? '0').trim());
      if (swap === -1 || current < swap) {
        setSwap();
        setLimit();
      } else {
        setLimit();
        setSwap();
      }
    } else {
      setLimit();
      setSwap();
    }
    if (m.reservation) this.write('memory', 'memory.soft_limit_in_bytes', m.reservation);
  }
}

// ---- v2 --------------------------------------------------------------------------

class CgroupV2 implements ContainerCgroup {
  readonly version = '2';

  constructor(private readonly dir: string) {}

  private read(name: string): string | undefined {
    return readOptional(join(this.dir, name));
  }

  private write(name: string, value: string | number): void {
    writeControl(join(this.dir, name), value);
  }

  stats(): CgroupStats {
    const out: CgroupStats = {};
    const cpu = this.read('cpu.stat');
    if (cpu !== undefined) {
      const s = parseFlatKeyed(cpu);
      out.cpu = {
        total: (s['usage_usec'] ?? 0) * 1000,
        kernel: (s['system_usec'] ?? 0) * 1000,
        user: (s['user_usec'] ?? 0) * 1000,
        periods: s['nr_periods'] ?? 0,
        throttledPeriods: s['nr_throttled'] ?? 0,
        throttledTime: (s['throttled_usec'] ?? 0) * 1000,
      };
    }
    const current = this.read('memory.current');
    if (current !== undefined) {
      out.memory = {
        usage: Number(current.trim()),
        failcnt: parseFlatKeyed(this.read('memory.events') ?? '')['oom'] ?? 0,
        limit: parseLimit(this.read('memory.max') ?? 'max'),
        stat: parseFlatKeyed(this.read('memory.stat') ?? ''),
      };
    }
    const pids = readNumber(join(this.dir, 'pids.current'));
    if (pids !== undefined) out.pids = { current: pids, limit: parseLimit(this.read('pids.max') ?? 'max') };
    const io = this.read('io.stat');
    if (io !== undefined) {
      out.blkio = {
        serviceBytes: parseIoStatV2(io).flatMap((d) => [
          { major: d.major, minor: d.minor, op: 'read', value: d.values['rbytes'] ?? 0 },
          { major: d.major, minor: d.minor, op: 'write', value: d.values['wbytes'] ?? 0 },
        ]),
      };
    }
    return out;
  }

  async freeze(): Promise<void> {
    this.write('cgroup.freeze', '1');
    try {
      await waitFor(() => this.frozen(), 'freeze');
    } catch (err) {
      this.write('cgroup.freeze', '0');
      throw err;
    }
  }

  async thaw(): Promise<void> {
    this.write('cgroup.freeze', '0');
    await waitFor(() => !this.frozen(), 'thaw');
  }

  /** cgroup.events says "frozen 1" once every process is frozen. */
  frozen(): boolean {
    return parseFlatKeyed(this.read('cgroup.events') ?? '')['frozen'] === 1;
  }

  update(u: ResourceUpdate): void {
    if (u.memory) this.updateMemory(u.memory);
    const c = u.cpu;
    if (c?.shares) this.write('cpu.weight', sharesToWeight(c.shares));
    if (c?.quota || c?.period) {
      // cpu.max holds both: keep the half not being changed.
      const [quotaNow = 'max', periodNow = '100000'] = (this.read('cpu.max') ?? '').trim().split(/\s+/);
      const quota = c.quota ? (c.quota > 0 ? String(c.quota) : 'max') : quotaNow;
      this.write('cpu.max', `${quota} ${c.period ?? periodNow}`);
    }
    if (c?.cpus) this.write('cpuset.cpus', c.cpus);
    if (c?.mems) this.write('cpuset.mems', c.mems);
    if (u.pids !== undefined) this.write('pids.max', u.pids > 0 ? u.pids : 'max');
    if (u.blkioWeight) {
      if (existsSync(join(this.dir, 'io.bfq.weight'))) this.write('io.bfq.weight', u.blkioWeight);
      else this.write('io.weight', blkioToIoWeight(u.blkioWeight));
    }
  }

  /** v2 limits swap alone (memory.swap.max); Docker's MemorySwap is memory + swap. */
  private updateMemory(m: NonNullable<ResourceUpdate['memory']>): void {
    if (m.limit) this.write('memory.max', m.limit > 0 ? m.limit : 'max');
    const swap = m.swap ?? (m.limit === -1 ? -1 : undefined);
    if (swap === -1) this.write('memory.swap.max', 'max');
    else if (swap) {
      const limit = m.limit && m.limit > 0 ? m.limit : parseLimit(this.read('memory.max') ?? 'max');
      if (limit === undefined) throw new Error('unable to set swap limit without memory limit');
      this.write('memory.swap.max', Math.max(0, swap - limit));
    }
    if (m.reservation) this.write('memory.low', m.reservation);
  }
}
