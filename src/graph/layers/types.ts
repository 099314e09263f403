// The layer store: read-only filesystem layers, each unpacked once and shared.
//
// Lifecycle of a layer
//   1. register(tar, parent) decompresses and unpacks a layer tar into a private
//      directory while hashing it (diffID) and storing the tar as received in the
//      content store; the chainID (OCI) names the layer. If that chain exists
//      already, the new copy is discarded. Either way the caller gets a Lease: a
//      reference that keeps the layer (and its parents) alive until released.
//   2. Holders take references: an image its top layer (image store, same
//      transaction), a child layer its parent, a container its image's top layer
//      (hold/release with holder 'container:<id>'). The caller releases its lease
//      once the holder row exists.
//   3. When the last reference goes, the layer row is deleted in the same
//      transaction and, after commit, its directory and (if no other layer uses
//      it) its blob are removed; its parent loses a reference in turn.
//   Leases do not outlive the process: open() drops them, removes unreferenced
//   layers and any directory without a row (a crash between rename and commit).
//
// On disk: <data-root>/layers/<chainID hex>/diff, plus `merged` and `work` for
// overlay mounts of containers built on the layer.
import type { Readable } from 'node:stream';
import type { OverlayMethod } from '../../native';
import type { Compression } from '../../archive/compression';
import type { Digest } from '../../api/digest';
import type { Tx } from '../../state/tx';
import type { BlobSink } from './blob-sink';

export interface LayerInfo {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null;
  /** Bytes of file content in the diff directory. */
  size: number;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  /** The tar as received, in the content store. */
  blob: { digest: Digest; compression: Compression; size: number };
  /** <data-root>/layers/<hex>/diff */
  diffDir: string;
}

export interface Lease {
  readonly layer: LayerInfo;
  /** Drops the lease (idempotent); removes the layer if nothing else holds it. */
  release(): void;
}

export interface RegisterOptions {
  /** ChainID of the parent layer (which must exist), or null for a base layer. */
  parent: Digest | null;
  /**
   * The diffID the caller expects (from an image config). If that chain is
   * already present the stream is only drained, not unpacked again.
   */
  expectedDiffId?: Digest;
  /**
   * The tar is this file, on the data root's filesystem, unchanged until
   * register returns: its bytes become the layer's blob as they are (a hard
   * link) instead of being copied.
   */
  file?: string;
  /** As in UnpackOptions: the tar's size as received, when known. */
  size?: number;
}

/** How unpack() gets the layer's blob into the content store. */
export interface UnpackOptions {
  /** As in RegisterOptions: the tar is this file, adopted as the blob. */
  file?: string;
  /** Checked against what the unpacker hashed: a mismatch keeps nothing. */
  expectedDiffId?: Digest;
  /**
   * The caller handles the blob itself (a pull writes the bytes to its own
   * resumable ingest as they arrive): `through` sees the stream, `finish`
   * commits (and verifies) the blob once the tar is unpacked.
   */
  sink?: BlobSink;
  /** Bytes of the tar as received, when known: a big layer is unpacked on a worker thread (./unpack-thread.ts). */
  size?: number;
}

/** A layer unpacked in a private directory, not yet part of any chain. */
export interface PreparedLayer {
  /** <data-root>/layers/tmp-*: becomes the layer's directory at commit. */
  readonly dir: string;
  readonly diffId: Digest;
  readonly size: number;
  readonly tarSize: number;
  readonly compression: Compression;
  readonly blob: { digest: Digest; size: number };
}

export interface OverlayMount {
  /**
   * The options as one mount(2) data string: lowerdir=…,upperdir=…,workdir=….
   * A long chain makes it longer than the page mount(2) takes: mountLayers
   * then passes the layers one by one (see native/src/overlay.h).
   */
  options: string;
  /** Top first. */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  /** The options besides the directories (index=off where the kernel has the parameter). */
  extra: string[];
}

export interface MountedOverlay extends OverlayMount {
  /** How it was mounted: mount(2) with `options`, or layer by layer (long chains). */
  method: OverlayMethod;
}

export interface LayerStore {
  register(tar: Readable, opts: RegisterOptions): Promise<Lease>;
  /**
   * register's first half, which needs no parent: an overlay layer is a
   * directory of its own, so the layers of an image unpack in parallel and
   * only commit() follows the chain's order. A crash leaves a tmp-* directory
   * that open() removes.
   */
  unpack(tar: Readable, opts?: UnpackOptions): Promise<PreparedLayer>;
  /** register's second half: `prepared` becomes the layer on `parent` (a chain already there keeps its own). */
  commit(prepared: PreparedLayer, parent: Digest | null): Lease;
  /** Removes a prepared layer that will not be committed. */
  discard(prepared: PreparedLayer): void;
  get(chainId: Digest): LayerInfo | undefined;
  /** The layers of a chain, top first; none for null (an image without layers). NotFoundError if the chain is unknown. */
  chain(chainId: Digest | null): LayerInfo[];
  /** Adds reference `holder` to `chainId` (idempotent), within `tx` when given. */
  hold(chainId: Digest, holder: string, tx?: Tx): void;
  /** Drops reference `holder` (idempotent), GCing what it leaves unreferenced. */
  release(chainId: Digest, holder: string, tx?: Tx): void;
  /** Overlay options for a container rootfs on top of chainId. */
  overlayOptions(chainId: Digest | null, upper: string, work: string, above?: readonly string[]): OverlayMount;
  /** Mounts overlay on `target`, however many layers the chain has; returns the options used. */
  mountLayers(chainId: Digest | null, upper: string, work: string, target: string, above?: readonly string[]): MountedOverlay;
  /** The layer tar, uncompressed (what its diffID digests). */
  tarStream(chainId: Digest): Promise<Readable>;
  /** Sum of the sizes of all layers (/system/df LayersSize). */
  totalSize(): number;
}
