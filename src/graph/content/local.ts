// The content store on disk:
//   <root>/blobs/sha256/<hex>       committed blobs (read-only files)
//   <root>/ingest/<sha256(ref)>/    one dir per open ingest: `data` and `ref`
// See ./types.ts for the lifecycle.
import { createReadStream, promises as fsp, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError, ConflictError, InvalidArgumentError, isErrno } from '../../errors';
import { Digester, hexOf, isDigest, sha256, type Digest } from '../digest';
import { AlreadyExistsError } from '../errors';
import { fsyncDir, randomName } from '../fsutil';
import { mkdirPrivateAsync } from '../../state/dirs';
import type { BlobInfo, Store, Writer } from './types';

/** Read size of blob streams: layer tars are large, and 64 KiB reads cost a syscall each. */
const READ_CHUNK = 1024 * 1024;

export class LocalContentStore implements Store {
  private readonly blobDir: string;
  private readonly ingestDir: string;
  private readonly activeRefs = new Set<string>();

  private constructor(readonly root: string) {
    this.blobDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  /** Opens (creating) the store at `root`, removing every ingest left by an earlier process. */
  static async open(root: string): Promise<LocalContentStore> {
    const store = new LocalContentStore(root);
    await mkdirPrivateAsync(store.blobDir);
    await fsp.rm(store.ingestDir, { recursive: true, force: true });
    await mkdirPrivateAsync(store.ingestDir);
    return store;
  }

  blobPath(digest: Digest): string {
    if (!isDigest(digest)) throw new InvalidArgumentError(`invalid digest ${digest}`);
    return join(this.blobDir, hexOf(digest));
  }

  async writer(ref: string): Promise<Writer> {
    if (ref === '') throw new InvalidArgumentError('ingest ref must not be empty');
    if (this.activeRefs.has(ref)) throw new ConflictError(`ref ${ref} locked: unavailable`);
    this.activeRefs.add(ref);
    try {
      const dir = join(this.ingestDir, hexOf(sha256(ref)));
      await fsp.rm(dir, { recursive: true, force: true });
      await fsp.mkdir(dir);
      await fsp.writeFile(join(dir, 'ref'), ref);
      const fh = await fsp.open(join(dir, 'data'), 'wx', 0o644);
      return new LocalWriter(ref, dir, fh, this, () => this.activeRefs.delete(ref));
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
  const w = await store.writer(randomName('adopt-'));
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) await w.write(chunk);
  } catch (err) {
    await w.close();
    throw err;
  }
  return w.commit(0, digest);
}

class LocalWriter implements Writer {
  private readonly digester = new Digester();
  private closed = false;

  constructor(
    readonly ref: string,
    private readonly dir: string,
    private readonly fh: fsp.FileHandle,
    private readonly store: LocalContentStore,
    private readonly release: () => void,
  ) {}

  get offset(): number {
    return this.digester.size;
  }

  digest(): Digest {
    return this.digester.digest();
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

  async close(): Promise<void> {
    if (!this.closed) await this.finish();
  }

  private async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => {});
    await fsp.rm(this.dir, { recursive: true, force: true }).catch(() => {});
    this.release();
  }
}
