// A view of a container's filesystem for docker cp, as dockerd's
// openContainerFS makes one: the rootfs (mounted for the while if the
// container does not run) with the container's bind mounts and its
// /etc/resolv.conf, /etc/hostname and /etc/hosts on their destinations, so a
// path under `-v /host/dir:/data` reads and writes /host/dir (and one under a
// volume, the volume's directory). Tmpfs mounts
// are not part of it (they live only in the container's mount namespace):
// there the view shows the directory beneath, as Docker's does.
//
// The view is a private bind of the rootfs under <exec-root>/archive/<n>,
// the mounts on top of it; closing detaches the whole tree at once. Being
// private, nothing mounted there reaches the rootfs the container runs on.
// Views left by a daemon that died during a copy are detached at the next.
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { isErrno } from '../errors';
import { MNT_DETACH, MS, mount, umount2 } from '../native';
import { userMounts } from '../runtime/mount-specs';
import { hostPath } from '../archive/scope';
import type { ContainerService } from './service';
import type { ContainerRecord } from './store';

export interface ContainerFsView {
  /** The host directory that is the container's `/`. */
  root: string;
  /** Unmounts the view (and the rootfs, if it was mounted for it). */
  close(): void;
}

/** A mount of the view, as dockerd's MountPoints and network files give it. */
export interface ViewMount {
  source: string;
  destination: string;
  readOnly: boolean;
  recursive: boolean;
}

/** A volume of the container, on the host. */
export interface VolumeViewBind {
  source: string;
  destination: string;
  readOnly: boolean;
}

/** View directories in use by this process (the others under archive/ are leftovers). */
const open = new Set<string>();

/** `volumes`: the container's volumes as host paths (ContainerService.openVolumeView). */
export function openContainerFs(containers: ContainerService, rec: ContainerRecord, volumes: readonly VolumeViewBind[] = []): ContainerFsView {
  const base = posix.join(containers.paths.execRoot, 'archive');
  mkdirSync(base, { recursive: true, mode: 0o700 });
  detachLeftovers(base);
  const { rootfs, release } = containers.rootfs.mounted(rec);
  let root: string | undefined;
  try {
    root = freeDir(base);
    open.add(root);
    mount(rootfs, root, null, MS.BIND, null);
    mount('', root, null, MS.PRIVATE, null);
    for (const m of viewMounts(containers, rec, volumes)) mountInView(root, m);
  } catch (err) {
    if (root) closeDir(root);
    release();
    throw err;
  }
  const dir = root;
  let closed = false;
  return {
    root: dir,
    close: () => {
      if (closed) return;
      closed = true;
      closeDir(dir);
      release();
    },
  };
}

/** The binds of the container (-v, --mount type=bind) and its etc files, parents before children. */
export function viewMounts(containers: ContainerService, rec: ContainerRecord, volumes: readonly VolumeViewBind[] = []): ViewMount[] {
  const out: ViewMount[] = [];
  for (const m of userMountsOf(rec)) {
    if (m.kind !== 'bind') continue;
    if (!existsSync(m.source)) {
      if (!m.createSource) continue;
      mkdirSync(m.source, { recursive: true, mode: 0o755 }); // as the container's start would
    }
    out.push({ source: m.source, destination: m.destination, readOnly: m.readOnly, recursive: !m.nonRecursive });
  }
  for (const v of volumes) if (existsSync(v.source)) out.push({ source: v.source, destination: v.destination, readOnly: v.readOnly, recursive: true });
  const taken = new Set(out.map((m) => m.destination));
  const p = containers.paths;
  const etc: Array<[string, string]> = [
    [p.resolvConfPath(rec.id), '/etc/resolv.conf'],
    [p.hostnamePath(rec.id), '/etc/hostname'],
    [p.hostsPath(rec.id), '/etc/hosts'],
  ];
  // Written at the first start: a container that never ran has the image's files there.
  for (const [source, destination] of etc) {
    if (!taken.has(destination) && existsSync(source)) {
      out.push({ source, destination, readOnly: rec.hostConfig.ReadonlyRootfs === true, recursive: false });
    }
  }
  const depth = (m: ViewMount): number => m.destination.split('/').length;
  return out.sort((a, b) => depth(a) - depth(b));
}

/** The container's user mounts; a record whose mounts no longer parse (the daemon's rules changed) has none. */
export function userMountsOf(rec: ContainerRecord): ReturnType<typeof userMounts> {
  try {
    return userMounts(rec.config, rec.hostConfig);
  } catch {
    return [];
  }
}

/** Mounts `m` on its destination in the view, made (dir or file, as its source) where missing. */
function mountInView(root: string, m: ViewMount): void {
  const target = hostPath(root, m.destination, true);
  if (!existsSync(target)) {
    if (statSync(m.source).isDirectory()) mkdirSync(target, { recursive: true, mode: 0o755 });
    else {
      mkdirSync(posix.dirname(target), { recursive: true, mode: 0o755 });
      writeFileSync(target, '', { mode: 0o755, flag: 'a' });
    }
  }
  mount(m.source, target, null, MS.BIND | (m.recursive ? MS.REC : 0), null);
  if (m.readOnly) mount('', target, null, MS.REMOUNT | MS.BIND | MS.RDONLY, null);
  mount('', target, null, MS.PRIVATE | MS.REC, null);
}

function freeDir(base: string): string {
  for (let n = 0; ; n++) {
    const dir = posix.join(base, String(n));
    if (open.has(dir)) continue;
    try {
      mkdirSync(dir, { mode: 0o700 });
      return dir;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
  }
}

/** Detaches the tree mounted at `dir` and removes the (then empty) directory; never removes anything recursively. */
function closeDir(dir: string): void {
  try {
    umount2(dir, MNT_DETACH);
  } catch (err) {
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT')) throw err;
  }
  try {
    rmdirSync(dir);
  } finally {
    open.delete(dir);
  }
}

function detachLeftovers(base: string): void {
  for (const name of readdirSync(base)) {
    const dir = posix.join(base, name);
    if (open.has(dir)) continue;
    try {
      closeDir(dir);
    } catch {
      // busy or not ours to remove: tried again at the next copy
    }
  }
}
