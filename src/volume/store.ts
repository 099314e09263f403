// Volume records in SQLite (tables volumes, volume_refs, volume_mounts: see
// src/state/schema.ts), every record also held in memory. References change
// in the transactions of the container's create and removal (the Tx given).
import type { Tx, TxDb } from '../state/tx';

export interface VolumeRecord {
  name: string;
  driver: string;
  /** RFC 3339 (seconds), as dockerd shows CreatedAt. */
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

interface VolumeRow {
  name: string;
  driver: string;
  created_at: string;
  labels: string;
  options: string;
}

export class VolumeStore {
  private readonly byName = new Map<string, VolumeRecord>();

  constructor(readonly tdb: TxDb) {
    for (const row of tdb.db.prepare('SELECT name, driver, created_at, labels, options FROM volumes').all() as VolumeRow[]) {
      this.byName.set(row.name, {
        name: row.name,
        driver: row.driver,
        createdAt: row.created_at,
        labels: JSON.parse(row.labels) as Record<string, string>,
        options: JSON.parse(row.options) as Record<string, string>,
      });
    }
  }

  all(): VolumeRecord[] {
    return [...this.byName.values()];
  }

  get(name: string): VolumeRecord | undefined {
    return this.byName.get(name);
  }

  insert(rec: VolumeRecord): void {
    this.tdb.update((tx) => {
      tx.db
        .prepare('INSERT INTO volumes (name, driver, created_at, labels, options) VALUES (?, ?, ?, ?, ?)')
        .run(rec.name, rec.driver, rec.createdAt, JSON.stringify(rec.labels), JSON.stringify(rec.options));
    });
    this.byName.set(rec.name, rec);
  }

  /** Removes the record (its mount rows too); refused by the caller while references exist. */
  delete(name: string): void {
    this.tdb.update((tx) => {
      tx.db.prepare('DELETE FROM volume_mounts WHERE name = ?').run(name);
      tx.db.prepare('DELETE FROM volume_refs WHERE name = ?').run(name);
      tx.db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
    });
    this.byName.delete(name);
  }

  /** The IDs of the containers that use the volume. */
  refs(name: string): string[] {
    return (this.tdb.db.prepare('SELECT container_id FROM volume_refs WHERE name = ? ORDER BY rowid').all(name) as { container_id: string }[]).map(
      (r) => r.container_id,
    );
  }

  refCounts(): Map<string, number> {
    const rows = this.tdb.db.prepare('SELECT name, COUNT(*) AS n FROM volume_refs GROUP BY name').all() as { name: string; n: number }[];
    return new Map(rows.map((r) => [r.name, r.n]));
  }

  addRef(tx: Tx, name: string, containerId: string): void {
    tx.db.prepare('INSERT OR IGNORE INTO volume_refs (name, container_id) VALUES (?, ?)').run(name, containerId);
  }

  releaseContainer(tx: Tx, containerId: string): void {
    tx.db.prepare('DELETE FROM volume_refs WHERE container_id = ?').run(containerId);
  }

  // ---- mounts (what restore re-counts) -------------------------------------

  addMount(name: string, containerId: string): void {
    this.tdb.db.prepare('INSERT OR IGNORE INTO volume_mounts (name, container_id) VALUES (?, ?)').run(name, containerId);
  }

  removeMount(name: string, containerId: string): void {
    this.tdb.db.prepare('DELETE FROM volume_mounts WHERE name = ? AND container_id = ?').run(name, containerId);
  }

  hasMount(name: string, containerId: string): boolean {
    return this.tdb.db.prepare('SELECT 1 FROM volume_mounts WHERE name = ? AND container_id = ?').get(name, containerId) !== undefined;
  }

  mounts(): Array<{ name: string; containerId: string }> {
    return (this.tdb.db.prepare('SELECT name, container_id FROM volume_mounts').all() as { name: string; container_id: string }[]).map((r) => ({
      name: r.name,
      containerId: r.container_id,
    }));
  }
}
