// The container side of volumes (src/container/volumes.ts's ContainerVolumes),
// as dockerd's registerMountPoints and setupMounts do it:
//   create  -v name:/x and --mount type=volume (named, created if new), -v /x
//           and --mount without a source (anonymous), --volumes-from (the
//           other container's volumes and binds, ro when asked), then the
//           image's VOLUMEs that no mount covers (anonymous): rec.mountPoints
//   start   each volume mounted, the image's content copied up into a new one
//   remove  references dropped; with rm -v / --rm the anonymous volumes too
import { createHash, randomBytes } from 'node:crypto';
import { posix, join } from 'node:path';
import type { Logger } from 'pino';
import { hostPath } from '../archive/scope';
import type { EventSink } from '../engine/drivers';
import { InvalidArgumentError, NotFoundError, messageOf } from '../errors';
import type { ContainerVolumes, VolumeBind, VolumeMountPoint } from '../container/volumes';
import type { ContainerRecord } from '../container/store';
import { userMounts, type UserVolume } from '../runtime/mount-specs';
import type { Tx } from '../state/tx';
import { copyUp } from './copy-up';
import { VIEW_MOUNT_PREFIX, volumeEvent, type VolumeService } from './service';

const RW_MODES = new Set(['rw', 'ro']);
const VALID_FROM_MODES = new Set(['rw', 'ro', 'z', 'Z', 'consistent', 'cached', 'delegated', 'default']);

