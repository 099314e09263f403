// Container metadata: one `containers` row per container (see src/state/schema.ts),
// the whole record as JSON, with every record also held in memory. Every change
// is one UPDATE in SQLite's WAL, so a crash leaves the previous or the next state.
import type { ContainerConfig, ContainerState, HostConfig } from '../api/containers';
import { ConflictError, NotFoundError } from '../errors';
import type { Tx, TxDb } from '../state/tx';
import type { VolumeMountPoint } from './mount-points';

export interface ContainerRecord {
  id: string;
  /** Docker's form, with a leading "/". */
  name: string;
  /** RFC 3339 with nanoseconds, as inspect shows it. */
  created: string;
  /** The image ID (sha256:…) and the name the client used (Config.Image). */
  imageId: string;
  /** ChainID of the image's top layer, held as 'container:<id>'; null for an empty image. */
  topLayer: string | null;
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  restartCount: number;
  /** The OCI runtime name (daemon `runtimes`, or tsd-runtime/runc). */
  runtime: string;
  /** Set by stop/kill from the user: unless-stopped and always then stay down. */
  manuallyStopped: boolean;
  /** Its volumes and --volumes-from binds, resolved at create (absent: none). */
  mountPoints?: VolumeMountPoint[];
}

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();

  // The graph's TxDb: a container's layer reference changes in the same transaction as its row.
  constructor(private readonly gdb: TxDb) {
    for (const row of gdb.db.prepare('SELECT record FROM containers').all() as { record: string }[]) {
      const rec = JSON.parse(row.record) as ContainerRecord;
      this.byId.set(rec.id, rec);
    }
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): ContainerRecord | undefined {
    return this.byId.get(id);
  }

  /**
   * Docker's lookup order: full ID, exact name, then unique ID prefix.
   * NotFoundError "No such container: x" otherwise.
   */
  resolve(ref: string): ContainerRecord {
    const found = this.find(ref);
    if (!found) throw new NotFoundError(`No such container: ${ref}`);
    return found;
  }

  find(ref: string): ContainerRecord | undefined {
    if (ref === '') return undefined;
    const byId = this.byId.get(ref);
    if (byId) return byId;
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    for (const c of this.byId.values()) if (c.name === name) return c;
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.byId.values()].filter((c) => c.id.startsWith(ref));
    if (matches.length > 1) throw new ConflictError(`Multiple IDs found with provided prefix: ${ref}`);
    return matches[0];
  }

  byName(name: string): ContainerRecord | undefined {
    for (const c of this.byId.values()) if (c.name === name) return c;
    return undefined;
  }

  /** Adds a new container; `hold` runs in the same transaction (the layer reference). */
  insert(rec: ContainerRecord, hold: (tx: Tx) => void): void {
    this.gdb.update((tx) => {
      tx.db
        .prepare('INSERT INTO containers (id, name, image_id, created_at, record) VALUES (?, ?, ?, ?, ?)')
        .run(rec.id, rec.name, rec.imageId, rec.created, JSON.stringify(rec));
      hold(tx);
    });
    this.byId.set(rec.id, rec);
  }

  /** Persists the record after a change made in place. */
  save(rec: ContainerRecord): void {
    this.gdb.db.prepare('UPDATE containers SET name = ?, record = ? WHERE id = ?').run(rec.name, JSON.stringify(rec), rec.id);
  }

  /** Removes the row; `release` runs in the same transaction (the layer reference). */
  delete(rec: ContainerRecord, release: (tx: Tx) => void): void {
    this.gdb.update((tx) => {
      tx.db.prepare('DELETE FROM containers WHERE id = ?').run(rec.id);
      release(tx);
    });
    this.byId.delete(rec.id);
  }
}
