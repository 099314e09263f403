// GET /events (dockerd's getEvents): the 200 and its headers go out at once,
// then one JSON object per line: first the kept events between `since` and
// `until` (only when either is given), then live ones until `until` or until
// the client goes away. An `until` already past ends the answer after the
// kept ones. Times are unix seconds with an optional fraction, as the docker
// CLI sends them (it turns "5m" into a timestamp itself).
import type { FastifyInstance } from 'fastify';
import type { EventMessage } from '../../api/types';
import { versionAtLeast } from '../../api/version';
import { EventFilter } from '../../engine/event-filter';
import { InvalidArgumentError } from '../../errors';
import type { DaemonContext } from '../context';
import { filters, str, type Query } from '../query';

/** A client this far behind loses its stream (dockerd drops events for slow readers). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** setTimeout's longest delay (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function eventRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const bus = ctx.events;
  // The database closes after the app: write what is pending while it is open.
  app.addHook('onClose', async () => bus.flush({ detach: true }));

  app.get('/events', async (req, reply) => {
    const q = req.query as Query;
    const sinceRaw = str(q, 'since') ?? '';
    const untilRaw = str(q, 'until') ?? '';
    const since = eventTime(sinceRaw);
    const until = eventTime(untilRaw);
    if (until !== undefined && until < (since ?? 0)) {
      throw new InvalidArgumentError(`\`since\` time (${sinceRaw}) cannot be after \`until\` time (${untilRaw})`);
    }
    const filter = new EventFilter(filters(q));
    const legacy = !versionAtLeast(req.apiVersion, '1.52');
    const onlyPast = until !== undefined && until < Date.now() * 1e6;

    const headers = { ...reply.getHeaders(), 'content-type': 'application/json' };
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, headers as Record<string, string>);
    res.flushHeaders();
    const send = (e: EventMessage): void => {
      if (res.destroyed || !filter.include(e)) return;
      res.write(`${JSON.stringify(legacy ? e : withoutLegacyFields(e))}\n`);
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        req.log.warn('events: client too slow, closing its stream');
        res.destroy();
      }
    };

    const past = since !== undefined || until !== undefined ? bus.between(since ?? 0, until) : [];
    for (const e of past) send(e);
    if (onlyPast || res.destroyed) {
      res.end();
      return;
    }
    // Same tick as `between`: no event falls between the replay and the subscription.
    const unsubscribe = bus.subscribe(send);
    let timer: NodeJS.Timeout | undefined;
    const endAtUntil = (): void => {
      const left = (until ?? 0) / 1e6 - Date.now();
      if (left <= 0) res.end();
      else timer = setTimeout(endAtUntil, Math.min(left, MAX_TIMER_MS));
    };
    if (until !== undefined) endAtUntil();
    res.on('close', () => {
      unsubscribe();
      clearTimeout(timer);
    });
  });
}

/**
 * Unix seconds with an optional fraction (Go's timetypes.ParseTimestamps) as
 * nanoseconds; undefined when empty (no bound).
 */
export function eventTime(value: string): number | undefined {
  if (value === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) {
    const [secs = '', frac] = value.split(/\.(.*)/s);
    const bad = /^-?\d+$/.test(secs) ? (frac ?? '') : secs;
    throw new InvalidArgumentError(`strconv.ParseInt: parsing ${JSON.stringify(bad)}: invalid syntax`);
  }
  const frac = m[2] ?? '';
  const nanos = frac === '' ? 0 : Number(frac) * 10 ** (9 - frac.length);
  return Number(m[1]) * 1e9 + Math.trunc(nanos);
}

/** API 1.52 dropped the deprecated status/id/from fields. */
function withoutLegacyFields(e: EventMessage): EventMessage {
  const { status: _s, id: _i, from: _f, ...rest } = e;
  return rest;
}
