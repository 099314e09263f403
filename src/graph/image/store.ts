// Image metadata: the `images` and `image_refs` tables, with every image's
// config (a content blob) cached in memory. Creating an image holds its top
// layer in the same transaction; deleting it releases the layer (which GCs what
// nothing else needs) and removes its config blob after commit.
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../errors';
import { writeBlob } from '../content/helpers';
import { ContentRefs, type HeldBlob } from '../content/refs';
import type { Store } from '../content/types';
import type { Digest } from '../../api/digest';
import { chainIds } from '../layers/chain';
import type { LayerStore } from '../layers/types';
import {
  noSuchImageMessage,
  parseImageLookup,
  parseNormalizedNamed,
  referenceString,
  type NamedRef,
} from '../../api/reference';
import type { Tx, TxDb } from '../../state/tx';
import { imageIdOf, parseConfig, serializeConfig, type ImageConfigFile } from './config';

export interface ImageRecord {
  id: Digest;
  parent: Digest | null;
  /** ChainID of the top layer; null for an image without layers. */
  topLayer: Digest | null;
  /** Unix seconds of config.created. */
  created: number;
  /** Sum of the sizes of the image's layers. */
  size: number;
  lastTagTime: string | null;
  config: ImageConfigFile;
}

interface ImageRow {
  id: string;
  parent: string | null;
  top_layer: string | null;
  created: number;
  size: number;
  last_tag_time: string | null;
}

export class ImageStore {
  private readonly configs = new Map<Digest, ImageConfigFile>();
  /** The manifests and indexes images came with, held as 'image:<id>'. */
  readonly documents: ContentRefs;

  private constructor(
    private readonly gdb: TxDb,
    private readonly content: Store,
    private readonly layers: LayerStore,
  ) {
    this.documents = new ContentRefs(gdb, content);
  }

  static async open(gdb: TxDb, content: Store, layers: LayerStore): Promise<ImageStore> {
    const s = new ImageStore(gdb, content, layers);
    for (const r of gdb.db.prepare('SELECT id FROM images').all() as { id: Digest }[]) {
      try {
        s.configs.set(r.id, parseConfig(await content.readAll(r.id)));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        // The config blob is gone: the image cannot be used; drop it.
        gdb.update((tx) => s.deleteRows(tx, r.id));
      }
    }
    return s;
  }

  private toRecord(r: ImageRow): ImageRecord {
    const config = this.configs.get(r.id as Digest);
    if (!config) throw new NotFoundError(`image ${r.id}: config not loaded`);
    return {
      id: r.id as Digest,
      parent: r.parent as Digest | null,
      topLayer: r.top_layer as Digest | null,
      created: r.created,
      size: r.size,
      lastTagTime: r.last_tag_time,
      config,
    };
  }

  /** A blob an image holds (its config, a manifest or index it came with). */
  blob(digest: Digest): Promise<Buffer> {
    return this.content.readAll(digest);
  }

  get(id: Digest): ImageRecord | undefined {
    const r = this.gdb.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return r && this.toRecord(r);
  }

  all(): ImageRecord[] {
    return (this.gdb.db.prepare('SELECT * FROM images').all() as ImageRow[]).map((r) => this.toRecord(r));
  }

