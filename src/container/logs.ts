// Reading a container's log as `docker logs` shows it. The shim writes Docker's
// json-file format (native/src/jsonlog.c): one {"log","stream","time"} object
// per line in <logPath>, rotated by renaming to <logPath>.1, .2, … (never
// compressed; with one file only it is truncated in place instead).
//
// Docker's rules (daemon/logs.go, daemon/logger/loggerutils, httputils'
// WriteLogStream): tail counts entries of both streams across the rotated
// files and is applied first; then entries before `since` are skipped
// (since is inclusive) and the first entry after `until` ends the read; each
// message is one stdcopy frame (stream 1 or 2) without a tty, raw bytes with
// one; timestamps prefix each message with its time as
// 2006-01-02T15:04:05.000000000Z07:00 (nanoseconds always nine digits) and a
// space. Following continues from where the history ended, across rotations,
// until `stopped` resolves (then what was written until then is drained), the
// time `until` passes, or the consumer destroys the stream.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, isErrno } from '../errors';
import { frame, STDERR, STDOUT } from './stream';

export interface LogOptions {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  /**
   * Entries from this time on: unix seconds (a number, fractional ok) or
   * exact nanoseconds (a bigint, as parseLogTime gives: a float cannot hold
   * the nanoseconds the docker CLI sends).
   */
  since?: number | bigint;
  /** Entries up to this time, in the same units; 0 means no limit, as Docker's "0". */
  until?: number | bigint;
  timestamps: boolean;
  /** Entries from the end; 'all' or a negative number: everything. */
  tail: number | 'all';
}

const NS = 1_000_000_000n;
const CHUNK = 64 * 1024;
/** Fallback polling while following, for changes the watcher misses. */
const POLL_MS = 250;
/** Scans of the rotated files that may meet a rotation under way before taking what they see. */
const MAX_SCANS = 50;
/** setTimeout's limit: an `until` further away than this needs no timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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

/** The log as the API sends it (see the top of this file). */
export function readLogs(logPath: string, opts: LogOptions, tty: boolean, stopped: Promise<void>): Readable {
  return new LogReader(logPath, opts, tty, stopped);
}

/**
 * Nanoseconds of a LogOptions time. Seconds go through the number's shortest
 * decimal form: a float near 1.7e9 is only good to ~0.2 µs, but
 * 1767323045.105 must compare equal to an entry written at .105000000.
 */
function toNs(seconds: number | bigint): bigint {
  if (typeof seconds === 'bigint') return seconds;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(seconds));
  if (!m) return BigInt(Math.round(seconds * 1e9)); // exponent notation: far from any log time
  const [, sign, whole = '0', frac = ''] = m;
  const ns = BigInt(whole) * NS + BigInt(frac.slice(0, 9).padEnd(9, '0'));
  return sign === '-' ? -ns : ns;
}

interface Entry {
  log: string;
  stream: string;
  time: string;
}

