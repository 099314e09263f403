// linux.resources from the HostConfig's resource fields, as dockerd fills them
// (daemon WithResources: getMemoryResources, getCPUResources, getPidsLimit).
// validateCreate has already refused what tsd-runtime's cgroup code cannot
// apply (native/src/cgroups.c reads memory limit/swap/reservation/swappiness and
// disableOOMKiller, cpu shares/quota/period, cpuset cpus/mems, pids, blockIO
// weight and device rules).
import type { HostConfig } from '../api/containers';
import type { OciDeviceRule, OciResources } from './oci-types';

/** CFS period Docker uses for NanoCpus (100ms). */
const NANO_CPU_PERIOD = 100_000;

export function buildResources(hc: HostConfig, devices: OciDeviceRule[]): OciResources {
  const memory: NonNullable<OciResources['memory']> = {};
  if ((hc.Memory ?? 0) > 0) memory.limit = hc.Memory!;
  if ((hc.MemoryReservation ?? 0) > 0) memory.reservation = hc.MemoryReservation!;
  if ((hc.MemorySwap ?? 0) > 0) memory.swap = hc.MemorySwap!;
  // null when the kernel cannot (validateCreate dropped it); tsd-runtime writes memory.oom_control on v1.
  if (hc.OomKillDisable !== undefined && hc.OomKillDisable !== null) memory.disableOOMKiller = hc.OomKillDisable;
  // null when unset (-1) or on cgroup v2, where validateCreate discarded it with dockerd's warning.
  if (hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null) memory.swappiness = hc.MemorySwappiness;

  const cpu: NonNullable<OciResources['cpu']> = { shares: Math.max(0, hc.CpuShares ?? 0) };
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if ((hc.NanoCpus ?? 0) > 0) {
    cpu.period = NANO_CPU_PERIOD;
    cpu.quota = Math.floor((hc.NanoCpus! * NANO_CPU_PERIOD) / 1e9);
  }
  if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
  if (hc.CpuQuota) cpu.quota = hc.CpuQuota;

  const out: OciResources = { devices, memory, cpu, blockIO: { weight: hc.BlkioWeight ?? 0 } };
  // The API allows 0 and negative values to mean "unlimited"; runtimes want -1.
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null) out.pids = { limit: hc.PidsLimit > 0 ? hc.PidsLimit : -1 };
  return out;
}
