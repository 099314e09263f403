// The event bus and its on-disk ring (a real SQLite database in a temp dir),
// dockerd's event filters, and the since/until timestamp parsing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../src/api/types';
import { eventTime } from '../../src/daemon/routes/events';
import { EventFilter } from '../../src/engine/event-filter';
import { SqliteEventStore } from '../../src/engine/event-store';
import { EventBus, type EventInput } from '../../src/engine/events';
import { openDb, type Db } from '../../src/state/db';

const tick = () => new Promise((r) => setImmediate(r));
const tag = (id: string): EventInput => ({ Type: 'image', Action: 'tag', Actor: { ID: id } });

describe('EventBus', () => {
  it('stamps events with increasing wall-clock nanoseconds', () => {
    const bus = new EventBus();
    const t0 = Date.now();
    const events = Array.from({ length: 50 }, (_, i) => bus.publish(tag(String(i))));
    for (let i = 1; i < events.length; i++) expect(events[i]!.timeNano).toBeGreaterThanOrEqual(events[i - 1]!.timeNano);
    expect(events[0]!.timeNano / 1e6).toBeGreaterThanOrEqual(t0 - 1);
    expect(events[0]!.timeNano / 1e6).toBeLessThan(Date.now() + 2);
  });

  it('answers between(since, until) inclusively, oldest first', () => {
    const bus = new EventBus();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => bus.publish(tag(id))) as [EventMessage, EventMessage, EventMessage];
    expect(bus.between(b.timeNano).map((e) => e.Actor.ID)).toEqual(['b', 'c']);
    expect(bus.between(0, b.timeNano).map((e) => e.Actor.ID)).toEqual(['a', 'b']);
    expect(bus.between(a.timeNano, a.timeNano).map((e) => e.Actor.ID)).toEqual(['a']);
    expect(bus.between(c.timeNano + 1e6)).toEqual([]);
  });

  it('keeps exactly `capacity` events over many wraps', () => {
    const bus = new EventBus(7);
    for (let i = 0; i < 100; i++) bus.publish(tag(String(i)));
    expect(bus.recent().map((e) => e.Actor.ID)).toEqual(['93', '94', '95', '96', '97', '98', '99']);
  });
});

describe('SqliteEventStore', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsd-events-unit-'));
    db = openDb(dir).db;
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const rows = () => (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;

  it('writes events after the tick, in one batch, and loads them in a new bus', async () => {
    const bus = new EventBus();
    bus.persistTo(new SqliteEventStore(db));
    const published = ['a', 'b', 'c'].map((id) => bus.publish(tag(id)));
    expect(rows()).toBe(0);
    await tick();
    expect(rows()).toBe(3);
    const again = new EventBus();
    again.persistTo(new SqliteEventStore(db));
    expect(again.recent()).toEqual(published);
    // Stamps stay after the stored ones even if the clock went back.
    expect(again.publish(tag('d')).timeNano).toBeGreaterThan(published[2]!.timeNano);
  });

  it('stores the events published before it was attached, after the stored ones', async () => {
    const first = new EventBus();
    first.persistTo(new SqliteEventStore(db));
    first.publish(tag('old'));
    first.flush({ detach: true });
    const bus = new EventBus();
    bus.publish(tag('early'));
    bus.persistTo(new SqliteEventStore(db));
    expect(bus.recent().map((e) => e.Actor.ID)).toEqual(['old', 'early']);
    expect(rows()).toBe(2);
  });

  it('stays bounded on disk and in memory', () => {
    const bus = new EventBus(50);
    bus.persistTo(new SqliteEventStore(db, 50));
    for (let i = 0; i < 500; i++) {
      bus.publish(tag(String(i)));
      if (i % 37 === 0) bus.flush();
    }
    bus.flush();
    expect(rows()).toBe(50);
    const again = new EventBus(50);
    again.persistTo(new SqliteEventStore(db, 50));
    expect(again.recent().map((e) => e.Actor.ID)).toEqual(Array.from({ length: 50 }, (_, i) => String(450 + i)));
  });

  it('publishes fast: batched writes cost a few microseconds per event', () => {
    const bus = new EventBus();
    bus.persistTo(new SqliteEventStore(db));
    const n = 5000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      bus.publish({ Type: 'container', Action: 'start', Actor: { ID: 'c'.repeat(64), Attributes: { name: `n${i}`, image: 'busybox' } } });
      if (i % 100 === 99) bus.flush();
    }
    bus.flush();
    const usPerEvent = Number(process.hrtime.bigint() - t0) / 1e3 / n;
    expect(rows()).toBe(n);
    expect(usPerEvent).toBeLessThan(100);
  });

  it('reports a failed write and keeps the events in memory', () => {
    const errors: unknown[] = [];
    const bus = new EventBus();
    bus.persistTo(new SqliteEventStore(db), (err) => errors.push(err));
    db.close();
    bus.publish(tag('x'));
    bus.flush();
    expect(errors).toHaveLength(1);
    expect(bus.recent().map((e) => e.Actor.ID)).toEqual(['x']);
  });
});