/** dockerd's ParseVolumesFrom: `name[:mode]`, no propagation or copy modes. */
export function parseVolumesFrom(spec: string): { ref: string; mode: string } {
  if (spec === '') throw new InvalidArgumentError('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  if (i < 0) return { ref: spec, mode: 'rw' };
  const mode = spec.slice(i + 1);
  const parts = mode.split(',');
  const ok = parts.every((p) => VALID_FROM_MODES.has(p)) && parts.filter((p) => RW_MODES.has(p)).length <= 1;
  if (!ok) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  return { ref: spec.slice(0, i), mode };
}

/** The container --volumes-from names; a missing one is a 400 (not a 404, which the CLI would take for a missing image). */
function findForVolumesFrom(find: (ref: string) => ContainerRecord, ref: string): ContainerRecord {
  try {
    return find(ref);
  } catch (err) {
    if (err instanceof NotFoundError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

export class ContainerVolumeMounts implements ContainerVolumes {
  /** Anonymous volumes created by a prepare() whose create has not committed yet. */
  private readonly pending = new Map<string, string[]>();

  constructor(
    private readonly volumes: VolumeService,
    private readonly log: Logger,
  ) {}

  async prepare(sink: EventSink, rec: ContainerRecord, find: (ref: string) => ContainerRecord): Promise<void> {
    const hc = rec.hostConfig;
    const points: VolumeMountPoint[] = [];
    const created: string[] = [];
    this.pending.set(rec.id, created);
    const user = userMounts(rec.config, hc);
    const taken = new Set(user.map((m) => m.destination));
    for (const m of user) {
      if (m.kind !== 'volume') continue;
      points.push(await this.volumePoint(sink, m, created, true));
    }
    for (const spec of hc.VolumesFrom ?? []) {
      const { ref, mode } = parseVolumesFrom(spec);
      const other = findForVolumesFrom(find, ref);
      const readOnly = mode.split(',').includes('ro');
      for (const p of this.pointsOf(other)) {
        if (taken.has(p.destination)) continue;
        taken.add(p.destination);
        points.push({ ...p, rw: p.rw && !readOnly, mode: '', copyData: false, anonymous: false });
      }
    }
    for (const t of Object.keys(hc.Tmpfs ?? {})) taken.add(posix.normalize(t));
    for (const dest of Object.keys(rec.config.Volumes ?? {}).sort()) {
      const destination = posix.normalize(dest).replace(/(.)\/$/, '$1');
      if (taken.has(destination)) continue;
      taken.add(destination);
      const m: UserVolume = { kind: 'volume', name: '', destination, readOnly: false, mode: '', copyData: true, driver: hc.VolumeDriver ?? '', driverOpts: {}, labels: {} };
      points.push(await this.volumePoint(sink, m, created, false));
    }
    if (points.length > 0) rec.mountPoints = points;
  }

  /** The volumes and binds another container shares with --volumes-from. */
  private pointsOf(other: ContainerRecord): VolumeMountPoint[] {
    const out = [...(other.mountPoints ?? [])];
    for (const m of userMounts(other.config, other.hostConfig)) {
      if (m.kind !== 'bind' || out.some((p) => p.destination === m.destination)) continue;
      out.push({ type: 'bind', name: '', driver: '', source: m.source, destination: m.destination, rw: !m.readOnly, mode: m.mode, propagation: m.propagation, copyData: false, anonymous: false });
    }
    return out;
  }

  /** `user`: from -v or --mount (dockerd shows mode "z" for a local one given without a mode), not an image VOLUME. */
  private async volumePoint(sink: EventSink, m: UserVolume, created: string[], user: boolean): Promise<VolumeMountPoint> {
    const vol = await this.volumes.create(sink, m.name, m.driver, m.driverOpts, m.labels);
    if (m.name === '') created.push(vol.name);
    const api = await this.volumes.toApi(vol);
    // dockerd's setBindModeIfNull.
    const mode = user && vol.driver === 'local' && m.mode === '' ? 'z' : m.mode;
    return {
      type: 'volume',
      name: vol.name,
      driver: vol.driver,
      source: api.Mountpoint,
      destination: m.destination,
      rw: !m.readOnly,
      mode,
      propagation: '',
      copyData: m.copyData,
      anonymous: m.name === '',
    };
  }

  hold(tx: Tx, rec: ContainerRecord): void {
    this.pending.delete(rec.id);
    for (const p of rec.mountPoints ?? []) if (p.type === 'volume') this.volumes.store.addRef(tx, p.name, rec.id);
  }

  async abandon(rec: ContainerRecord): Promise<void> {
    const created = this.pending.get(rec.id) ?? [];
    this.pending.delete(rec.id);
    const quiet: EventSink = { emit: () => undefined, emitNow: () => undefined };
    for (const name of created) await this.volumes.remove(quiet, name, true).catch(() => undefined);
  }

  async mount(rec: ContainerRecord, rootfs: string, sink?: EventSink): Promise<VolumeBind[]> {
    const binds: VolumeBind[] = [];
    for (const p of rec.mountPoints ?? []) {
      let source = p.source;
      if (p.type === 'volume') {
        source = await this.volumes.mount(p.name, rec.id);
        if (p.copyData) await copyUp(hostPath(rootfs, p.destination, true), source, this.markerOf(p.name));
        // dockerd's attributes of a volume's `mount` event.
        sink?.emit(volumeEvent('mount', p.name, { container: rec.id, destination: p.destination, driver: p.driver, propagation: p.propagation, 'read/write': String(p.rw) }));
      }
      binds.push({ source, destination: p.destination, readOnly: !p.rw, propagation: p.propagation || 'rprivate' });
    }
    return binds;
  }

  /** The copy-up marker of a volume: named by a hash, since a plugin's volume name may hold any character. */
  private markerOf(name: string): string {
    return join(this.volumes.local.root, '.copy-up', createHash('sha256').update(name).digest('hex'));
  }

  async unmount(rec: ContainerRecord, sink?: EventSink): Promise<void> {
    for (const p of rec.mountPoints ?? []) {
      if (p.type !== 'volume') continue;
      try {
        if (await this.volumes.unmount(p.name, rec.id)) sink?.emit(volumeEvent('unmount', p.name, { container: rec.id, driver: p.driver }));
      } catch (err) {
        this.log.warn({ id: rec.id, volume: p.name, err: messageOf(err) }, 'volume unmount failed');
      }
    }
  }

  release(tx: Tx, rec: ContainerRecord): void {
    this.volumes.store.releaseContainer(tx, rec.id);
  }

  async afterRemove(sink: EventSink, rec: ContainerRecord, removeAnonymous: boolean): Promise<void> {
    if (!removeAnonymous) return;
    for (const p of rec.mountPoints ?? []) {
      if (p.type !== 'volume' || !p.anonymous) continue;
      // Still used by another container (--volumes-from): kept, as dockerd.
      await this.volumes.remove(sink, p.name, false).catch((err) => this.log.info({ id: rec.id, volume: p.name, err: messageOf(err) }, 'anonymous volume kept'));
    }
  }

  async openView(rec: ContainerRecord): Promise<{ binds: VolumeBind[]; release(): Promise<void> }> {
    const points = rec.mountPoints ?? [];
    const bind = (p: VolumeMountPoint, source: string): VolumeBind => ({ source, destination: p.destination, readOnly: !p.rw, propagation: p.propagation || 'rprivate' });
    if (rec.state.Running || rec.state.Paused) {
      return { binds: points.map((p) => bind(p, p.type === 'volume' && p.driver === 'local' ? this.volumes.local.dataPath(p.name) : p.source)), release: async () => undefined };
    }
    const viewId = `${VIEW_MOUNT_PREFIX}${randomBytes(16).toString('hex')}`;
    const mounted: string[] = [];
    const release = async (): Promise<void> => {
      for (const name of mounted) await this.volumes.unmount(name, viewId).catch((err) => this.log.warn({ volume: name, err: messageOf(err) }, 'volume unmount after a copy failed'));
    };
    const binds: VolumeBind[] = [];
    try {
      for (const p of points) {
        if (p.type !== 'volume') {
          binds.push(bind(p, p.source));
          continue;
        }
        binds.push(bind(p, await this.volumes.mount(p.name, viewId)));
        mounted.push(p.name);
      }
    } catch (err) {
      await release();
      throw err;
    }
    return { binds, release };
  }
}
