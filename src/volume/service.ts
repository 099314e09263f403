// The volume service: records (store.ts), drivers (`local`, and plugins found
// by name), and what the API and the containers ask of volumes. Events leave
// through the sink of the job that called (src/engine/volume-jobs.ts).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { VolumeSummary } from '../api/types';
import { goRfc3339 } from '../api/time';
import type { EventSink, VolumeUsage } from '../engine/drivers';
import { ConflictError, NotFoundError, messageOf } from '../errors';
import { dirSize } from '../container/files';
import type { TxDb } from '../state/tx';
import { listFilter, pruneFilter, type VolumeView } from './filters';
import { LocalDriver } from './local';
import { VolumeStore, type VolumeRecord } from './store';
import { ANONYMOUS_LABEL, type VolumeDriver } from './types';

/** Finds a volume plugin by name (src/volume/plugin/): NotFoundError when there is none. */
export interface PluginLookup {
  driver(name: string): Promise<VolumeDriver>;
}

export interface VolumeServiceOptions {
  dataRoot: string;
  tdb: TxDb;
  log: Logger;
  plugins?: PluginLookup;
}

/** Mount IDs of the views `docker cp` opens on a stopped container (not a container's: restore unmounts them). */
export const VIEW_MOUNT_PREFIX = 'cp-';

export const volumeEvent = (action: string, name: string, attrs: Record<string, string>): Parameters<EventSink['emit']>[0] => ({
  Type: 'volume',
  Action: action,
  Actor: { ID: name, Attributes: attrs },
});

/** dockerd shows a volume created without labels or options with `null` there. */
/** Keys sorted, as Go's encoder writes a map. */
const nullIfEmpty = (m: Record<string, string>): Record<string, string> | null =>
  Object.keys(m).length > 0 ? Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : null;

export class VolumeService implements VolumeUsage {
  readonly store: VolumeStore;
  readonly local: LocalDriver;
  /** Plugins' volumes: the last path and scope their plugin gave. */
  private readonly pluginPaths = new Map<string, string>();
  private readonly scopes = new Map<string, 'local' | 'global'>();

  constructor(private readonly opts: VolumeServiceOptions) {
    this.store = new VolumeStore(opts.tdb);
    this.local = new LocalDriver(join(opts.dataRoot, 'volumes'), { record: (name) => this.store.get(name) });
  }

  async driver(name: string): Promise<VolumeDriver> {
    if (name === '' || name === 'local') return this.local;
    if (!this.opts.plugins) throw new NotFoundError(`error looking up volume plugin ${name}: plugin "${name}" not found`);
    return this.opts.plugins.driver(name);
  }

  resolve(name: string): VolumeRecord {
    const rec = this.store.get(name);
    if (!rec) throw new NotFoundError(`get ${name}: no such volume`);
    return rec;
  }

  /** dockerd's create: an existing name with the same driver is returned as it is; '' makes an anonymous volume. */
  async create(sink: EventSink, nameIn: string, driverName: string, options: Record<string, string>, labels: Record<string, string>): Promise<VolumeRecord> {
    const anonymous = nameIn === '';
    const name = anonymous ? randomBytes(32).toString('hex') : nameIn;
    const existing = this.store.get(name);
    if (existing) {
      if (driverName !== '' && driverName !== existing.driver) throw new ConflictError(`create ${name}: volume name must be unique`);
      return existing;
    }
    const driver = await this.driver(driverName).catch((err: unknown) => {
      if (err instanceof Error) err.message = `create ${name}: ${err.message}`;
      throw err;
    });
    const allLabels = anonymous ? { ...labels, [ANONYMOUS_LABEL]: '' } : labels;
    try {
      await driver.create(name, options, allLabels);
    } catch (err) {
      if (err instanceof Error) err.message = `create ${name}: ${err.message}`;
      throw err;
    }
    const rec: VolumeRecord = { name, driver: driver.name, createdAt: goRfc3339(Math.floor(Date.now() / 1000)), labels: allLabels, options };
    try {
      this.store.insert(rec);
    } catch (err) {
      await driver.remove(name, { force: true }).catch(() => undefined);
      throw err;
    }
    sink.emit(volumeEvent('create', name, { driver: rec.driver }));
    return rec;
  }

  /**
   * The API's Volume: CreatedAt, Driver, Labels, Mountpoint, Name, Options,
   * Scope (dockerd's order). A plugin's volume asks the plugin its path when
   * `ask` (inspect), else shows the last one known (list, as dockerd's cached path).
   */
  async toApi(rec: VolumeRecord, ask = true): Promise<VolumeSummary> {
    let mountpoint = '';
    let scope: 'local' | 'global' = this.scopes.get(rec.driver) ?? 'local';
    if (rec.driver === 'local') mountpoint = this.local.dataPath(rec.name);
    else if (!ask) mountpoint = this.pluginPaths.get(rec.name) ?? '';
    else {
      try {
        const d = await this.driver(rec.driver);
        mountpoint = await d.path(rec.name);
        this.pluginPaths.set(rec.name, mountpoint);
        scope = (await d.scope?.()) ?? 'local';
        this.scopes.set(rec.driver, scope);
      } catch (err) {
        this.opts.log.warn({ volume: rec.name, err: messageOf(err) }, 'volume path unknown');
      }
    }
    return { CreatedAt: rec.createdAt, Driver: rec.driver, Labels: nullIfEmpty(rec.labels), Mountpoint: mountpoint, Name: rec.name, Options: nullIfEmpty(rec.options), Scope: scope };
  }

