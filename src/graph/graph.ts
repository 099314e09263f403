// The image graph assembled: content store, layer store, image metadata and the
// operations jobs call. One per daemon, opened after the database is migrated.
//   <data-root>/content   blobs (configs, layer tars as received)
//   <data-root>/layers    unpacked layers (overlay lower dirs)
//   <data-root>/tmp       scratch space of loads (emptied at open)
// Blobs are kept by reference, whatever their kind: a layer's tar (layers),
// an image's config (images) and the manifests and indexes an image holds
// (content_refs). A crash after a blob's commit but before the row that uses
// it leaves it unreferenced: open removes those.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageSummary, JSONMessage } from '../api/types';
import type { ImageUsage } from '../engine/drivers';
import type { Db } from '../state/db';
import { loadImages, type LoadResult } from './archive/load';
import { saveImages } from './archive/save';
import { LocalContentStore } from './content/local';
import type { Store } from './content/types';
import type { Digest } from '../api/digest';
import type { DeleteHooks, ImageUsers } from './image/delete';
import { NO_USERS } from './image/delete';
import { ImageService } from './image/service';
import { ImageStore } from './image/store';
import { OverlayLayerStore } from './layers/overlay-store';
import { TxDb, type AfterCommitLogger } from '../state/tx';

export interface GraphOptions {
  /** Who uses images (the container store); none by default. */
  users?: ImageUsers;
  hooks?: DeleteHooks;
  logError?: AfterCommitLogger;
}

export class Graph implements ImageUsage {
  private constructor(
    readonly dataRoot: string,
    readonly gdb: TxDb,
    readonly content: LocalContentStore,
    readonly layers: OverlayLayerStore,
    readonly store: ImageStore,
    readonly images: ImageService,
  ) {}

  static async open(dataRoot: string, db: Db, opts: GraphOptions = {}): Promise<Graph> {
    const gdb = new TxDb(db, opts.logError);
    const content = await LocalContentStore.open(join(dataRoot, 'content'));
    const layers = OverlayLayerStore.open(join(dataRoot, 'layers'), gdb, content);
    const store = await ImageStore.open(gdb, content, layers);
    await removeUnusedBlobs(content, [...layers.blobDigests(), ...store.all().map((i) => i.id), ...store.documents.digests()]);
    rmSync(join(dataRoot, 'tmp'), { recursive: true, force: true });
    const service = new ImageService(store, layers, opts.users ?? NO_USERS, opts.hooks);
    return new Graph(dataRoot, gdb, content, layers, store, service);
  }

  /** GET /images/get: the tar of the named images (resolution errors are thrown before any byte). */
  save(names: readonly string[]): Readable {
    return saveImages(this.store, this.layers, this.content, names);
  }

  /** POST /images/load */
  load(tar: Readable, progress?: (msg: JSONMessage) => void): Promise<LoadResult> {
    return loadImages(tar, { store: this.store, layers: this.layers, tmpRoot: join(this.dataRoot, 'tmp') }, progress);
  }

  count(): number {
    return this.images.count();
  }

  diskUsage(): { layersSize: number; images: ImageSummary[] } {
    return this.images.diskUsage();
  }
}

/** Deletes every blob not in `used` (nothing else writes while the graph opens). */
async function removeUnusedBlobs(content: Store, used: readonly Digest[]): Promise<void> {
  const keep = new Set<string>(used);
  const unused: Digest[] = [];
  await content.walk((b) => {
    if (!keep.has(b.digest)) unused.push(b.digest);
  });
  for (const digest of unused) await content.delete(digest).catch(() => {}); // gone already: fine
}
