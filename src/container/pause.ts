// docker pause/unpause: the container's cgroup is frozen and thawed by the
// daemon (cgroups.ts), whatever the OCI runtime, since every runtime puts the
// container in the same cgroup path. Docker's rules: only a running container
// pauses; a paused one still "runs" (State.Running, Status "paused"); a stop
// or kill thaws it after signalling, so that the signal is delivered. The
// lifecycle stops health probes (execs) while frozen and resumes them after.
import { ConflictError, TsdError, messageOf } from '../errors';
import { containerCgroup } from './cgroups';
import type { EventSink, Lifecycle } from './lifecycle';
import { signalNumber } from './signals';
import type { ContainerRecord } from './store';

export async function pauseContainer(lifecycle: Lifecycle, sink: EventSink, rec: ContainerRecord): Promise<void> {
  if (!rec.state.Running) throw new ConflictError(`Container ${rec.id} is not running`);
  if (rec.state.Paused) throw new ConflictError(`Container ${rec.id} is already paused`);
  if (rec.state.Restarting) throw new ConflictError(`Container ${rec.id} is restarting, wait until the container is running`);
  try {
    await containerCgroup(rec.id).freeze();
  } catch (err) {
    throw new TsdError(`Cannot pause container ${rec.id}: ${messageOf(err)}`);
  }
  lifecycle.transition(sink, rec, 'paused', {}, { action: 'pause' });
}

export async function unpauseContainer(lifecycle: Lifecycle, sink: EventSink, rec: ContainerRecord): Promise<void> {
  if (!rec.state.Paused) throw new ConflictError(`Container ${rec.id} is not paused`);
  try {
    await containerCgroup(rec.id).thaw();
  } catch (err) {
    throw new TsdError(`Cannot unpause container ${rec.id}: ${messageOf(err)}`);
  }
  lifecycle.transition(sink, rec, 'running', {}, { action: 'unpause' });
}

/**
 * Called after a signal went to a container: a paused one is thawed when the
 * signal is SIGKILL or its stop signal (any signal when it has none), as
 * dockerd's killWithSignal does; the signal is then delivered on thaw.
 * A failed thaw is only reported in the error log by dockerd: here, ignored.
 */
export async function thawAfterSignal(lifecycle: Lifecycle, sink: EventSink, rec: ContainerRecord, sig: number): Promise<void> {
  if (!rec.state.Paused) return;
  const stopSignal = rec.config.StopSignal;
  if (stopSignal && sig !== 9 && signalNumber(stopSignal) !== sig) return;
  try {
    await containerCgroup(rec.id).thaw();
  } catch {
    return;
  }
  if (lifecycle.store.get(rec.id) === rec && rec.state.Paused) lifecycle.transition(sink, rec, 'running', {}, { action: 'unpause', now: true });
}
