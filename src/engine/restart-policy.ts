// Restart policies as jobs: after an exit the policy (container/restart.ts)
// decides; a restart waits its back-off in the `restarting` phase, then runs
// as the job `container.restart-policy` under the container's lock, like a
// start from the API. A stop, kill or removal cancels a pending restart.
import type { Logger } from 'pino';
import type { JobEngine } from './jobs';
import { messageOf } from '../errors';
import { phaseOf, type EventSink } from '../container/lifecycle';
import { RestartTimers, shouldRestart } from '../container/restart';
import type { ContainerService } from '../container/service';
import type { ContainerRecord } from '../container/store';
import { containerLock } from './lock-keys';

export class RestartPolicy {
  private readonly timers = new RestartTimers();
  /** Set by close(): exits from then on leave their restarts to the next start. */
  private closing = false;

  constructor(
    private readonly jobs: JobEngine,
    private readonly containers: ContainerService,
    private readonly log: Logger,
  ) {}

  /** After an exit (or at restore, for a restart that was pending): restart later if the policy says so. */
  afterExit(sink: EventSink | undefined, rec: ContainerRecord, ranMs: number): void {
    const phase = phaseOf(rec);
    if (this.containers.store.get(rec.id) !== rec || (phase !== 'exited' && phase !== 'restarting')) return;
    const restart = shouldRestart({
      policy: rec.hostConfig.RestartPolicy,
      exitCode: rec.state.ExitCode,
      restartCount: rec.restartCount,
      manuallyStopped: rec.manuallyStopped,
      ranMs,
    });
    if (!restart) {
      this.timers.forget(rec.id);
      if (phase === 'restarting') this.containers.lifecycle.transition(sink, rec, 'exited');
      return;
    }
    this.containers.lifecycle.transition(sink, rec, 'restarting');
    if (this.closing) return; // restore() at the next start restarts it
    this.timers.schedule(rec.id, this.timers.nextDelay(rec.id, ranMs), () => void this.restart(rec));
  }

  private restart(rec: ContainerRecord): Promise<void> {
    return this.jobs.run({ name: 'container.restart-policy', object: rec.id, locks: [containerLock(rec.id)] }, async (ctx) => {
      if (this.containers.store.get(rec.id) !== rec || !rec.state.Restarting) return;
      rec.restartCount++;
      try {
        await this.containers.start(ctx, rec);
      } catch (err) {
        this.log.warn({ id: rec.id, err: messageOf(err) }, 'restart by policy failed');
        if (phaseOf(rec) === 'restarting') this.containers.lifecycle.transition(ctx, rec, 'exited');
      }
    });
  }

  /** Stops a pending restart (stop, kill, rm); true if there was one. */
  cancel(sink: EventSink, rec: ContainerRecord): boolean {
    if (!this.timers.cancel(rec.id)) return false;
    rec.manuallyStopped = true;
    this.containers.lifecycle.transition(sink, rec, 'exited');
    return true;
  }

  forget(id: string): void {
    this.timers.forget(id);
  }

  close(): void {
    this.closing = true;
    this.timers.cancelAll();
  }
}
