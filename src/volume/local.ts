// The `local` volume driver, dockerd's: a volume is a directory
// <data-root>/volumes/<name>/_data (the volume's directory 0700, _data 0755
// as dockerd makes it). With options (`-o type=… -o device=… -o o=…`) the
// device is mounted on _data at the volume's first mount and unmounted at its
// last: a tmpfs with a size, a bind of a host directory (o=bind), or any
// filesystem mount(2) knows. Mounts are counted per container (the contract
// in types.ts); restoreMount() re-counts one after a daemon restart without
// mounting again.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError, TsdError, isErrno, messageOf } from '../errors';
import { MNT_DETACH, isNativeError, mount, umount2 } from '../native';
import { isMounted } from '../container/files';
import { mkdirPrivate } from '../state/dirs';
import { MOUNT_FLAGS, parseMountOptions } from './mount-opts';
import type { VolumeDriver, VolumeInfo } from './types';

/** Go's texts of the errors mount(2) gives. */
const GO_ERRNO: Record<string, string> = {
  ENODEV: 'no such device',
  ENOENT: 'no such file or directory',
  EINVAL: 'invalid argument',
  EPERM: 'operation not permitted',
  EACCES: 'permission denied',
  EBUSY: 'device or resource busy',
  ENOTDIR: 'not a directory',
  ENOTBLK: 'block device required',
};

