// At restore: what a crash left of containers no record owns. A create that
// died between making a container's directories and committing its record
// (or a removal between the two) leaves <data-root>/containers/<id>, and a
// start the same, <exec-root>/<id> with a shim, runtime state and a cgroup.
// Only names that are container IDs (64 hex digits) and that no record has
// are touched: never a directory a record owns, never anything else.
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isErrno, messageOf } from '../errors';
import { ShimClient } from '../native/shim-client';
import type { RuntimeDriver } from '../runtime/driver';
import { hostCgroupLayout } from '../system/cgroup-layout';
import { containerCgroupPath } from './cgroups';
import { type ContainerPaths, unmountRootfs } from './files';

const CONTAINER_ID = /^[0-9a-f]{64}$/;

function idsIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => CONTAINER_ID.test(name));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

/** The container's cgroup directories, once empty (a live process keeps one: EBUSY, left alone). */
function removeCgroup(id: string): void {
  const layout = hostCgroupLayout();
  const roots = layout.version === '2' ? [layout.root] : [...new Set(layout.mounts.values())];
  for (const root of roots) {
    try {
      rmdirSync(join(root, containerCgroupPath(id)));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
}

/** Removes the directories, shims, runtime state, mounts and cgroups of container IDs `owned` does not hold. */
export async function removeOrphans(paths: ContainerPaths, owned: (id: string) => boolean, runtimes: readonly RuntimeDriver[], log: Logger): Promise<void> {
  const orphans = new Set([...idsIn(join(paths.dataRoot, 'containers')), ...idsIn(paths.execRoot)].filter((id) => !owned(id)));
  for (const runtime of runtimes) {
    for (const id of (await runtime.list()).filter((i) => CONTAINER_ID.test(i) && !owned(i))) orphans.add(id);
  }
  for (const id of orphans) {
    try {
      const shim = ShimClient.forStateDir(paths.state(id));
      await shim.kill(9, true).catch(() => undefined);
      await shim.shutdown(true).catch(() => undefined);
      for (const runtime of runtimes) {
        if ((await runtime.list()).includes(id)) await runtime.delete(id, { force: true });
      }
      unmountRootfs(paths, id);
      rmSync(paths.state(id), { recursive: true, force: true });
      rmSync(paths.dir(id), { recursive: true, force: true });
      removeCgroup(id);
      log.warn({ id }, 'removed what a crash left of a container without a record');
    } catch (err) {
      log.warn({ id, err: messageOf(err) }, 'removal of an orphaned container failed');
    }
  }
}
