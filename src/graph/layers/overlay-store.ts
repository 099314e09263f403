// The overlay2-style layer store: <root>/<chainID hex>/diff per layer, rows in
// `layers` and `layer_refs` (see ./types.ts for the lifecycle, schema.ts for the
// tables). Unpacks happen outside any transaction, in <root>/tmp-*; the rename
// into place and the row insert happen together in one synchronous section, so
// two registers of the same layer never both keep theirs.
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../../errors';
import { mountOverlay } from '../../native';
import { decompress, peekCompression, type Compression } from '../../archive/compression';
import type { Store } from '../content/types';
import { hexOf, type Digest } from '../../api/digest';
import { randomName } from '../fsutil';
import { mkdirPrivate, mkdirPrivateAsync } from '../../state/dirs';
import type { Tx, TxDb } from '../../state/tx';
import { fileSink, writerSink } from './blob-sink';
import { chainId as computeChainId } from './chain';
import type { LayerInfo, LayerStore, Lease, MountedOverlay, OverlayMount, PreparedLayer, RegisterOptions, UnpackOptions } from './types';
import { unpackLayer } from './unpack';
import { unpackOnWorker } from './unpack-thread';

/** From this size (as received) on, a layer is unpacked on a worker thread: below it, starting one costs more than it frees. */
const WORKER_MIN_BYTES = 1024 * 1024;

interface LayerRow {
  chain_id: string;
  diff_id: string;
  parent: string | null;
  size: number;
  tar_size: number;
  blob_digest: string;
  blob_media_type: string;
  blob_size: number;
}

export class OverlayLayerStore implements LayerStore {
  private constructor(
    readonly root: string,
    private readonly gdb: TxDb,
    private readonly content: Store,
  ) {}

  /** Opens the store at `root` (<data-root>/layers) and repairs what a crash left. */
  static open(root: string, gdb: TxDb, content: Store): OverlayLayerStore {
    mkdirPrivate(root);
    const store = new OverlayLayerStore(root, gdb, content);
    store.repair();
    return store;
  }

  private repair(): void {
    this.gdb.update((tx) => {
      tx.db.prepare(`DELETE FROM layer_refs WHERE holder LIKE 'lease:%'`).run();
      this.collect(tx);
    });
    const known = new Set((this.gdb.db.prepare('SELECT chain_id FROM layers').all() as { chain_id: string }[]).map((r) => hexOf(r.chain_id as Digest)));
    for (const name of readdirSync(this.root)) {
      if (!known.has(name)) rmSync(join(this.root, name), { recursive: true, force: true });
    }
  }

  /** Removes every layer nothing references (in tx), cascading to parents. */
  private collect(tx: Tx): void {
    const orphans = tx.db
      .prepare('SELECT chain_id FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM layer_refs)')
      .all() as { chain_id: Digest }[];
    for (const o of orphans) this.removeIfUnreferenced(tx, o.chain_id);
  }

  private dir(chainId: Digest): string {
    return join(this.root, hexOf(chainId));
  }

  private toInfo(r: LayerRow): LayerInfo {
    return {
      chainId: r.chain_id as Digest,
      diffId: r.diff_id as Digest,
      parent: r.parent as Digest | null,
      size: r.size,
      tarSize: r.tar_size,
      blob: { digest: r.blob_digest as Digest, compression: r.blob_media_type as Compression, size: r.blob_size },
      diffDir: join(this.dir(r.chain_id as Digest), 'diff'),
    };
  }

  get(chainId: Digest): LayerInfo | undefined {
    const r = this.gdb.db.prepare('SELECT * FROM layers WHERE chain_id = ?').get(chainId) as LayerRow | undefined;
    return r && this.toInfo(r);
  }

  chain(chainId: Digest | null): LayerInfo[] {
    const out: LayerInfo[] = [];
    let id: Digest | null = chainId;
    while (id !== null) {
      const l = this.get(id);
      if (!l) throw new NotFoundError(`layer ${id}: not found`);
      out.push(l);
      id = l.parent;
    }
    return out;
  }

  async register(tar: Readable, opts: RegisterOptions): Promise<Lease> {
    if (opts.parent !== null && !this.get(opts.parent)) throw new NotFoundError(`parent layer ${opts.parent}: not found`);
    if (opts.expectedDiffId !== undefined) {
      const known = computeChainId(opts.parent, opts.expectedDiffId);
      const lease = this.gdb.update((tx) => (this.get(known) ? this.lease(tx, known) : undefined));
      if (lease) {
        tar.resume();
        await new Promise<void>((resolve, reject) => tar.on('end', resolve).on('error', reject));
        return lease;
      }
    }
    return this.commit(await this.unpack(tar, opts), opts.parent);
  }

