// The user's mounts (HostConfig.Binds, HostConfig.Mounts, HostConfig.Tmpfs),
// parsed and checked with the Linux parser's rules and messages (moby
// daemon/volume/mounts/linux_parser.go). Volumes (-v name:/x, -v /x,
// --mount type=volume) are parsed here and resolved to volumes by the volume
// service at create (src/volume/container-mounts.ts); the image's VOLUMEs and
// --volumes-from are resolved there too. mountPoints() is what inspect and ps
// show of the binds (the record's volume mounts are added by the container views).
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import type { ContainerConfig, HostConfig, MountSpec } from '../api/containers';
import type { MountPoint } from '../api/types';
import { InvalidArgumentError } from '../errors';
import { convertTmpfsOptions } from './tmpfs';

export interface UserBind {
  kind: 'bind';
  source: string;
  destination: string;
  readOnly: boolean;
  /** The -v mode as given ("ro,rslave"; "" for --mount), which inspect shows. */
  mode: string;
  /** rprivate unless given. */
  propagation: string;
  nonRecursive: boolean;
  /** -v creates a missing host directory; --mount refuses it unless CreateMountpoint. */
  createSource: boolean;
}

export interface UserTmpfs {
  kind: 'tmpfs';
  destination: string;
  /** Options as given (size=64m,mode=1777), merged with Docker's defaults later. */
  data: string;
}

