// Times of `docker logs`: the since/until the docker CLI sends, and the
// entries' RFC 3339 times, both to the nanosecond.
import { InvalidArgumentError } from '../errors';

export const NS = 1_000_000_000n;

/**
 * A `since`/`until` query value as the docker CLI sends it, in nanoseconds:
 * unix seconds with an optional fraction ("1700000000.123456789"; the CLI
 * converts "10m" and RFC 3339 times to this before sending). Empty:
 * undefined. Parsed like moby's timetypes.ParseTimestamps, with its error text.
 */
export function parseLogTime(value: string): bigint | undefined {
  if (value === '') return undefined;
  const dot = value.indexOf('.');
  const sec = parseGoInt(dot === -1 ? value : value.slice(0, dot));
  if (dot === -1) return sec * NS;
  const fracText = value.slice(dot + 1);
  const frac = parseGoInt(fracText);
  // "Should already be in nanoseconds", scaled when it is not.
  const digits = fracText.replace(/^[+-]/, '').length;
  const nanos = digits <= 9 ? frac * 10n ** BigInt(9 - digits) : frac / 10n ** BigInt(digits - 9);
  return sec * NS + nanos;
}

function parseGoInt(s: string): bigint {
  if (!/^[+-]?\d+$/.test(s)) throw new InvalidArgumentError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  return BigInt(s);
}

/**
 * Nanoseconds of a LogOptions time. Seconds go through the number's shortest
 * decimal form: a float near 1.7e9 is only good to ~0.2 µs, but
 * 1767323045.105 must compare equal to an entry written at .105000000.
 */
export function toNs(seconds: number | bigint): bigint {
  if (typeof seconds === 'bigint') return seconds;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(seconds));
  if (!m) return BigInt(Math.round(seconds * 1e9)); // exponent notation: far from any log time
  const [, sign, whole = '0', frac = ''] = m;
  const ns = BigInt(whole) * NS + BigInt(frac.slice(0, 9).padEnd(9, '0'));
  return sign === '-' ? -ns : ns;
}

const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** An entry's time: nanoseconds since the epoch and Docker's fixed-width text. */
export function parseEntryTime(time: string): { ns: bigint; text: string } | undefined {
  const m = TIME.exec(time);
  if (!m) return undefined;
  const [, base, frac = '', zone] = m;
  const ms = Date.parse(`${base}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const nanos = frac.padEnd(9, '0');
  const goZone = zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return { ns: BigInt(ms / 1000) * NS + BigInt(nanos), text: `${base}.${nanos}${goZone}` };
}
