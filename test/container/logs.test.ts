// readLogs over json-file and local logs written here line by line (with rotated files,
// torn lines, truncation), and parseLogTime.
import { appendFileSync, mkdtempSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors';
import { parseLogTime, readLogs, type LogOptions } from '../../src/container/logs';
import { collect, deframe, jsonFile, line, readAll, timeOf, unixOf, waitFor } from './log-helpers';

let dir: string;
let log: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsd-logs-'));
  log = join(dir, 'c-json.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ALL: LogOptions = { follow: false, stdout: true, stderr: true, timestamps: false, tail: 'all' };
const never = new Promise<void>(() => undefined);

function texts(data: Buffer): string[] {
  return deframe(data).map((m) => m.text);
}

/** Entries 1..9: 1-3 in .2, 4-6 in .1, 7-9 in the current file. */
function writeRotated(): void {
  const lines = (from: number) => [from, from + 1, from + 2].map((i) => line(`m${i}\n`, timeOf(i))).join('');
  writeFileSync(`${log}.2`, lines(1));
  writeFileSync(`${log}.1`, lines(4));
  writeFileSync(log, lines(7));
}

async function read(opts: Partial<LogOptions>, tty = false): Promise<Buffer> {
  return readAll(readLogs(jsonFile(log), { ...ALL, ...opts }, tty, Promise.resolve()));
}

describe('readLogs', () => {
  it('frames each message with its stream without a tty, raw bytes with one', async () => {
    writeFileSync(log, line('out 1\n', timeOf(1)) + line('err 1\n', timeOf(2), 'stderr') + line('no newline', timeOf(3)));
    const framed = await read({});
    expect(deframe(framed)).toEqual([
      { stream: 1, text: 'out 1\n' },
      { stream: 2, text: 'err 1\n' },
      { stream: 1, text: 'no newline' },
    ]);
    expect(framed.subarray(0, 8)).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 6]));
    expect((await read({}, true)).toString()).toBe('out 1\nerr 1\nno newline');
    expect(texts(await read({ stderr: false }))).toEqual(['out 1\n', 'no newline']);
    expect(deframe(await read({ stdout: false }))).toEqual([{ stream: 2, text: 'err 1\n' }]);
  });

  it('prefixes RFC 3339 times with nine fraction digits, as dockerd', async () => {
    writeFileSync(log, line('a\n', '2026-01-02T03:04:05.5Z') + line('b\n', '2026-01-02T03:04:06Z') + line('c\n', '2026-01-02T03:04:07.123456789Z'));
    expect(texts(await read({ timestamps: true }))).toEqual([
      '2026-01-02T03:04:05.500000000Z a\n',
      '2026-01-02T03:04:06.000000000Z b\n',
      '2026-01-02T03:04:07.123456789Z c\n',
    ]);
  });

  it('reads rotated files oldest first and tails across them', async () => {
    writeRotated();
    const all = ['m1\n', 'm2\n', 'm3\n', 'm4\n', 'm5\n', 'm6\n', 'm7\n', 'm8\n', 'm9\n'];
    expect(texts(await read({}))).toEqual(all);
    expect(texts(await read({ tail: -1 }))).toEqual(all);
    expect(texts(await read({ tail: 100 }))).toEqual(all);
    expect(texts(await read({ tail: 2 }))).toEqual(['m8\n', 'm9\n']);
    expect(texts(await read({ tail: 3 }))).toEqual(['m7\n', 'm8\n', 'm9\n']);
    expect(texts(await read({ tail: 4 }))).toEqual(['m6\n', 'm7\n', 'm8\n', 'm9\n']);
    expect(texts(await read({ tail: 7 }))).toEqual(all.slice(2));
    expect(await read({ tail: 0 })).toEqual(Buffer.alloc(0));
  });

  it('tails long files by reading from the end', async () => {
    const n = 5000;
    writeFileSync(log, Array.from({ length: n }, (_, i) => line(`${'x'.repeat(40)} ${i}\n`, timeOf(i % 60))).join(''));
    const got = texts(await read({ tail: 1500 }));
    expect(got).toHaveLength(1500);
    expect(got[0]).toBe(`${'x'.repeat(40)} ${n - 1500}\n`);
    expect(got.at(-1)).toBe(`${'x'.repeat(40)} ${n - 1}\n`);
  });

  it('keeps since inclusive and stops after until, tail first', async () => {
    writeRotated();
    expect(texts(await read({ since: unixOf(5) }))).toEqual(['m5\n', 'm6\n', 'm7\n', 'm8\n', 'm9\n']);
    expect(texts(await read({ since: unixOf(5) + 0.000001 }))).toEqual(['m6\n', 'm7\n', 'm8\n', 'm9\n']);
    expect(texts(await read({ until: unixOf(3) }))).toEqual(['m1\n', 'm2\n', 'm3\n']);
    expect(texts(await read({ since: unixOf(2), until: unixOf(4) }))).toEqual(['m2\n', 'm3\n', 'm4\n']);
    expect(texts(await read({ until: 0 }))).toHaveLength(9); // "0": no limit
    // Tail picks the last entries, since filters those.
    expect(texts(await read({ tail: 3, since: unixOf(8) }))).toEqual(['m8\n', 'm9\n']);
    expect(texts(await read({ tail: 3, since: unixOf(1) }))).toEqual(['m7\n', 'm8\n', 'm9\n']);
  });

  it('skips a torn last line and lines that are not entries', async () => {
    writeFileSync(log, `${line('ok\n', timeOf(1))}not json\n{"log":1}\n${line('ok2\n', timeOf(2))}{"log":"half`);
    expect(texts(await read({}))).toEqual(['ok\n', 'ok2\n']);
    expect(texts(await read({ tail: 1 }))).toEqual(['ok2\n']);
  });

  it('is empty for a container that never ran', async () => {
    expect(await read({})).toEqual(Buffer.alloc(0));
    expect(await read({ tail: 3 })).toEqual(Buffer.alloc(0));
  });
});

