// The volume mounts a container record keeps (ContainerRecord.mountPoints) and
// the binds they become at start: see volumes.ts for who fills them.

import type { MountPoint } from '../api/types';
/** One volume (or a --volumes-from bind) of a container, as its record keeps it. */
export interface VolumeMountPoint {
  type: 'volume' | 'bind';
  /** The volume's name ('' for a bind). */
  name: string;
  driver: string;
  /** A bind's host path; a volume's Mountpoint as known at create. */
  source: string;
  destination: string;
  rw: boolean;
  /** The -v mode as given ("z" for a named -v, "" for --mount), shown by inspect. */
  mode: string;
  propagation: string;
  /** Copy the image's content into the volume at the first mount while it is empty. */
  copyData: boolean;
  /** Created for this container (-v /x, image VOLUME, --mount without source): removed by rm -v and --rm. */
  anonymous: boolean;
}

/** A bind for the runtime's spec. */
export interface VolumeBind {
  source: string;
  destination: string;
  readOnly: boolean;
  propagation: string;
}


/** The record's volumes as inspect and ps show them (types.MountPoint). */
export function recordMountPoints(mountPoints: readonly VolumeMountPoint[] | undefined): MountPoint[] {
  return (mountPoints ?? []).map((m) =>
    m.type === 'volume'
      ? { Type: 'volume', Name: m.name, Source: m.source, Destination: m.destination, Driver: m.driver, Mode: m.mode, RW: m.rw, Propagation: m.propagation }
      : { Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.mode, RW: m.rw, Propagation: m.propagation },
  );
}
