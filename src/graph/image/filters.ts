// Filters of GET /images/json and POST /images/prune: dangling, label (key or
// key=value; `label!` for prune), reference (glob on familiar names), before,
// since, until.
import { InvalidArgumentError } from '../../errors';
import { familiarName, familiarString, type NamedRef } from '../../api/reference';
import type { ImageRecord } from './store';

export interface ImageFilters {
  dangling?: boolean;
  labels: string[];
  notLabels: string[];
  references: string[];
  before?: number;
  since?: number;
  until?: number;
}

const KEYS = new Set(['dangling', 'label', 'label!', 'reference', 'before', 'since', 'until']);

export function parseImageFilters(raw: Record<string, string[]>, resolve: (s: string) => ImageRecord): ImageFilters {
  for (const k of Object.keys(raw)) if (!KEYS.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  const f: ImageFilters = { labels: raw.label ?? [], notLabels: raw['label!'] ?? [], references: raw.reference ?? [] };
  for (const v of raw.dangling ?? []) {
    const l = v.toLowerCase();
    if (l === 'true' || l === '1') f.dangling = true;
    else if (l === 'false' || l === '0') f.dangling = false;
    else throw new InvalidArgumentError(`Invalid filter 'dangling=${v}'`);
  }
  for (const v of raw.before ?? []) f.before = resolve(v).created;
  for (const v of raw.since ?? []) f.since = resolve(v).created;
  for (const v of raw.until ?? []) f.until = parseUntil(v);
  return f;
}

export function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const dur = /^(\d+)(h|m|s)$/.exec(v);
  if (dur) return Date.now() / 1000 - Number(dur[1]) * { h: 3600, m: 60, s: 1 }[dur[2] as 'h' | 'm' | 's'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`failed to parse value ${v} as a time`);
  return t / 1000;
}

export function labelMatch(labels: Record<string, string>, spec: string): boolean {
  const i = spec.indexOf('=');
  if (i < 0) return spec in labels;
  return labels[spec.slice(0, i)] === spec.slice(i + 1);
}

/** Go's path.Match for the patterns Docker users write (*, ?, [..]). */
export function globMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `!${cls.slice(1)}`;
      re += `[${cls.startsWith('!') ? `^${cls.slice(1)}` : cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`).test(s);
}

/** Whether the image passes; returns the references to show (all, or those matching `reference`). */
export function matchImage(img: ImageRecord, refs: NamedRef[], f: ImageFilters): { refs: NamedRef[] } | undefined {
  if (f.dangling === true && refs.length > 0) return undefined;
  if (f.dangling === false && refs.length === 0) return undefined;
  if (f.before !== undefined && !(img.created < f.before)) return undefined;
  if (f.since !== undefined && !(img.created > f.since)) return undefined;
  if (f.until !== undefined && !(img.created < f.until)) return undefined;
  const labels = img.config.config?.Labels ?? {};
  if (!f.labels.every((l) => labelMatch(labels, l))) return undefined;
  if (f.notLabels.some((l) => labelMatch(labels, l))) return undefined;
  if (f.references.length === 0) return { refs };
  const matching = refs.filter((r) => f.references.some((p) => globMatch(p, familiarString(r)) || globMatch(p, familiarName(r))));
  return matching.length > 0 ? { refs: matching } : undefined;
}