describe('readLogs following', () => {
  it('goes on with new lines, across a rotation, until stopped, then drains', async () => {
    writeFileSync(log, line('old1\n', timeOf(1)) + line('old2\n', timeOf(2)));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const c = collect(readLogs(jsonFile(log), { ...ALL, follow: true, tail: 1 }, false, stopped));
    await waitFor(() => texts(c.data()).length === 1);
    appendFileSync(log, line('new1\n', timeOf(3)));
    await waitFor(() => texts(c.data()).length === 2);
    // A line written in two pieces shows once it is complete.
    const torn = line('torn\n', timeOf(4));
    appendFileSync(log, torn.slice(0, 10));
    await new Promise((r) => setTimeout(r, 300));
    expect(texts(c.data())).toEqual(['old2\n', 'new1\n']);
    appendFileSync(log, torn.slice(10));
    await waitFor(() => texts(c.data()).length === 3);
    // Rotation as the shim does it: rename away, new file.
    appendFileSync(log, line('before-rotate\n', timeOf(5)));
    renameSync(log, `${log}.1`);
    writeFileSync(log, line('after-rotate\n', timeOf(6)));
    await waitFor(() => texts(c.data()).length === 5);
    // Written just before the stop: still sent.
    appendFileSync(log, line('last\n', timeOf(7)));
    stop();
    await c.ended;
    expect(texts(c.data())).toEqual(['old2\n', 'new1\n', 'torn\n', 'before-rotate\n', 'after-rotate\n', 'last\n']);
  });

  it('reads files rotated twice between two looks', async () => {
    writeFileSync(log, line('a\n', timeOf(1)));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const c = collect(readLogs(jsonFile(log), { ...ALL, follow: true }, false, stopped));
    await waitFor(() => texts(c.data()).length === 1);
    // Synchronously (no look in between): a → .2, b → .1, c current.
    appendFileSync(log, line('a2\n', timeOf(2)));
    renameSync(log, `${log}.1`);
    writeFileSync(log, line('b\n', timeOf(3)));
    renameSync(`${log}.1`, `${log}.2`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, line('c\n', timeOf(4)));
    await waitFor(() => texts(c.data()).length === 4);
    stop();
    await c.ended;
    expect(texts(c.data())).toEqual(['a\n', 'a2\n', 'b\n', 'c\n']);
  });

  it('starts over when the only file is truncated, and waits for a missing file', async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const c = collect(readLogs(jsonFile(log), { ...ALL, follow: true }, true, stopped));
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(log, line('first\n', timeOf(1)));
    await waitFor(() => c.data().toString() === 'first\n');
    truncateSync(log, 0);
    appendFileSync(log, line('second\n', timeOf(2)));
    await waitFor(() => c.data().toString() === 'first\nsecond\n');
    stop();
    await c.ended;
  });

  it('with tail 0 shows only what comes next, and ends at once when already stopped', async () => {
    writeRotated();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const c = collect(readLogs(jsonFile(log), { ...ALL, follow: true, tail: 0 }, false, stopped));
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(log, line('next\n', timeOf(10)));
    await waitFor(() => texts(c.data()).length === 1);
    stop();
    await c.ended;
    expect(texts(c.data())).toEqual(['next\n']);
    const done = await readAll(readLogs(jsonFile(log), { ...ALL, follow: true, tail: 2 }, false, Promise.resolve()));
    expect(texts(done)).toEqual(['m9\n', 'next\n']);
  });

  it('ends when until passes, or at the first entry after it', async () => {
    writeFileSync(log, line('a\n', new Date().toISOString()));
    const started = Date.now();
    const c = collect(readLogs(jsonFile(log), { ...ALL, follow: true, until: Date.now() / 1000 + 0.3 }, false, never));
    await c.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(texts(c.data())).toEqual(['a\n']);
    writeFileSync(log, line('b\n', timeOf(1)) + line('c\n', timeOf(9)));
    const d = collect(readLogs(jsonFile(log), { ...ALL, follow: true, until: unixOf(5) }, false, never));
    await d.ended;
    expect(texts(d.data())).toEqual(['b\n']);
  });

  it('leaves no file, watcher or timer behind when the consumer goes away', async () => {
    writeFileSync(log, line('x\n', timeOf(1)));
    const fds = () => readdirSync('/proc/self/fd').length;
    const resources = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const fdsBefore = fds();
    const resBefore = resources();
    for (let i = 0; i < 5; i++) {
      const s = readLogs(jsonFile(log), { ...ALL, follow: true }, false, never);
      const c = collect(s);
      await waitFor(() => texts(c.data()).length === 1);
      const closed = new Promise((r) => s.on('close', r));
      s.destroy();
      await closed;
    }
    await waitFor(() => fds() === fdsBefore && resources() <= resBefore);
  });

  it('holds back while the consumer does not read', async () => {
    writeFileSync(log, Array.from({ length: 20000 }, (_, i) => line(`line ${i} ${'y'.repeat(50)}\n`, timeOf(i % 60))).join(''));
    const s = readLogs(jsonFile(log), { ...ALL, follow: true }, false, never);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.readableLength).toBeLessThan(256 * 1024);
    const c = collect(s);
    await waitFor(() => texts(c.data()).length === 20000);
    s.destroy();
  });
});

