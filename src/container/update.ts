// docker update: new resource limits and restart policy for a container, as
// dockerd's ContainerUpdate does it: the create-time checks (update flavour),
// the fields given (non-zero) merged into the HostConfig with dockerd's
// conflicts, the limits written into the cgroup of a running (or paused)
// container, then the HostConfig persisted; a stopped container gets them at
// its next start. A failed cgroup write leaves the HostConfig as it was.
import type { HostConfig } from '../api/containers';
import type { ContainerUpdateBody, ContainerUpdateResponse, UpdatableResources } from '../api/resources';
import { ConflictError, TsdError, messageOf } from '../errors';
import { cgroupSysInfo } from '../runtime/sysinfo';
import { validateRestartPolicy } from '../runtime/validate';
import { verifyResources } from '../runtime/validate-resources';
import { containerCgroup, type ResourceUpdate } from './cgroups';
import { containerEvent, type EventSink } from './lifecycle';
import type { ContainerRecord, ContainerStore } from './store';

/** CFS period Docker uses for NanoCpus (100ms). */
const NANO_CPU_PERIOD = 100_000;

const cannotUpdate = (rec: ContainerRecord, why: string): string => `Cannot update container ${rec.id}: ${why}`;

/** dockerd's container.UpdateContainer: the fields given, merged; 409 on its conflicts. */
export function mergeUpdate(rec: ContainerRecord, r: ContainerUpdateBody): HostConfig {
  const cur = rec.hostConfig;
  const conflict = (why: string): ConflictError => new ConflictError(cannotUpdate(rec, `Conflicting options: ${why}`));
  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && (cur.CpuPeriod ?? 0) > 0) throw conflict('Nano CPUs cannot be updated as CPU Period has already been set');
  if (nano > 0 && (cur.CpuQuota ?? 0) > 0) throw conflict('Nano CPUs cannot be updated as CPU Quota has already been set');
  if ((r.CpuPeriod ?? 0) > 0 && (cur.NanoCpus ?? 0) > 0) throw conflict('CPU Period cannot be updated as NanoCPUs has already been set');
  if ((r.CpuQuota ?? 0) > 0 && (cur.NanoCpus ?? 0) > 0) throw conflict('CPU Quota cannot be updated as NanoCPUs has already been set');

  const next: HostConfig = { ...cur };
  const numbers: Array<keyof UpdatableResources & keyof HostConfig> = [
    'BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'MemorySwap', 'MemoryReservation', 'KernelMemory', 'CpuRealtimePeriod', 'CpuRealtimeRuntime',
  ];
  for (const k of numbers) if (r[k]) (next as Record<string, unknown>)[k] = r[k];
  if (r.CpusetCpus) next.CpusetCpus = r.CpusetCpus;
  if (r.CpusetMems) next.CpusetMems = r.CpusetMems;
  if (r.Memory) {
    if (r.Memory > (cur.MemorySwap ?? 0) && !r.MemorySwap) {
      throw new ConflictError(cannotUpdate(rec, 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time'));
    }
    next.Memory = r.Memory;
  }
  if (r.PidsLimit !== undefined && r.PidsLimit !== null) next.PidsLimit = r.PidsLimit;
  if (r.RestartPolicy?.Name) {
    if (cur.AutoRemove && r.RestartPolicy.Name !== 'no') {
      throw new ConflictError(cannotUpdate(rec, 'Restart policy cannot be updated because AutoRemove is enabled for the container'));
    }
    next.RestartPolicy = r.RestartPolicy;
  }
  return next;
}

/** dockerd's toContainerdResources: what a running container's cgroup gets (the fields given only). */
export function cgroupUpdate(r: ContainerUpdateBody): ResourceUpdate {
  const u: ResourceUpdate = {};
  if (r.Memory || r.MemorySwap || r.MemoryReservation) {
    u.memory = { limit: r.Memory || undefined, swap: r.MemorySwap || undefined, reservation: r.MemoryReservation || undefined };
  }
  const cpu: NonNullable<ResourceUpdate['cpu']> = {};
  if (r.CpuShares) cpu.shares = r.CpuShares;
  if (r.NanoCpus) {
    cpu.period = NANO_CPU_PERIOD;
    cpu.quota = Math.floor((r.NanoCpus * NANO_CPU_PERIOD) / 1e9);
  }
  if (!cpu.quota && r.CpuQuota) cpu.quota = r.CpuQuota;
  if (!cpu.period && r.CpuPeriod) cpu.period = r.CpuPeriod;
  if (r.CpusetCpus) cpu.cpus = r.CpusetCpus;
  if (r.CpusetMems) cpu.mems = r.CpusetMems;
  if (Object.keys(cpu).length) u.cpu = cpu;
  if (r.PidsLimit !== undefined && r.PidsLimit !== null) u.pids = r.PidsLimit;
  if (r.BlkioWeight) u.blkioWeight = r.BlkioWeight;
  return u;
}

/** POST /containers/{id}/update (the body already shaped for the API version by the route). */
export function updateContainer(store: ContainerStore, sink: EventSink, rec: ContainerRecord, body: ContainerUpdateBody): ContainerUpdateResponse {
  const r: ContainerUpdateBody = { ...body };
  validateRestartPolicy({ RestartPolicy: r.RestartPolicy });
  const warnings = verifyResources(r, cgroupSysInfo(), { update: true });
  if (rec.state.Status === 'removing' || rec.state.Dead) {
    throw new TsdError(cannotUpdate(rec, 'container is marked for removal and cannot be "update"'));
  }
  const next = mergeUpdate(rec, r);
  // A paused container runs too; a restarting one gets its limits at the start that comes.
  if (rec.state.Running && !rec.state.Restarting) {
    try {
      containerCgroup(rec.id).update(cgroupUpdate(r));
    } catch (err) {
      throw new TsdError(cannotUpdate(rec, messageOf(err)));
    }
  }
  rec.hostConfig = next;
  store.save(rec);
  sink.emit(containerEvent(rec, 'update'));
  return { Warnings: warnings };
}
