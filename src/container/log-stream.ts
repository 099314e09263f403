// What every log reader shares (see logs.ts for Docker's rules): the options,
// entries parsed, filtered and sent as the API sends them, back-pressure, the
// files opened (all closed at the end), and waiting for changes while
// following: a directory watcher, a poll, `until`'s timer, the stop promise.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { isErrno } from '../errors';
import { parseEntryTime, toNs } from './log-time';
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

export const CHUNK = 64 * 1024;
/** Fallback polling while following, for changes the watcher misses. */
const POLL_MS = 250;
/** setTimeout's limit: an `until` further away than this needs no timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry {
  log: string;
  stream: string;
  time: string;
}

/** A byte range of one log file. */
export interface Segment {
  file: FileHandle;
  start: number;
  end: number;
}

export interface OpenLog {
  file: FileHandle;
  ino: number;
  size: number;
}

export abstract class LogStream extends Readable {
  private readonly sinceNs: bigint | undefined;
  private readonly untilNs: bigint | undefined;
  protected readonly opened: FileHandle[] = [];
  private waiter: (() => void) | undefined;
  protected stopRequested = false;
  private untilReached = false;
  private watcher: FSWatcher | undefined;
  private timers = new Set<NodeJS.Timeout>();
  /** Bytes after the last complete line of what is being read. */
  protected carry: Buffer = Buffer.alloc(0);

  constructor(
    protected readonly logPath: string,
    protected readonly opts: LogOptions,
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

  /** The history (`tail` applied), then, with `follow`, what comes until stopped. */
  protected abstract produce(): Promise<void>;

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

  protected get done(): boolean {
    return this.destroyed || this.untilReached;
  }

  private async run(): Promise<void> {
    try {
      await this.produce();
    } finally {
      this.stopWatching();
      await Promise.all(this.opened.map((f) => f.close().catch(() => undefined)));
    }
  }

  protected async openFile(path: string): Promise<OpenLog | undefined> {
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

  protected async closeFile(file: FileHandle): Promise<void> {
    const i = this.opened.indexOf(file);
    if (i >= 0) this.opened.splice(i, 1);
    await file.close().catch(() => undefined);
  }

  protected async readSegment(seg: Segment): Promise<void> {
    this.carry = Buffer.alloc(0);
    await this.readRange(seg.file, seg.start, seg.end);
    this.carry = Buffer.alloc(0); // a segment ends at a line end; anything else is a torn write
  }

  /** Reads [start, end) (end undefined: to EOF), emitting complete lines; returns where it stopped. */
  protected async readRange(file: FileHandle, start: number, end?: number): Promise<number> {
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

  /** Sends the complete lines of carry + chunk as entries; keeps the rest in carry. */
  protected async feed(chunk: Buffer): Promise<void> {
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
   * Runs `look` (which reads what is new and says whether it switched to
   * another file) until stopped: at once again after a switch, else after a
   * change or POLL_MS; one last look after the stop drains what was written.
   */
  protected async followLoop(look: () => Promise<boolean>): Promise<void> {
    this.startWatching();
    this.carry = Buffer.alloc(0);
    for (;;) {
      const lastPass = this.stopRequested;
      const switched = await look();
      if (this.done) return;
      if (switched) continue;
      if (lastPass) return;
      await this.sleep(POLL_MS);
    }
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
  protected sleep(ms?: number): Promise<void> {
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

export async function statOrUndefined(path: string): Promise<{ ino: number } | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Offset just past the last "\n" before `size`: where complete lines end. */
export async function lastLineEnd(file: FileHandle, size: number): Promise<number> {
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
export async function tailStart(file: FileHandle, end: number, n: number): Promise<{ start: number; lines: number }> {
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
