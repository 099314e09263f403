// The content store: immutable blobs addressed by their sha256 digest.
//
// Lifecycle of a blob
//   1. Ingester.writer(ref) opens the ingest named `ref` (one writer per ref at a
//      time). The writer streams bytes to a private file, hashing as it goes;
//      nothing is visible to readers yet. An ingest outlives its writer and the
//      process: writer(ref) on an ingest left by an earlier writer (closed, or
//      killed with its daemon) resumes it at its offset, the bytes already there
//      hashed again, so a pull goes on where it stopped (a Range request from
//      `offset`). Given the size and digest the blob must have, a resume whose
//      bytes cannot be that blob (more bytes, or all of them and another digest)
//      starts over.
//   2. Writer.commit(size, expected) checks that the byte count is `size` (when
//      > 0) and that the digest is `expected` (when given), fsyncs the data,
//      links it to its content address and fsyncs the directory. Commit ALWAYS
//      ends the writer and its ingest, success or failure. If the blob already
//      exists, commit discards the ingest and rejects with AlreadyExistsError:
//      callers that only need the blob to be there treat that as success (see
//      `writeBlob`). Writer.abort() abandons an ingest and removes it;
//      Writer.close() lets the writer go and keeps the ingest to resume.
//      Ingester.adopt(path, digest) commits a file the caller wrote and hashed
//      itself: fsync, then the same link into place.
//   3. Provider.reader(digest) / readAll(digest) read a committed blob; info()
//      stats it; walk() lists all; delete() removes one (the caller, the graph's
//      GC by reference, decides when nothing needs it).
//   A crash at any byte leaves at most an ingest, never a partial blob under its
//   digest; ingests untouched for longer than the store's age limit are removed
//   when it opens.
import type { Readable } from 'node:stream';
import type { Digest } from '../../api/digest';

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
  /** The bytes written so far (a resumed ingest's, for a consumer that must see the blob from its start). */
  written(): Readable;
  /** Verifies, makes the blob visible, and ends the writer and its ingest (even on failure). */
  commit(size: number, expected?: Digest): Promise<BlobInfo>;
  /** Abandons the ingest: its bytes are removed. Idempotent; a no-op after commit. */
  abort(): Promise<void>;
  /** Lets the writer go, keeping the ingest for a later writer(ref) to resume. Idempotent. */
  close(): Promise<void>;
}

/** What a writer knows of the blob it is to write, for a resume to check what is already there. */
export interface WriterOptions {
  /** The complete blob's size. */
  size?: number;
  /** The complete blob's digest. */
  expected?: Digest;
}

export interface Ingester {
  /**
   * Starts the ingest `ref`, or resumes the one left under that name (its
   * offset is where to go on); ConflictError ("ref … locked") while another
   * writer holds `ref`.
   */
  writer(ref: string, opts?: WriterOptions): Promise<Writer>;
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
