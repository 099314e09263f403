// Docker Engine API shapes for a container's resources at run time:
// GET /containers/{id}/stats (container.StatsResponse, Linux fields, JSON
// names as dockerd writes them; `omitempty` fields are optional here) and
// POST /containers/{id}/update (container.UpdateConfig).
import type { HostConfig, RestartPolicy } from './containers';

export interface CpuUsage {
  /** Nanoseconds of CPU time, all CPUs. */
  total_usage: number;
  /** cgroup v1 only. */
  percpu_usage?: number[];
  usage_in_kernelmode: number;
  usage_in_usermode: number;
}

export interface ThrottlingData {
  periods: number;
  throttled_periods: number;
  throttled_time: number;
}

export interface CpuStats {
  cpu_usage: CpuUsage;
  /** Nanoseconds of host CPU time (/proc/stat), for the CPU % delta. */
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: ThrottlingData;
}

export interface MemoryStats {
  usage?: number;
  max_usage?: number;
  stats?: Record<string, number>;
  failcnt?: number;
  limit?: number;
}

export interface PidsStats {
  current?: number;
  limit?: number;
}

export interface BlkioStatEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface BlkioStats {
  io_service_bytes_recursive: BlkioStatEntry[] | null;
  io_serviced_recursive: BlkioStatEntry[] | null;
  io_queue_recursive: BlkioStatEntry[] | null;
  io_service_time_recursive: BlkioStatEntry[] | null;
  io_wait_time_recursive: BlkioStatEntry[] | null;
  io_merged_recursive: BlkioStatEntry[] | null;
  io_time_recursive: BlkioStatEntry[] | null;
  sectors_recursive: BlkioStatEntry[] | null;
}

export interface NetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

export interface ContainerStatsResponse {
  /** RFC 3339 with nanoseconds; "0001-01-01T00:00:00Z" when not read. */
  read: string;
  preread: string;
  pids_stats: PidsStats;
  blkio_stats: BlkioStats;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: MemoryStats;
  /** Per interface; absent when the container has none besides loopback. */
  networks?: Record<string, NetworkStats>;
  name: string;
  id: string;
}

/** The HostConfig fields `docker update` may change. */
export type UpdatableResources = Pick<
  HostConfig,
  | 'BlkioWeight'
  | 'CpuShares'
  | 'NanoCpus'
  | 'CpuPeriod'
  | 'CpuQuota'
  | 'CpusetCpus'
  | 'CpusetMems'
  | 'Memory'
  | 'MemorySwap'
  | 'MemoryReservation'
  | 'KernelMemory'
  | 'CpuRealtimePeriod'
  | 'CpuRealtimeRuntime'
  | 'PidsLimit'
>;

/** POST /containers/{id}/update body: every Resources field (the CLI sends zeros for the unchanged ones) and RestartPolicy. */
export type ContainerUpdateBody = HostConfig & { RestartPolicy?: RestartPolicy };

export interface ContainerUpdateResponse {
  Warnings: string[];
}
