// src/state/tx.ts on a real SQLite database: one transaction for nested
// updates, afterCommit callbacks only after a commit, a failing callback logged.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TxDb } from '../../src/state/tx';

function fresh(): { tx: TxDb; logged: string[] } {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER)');
  const logged: string[] = [];
  return { tx: new TxDb(db, (m) => logged.push(m)), logged };
}

const count = (tx: TxDb): number => (tx.db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;

describe('TxDb', () => {
  it('runs nested updates in the outer transaction and the callbacks after its commit', () => {
    const { tx } = fresh();
    const seen: number[] = [];
    tx.update((outer) => {
      outer.db.prepare('INSERT INTO t VALUES (1)').run();
      outer.afterCommit(() => seen.push(count(tx)));
      tx.update((inner) => {
        inner.db.prepare('INSERT INTO t VALUES (2)').run();
        inner.afterCommit(() => seen.push(count(tx)));
      });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual([2, 2]);
  });

  it('rolls everything back and drops the callbacks when fn throws', () => {
    const { tx } = fresh();
    let ran = false;
    expect(() =>
      tx.update((t) => {
        t.db.prepare('INSERT INTO t VALUES (1)').run();
        t.afterCommit(() => (ran = true));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(count(tx)).toBe(0);
    tx.update(() => {});
    expect(ran).toBe(false);
  });

  it('logs a failing callback and still runs the others', () => {
    const { tx, logged } = fresh();
    let second = false;
    tx.update((t) => {
      t.afterCommit(() => {
        throw new Error('rm failed');
      });
      t.afterCommit(() => (second = true));
    });
    expect(logged).toEqual(['after commit: rm failed']);
    expect(second).toBe(true);
  });
});
