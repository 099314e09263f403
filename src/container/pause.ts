// docker pause/unpause: the container's cgroup is frozen and thawed by the
// daemon (cgroups.ts), whatever the OCI runtime, since every runtime puts the
// container in the same cgroup path. Docker's rules: only a running container
// pauses; a paused one still "runs" (State.Running, Status "paused"); a stop
// or kill thaws it after signalling, so that the signal is delivered.
import { ConflictError, TsdError, messageOf } from '../errors';
import { containerCgroup } from './cgroups';
import type { ContainerRecord, ContainerService } from './service';
import { signalNumber } from './signals';

export async function pauseContainer(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  if (!rec.state.Running) throw new ConflictError(`Container ${rec.id} is not running`);
  if (rec.state.Paused) throw new ConflictError(`Container ${rec.id} is already paused`);
  if (rec.state.Restarting) throw new ConflictError(`Container ${rec.id} is restarting, wait until the container is running`);
  try {
    await containerCgroup(rec.id).freeze();
  } catch (err) {
    throw new TsdError(`Cannot pause container ${rec.id}: ${messageOf(err)}`);
  }
  markPaused(svc, rec, true);
}

export async function unpauseContainer(svc: ContainerService, rec: ContainerRecord): Promise<void> {
  if (!rec.state.Paused) throw new ConflictError(`Container ${rec.id} is not paused`);
  try {
    await containerCgroup(rec.id).thaw();
  } catch (err) {
    throw new TsdError(`Cannot unpause container ${rec.id}: ${messageOf(err)}`);
  }
  markPaused(svc, rec, false);
}

/**
 * Called after a signal went to a container: a paused one is thawed when the
 * signal is SIGKILL or its stop signal (any signal when it has none), as
 * dockerd's killWithSignal does; the signal is then delivered on thaw.
 * A failed thaw is only reported in the error log by dockerd: here, ignored.
 */
export async function thawAfterSignal(svc: ContainerService, rec: ContainerRecord, sig: number): Promise<void> {
  if (!rec.state.Paused) return;
  const stopSignal = rec.config.StopSignal;
  if (stopSignal && sig !== 9 && signalNumber(stopSignal) !== sig) return;
  try {
    await containerCgroup(rec.id).thaw();
  } catch {
    return;
  }
  if (svc.store.get(rec.id) === rec && rec.state.Paused) markPaused(svc, rec, false);
}

/** The state change, as dockerd makes it: health probes (execs) stop while frozen. */
function markPaused(svc: ContainerService, rec: ContainerRecord, paused: boolean): void {
  rec.state = { ...rec.state, Paused: paused, Status: paused ? 'paused' : 'running' };
  svc.store.save(rec);
  if (paused) svc.health?.stop(rec.id);
  else svc.health?.start(rec);
  svc.emit(rec, paused ? 'pause' : 'unpause');
}
