// The job engine. Every API operation that changes state runs as a named job
// (`container.create`, `image.tag`, …): it holds the locks of the objects it
// touches for its whole run, logs one structured line when it ends (job, object,
// duration, outcome), and may publish events on the bus: the job context is
// the only way events leave (container-jobs.ts, image-jobs.ts, exec-jobs.ts: one module per resource).
import type { Logger } from 'pino';
import { errorCodeOf, messageOf } from '../errors';
import type { EventSink } from './drivers';
import type { EventBus, EventInput } from './events';
import { KeyedLocks } from './locks';

/** emit() publishes once the job's work is done (events of a failed job are dropped); emitNow() at once. */
export interface JobContext extends EventSink {
  readonly log: Logger;
  /** Names the object the job turned out to act on (e.g. the ID a create made). */
  setObject(id: string): void;
}

export interface JobSpec {
  /** `resource.verb`, e.g. `container.create`. */
  name: string;
  /** The object acted on, for the log (an ID or name as the client gave it). */
  object?: string;
  /** Lock keys; operations sharing a key never interleave. Defaults to [object]. */
  locks?: readonly string[];
}

export class JobEngine {
  private readonly locks = new KeyedLocks();

  constructor(
    private readonly log: Logger,
    readonly events: EventBus,
  ) {}

  async run<T>(spec: JobSpec, work: (ctx: JobContext) => Promise<T> | T): Promise<T> {
    const keys = spec.locks ?? (spec.object !== undefined ? [spec.object] : []);
    const pending: EventInput[] = [];
    let object = spec.object;
    const log = this.log.child({ job: spec.name });
    const ctx: JobContext = {
      log,
      emit: (event) => pending.push(event),
      emitNow: (event) => this.events.publish(event),
      setObject: (id) => (object = id),
    };
    const started = process.hrtime.bigint();
    const elapsedMs = () => Number(process.hrtime.bigint() - started) / 1e6;
    try {
      const result = await this.locks.withLocks(keys, async () => work(ctx));
      for (const event of pending) this.events.publish(event);
      log.info({ object, durationMs: elapsedMs(), outcome: 'ok' }, 'job done');
      return result;
    } catch (err) {
      const code = errorCodeOf(err);
      const level = code === 'INTERNAL' ? 'error' : 'info';
      log[level]({ object, durationMs: elapsedMs(), outcome: 'error', code, err: messageOf(err) }, 'job failed');
      throw err;
    }
  }

  /** Keys currently held or awaited. */
  get activeLocks(): number {
    return this.locks.size;
  }
}