describe('parseLogTime', () => {
  it('takes what the docker CLI sends: unix seconds and a fraction, exactly', () => {
    expect(parseLogTime('')).toBeUndefined();
    expect(parseLogTime('0')).toBe(0n);
    expect(parseLogTime('1700000000')).toBe(1_700_000_000_000_000_000n);
    expect(parseLogTime('1700000000.5')).toBe(1_700_000_000_500_000_000n);
    expect(parseLogTime('1700000000.000000001')).toBe(1_700_000_000_000_000_001n);
    expect(parseLogTime('1700000000.123456789')).toBe(1_700_000_000_123_456_789n);
    expect(parseLogTime('1700000000.1234567891')).toBe(1_700_000_000_123_456_789n);
  });

  it('compares to the nanosecond', async () => {
    writeFileSync(log, line('a\n', '2026-01-02T03:04:05.123456788Z') + line('b\n', '2026-01-02T03:04:05.123456789Z') + line('c\n', '2026-01-02T03:04:05.12345679Z'));
    const at = parseLogTime(`${Date.parse('2026-01-02T03:04:05Z') / 1000}.123456789`);
    expect(texts(await read({ since: at }))).toEqual(['b\n', 'c\n']);
    expect(texts(await read({ until: at }))).toEqual(['a\n', 'b\n']);
    expect(texts(await read({ until: 0n }))).toEqual(['a\n', 'b\n', 'c\n']);
  });

  it("refuses what it does not send, with Go's error", () => {
    expect(() => parseLogTime('10m')).toThrow(InvalidArgumentError);
    expect(() => parseLogTime('10m')).toThrow('strconv.ParseInt: parsing "10m": invalid syntax');
    expect(() => parseLogTime('2026-01-02T03:04:05Z')).toThrow('strconv.ParseInt: parsing "2026-01-02T03:04:05Z": invalid syntax');
    expect(() => parseLogTime('1.x')).toThrow('strconv.ParseInt: parsing "x": invalid syntax');
  });
});

