// The daemon's state directories are closed to every other user, as dockerd's
// (0700/0710): layers keep their setuid binaries, which anyone who could walk
// into <data-root>/layers/<id>/diff could run as root (CVE-2021-41091), and the
// database holds every container's Env. Containers do not need the host paths:
// their processes see the rootfs and the /etc files through mounts that root made.
import { chmodSync, lstatSync, mkdirSync, promises as fsp, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** mkdir -p with mode 0700 (for every directory it creates); an existing directory is left as it is. */
export function mkdirPrivate(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

export async function mkdirPrivateAsync(path: string): Promise<void> {
  await fsp.mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Takes the group and other bits away from a directory or regular file; a symlink (when `st` is lstat's) is left alone. */
function narrow(path: string, st: Stats): void {
  if ((st.mode & 0o077) === 0 || !(st.isDirectory() || st.isFile())) return;
  chmodSync(path, st.mode & 0o7700);
}

/**
 * Creates a directory closed to others, or closes an existing one (the exec root: all
 * it holds is made 0700). A root given as a symlink (/var/lib/tsdocker → a disk) is
 * the directory it points to.
 */
export function closeDir(path: string): void {
  mkdirPrivate(path);
  narrow(path, statSync(path));
}

/**
 * Creates the data root closed to others, and closes what an older tsdockerd left
 * open in it: the root itself and its first level (layers/, containers/, the
 * database files…). Deeper entries are unreachable once these are, so the walk
 * stays short however many layers and containers there are.
 */
export function closeStateRoot(root: string): void {
  closeDir(root);
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    try {
      narrow(path, lstatSync(path));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err; // removed meanwhile
    }
  }
}
