// The small interfaces through which the engine reaches its drivers: the image
// graph, the container service and (until volumes exist, an empty) volume store.
// Lifecycle: drivers are constructed by the daemon at start (after the database
// is open and migrated), `restore()`d before the API listens, in RESTORE_ORDER
// (what a later driver restores may need the earlier ones: a container's
// start needs its networks, volumes and image), and `close()`d in the reverse
// order after the listeners stop at shutdown.
//
// The contracts of the drivers to come are written down beside their homes:
// src/runtime/driver.ts (RuntimeDriver), src/network/types.ts (NetworkDriver),
// src/volume/types.ts (VolumeDriver), src/registry/types.ts (DistributionClient).
import type { ContainerSummary, EventMessage, ImageSummary, VolumeSummary } from '../api/types';

/** An event as a driver describes it; the bus (events.ts) stamps time and scope. */
export type EventInput = Pick<EventMessage, 'Type' | 'Action'> & {
  Actor: { ID: string; Attributes?: Record<string, string> };
};

/**
 * Where a driver's events go: the context of the job that caused them (a
 * JobContext is one), so that events leave only through jobs.
 */
export interface EventSink {
  /** Published once the job succeeds. */
  emit(event: EventInput): void;
  /** Published at once: what happened whatever the job's outcome, and must precede what follows (kill, die, stop). */
  emitNow(event: EventInput): void;
}

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
  networks: Driver;
  volumes: VolumeUsage;
  images: ImageUsage;
  containers: ContainerUsage;
  execs: Driver;
}

/** Networks → volumes → images → containers (adopt running shims, undo half-done starts) → execs. */
export const RESTORE_ORDER = ['networks', 'volumes', 'images', 'containers', 'execs'] as const satisfies ReadonlyArray<keyof Drivers>;

export async function restoreDrivers(drivers: Drivers): Promise<void> {
  for (const kind of RESTORE_ORDER) await drivers[kind].restore?.();
}

export async function closeDrivers(drivers: Drivers): Promise<void> {
  for (const kind of [...RESTORE_ORDER].reverse()) await drivers[kind].close?.();
}

/** The drivers of a daemon that has none of that kind yet: empty, never failing. */
export function emptyDrivers(): Drivers {
  return {
    networks: {},
    volumes: { diskUsage: () => [] },
    images: { count: () => 0, diskUsage: () => ({ layersSize: 0, images: [] }) },
    containers: { counts: () => ({ running: 0, paused: 0, stopped: 0 }), diskUsage: () => [] },
    execs: {},
  };
}
