import { describe, expect, it } from 'vitest';
import { goRfc3339, goTimeString, humanDuration, nowRfc3339Nano, rfc3339Nano, timeAgo, unixNanos } from '../../src/api/time';

describe('Docker time formats (src/api/time.ts)', () => {
  it('durations like go-units HumanDuration', () => {
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(1000)).toBe('1 second');
    expect(humanDuration(45_000)).toBe('45 seconds');
    expect(humanDuration(61_000)).toBe('About a minute');
    expect(humanDuration(120_000)).toBe('2 minutes');
    expect(humanDuration(3_600_000)).toBe('About an hour');
    expect(humanDuration(5 * 3_600_000)).toBe('5 hours');
    expect(humanDuration(3 * 86_400_000)).toBe('3 days');
    expect(humanDuration(21 * 86_400_000)).toBe('3 weeks');
    expect(humanDuration(90 * 86_400_000)).toBe('3 months');
    expect(humanDuration(800 * 86_400_000)).toBe('2 years');
    expect(timeAgo(1000, 1000_000 + 120_000)).toBe('2 minutes ago');
  });
  it('RFC 3339 with nanoseconds as Go marshals a time.Time: trailing zeros trimmed', () => {
    const d = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120));
    expect(rfc3339Nano(d)).toBe('2024-01-02T03:04:05.12Z');
    expect(rfc3339Nano(d, 3400)).toBe('2024-01-02T03:04:05.1200034Z');
    expect(rfc3339Nano(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('2024-01-02T03:04:05Z');
    expect(nowRfc3339Nano()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
  });
  it('orders times within one millisecond by their nanoseconds', () => {
    expect(unixNanos('2024-01-02T03:04:05.12345Z') > unixNanos('2024-01-02T03:04:05.1234Z')).toBe(true);
    expect(unixNanos('2024-01-02T03:04:05.1234Z') > unixNanos('2024-01-02T03:04:05.123Z')).toBe(true);
    expect(unixNanos('1970-01-01T00:00:01.000000002Z')).toBe(1_000_000_002n);
  });
  it("Go's time.Time.String() in local time", () => {
    const saved = process.env.TZ;
    process.env.TZ = 'UTC';
    try {
      expect(goTimeString(1_700_000_000)).toBe('2023-11-14 22:13:20 +0000 UTC');
      expect(goRfc3339(1_700_000_000)).toBe('2023-11-14T22:13:20Z');
      process.env.TZ = 'America/New_York';
      expect(goTimeString(1_700_000_000)).toBe('2023-11-14 17:13:20 -0500 EST');
      expect(goRfc3339(1_700_000_000)).toBe('2023-11-14T17:13:20-05:00');
      process.env.TZ = 'Asia/Kolkata';
      expect(goRfc3339(1_700_000_000)).toBe('2023-11-15T03:43:20+05:30');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
