// The one way the daemon's stores (images, layers, containers) mutate their SQLite
// tables: `update(fn)` runs fn in a write transaction (BEGIN IMMEDIATE) and, only
// once it has committed, the callbacks fn queued with `afterCommit` (filesystem
// garbage collection: layer directories and content blobs that no row needs any
// more). A callback's failure is logged, never undone: the rows are already gone,
// and `Graph.open` removes whatever a crash left behind.
import { messageOf } from '../errors';
import type { Db } from './db';

export interface Tx {
  readonly db: Db;
  /** Queues a synchronous callback (it may start async work it does not await). */
  afterCommit(fn: () => void): void;
}

export type AfterCommitLogger = (msg: string) => void;

export class TxDb {
  private depth = 0;
  private pending: Array<() => void> = [];

  constructor(
    readonly db: Db,
    private readonly logError: AfterCommitLogger = (msg) => process.emitWarning(msg),
  ) {}

  /** Runs fn in one transaction (nested calls join the outer one); afterCommit callbacks run after the commit. */
  update<T>(fn: (tx: Tx) => T): T {
    const tx: Tx = { db: this.db, afterCommit: (cb) => this.pending.push(cb) };
    if (this.depth > 0) return fn(tx);
    this.depth++;
    let result: T;
    try {
      result = this.db.transaction(() => fn(tx)).immediate();
    } catch (err) {
      this.pending = [];
      throw err;
    } finally {
      this.depth--;
    }
    const callbacks = this.pending;
    this.pending = [];
    for (const cb of callbacks) {
      try {
        cb();
      } catch (err) {
        this.logError(`after commit: ${messageOf(err)}`);
      }
    }
    return result;
  }
}
