// docker cp on the daemon's side: the three archive operations of dockerd
// (daemon/archive_linux.go), on a view of the container's filesystem with its
// binds (archive-view.ts), every path resolved within the container's root:
//   stat     HEAD  the lstat of a path (a trailing "/" or "/." follows a
//                  symlink and asserts a directory), a symlink's target fully
//                  resolved in the container;
//   archive  GET   that stat and a tar of the path, rooted at its base name;
//   extract  PUT   a tar (compressed or not) unpacked into a directory of the
//                  container (symlinks followed, the last one too), refused on
//                  a read-only rootfs or volume.
// Errors are Docker's: a missing path is "Could not find the file …" (404);
// other file errors name the container's path, as Go words them (500).
import { lstatSync, readFileSync, type BigIntStats } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ContainerPathStat } from '../api/archive';
import { GO_MODE } from '../api/archive';
import { InvalidArgumentError, NotFoundError, TsdError, isErrno } from '../errors';
import { decompressStream } from '../archive/compression';
import { applyError, applyTar, type ApplyOwner } from '../archive/apply';
import { detachUpload } from '../archive/read';
import { rfc3339Nano } from '../api/time';
import { S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT } from '../archive/whiteout';
import { assertsDirectory, containerAbsPath, goBase, goJoin } from '../archive/paths';
import { containerPath, errnoDescription, goPathErrorIn, hostPath } from '../archive/scope';
import { tarResource } from '../archive/resource';
import { NATIVE_XATTRS } from '../graph/layers/export';
import { lsetxattr, mknod } from '../native';
import { openContainerFs, userMountsOf, type ContainerFsView } from './archive-view';
import { containerCgroup } from './cgroups';
import { containerEvent, type EventSink } from './lifecycle';
import type { ContainerService } from './service';
import type { ContainerRecord } from './store';

const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFSOCK = 0o140000;

/**
 * The container's filesystem view, its processes frozen while it is open.
 * A running container could otherwise swap a path component for a symlink
 * between our resolving it and our using it (CVE-2018-15664); podman freezes
 * too, and so did moby's first fix. The record is not touched: this is not a
 * docker pause, and a container the user paused stays paused.
 */
async function openView(containers: ContainerService, rec: ContainerRecord): Promise<ContainerFsView> {
  const cgroup = rec.state.Running && !rec.state.Paused ? containerCgroup(rec.id) : undefined;
  await cgroup?.freeze();
  const thaw = (): void => {
    if (cgroup && !rec.state.Paused) void cgroup.thaw().catch(() => undefined); // restore() thaws what a crash left frozen
  };
  let volumes: Awaited<ReturnType<ContainerService['openVolumeView']>> | undefined;
  try {
    volumes = await containers.openVolumeView(rec);
    const release = volumes.release;
    const view = openContainerFs(containers, rec, volumes.binds);
    return {
      root: view.root,
      close: () => {
        try {
          view.close();
        } finally {
          thaw();
          void release();
        }
      },
    };
  } catch (err) {
    thaw();
    void volumes?.release();
    throw err;
  }
}

/** HEAD /containers/{id}/archive: the stat of `path` (as the client gave it); `ref` is the container as named. */
export async function statPath(containers: ContainerService, rec: ContainerRecord, path: string, ref: string): Promise<ContainerPathStat> {
  const view = await openView(containers, rec);
  try {
    return statIn(view.root, path).stat;
  } catch (err) {
    throw apiError(err, view.root, path, ref);
  } finally {
    view.close();
  }
}

/** GET /containers/{id}/archive: the stat and the tar; the view stays open until the tar stream closes. */
export async function archivePath(containers: ContainerService, rec: ContainerRecord, path: string, ref: string, sink: EventSink): Promise<{ stat: ContainerPathStat; body: Readable }> {
  const view = await openView(containers, rec);
  try {
    const abs = containerAbsPath(path);
    const { stat, host } = statIn(view.root, abs);
    const body = tarResource(host, goBase(abs), NATIVE_XATTRS);
    body.once('close', () => {
      try {
        view.close();
      } catch {
        // a view that would not unmount is detached by the next copy (archive-view.ts)
      }
    });
    sink.emit(containerEvent(rec, 'archive-path'));
    return { stat, body };
  } catch (err) {
    view.close();
    throw apiError(err, view.root, path, ref);
  }
}

export interface ExtractRequest {
  path: string;
  noOverwriteDirNonDir: boolean;
  copyUIDGID: boolean;
}

/** PUT /containers/{id}/archive: unpacks `body` into the directory at req.path. `body` is never destroyed, so an error can still be answered. */
export async function extractToDir(containers: ContainerService, rec: ContainerRecord, req: ExtractRequest, body: Readable, ref: string, sink: EventSink): Promise<void> {
  const view = await openView(containers, rec);
  try {
    await extractIn(view, rec, req, body);
    sink.emit(containerEvent(rec, 'extract-to-dir'));
  } catch (err) {
    throw apiError(err, view.root, req.path, ref);
  } finally {
    view.close();
  }
}

