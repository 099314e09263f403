// Docker's stats JSON from cgroup reads (src/container/stats.ts): the shapes
// dockerd writes for cgroup v1 and v2 (checked against dockerd 20.10 on this
// host), /proc/stat and /proc/net/dev parsing, and the frames of a container
// that does not run. Reads of running containers are covered end to end by
// test/integration/resources.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CgroupStats } from '../../src/container/cgroups';
import { emptyStats, parseNetDev, statsFrames, statsJson, systemCpu, toDockerStats, withPrevious, type StatsTarget } from '../../src/container/stats';

const target: StatsTarget = { id: 'c'.repeat(64), name: '/web', running: true, pid: 0, networkMode: 'none' };
const GiB = 1024 ** 3;

describe('host figures', () => {
  it('sums user..softirq of /proc/stat in nanoseconds and counts the CPUs', () => {
    const text = 'cpu  100 5 50 1000 10 1 2 7 0 0\ncpu0 50 5 25 500 5 1 1 7 0 0\ncpu1 50 0 25 500 5 0 1 0 0 0\nintr 1\n';
    expect(systemCpu(text)).toEqual({ usage: 1168 * 1e7, online: 2 });
    const live = systemCpu(readFileSync('/proc/stat', 'utf8'));
    expect(live.online).toBeGreaterThan(0);
    expect(live.usage).toBeGreaterThan(0);
  });

  it('reads /proc/net/dev without loopback', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
      '  eth0:    2048      16    1    2    0     0          0         0     1024       8    3    4    0     0       0          0',
    ].join('\n');
    expect(parseNetDev(text)).toEqual({
      eth0: { rx_bytes: 2048, rx_packets: 16, rx_errors: 1, rx_dropped: 2, tx_bytes: 1024, tx_packets: 8, tx_errors: 3, tx_dropped: 4 },
    });
  });
});

