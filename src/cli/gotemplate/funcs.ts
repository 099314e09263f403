// text/template's builtin functions and the docker CLI's own (templates.basicFunctions):
// json, split, join, title, lower, upper, pad, truncate.
import { formatV, sprint, sprintf, sprintln } from './fmt';
import { bool, concrete, entries, type GoValue, int, INVALID, str, T, truth, typeName } from './value';

export class FuncError extends Error {}

export type Func = (args: GoValue[]) => GoValue;

function want(args: GoValue[], n: number, name: string): void {
  if (args.length !== n) throw new FuncError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
}

function asString(x0: GoValue): string {
  const x = concrete(x0);
  if (x.t.k === 'string' || x.t.k === 'number') return String(x.v);
  throw new FuncError(`wrong type for value; expected string; got ${x.v === undefined || x.v === null ? '<nil>' : typeName(x.t)}`);
}

function asInt(x0: GoValue): number {
  const x = concrete(x0);
  if (x.t.k === 'int' || x.t.k === 'uint') return x.v as number;
  throw new FuncError(`wrong type for value; expected int; got ${typeName(x.t)}`);
}

type Kind = 'bool' | 'int' | 'float' | 'string' | 'other';
function basicKind(x: GoValue): Kind {
  const k = concrete(x).t.k;
  if (k === 'int' || k === 'uint') return 'int';
  if (k === 'number') return 'string';
  return k === 'bool' || k === 'float' || k === 'string' ? k : 'other';
}

function compare(op: string, a0: GoValue, b0: GoValue): number {
  const a = concrete(a0);
  const b = concrete(b0);
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'other' || kb === 'other') {
    if (op === 'eq' && (a.v === null || b.v === null)) return a.v === b.v ? 0 : 1;
    throw new FuncError(op === 'eq' ? 'incompatible types for comparison' : 'invalid type for comparison');
  }
  if (ka !== kb) throw new FuncError('incompatible types for comparison');
  if (ka === 'bool' && op !== 'eq') throw new FuncError('invalid type for comparison');
  const x = a.v as number | string;
  const y = b.v as number | string;
  return x < y ? -1 : x > y ? 1 : 0;
}

function indexInto(item0: GoValue, idx: GoValue[]): GoValue {
  let item = item0;
  for (const i of idx) {
    item = concrete(item);
    if (item.v === undefined || (item.t.k === 'iface' && item.v === null)) throw new FuncError('index of untyped nil');
    if (item.t.k === 'slice' || item.t.k === 'string' || item.t.k === 'number') {
      const n = asInt(i);
      const len = item.t.k === 'slice' ? ((item.v ?? []) as unknown[]).length : Buffer.byteLength(String(item.v));
      if (n < 0 || n >= len) throw new FuncError(`index out of range: ${n}`);
      item = item.t.k === 'slice' ? { t: item.t.elem, v: (item.v as unknown[])[n] } : int(Buffer.from(String(item.v))[n]!);
    } else if (item.t.k === 'map') {
      const key = asString(i);
      const obj = (item.v ?? {}) as Record<string, unknown>;
      item = Object.hasOwn(obj, key) ? { t: item.t.elem, v: obj[key] } : zeroOfElem(item.t.elem);
    } else throw new FuncError(`can't index item of type ${typeName(item.t)}`);
  }
  return item;
}

function zeroOfElem(t: GoValue['t']): GoValue {
  if (t.k === 'iface' || t.k === 'infer') return INVALID;
  return { t, v: t.k === 'string' ? '' : t.k === 'bool' ? false : t.k === 'int' || t.k === 'float' ? 0 : null };
}

function sliceOf(item0: GoValue, idx: GoValue[]): GoValue {
  const item = concrete(item0);
  const n = idx.map(asInt);
  if (n.length > 3) throw new FuncError(`too many slice indexes: ${n.length}`);
  if (item.t.k === 'string' || item.t.k === 'number') {
    if (n.length === 3) throw new FuncError('cannot 3-index slice a string');
    const b = Buffer.from(String(item.v));
    const from = n[0] ?? 0;
    const to = n[1] ?? b.length;
    if (from < 0 || to > b.length || from > to) throw new FuncError(`index out of range: ${to > b.length ? to : from}`);
    return str(b.subarray(from, to).toString());
  }
  if (item.t.k === 'slice') {
    const arr = (item.v ?? []) as unknown[];
    const from = n[0] ?? 0;
    const to = n[1] ?? arr.length;
    if (from < 0 || to > arr.length || from > to) throw new FuncError(`index out of range: ${to > arr.length ? to : from}`);
    return { t: item.t, v: arr.slice(from, to) };
  }
  throw new FuncError(`can't slice item of type ${typeName(item.t)}`);
}