async function extractIn(view: ContainerFsView, rec: ContainerRecord, req: ExtractRequest, body: Readable): Promise<void> {
  const { root } = view;
  // The destination with every symlink followed, the last one too: a copy into a link to a directory lands in the directory.
  const destHost = hostPath(root, goJoin('/', req.path), true);
  const st = lstatSync(destHost);
  if (!st.isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
  const dest = containerPath(root, destHost);
  checkWritablePath(rec, dest);
  const owner: ApplyOwner = req.copyUIDGID && rec.config.User ? lookupUser(root, rec.config.User) : 'header';
  const { stream } = await decompressStream(detachUpload(body));
  try {
    await applyTar(stream, { root, dest, layer: false, noOverwriteDirNonDir: req.noOverwriteDirNonDir, owner, special: { mknod, lsetxattr } });
  } catch (err) {
    throw applyError(err, root);
  }
}

/**
 * dockerd's checkWritablePath: under one of the container's mount points
 * (binds and --mount tmpfs; --tmpfs ones are not mount points to Docker) the
 * mount's mode decides, the deepest first; elsewhere the rootfs's.
 */
function checkWritablePath(rec: ContainerRecord, path: string): void {
  const flagTmpfs = new Set(Object.keys(rec.hostConfig.Tmpfs ?? {}).map((d) => goJoin(d)));
  const under = (dest: string): boolean => path === dest || path.startsWith(`${dest}/`);
  const fromOthers = (rec.mountPoints ?? []).map((m) => ({ kind: 'bind' as const, destination: m.destination, readOnly: !m.rw }));
  const points = [...userMountsOf(rec), ...fromOthers]
    .filter((m) => !(m.kind === 'tmpfs' && flagTmpfs.has(m.destination)) && under(m.destination))
    .sort((a, b) => b.destination.length - a.destination.length);
  const point = points[0];
  if (point) {
    const readOnly = point.kind === 'tmpfs' ? point.data.split(',').includes('ro') : point.readOnly;
    if (readOnly) throw new InvalidArgumentError('mounted volume is marked read-only');
    return;
  }
  if (rec.hostConfig.ReadonlyRootfs) throw new InvalidArgumentError('container rootfs is marked read-only');
}

/** copyUIDGID with a container user: that user's ids, from the container's /etc/passwd (by name, as Go's user.Lookup). */
function lookupUser(root: string, user: string): { uid: number; gid: number } {
  let passwd = '';
  try {
    passwd = readFileSync(hostPath(root, '/etc/passwd', true), 'utf8');
  } catch {
    // no passwd file: no such user
  }
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new TsdError(`user: unknown user ${user}`);
}

function statIn(root: string, path: string): { stat: ContainerPathStat; host: string } {
  const abs = containerAbsPath(path);
  const asserted = assertsDirectory(abs);
  const host = hostPath(root, abs, asserted);
  let st: BigIntStats;
  try {
    st = lstatSync(host, { bigint: true });
  } catch (err) {
    throw isErrno(err, 'ENOENT') ? err : new TsdError(`lstat ${path}: ${errnoDescription(err)}`);
  }
  if (asserted && !st.isDirectory()) throw new TsdError(`lstat ${path}: not a directory`);
  const stat: ContainerPathStat = {
    name: goBase(path),
    size: Number(st.size),
    mode: goFileMode(Number(st.mode)),
    mtime: rfc3339Nano(new Date(Number(st.mtimeNs / 1_000_000n)), Number(st.mtimeNs % 1_000_000n)),
    linkTarget: st.isSymbolicLink() ? containerPath(root, hostPath(root, abs, true)) : '',
  };
  return { stat, host };
}

/** A stat mode as Go's os.FileMode. */
export function goFileMode(mode: number): number {
  let out = mode & 0o777;
  switch (mode & S_IFMT) {
    case S_IFBLK:
      out += GO_MODE.device;
      break;
    case S_IFCHR:
      out += GO_MODE.device + GO_MODE.charDevice;
      break;
    case S_IFDIR:
      out += GO_MODE.dir;
      break;
    case S_IFIFO:
      out += GO_MODE.namedPipe;
      break;
    case S_IFLNK:
      out += GO_MODE.symlink;
      break;
    case S_IFSOCK:
      out += GO_MODE.socket;
      break;
  }
  if (mode & 0o4000) out += GO_MODE.setuid;
  if (mode & 0o2000) out += GO_MODE.setgid;
  if (mode & 0o1000) out += GO_MODE.sticky;
  return out;
}

/** An error as dockerd answers it: a missing file is a 404 naming the path as asked, other file errors name container paths. */
function apiError(err: unknown, root: string, path: string, ref: string): unknown {
  if (isErrno(err, 'ENOENT')) return new NotFoundError(`Could not find the file ${path} in container ${ref}`);
  if (err instanceof TsdError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e instanceof Error && typeof e.syscall === 'string') return new TsdError(goPathErrorIn(root, e));
  return err;
}
