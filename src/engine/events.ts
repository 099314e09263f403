// The in-memory event bus: jobs publish Docker-shaped events, subscribers (the
// events endpoint, restart policies, tests) receive them in order. A bounded
// ring keeps the most recent ones for `since` queries.
import type { EventMessage } from '../api/types';

export type EventInput = Pick<EventMessage, 'Type' | 'Action'> & {
  Actor: { ID: string; Attributes?: Record<string, string> };
};
export type EventListener = (event: EventMessage) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly ring: EventMessage[] = [];

  constructor(private readonly capacity = 1024) {}

  publish(input: EventInput): EventMessage {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const event: EventMessage = {
      Type: input.Type,
      Action: input.Action,
      Actor: { ID: input.Actor.ID, Attributes: input.Actor.Attributes ?? {} },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (input.Type === 'container' || input.Type === 'image') {
      event.status = input.Action;
      event.id = input.Actor.ID;
      const from = input.Actor.Attributes?.['image'];
      if (from !== undefined) event.from = from;
    }
    this.ring.push(event);
    if (this.ring.length > this.capacity) this.ring.shift();
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

  /** Events kept in memory published at or after `sinceNs` (nanoseconds). */
  recent(sinceNs = 0): EventMessage[] {
    return this.ring.filter((e) => e.timeNano >= sinceNs);
  }
}
