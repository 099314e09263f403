// GET /containers/{id}/stats: Docker's StatsResponse made from a cgroup read
// (cgroups.ts), /proc/stat (host CPU time, for the CPU % delta) and the
// container's /proc/<pid>/net/dev. Frames as dockerd sends them:
//   one-shot=1        one read, precpu empty;
//   stream=0          two reads half a second apart (precpu = the first), so
//                     the CPU % is real (dockerd waits for its collector's next
//                     two ticks, a second apart: the docker CLI's --no-stream
//                     gets its answer half a second sooner here);
//   stream=1          a read now and then every second, precpu = the previous
//                     read (empty in the first frame); a container that does
//                     not run gets empty frames; the stream ends when it is removed.
// A container that does not run answers an empty frame (name and id only).
import { readFileSync } from 'node:fs';
import type { BlkioStatEntry, BlkioStats, ContainerStatsResponse, CpuStats, MemoryStats, NetworkStats } from '../api/resources';
import { nowRfc3339Nano, ZERO_TIME } from '../api/time';
import { isErrno } from '../errors';
import { containerCgroup, type BlkioEntry, type BlkioList, type CgroupStats } from './cgroups';

export const STATS_INTERVAL_MS = 1000;
/** The gap between the two reads of a stream=0 answer: /proc/stat counts in 10 ms ticks, so ±1 % on 2 CPUs. */
export const PRIME_MS = 500;

/** What a stats read needs to know of the container, taken afresh for every frame. */
export interface StatsTarget {
  id: string;
  /** Docker's form, "/name". */
  name: string;
  running: boolean;
  pid: number;
  networkMode: string;
}

// dockerd's memory_stats.stats keys (daemon/stats_unix.go statsV1/statsV2); missing ones are 0.
const V1_MEMORY_KEYS = [
  'cache', 'rss', 'rss_huge', 'mapped_file', 'dirty', 'writeback', 'pgpgin', 'pgpgout', 'pgfault', 'pgmajfault', 'inactive_anon',
  'active_anon', 'inactive_file', 'active_file', 'unevictable', 'hierarchical_memory_limit', 'hierarchical_memsw_limit',
  'total_cache', 'total_rss', 'total_rss_huge', 'total_mapped_file', 'total_dirty', 'total_writeback', 'total_pgpgin',
  'total_pgpgout', 'total_pgfault', 'total_pgmajfault', 'total_inactive_anon', 'total_active_anon', 'total_inactive_file',
  'total_active_file', 'total_unevictable',
];
const V2_MEMORY_KEYS = [
  'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty', 'file_writeback', 'anon_thp',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'slab_reclaimable', 'slab_unreclaimable',
  'pgfault', 'pgmajfault', 'workingset_refault', 'workingset_activate', 'workingset_nodereclaim', 'pgrefill', 'pgscan',
  'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree', 'pglazyfreed', 'thp_fault_alloc', 'thp_collapse_alloc',
];

const BLKIO_NAMES: Array<[keyof BlkioStats, BlkioList]> = [
  ['io_service_bytes_recursive', 'serviceBytes'],
  ['io_serviced_recursive', 'serviced'],
  ['io_queue_recursive', 'queued'],
  ['io_service_time_recursive', 'serviceTime'],
  ['io_wait_time_recursive', 'waitTime'],
  ['io_merged_recursive', 'merged'],
  ['io_time_recursive', 'time'],
  ['sectors_recursive', 'sectors'],
];

function emptyCpu(): CpuStats {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

function nullBlkio(): BlkioStats {
  return Object.fromEntries(BLKIO_NAMES.map(([name]) => [name, null])) as unknown as BlkioStats;
}

/** The frame of a container that does not run. */
export function emptyStats(name: string, id: string): ContainerStatsResponse {
  return {
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: nullBlkio(),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: emptyCpu(),
    precpu_stats: emptyCpu(),
    memory_stats: {},
    name,
    id,
  };
}

/** Host CPU time in nanoseconds (user..softirq of /proc/stat's "cpu" line, as dockerd sums it) and the online CPUs. */
export function systemCpu(procStat: string): { usage: number; online: number } {
  let usage = 0;
  let online = 0;
  for (const line of procStat.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === 'cpu') usage = (fields.slice(1, 8).reduce((sum, v) => sum + Number(v), 0) * 1e9) / 100;
    else if (/^cpu\d+$/.test(fields[0] ?? '')) online++;
  }
  return { usage, online };
}

/** /proc/net/dev counters per interface, loopback left out (dockerd reports the container's own interfaces). */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    out[m[1]!] = {
      rx_bytes: v[0] ?? 0,
      rx_packets: v[1] ?? 0,
      rx_errors: v[2] ?? 0,
      rx_dropped: v[3] ?? 0,
      tx_bytes: v[8] ?? 0,
      tx_packets: v[9] ?? 0,
      tx_errors: v[10] ?? 0,
      tx_dropped: v[11] ?? 0,
    };
  }
  return out;
}

function networks(t: StatsTarget): Record<string, NetworkStats> | undefined {
  if (t.networkMode === 'host' || t.pid <= 0) return undefined;
  try {
    const found = parseNetDev(readFileSync(`/proc/${t.pid}/net/dev`, 'utf8'));
    return Object.keys(found).length ? found : undefined;
  } catch {
    return undefined; // the init exited meanwhile
  }
}

