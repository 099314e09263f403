// tmpfs mount options as Docker builds them: TmpfsOptions to a data string
// (volume/mounts ConvertTmpfsOptions) and the merge that keeps one of each
// flag or key, the last one given winning (moby/sys/mount MergeTmpfsOptions).
import { InvalidArgumentError } from '../errors';
import type { MountSpec } from '../api/containers';

// mount(2) flags; the value is the collision key (ro/rw share MS_RDONLY, …).
const RDONLY = 0x1, NOSUID = 0x2, NODEV = 0x4, NOEXEC = 0x8, SYNC = 0x10, REMOUNT = 0x20, MANDLOCK = 0x40, DIRSYNC = 0x80;
const NOATIME = 0x400, NODIRATIME = 0x800, BIND = 0x1000, REC = 0x4000, UNBINDABLE = 0x20000, PRIVATE = 0x40000;
const SLAVE = 0x80000, SHARED = 0x100000, RELATIME = 0x200000, STRICTATIME = 0x1000000;
const PROPAGATION = UNBINDABLE | PRIVATE | SLAVE | SHARED;

const FLAGS: Record<string, number> = {
  ro: RDONLY, rw: RDONLY, suid: NOSUID, nosuid: NOSUID, dev: NODEV, nodev: NODEV, exec: NOEXEC, noexec: NOEXEC,
  sync: SYNC, async: SYNC, dirsync: DIRSYNC, remount: REMOUNT, mand: MANDLOCK, nomand: MANDLOCK,
  atime: NOATIME, noatime: NOATIME, diratime: NODIRATIME, nodiratime: NODIRATIME, bind: BIND, rbind: REC | BIND,
  unbindable: UNBINDABLE, runbindable: UNBINDABLE | REC, private: PRIVATE, rprivate: PRIVATE | REC,
  shared: SHARED, rshared: SHARED | REC, slave: SLAVE, rslave: SLAVE | REC, relatime: RELATIME, norelatime: RELATIME,
  strictatime: STRICTATIME, nostrictatime: STRICTATIME,
};

const DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/** Go's %q of a []string, as Docker prints it in the error. */
function goQuoted(parts: string[]): string {
  return `[${parts.map((p) => JSON.stringify(p)).join(' ')}]`;
}

/** Removes duplicates, keeping the last of each flag (one propagation mode) or data key. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const flagSeen = new Set<number>();
  const dataSeen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i]!;
    if (option === 'defaults') continue;
    const flag = FLAGS[option];
    if (flag !== undefined) {
      const key = flag & PROPAGATION ? -1 : flag;
      if (!flagSeen.has(key)) {
        out.unshift(option);
        flagSeen.add(key);
      }
      continue;
    }
    const eq = option.indexOf('=');
    const parts = eq < 0 ? [option] : [option.slice(0, eq), option.slice(eq + 1)];
    if (parts.length !== 2 || !DATA_KEYS.has(parts[0]!)) throw new InvalidArgumentError(`invalid tmpfs option ${goQuoted(parts)}`);
    if (!dataSeen.has(parts[0]!)) {
      out.unshift(option);
      dataSeen.add(parts[0]!);
    }
  }
  return out;
}

/** The OCI options of a tmpfs mount: noexec,nosuid,nodev,rprivate then the user's data. */
export function tmpfsMountOptions(data: string): string[] {
  const user = data === '' ? [] : data.split(',');
  return mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', ...user]);
}

/** --mount type=tmpfs options to a data string: ro, mode (octal), size with the largest exact suffix. */
export function convertTmpfsOptions(opt: MountSpec['TmpfsOptions'], readOnly: boolean): string {
  const raw: string[] = [];
  if (readOnly) raw.push('ro');
  if (opt?.Mode) raw.push(`mode=${opt.Mode.toString(8)}`);
  if (opt?.SizeBytes) {
    let size = opt.SizeBytes;
    let suffix = '';
    for (const [s, div] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % div === 0) {
        size /= div;
        suffix = s;
        break;
      }
    }
    raw.push(`size=${size}${suffix}`);
  }
  for (const o of opt?.Options ?? []) {
    if (o.length === 1) raw.push(o[0]!);
    else if (o.length === 2) raw.push(`${o[0]}=${o[1]}`);
    else throw new InvalidArgumentError(`invalid tmpfs option ${goQuoted(o)}`);
  }
  const data = raw.join(',');
  mergeTmpfsOptions(data === '' ? [] : data.split(',')); // refuse bad options at create, not at start
  return data;
}
