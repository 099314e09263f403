// The small interfaces through which the engine reaches its drivers: the image
// graph, the container service and (until volumes exist, an empty) volume store.
// Lifecycle: drivers are constructed by the daemon at start (after the database
// is open and migrated), `restore()`d before the API listens, and `close()`d
// after the listeners stop at shutdown.
import type { ContainerSummary, ImageSummary, VolumeSummary } from '../api/types';

export interface Driver {
  /** Repairs in-memory and on-disk state from what a previous run left. */
  restore?(): Promise<void>;
  close?(): Promise<void>;
}

/** What system-wide queries (/info, /system/df) need from the image graph. */
export interface ImageUsage extends Driver {
  count(): number;
  diskUsage(): { layersSize: number; images: ImageSummary[] };
}

/** What system-wide queries need from the container store. */
export interface ContainerUsage extends Driver {
  counts(): { running: number; paused: number; stopped: number };
  diskUsage(): ContainerSummary[];
}

/** What system-wide queries need from the volume store. */
export interface VolumeUsage extends Driver {
  diskUsage(): VolumeSummary[];
}

export interface Drivers {
  images: ImageUsage;
  containers: ContainerUsage;
  volumes: VolumeUsage;
}

/** The drivers of a daemon that has none of that kind yet: empty, never failing. */
export function emptyDrivers(): Drivers {
  return {
    images: { count: () => 0, diskUsage: () => ({ layersSize: 0, images: [] }) },
    containers: { counts: () => ({ running: 0, paused: 0, stopped: 0 }), diskUsage: () => [] },
    volumes: { diskUsage: () => [] },
  };
}