const VALID_OPTS = new Set(['type', 'o', 'device', 'size']);
const MANDATORY: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** dockerd's check of a local volume's name. */
export function checkLocalName(name: string): void {
  if (name.length === 1) throw new InvalidArgumentError('volume name is too short, names should be at least two alphanumeric characters');
  if (!NAME_RE.test(name)) {
    throw new InvalidArgumentError(
      `${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

/** dockerd's validateOpts (no quota support here, as on a filesystem without project quotas). */
export function checkLocalOptions(opts: Record<string, string>): void {
  for (const k of Object.keys(opts)) if (!VALID_OPTS.has(k)) throw new InvalidArgumentError(`invalid option: ${JSON.stringify(k)}`);
  if (opts.size !== undefined && opts.size !== '0') throw new InvalidArgumentError('quota size requested but no quota support');
  for (const [opt, required] of Object.entries(MANDATORY)) {
    if (opts[opt] === undefined) continue;
    for (const r of required) if (opts[r] === undefined) throw new InvalidArgumentError(`missing required option: ${JSON.stringify(r)}`);
  }
}

export interface LocalRecordSource {
  /** The volume's record (options, labels, creation time) as the service keeps it. */
  record(name: string): { options: Record<string, string>; labels: Record<string, string>; createdAt: string } | undefined;
}

export class LocalDriver implements VolumeDriver {
  readonly name = 'local';
  private readonly active = new Map<string, Set<string>>();

  constructor(
    readonly root: string,
    private readonly records: LocalRecordSource,
  ) {
    mkdirPrivate(root);
  }

  private dir(name: string): string {
    return join(this.root, name);
  }

  dataPath(name: string): string {
    return join(this.root, name, '_data');
  }

  private needsMount(name: string): boolean {
    const o = this.records.record(name)?.options ?? {};
    return (o.device ?? '') !== '' || (o.type ?? '') !== '';
  }

  async create(name: string, options: Record<string, string>, labels: Record<string, string>): Promise<VolumeInfo> {
    checkLocalName(name);
    checkLocalOptions(options);
    mkdirSync(this.dir(name), { recursive: true, mode: 0o700 });
    mkdirSync(this.dataPath(name), { recursive: true, mode: 0o755 });
    return { name, driver: this.name, mountpoint: this.dataPath(name), options, labels, createdAt: '', scope: 'local' };
  }

  async remove(name: string): Promise<void> {
    if ((this.active.get(name)?.size ?? 0) > 0) throw new ConflictError(`remove ${name}: volume is in use`);
    const data = this.dataPath(name);
    if (this.needsMount(name) && existsSync(data) && isMounted(data)) this.unmountData(name);
    // Never remove through a mount: a bind's host directory would go with it.
    if (existsSync(data) && isMounted(data)) throw new TsdError(`remove ${name}: volume is still mounted at ${data}`);
    rmSync(this.dir(name), { recursive: true, force: true });
  }

  async mount(name: string, containerId: string): Promise<string> {
    const data = this.dataPath(name);
    if (!existsSync(data)) throw new NotFoundError(`get ${name}: no such volume`);
    const users = this.active.get(name) ?? new Set<string>();
    if (this.needsMount(name) && users.size === 0 && !isMounted(data)) this.mountData(name);
    users.add(containerId);
    this.active.set(name, users);
    return data;
  }

  restoreMount(name: string, containerId: string): void {
    const users = this.active.get(name) ?? new Set<string>();
    users.add(containerId);
    this.active.set(name, users);
  }

  async unmount(name: string, containerId: string): Promise<void> {
    const users = this.active.get(name);
    if (!users?.delete(containerId)) return;
    if (users.size > 0) return;
    this.active.delete(name);
    if (this.needsMount(name) && isMounted(this.dataPath(name))) this.unmountData(name);
  }

  async path(name: string): Promise<string> {
    return this.dataPath(name);
  }

  async get(name: string): Promise<VolumeInfo> {
    const rec = this.records.record(name);
    if (!rec || !existsSync(this.dir(name))) throw new NotFoundError(`get ${name}: no such volume`);
    return { name, driver: this.name, mountpoint: this.dataPath(name), options: rec.options, labels: rec.labels, createdAt: rec.createdAt, scope: 'local' };
  }

  async list(): Promise<VolumeInfo[]> {
    const out: VolumeInfo[] = [];
    for (const name of readdirSync(this.root)) {
      const rec = this.records.record(name);
      if (rec) out.push({ name, driver: this.name, mountpoint: this.dataPath(name), options: rec.options, labels: rec.labels, createdAt: rec.createdAt, scope: 'local' });
    }
    return out;
  }

  /** Directories of volumes no record has (a create the daemon died in): removed unless mounted. */
  sweep(known: (name: string) => boolean): void {
    for (const name of readdirSync(this.root)) {
      if (name.startsWith('.') || known(name)) continue;
      const data = this.dataPath(name);
      if (existsSync(data) && isMounted(data)) continue;
      rmSync(this.dir(name), { recursive: true, force: true });
    }
  }

  private mountData(name: string): void {
    const o = this.records.record(name)?.options ?? {};
    const device = o.device ?? '';
    if (device === '') throw new TsdError('missing device in volume options');
    const { flags, data } = parseMountOptions(o.o ?? '');
    const target = this.dataPath(name);
    const { MS_BIND, MS_RDONLY, MS_REMOUNT } = MOUNT_FLAGS;
    try {
      mount(device, target, o.type ?? null, flags & ~MS_RDONLY | (flags & MS_BIND ? 0 : flags & MS_RDONLY), data || null);
      // A read-only bind is a bind, then a remount (mount(2) ignores MS_RDONLY on the first).
      if (flags & MS_BIND && flags & MS_RDONLY) mount('', target, null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
    } catch (err) {
      // moby/sys/mount's message, wrapped as dockerd's volume mount.
      const why = isNativeError(err) ? (GO_ERRNO[err.code] ?? err.message) : messageOf(err);
      const dataPart = data ? `, data: ${data}` : '';
      throw new TsdError(`error while mounting volume '${target}': failed to mount local volume: mount ${device}:${target}, flags: 0x${flags.toString(16)}${dataPart}: ${why}`);
    }
  }

  private unmountData(name: string): void {
    try {
      umount2(this.dataPath(name), MNT_DETACH);
    } catch (err) {
      if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT')) throw err;
    }
  }
}