/** A named (`name` set) or anonymous (`name` '') volume of -v or --mount type=volume. */
export interface UserVolume {
  kind: 'volume';
  name: string;
  destination: string;
  readOnly: boolean;
  /** The -v mode as given ("ro,nocopy"; "" for --mount), which inspect shows. */
  mode: string;
  /** false for nocopy / volume-nocopy. */
  copyData: boolean;
  /** --mount's volume-driver, or -v with HostConfig.VolumeDriver; '' for the default. */
  driver: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

export type UserMount = UserBind | UserTmpfs | UserVolume;

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const RW_MODES = ['rw', 'ro'];
const LABEL_MODES = ['z', 'Z'];
const COPY_MODES = ['nocopy'];
const CONSISTENCY_MODES = ['consistent', 'cached', 'delegated', 'default'];
const DEFAULT_PROPAGATION = 'rprivate';

/** Go's path.Clean for an absolute path: normalized, no trailing slash (dockerd's MountPoint.Destination). */
const goClean = (p: string): string => {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
};

const invalidSpec = (raw: string): string => `invalid volume specification: '${raw}'`;

function mountConfigError(type: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid mount config for type ${JSON.stringify(type)}: ${why}`);
}


/** The checks Docker makes on any mount destination (Tmpfs keys included). */
export function checkDestination(dest: string): string | undefined {
  if (dest === '/') return "invalid specification: destination can't be '/'";
  if (!dest.startsWith('/')) return `invalid mount path: '${dest}' mount path must be absolute`;
  return undefined;
}

function validMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const kind = [RW_MODES, LABEL_MODES, PROPAGATIONS, COPY_MODES, CONSISTENCY_MODES].findIndex((set) => set.includes(o));
    if (kind < 0) return false;
    counts[kind]!++;
  }
  return counts.every((c) => c <= 1);
}

/** One -v entry: `/host:/ctr[:mode]` (bind), `name:/ctr[:mode]` (named volume) or `/ctr` (anonymous volume). */
export function parseBind(raw: string, volumeDriver = ''): UserBind | UserVolume {
  const arr = raw.split(':');
  if (arr[0] === '' || arr.length > 3) throw new InvalidArgumentError(invalidSpec(raw));
  if (arr.length === 2 && validMode(arr[1]!)) throw new InvalidArgumentError(invalidSpec(raw));
  const [source, target, mode = ''] = (arr.length === 1 ? ['', arr[0]] : arr) as [string, string, string?];
  if (!validMode(mode)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  const isBind = source.startsWith('/');
  const fail = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(`${invalidSpec(raw)}: invalid mount config for type "${isBind ? 'bind' : 'volume'}": ${why}`);
  const modes = mode === '' ? [] : mode.split(',');
  const destError = checkDestination(target);
  if (destError) throw fail(destError);
  const propagation = modes.find((m) => PROPAGATIONS.includes(m));
  if (!isBind) {
    if (propagation) throw fail('field BindOptions must not be specified');
    return {
      kind: 'volume',
      name: source,
      destination: goClean(target),
      readOnly: modes.includes('ro'),
      mode,
      copyData: !modes.includes('nocopy'),
      driver: volumeDriver,
      driverOpts: {},
      labels: {},
    };
  }
  if (modes.includes('nocopy')) throw fail('field VolumeOptions must not be specified');
  return {
    kind: 'bind',
    source: posix.normalize(source),
    destination: posix.normalize(target),
    readOnly: modes.includes('ro'),
    mode,
    propagation: propagation ?? DEFAULT_PROPAGATION,
    nonRecursive: false,
    createSource: true,
  };
}

/** One --mount entry (HostConfig.Mounts): bind or tmpfs. */
export function parseMount(m: MountSpec): UserMount {
  const type = m.Type;
  if (!m.Target) throw mountConfigError(type, 'field Target must not be empty');
  const destError = checkDestination(m.Target);
  if (destError) throw mountConfigError(type, destError);
  const destination = posix.normalize(m.Target);
  switch (type) {
    case 'bind': {
      if (!m.Source) throw mountConfigError(type, 'field Source must not be empty');
      const propagation = m.BindOptions?.Propagation || DEFAULT_PROPAGATION;
      if (!PROPAGATIONS.includes(propagation)) throw mountConfigError(type, `invalid propagation mode: ${propagation}`);
      if (m.VolumeOptions) throw mountConfigError(type, 'field VolumeOptions must not be specified');
      if (m.TmpfsOptions) throw mountConfigError(type, 'field TmpfsOptions must not be specified');
      if (!m.Source.startsWith('/')) throw mountConfigError(type, `invalid mount path: '${m.Source}' mount path must be absolute`);
      const createSource = m.BindOptions?.CreateMountpoint === true;
      if (!createSource && !existsSync(m.Source)) throw mountConfigError(type, `bind source path does not exist: ${m.Source}`);
      return {
        kind: 'bind',
        source: posix.normalize(m.Source),
        destination,
        readOnly: m.ReadOnly === true,
        mode: '',
        propagation,
        nonRecursive: m.BindOptions?.NonRecursive === true,
        createSource,
      };
    }
    case 'tmpfs': {
      if (m.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified');
      if (m.VolumeOptions) throw mountConfigError(type, 'field VolumeOptions must not be specified');
      if (m.Source) throw mountConfigError(type, 'field Source must not be specified');
      return { kind: 'tmpfs', destination, data: convertTmpfsOptions(m.TmpfsOptions, m.ReadOnly === true) };
    }
    case 'volume': {
      if (m.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified');
      if (m.TmpfsOptions) throw mountConfigError(type, 'field TmpfsOptions must not be specified');
      const source = m.Source ?? '';
      if (m.VolumeOptions?.Subpath) throw mountConfigError(type, 'volume subpaths are not supported by tsdocker');
      if (m.ReadOnly && source === '') throw mountConfigError(type, 'must not set ReadOnly mode when using anonymous volumes');
      const driverConfig = m.VolumeOptions?.DriverConfig;
      return {
        kind: 'volume',
        name: source,
        destination: goClean(destination),
        readOnly: m.ReadOnly === true,
        mode: '',
        copyData: m.VolumeOptions?.NoCopy !== true,
        driver: driverConfig?.Name ?? '',
        driverOpts: driverConfig?.Options ?? {},
        labels: m.VolumeOptions?.Labels ?? {},
      };
    }
    case 'image':
    case 'npipe':
    case 'cluster':
      throw mountConfigError(type, `mount type ${JSON.stringify(type)} is not supported by tsdocker`);
    default:
      throw mountConfigError(type, 'mount type unknown');
  }
}

/** Binds, then Mounts, then Tmpfs (by destination), checked; a destination used twice by the first two is refused. */
export function userMounts(config: Pick<ContainerConfig, 'Volumes'>, hostConfig: HostConfig): UserMount[] {
  const out: UserMount[] = [];
  const seen = new Set<string>();
  const add = (m: UserMount): void => {
    if (seen.has(m.destination)) throw new InvalidArgumentError(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
    out.push(m);
  };
  for (const raw of hostConfig.Binds ?? []) add(parseBind(raw, hostConfig.VolumeDriver ?? ''));
  for (const m of hostConfig.Mounts ?? []) add(parseMount(m));
  for (const dest of Object.keys(config.Volumes ?? {})) {
    // The image's VOLUMEs become anonymous volumes (src/volume/container-mounts.ts) unless a mount covers them.
    const destError = checkDestination(dest);
    if (destError) throw new InvalidArgumentError(destError);
  }
  for (const [dest, data] of Object.entries(hostConfig.Tmpfs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const destError = checkDestination(dest);
    if (destError) throw new InvalidArgumentError(destError);
    out.push({ kind: 'tmpfs', destination: posix.normalize(dest), data });
  }
  return out;
}

/**
 * The mounts inspect, GET /containers/json and ps list (dockerd's MountPoints):
 * each -v bind and --mount bind or tmpfs, not HostConfig.Tmpfs (dockerd leaves
 * --tmpfs out); volumes are the record's (ContainerRecord.mountPoints).
 * Read from a stored HostConfig, checked at create: nothing on disk is asked.
 */
export function mountPoints(hostConfig: HostConfig): MountPoint[] {
  const out: MountPoint[] = [];
  for (const raw of hostConfig.Binds ?? []) {
    const b = parseBind(raw);
    if (b.kind !== 'bind') continue;
    out.push({ Type: 'bind', Source: b.source, Destination: b.destination, Mode: b.mode, RW: !b.readOnly, Propagation: b.propagation });
  }
  for (const m of hostConfig.Mounts ?? []) {
    const point = { Destination: posix.normalize(m.Target), Mode: '', RW: m.ReadOnly !== true };
    if (m.Type === 'bind') out.push({ Type: 'bind', Source: posix.normalize(m.Source ?? ''), ...point, Propagation: m.BindOptions?.Propagation || DEFAULT_PROPAGATION });
    else if (m.Type === 'tmpfs') out.push({ Type: 'tmpfs', Source: '', ...point, Propagation: '' });
  }
  return out;
}
