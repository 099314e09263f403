// References to content blobs besides layer tars (layers.blob_digest) and
// image configs (images.id): an image's manifests and indexes, kept by
// reference whatever their kind (table content_refs, see src/state/schema.ts).
// A blob is collected when nothing references it: after the transaction that
// dropped its last reference, and at open for what a crash left.
import type { Store } from './types';
import type { Digest } from '../../api/digest';
import type { Tx, TxDb } from '../../state/tx';

/** A blob one holder keeps: its digest and media type. */
export interface HeldBlob {
  digest: Digest;
  mediaType: string;
}

export class ContentRefs {
  constructor(
    private readonly gdb: TxDb,
    private readonly content: Store,
  ) {}

  /** `holder` ('image:<id>') keeps the blobs (already in the content store). */
  hold(tx: Tx, holder: string, blobs: readonly HeldBlob[]): void {
    const insert = tx.db.prepare('INSERT OR IGNORE INTO content_refs (digest, holder, media_type) VALUES (?, ?, ?)');
    for (const b of blobs) insert.run(b.digest, holder, b.mediaType);
  }

  /** What `holder` keeps. */
  heldBy(holder: string): HeldBlob[] {
    return (this.gdb.db.prepare('SELECT digest, media_type FROM content_refs WHERE holder = ? ORDER BY digest').all(holder) as Array<{ digest: Digest; media_type: string }>).map(
      (r) => ({ digest: r.digest, mediaType: r.media_type }),
    );
  }

  /** Who keeps `digest`. */
  holders(digest: Digest): string[] {
    return (this.gdb.db.prepare('SELECT holder FROM content_refs WHERE digest = ? ORDER BY holder').all(digest) as Array<{ holder: string }>).map((r) => r.holder);
  }

  /** `holder` keeps nothing any more; a blob left without references is deleted once tx commits. */
  release(tx: Tx, holder: string): void {
    const held = this.heldBy(holder);
    tx.db.prepare('DELETE FROM content_refs WHERE holder = ?').run(holder);
    const stillHeld = tx.db.prepare('SELECT 1 FROM content_refs WHERE digest = ? LIMIT 1');
    const orphans = held.filter((b) => stillHeld.get(b.digest) === undefined).map((b) => b.digest);
    if (orphans.length > 0) tx.afterCommit(() => void Promise.all(orphans.map((d) => this.content.delete(d).catch(() => {}))));
  }

  /** Every referenced digest. */
  digests(): Digest[] {
    return (this.gdb.db.prepare('SELECT DISTINCT digest FROM content_refs').all() as Array<{ digest: Digest }>).map((r) => r.digest);
  }
}
