// What the host's cgroups can limit (moby pkg/sysinfo), read once: Docker
// warns and discards a limit the kernel cannot apply, and create must do the
// same before tsdocker refuses what only its own runtime lacks.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { hostCgroupLayout } from '../system/cgroup-layout';

export interface CgroupSysInfo {
  cgroupVersion: '1' | '2';
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  memorySwappiness: boolean;
  kernelMemory: boolean;
  oomKillDisable: boolean;
  pidsLimit: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  cpuRealtime: boolean;
  cpuset: boolean;
  /** cpuset lists of the root cgroup ("0-3"). */
  cpus: string;
  mems: string;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioThrottle: boolean;
  ncpu: number;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function probeV1(mounts: ReadonlyMap<string, string>): Omit<CgroupSysInfo, 'cgroupVersion' | 'ncpu'> {
  const has = (ctrl: string, file: string): boolean => {
    const dir = mounts.get(ctrl);
    return dir !== undefined && existsSync(join(dir, file));
  };
  const cpuset = mounts.get('cpuset');
  return {
    memoryLimit: has('memory', 'memory.limit_in_bytes'),
    swapLimit: has('memory', 'memory.memsw.limit_in_bytes'),
    memoryReservation: has('memory', 'memory.soft_limit_in_bytes'),
    memorySwappiness: has('memory', 'memory.swappiness'),
    kernelMemory: has('memory', 'memory.kmem.limit_in_bytes'),
    oomKillDisable: has('memory', 'memory.oom_control'),
    pidsLimit: mounts.has('pids'),
    cpuShares: has('cpu', 'cpu.shares'),
    cpuCfs: has('cpu', 'cpu.cfs_quota_us'),
    cpuRealtime: has('cpu', 'cpu.rt_period_us'),
    cpuset: cpuset !== undefined,
    cpus: cpuset ? read(join(cpuset, 'cpuset.effective_cpus')) || read(join(cpuset, 'cpuset.cpus')) : '',
    mems: cpuset ? read(join(cpuset, 'cpuset.effective_mems')) || read(join(cpuset, 'cpuset.mems')) : '',
    blkioWeight: has('blkio', 'blkio.weight'),
    blkioWeightDevice: has('blkio', 'blkio.weight_device'),
    blkioThrottle: has('blkio', 'blkio.throttle.read_bps_device'),
  };
}

function probeV2(root: string): Omit<CgroupSysInfo, 'cgroupVersion' | 'ncpu'> {
  const ctrls = new Set(read(join(root, 'cgroup.controllers')).split(' '));
  const memory = ctrls.has('memory');
  return {
    memoryLimit: memory,
    swapLimit: memory,
    memoryReservation: memory,
    memorySwappiness: false,
    kernelMemory: false,
    oomKillDisable: false,
    pidsLimit: ctrls.has('pids'),
    cpuShares: ctrls.has('cpu'),
    cpuCfs: ctrls.has('cpu'),
    cpuRealtime: false,
    cpuset: ctrls.has('cpuset'),
    cpus: read(join(root, 'cpuset.cpus.effective')),
    mems: read(join(root, 'cpuset.mems.effective')),
    blkioWeight: ctrls.has('io') && existsSync(join(root, 'io.bfq.weight')),
    blkioWeightDevice: ctrls.has('io') && existsSync(join(root, 'io.bfq.weight')),
    blkioThrottle: ctrls.has('io'),
  };
}

let cached: CgroupSysInfo | undefined;

export function cgroupSysInfo(): CgroupSysInfo {
  if (cached === undefined) {
    const layout = hostCgroupLayout();
    cached = { cgroupVersion: layout.version, ncpu: os.availableParallelism(), ...(layout.version === '2' ? probeV2(layout.root) : probeV1(layout.mounts)) };
  }
  return cached;
}
