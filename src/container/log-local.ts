// local's files (native/src/locallog.h): <path> (local-logs/container.log)
// and the rotated <path>.<gen>, gzipped to <path>.<gen>.gz, whose names
// never change. Gens count rotations, one by one: the file followed becomes
// the gen after the last one seen, and any higher gen came after it.
import { readdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isErrno } from '../errors';
import { CHUNK, LogStream, lastLineEnd, statOrUndefined, tailStart, type OpenLog } from './log-stream';

/** Looks at the files that meet a rotation under way before taking what they see. */
const MAX_SCANS = 50;

interface Rotated {
  gen: number;
  file: FileHandle;
  size: number;
  gzip: boolean;
}

/** A part of a file to show: from byte `start` of a plain file, or after `skipLines` lines of a gzipped one. */
interface Part {
  rotated: Rotated;
  start: number;
  skipLines: number;
}

export class LocalLog extends LogStream {
  protected async produce(): Promise<void> {
    const { current, gens } = await this.snapshot();
    const seen = Math.max(0, ...gens);
    const followFrom = current ? await lastLineEnd(current.file, current.size) : 0;
    if (this.opts.tail !== 0) {
      const rotated: Rotated[] = [];
      for (const gen of gens) {
        const r = await this.openRotated(gen);
        if (r) rotated.push(r);
      }
      await this.history(current, followFrom, rotated);
      if (this.done) return;
    }
    if (this.opts.follow) await this.follow(current, followFrom, seen);
  }

  /** The current file (if any) and the rotated gens, ascending, as they were at one moment. */
  private async snapshot(): Promise<{ current: OpenLog | undefined; gens: number[] }> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.openFile(this.logPath);
      const gens = await this.rotatedGens();
      if (current === undefined || (await statOrUndefined(this.logPath))?.ino === current.ino || attempt === MAX_SCANS) {
        return { current, gens };
      }
      await this.closeFile(current.file); // rotated while listing: look again
    }
  }

  private async rotatedGens(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(dirname(this.logPath));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const prefix = `${basename(this.logPath)}.`;
    const gens = new Set<number>();
    for (const name of names) {
      const m = /^(\d+)(?:\.gz)?$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '');
      if (m) gens.add(Number(m[1]));
    }
    return [...gens].sort((a, b) => a - b);
  }

  /** The rotated file of gen: plain until its gzipped copy is complete; undefined once removed. */
  private async openRotated(gen: number): Promise<Rotated | undefined> {
    const plain = await this.openFile(`${this.logPath}.${gen}`);
    if (plain) return { gen, file: plain.file, size: plain.size, gzip: false };
    const gz = await this.openFile(`${this.logPath}.${gen}.gz`);
    return gz ? { gen, file: gz.file, size: gz.size, gzip: true } : undefined;
  }

  /** The last `tail` entries (or all) of the rotated files, oldest first, then of the current one. */
  private async history(current: OpenLog | undefined, followFrom: number, rotated: Rotated[]): Promise<void> {
    const newestFirst: Rotated[] = [...rotated].reverse();
    if (current) newestFirst.unshift({ gen: Infinity, file: current.file, size: followFrom, gzip: false });
    const tail = this.opts.tail;
    const parts: Part[] = [];
    let want = tail === 'all' || tail < 0 ? Infinity : tail;
    for (const r of newestFirst) {
      if (want <= 0) break;
      if (want === Infinity) {
        parts.push({ rotated: r, start: 0, skipLines: 0 });
      } else if (r.gzip) {
        const lines = await this.countLines(r);
        parts.push({ rotated: r, start: 0, skipLines: Math.max(0, lines - want) });
        want -= lines;
      } else {
        const { start, lines } = await tailStart(r.file, r.size, want);
        parts.push({ rotated: r, start, skipLines: 0 });
        want -= lines;
      }
    }
    for (const part of parts.reverse()) {
      await this.readPart(part);
      if (this.done) return;
    }
  }

  private async readPart({ rotated, start, skipLines }: Part): Promise<void> {
    if (!rotated.gzip) return this.readSegment({ file: rotated.file, start, end: rotated.size });
    this.carry = Buffer.alloc(0);
    let skip = skipLines;
    await this.gunzip(rotated.file, async (chunk) => {
      let data = chunk;
      while (skip > 0 && data.length > 0) {
        const nl = data.indexOf(10);
        if (nl === -1) return;
        data = data.subarray(nl + 1);
        skip--;
      }
      if (data.length > 0) await this.feed(data);
    });
    this.carry = Buffer.alloc(0);
  }

  private async countLines(r: Rotated): Promise<number> {
    let lines = 0;
    await this.gunzip(r.file, async (chunk) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    return lines;
  }

  /**
   * Streams a gzipped file's bytes to `each` until it ends or the reader is
   * done; a corrupt file ends where it breaks. The file is read through its
   * handle, and the pipeline settles only once nothing reads it any more.
   */
  private async gunzip(file: FileHandle, each: (chunk: Buffer) => Promise<void>): Promise<void> {
    async function* compressed(): AsyncGenerator<Buffer> {
      const buf = Buffer.alloc(CHUNK);
      for (let pos = 0; ; ) {
        const { bytesRead } = await file.read(buf, 0, CHUNK, pos);
        if (bytesRead === 0) return;
        pos += bytesRead;
        yield Buffer.from(buf.subarray(0, bytesRead));
      }
    }
    try {
      await pipeline(compressed, createGunzip(), async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          await each(chunk);
          if (this.done) return;
        }
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const stoppedEarly = this.done && (code === 'ABORT_ERR' || code === 'ERR_STREAM_PREMATURE_CLOSE');
      if (!code.startsWith('Z_') && !stoppedEarly) throw err;
    }
  }

  /** Reads the rotated files of `gens` above gen `after` whole, in order; returns the highest gen seen. */
  private async catchUp(after: number, gens: number[]): Promise<number> {
    let seen = after;
    for (const gen of gens) {
      if (gen <= after) continue;
      seen = gen;
      const r = await this.openRotated(gen);
      if (r === undefined) continue; // removed meanwhile: too old to keep
      if (!this.done) await this.readPart({ rotated: r, start: 0, skipLines: 0 });
      await this.closeFile(r.file);
    }
    return seen;
  }

  /**
   * Follows the current file from `offset`: new lines as they are written,
   * and after each rotation the files rotated since, then the new current
   * one; until stopped. `seen` is the highest gen already shown.
   */
  private async follow(current: OpenLog | undefined, offset: number, seenGen: number): Promise<void> {
    let log = current;
    let pos = offset;
    let seen = seenGen;
    await this.followLoop(async () => {
      if (log === undefined) {
        // None yet, or after a rotation: the files rotated since, then the new current one.
        const snap = await this.snapshot();
        seen = await this.catchUp(seen, snap.gens);
        log = snap.current;
        pos = 0;
        return log !== undefined;
      }
      pos = await this.readRange(log.file, pos);
      if (this.done || (await statOrUndefined(this.logPath))?.ino === log.ino) return false;
      // Rotated: it became gen seen + 1; finish it, then what came after it.
      await this.readRange(log.file, pos);
      await this.closeFile(log.file);
      this.carry = Buffer.alloc(0);
      seen++;
      log = undefined;
      return true;
    });
  }
}
