// Docker's query-string conventions, parsed in one place.
import { InvalidArgumentError } from '../errors';

export type Query = Record<string, string | string[] | undefined>;

/** The last value of a parameter (clients may repeat one). */
export function str(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Every value of a repeatable parameter. */
export function strs(q: Query, key: string): string[] {
  const v = q[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** dockerd's BoolValue: "", 0, no, false, none are false; anything else true. */
export function bool(q: Query, key: string): boolean {
  const v = str(q, key);
  if (v === undefined) return false;
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

export function int(q: Query, key: string): number | undefined {
  const v = str(q, key);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`invalid value for ${key}: ${v}`);
  return n;
}

/**
 * `filters` as JSON, in both forms clients send: {"key":["v"]} and the legacy
 * {"key":{"v":true}} (the docker CLI 28 still sends the latter).
 */
export function filters(q: Query): Record<string, string[]> {
  const raw = str(q, 'filters');
  if (raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`invalid filter: ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError(`invalid filter: ${raw}`);
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) out[key] = value.map(String);
    else if (typeof value === 'object' && value !== null) out[key] = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k]);
    else throw new InvalidArgumentError(`invalid filter: ${raw}`);
  }
  return out;
}

/** `h` and `w` of a resize request (rows and columns; 0 when absent). */
export function ttySize(q: Query): { rows: number; cols: number } {
  const rows = int(q, 'h') ?? 0;
  const cols = int(q, 'w') ?? 0;
  if (rows < 0 || cols < 0) throw new InvalidArgumentError('invalid size');
  return { rows, cols };
}
