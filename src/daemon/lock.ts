// Single-daemon guards: the pidfile and a lock file in the data root. Each is
// created exclusively and holds our PID; a file whose PID is no longer a live
// process is stale (the daemon was killed) and is taken over.
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { isErrno } from '../errors';

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

export class LockError extends Error {}

/** Writes our PID to `path`, refusing when another live process holds it. */
export function acquirePidFile(path: string, what: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch {
          // gone already
        }
      };
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (pidAlive(holder) && holder !== process.pid) {
        throw new LockError(`${what} ${path} is held by process ${holder}: is another tsdockerd running? (stop it, or remove ${path} if it is not a tsdockerd)`);
      }
      unlinkSync(path);
    }
  }
  throw new LockError(`could not take ${what} ${path}`);
}
