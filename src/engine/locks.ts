// Per-object locks: operations on the same keys (a container ID, a name) run one
// after another; operations on different keys run at once. A job takes all its
// keys together, in sorted order, so two jobs can never wait on each other.
//
// A key `kind:*` (image:*) stands for every key of its kind: a job holding it
// runs alone among the jobs on that kind (`image.prune` while no import, tag or
// delete is half done). A job on one key `kind:x` holds `kind:*` shared, so
// those run at once with each other and never beside a `kind:*` job.

type Mode = 'shared' | 'exclusive';

interface LockState {
  holders: number;
  exclusive: boolean;
  /** First come, first served; consecutive shared waiters are let in together. */
  waiting: { mode: Mode; grant: () => void }[];
}

export class KeyedLocks {
  private readonly locks = new Map<string, LockState>();

  async withLocks<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    try {
      for (const [key, mode] of lockModes(keys)) releases.push(await this.acquire(key, mode));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** Number of keys with a holder or waiters (for tests and diagnostics). */
  get size(): number {
    return this.locks.size;
  }

  private acquire(key: string, mode: Mode): Promise<() => void> {
    let state = this.locks.get(key);
    if (!state) {
      state = { holders: 0, exclusive: false, waiting: [] };
      this.locks.set(key, state);
    }
    const lock = state;
    return new Promise((resolve) => {
      lock.waiting.push({ mode, grant: () => resolve(() => this.release(key, lock)) });
      grant(lock);
    });
  }

  private release(key: string, lock: LockState): void {
    lock.holders--;
    lock.exclusive = false;
    grant(lock);
    if (lock.holders === 0 && lock.waiting.length === 0) this.locks.delete(key);
  }
}

function grant(lock: LockState): void {
  while (!lock.exclusive) {
    const next = lock.waiting[0];
    if (!next || (next.mode === 'exclusive' && lock.holders > 0)) return;
    lock.waiting.shift();
    lock.holders++;
    lock.exclusive = next.mode === 'exclusive';
    next.grant();
  }
}

/** The keys a job takes and how, in the one global order. */
function lockModes(keys: readonly string[]): [string, Mode][] {
  const modes = new Map<string, Mode>();
  for (const key of keys) {
    modes.set(key, 'exclusive');
    const colon = key.indexOf(':');
    const all = colon > 0 ? `${key.slice(0, colon)}:*` : undefined;
    if (all !== undefined && all !== key && !modes.has(all)) modes.set(all, 'shared');
  }
  return [...modes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