  async inspect(name: string): Promise<VolumeSummary> {
    return this.toApi(this.resolve(name));
  }

  private views(): Array<VolumeView & { rec: VolumeRecord }> {
    const counts = this.store.refCounts();
    return this.store.all().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((rec) => ({ rec, name: rec.name, driver: rec.driver, labels: rec.labels, options: rec.options, refs: counts.get(rec.name) ?? 0 }));
  }

  async list(filters: Record<string, string[]>): Promise<{ Volumes: VolumeSummary[]; Warnings: string[] | null }> {
    const match = listFilter(filters);
    const out: VolumeSummary[] = [];
    for (const v of this.views()) if (match(v)) out.push(await this.toApi(v.rec, false));
    return { Volumes: out, Warnings: null };
  }

  /** dockerd's remove: 409 while containers use it; `force` forgets a volume whose driver fails (or a name that is gone). */
  async remove(sink: EventSink, name: string, force: boolean): Promise<void> {
    const rec = this.store.get(name);
    if (!rec) {
      if (force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const refs = this.store.refs(name);
    if (refs.length > 0) throw new ConflictError(`remove ${name}: volume is in use - [${refs.join(', ')}]`);
    try {
      const driver = await this.driver(rec.driver);
      await driver.remove(name, { force });
    } catch (err) {
      if (!force) throw err;
      this.opts.log.warn({ volume: name, err: messageOf(err) }, 'volume driver failed to remove a volume: record removed (force)');
    }
    this.store.delete(name);
    sink.emit(volumeEvent('destroy', name, { driver: rec.driver }));
  }

  async prune(sink: EventSink, filters: Record<string, string[]>, apiVersion: string): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const match = pruneFilter(filters, apiVersion);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.views()) {
      if (!match(v)) continue;
      const size = dirSize(this.local.dataPath(v.name));
      try {
        await this.remove(sink, v.name, false);
      } catch (err) {
        this.opts.log.warn({ volume: v.name, err: messageOf(err) }, 'prune: volume not removed');
        continue;
      }
      deleted.push(v.name);
      reclaimed += size;
    }
    sink.emit(volumeEvent('prune', '', { reclaimed: String(reclaimed) }));
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** system df: local volumes without options, with their size and reference count. */
  diskUsage(): VolumeSummary[] {
    const out: VolumeSummary[] = [];
    for (const v of this.views()) {
      if (v.driver !== 'local' || Object.keys(v.options).length > 0) continue;
      const rec = v.rec;
      const path = this.local.dataPath(rec.name);
      let size = -1;
      try {
        size = dirSize(path);
      } catch {
        // unreadable: -1, as dockerd
      }
      out.push({ CreatedAt: rec.createdAt, Driver: rec.driver, Labels: nullIfEmpty(rec.labels), Mountpoint: path, Name: rec.name, Options: nullIfEmpty(rec.options), Scope: 'local', UsageData: { Size: size, RefCount: v.refs } });
    }
    return out;
  }

  count(): number {
    return this.store.all().length;
  }

  // ---- mounts --------------------------------------------------------------

  /** Mounts the volume for a container (counted per container, kept in the database for restore); its host path. */
  async mount(name: string, containerId: string): Promise<string> {
    const rec = this.resolve(name);
    const driver = await this.driver(rec.driver);
    const path = await driver.mount(name, containerId);
    if (rec.driver !== 'local') this.pluginPaths.set(name, path);
    this.store.addMount(name, containerId);
    return path;
  }

  /** Whether the volume was mounted for that container (an undo after a crash may find it was not). */
  async unmount(name: string, containerId: string): Promise<boolean> {
    const mounted = this.store.hasMount(name, containerId);
    const rec = this.store.get(name);
    if (rec && mounted) {
      const driver = await this.driver(rec.driver);
      await driver.unmount(name, containerId);
    }
    this.store.removeMount(name, containerId);
    return mounted;
  }

  /**
   * After a daemon restart: the mounts of the previous run are counted again
   * (the containers' restore then undoes those of containers that died), and
   * local volume directories no record has are removed.
   */
  async restore(): Promise<void> {
    for (const { name, containerId } of this.store.mounts()) {
      const rec = this.store.get(name);
      if (!rec || containerId.startsWith(VIEW_MOUNT_PREFIX)) {
        // A copy the daemon died in: its view is gone (the archive code detaches leftovers).
        if (rec) await this.unmount(name, containerId).catch((err) => this.opts.log.warn({ volume: name, err: messageOf(err) }, 'restore: unmount of a copy view failed'));
        this.store.removeMount(name, containerId);
        continue;
      }
      try {
        const driver = await this.driver(rec.driver);
        driver.restoreMount?.(name, containerId);
      } catch (err) {
        this.opts.log.warn({ volume: name, err: messageOf(err) }, 'restore: volume driver not found');
      }
    }
    this.local.sweep((name) => this.store.get(name)?.driver === 'local');
  }
}