describe('readLogs of the local driver', () => {
  let local: string;
  const source = () => ({ driver: 'local', path: local }) as const;
  const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => line(`m${from + k}\n`, timeOf(from + k))).join('');
  beforeEach(() => {
    local = join(dir, 'container.log');
  });

  it('reads the rotated files by gen, gzipped or not, then the current one; tails, since and until across them', async () => {
    // Gen 3 is being gzipped: both forms exist; gen 1 is gone (too old), gen 10 sorts after 9.
    writeFileSync(`${local}.3.gz`, gzipSync(lines(1, 3)));
    writeFileSync(`${local}.3`, lines(1, 3));
    writeFileSync(`${local}.9.gz`, gzipSync(lines(4, 6)));
    writeFileSync(`${local}.10`, lines(7, 8));
    writeFileSync(`${local}.10.gz.tmp`, 'half-written');
    writeFileSync(local, lines(9, 10));
    const read = async (opts: Partial<LogOptions>) => texts(await readAll(readLogs(source(), { ...ALL, ...opts }, false, Promise.resolve())));
    const m = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `m${from + k}\n`);
    expect(await read({})).toEqual(m(1, 10));
    expect(await read({ tail: 5 })).toEqual(m(6, 10));
    expect(await read({ tail: 9 })).toEqual(m(2, 10));
    expect(await read({ since: unixOf(5), until: unixOf(8) })).toEqual(m(5, 8));
    expect(await read({ tail: 3, since: unixOf(9) })).toEqual(m(9, 10));
    rmSync(`${local}.3`);
    expect(await read({ tail: 100 })).toEqual(m(1, 10));
  });

  it('follows across rotations made between two looks, gzipped or removed meanwhile', async () => {
    writeFileSync(`${local}.1.gz`, gzipSync(lines(1, 1)));
    writeFileSync(local, lines(2, 2));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const c = collect(readLogs(source(), { ...ALL, follow: true, tail: 1 }, false, stopped));
    await waitFor(() => texts(c.data()).length === 1);
    // As the shim does it, synchronously: current → .2 (then gzipped), new current, → .3, new current.
    appendFileSync(local, lines(3, 3));
    renameSync(local, `${local}.2`);
    writeFileSync(local, lines(4, 4));
    writeFileSync(`${local}.2.gz`, gzipSync(lines(2, 3)));
    rmSync(`${local}.2`);
    renameSync(local, `${local}.3`);
    writeFileSync(local, lines(5, 5));
    await waitFor(() => texts(c.data()).length === 4);
    // A rotation with max-file 1: the rotated file is removed at once.
    appendFileSync(local, lines(6, 6));
    renameSync(local, `${local}.4`);
    writeFileSync(local, lines(7, 7));
    rmSync(`${local}.4`);
    appendFileSync(local, lines(8, 8));
    await waitFor(() => texts(c.data()).length === 7);
    stop();
    await c.ended;
    expect(texts(c.data())).toEqual(['m2\n', 'm3\n', 'm4\n', 'm5\n', 'm6\n', 'm7\n', 'm8\n']);
  });

  it('waits for the first file, and ends at once for a log never written', async () => {
    expect(await readAll(readLogs(source(), ALL, false, Promise.resolve()))).toEqual(Buffer.alloc(0));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const c = collect(readLogs(source(), { ...ALL, follow: true }, false, stopped));
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(local, lines(1, 1));
    await waitFor(() => texts(c.data()).length === 1);
    stop();
    await c.ended;
    expect(texts(c.data())).toEqual(['m1\n']);
  });
});