function length(x0: GoValue): GoValue {
  const x = concrete(x0);
  if (x.t.k === 'string' || x.t.k === 'number') return int(Buffer.byteLength(String(x.v)));
  const e = entries(x);
  if (e) return int(e.length);
  throw new FuncError(`len of type ${typeName(x.t)}`);
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c]!);
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\' || ch === "'" || ch === '"') out += `\\${ch}`;
    else if (ch === '<' || ch === '>' || ch === '&' || ch === '=') out += `\\u00${c.toString(16).toUpperCase()}`;
    else if (c < 0x20) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else if (c < 0x80 || /\p{L}|\p{N}|\p{P}|\p{S}|\p{Zs}|\p{M}/u.test(ch)) out += ch;
    else out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

function queryEscape(s: string): string {
  return [...Buffer.from(s)].map((b) => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    return c === ' ' ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** A one-string argument as text/template's escapers take it: the Sprint of all arguments. */
const evalArgs = (args: GoValue[]): string => (args.length === 1 && basicKind(args[0]!) === 'string' ? String(concrete(args[0]!).v) : sprint(args));

export type JsonOf = (x: GoValue) => string;

export function builtins(jsonOf: JsonOf): Record<string, Func> {
  return {
    and: (a) => a.find((x) => !truth(x)) ?? a[a.length - 1]!,
    or: (a) => a.find((x) => truth(x)) ?? a[a.length - 1]!,
    not: (a) => (want(a, 1, 'not'), bool(!truth(a[0]!))),
    len: (a) => (want(a, 1, 'len'), length(a[0]!)),
    index: (a) => indexInto(a[0]!, a.slice(1)),
    slice: (a) => sliceOf(a[0]!, a.slice(1)),
    print: (a) => str(sprint(a)),
    printf: (a) => str(sprintf(asString(a[0]!), a.slice(1))),
    println: (a) => str(sprintln(a)),
    html: (a) => str(htmlEscape(evalArgs(a))),
    js: (a) => str(jsEscape(evalArgs(a))),
    urlquery: (a) => str(queryEscape(evalArgs(a))),
    eq: (a) => {
      if (a.length < 2) throw new FuncError('missing argument for comparison');
      return bool(a.slice(1).some((b) => compare('eq', a[0]!, b) === 0));
    },
    ne: (a) => (want(a, 2, 'ne'), bool(compare('eq', a[0]!, a[1]!) !== 0)),
    lt: (a) => (want(a, 2, 'lt'), bool(compare('lt', a[0]!, a[1]!) < 0)),
    le: (a) => (want(a, 2, 'le'), bool(compare('le', a[0]!, a[1]!) <= 0)),
    gt: (a) => (want(a, 2, 'gt'), bool(compare('gt', a[0]!, a[1]!) > 0)),
    ge: (a) => (want(a, 2, 'ge'), bool(compare('ge', a[0]!, a[1]!) >= 0)),
    call: () => {
      throw new FuncError('call of non-function');
    },
    // docker's own
    json: (a) => (want(a, 1, 'json'), str(jsonOf(a[0]!))),
    split: (a) => (want(a, 2, 'split'), { t: { k: 'slice', elem: T.string }, v: goSplit(asString(a[0]!), asString(a[1]!)) }),
    join: (a) => {
      want(a, 2, 'join');
      const list = concrete(a[0]!);
      if (list.t.k !== 'slice' || concrete({ t: list.t.elem, v: '' }).t.k !== 'string') {
        throw new FuncError(`wrong type for value; expected []string; got ${typeName(list.t)}`);
      }
      return str(((list.v ?? []) as string[]).join(asString(a[1]!)));
    },
    title: (a) => (want(a, 1, 'title'), str(asString(a[0]!).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, sep: string, c: string) => sep + c.toUpperCase()))),
    lower: (a) => (want(a, 1, 'lower'), str(asString(a[0]!).toLowerCase())),
    upper: (a) => (want(a, 1, 'upper'), str(asString(a[0]!).toUpperCase())),
    pad: (a) => {
      want(a, 3, 'pad');
      const s = asString(a[0]!);
      return str(s === '' ? s : ' '.repeat(asInt(a[1]!)) + s + ' '.repeat(asInt(a[2]!)));
    },
    truncate: (a) => {
      want(a, 2, 'truncate');
      const s = asString(a[0]!);
      const n = asInt(a[1]!);
      const b = Buffer.from(s);
      return str(b.length < n ? s : b.subarray(0, n).toString());
    },
  };
}

function goSplit(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

export { formatV };
