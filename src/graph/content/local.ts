// The content store on disk:
//   <root>/blobs/sha256/<hex>       committed blobs (read-only files)
//   <root>/ingest/<sha256(ref)>/    one dir per ingest: `data` and `ref`; kept
//                                   across restarts until committed, aborted
//                                   or older than the age limit
// See ./types.ts for the lifecycle.
import { createReadStream, promises as fsp, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { NotFoundError, ConflictError, InvalidArgumentError, isErrno } from '../../errors';
import { Digester, hexOf, isDigest, sha256, type Digest } from '../../api/digest';
import { AlreadyExistsError } from '../errors';
import { fsyncDir } from '../fsutil';
import { mkdirPrivateAsync, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../state/dirs';
import { ONE_SHOT_REF_PREFIX, oneShotRef } from './helpers';
import type { BlobInfo, Store, Writer, WriterOptions } from './types';

/** Read size of blob streams: layer tars are large, and 64 KiB reads cost a syscall each. */
const READ_CHUNK = 1024 * 1024;

/** An ingest nobody wrote to for this long is garbage (a pull given up on): removed at open. */
export const INGEST_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export class LocalContentStore implements Store {
  private readonly blobDir: string;
  private readonly ingestDir: string;
  private readonly activeRefs = new Set<string>();

  private constructor(readonly root: string) {
    this.blobDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  /** Opens (creating) the store at `root`; resumable ingests left by an earlier process are kept unless older than `ingestMaxAgeMs`. */
  static async open(root: string, opts: { ingestMaxAgeMs?: number } = {}): Promise<LocalContentStore> {
    const store = new LocalContentStore(root);
    await mkdirPrivateAsync(store.blobDir);
    await mkdirPrivateAsync(store.ingestDir);
    await store.removeStaleIngests(opts.ingestMaxAgeMs ?? INGEST_MAX_AGE_MS);
    return store;
  }

  /** Removes every one-shot ingest, every one last written before `maxAgeMs` ago, and any dir that is not a whole ingest. */
  private async removeStaleIngests(maxAgeMs: number): Promise<void> {
    const oldest = Date.now() - maxAgeMs;
    for (const name of await fsp.readdir(this.ingestDir)) {
      const dir = join(this.ingestDir, name);
      const st = await fsp.stat(join(dir, 'data')).catch(() => undefined);
      const ref = await fsp.readFile(join(dir, 'ref'), 'utf8').catch(() => undefined);
      const resumable = ref !== undefined && hexOf(sha256(ref)) === name && !ref.startsWith(ONE_SHOT_REF_PREFIX);
      if (st?.isFile() && resumable && st.mtimeMs >= oldest) continue;
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  blobPath(digest: Digest): string {
    if (!isDigest(digest)) throw new InvalidArgumentError(`invalid digest ${digest}`);
    return join(this.blobDir, hexOf(digest));
  }

  async writer(ref: string, opts: WriterOptions = {}): Promise<Writer> {
    if (ref === '') throw new InvalidArgumentError('ingest ref must not be empty');
    if (this.activeRefs.has(ref)) throw new ConflictError(`ref ${ref} locked: unavailable`);
    this.activeRefs.add(ref);
    try {
      const dir = join(this.ingestDir, hexOf(sha256(ref)));
      const resumed = await resumeIngest(dir, ref, opts);
      if (resumed) return new LocalWriter(ref, dir, resumed.fh, resumed.digester, this, () => this.activeRefs.delete(ref));
      await fsp.rm(dir, { recursive: true, force: true });
      await fsp.mkdir(dir, { mode: PRIVATE_DIR_MODE });
      await fsp.writeFile(join(dir, 'ref'), ref, { mode: PRIVATE_FILE_MODE });
      const fh = await fsp.open(join(dir, 'data'), 'wx', 0o644);
      return new LocalWriter(ref, dir, fh, new Digester(), this, () => this.activeRefs.delete(ref));
    } catch (err) {
      this.activeRefs.delete(ref);
      throw err;
    }
  }

  async adopt(path: string, digest: Digest): Promise<BlobInfo> {
    const target = this.blobPath(digest);
    const fh = await fsp.open(path, 'r');
    try {
      await fh.sync();
      await fh.chmod(0o444);
    } finally {
      await fh.close();
    }
    try {
      await fsp.link(path, target);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw new AlreadyExistsError(`content ${digest}: already exists`);
      if (!isErrno(err, 'EXDEV')) throw err;
      return copyIn(this, path, digest); // another filesystem: a plain ingest
    }
    await fsyncDir(this.blobDir).catch(() => {});
    const st = await fsp.stat(target);
    return { digest, size: st.size, createdAt: st.mtime };
  }

  async info(digest: Digest): Promise<BlobInfo> {
    try {
      const st = await fsp.stat(this.blobPath(digest));
      return { digest, size: st.size, createdAt: st.mtime };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`content digest ${digest}: not found`);
      throw err;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await fsp.access(this.blobPath(digest));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async reader(digest: Digest): Promise<Readable> {
    const path = this.blobPath(digest);
    const fh = await fsp.open(path, 'r').catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`content digest ${digest}: not found`);
      throw err;
    });
    // The handle's own stream closes it once: closing the fd behind the handle's back
    // lets a later fh.close() hit whatever file reused that fd number.
    return fh.createReadStream({ highWaterMark: READ_CHUNK });
  }

  async readAll(digest: Digest): Promise<Buffer> {
    try {
      return await fsp.readFile(this.blobPath(digest));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`content digest ${digest}: not found`);
      throw err;
    }
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await fsp.unlink(this.blobPath(digest));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`content digest ${digest}: not found`);
      throw err;
    }
  }

  async walk(fn: (info: BlobInfo) => void | Promise<void>): Promise<void> {
    for (const name of (await fsp.readdir(this.blobDir)).sort()) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      const info = await this.info(digest).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined; // deleted meanwhile
        throw err;
      });
      if (info) await fn(info);
    }
  }
}

