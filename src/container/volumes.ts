// What the container service asks of the volume service (src/volume/), so the
// container side never imports it: the volume service implements this.
//
//   create   prepare() resolves the container's volume mounts (-v name:/x,
//            -v /x, --mount type=volume, the image's VOLUMEs, --volumes-from)
//            into rec.mountPoints, creating the volumes that do not exist yet;
//            hold() adds the volume references in the create's transaction;
//            a create that fails after prepare() calls abandon().
//   start    mount() (the pipeline's `volumes` step) mounts each volume for
//            the container, copies the image's content up into a new one, and
//            returns the binds the runtime adds to the spec; unmount() is the
//            step's undo (idempotent, from the record alone).
//   remove   release() drops the references in the removal's transaction;
//            afterRemove() then removes the anonymous volumes (rm -v, --rm).
import type { EventSink } from '../engine/drivers';
import type { Tx } from '../state/tx';
import type { VolumeBind } from './mount-points';
import type { ContainerRecord } from './store';

export type { VolumeBind, VolumeMountPoint } from './mount-points';

export interface ContainerVolumes {
  prepare(sink: EventSink, rec: ContainerRecord, find: (ref: string) => ContainerRecord): Promise<void>;
  hold(tx: Tx, rec: ContainerRecord): void;
  abandon(rec: ContainerRecord): Promise<void>;
  /** `sink`: where the volume `mount` events go (the start's job). */
  mount(rec: ContainerRecord, rootfs: string, sink?: EventSink): Promise<VolumeBind[]>;
  /** `sink`: where the volume `unmount` events go (absent at restore). */
  unmount(rec: ContainerRecord, sink?: EventSink): Promise<void>;
  release(tx: Tx, rec: ContainerRecord): void;
  afterRemove(sink: EventSink, rec: ContainerRecord, removeAnonymous: boolean): Promise<void>;
  /**
   * The container's volumes as host paths for a view of its files (docker
   * cp): those of a running container as they are mounted, those of a stopped
   * one mounted for the view (under a mount ID of its own) until release().
   */
  openView(rec: ContainerRecord): Promise<{ binds: VolumeBind[]; release(): Promise<void> }>;
}
