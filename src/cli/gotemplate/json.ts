// encoding/json as the docker CLI's templates use it: `json` encodes with
// SetEscapeHTML(false), but a formatter context (ps, images, …) marshals
// itself through a map, so its keys are sorted and <, >, & are escaped.
import { concrete, type GoValue } from './value';

/** Go's escapes that JSON.stringify leaves out (HTML characters only when asked). */
export function goEscape(json: string, html: boolean): string {
  const re = html ? /[<>&\u2028\u2029]/g : /[\u2028\u2029]/g;
  return json.replace(re, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's json.Marshal of a map[string]interface{}: keys sorted, HTML escaped. */
export function sortedJson(obj: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) sorted[k] = obj[k];
  return goEscape(JSON.stringify(sorted), true);
}

export function goJson(x0: GoValue): string {
  const x = concrete(x0);
  if (x.t.k === 'struct' && x.t.sortedJson) return sortedJson((x.v ?? {}) as Record<string, unknown>);
  if (x.v === undefined) return 'null';
  return goEscape(JSON.stringify(x.v) ?? 'null', false);
}
