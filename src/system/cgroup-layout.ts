// Where this host mounts its cgroups, the one place that tells: cgroup v2 (one
// unified hierarchy at /sys/fs/cgroup) or v1 (a mount per controller, with, on
// a hybrid host, a cgroup2 hierarchy beside them). Read once: the layout does
// not change while the daemon runs. native/src/cgroups.c makes the same
// decision for the runtime, which is a program of its own.
import { readFileSync, statfsSync } from 'node:fs';

const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * v2's single root; or v1's mount point per controller ("memory", "cpuacct",
 * "name=systemd"), and the hybrid host's cgroup2 mount (no controllers) if any.
 */
export type CgroupLayout = { version: '2'; root: string } | { version: '1'; mounts: ReadonlyMap<string, string>; unified?: string };

/** The cgroup hierarchies of a mountinfo text whose root is the hierarchy's root: each v1 controller's mount point and the cgroup2 mount. */
export function cgroupMounts(mountinfo: string): { v1: Map<string, string>; unified?: string } {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype, , superOpts = ''] = right.split(' ');
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || fields[3] !== '/' || fields[4] === undefined) continue;
    const mountPoint = unescapeMountinfo(fields[4]);
    if (fstype === 'cgroup2') unified ??= mountPoint;
    else for (const opt of superOpts.split(',')) if (!v1.has(opt)) v1.set(opt, mountPoint);
  }
  return unified === undefined ? { v1 } : { v1, unified };
}

/** mountinfo writes space, tab, newline and backslash as \ooo. */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The layout of the hierarchy mounted at `root`, with the mounts of `mountinfo` for v1. */
export function readCgroupLayout(root = CGROUP_ROOT, mountinfo = (): string => readFileSync('/proc/self/mountinfo', 'utf8')): CgroupLayout {
  let v2 = false;
  try {
    v2 = statfsSync(root).type === CGROUP2_SUPER_MAGIC;
  } catch {
    // no cgroup mount at root: v1 lookups find nothing
  }
  if (v2) return { version: '2', root };
  const { v1, unified } = cgroupMounts(mountinfo());
  return unified === undefined ? { version: '1', mounts: v1 } : { version: '1', mounts: v1, unified };
}

let hostLayout: CgroupLayout | undefined;

/** This host's layout, read once. */
export function hostCgroupLayout(): CgroupLayout {
  hostLayout ??= readCgroupLayout();
  return hostLayout;
}
