// encoding/json as the docker CLI's templates use it: `json` encodes with
// SetEscapeHTML(false), but a formatter context (ps, images, …) marshals
// itself through a map, so its keys are sorted and <, >, & are escaped.
import { concrete, type GoType, type GoValue, type StructField, zero } from './value';

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
  return goEscape(JSON.stringify(encodable(x)) ?? 'null', false);
}

/** The value encoding/json makes of a typed value: a struct's fields in Go's order (zero values included, omitempty ones left out when empty), map keys sorted. */
function encodable(x: GoValue): unknown {
  const v = x.v;
  if (v === null || v === undefined) return x.t.k === 'struct' ? {} : null;
  switch (x.t.k) {
    case 'ptr': return encodable({ t: x.t.elem, v });
    case 'slice': return Array.isArray(v) ? v.map((e) => encodable({ t: (x.t as { elem: GoType }).elem, v: e })) : v;
    case 'map': {
      // A JSON object of a type the CLI does not describe keeps the daemon's order.
      if (x.t.elem.k === 'infer') return v;
      const obj = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(obj).sort()) out[k] = encodable({ t: x.t.elem, v: obj[k] });
      return out;
    }
    case 'struct': {
      const out: Record<string, unknown> = {};
      structInto(x.t.fields, v as Record<string, unknown>, out);
      return out;
    }
    // An interface{} holds what encoding/json decoded: objects are maps, their keys sorted.
    case 'iface': return sortedDeep(v);
    default: return v;
  }
}

function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep);
  if (v === null || typeof v !== 'object') return v;
  const obj = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, sortedDeep(obj[k])]));
}

function structInto(fields: StructField[], obj: Record<string, unknown>, out: Record<string, unknown>): void {
  for (const f of fields) {
    if (f.embedded && f.type.k === 'struct') {
      structInto(f.type.fields, obj, out);
      continue;
    }
    const key = f.json ?? f.name;
    const given = obj[key];
    const value = given === undefined ? zero(f.type) : given;
    if (f.omitempty && isEmpty(value, f.type)) continue;
    out[key] = encodable({ t: f.type, v: value });
  }
}

/** encoding/json's empty values (omitempty): false, 0, "", nil, empty slices and maps (never a struct). */
function isEmpty(v: unknown, t: GoType): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (t.k === 'map') return Object.keys(v as object).length === 0;
  return false;
}