async function copyIn(store: LocalContentStore, path: string, digest: Digest): Promise<BlobInfo> {
  const w = await store.writer(oneShotRef('adopt'));
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) await w.write(chunk);
  } catch (err) {
    await w.abort();
    throw err;
  }
  return w.commit(0, digest);
}

/**
 * The ingest `ref` left in `dir`, opened to append, with the digest of the
 * bytes already there (read again: what a crash left is what counts); none
 * when there is no such ingest, or when its bytes cannot be the blob `opts`
 * describes (then it starts over).
 */
async function resumeIngest(dir: string, ref: string, opts: WriterOptions): Promise<{ fh: fsp.FileHandle; digester: Digester } | undefined> {
  const stored = await fsp.readFile(join(dir, 'ref'), 'utf8').catch(() => undefined);
  if (stored !== ref) return undefined;
  const fh = await fsp.open(join(dir, 'data'), 'a').catch(() => undefined);
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    if (!st.isFile() || (opts.size !== undefined && opts.size > 0 && st.size > opts.size)) throw new Error('not this blob');
    const digester = new Digester();
    for await (const chunk of createReadStream(join(dir, 'data'), { highWaterMark: READ_CHUNK, end: Math.max(st.size - 1, 0) }) as AsyncIterable<Buffer>) {
      if (digester.size < st.size) digester.update(chunk.subarray(0, st.size - digester.size));
    }
    if (digester.size !== st.size) throw new Error('ingest shrank');
    if (opts.expected !== undefined && st.size === opts.size && digester.digest() !== opts.expected) throw new Error('not this blob');
    return { fh, digester };
  } catch {
    await fh.close();
    return undefined;
  }
}

class LocalWriter implements Writer {
  private closed = false;

  constructor(
    readonly ref: string,
    private readonly dir: string,
    private readonly fh: fsp.FileHandle,
    private readonly digester: Digester,
    private readonly store: LocalContentStore,
    private readonly release: () => void,
  ) {}

  get offset(): number {
    return this.digester.size;
  }

  digest(): Digest {
    return this.digester.digest();
  }

  written(): Readable {
    if (this.offset === 0) return Readable.from([]);
    return createReadStream(join(this.dir, 'data'), { highWaterMark: READ_CHUNK, start: 0, end: this.offset - 1 });
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new InvalidArgumentError(`writer ${this.ref} is closed`);
    // A synchronous write: copying a stream chunk into the page cache takes less
    // than the thread-pool round trip of an async one (20 % of a layer import).
    for (let done = 0; done < chunk.length; ) done += writeSync(this.fh.fd, chunk, done);
    this.digester.update(chunk);
  }

  async commit(size: number, expected?: Digest): Promise<BlobInfo> {
    if (this.closed) throw new InvalidArgumentError(`writer ${this.ref} is closed`);
    try {
      if (size > 0 && size !== this.offset) {
        throw new InvalidArgumentError(`unexpected commit size ${this.offset}, expected ${size}`);
      }
      const actual = this.digest();
      if (expected !== undefined && expected !== actual) {
        throw new InvalidArgumentError(`unexpected commit digest ${actual}, expected ${expected}`);
      }
      await this.fh.sync();
      await this.fh.chmod(0o444);
      await this.fh.close();
      const target = this.store.blobPath(actual);
      // link() fails on an existing target where rename() would replace it silently.
      try {
        await fsp.link(join(this.dir, 'data'), target);
      } catch (err) {
        if (isErrno(err, 'EEXIST')) throw new AlreadyExistsError(`content ${actual}: already exists`);
        throw err;
      }
      // Visible now; nothing below can undo the commit.
      await fsyncDir(join(target, '..')).catch(() => {});
      const st = await fsp.stat(target);
      return { digest: actual, size: st.size, createdAt: st.mtime };
    } finally {
      await this.finish();
    }
  }

  async abort(): Promise<void> {
    if (!this.closed) await this.finish();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => {});
    this.release();
  }

  /** Ends the writer and removes its ingest. */
  private async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => {});
    await fsp.rm(this.dir, { recursive: true, force: true }).catch(() => {});
    this.release();
  }
}