  count(): number {
    return (this.gdb.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  }

  children(id: Digest): Digest[] {
    return (this.gdb.db.prepare('SELECT id FROM images WHERE parent = ?').all(id) as { id: Digest }[]).map((r) => r.id);
  }

  /**
   * Stores a config and creates its image (or returns the existing one). The
   * layers named by rootfs.diff_ids must be registered already (the caller holds
   * leases); the image holds the top one from now on.
   */
  async create(config: ImageConfigFile | Buffer, opts: { parent?: Digest | null; documents?: readonly HeldBlob[] } = {}): Promise<Digest> {
    const bytes = Buffer.isBuffer(config) ? config : Buffer.from(serializeConfig(config));
    const parsed = parseConfig(bytes);
    const id = imageIdOf(bytes);
    const chain = chainIds(parsed.rootfs.diff_ids);
    const top = chain.length > 0 ? chain[chain.length - 1]! : null;
    const size = this.layers.chain(top).reduce((n, l) => n + l.size, 0);
    await writeBlob(this.content, bytes);
    const created = parsed.created ? Math.floor(Date.parse(parsed.created) / 1000) : 0;
    this.gdb.update((tx) => {
      // The image keeps the manifests it came with (blobs the caller stored), new image or not.
      this.documents.hold(tx, `image:${id}`, opts.documents ?? []);
      if (this.get(id)) return;
      if (opts.parent && !this.get(opts.parent)) throw new NotFoundError(`parent image ${opts.parent}: not found`);
      tx.db
        .prepare('INSERT INTO images (id, parent, top_layer, created, size, last_tag_time, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)')
        .run(id, opts.parent ?? null, top, Number.isFinite(created) ? created : 0, size, Date.now());
      if (top !== null) this.layers.hold(top, `image:${id}`, tx);
      this.configs.set(id, parsed);
    });
    return id;
  }

  /** Full normalized references of an image, oldest first. */
  refs(id: Digest): NamedRef[] {
    return (this.gdb.db.prepare('SELECT ref FROM image_refs WHERE image_id = ? ORDER BY created_at, ref').all(id) as { ref: string }[]).map(
      (r) => parseNormalizedNamed(r.ref),
    );
  }

  /** The image a reference names, if any. */
  lookupRef(ref: NamedRef): Digest | undefined {
    const r = this.gdb.db.prepare('SELECT image_id FROM image_refs WHERE ref = ?').get(referenceString(ref)) as { image_id: Digest } | undefined;
    return r?.image_id;
  }

  /** Finds an image by a unique ID prefix (with or without `sha256:`). */
  searchId(prefix: string): Digest | undefined {
    const hex = prefix.startsWith('sha256:') ? prefix.slice(7) : prefix;
    if (!/^[a-f0-9]{1,64}$/.test(hex)) return undefined;
    const rows = this.gdb.db.prepare(`SELECT id FROM images WHERE id >= ? AND id < ? LIMIT 2`).all(`sha256:${hex}`, `sha256:${hex}g`) as { id: Digest }[];
    if (rows.length > 1) throw new ConflictError(`multiple IDs found with provided prefix: ${prefix}`);
    return rows[0]?.id;
  }

  /** GetImage: a reference, a full ID or a unique ID prefix → the image, or NotFoundError "No such image: …". */
  resolve(s: string): ImageRecord {
    const lookup = parseImageLookup(s);
    if (lookup.kind === 'id') {
      const img = this.get(lookup.id);
      if (img) return img;
      throw new NotFoundError(noSuchImageMessage(lookup));
    }
    const ref = lookup.ref.tag === undefined && lookup.ref.digest === undefined ? { ...lookup.ref, tag: 'latest' } : lookup.ref;
    const byRef = this.lookupRef(ref);
    if (byRef) return this.get(byRef)!;
    if (lookup.idPrefix !== undefined) {
      const id = this.searchId(lookup.idPrefix);
      if (id) return this.get(id)!;
    }
    throw new NotFoundError(noSuchImageMessage(lookup));
  }

  /** Points `ref` at `id`, replacing what it pointed to (tags only: a digest ref is immutable). */
  addRef(ref: NamedRef, id: Digest, tx?: Tx): void {
    if (ref.tag !== undefined && ref.digest !== undefined) throw new InvalidArgumentError('cannot tag a reference with both a tag and a digest');
    if (ref.tag === undefined && ref.digest === undefined) throw new InvalidArgumentError('reference has neither tag nor digest');
    const run = (t: Tx) => {
      const current = this.lookupRef(ref);
      if (current === id) return;
      if (current !== undefined && ref.digest !== undefined) {
        throw new ConflictError(`Cannot overwrite digest ${ref.digest}`);
      }
      t.db.prepare('INSERT OR REPLACE INTO image_refs (ref, image_id, created_at) VALUES (?, ?, ?)').run(referenceString(ref), id, Date.now());
    };
    if (tx) run(tx);
    else this.gdb.update(run);
  }

  /** Removes a reference; returns whether it existed. */
  deleteRef(ref: NamedRef, tx?: Tx): boolean {
    const run = (t: Tx) => t.db.prepare('DELETE FROM image_refs WHERE ref = ?').run(referenceString(ref)).changes > 0;
    return tx ? run(tx) : this.gdb.update(run);
  }

  setLastTagTime(id: Digest, time: string, tx?: Tx): void {
    const run = (t: Tx) => void t.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(time, id);
    if (tx) run(tx);
    else this.gdb.update(run);
  }

  /**
   * Deletes an image row with all its references; returns the chainIDs of the
   * layers this removed. NotFoundError if absent.
   */
  delete(id: Digest): Digest[] {
    return this.gdb.update((tx) => {
      const img = this.get(id);
      if (!img) throw new NotFoundError(`No such image: ${id}`);
      const chain = this.layers.chain(img.topLayer).map((l) => l.chainId);
      this.deleteRows(tx, id);
      return chain.filter((c) => this.layers.get(c) === undefined);
    });
  }

  private deleteRows(tx: Tx, id: Digest): void {
    const row = tx.db.prepare('SELECT top_layer FROM images WHERE id = ?').get(id) as { top_layer: Digest | null } | undefined;
    tx.db.prepare('DELETE FROM image_refs WHERE image_id = ?').run(id);
    tx.db.prepare('DELETE FROM images WHERE id = ?').run(id);
    if (row?.top_layer) this.layers.release(row.top_layer, `image:${id}`, tx);
    this.documents.release(tx, `image:${id}`);
    tx.afterCommit(() => {
      this.configs.delete(id);
      void this.content.delete(id).catch(() => {});
    });
  }
}
