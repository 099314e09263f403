// The content store: immutable blobs addressed by their sha256 digest.
//
// Lifecycle of a blob
//   1. Ingester.writer(ref) opens an ingest named `ref` (one writer per ref at a
//      time). The writer streams bytes to a private temp file, hashing as it goes;
//      nothing is visible to readers yet.
//   2. Writer.commit(size, expected) checks that the byte count is `size` (when
//      > 0) and that the digest is `expected` (when given), fsyncs the data,
//      renames it to its content address and fsyncs the directory. Commit ALWAYS
//      closes the writer, success or failure. If the blob already exists, commit
//      discards the ingest and rejects with AlreadyExistsError: callers that only
//      need the blob to be there treat that as success (see `writeBlob`).
//      Writer.close() abandons an ingest and removes its temp file.
//      Ingester.adopt(path, digest) commits a file the caller wrote and hashed
//      itself: fsync, then the same link into place.
//   3. Provider.reader(digest) / readAll(digest) read a committed blob; info()
//      stats it; walk() lists all; delete() removes one (the caller, the image
//      metadata GC, decides when nothing needs it).
//   A crash at any byte leaves at most a stale ingest, never a partial blob under
//   its digest; ingests older than the store's open are removed when it opens.
import type { Readable } from 'node:stream';
import type { Digest } from '../digest';

export interface BlobInfo {
  digest: Digest;
  size: number;
  /** Commit time (file mtime). */
  createdAt: Date;
}

export interface Writer {
  /** Ingest name given to Ingester.writer. */
  readonly ref: string;
  /** Appends bytes; resolves when they are written to the ingest file. */
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly offset: number;
  /** Digest of the bytes written so far. */
  digest(): Digest;
  /** Verifies, makes the blob visible, and closes the writer (even on failure). */
  commit(size: number, expected?: Digest): Promise<BlobInfo>;
  /** Abandons the ingest. Idempotent; a no-op after commit. */
  close(): Promise<void>;
}

export interface Ingester {
  /** Starts an ingest; ConflictError ("ref … locked") while another writer holds `ref`. */
  writer(ref: string): Promise<Writer>;
  /**
   * Commits a complete file the caller has already hashed to `digest` (a layer
   * tar it unpacked, say) without copying it where the filesystem allows (a hard
   * link: the caller must not change the file afterwards). Same outcome as a
   * writer's commit, AlreadyExistsError included.
   */
  adopt(path: string, digest: Digest): Promise<BlobInfo>;
}

export interface Provider {
  /** A stream of the blob; NotFoundError if absent. */
  reader(digest: Digest): Promise<Readable>;
  readAll(digest: Digest): Promise<Buffer>;
}

export interface Store extends Ingester, Provider {
  /** NotFoundError if absent. */
  info(digest: Digest): Promise<BlobInfo>;
  has(digest: Digest): Promise<boolean>;
  /** NotFoundError if absent. */
  delete(digest: Digest): Promise<void>;
  walk(fn: (info: BlobInfo) => void | Promise<void>): Promise<void>;
}