function blkioStats(b: CgroupStats['blkio'], version: '1' | '2'): BlkioStats {
  const out = nullBlkio();
  const copy = (e: BlkioEntry[]): BlkioStatEntry[] => e.map(({ major, minor, op, value }) => ({ major, minor, op, value }));
  for (const [name, list] of BLKIO_NAMES) {
    const entries = b?.[list];
    // v1: dockerd copies every list (empty, not null); v2: only io_service_bytes_recursive, null when empty.
    if (version === '1' && b) out[name] = copy(entries ?? []);
    else if (entries?.length) out[name] = copy(entries);
  }
  return out;
}

function memoryStats(m: CgroupStats['memory'], version: '1' | '2', machineMemory: number): MemoryStats {
  if (!m) return {};
  const keys = version === '1' ? V1_MEMORY_KEYS : V2_MEMORY_KEYS;
  const limit = m.limit === undefined || (machineMemory > 0 && m.limit > machineMemory) ? machineMemory : m.limit;
  const out: MemoryStats = {};
  if (m.usage) out.usage = m.usage;
  if (m.maxUsage) out.max_usage = m.maxUsage;
  out.stats = Object.fromEntries(keys.map((k) => [k, m.stat[k] ?? 0]));
  if (m.failcnt) out.failcnt = m.failcnt;
  if (limit) out.limit = limit;
  return out;
}

/** Docker's StatsResponse from one cgroup read (precpu empty: see withPrevious). */
export function toDockerStats(t: StatsTarget, cg: CgroupStats, version: '1' | '2', host: { usage: number; online: number }, machineMemory: number, read: string): ContainerStatsResponse {
  const cpu = emptyCpu();
  if (cg.cpu) {
    cpu.cpu_usage = {
      total_usage: cg.cpu.total,
      ...(cg.cpu.perCpu ? { percpu_usage: cg.cpu.perCpu } : {}),
      usage_in_kernelmode: cg.cpu.kernel,
      usage_in_usermode: cg.cpu.user,
    };
    cpu.throttling_data = { periods: cg.cpu.periods, throttled_periods: cg.cpu.throttledPeriods, throttled_time: cg.cpu.throttledTime };
  }
  if (host.usage) cpu.system_cpu_usage = host.usage;
  if (host.online) cpu.online_cpus = host.online;
  const pids: ContainerStatsResponse['pids_stats'] = {};
  if (cg.pids?.current) pids.current = cg.pids.current;
  if (cg.pids?.limit) pids.limit = cg.pids.limit;
  const net = networks(t);
  return {
    read,
    preread: ZERO_TIME,
    pids_stats: pids,
    blkio_stats: blkioStats(cg.blkio, version),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu,
    precpu_stats: emptyCpu(),
    memory_stats: memoryStats(cg.memory, version, machineMemory),
    ...(net ? { networks: net } : {}),
    name: t.name,
    id: t.id,
  };
}

/** A read of a running container now; undefined once its cgroup is gone (it exited). */
export function readStats(t: StatsTarget, machineMemory: number): ContainerStatsResponse | undefined {
  const cgroup = containerCgroup(t.id);
  let cg: CgroupStats;
  try {
    cg = cgroup.stats();
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENODEV')) return undefined;
    throw err;
  }
  // Host CPU time right after the container's, so that both deltas cover the same time.
  const host = systemCpu(readFileSync('/proc/stat', 'utf8'));
  return toDockerStats(t, cg, cgroup.version, host, machineMemory, nowRfc3339Nano());
}

export function withPrevious(cur: ContainerStatsResponse, prev: ContainerStatsResponse | undefined): ContainerStatsResponse {
  return prev ? { ...cur, preread: prev.read, precpu_stats: prev.cpu_stats } : cur;
}

/** JSON as Go writes it: integers past 2^53 (v1's "no limit" values) keep every digit. */
export function statsJson(s: ContainerStatsResponse): string {
  return JSON.stringify(s, (_k, v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > Number.MAX_SAFE_INTEGER ? `\u0000${BigInt(v)}` : v)).replace(
    /"\\u0000(\d+)"/g,
    '$1',
  );
}

export interface StatsRequest {
  stream: boolean;
  oneShot: boolean;
  /** The container as it is now; undefined once removed. */
  target: () => StatsTarget | undefined;
  machineMemory: number;
  intervalMs?: number;
  primeMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The frames of one stats request, each one JSON line. */
export async function* statsFrames(req: StatsRequest): AsyncGenerator<string> {
  const interval = req.intervalMs ?? STATS_INTERVAL_MS;
  const read = (): ContainerStatsResponse | undefined => {
    const t = req.target();
    if (!t) return undefined;
    return (t.running ? readStats(t, req.machineMemory) : undefined) ?? emptyStats(t.name, t.id);
  };
  const line = (s: ContainerStatsResponse): string => `${statsJson(s)}\n`;
  const first = req.target();
  if (!first) return;
  if (!req.stream) {
    const primed = read();
    if (!first.running || req.oneShot || !primed) {
      if (primed) yield line(primed);
      return;
    }
    await sleep(req.primeMs ?? PRIME_MS);
    const now = read();
    if (now) yield line(now.read === ZERO_TIME ? now : withPrevious(now, primed));
    return;
  }
  let prev: ContainerStatsResponse | undefined;
  for (;;) {
    const now = read();
    if (!now) return;
    const running = now.read !== ZERO_TIME;
    yield line(running ? withPrevious(now, prev) : now);
    prev = running ? now : undefined;
    await sleep(interval);
  }
}