describe('EventFilter (dockerd daemon/events/filter.go)', () => {
  const bus = new EventBus();
  const start = bus.publish({
    Type: 'container',
    Action: 'start',
    Actor: { ID: 'abc123def', Attributes: { name: 'web', image: 'busybox:1.36', app: 'shop', tier: '' } },
  });
  const exec = bus.publish({ Type: 'container', Action: 'exec_start: sh -c true', Actor: { ID: 'abc123def', Attributes: { name: 'web', image: 'busybox' } } });
  const imageTag = bus.publish({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:0123', Attributes: { name: 'repo/app:2' } } });
  const network = bus.publish({ Type: 'network', Action: 'connect', Actor: { ID: 'net0', Attributes: { name: 'bridge', container: 'abc123def' } } });
  const all = [start, exec, imageTag, network];
  const pick = (f: Record<string, string[]>) => all.filter((e) => new EventFilter(f).include(e));

  it('passes everything without filters and ignores unknown keys', () => {
    expect(pick({})).toEqual(all);
    expect(pick({ nonsense: ['x'] })).toEqual(all);
  });
  it('matches type and event exactly, exec_* and health_status by prefix', () => {
    expect(pick({ type: ['image', 'network'] })).toEqual([imageTag, network]);
    expect(pick({ event: ['start'] })).toEqual([start]);
    expect(pick({ event: ['exec_start'] })).toEqual([exec]);
    expect(pick({ event: ['exec_star'] })).toEqual([]);
    expect(pick({ type: ['container'], event: ['tag'] })).toEqual([]);
  });
  it('matches objects by ID or name prefix, dropping other types', () => {
    expect(pick({ container: ['web'] })).toEqual([start, exec]);
    expect(pick({ container: ['abc'] })).toEqual([start, exec]);
    expect(pick({ container: ['nope'] })).toEqual([]);
    expect(pick({ network: ['bridge'] })).toEqual([network]);
    expect(pick({ volume: ['v'] })).toEqual([]);
    expect(pick({ scope: ['local'] })).toEqual(all);
    expect(pick({ scope: ['swarm'] })).toEqual([]);
  });
  it('matches images by ID, name, or name without tag', () => {
    expect(pick({ image: ['busybox'] })).toEqual([start, exec]);
    expect(pick({ image: ['busybox:1.36'] })).toEqual([start]);
    // As in dockerd: the attribute as the user wrote it, or its familiar name; never a normalized form.
    expect(pick({ image: ['docker.io/library/busybox:1.36'] })).toEqual([]);
    expect(pick({ image: ['repo/app'] })).toEqual([imageTag]);
    expect(pick({ image: ['sha256:0123'] })).toEqual([imageTag]);
  });
  it('matches labels as key or key=value, all of them', () => {
    expect(pick({ label: ['app'] })).toEqual([start]);
    expect(pick({ label: ['app=shop', 'tier='] })).toEqual([start]);
    expect(pick({ label: ['app=other'] })).toEqual([]);
  });
});

describe('eventTime (since/until)', () => {
  it('parses unix seconds with an optional fraction into nanoseconds', () => {
    expect(eventTime('')).toBeUndefined();
    expect(eventTime('1700000000')).toBe(1700000000e9);
    expect(eventTime('1700000000.5')).toBe(1700000000e9 + 5e8);
    expect(eventTime('1700000000.000000001')).toBe(1700000000e9 + 1);
    expect(() => eventTime('5m')).toThrow('strconv.ParseInt: parsing "5m": invalid syntax');
    expect(() => eventTime('1.x')).toThrow('strconv.ParseInt: parsing "x": invalid syntax');
  });
});
