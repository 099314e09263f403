// Value syntaxes of docker's container flags, parsed as the Go CLI parses
// them: sizes (go-units RAMInBytes), Go durations, --cpus rationals, Go's
// strconv.Quote, `key=value` pairs, and the --since/--until timestamps of `logs`.

/** A `key=value` flag value as its key and value (the value empty when there is no `=`). */
export function splitKV(s: string): [string, string] {
  const eq = s.indexOf('=');
  return eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)];
}

/** An object of the entries (the last of a key wins) with its keys sorted, as Go's JSON encodes a map. */
export const sortedMap = <V>(entries: Iterable<[string, V]>): Record<string, V> =>
  Object.fromEntries([...new Map(entries)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "64m", "1.5g", "512", "1GiB", "10 kb" in binary units. */
export function ramInBytes(s: string): number {
  let sep = -1;
  for (let i = s.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(s[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep < 0) throw new Error(`invalid size: '${s}'`);
  const num = s[sep] === ' ' ? s.slice(0, sep) : s.slice(0, sep + 1);
  let suffix = s.slice(sep + 1);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(num)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  const size = Number(num);
  if (size < 0) throw new Error(`invalid size: '${s}'`);
  if (suffix === '') return Math.trunc(size);
  const bad = () => new Error(`invalid suffix: '${suffix}'`);
  if (suffix.length > 3) throw bad();
  suffix = suffix.toLowerCase();
  if (suffix[0] === 'b') {
    if (suffix.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = BINARY[suffix[0]!];
  if (mul === undefined || (suffix.length === 2 && suffix[1] !== 'b') || (suffix.length === 3 && suffix.slice(1) !== 'ib')) throw bad();
  return Math.trunc(size * mul);
}

/** opts.MemSwapBytes: a size, or -1 for unlimited swap. */
export function memSwapBytes(s: string): number {
  return s === '-1' ? -1 : ramInBytes(s);
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds: "1m30s", "500ms", "-1.5h", "0". */
export function parseDuration(s: string): number {
  const invalid = () => new Error(`time: invalid duration "${s}"`);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  // µs and μs as escapes: the CLI bundle stays ASCII (scripts/build.mjs).
  const part = /^(\d*\.?\d*)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') {
      if (m === null && /^\d*\.?\d*$/.test(rest)) throw new Error(`time: missing unit in duration "${s}"`);
      throw invalid();
    }
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** opts.NanoCPUs: "1.5" → 1500000000 (a decimal with at most 9 fractional digits). */
export function nanoCpus(s: string): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === '' && !m[3])) throw new Error(`failed to parse ${s} as a rational number`);
  const frac = m[3] ?? '';
  if (/[1-9]/.test(frac.slice(9))) throw new Error('value is too precise');
  const nano = Number(m[2] || '0') * 1e9 + Number((frac + '000000000').slice(0, 9));
  return m[1] === '-' ? -nano : nano;
}

/** Go's strconv.Quote: double quotes, Go escapes, printable Unicode kept. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * docker's timetypes.GetTimestamp for `logs --since/--until`: a Go duration
 * ("10m", relative to now) becomes unix seconds, an RFC 3339 or shorter date
 * becomes "seconds.nanoseconds", a unix time is passed as given.
 */
export function apiTimestamp(value: string, now = Date.now()): string {
  if (value !== '0') {
    try {
      return String(Math.floor((now - parseDuration(value) / 1e6) / 1000));
    } catch {
      // not a duration
    }
  }
  if (/^\d+(\.\d+)?$/.test(value) || value === '') return value;
  // Layouts without a zone are in local time, as Go's time.ParseInLocation(…, time.Local).
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) throw new Error(`failed to parse value as time or duration: "${value}"`);
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  const local = `${y}-${mo}-${d}T${h}:${mi}:${sec}`;
  const ms = Date.parse(zone ? `${local}${zone}` : local);
  if (Number.isNaN(ms)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  const nanos = (frac.slice(1) + '000000000').slice(0, 9);
  return `${Math.floor(ms / 1000)}.${nanos}`;
}

/** A Node file error worded as Go's *PathError: "open /x: no such file or directory". */
export function goPathError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e.syscall || e.path === undefined) return e.message;
  const description = /^[A-Z]+: (.*?), /.exec(e.message)?.[1] ?? e.message;
  return `${e.syscall} ${e.path}: ${description}`;
}
