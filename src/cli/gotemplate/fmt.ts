// Go's fmt for template values: %v of every kind (structs in field order,
// maps sorted, nil as <nil>, floats as %g), Sprint/Sprintln spacing, and
// Sprintf with flags, width, precision and the verbs scripts use.
import { concrete, entries, type GoValue, isNilish, typeName, zero } from './value';

/** Go's strconv 'g' with the shortest precision (what %v prints for a float64). */
export function goFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, e] = f.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 21 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/** time.Time.String() of an RFC 3339 timestamp. */
export function goTime(s: string): string {
  const m = /^(\d{4,}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return s;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac === '.' ? '' : frac} ${zone}`;
}

/** %v of a value; `top` is the operand itself (a pointer there prints as &{…}, deeper as an address). */
export function formatV(x0: GoValue, plus = false, top = true): string {
  const x = concrete(x0);
  const v = x.v;
  if (v === undefined) return top ? '<nil>' : '<nil>';
  switch (x.t.k) {
    case 'string': case 'number': return String(v);
    case 'bool': return v ? 'true' : 'false';
    case 'int': case 'uint': return String(v);
    case 'float': return goFloat(v as number);
    case 'time': return goTime(String(v));
    case 'ptr':
      if (v === null) return '<nil>';
      return top ? `&${formatV({ t: x.t.elem, v }, plus, true)}` : '0xc000010000';
    case 'struct': {
      const obj = v as Record<string, unknown>;
      const parts = x.t.fields.map((f) => {
        const key = f.json ?? f.name;
        const fv = { t: f.type, v: f.embedded ? obj : Object.hasOwn(obj, key) && obj[key] !== undefined ? obj[key] : zero(f.type) };
        const shown = formatV(fv, plus, false);
        return plus ? `${f.name}:${shown}` : shown;
      });
      return `{${parts.join(' ')}}`;
    }
    case 'slice': case 'map': {
      const list = entries(x)!;
      const body = list.map(([k, e]) => (x.t.k === 'map' ? `${formatV(k, plus, false)}:${formatV(e, plus, false)}` : formatV(e, plus, false))).join(' ');
      return x.t.k === 'map' ? `map[${body}]` : `[${body}]`;
    }
    default:
      return v === null ? '<nil>' : String(v);
  }
}

const isStringKind = (x: GoValue) => {
  const k = concrete(x).t.k;
  return k === 'string' || k === 'number';
};

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && !isStringKind(a) && !isStringKind(args[i - 1]!)) out += ' ';
    out += formatV(a);
  });
  return out;
}

export function sprintln(args: GoValue[]): string {
  return `${args.map((a) => formatV(a)).join(' ')}\n`;
}

interface Spec { minus: boolean; plus: boolean; sharp: boolean; space: boolean; zero: boolean; width?: number; prec?: number }

function pad(s: string, spec: Spec, numeric = false): string {
  const w = spec.width ?? 0;
  const len = [...s].length;
  if (len >= w) return s;
  if (spec.minus) return s + ' '.repeat(w - len);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(w - len) + s.slice(sign.length);
  }
  return ' '.repeat(w - len) + s;
}

function badVerb(verb: string, x: GoValue): string {
  const c = concrete(x);
  if (c.v === undefined || (c.t.k === 'iface' && c.v === null)) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(c.t)}=${formatV(c)})`;
}

