import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/engine/events';
import { JobEngine } from '../../src/engine/jobs';
import { KeyedLocks } from '../../src/engine/locks';
import { ConflictError } from '../../src/errors';
import { daemonId, openDb } from '../../src/state/db';
import { MIGRATIONS } from '../../src/state/schema';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Locks and jobs that record when each starts (+) and ends (-). */
function recorder() {
  const locks = new KeyedLocks();
  const order: string[] = [];
  const job = (keys: string[], name: string, ms: number) =>
    locks.withLocks(keys, async () => {
      order.push(`${name}+`);
      await sleep(ms);
      order.push(`${name}-`);
    });
  return { locks, order, job };
}

describe('KeyedLocks', () => {
  it('serialises work on one key and runs different keys at once', async () => {
    const { locks, order, job } = recorder();
    await Promise.all([job(['a'], 'a1', 30), job(['a'], 'a2', 1), job(['b'], 'b1', 5)]);
    expect(order.indexOf('a1-')).toBeLessThan(order.indexOf('a2+'));
    expect(order.indexOf('b1+')).toBeLessThan(order.indexOf('a1-'));
    expect(locks.size).toBe(0);
  });
  it('never deadlocks on keys taken in opposite orders', async () => {
    const locks = new KeyedLocks();
    await Promise.all([
      locks.withLocks(['x', 'y'], () => sleep(10)),
      locks.withLocks(['y', 'x'], () => sleep(10)),
    ]);
    expect(locks.size).toBe(0);
  });
  it('releases the lock when the work throws', async () => {
    const locks = new KeyedLocks();
    await expect(locks.withLocks(['k'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await locks.withLocks(['k'], async () => undefined);
    expect(locks.size).toBe(0);
  });
  it('makes kind:* a lock on every key of the kind: it waits for them and they wait for it', async () => {
    const { locks, order, job } = recorder();
    await Promise.all([job(['image:a'], 'a', 30), job(['image:b'], 'b', 30), job(['image:*'], 'all', 10), job(['image:c'], 'c', 1), job(['x'], 'x', 1)]);
    // a and b run together; the image-wide job waits for both, then c waits for it; x is another kind.
    expect(order.indexOf('b+')).toBeLessThan(order.indexOf('a-'));
    expect(order.indexOf('all+')).toBeGreaterThan(Math.max(order.indexOf('a-'), order.indexOf('b-')));
    expect(order.indexOf('c+')).toBeGreaterThan(order.indexOf('all-'));
    expect(order.indexOf('x+')).toBeLessThan(order.indexOf('a-'));
    expect(locks.size).toBe(0);
  });
});

describe('JobEngine', () => {
  function engine() {
    const lines: Record<string, unknown>[] = [];
    const stream = { write: (s: string) => lines.push(JSON.parse(s)) };
    const bus = new EventBus(3);
    return { jobs: new JobEngine(pino({ level: 'info' }, stream), bus), bus, lines };
  }
  it('logs one structured line per job and publishes its events on success only', async () => {
    const { jobs, bus, lines } = engine();
    const seen: string[] = [];
    bus.subscribe((e) => seen.push(`${e.Type}:${e.Action}:${e.Actor.ID}`));
    const out = await jobs.run({ name: 'container.create', object: 'web' }, (ctx) => {
      ctx.setObject('abc123');
      ctx.emit({ Type: 'container', Action: 'create', Actor: { ID: 'abc123', Attributes: { name: 'web', image: 'bb' } } });
      return 7;
    });
    expect(out).toBe(7);
    await expect(
      jobs.run({ name: 'container.start', object: 'abc123' }, (ctx) => {
        ctx.emit({ Type: 'container', Action: 'start', Actor: { ID: 'abc123' } });
        throw new ConflictError('already running');
      }),
    ).rejects.toThrow('already running');
    expect(seen).toEqual(['container:create:abc123']);
    expect(lines[0]).toMatchObject({ job: 'container.create', object: 'abc123', outcome: 'ok' });
    expect(lines[1]).toMatchObject({ job: 'container.start', object: 'abc123', outcome: 'error', code: 'CONFLICT' });
    expect(typeof lines[0]!['durationMs']).toBe('number');
    const event = bus.recent()[0]!;
    expect(event).toMatchObject({ status: 'create', id: 'abc123', from: 'bb', scope: 'local' });
    expect(event.timeNano / 1e9).toBeCloseTo(event.time, -1);
  });
  it('keeps a bounded ring of recent events', () => {
    const { bus } = engine();
    for (let i = 0; i < 5; i++) bus.publish({ Type: 'image', Action: 'tag', Actor: { ID: String(i) } });
    expect(bus.recent().map((e) => e.Actor.ID)).toEqual(['2', '3', '4']);
  });
});

describe('state database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsd-db-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('applies migrations once, in WAL mode, and keeps the daemon ID', () => {
    const first = openDb(dir);
    expect(first.applied.length).toBe(MIGRATIONS.length);
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const id = daemonId(first.db);
    first.db.close();
    const second = openDb(dir);
    expect(second.applied).toEqual([]);
    expect(daemonId(second.db)).toBe(id);
    second.db.close();
  });
  it('rolls a failing migration back whole', () => {
    const d = mkdtempSync(join(dir, 'm-'));
    const bad = [...MIGRATIONS, { name: 'broken', sql: 'CREATE TABLE t1 (a INTEGER); THIS IS NOT SQL;' }];
    expect(() => openDb(d, bad)).toThrow();
    const { db } = openDb(d);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't1'").get()).toBeUndefined();
    db.close();
  });
  it('refuses a database newer than the code', () => {
    const d = mkdtempSync(join(dir, 'n-'));
    openDb(d, [...MIGRATIONS, { name: 'future', sql: 'CREATE TABLE f (a INTEGER);' }]).db.close();
    expect(() => openDb(d)).toThrow(/newer than this tsdockerd knows/);
  });
});
