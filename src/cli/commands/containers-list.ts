// `ps` / `container ls`: GET /containers/json and docker's container
// formatter (columns, truncation, ports grouping, sizes, JSON keys).
import { InvalidArgumentError } from 'commander';
import type { ContainerPort, ContainerSummary } from '../../api/types';
import type { Cli } from '../cli';
import { goTimeString, timeAgo } from '../../api/time';
import { humanSize, renderList, shortId } from '../format';
import { goQuote } from './containers-units';

/** A --filter value, checked as docker's filter flag does. */
export function filterFlag(v: string, prev: string[] | undefined): string[] {
  if (v.indexOf('=') <= 0) throw new InvalidArgumentError('bad format of filter (expected name=value)');
  return [...(prev ?? []), v];
}

/** docker's filters JSON: `{"name":{"x":true}}`, keys sorted as Go encodes maps. */
export function filterArgs(flags: string[] | undefined): string | undefined {
  if (!flags?.length) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    (out[f.slice(0, eq).trim().toLowerCase()] ??= {})[f.slice(eq + 1).trim()] = true;
  }
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify(sorted(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, sorted(v)]))));
}

/** formatter.Ellipsis: at most `max` characters, the last one "…" when cut. */
function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : s;
}

/** docker's DisplayablePorts: consecutive ports grouped, host mappings last. */
export function displayablePorts(ports: ContainerPort[]): string {
  const sorted = [...ports].sort((a, b) =>
    a.PrivatePort !== b.PrivatePort ? a.PrivatePort - b.PrivatePort
    : (a.IP ?? '') !== (b.IP ?? '') ? ((a.IP ?? '') < (b.IP ?? '') ? -1 : 1)
    : (a.PublicPort ?? 0) !== (b.PublicPort ?? 0) ? (a.PublicPort ?? 0) - (b.PublicPort ?? 0)
    : a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const mappings: string[] = [];
  const form = (key: string, first: number, last: number) => {
    const [a, b] = key.split('/');
    const ip = b === undefined ? '' : a!;
    const type = b ?? a!;
    let group = first === last ? String(first) : `${first}-${last}`;
    if (ip) group = `${ip}:${group}->${group}`;
    return `${group}/${type}`;
  };
  for (const p of sorted) {
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== p.PrivatePort) {
        const host = p.IP.includes(':') ? `[${p.IP}]` : p.IP;
        mappings.push(`${host}:${p.PublicPort ?? 0}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    else if (p.PrivatePort === g.last + 1) g.last = p.PrivatePort;
    else {
      result.push(form(key, g.first, g.last));
      groups.delete(key);
      groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    }
  }
  for (const [key, g] of groups) result.push(form(key, g.first, g.last));
  return [...result, ...mappings].join(', ');
}

/** A ps row: docker's ContainerContext fields, keys sorted as its JSON output has them. */
export function row(c: ContainerSummary, trunc: boolean): Record<string, unknown> {
  const names = c.Names.map((n) => n.replace(/^\//, ''));
  const shown = trunc ? (names.find((n) => !n.includes('/')) ?? names[0] ?? '') : names.join(',');
  let image = c.Image || '<no image>';
  if (trunc && c.Image) {
    if (shortId(c.ImageID) === shortId(c.Image)) image = shortId(c.Image);
    else if (c.Image.includes('@')) image = c.Image.slice(0, c.Image.indexOf('@'));
  }
  const mounts = c.Mounts ?? [];
  const sizeRw = humanSize(c.SizeRw ?? 0, 3);
  return {
    Command: goQuote(trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTimeString(c.Created),
    ID: trunc ? shortId(c.Id) : c.Id,
    Image: image,
    Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).sort().join(','),
    LocalVolumes: String(mounts.filter((m) => m.Driver === 'local').length),
    Mounts: mounts.map((m) => (trunc ? ellipsis(m.Name || m.Source || '', 15) : m.Name || m.Source || '')).join(','),
    Names: shown,
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    Platform: null,
    Ports: displayablePorts(c.Ports ?? []),
    RunningFor: timeAgo(c.Created),
    Size: (c.SizeRootFs ?? 0) > 0 ? `${sizeRw} (virtual ${humanSize(c.SizeRootFs!, 3)})` : sizeRw,
    State: c.State,
    Status: c.Status,
  };
}

export interface PsOptions { all?: boolean; filter?: string[]; format?: string; last: number; latest?: boolean; trunc?: boolean; quiet?: boolean; size?: boolean }

export async function ps(cli: Cli, o: PsOptions): Promise<void> {
  const trunc = o.trunc !== false;
  const format = o.quiet ? '{{.ID}}' : (o.format ?? '');
  const limit = o.latest && o.last === -1 ? 1 : o.last;
  // A custom template that shows .Size asks the daemon for sizes, as docker does.
  const size = !o.quiet && (o.size === true || (format !== '' && format !== 'json' && format !== 'table' && /\.Size\b/.test(format)));
  const containers = await cli.client.get<ContainerSummary[]>('/containers/json', {
    all: o.all ? '1' : undefined,
    filters: filterArgs(o.filter),
    limit: limit > 0 ? String(limit) : undefined,
    size: size ? '1' : undefined,
  });
  const defaultTable = `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${o.size ? '\t{{.Size}}' : ''}`;
  cli.out(
    renderList(format === '' || format === 'table' ? defaultTable : format, {
      defaultTable,
      headers: {
        ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
        State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS',
        LocalVolumes: 'LOCAL VOLUMES', Platform: 'PLATFORM',
      },
      rows: containers.map((c) => row(c, trunc)),
    }),
  );
}
