// Restart policies as dockerd applies them (restartmanager): `always`,
// `unless-stopped`, `on-failure[:N]`; never after a stop or kill by the user.
// Delays double from 100 ms up to a minute and fall back to 100 ms once a
// container has run for 10 s.
import type { RestartPolicy } from '../api/containers';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
const RESET_AFTER_MS = 10_000;

export interface ExitFacts {
  policy: RestartPolicy | undefined;
  exitCode: number;
  restartCount: number;
  manuallyStopped: boolean;
  /** How long the container ran before this exit. */
  ranMs: number;
}

export function shouldRestart(f: ExitFacts): boolean {
  if (f.manuallyStopped) return false;
  switch (f.policy?.Name ?? '') {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      const max = f.policy?.MaximumRetryCount ?? 0;
      return f.exitCode !== 0 && (max === 0 || f.restartCount < max);
    }
    default:
      return false;
  }
}

/** Per container: the pending restart timer and the current back-off. */
export class RestartTimers {
  private readonly delays = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** The delay before the next restart, doubling while the container keeps failing fast. */
  nextDelay(id: string, ranMs: number): number {
    const previous = this.delays.get(id);
    const delay = previous === undefined || ranMs >= RESET_AFTER_MS ? FIRST_DELAY_MS : Math.min(previous * 2, MAX_DELAY_MS);
    this.delays.set(id, delay);
    return delay;
  }

  schedule(id: string, delayMs: number, run: () => void): void {
    this.cancel(id);
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        run();
      }, delayMs),
    );
  }

  pending(id: string): boolean {
    return this.timers.has(id);
  }

  /** Cancels a pending restart; true if there was one. */
  cancel(id: string): boolean {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    return this.timers.delete(id);
  }

  forget(id: string): void {
    this.cancel(id);
    this.delays.delete(id);
  }

  cancelAll(): void {
    for (const id of [...this.timers.keys()]) this.cancel(id);
  }
}
