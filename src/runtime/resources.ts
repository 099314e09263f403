// linux.resources from the HostConfig's resource fields, as dockerd fills them
// (daemon WithResources: getMemoryResources, getCPUResources, getPidsLimit).
// validateCreate has already refused what tsd-runtime's cgroup code cannot
// apply (native/src/cgroups.c reads memory limit/swap/reservation/swappiness and
// disableOOMKiller, cpu shares/quota/period, cpuset cpus/mems, pids, blockIO
// weight and device rules).
import type { HostConfig } from '../api/containers';
import { statSync } from 'node:fs';
import { InvalidArgumentError } from '../errors';
import type { OciBlkioRate, OciDeviceRule, OciResources } from './oci-types';

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

  const out: OciResources = { devices, memory, cpu, blockIO: blockIO(hc) };
  // The API allows 0 and negative values to mean "unlimited"; runtimes want -1.
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null) out.pids = { limit: hc.PidsLimit > 0 ? hc.PidsLimit : -1 };
  return out;
}

/** A block device's numbers, as dockerd's getBlkio* stat the paths (at start: a missing device fails it). */
function deviceNumbers(path: string): { major: number; minor: number } {
  let rdev: number;
  try {
    rdev = statSync(path).rdev;
  } catch (err) {
    throw new InvalidArgumentError(`failed to get stat of device ${path}: ${(err as Error).message}`);
  }
  // glibc's gnu_dev_major/minor, on a value that stays below 2^53.
  const major = (Math.floor(rdev / 256) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff & 0xfffff00);
  return { major, minor };
}

/** `[{Path, <key>}]` from the API (typed unknown[] there), each entry checked. */
function pathValues(list: unknown[] | null | undefined, key: 'Rate' | 'Weight'): Array<{ major: number; minor: number; value: number }> {
  return (list ?? []).map((d) => {
    const path = typeof d === 'object' && d !== null && 'Path' in d && typeof d.Path === 'string' ? d.Path : '';
    const value = typeof d === 'object' && d !== null && key in d ? Number((d as Record<string, unknown>)[key]) : 0;
    return { ...deviceNumbers(path), value: Number.isFinite(value) ? value : 0 };
  });
}

/** linux.resources.blockIO: the weight, and per device the weights and the four throttles. */
function blockIO(hc: HostConfig): NonNullable<OciResources['blockIO']> {
  const out: NonNullable<OciResources['blockIO']> = { weight: hc.BlkioWeight ?? 0 };
  const rates = (list: unknown[] | null | undefined): OciBlkioRate[] | undefined =>
    list?.length ? pathValues(list, 'Rate').map(({ major, minor, value }) => ({ major, minor, rate: value })) : undefined;
  if (hc.BlkioWeightDevice?.length) out.weightDevice = pathValues(hc.BlkioWeightDevice, 'Weight').map(({ major, minor, value }) => ({ major, minor, weight: value }));
  const throttles = {
    throttleReadBpsDevice: rates(hc.BlkioDeviceReadBps),
    throttleWriteBpsDevice: rates(hc.BlkioDeviceWriteBps),
    throttleReadIOPSDevice: rates(hc.BlkioDeviceReadIOps),
    throttleWriteIOPSDevice: rates(hc.BlkioDeviceWriteIOps),
  };
  for (const [k, v] of Object.entries(throttles) as Array<[keyof typeof throttles, OciBlkioRate[] | undefined]>) if (v) out[k] = v;
  return out;
}
