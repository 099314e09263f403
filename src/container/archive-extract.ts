// Extracts a docker cp tar into a directory as moby's archive.Unpack does
// (the daemon's PUT /containers/{id}/archive, and the CLI's side of a copy out
// of a container):
//   - names are cleaned; one that climbs out of the destination is refused;
//   - a missing parent is created (0755); an existing entry is replaced, but
//     a directory over a directory merges, and with noOverwriteDirNonDir a
//     directory never replaces a non-directory nor the reverse;
//   - a symlink whose target climbs out of the destination, or a hard link to
//     outside it, is refused (the checks are lexical, as Docker's);
//   - owner: the entries' uid/gid, one owner for all (copyUIDGID with a
//     container user), or none (the CLI leaves files to whoever runs it);
//   - mode, mtime and SCHILY.xattr records are applied, directories' mtimes last.
// Unlike a layer (unpack.ts) there are no whiteouts: `.wh.x` is a file. Paths
// are the container's (`root` is its `/` on the host; archive-scope.ts keeps
// every write under it) and error messages name them. Files are created with
// O_EXCL and finished through their descriptor, directories through an
// O_NOFOLLOW one, so a symlink a running container puts in place of an entry
// meanwhile is not followed (dockerd gets the same from extracting in a
// chroot; a directory swapped for a link between the resolution of a path
// and its use is the race left to a hostile running container).
import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync,
  symlinkSync, utimesSync, writeSync,
} from 'node:fs';
import type { Readable } from 'node:stream';
import type * as tar from 'tar-stream';
import { TsdError, isErrno } from '../errors';
import { withPaxNumbers, xattrsOf, type PaxRecords } from '../archive/pax';
import { forEachTarEntry } from '../archive/read';
import { mknodEntry } from '../graph/layers/unpack';
import { lsetxattr } from '../native';
import { goClean, goDir, goJoin } from '../archive/paths';
import { hostPath } from '../archive/scope';

type TarEntry = tar.Extract extends AsyncIterable<infer S> ? S : never;
type TarHeader = TarEntry['header'];

export type ExtractOwner = 'header' | 'none' | { uid: number; gid: number };

export interface ExtractOptions {
  /** The host directory that is `/` for the paths below. */
  root: string;
  /** The directory to extract into: an absolute path under root, symlinks resolved. */
  dest: string;
  noOverwriteDirNonDir: boolean;
  owner: ExtractOwner;
}

/** Unpacks the (uncompressed) tar `source` into opts.dest. */
export async function extractArchive(source: Readable, opts: ExtractOptions): Promise<void> {
  const dirTimes: Array<[string, Date]> = [];
  await forEachTarEntry(source, (entry) => applyEntry(opts, entry, dirTimes));
  for (const [host, mtime] of dirTimes) lutimesSync(host, mtime, mtime);
}

const q = (s: string): string => JSON.stringify(s);

async function drain(entry: TarEntry): Promise<void> {
  for await (const _ of entry as AsyncIterable<Buffer>) void _;
}

