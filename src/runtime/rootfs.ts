// Paths inside a container's rootfs, resolved as the container would see them
// (symlinks followed within the rootfs, Docker's GetResourcePath), so reading
// /etc/passwd or creating the WorkingDir never touches the host.
import { mkdirSync, statSync } from 'node:fs';
import { TsdError, isErrno } from '../errors';
import { resolvePathInRoot } from '../archive/scoped-path';

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
