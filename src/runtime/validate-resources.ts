// Resource limits checked as dockerd does at create (daemon_unix.go
// verifyPlatformContainerResources): Docker's errors and warnings, limits the
// kernel cannot apply discarded with Docker's warning; then tsdocker refuses
// the limits the kernel could apply but tsd-runtime's cgroup code does not.
import type { HostConfig } from '../api/containers';
import { InvalidArgumentError } from '../errors';
import type { CgroupSysInfo } from './sysinfo';

const MIN_MEMORY = 6 * 1024 * 1024;

const notSupported = (what: string): InvalidArgumentError => new InvalidArgumentError(`${what} is not supported by tsdocker`);

/** Go's parsers.ParseUintList ("0-2,4"); undefined when malformed. */
function parseUintList(list: string): Set<number> | undefined {
  const out = new Set<number>();
  if (list === '') return out;
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

function checkCpuset(value: string | undefined, available: string, kind: 'cpus' | 'mems'): void {
  if (!value) return;
  const wanted = parseUintList(value);
  if (wanted === undefined) throw new InvalidArgumentError(`Invalid value ${value} for cpuset ${kind}: invalid format: ${value}`);
  const have = parseUintList(available) ?? new Set<number>();
  if ([...wanted].some((n) => !have.has(n))) {
    const what = kind === 'cpus' ? 'CPUs' : 'memory nodes';
    throw new InvalidArgumentError(`Requested ${what} are not available - requested ${value}, available: ${available}`);
  }
}

function checkMemory(r: HostConfig, sys: CgroupSysInfo, warnings: string[], update: boolean): void {
  if (r.MemorySwappiness === -1) r.MemorySwappiness = null;
  const memory = r.Memory ?? 0;
  if (memory !== 0 && memory < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  if (memory > 0 && !sys.memoryLimit) {
    warnings.push('Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.Memory = 0;
    r.MemorySwap = -1;
  }
  if ((r.Memory ?? 0) > 0 && r.MemorySwap !== -1 && !sys.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    r.MemorySwap = -1;
  }
  const swap = r.MemorySwap ?? 0;
  if ((r.Memory ?? 0) > 0 && swap > 0 && swap < r.Memory!) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  if ((r.Memory ?? 0) === 0 && swap > 0 && !update) throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null) {
    if (!sys.memorySwappiness) {
      warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
      r.MemorySwappiness = null;
    } else if (r.MemorySwappiness < 0 || r.MemorySwappiness > 100) {
      throw new InvalidArgumentError(`Invalid value: ${r.MemorySwappiness}, valid memory swappiness range is 0-100`);
    }
  }
  if ((r.MemoryReservation ?? 0) > 0 && !sys.memoryReservation) {
    warnings.push('Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.MemoryReservation = 0;
  }
  const reservation = r.MemoryReservation ?? 0;
  if (reservation > 0 && reservation < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory reservation allowed is 6MB');
  if ((r.Memory ?? 0) > 0 && reservation > 0 && r.Memory! < reservation) {
    throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if ((r.KernelMemory ?? 0) > 0) {
    if (!sys.kernelMemory) {
      warnings.push('Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
      r.KernelMemory = 0;
    } else if (r.KernelMemory! < MIN_MEMORY) {
      throw new InvalidArgumentError('Minimum kernel memory limit allowed is 6MB');
    }
  }
  if (r.OomKillDisable !== undefined && r.OomKillDisable !== null && !sys.oomKillDisable) {
    if (r.OomKillDisable) warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    r.OomKillDisable = null;
  }
  if (r.OomKillDisable && (r.Memory ?? 0) === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && !sys.pidsLimit) {
    if (r.PidsLimit > 0) warnings.push('Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.');
    r.PidsLimit = null;
  }
}

function checkCpu(r: HostConfig, sys: CgroupSysInfo, warnings: string[]): void {
  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && (r.CpuPeriod ?? 0) > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (r.CpuQuota ?? 0) > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && !sys.cpuCfs) {
    throw new InvalidArgumentError('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  }
  if (nano < 0 || nano > sys.ncpu * 1e9) {
    throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${sys.ncpu}.00, as there are only ${sys.ncpu} CPUs available`);
  }
  if ((r.CpuShares ?? 0) < 0) throw new InvalidArgumentError('shares: invalid argument');
  if ((r.CpuShares ?? 0) > 0 && !sys.cpuShares) {
    warnings.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    r.CpuShares = 0;
  }
  if (((r.CpuPeriod ?? 0) !== 0 || (r.CpuQuota ?? 0) !== 0) && !sys.cpuCfs) {
    warnings.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    r.CpuPeriod = 0;
    r.CpuQuota = 0;
  }
  const period = r.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const quota = r.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((r.CpuPercent ?? 0) > 0) {
    warnings.push('linux does not support CPU percent. Percent discarded.');
    r.CpuPercent = 0;
  }
  if ((r.CpuRealtimePeriod ?? 0) !== 0 || (r.CpuRealtimeRuntime ?? 0) !== 0) {
    if (!sys.cpuRealtime) throw new InvalidArgumentError('Your kernel does not support CPU real-time scheduler');
    throw notSupported('CPU real-time scheduling (--cpu-rt-period, --cpu-rt-runtime)');
  }
  if ((r.CpusetCpus || r.CpusetMems) && !sys.cpuset) {
    warnings.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    r.CpusetCpus = '';
    r.CpusetMems = '';
  }
  checkCpuset(r.CpusetCpus, sys.cpus, 'cpus');
  checkCpuset(r.CpusetMems, sys.mems, 'mems');
}

function checkBlkio(r: HostConfig, sys: CgroupSysInfo, warnings: string[]): void {
  if ((r.BlkioWeight ?? 0) > 0 && !sys.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  }
  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
  if ((r.IOMaximumBandwidth ?? 0) !== 0 || (r.IOMaximumIOps ?? 0) !== 0) {
    throw new InvalidArgumentError('Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
  }
  if ((r.BlkioWeightDevice ?? []).length > 0 && !sys.blkioWeightDevice) {
    warnings.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
    r.BlkioWeightDevice = [];
  }
  const throttles = [
    ['BlkioDeviceReadBps', 'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.'],
    ['BlkioDeviceWriteBps', 'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.'],
    ['BlkioDeviceReadIOps', 'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.'],
    ['BlkioDeviceWriteIOps', 'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.'],
  ] as const;
  for (const [field, warning] of throttles) {
    if ((r[field] ?? []).length > 0 && !sys.blkioThrottle) {
      warnings.push(warning);
      r[field] = [];
    }
  }
}

/** What the kernel could apply but tsd-runtime's cgroup code does not (native/src/cgroups.c). */
function refuseUnimplemented(r: HostConfig): void {
  if ((r.KernelMemory ?? 0) > 0) throw notSupported('KernelMemory (--kernel-memory)');
  if ((r.KernelMemoryTCP ?? 0) > 0) throw notSupported('KernelMemoryTCP');
  if ((r.CpuCount ?? 0) > 0) throw notSupported('CpuCount (--cpu-count, Windows only)');
  if ((r.DeviceRequests ?? []).length > 0) throw notSupported('DeviceRequests (--gpus)');
}

/**
 * Checks and adjusts the resource fields in place; returns Docker's warnings.
 * `update` (docker update) allows a swap limit without a memory limit: the
 * container's own memory limit stays.
 */
export function verifyResources(r: HostConfig, sys: CgroupSysInfo, opts: { update?: boolean } = {}): string[] {
  const warnings: string[] = [];
  checkMemory(r, sys, warnings, opts.update ?? false);
  checkCpu(r, sys, warnings);
  checkBlkio(r, sys, warnings);
  refuseUnimplemented(r);
  return warnings;
}