async function applyEntry(opts: ExtractOptions, entry: TarEntry, dirTimes: Array<[string, Date]>): Promise<void> {
  const { root, dest } = opts;
  const h = withPaxNumbers(entry.header);
  const type = h.type === 'contiguous-file' ? 'file' : h.type;
  const name = goClean(h.name);
  if (name === '..' || name.startsWith('../')) throw new TsdError(`${q(name)} is outside of ${q(dest)}`);
  const path = goJoin(dest, name);
  if (name !== '/') mkdirSync(hostPath(root, goDir(path), true), { recursive: true, mode: 0o755 });
  const host = hostPath(root, path, false);

  const existing = lstatSync(host, { throwIfNoEntry: false });
  if (existing) {
    if (opts.noOverwriteDirNonDir && existing.isDirectory() && type !== 'directory') {
      throw new TsdError(`cannot overwrite directory ${q(path)} with non-directory ${q(dest)}`);
    }
    if (opts.noOverwriteDirNonDir && !existing.isDirectory() && type === 'directory') {
      throw new TsdError(`cannot overwrite non-directory ${q(path)} with directory ${q(dest)}`);
    }
    // The destination itself ("./" of a directory's contents) is left as it is.
    if (existing.isDirectory() && name === '.') return drain(entry);
    if (!existing.isDirectory() || type !== 'directory') rmSync(host, { recursive: true, force: true });
  }

  const perm = (h.mode ?? 0o644) & 0o7777;
  const mtime = h.mtime ?? new Date(0);
  const owner = opts.owner === 'header' ? { uid: h.uid ?? 0, gid: h.gid ?? 0 } : opts.owner === 'none' ? undefined : opts.owner;
  switch (type) {
    case 'directory':
      if (!existing?.isDirectory()) mkdirSync(host, { mode: perm & 0o777 });
      await drain(entry);
      // Owner and mode through the directory itself (O_NOFOLLOW): a link put in its place meanwhile is refused, not followed.
      withFd(host, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW, (fd) => setMeta(fd, owner, perm));
      setXattrs(host, h);
      dirTimes.push([host, mtime]);
      return;
    case 'file':
      await writeFile(entry, host, (fd) => {
        setMeta(fd, owner, perm);
        futimesSync(fd, mtime, mtime);
      });
      setXattrs(host, h);
      return;
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      await drain(entry);
      mknodEntry(host, type, perm, h);
      if (owner) lchownSync(host, owner.uid, owner.gid);
      chmodSync(host, perm); // after chown, which clears setuid; mknod's mode went through the umask
      utimesSync(host, mtime, mtime);
      setXattrs(host, h);
      return;
    }
    case 'link': {
      await drain(entry);
      const linkname = h.linkname ?? '';
      const target = goJoin(dest, linkname);
      if (!target.startsWith(dest)) throw new TsdError(`invalid hardlink ${q(target)} -> ${q(linkname)}`);
      linkSync(hostPath(root, target, false), host);
      // The link is the target's inode: its mode and times are the target's.
      if (owner) lchownSync(host, owner.uid, owner.gid);
      return;
    }
    case 'symlink': {
      await drain(entry);
      const linkname = h.linkname ?? '';
      if (!goJoin(goDir(path), linkname).startsWith(dest)) throw new TsdError(`invalid symlink ${q(path)} -> ${q(linkname)}`);
      symlinkSync(linkname, host);
      if (owner) lchownSync(host, owner.uid, owner.gid);
      setXattrs(host, h);
      lutimesSync(host, mtime, mtime);
      return;
    }
    default:
      // Other types (GNU sparse, …) are not written; Docker refuses them.
      return drain(entry);
  }
}

/** Owner, then mode (chown clears setuid), through a descriptor. */
function setMeta(fd: number, owner: { uid: number; gid: number } | undefined, perm: number): void {
  if (owner) fchownSync(fd, owner.uid, owner.gid);
  fchmodSync(fd, perm);
}

function withFd(host: string, flags: number, use: (fd: number) => void): void {
  const fd = openSync(host, flags);
  try {
    use(fd);
  } finally {
    closeSync(fd);
  }
}

/** A regular file, created where the old entry was removed ('wx': never through a link planted there), finished through its descriptor. */
async function writeFile(entry: TarEntry, host: string, finish: (fd: number) => void): Promise<void> {
  const fd = openSync(host, 'wx', 0o600);
  try {
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
    }
    finish(fd);
  } catch (err) {
    rmSync(host, { force: true }); // a file cut short (a truncated upload) is not left behind
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** The entry's xattrs; a filesystem without them (or refusing them) is no error, as for Docker. */
function setXattrs(host: string, h: TarHeader): void {
  for (const [name, value] of xattrsOf(h.pax as PaxRecords | null)) {
    try {
      lsetxattr(host, name, value);
    } catch (err) {
      if (!isErrno(err, 'ENOTSUP') && !isErrno(err, 'EOPNOTSUPP') && !isErrno(err, 'EPERM')) throw err;
    }
  }
}