describe('toDockerStats', () => {
  const host = { usage: 5e12, online: 2 };
  const v1: CgroupStats = {
    cpu: { total: 300, perCpu: [100, 200], kernel: 1e7, user: 2e7, periods: 0, throttledPeriods: 0, throttledTime: 0 },
    memory: { usage: 4096, maxUsage: 8192, failcnt: 0, limit: 9223372036854771712, stat: { rss: 4096, total_inactive_file: 0, swap: 0 } },
    pids: { current: 2, limit: undefined },
    blkio: { serviced: [], serviceBytes: [{ major: 8, minor: 0, op: 'Read', value: 512 }] },
  };

  it('fills v1 fields as dockerd does: machine memory for no limit, every blkio list, percpu', () => {
    const s = toDockerStats(target, v1, '1', host, 2 * GiB, '2024-01-01T00:00:00.000000001Z');
    expect(s.cpu_stats).toEqual({
      cpu_usage: { total_usage: 300, percpu_usage: [100, 200], usage_in_kernelmode: 1e7, usage_in_usermode: 2e7 },
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
      system_cpu_usage: 5e12,
      online_cpus: 2,
    });
    expect(s.precpu_stats.cpu_usage.total_usage).toBe(0);
    expect(s.preread).toBe('0001-01-01T00:00:00Z');
    expect(s.memory_stats.limit).toBe(2 * GiB);
    expect(s.memory_stats.usage).toBe(4096);
    expect(s.memory_stats.max_usage).toBe(8192);
    expect(s.memory_stats).not.toHaveProperty('failcnt');
    expect(Object.keys(s.memory_stats.stats!)).toHaveLength(32); // dockerd's keys, not memory.stat's
    expect(s.memory_stats.stats!['total_inactive_file']).toBe(0);
    expect(s.memory_stats.stats).not.toHaveProperty('swap');
    expect(s.pids_stats).toEqual({ current: 2 });
    expect(s.blkio_stats.io_service_bytes_recursive).toEqual([{ major: 8, minor: 0, op: 'Read', value: 512 }]);
    expect(s.blkio_stats.io_queue_recursive).toEqual([]);
    expect(s).not.toHaveProperty('networks');
    expect([s.name, s.id, s.num_procs, s.storage_stats]).toEqual(['/web', target.id, 0, {}]);
  });

  it('fills v2 fields: no percpu or max_usage, failcnt from oom events, null blkio lists but the bytes', () => {
    const v2: CgroupStats = {
      cpu: { total: 3000, kernel: 1000, user: 2000, periods: 4, throttledPeriods: 1, throttledTime: 5000 },
      memory: { usage: 4096, failcnt: 1, limit: 32 << 20, stat: { anon: 4096, inactive_file: 0 } },
      pids: { current: 1, limit: 100 },
      blkio: { serviceBytes: [] },
    };
    const s = toDockerStats(target, v2, '2', host, 2 * GiB, 'now');
    expect(s.cpu_stats.cpu_usage).toEqual({ total_usage: 3000, usage_in_kernelmode: 1000, usage_in_usermode: 2000 });
    expect(s.cpu_stats.throttling_data).toEqual({ periods: 4, throttled_periods: 1, throttled_time: 5000 });
    expect(s.memory_stats).toMatchObject({ usage: 4096, failcnt: 1, limit: 32 << 20 });
    expect(s.memory_stats).not.toHaveProperty('max_usage');
    expect(Object.keys(s.memory_stats.stats!)).toHaveLength(31);
    expect(s.pids_stats).toEqual({ current: 1, limit: 100 });
    expect(s.blkio_stats.io_service_bytes_recursive).toBeNull();
    expect(s.blkio_stats.io_serviced_recursive).toBeNull();
  });

  it('takes precpu and preread from the previous read', () => {
    const a = toDockerStats(target, v1, '1', host, GiB, 'a');
    const b = withPrevious(toDockerStats(target, { ...v1, cpu: { ...v1.cpu!, total: 900 } }, '1', { usage: 6e12, online: 2 }, GiB, 'b'), a);
    expect(b.preread).toBe('a');
    expect(b.precpu_stats.cpu_usage.total_usage).toBe(300);
    expect(b.precpu_stats.system_cpu_usage).toBe(5e12);
    expect(b.cpu_stats.cpu_usage.total_usage).toBe(900);
  });

  it('writes integers past 2^53 with every digit, as Go does', () => {
    const s = toDockerStats(target, v1, '1', host, GiB, 'now');
    s.memory_stats.stats!['hierarchical_memory_limit'] = 9223372036854771712;
    const json = statsJson(s);
    expect(json).toContain('"hierarchical_memory_limit":9223372036854771712');
    expect(JSON.parse(json).memory_stats.limit).toBe(GiB);
  });
});

describe('frames of a container that does not run', () => {
  const stopped: StatsTarget = { ...target, running: false };
  const collect = async (gen: AsyncGenerator<string>, max: number): Promise<string[]> => {
    const out: string[] = [];
    for await (const f of gen) {
      out.push(f);
      if (out.length >= max) break;
    }
    return out;
  };

  it('answers one empty frame with name and id for stream=0', async () => {
    const frames = await collect(statsFrames({ stream: false, oneShot: false, target: () => stopped, machineMemory: GiB }), 5);
    expect(frames).toEqual([`${statsJson(emptyStats('/web', target.id))}\n`]);
    expect(JSON.parse(frames[0]!)).toMatchObject({ read: '0001-01-01T00:00:00Z', pids_stats: {}, memory_stats: {}, name: '/web', id: target.id });
    expect(JSON.parse(frames[0]!).blkio_stats.io_service_bytes_recursive).toBeNull();
  });

  it('streams empty frames every interval, and ends once the container is removed', async () => {
    let calls = 0;
    const gen = statsFrames({ stream: true, oneShot: false, target: () => (++calls <= 3 ? stopped : undefined), machineMemory: GiB, intervalMs: 10 });
    const frames = await collect(gen, 10);
    expect(frames).toHaveLength(2); // the first call is the request's own look
    expect(new Set(frames).size).toBe(1);
  });
});
