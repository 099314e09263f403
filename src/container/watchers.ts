// Who waits on a container: for its next exit, for its removal, and the
// attaches made before a start (joined by the start's `attaches` step).
import type { AttachRequest } from './attach';

type Waiter = () => void;

export interface PendingAttach {
  req: AttachRequest;
  done: () => void;
}

interface PerContainer {
  exit: Set<Waiter>;
  removed: Set<Waiter>;
  attaches: PendingAttach[];
}

/** A promise settled the next time the set's waiters are called. */
function once(waiters: Set<Waiter>): Promise<void> {
  return new Promise((resolve) => {
    const fn = (): void => {
      waiters.delete(fn);
      resolve();
    };
    waiters.add(fn);
  });
}

export class Watchers {
  private readonly byId = new Map<string, PerContainer>();

  private of(id: string): PerContainer {
    let w = this.byId.get(id);
    if (!w) this.byId.set(id, (w = { exit: new Set(), removed: new Set(), attaches: [] }));
    return w;
  }

  /** Resolves at the container's next exit. */
  nextExit(id: string): Promise<void> {
    return once(this.of(id).exit);
  }

  /** Resolves once the container is removed. */
  removal(id: string): Promise<void> {
    return once(this.of(id).removed);
  }

  exited(id: string): void {
    for (const fn of [...this.of(id).exit]) fn();
  }

  removed(id: string): void {
    for (const fn of [...this.of(id).removed]) fn();
    this.byId.delete(id);
  }

  /** Queues an attach until the next start; resolves when it ends (or its client hangs up first). */
  queueAttach(id: string, req: AttachRequest): Promise<void> {
    const w = this.of(id);
    return new Promise((resolve) => {
      const entry = { req, done: resolve };
      w.attaches.push(entry);
      req.socket.once('close', () => {
        const i = w.attaches.indexOf(entry);
        if (i >= 0) w.attaches.splice(i, 1);
        resolve();
      });
    });
  }

  /** The attaches waiting for a start, handed over. */
  takeAttaches(id: string): PendingAttach[] {
    return this.of(id).attaches.splice(0);
  }

  /** Lets the waiting attaches go (a failed start, a removal). */
  releaseAttaches(id: string): void {
    for (const a of this.takeAttaches(id)) a.done();
  }
}
