// Go values for the template engine: a JSON value with the Go type the docker
// CLI decodes it into (so that {{.State}} prints as Go's fmt prints a struct,
// in the struct's field order, and a missing field is an error as in Go).
// Types the CLI does not describe are inferred from the JSON value.

export type Method = (self: GoValue, args: GoValue[]) => GoValue;

export interface StructField { name: string; type: GoType; embedded?: boolean; json?: string; omitempty?: boolean }

export type GoType =
  | { k: 'string' | 'bool' | 'int' | 'uint' | 'float' | 'number' | 'time' | 'iface' | 'infer'; name?: string }
  | { k: 'struct'; name: string; fields: StructField[]; methods?: Record<string, Method>; sortedJson?: boolean }
  | { k: 'ptr'; elem: GoType }
  | { k: 'slice'; elem: GoType }
  | { k: 'map'; key: GoType; elem: GoType };

/** A Go value: its type and the JSON value that holds it (objects for structs and maps, arrays for slices, null for nil). */
export interface GoValue { t: GoType; v: unknown }

export const T = {
  string: { k: 'string' } as GoType,
  bool: { k: 'bool' } as GoType,
  int: { k: 'int' } as GoType,
  float: { k: 'float' } as GoType,
  iface: { k: 'iface' } as GoType,
  infer: { k: 'infer' } as GoType,
  number: { k: 'number', name: 'json.Number' } as GoType,
};

/** A value that is no value (a missing map entry of an interface map): prints "<no value>". */
export const INVALID: GoValue = { t: { k: 'iface' }, v: undefined };

export const str = (s: string): GoValue => ({ t: T.string, v: s });
export const int = (n: number): GoValue => ({ t: T.int, v: n });
export const bool = (b: boolean): GoValue => ({ t: T.bool, v: b });

/** Dynamic type of a decoded JSON value held in an interface (encoding/json's choices). */
export function dynamic(v: unknown, useNumber: boolean): GoValue {
  if (v === null || v === undefined) return { t: T.iface, v: null };
  if (typeof v === 'string') return { t: T.string, v };
  if (typeof v === 'boolean') return { t: T.bool, v };
  if (typeof v === 'number') return { t: useNumber ? T.number : { k: 'float', name: 'float64' }, v };
  if (Array.isArray(v)) return { t: { k: 'slice', elem: useNumber ? RAW_ANY : T.iface }, v };
  return { t: { k: 'map', key: T.string, elem: useNumber ? RAW_ANY : T.iface }, v };
}
/** interface{} whose numbers decode as json.Number (the inspect fallback's dec.UseNumber()). */
const RAW_ANY: GoType = { k: 'iface', name: 'raw' };

/** Resolves interfaces and inferred types to the concrete value (invalid for a nil interface). */
export function concrete(x: GoValue): GoValue {
  if (x.t.k === 'iface') return x.v === undefined ? x : dynamic(x.v, x.t.name === 'raw');
  if (x.t.k === 'infer') {
    const v = x.v;
    if (typeof v === 'number') return { t: Number.isInteger(v) ? T.int : T.float, v };
    if (Array.isArray(v)) return { t: { k: 'slice', elem: T.infer }, v };
    if (v !== null && typeof v === 'object') return { t: { k: 'map', key: T.string, elem: T.infer }, v };
    return v === null || v === undefined ? { t: T.iface, v: null } : dynamic(v, false);
  }
  return x;
}

export function isNilish(x: GoValue): boolean {
  return x.v === null || x.v === undefined;
}

export function zero(t: GoType): unknown {
  switch (t.k) {
    case 'string': case 'number': return '';
    case 'bool': return false;
    case 'int': case 'uint': case 'float': return 0;
    case 'time': return '0001-01-01T00:00:00Z';
    case 'struct': return {};
    default: return null;
  }
}

export function typeName(t: GoType): string {
  switch (t.k) {
    case 'struct': return t.name;
    case 'ptr': return `*${typeName(t.elem)}`;
    case 'slice': return `[]${typeName(t.elem)}`;
    case 'map': return `map[${typeName(t.key)}]${typeName(t.elem)}`;
    case 'iface': case 'infer': return 'interface {}';
    case 'time': return 'time.Time';
    default: return t.name ?? (t.k === 'float' ? 'float64' : t.k);
  }
}

/** The value of a struct's field (promoted through embedded structs), or undefined when the type has none. */
export function structField(x: GoValue, name: string): GoValue | undefined {
  if (x.t.k !== 'struct') return undefined;
  const obj = (x.v ?? {}) as Record<string, unknown>;
  for (const f of x.t.fields) {
    // An embedded struct is a field too, named by its type, before anything it promotes.
    if (f.embedded && f.name === name) return { t: f.type, v: obj };
    if (f.embedded) continue;
    if (f.name === name) {
      const key = f.json ?? name;
      return { t: f.type, v: Object.hasOwn(obj, key) && obj[key] !== undefined ? obj[key] : zero(f.type) };
    }
  }
  for (const f of x.t.fields) {
    if (!f.embedded) continue;
    // An embedded struct's fields sit in the same JSON object as its parent's.
    const inner = structField({ t: f.type, v: obj }, name);
    if (inner) return inner;
  }
  return undefined;
}

export function structMethod(t: GoType, name: string): Method | undefined {
  const s = t.k === 'ptr' ? t.elem : t;
  if (s.k === 'time') return TIME_METHODS[name];
  return s.k === 'struct' ? s.methods?.[name] : undefined;
}

const timeMs = (x: GoValue) => Date.parse(String(x.v));
/** A few of time.Time's methods (IsZero is what scripts ask of LastTagTime and the like). */
const TIME_METHODS: Record<string, Method> = {
  IsZero: (x) => bool(/^0001-01-01T00:00:00(\.0+)?Z$/.test(String(x.v))),
  Unix: (x) => int(Math.floor(timeMs(x) / 1000)),
  UnixNano: (x) => int(timeMs(x) * 1e6),
  Year: (x) => int(new Date(timeMs(x)).getUTCFullYear()),
};

/** Go's truth of a value (text/template's isTrue). */
export function truth(x0: GoValue): boolean {
  const x = concrete(x0);
  const v = x.v;
  switch (x.t.k) {
    case 'struct': case 'time': return true;
    case 'bool': return v === true;
    case 'int': case 'uint': case 'float': return v !== 0;
    case 'string': case 'number': return v !== '';
    case 'slice': return Array.isArray(v) && v.length > 0;
    case 'map': return v !== null && typeof v === 'object' && Object.keys(v).length > 0;
    default: return v !== null && v !== undefined;
  }
}

/** Elements of a slice or map (map entries in Go's sorted key order). */
export function entries(x: GoValue): [GoValue, GoValue][] | undefined {
  if (x.t.k === 'slice') {
    const elem = x.t.elem;
    return ((x.v ?? []) as unknown[]).map((e, i) => [int(i), { t: elem, v: e }]);
  }
  if (x.t.k === 'map') {
    const elem = x.t.elem;
    const obj = (x.v ?? {}) as Record<string, unknown>;
    return Object.keys(obj).sort(compareKeys).map((k) => [str(k), { t: elem, v: obj[k] }]);
  }
  return undefined;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
