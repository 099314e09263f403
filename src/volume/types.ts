// The volume driver's contract (`local` first, then plugins): interfaces
// only, the issue that brings volumes fills them in. The Docker volume plugin
// protocol (/VolumeDriver.Create, .Remove, .Mount, .Unmount, .Path, .Get,
// .List, .Capabilities over HTTP on the plugin's socket) maps onto it one
// call for one call, so a plugin is one more implementation.
//
// Lifecycle of a volume
//   1. create() makes it (`docker volume create`, or a `-v name:/path` of a
//      name not yet known, in the container create's job). The engine then
//      commits the volume's record; a create whose record commit fails is
//      followed by remove(). create() of an existing name with the same
//      options returns it (dockerd's idempotent create).
//   2. A container's references (the volume refs of its create transaction)
//      keep it: remove() is called only once no container refers to it (the
//      job refuses with ConflictError "volume is in use" before), or with
//      `force` for a plugin's volume whose plugin is gone.
//   3. mount(name, containerId) is the start pipeline's `mounts` step
//      (src/container/start-steps.ts): it returns the host path to bind; the
//      first mount of a volume that is empty copies the image's content at
//      the mount point up into it (copy-up, as dockerd does). unmount() is
//      that step's undo (failed start, exit, stop, removal, and at restore for
//      a start a crash interrupted): idempotent, and counted per containerId
//      so that one container's exit does not unmount another's volume.
//   4. path() answers inspect's Mountpoint without mounting.
//
// restore() (after networks, before images and containers) checks every
// volume record against what is on disk and drops the mount counts of
// containers that no longer run.
import type { Driver } from '../engine/drivers';

/** Docker's label of a volume created without a name (what `volume prune` removes unless --all). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface VolumeInfo {
  name: string;
  driver: string;
  /** Where the volume's files are on the host (Mountpoint). */
  mountpoint: string;
  options: Record<string, string>;
  labels: Record<string, string>;
  /** RFC 3339. */
  createdAt: string;
  /** 'local' or 'global' (Capabilities.Scope). */
  scope: 'local' | 'global';
}

export interface VolumeDriver extends Driver {
  /** The driver's name as volumes give it (`local`, or a plugin's). */
  readonly name: string;
  create(name: string, options: Record<string, string>, labels: Record<string, string>): Promise<VolumeInfo>;
  remove(name: string, opts?: { force?: boolean }): Promise<void>;
  /** The host path to bind into the container; counted per container. */
  mount(name: string, containerId: string): Promise<string>;
  unmount(name: string, containerId: string): Promise<void>;
  path(name: string): Promise<string>;
  get(name: string): Promise<VolumeInfo>;
  list(): Promise<VolumeInfo[]>;
  /** After a daemon restart: counts a mount that survived (live-restore) without mounting again. */
  restoreMount?(name: string, containerId: string): void;
  /** Capabilities.Scope ('local' for the local driver). */
  scope?(): Promise<'local' | 'global'>;
}
