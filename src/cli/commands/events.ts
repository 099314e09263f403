// `events` / `system events`: GET /events with --since/--until (docker's time
// or duration forms) and --filter, each event printed as docker prints it
// (time, type, action, actor and its attributes sorted) or with --format.
import type { Cli } from '../cli';
import { rfc3339NanoFixed } from '../../api/time';
import type { EventMessage } from '../../api/types';
import { checkTemplate, renderOne } from '../format';
import { jsonMessages } from '../jsonstream';
import { filterArgs } from './containers-list';
import { apiTimestamp } from './containers-units';

export interface EventsOptions {
  filter?: string[];
  format?: string;
  since?: string;
  until?: string;
}

const byKey = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);

/** docker's prettyPrintEvent. */
function prettyEvent(e: EventMessage): string {
  const time = e.timeNano ? `${rfc3339NanoFixed(e.timeNano)} ` : e.time ? `${rfc3339NanoFixed(e.time * 1e9)} ` : '';
  const attributes = Object.entries(e.Actor.Attributes ?? {})
    .sort(byKey)
    .map(([k, v]) => `${k}=${v}`);
  return `${time}${e.Type} ${e.Action} ${e.Actor.ID}${attributes.length ? ` (${attributes.join(', ')})` : ''}\n`;
}

/** The event with its keys in the order docker's events.Message marshals them (for `json`), attributes sorted as a Go map. */
function goOrder(e: EventMessage): EventMessage {
  return {
    ...(e.status ? { status: e.status } : {}),
    ...(e.id ? { id: e.id } : {}),
    ...(e.from ? { from: e.from } : {}),
    Type: e.Type,
    Action: e.Action,
    Actor: { ID: e.Actor.ID, Attributes: e.Actor.Attributes && Object.fromEntries(Object.entries(e.Actor.Attributes).sort(byKey)) },
    scope: e.scope,
    time: e.time,
    timeNano: e.timeNano,
  };
}

export async function events(cli: Cli, o: EventsOptions): Promise<void> {
  const errors = { parse: 'Error parsing format: ', exec: 'Error parsing format: ', parseExit: 64, execExit: 64 };
  checkTemplate(o.format, errors);
  const now = Date.now();
  const query = {
    since: o.since ? apiTimestamp(o.since, now) : undefined,
    until: o.until ? apiTimestamp(o.until, now) : undefined,
    filters: filterArgs(o.filter),
  };
  const res = await cli.client.stream('GET', '/events', { query });
  for await (const e of jsonMessages<EventMessage>(res.body)) cli.out(o.format ? renderOne(o.format, goOrder(e), { errors }) : prettyEvent(e));
}