const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** An entry's time: nanoseconds since the epoch and Docker's fixed-width text. */
function parseEntryTime(time: string): { ns: bigint; text: string } | undefined {
  const m = TIME.exec(time);
  if (!m) return undefined;
  const [, base, frac = '', zone] = m;
  const ms = Date.parse(`${base}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const nanos = frac.padEnd(9, '0');
  const goZone = zone === '+00:00' || zone === '-00:00' ? 'Z' : zone;
  return { ns: BigInt(ms / 1000) * NS + BigInt(nanos), text: `${base}.${nanos}${goZone}` };
}

/** A byte range of one log file. */
interface Segment {
  file: FileHandle;
  start: number;
  end: number;
}

interface OpenLog {
  file: FileHandle;
  ino: number;
  size: number;
}

class LogReader extends Readable {
  private readonly sinceNs: bigint | undefined;
  private readonly untilNs: bigint | undefined;
  private readonly opened: FileHandle[] = [];
  private waiter: (() => void) | undefined;
  private stopRequested = false;
  private untilReached = false;
  private watcher: FSWatcher | undefined;
  private timers = new Set<NodeJS.Timeout>();
  /** Bytes of the followed file after the last complete line. */
  private carry: Buffer = Buffer.alloc(0);

  constructor(
    private readonly logPath: string,
    private readonly opts: LogOptions,
    private readonly tty: boolean,
    stopped: Promise<void>,
  ) {
    super({ highWaterMark: CHUNK });
    this.sinceNs = opts.since === undefined ? undefined : toNs(opts.since);
    this.untilNs = opts.until === undefined || toNs(opts.until) === 0n ? undefined : toNs(opts.until);
    // Weakly: a consumer gone long before the container stops must not be kept.
    const self = new WeakRef(this);
    const stop = () => self.deref()?.requestStop();
    stopped.then(stop, stop);
    queueMicrotask(() => {
      this.run().then(
        () => this.destroyed || this.push(null),
        (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  override _read(): void {
    this.wake();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.stopWatching();
    this.wake();
    cb(err);
  }

  private requestStop(): void {
    this.stopRequested = true;
    this.wake();
  }

  private get done(): boolean {
    return this.destroyed || this.untilReached;
  }

  private async run(): Promise<void> {
    try {
      const current = await this.openFile(this.logPath);
      const followFrom = current ? await lastLineEnd(current.file, current.size) : 0;
      if (this.opts.tail !== 0) {
        for (const seg of await this.history(current, followFrom)) {
          await this.readSegment(seg);
          if (this.done) return;
        }
      }
      if (this.opts.follow) await this.follow(current, followFrom);
    } finally {
      this.stopWatching();
      await Promise.all(this.opened.map((f) => f.close().catch(() => undefined)));
    }
  }

  /** The segments to show before following: the last `tail` entries, or all. */
  private async history(current: OpenLog | undefined, followFrom: number): Promise<Segment[]> {
    if (current === undefined) return [];
    const files: Segment[] = [{ file: current.file, start: 0, end: followFrom }];
    for (const rotated of await this.openChain(current.ino, 'older')) files.push({ file: rotated.file, start: 0, end: rotated.size });
    const tail = this.opts.tail;
    if (tail === 'all' || tail < 0) return files.reverse();
    const out: Segment[] = [];
    let want = tail;
    for (const seg of files) {
      if (want <= 0) break;
      const { start, lines } = await tailStart(seg.file, seg.end, want);
      out.push({ ...seg, start });
      want -= lines;
    }
    return out.reverse();
  }

  private async openFile(path: string): Promise<OpenLog | undefined> {
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    this.opened.push(file);
    const st = await file.stat();
    return { file, ino: st.ino, size: st.size };
  }

  private async closeFile(file: FileHandle): Promise<void> {
    const i = this.opened.indexOf(file);
    if (i >= 0) this.opened.splice(i, 1);
    await file.close().catch(() => undefined);
  }

  private async readSegment(seg: Segment): Promise<void> {
    this.carry = Buffer.alloc(0);
    await this.readRange(seg.file, seg.start, seg.end);
    this.carry = Buffer.alloc(0); // a segment ends at a line end; anything else is a torn write
  }

  /** Reads [start, end) (end undefined: to EOF), emitting complete lines; returns where it stopped. */
  private async readRange(file: FileHandle, start: number, end?: number): Promise<number> {
    const buf = Buffer.alloc(CHUNK);
    let pos = start;
    while (!this.done && (end === undefined || pos < end)) {
      const len = end === undefined ? CHUNK : Math.min(CHUNK, end - pos);
      const { bytesRead } = await file.read(buf, 0, len, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      await this.feed(buf.subarray(0, bytesRead));
    }
    return pos;
  }

  private async feed(chunk: Buffer): Promise<void> {
    let data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let nl: number;
    while (!this.done && (nl = data.indexOf(10)) !== -1) {
      await this.entry(data.subarray(0, nl));
      data = data.subarray(nl + 1);
    }
    this.carry = Buffer.from(data);
  }

  private async entry(line: Buffer): Promise<void> {
    let e: Entry;
    try {
      e = JSON.parse(line.toString('utf8')) as Entry;
    } catch {
      return; // a torn or foreign line: not a message
    }
    if (typeof e.log !== 'string' || typeof e.time !== 'string') return;
    const t = parseEntryTime(e.time);
    if (t === undefined) return;
    if (this.sinceNs !== undefined && t.ns < this.sinceNs) return;
    if (this.untilNs !== undefined && t.ns > this.untilNs) {
      this.untilReached = true;
      return;
    }
    const isErr = e.stream === 'stderr';
    if (isErr ? !this.opts.stderr : !this.opts.stdout) return;
    const text = this.opts.timestamps ? `${t.text} ${e.log}` : e.log;
    const payload = Buffer.from(text, 'utf8');
    await this.send(this.tty ? payload : frame(isErr ? STDERR : STDOUT, payload));
  }

  private async send(chunk: Buffer): Promise<void> {
    this.push(chunk);
    while (!this.destroyed && this.readableLength >= this.readableHighWaterMark) await this.sleep();
  }

  /**
   * Follows the current file from `offset`: new lines as they are written,
   * across rotations (the file renamed away and a new one created, or
   * truncated in place), until stopped.
   */
  private async follow(current: OpenLog | undefined, offset: number): Promise<void> {
    this.startWatching();
    let log = current;
    let pos = offset;
    this.carry = Buffer.alloc(0);
    for (;;) {
      const lastPass = this.stopRequested;
      let switched = false;
      if (log === undefined) {
        log = await this.openFile(this.logPath);
        pos = 0;
        switched = log !== undefined;
      } else {
        if (!(await this.stillAt(log.file, pos))) {
          pos = 0; // truncated in place (a single log file), maybe written again since
          this.carry = Buffer.alloc(0);
        }
        pos = await this.readRange(log.file, pos);
        if (this.done) return;
        const now = await statOrUndefined(this.logPath);
        if (now !== undefined && now.ino !== log.ino) {
          // Rotated: finish the old file, then the files rotated since, then follow the newest.
          await this.readRange(log.file, pos);
          log = await this.afterRotation(log);
          pos = 0;
          this.carry = Buffer.alloc(0);
          switched = true;
        }
      }
      if (this.done) return;
      if (switched) continue;
      if (lastPass) return;
      await this.sleep(POLL_MS);
    }
  }

  /**
   * Whether the byte before `pos` is still the last one read (a "\n", or the
   * end of the partial line held back): a truncated file is shorter, or,
   * written again before this look, holds other bytes there.
   */
  private async stillAt(file: FileHandle, pos: number): Promise<boolean> {
    if (pos === 0) return true;
    const expected = this.carry.length > 0 ? this.carry[this.carry.length - 1] : 10;
    const b = Buffer.alloc(1);
    const { bytesRead } = await file.read(b, 0, 1, pos - 1);
    return bytesRead === 1 && b[0] === expected;
  }

  /**
   * The files written after `old` (now rotated away) are the chain down to
   * it: all but the newest are read whole here; the newest is returned, to
   * follow.
   */
  private async afterRotation(old: OpenLog): Promise<OpenLog | undefined> {
    const newer = await this.openChain(old.ino, 'newer');
    await this.closeFile(old.file);
    const [newest, ...between] = newer;
    for (const f of between.reverse()) {
      if (!this.done) await this.readSegment({ file: f.file, start: 0, end: Number.MAX_SAFE_INTEGER });
      await this.closeFile(f.file);
    }
    return newest;
  }

  /**
   * The log files older or newer than the open file `anchor`, newest first:
   * the rotated files below it, or <logPath> and the rotated files above it.
   * A rotation renames .N-1 to .N, …, <logPath> to .1 one at a time, so a
   * scan that runs into one sees a file twice or an index missing with the
   * next one present: it then starts over, to keep the files in age order.
   */
  private async openChain(anchor: number, want: 'older' | 'newer'): Promise<OpenLog[]> {
    for (let attempt = 1; ; attempt++) {
      let found: OpenLog[] = [];
      let torn = false;
      let metAnchor = false;
      for (let i = want === 'newer' ? 0 : 1; ; i++) {
        const f = await this.openFile(i === 0 ? this.logPath : `${this.logPath}.${i}`);
        if (f === undefined) {
          if (i === 0) continue; // between the rename and the new file
          torn = (await statOrUndefined(`${this.logPath}.${i + 1}`)) !== undefined;
          break;
        }
        if (f.ino === anchor) {
          metAnchor = true;
          await this.closeFile(f.file);
          if (want === 'newer') break;
          // The anchor rotated since it was opened: what came before it is newer.
          for (const g of found) await this.closeFile(g.file);
          found = [];
          continue;
        }
        if (found.some((g) => g.ino === f.ino)) {
          await this.closeFile(f.file);
          torn = true;
          break;
        }
        found.push(f);
      }
      if (!torn && want === 'older' && !metAnchor && !(await this.stillCurrent(anchor))) {
        // The anchor rotated away since it was opened and was not met: the
        // files seen are all newer (it was removed), or the scan was torn.
        torn = !(await this.unlinked(anchor));
        if (!torn) {
          for (const g of found) await this.closeFile(g.file);
          found = [];
        }
      }
      if (!torn || attempt === MAX_SCANS) return found;
      for (const f of found) await this.closeFile(f.file);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Whether <logPath> is still the file `ino`. */
  private async stillCurrent(ino: number): Promise<boolean> {
    return (await statOrUndefined(this.logPath))?.ino === ino;
  }

  /** Whether the open file `ino` has no name left (rotated out of the chain). */
  private async unlinked(ino: number): Promise<boolean> {
    for (const f of this.opened) {
      const st = await f.stat();
      if (st.ino === ino) return st.nlink === 0;
    }
    return false;
  }

  private startWatching(): void {
    try {
      this.watcher = watch(dirname(this.logPath), { persistent: false }, () => this.wake());
      this.watcher.on('error', () => this.stopWatching());
    } catch {
      this.watcher = undefined; // no directory yet, or no inotify: polling alone
    }
    if (this.untilNs !== undefined) {
      const ms = Number((this.untilNs - BigInt(Date.now()) * 1_000_000n) / 1_000_000n);
      if (ms <= MAX_TIMER_MS) this.addTimer(Math.max(0, ms), () => this.requestStop());
    }
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private addTimer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Until something may have changed: demand, a file event, stop, destroy or (with ms) a timeout. */
  private sleep(ms?: number): Promise<void> {
    if (this.destroyed || (this.stopRequested && ms !== undefined)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : this.addTimer(ms, () => this.wake());
      this.waiter = () => {
        if (timer !== undefined) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
        resolve();
      };
    });
  }
}

async function statOrUndefined(path: string): Promise<{ ino: number } | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Offset just past the last "\n" before `size`: where complete lines end. */
async function lastLineEnd(file: FileHandle, size: number): Promise<number> {
  const buf = Buffer.alloc(CHUNK);
  let pos = size;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const { bytesRead } = await file.read(buf, 0, len, pos);
    const i = buf.subarray(0, bytesRead).lastIndexOf(10);
    if (i !== -1) return pos + i + 1;
  }
  return 0;
}

/** Where the last `n` lines of [0, end) start, and how many lines that is (fewer when the file has fewer). */
async function tailStart(file: FileHandle, end: number, n: number): Promise<{ start: number; lines: number }> {
  const buf = Buffer.alloc(CHUNK);
  let pos = end;
  let newlines = 0;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const { bytesRead } = await file.read(buf, 0, len, pos);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] !== 10) continue;
      // The newline ending the region ends the last line; the one before line n from the end starts it.
      if (++newlines === n + 1) return { start: pos + i + 1, lines: n };
    }
  }
  return { start: 0, lines: newlines };
}
