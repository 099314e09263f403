// Paths inside a container's rootfs, resolved as the container would see them
// (symlinks followed within the rootfs, Docker's GetResourcePath), so reading
// /etc/passwd or creating the WorkingDir never touches the host.
import { mkdirSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { TsdError, isErrno } from '../errors';
import { resolveInRoot } from '../graph/layers/scoped-path';

/** Host path of `path` (absolute in the container) with every component, the last included, resolved in `rootfs`. */
export function resolvePathInRoot(rootfs: string, path: string): string {
  // resolveInRoot leaves the last component as is: resolve a child instead and take its parent.
  const rel = posix.normalize(`/${path}`).slice(1);
  return posix.dirname(resolveInRoot(rootfs, rel === '' ? '_' : `${rel}/_`));
}

/** Creates the WorkingDir like Docker (SetupWorkingDirectory): mkdir -p 0755 inside the rootfs. */
export function ensureWorkingDir(rootfs: string, workingDir: string): void {
  const host = resolvePathInRoot(rootfs, workingDir);
  try {
    mkdirSync(host, { recursive: true, mode: 0o755 });
  } catch (err) {
    if (!isErrno(err, 'EEXIST') && !isErrno(err, 'ENOTDIR')) throw err;
    throw new TsdError(`Cannot mkdir: ${workingDir} is not a directory`);
  }
  if (!statSync(host).isDirectory()) throw new TsdError(`Cannot mkdir: ${workingDir} is not a directory`);
}
