// The event bus: jobs publish Docker-shaped events, subscribers (the events
// endpoint, restart policies, tests) receive them in order. A bounded ring
// keeps the most recent ones for `since`/`until` queries; with a store
// attached (persistTo) the ring is loaded from it and every event is written to
// it, in batches after the current tick, so history survives a restart.
import type { EventMessage } from '../api/types';

import type { EventInput } from './drivers';

export type { EventInput };
export type EventListener = (event: EventMessage) => void;

/** Where the ring is kept between daemon runs. */
export interface EventStore {
  /** The kept events, oldest first. */
  load(): EventMessage[];
  /** Appends events (in publish order) and drops the oldest beyond the store's bound. */
  append(events: readonly EventMessage[]): void;
}

/** Events kept in memory and on disk (Docker keeps 256, in memory only). */
export const EVENTS_KEPT = 10_000;

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  /** The ring is ring[head..]; the dead prefix is dropped once it outgrows the capacity. */
  private ring: EventMessage[] = [];
  private head = 0;
  private lastNs = 0n;
  private store: EventStore | undefined;
  private unsaved: EventMessage[] = [];
  private flushScheduled = false;

  /** Told when the store refuses a batch (the events stay in memory). */
  private onStoreError: (err: unknown) => void = () => undefined;

  constructor(private readonly capacity = EVENTS_KEPT) {}

  publish(input: EventInput): EventMessage {
    // Wall-clock nanoseconds (clients send wall-clock since/until), never going back.
    // Kept to multiples of 1024 ns, which a JS number holds exactly at today's
    // magnitudes (~2^61), so timeNano stays strictly increasing in JSON too.
    let nowNs = ((BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)) / 1024n) * 1024n;
    if (nowNs <= this.lastNs) nowNs = this.lastNs + 1024n;
    this.lastNs = nowNs;
    const event: EventMessage = {
      Type: input.Type,
      Action: input.Action,
      Actor: { ID: input.Actor.ID, Attributes: input.Actor.Attributes ?? {} },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    // dockerd fills the deprecated fields for container and image events.
    if (input.Type === 'container' || input.Type === 'image') {
      event.status = input.Action;
      event.id = input.Actor.ID;
      const from = input.Actor.Attributes?.['image'];
      if (from !== undefined) event.from = from;
    }
    this.keep(event);
    if (this.store) {
      this.unsaved.push(event);
      this.scheduleFlush();
    }
    for (const listener of this.listeners) listener(event);
    return event;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Events kept, published at or after `sinceNs` (nanoseconds). */
  recent(sinceNs = 0): EventMessage[] {
    return this.between(sinceNs);
  }

  /** Events kept with sinceNs <= timeNano <= untilNs, oldest first (dockerd's loadBufferedEvents). */
  between(sinceNs: number, untilNs?: number): EventMessage[] {
    const out: EventMessage[] = [];
    for (let i = this.ring.length - 1; i >= this.head; i--) {
      const e = this.ring[i]!;
      if (e.timeNano < sinceNs) break;
      if (untilNs === undefined || e.timeNano <= untilNs) out.push(e);
    }
    return out.reverse();
  }

  get persistent(): boolean {
    return this.store !== undefined;
  }

  /**
   * Keeps the ring in `store` from now on: the stored events come first, then
   * those published before this call (e.g. while containers were restored).
   */
  persistTo(store: EventStore, onError?: (err: unknown) => void): void {
    if (this.store) throw new Error('event bus already has a store');
    if (onError) this.onStoreError = onError;
    const published = this.ring.slice(this.head);
    const stored = store.load();
    this.ring = [];
    this.head = 0;
    for (const e of [...stored, ...published]) this.keep(e);
    const newest = stored[stored.length - 1];
    if (newest && BigInt(newest.timeNano) > this.lastNs) this.lastNs = BigInt(newest.timeNano);
    this.store = store;
    this.unsaved = published;
    this.flush();
  }

  /** Writes pending events now (at close); later events stay in memory only when `detach`. */
  flush(opts: { detach?: boolean } = {}): void {
    const batch = this.unsaved;
    this.unsaved = [];
    if (this.store && batch.length > 0) {
      try {
        this.store.append(batch);
      } catch (err) {
        this.onStoreError(err);
      }
    }
    if (opts.detach) this.store = undefined;
  }

  private keep(event: EventMessage): void {
    this.ring.push(event);
    if (this.ring.length - this.head > this.capacity) this.head++;
    if (this.head >= this.capacity) {
      this.ring = this.ring.slice(this.head);
      this.head = 0;
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    }).unref();
  }
}
