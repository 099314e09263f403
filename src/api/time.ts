// Docker's time formats, written once for the daemon and the CLI: Go's
// time.Time as JSON (RFC 3339 with nanoseconds), Go's time.Time.String(),
// and go-units' HumanDuration ("2 minutes ago").

/** Go's zero time.Time as JSON: what Docker shows for a time never set. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Go's RFC 3339 with nanoseconds, as time.Time marshals to JSON (trailing zeros trimmed); `nanos` is below the millisecond. */
export function rfc3339Nano(d: Date, nanos = 0): string {
  const base = d.toISOString().slice(0, 19);
  const frac = (String(d.getUTCMilliseconds()).padStart(3, '0') + String(nanos).padStart(6, '0')).replace(/0+$/, '');
  return frac === '' ? `${base}Z` : `${base}.${frac}Z`;
}

/** Now as rfc3339Nano: the wall clock's milliseconds, the high-resolution clock's digits below. */
export function nowRfc3339Nano(): string {
  return rfc3339Nano(new Date(), Number(process.hrtime.bigint() % 1_000_000n));
}

/** Nanoseconds since the epoch of an RFC 3339 time: orders two times within one millisecond, which Date.parse cannot. */
export function unixNanos(rfc: string): bigint {
  const frac = /\.(\d+)/.exec(rfc)?.[1] ?? '';
  const wholeSeconds = Math.floor(Date.parse(rfc) / 1000);
  return BigInt(wholeSeconds) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A unix time's local day, clock and UTC offset (minutes east), the parts Go's layouts write. */
function localParts(unixSeconds: number): { date: Date; day: string; clock: string; offset: number } {
  const date = new Date(unixSeconds * 1000);
  return {
    date,
    day: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    clock: `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`,
    offset: -date.getTimezoneOffset(),
  };
}

/** `+0100`, or `+01:00` with `sep` ':'. */
function zoneOffset(offset: number, sep = ''): string {
  return `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}${sep}${pad(Math.abs(offset) % 60)}`;
}

/** RFC 3339's zone: `Z` for UTC, else `+01:00`. */
const rfc3339Zone = (offset: number) => (offset === 0 ? 'Z' : zoneOffset(offset, ':'));

/** `2026-11-24 03:17:02 +0000 UTC`: Go's time.Time.String() of a unix time, in local time as docker's CLI prints CreatedAt. */
export function goTimeString(unixSeconds: number): string {
  const { date, day, clock, offset } = localParts(unixSeconds);
  const zone = offset === 0 ? 'UTC' : (Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '');
  return `${day} ${clock} ${zoneOffset(offset)} ${zone}`;
}

/** `2026-11-24T03:17:02Z`: Go's time.RFC3339 of a unix time, in local time (`+01:00` east of UTC), as docker's CLI prints history's CreatedAt. */
export function goRfc3339(unixSeconds: number): string {
  const { day, clock, offset } = localParts(unixSeconds);
  return `${day}T${clock}${rfc3339Zone(offset)}`;
}

/** jsonmessage.RFC3339NanoFixed in local time, from unix nanoseconds: `2026-12-05T01:35:13.821717500Z` (docker events). */
export function rfc3339NanoFixed(unixNanos: number): string {
  // String(): the shortest digits that read back as the same double, i.e. the digits the daemon sent.
  const digits = String(unixNanos).padStart(10, '0');
  const { day, clock, offset } = localParts(Number(digits.slice(0, -9)));
  return `${day}T${clock}.${digits.slice(-9)}${rfc3339Zone(offset)}`;
}

/** go-units HumanDuration: "Less than a second", "About a minute", "3 hours", … */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.round(ms / 3_600_000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "2 minutes ago" for a unix time in seconds (docker's CreatedSince, RunningFor). */
export function timeAgo(unixSeconds: number, now = Date.now()): string {
  return `${humanDuration(now - unixSeconds * 1000)} ago`;
}