/** Go's quoting (strconv.Quote) of a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function formatInt(n: number, verb: string, spec: Spec): string {
  const neg = n < 0;
  const abs = Math.abs(Math.trunc(n));
  let digits = verb === 'x' ? abs.toString(16) : verb === 'X' ? abs.toString(16).toUpperCase() : verb === 'o' ? abs.toString(8) : verb === 'b' ? abs.toString(2) : String(abs);
  if (spec.prec !== undefined) digits = digits.padStart(spec.prec, '0');
  if (spec.sharp && (verb === 'x' || verb === 'X')) digits = `0${verb}${digits}`;
  return (neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '') + digits;
}

function formatFloat(f: number, verb: string, spec: Spec): string {
  let s: string;
  if (!Number.isFinite(f)) s = goFloat(f);
  else if (verb === 'f' || verb === 'F') s = f.toFixed(spec.prec ?? 6);
  else if (verb === 'e' || verb === 'E') s = f.toExponential(spec.prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
  else s = spec.prec === undefined ? goFloat(f) : Number(f.toPrecision(spec.prec || 1)).toString();
  if (verb === 'E') s = s.toUpperCase();
  if (f >= 0 && spec.plus) s = `+${s}`;
  return s;
}

function formatOne(verb: string, x0: GoValue, spec: Spec): string {
  const x = concrete(x0);
  const k = x.t.k;
  const v = x.v;
  const hexString = (s: string) => [...Buffer.from(s)].map((b) => b.toString(16).padStart(2, '0')).join('');
  switch (verb) {
    case 'v':
      if (spec.plus) return pad(formatV(x, true), spec);
      if (k === 'float') return pad(formatFloat(v as number, 'g', spec), spec, true);
      if ((k === 'int' || k === 'uint') && spec.zero) return pad(formatInt(v as number, 'd', spec), spec, true);
      return pad(formatV(x), spec);
    case 's': case 'q': {
      if (k === 'string' || k === 'number') {
        let s = String(v);
        if (spec.prec !== undefined) s = [...s].slice(0, spec.prec).join('');
        return pad(verb === 'q' ? goQuote(s) : s, spec);
      }
      if (verb === 's' && (k === 'struct' || k === 'slice' || k === 'map' || k === 'ptr' || k === 'time' || k === 'bool')) {
        return k === 'bool' ? badVerb(verb, x) : pad(formatV(x), spec);
      }
      if (verb === 'q' && (k === 'int' || k === 'uint')) return pad(`'${String.fromCodePoint(v as number)}'`, spec);
      return badVerb(verb, x);
    }
    case 'd': case 'o': case 'b':
      return k === 'int' || k === 'uint' ? pad(formatInt(v as number, verb, spec), spec, true) : badVerb(verb, x);
    case 'x': case 'X':
      if (k === 'int' || k === 'uint') return pad(formatInt(v as number, verb, spec), spec, true);
      if (k === 'string' || k === 'number') {
        const h = hexString(String(v));
        return pad(verb === 'X' ? h.toUpperCase() : h, spec);
      }
      return badVerb(verb, x);
    case 'c':
      return k === 'int' || k === 'uint' ? pad(String.fromCodePoint(v as number), spec) : badVerb(verb, x);
    case 't':
      return k === 'bool' ? pad(String(v), spec) : badVerb(verb, x);
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
      return k === 'float' ? pad(formatFloat(v as number, verb, spec), spec, true) : badVerb(verb, x);
    case 'T':
      return pad(isNilish(x) && k === 'iface' ? '<nil>' : typeName(x.t), spec);
    default:
      return `%!${verb}(${typeName(x.t)}=${formatV(x)})`;
  }
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: GoValue[]): string {
  let out = '';
  let argi = 0;
  const re = /%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?(.)?/gsy;
  let last = 0;
  for (let i = format.indexOf('%'); i >= 0; i = format.indexOf('%', last)) {
    out += format.slice(last, i);
    re.lastIndex = i;
    const m = re.exec(format)!;
    last = re.lastIndex;
    const flags = m[1] ?? '';
    const spec: Spec = { minus: flags.includes('-'), plus: flags.includes('+'), sharp: flags.includes('#'), space: flags.includes(' '), zero: flags.includes('0') };
    const num = (s: string | undefined): number | undefined => {
      if (s === undefined) return undefined;
      if (s === '*') {
        const a = args[argi++];
        return a ? Number(concrete(a).v) : undefined;
      }
      return s === '' ? 0 : Number(s);
    };
    spec.width = num(m[2]);
    spec.prec = num(m[3]);
    const verb = m[4];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[argi++]!, spec);
  }
  out += format.slice(last);
  if (argi < args.length) {
    out += `%!(EXTRA ${args.slice(argi).map((a) => { const c = concrete(a); return `${typeName(c.t)}=${formatV(c)}`; }).join(', ')})`;
  }
  return out;
}
