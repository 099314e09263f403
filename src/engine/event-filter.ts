// Which events a GET /events client asked for: dockerd's daemon/events/filter.go
// over Docker's filters.Args. Every key narrows (AND); the values of one key
// widen (OR). Object keys (container, network, volume, daemon, …) match the
// actor's ID or name by prefix, so `container=web` drops every event that is
// not about a container called web*, whatever its type. Unknown keys are
// ignored, as dockerd does.
import type { EventMessage } from '../api/types';
import { labelMatch } from '../graph/image/filters';
import { familiarName, parseNormalizedNamed } from '../api/reference';

type Filters = Readonly<Record<string, readonly string[]>>;

const NAMED_OBJECT_KEYS = ['daemon', 'container', 'plugin', 'volume', 'network', 'service', 'node', 'secret', 'config'] as const;
/** Values of `event` that select by prefix (`exec_start` matches `exec_start: sh -c …`). */
const PREFIX_EVENTS = new Set(['health_status', 'exec_create', 'exec_start']);

export class EventFilter {
  constructor(private readonly filters: Filters) {}

  include(ev: EventMessage): boolean {
    const attrs = ev.Actor.Attributes;
    const events = this.values('event');
    const eventOk = events.some((v) => PREFIX_EVENTS.has(v)) ? this.fuzzy('event', ev.Action) : this.exact('event', ev.Action);
    return (
      eventOk &&
      this.exact('type', ev.Type) &&
      this.exact('scope', ev.scope) &&
      NAMED_OBJECT_KEYS.every((key) => this.fuzzy(key, ev.Actor.ID) || this.fuzzy(key, attrs['name'] ?? '')) &&
      this.matchImage(ev) &&
      this.values('label').every((l) => labelMatch(attrs, l))
    );
  }

  /** The image's ID or name (an image event's `name`, a container event's `image`), also without its tag. */
  private matchImage(ev: EventMessage): boolean {
    const name = ev.Actor.Attributes[ev.Type === 'image' ? 'name' : 'image'] ?? '';
    return [ev.Actor.ID, name, stripTag(ev.Actor.ID), stripTag(name)].some((s) => this.exact('image', s));
  }

  private values(key: string): readonly string[] {
    return this.filters[key] ?? [];
  }

  /** filters.Args.ExactMatch: true when the key is not set. */
  private exact(key: string, source: string): boolean {
    const values = this.values(key);
    return values.length === 0 || values.includes(source);
  }

  /** filters.Args.FuzzyMatch: an exact value or a prefix of `source`. */
  private fuzzy(key: string, source: string): boolean {
    const values = this.values(key);
    return values.length === 0 || values.some((v) => source.startsWith(v));
  }
}

function stripTag(image: string): string {
  try {
    return familiarName(parseNormalizedNamed(image));
  } catch {
    return image;
  }
}
