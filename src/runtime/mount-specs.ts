// The user's mounts (HostConfig.Binds, HostConfig.Mounts, HostConfig.Tmpfs),
// parsed and checked with the Linux parser's rules and messages (moby
// daemon/volume/mounts/linux_parser.go). Volumes are not implemented yet and
// are refused rather than ignored. mountPoints() is what inspect and ps show of them.
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

export type UserMount = UserBind | UserTmpfs;

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const RW_MODES = ['rw', 'ro'];
const LABEL_MODES = ['z', 'Z'];
const COPY_MODES = ['nocopy'];
const CONSISTENCY_MODES = ['consistent', 'cached', 'delegated', 'default'];
const DEFAULT_PROPAGATION = 'rprivate';

const invalidSpec = (raw: string): string => `invalid volume specification: '${raw}'`;

function mountConfigError(type: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid mount config for type ${JSON.stringify(type)}: ${why}`);
}

function volumesNotSupported(what: string): InvalidArgumentError {
  return new InvalidArgumentError(`volumes are not supported by tsdocker yet (${what}): use a bind mount (-v /host/path:${what}) or --tmpfs`);
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

/** One -v entry: `/host:/ctr[:mode]` (bind); named and anonymous volumes are refused. */
export function parseBind(raw: string): UserBind {
  const arr = raw.split(':');
  if (arr[0] === '' || arr.length > 3) throw new InvalidArgumentError(invalidSpec(raw));
  if (arr.length === 1) throw volumesNotSupported(arr[0]!);
  if (arr.length === 2 && validMode(arr[1]!)) throw new InvalidArgumentError(invalidSpec(raw));
  const [source, target, mode = ''] = arr as [string, string, string?];
  if (!validMode(mode)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  if (!source.startsWith('/')) throw volumesNotSupported(target);
  const fail = (why: string): InvalidArgumentError => new InvalidArgumentError(`${invalidSpec(raw)}: invalid mount config for type "bind": ${why}`);
  const modes = mode === '' ? [] : mode.split(',');
  if (modes.includes('nocopy')) throw fail('field VolumeOptions must not be specified');
  const destError = checkDestination(target);
  if (destError) throw fail(destError);
  return {
    kind: 'bind',
    source: posix.normalize(source),
    destination: posix.normalize(target),
    readOnly: modes.includes('ro'),
    mode,
    propagation: modes.find((m) => PROPAGATIONS.includes(m)) ?? DEFAULT_PROPAGATION,
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
    case 'volume':
      throw volumesNotSupported(m.Target);
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
  for (const raw of hostConfig.Binds ?? []) add(parseBind(raw));
  for (const m of hostConfig.Mounts ?? []) add(parseMount(m));
  for (const dest of Object.keys(config.Volumes ?? {})) {
    // The image's VOLUMEs become anonymous volumes in Docker unless a mount covers them.
    if (!seen.has(posix.normalize(dest)) && !(dest in (hostConfig.Tmpfs ?? {}))) throw volumesNotSupported(dest);
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
 * each -v bind and --mount, not HostConfig.Tmpfs (dockerd leaves --tmpfs out).
 * Read from a stored HostConfig, checked at create: nothing on disk is asked.
 */
export function mountPoints(hostConfig: HostConfig): MountPoint[] {
  const out: MountPoint[] = [];
  for (const raw of hostConfig.Binds ?? []) {
    const b = parseBind(raw);
    out.push({ Type: 'bind', Source: b.source, Destination: b.destination, Mode: b.mode, RW: !b.readOnly, Propagation: b.propagation });
  }
  for (const m of hostConfig.Mounts ?? []) {
    const point = { Destination: posix.normalize(m.Target), Mode: '', RW: m.ReadOnly !== true };
    if (m.Type === 'bind') out.push({ Type: 'bind', Source: posix.normalize(m.Source ?? ''), ...point, Propagation: m.BindOptions?.Propagation || DEFAULT_PROPAGATION });
    else if (m.Type === 'tmpfs') out.push({ Type: 'tmpfs', Source: '', ...point, Propagation: '' });
  }
  return out;
}
