// The spec's mounts, assembled as dockerd's WithMounts does: Docker's default
// mounts minus those a user mount replaces, /dev/shm sized by ShmSize, then the
// user's binds and tmpfs mounts with the etc files (resolv.conf, hostname,
// hosts) sorted by depth so a parent is mounted before its children.
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { posix } from 'node:path';
import type { HostConfig } from '../api/containers';
import { TsdError } from '../errors';
import { DEFAULT_SHM_SIZE, defaultMounts } from './defaults';
import type { UserBind, UserMount } from './mount-specs';
import type { OciMount } from './oci-types';
import { tmpfsMountOptions } from './tmpfs';

export interface MountPlan {
  hostConfig: HostConfig;
  user: UserMount[];
  /** Volumes (and --volumes-from binds) already mounted on the host, bound as they are. */
  volumeBinds: ReadonlyArray<{ source: string; destination: string; readOnly: boolean; propagation: string }>;
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** Mounts added to Docker's defaults before filtering (the docker-init bind). */
  extraDefaults: OciMount[];
  writableCgroups: boolean;
}

export interface MountResult {
  mounts: OciMount[];
  rootfsPropagation?: string;
}

const DEFAULT_VOLUME_PROPAGATION = 'rprivate';

/** Destinations Docker keeps writable under a read-only rootfs. */
const KEEP_WRITABLE = new Set(['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev']);

function depth(dest: string): number {
  return posix.normalize(dest).split('/').length;
}

function withoutRo(m: OciMount): OciMount {
  return { ...m, options: (m.options ?? []).filter((o) => o !== 'ro') };
}

/** The mountinfo optional fields (shared:N, master:N) of the mount holding `path`. */
function propagationOf(path: string): { mountPoint: string; optional: string } {
  const real = realpathSync(path);
  let best = { mountPoint: '', optional: '' };
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left] = line.split(' - ');
    const f = (left ?? '').split(' ');
    const mountPoint = f[4];
    if (mountPoint === undefined) continue;
    const inside = mountPoint === '/' || real === mountPoint || real.startsWith(`${mountPoint}/`);
    if (inside && mountPoint.length >= best.mountPoint.length) best = { mountPoint, optional: f.slice(6).join(' ') };
  }
  return best;
}

/** Docker's checks for a shared or slave bind, and the rootfs propagation it then needs. */
function rootPropagationFor(b: UserBind, current: string | undefined): string | undefined {
  const shared = b.propagation === 'shared' || b.propagation === 'rshared';
  const slave = b.propagation === 'slave' || b.propagation === 'rslave';
  if (!shared && !slave) return current;
  const { mountPoint, optional } = propagationOf(b.source);
  const fields = optional.split(' ');
  const isShared = fields.some((o) => o.startsWith('shared:'));
  const isSlave = fields.some((o) => o.startsWith('master:'));
  if (shared) {
    if (!isShared) throw new TsdError(`path ${b.source} is mounted on ${mountPoint} but it is not a shared mount`);
    return current === 'shared' || current === 'rshared' ? current : 'shared';
  }
  if (!isShared && !isSlave) throw new TsdError(`path ${b.source} is mounted on ${mountPoint} but it is not a shared or slave mount`);
  return current && ['shared', 'rshared', 'slave', 'rslave'].includes(current) ? current : 'rslave';
}

function bindMount(source: string, destination: string, readOnly: boolean, propagation: string, nonRecursive = false): OciMount {
  const options = [nonRecursive ? 'bind' : 'rbind'];
  if (readOnly) options.push('ro');
  options.push(propagation);
  return { destination, type: 'bind', source, options };
}

export function buildMounts(plan: MountPlan): MountResult {
  const hc = plan.hostConfig;
  const readOnlyRoot = hc.ReadonlyRootfs === true;
  const ipc = hc.IpcMode ?? '';
  let rootfsPropagation: string | undefined;

  // The user's mounts, the etc files and the IPC bind, in Docker's order, then sorted by depth.
  const ms: OciMount[] = [];
  const taken = new Set([...plan.user.map((m) => m.destination), ...plan.volumeBinds.map((v) => v.destination)]);
  for (const m of plan.user) {
    if (m.kind !== 'bind') continue;
    if (m.createSource && !existsSync(m.source)) mkdirSync(m.source, { recursive: true, mode: 0o755 }); // -v creates a missing host directory
    rootfsPropagation = rootPropagationFor(m, rootfsPropagation);
    ms.push(bindMount(m.source, m.destination, m.readOnly, m.propagation, m.nonRecursive));
  }
  for (const v of plan.volumeBinds) ms.push(bindMount(v.source, v.destination, v.readOnly, v.propagation || DEFAULT_VOLUME_PROPAGATION));
  const etc: Array<[string, string]> = [
    [plan.etcFiles.resolvConf, '/etc/resolv.conf'],
    [plan.etcFiles.hostname, '/etc/hostname'],
    [plan.etcFiles.hosts, '/etc/hosts'],
  ];
  for (const [source, destination] of etc) if (!taken.has(destination)) ms.push(bindMount(source, destination, readOnlyRoot, 'rprivate'));
  if (ipc === 'host' && !taken.has('/dev/shm')) ms.push(bindMount('/dev/shm', '/dev/shm', false, 'rprivate'));
  for (const m of plan.user) {
    if (m.kind === 'tmpfs') ms.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: tmpfsMountOptions(m.data) });
  }
  ms.sort((a, b) => depth(a.destination) - depth(b.destination));

  const userDests = new Set(ms.map((m) => m.destination));
  const devMounted = userDests.has('/dev');
  const defaults: OciMount[] = [];
  for (const m of [...defaultMounts(), ...plan.extraDefaults]) {
    if (userDests.has(m.destination)) continue;
    if (devMounted && m.destination.startsWith('/dev/')) continue;
    let mount = m;
    if (m.destination === '/dev/shm') {
      if (ipc === 'none') continue;
      mount = { ...m, options: [...(m.options ?? []), `size=${hc.ShmSize || DEFAULT_SHM_SIZE}`] };
    }
    if (readOnlyRoot && !KEEP_WRITABLE.has(mount.destination) && !(mount.options ?? []).includes('ro')) {
      mount = { ...mount, options: [...(mount.options ?? []), 'ro'] };
    }
    if (hc.Privileged && mount.destination === '/sys') mount = withoutRo(mount);
    if ((hc.Privileged || plan.writableCgroups) && mount.type === 'cgroup') mount = withoutRo(mount);
    defaults.push(mount);
  }
  const result: MountResult = { mounts: [...defaults, ...ms] };
  if (rootfsPropagation !== undefined) result.rootfsPropagation = rootfsPropagation;
  return result;
}