  async unpack(tar: Readable, opts: UnpackOptions = {}): Promise<PreparedLayer> {
    const { compression, stream } = await peekCompression(tar);
    const sink = opts.sink ?? (opts.file !== undefined ? fileSink(this.content, opts.file, compression !== 'none') : await writerSink(this.content));
    const tmp = join(this.root, randomName('tmp-'));
    const diff = join(tmp, 'diff');
    let unpacked;
    try {
      await mkdirPrivateAsync(tmp); // becomes layers/<id>: only diff/, the layer's root directory, is 0755
      await fsp.mkdir(diff, { mode: 0o755 });
      const through = sink.through(stream);
      unpacked = await ((opts.size ?? 0) >= WORKER_MIN_BYTES ? unpackOnWorker(through, compression, diff) : unpackLayer(decompress(through, compression), diff));
      if (opts.expectedDiffId !== undefined && opts.expectedDiffId !== unpacked.diffId) {
        throw new InvalidArgumentError(`layer diffID mismatch: got ${unpacked.diffId}, expected ${opts.expectedDiffId}`);
      }
    } catch (err) {
      await sink.abort();
      await fsp.rm(tmp, { recursive: true, force: true });
      throw err;
    }
    try {
      const blob = await sink.finish(unpacked);
      return { dir: tmp, ...unpacked, compression, blob };
    } catch (err) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  commit(prepared: PreparedLayer, parent: Digest | null): Lease {
    if (parent !== null && !this.get(parent)) throw new NotFoundError(`parent layer ${parent}: not found`);
    const chainId = computeChainId(parent, prepared.diffId);
    const final = this.dir(chainId);
    let discard = false;
    const lease = this.gdb.update((tx) => {
      if (this.get(chainId)) {
        discard = true;
        return this.lease(tx, chainId);
      }
      if (existsSync(final)) rmSync(final, { recursive: true, force: true }); // left by a crash
      renameSync(prepared.dir, final);
      tx.db
        .prepare(
          `INSERT INTO layers (chain_id, diff_id, parent, size, tar_size, blob_digest, blob_media_type, blob_size, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(chainId, prepared.diffId, parent, prepared.size, prepared.tarSize, prepared.blob.digest, prepared.compression, prepared.blob.size, Date.now());
      if (parent !== null) this.hold(parent, `layer:${chainId}`, tx);
      return this.lease(tx, chainId);
    });
    if (discard) this.discard(prepared);
    return lease;
  }

  discard(prepared: PreparedLayer): void {
    void fsp.rm(prepared.dir, { recursive: true, force: true });
  }

  private lease(tx: Tx, chainId: Digest): Lease {
    const holder = `lease:${randomUUID()}`;
    this.hold(chainId, holder, tx);
    const layer = this.get(chainId)!;
    let released = false;
    return {
      layer,
      release: () => {
        if (released) return;
        released = true;
        this.release(chainId, holder);
      },
    };
  }

  hold(chainId: Digest, holder: string, tx?: Tx): void {
    const run = (t: Tx) => {
      if (!this.get(chainId)) throw new NotFoundError(`layer ${chainId}: not found`);
      t.db.prepare('INSERT OR IGNORE INTO layer_refs (chain_id, holder) VALUES (?, ?)').run(chainId, holder);
    };
    if (tx) run(tx);
    else this.gdb.update(run);
  }

  release(chainId: Digest, holder: string, tx?: Tx): void {
    const run = (t: Tx) => {
      t.db.prepare('DELETE FROM layer_refs WHERE chain_id = ? AND holder = ?').run(chainId, holder);
      this.removeIfUnreferenced(t, chainId);
    };
    if (tx) run(tx);
    else this.gdb.update(run);
  }

  private removeIfUnreferenced(tx: Tx, chainId: Digest): void {
    const refs = tx.db.prepare('SELECT COUNT(*) AS n FROM layer_refs WHERE chain_id = ?').get(chainId) as { n: number };
    if (refs.n > 0) return;
    const row = tx.db.prepare('SELECT * FROM layers WHERE chain_id = ?').get(chainId) as LayerRow | undefined;
    if (!row) return;
    tx.db.prepare('DELETE FROM layers WHERE chain_id = ?').run(chainId);
    const blobUsers = tx.db.prepare('SELECT COUNT(*) AS n FROM layers WHERE blob_digest = ?').get(row.blob_digest) as { n: number };
    const dir = this.dir(chainId);
    tx.afterCommit(() => {
      // Out of the way at once (a register of the same chain may follow), removed in the background.
      const trash = join(this.root, randomName('.trash-'));
      try {
        renameSync(dir, trash);
      } catch {
        return;
      }
      void fsp.rm(trash, { recursive: true, force: true });
    });
    if (blobUsers.n === 0) {
      const digest = row.blob_digest as Digest;
      tx.afterCommit(() => void this.content.delete(digest).catch(() => {})); // a stale blob only costs space
    }
    if (row.parent !== null) this.release(row.parent as Digest, `layer:${chainId}`, tx);
  }

  overlayOptions(chainId: Digest | null, upper: string, work: string, above: readonly string[] = []): OverlayMount {
    const lowerDirs = [...above, ...this.chain(chainId).map((l) => l.diffDir)];
    const extra = existsSync('/sys/module/overlay/parameters/index') ? ['index=off'] : [];
    const options = [`lowerdir=${lowerDirs.join(':')}`, `upperdir=${upper}`, `workdir=${work}`, ...extra].join(',');
    return { options, lowerDirs, upperDir: upper, workDir: work, extra };
  }

  mountLayers(chainId: Digest | null, upper: string, work: string, target: string, above: readonly string[] = []): MountedOverlay {
    const m = this.overlayOptions(chainId, upper, work, above);
    const method = mountOverlay(target, { lower: m.lowerDirs, upper: m.upperDir, work: m.workDir, options: m.extra });
    return { ...m, method };
  }

  async tarStream(chainId: Digest): Promise<Readable> {
    const layer = this.get(chainId);
    if (!layer) throw new NotFoundError(`layer ${chainId}: not found`);
    return decompress(await this.content.reader(layer.blob.digest), layer.blob.compression);
  }

  /** Digests of the blobs the layers were registered from. */
  blobDigests(): Digest[] {
    return (this.gdb.db.prepare('SELECT DISTINCT blob_digest FROM layers').all() as { blob_digest: Digest }[]).map((r) => r.blob_digest);
  }

  totalSize(): number {
    return (this.gdb.db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM layers').get() as { n: number }).n;
  }
}
