// json-file's files (native/src/jsonlog.c): <path>, rotated by renaming to
// <path>.1, .2, … (never compressed; with one file only it is truncated in
// place instead). Files are told apart by inode: a rotation renames each
// one step up, so the reader looks for the file it followed to know which
// ones came after it.
import type { FileHandle } from 'node:fs/promises';
import { LogStream, lastLineEnd, statOrUndefined, tailStart, type OpenLog, type Segment } from './log-stream';

/** Scans of the rotated files that may meet a rotation under way before taking what they see. */
const MAX_SCANS = 50;

export class JsonFileLog extends LogStream {
  protected async produce(): Promise<void> {
    const current = await this.openFile(this.logPath);
    const followFrom = current ? await lastLineEnd(current.file, current.size) : 0;
    if (this.opts.tail !== 0) {
      for (const seg of await this.history(current, followFrom)) {
        await this.readSegment(seg);
        if (this.done) return;
      }
    }
    if (this.opts.follow) await this.follow(current, followFrom);
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

  /**
   * Follows the current file from `offset`: new lines as they are written,
   * across rotations (the file renamed away and a new one created, or
   * truncated in place), until stopped.
   */
  private async follow(current: OpenLog | undefined, offset: number): Promise<void> {
    let log = current;
    let pos = offset;
    await this.followLoop(async () => {
      if (log === undefined) {
        log = await this.openFile(this.logPath);
        pos = 0;
        return log !== undefined;
      }
      if (!(await this.stillAt(log.file, pos))) {
        pos = 0; // truncated in place (a single log file), maybe written again since
        this.carry = Buffer.alloc(0);
      }
      pos = await this.readRange(log.file, pos);
      if (this.done) return false;
      const now = await statOrUndefined(this.logPath);
      if (now === undefined || now.ino === log.ino) return false;
      // Rotated: finish the old file, then the files rotated since, then follow the newest.
      await this.readRange(log.file, pos);
      log = await this.afterRotation(log);
      pos = 0;
      this.carry = Buffer.alloc(0);
      return true;
    });
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

}
