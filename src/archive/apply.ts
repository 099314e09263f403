// The one tar applier: a layer's tar onto its diff dir (the graph), docker
// cp's tar into a container (the daemon's PUT) or onto the local disk (the
// CLI), as moby's archive.Unpack and ApplyLayer do, safe against hostile
// archives:
//   - names are cleaned; one that climbs out of the destination is refused;
//   - parents are resolved through earlier symlinks *within* the root (a
//     missing one is created 0755), the final component is never followed: an
//     existing entry is replaced, but a directory over a directory merges
//     (and with noOverwriteDirNonDir neither replaces the other);
//   - files are created with O_EXCL and finished through their descriptor,
//     directories through an O_NOFOLLOW one, so a link put in an entry's
//     place meanwhile is not followed; a file cut short is removed;
//   - hard links must name an entry inside the destination; a copy also
//     refuses a symlink whose target climbs out of it (lexically, as Docker);
//   - device nodes and FIFOs are made with mknod;
//   - a layer's AUFS whiteouts become overlay whiteouts: `.wh.NAME` → char
//     device 0/0 at NAME, `.wh..wh..opq` → trusted.overlay.opaque=y;
//   - owner (the entries', one for all, or none), mode (setuid included),
//     mtime and SCHILY.xattr records (byte for byte, pax.ts) are applied,
//     directories' mtimes last; uid/gid/mtime PAX records override ustar's.
// Entries are applied with synchronous calls: each is a handful of syscalls,
// and the thread-pool round trip of an async one costs as much again (3× on
// a layer of 5000 small files). The event loop still turns between entries
// and between the chunks of a large file. The calls this module cannot make
// in plain Node (mknod, lsetxattr) come from its caller (SpecialFiles).
import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync, symlinkSync,
  writeSync,
} from 'node:fs';
// A default import: the CLI's bundle loads child_process lazily, through an object whose named exports esbuild cannot copy.
import childProcess from 'node:child_process';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, TsdError, isErrno } from '../errors';
import { goClean, goDir, goJoin } from './paths';
import { withPaxNumbers, xattrsOf, type PaxRecords } from './pax';
import { drainEntry, forEachTarEntry, TarError, type TarEntry, type TarHeader } from './read';
import { containerPath, errnoDescription, goPathErrorIn, hostPath } from './scope';
import { OPAQUE_XATTR, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './whiteout';

/** The filesystem calls Node has no API for: the daemon passes the native addon's, the CLI what it can do without. */
export interface SpecialFiles {
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
}

export type ApplyOwner = 'header' | 'none' | { uid: number; gid: number };

export interface ApplyOptions {
  /** The host directory that is `/` for the paths below (a container's root, a layer's diff dir, `/`). */
  root: string;
  /** The directory to apply into: an absolute path under root, symlinks resolved. */
  dest: string;
  /** A layer: AUFS whiteouts applied, a symlink's target not checked, xattrs that cannot be set an error. */
  layer: boolean;
  noOverwriteDirNonDir: boolean;
  owner: ApplyOwner;
  special: SpecialFiles;
}

/** Applies the (uncompressed) tar `source`; returns the bytes of regular-file content written. */
export async function applyTar(source: Readable, opts: ApplyOptions): Promise<number> {
  const state: ApplyState = { opts, dirTimes: [], dirs: new Set(), size: 0 };
  await forEachTarEntry(source, (entry) => applyEntry(state, entry));
  for (const [host, mtime] of state.dirTimes.reverse()) lutimesSync(host, mtime, mtime);
  return state.size;
}

interface ApplyState {
  opts: ApplyOptions;
  /** Directories and their mtimes, set last (creating entries inside changes them). */
  dirTimes: Array<[string, Date]>;
  /** Host directories known to exist (saves a mkdir per entry); cleared whenever something is removed. */
  dirs: Set<string>;
  size: number;
}

const q = (s: string): string => JSON.stringify(s);

function ensureDir(state: ApplyState, dir: string): void {
  if (state.dirs.has(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  state.dirs.add(dir);
}

function remove(state: ApplyState, host: string): void {
  rmSync(host, { recursive: true, force: true });
  state.dirs.clear();
}

/** The entry's name cleaned, relative to the destination; a name climbing out of it is refused, in the caller's words. */
function entryName(opts: ApplyOptions, name: string): string {
  const clean = goClean(name);
  if (clean === '..' || clean.startsWith('../')) {
    throw opts.layer
      ? new InvalidArgumentError(`${q(name)} is outside of the layer root: breakout attempt`)
      : new TsdError(`${q(clean)} is outside of ${q(opts.dest)}`);
  }
  return clean;
}

async function applyEntry(state: ApplyState, entry: TarEntry): Promise<void> {
  const { opts } = state;
  const { root, dest } = opts;
  const h = withPaxNumbers(entry.header);
  const type = h.type === 'contiguous-file' ? 'file' : (h.type ?? 'file');
  const name = entryName(opts, h.name);
  const path = goJoin(dest, name);
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (opts.layer && goJoin('/', name).startsWith(`/${WHITEOUT_META_PREFIX}`)) return drainEntry(entry);
  // The parent with every link in it resolved (inside root), the last element never followed.
  const parent = hostPath(root, goDir(path), true);
  if (path !== dest) ensureDir(state, parent);
  const host = path === '/' ? root : posix.join(parent, base);

  if (opts.layer && base.startsWith(WHITEOUT_PREFIX)) return whiteout(state, entry, h, parent, base);

  const existing = lstatSync(host, { throwIfNoEntry: false });
  if (existing) {
    if (opts.noOverwriteDirNonDir && existing.isDirectory() && type !== 'directory') {
      throw new TsdError(`cannot overwrite directory ${q(path)} with non-directory ${q(dest)}`);
    }
    if (opts.noOverwriteDirNonDir && !existing.isDirectory() && type === 'directory') {
      throw new TsdError(`cannot overwrite non-directory ${q(path)} with directory ${q(dest)}`);
    }
    // A copy leaves the destination itself ("./" of a directory's contents) as it is; a layer's "./" sets its root's metadata.
    if (existing.isDirectory() && !opts.layer && name === '.') return drainEntry(entry);
    if (!existing.isDirectory() || type !== 'directory') remove(state, host);
  }

  const perm = (h.mode ?? 0o644) & 0o7777;
  const mtime = h.mtime ?? new Date(0);
  const owner = opts.owner === 'header' ? { uid: h.uid ?? 0, gid: h.gid ?? 0 } : opts.owner === 'none' ? undefined : opts.owner;
  switch (type) {
    case 'directory':
      await drainEntry(entry);
      if (!existing?.isDirectory()) mkdirSync(host, { mode: 0o700 });
      state.dirs.add(host);
      // Owner and mode through the directory itself (O_NOFOLLOW): a link put in its place meanwhile is refused, not followed.
      withFd(host, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW, (fd) => setMeta(fd, owner, perm));
      setXattrs(opts, host, h);
      state.dirTimes.push([host, mtime]);
      return;
    case 'file':
      await writeFile(entry, host, (fd) => {
        setMeta(fd, owner, perm);
        futimesSync(fd, mtime, mtime);
      });
      setXattrs(opts, host, h);
      state.size += h.size ?? 0;
      return;
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      await drainEntry(entry);
      const ifmt = type === 'fifo' ? S_IFIFO : type === 'block-device' ? S_IFBLK : S_IFCHR;
      opts.special.mknod(host, ifmt | perm, h.devmajor ?? 0, h.devminor ?? 0);
      finishNode(opts, host, h, owner, perm, mtime);
      return;
    }
    case 'link':
      await drainEntry(entry);
      return hardLink(opts, h, host, owner);
    case 'symlink':
      await drainEntry(entry);
      return symbolicLink(opts, h, path, host, owner, mtime);
    default:
      // Other types (GNU sparse, …) are not written, as Docker skips them.
      return drainEntry(entry);
  }
}

/** A hard link to an entry inside the destination (a layer's: inside the layer, its name never climbing out). */
function hardLink(opts: ApplyOptions, h: TarHeader, host: string, owner: { uid: number; gid: number } | undefined): void {
  const { dest } = opts;
  const linkname = h.linkname ?? '';
  const target = goJoin(dest, linkname);
  const inside = target === dest || target.startsWith(dest === '/' ? '/' : `${dest}/`);
  if (!inside || (opts.layer && goClean(linkname).startsWith('..'))) {
    throw opts.layer
      ? new InvalidArgumentError(`invalid hardlink ${q(h.name)} -> ${q(linkname)}: breakout attempt`)
      : new TsdError(`invalid hardlink ${q(target)} -> ${q(linkname)}`);
  }
  if (opts.layer && target === dest) throw new InvalidArgumentError(`invalid hardlink ${q(h.name)} -> ${q(linkname)}`);
  linkSync(hostPath(opts.root, target, false), host);
  // The link is the target's inode: its mode and times are the target's.
  if (owner && !opts.layer) lchownSync(host, owner.uid, owner.gid);
}

/** A symbolic link, as given: a layer's only matters inside a container; a copy's must stay in the destination. */
function symbolicLink(opts: ApplyOptions, h: TarHeader, path: string, host: string, owner: { uid: number; gid: number } | undefined, mtime: Date): void {
  const linkname = h.linkname ?? '';
  if (!opts.layer && !goJoin(goDir(path), linkname).startsWith(opts.dest)) throw new TsdError(`invalid symlink ${q(path)} -> ${q(linkname)}`);
  symlinkSync(linkname, host);
  if (owner) lchownSync(host, owner.uid, owner.gid);
  setXattrs(opts, host, h);
  lutimesSync(host, mtime, mtime);
}

/** An AUFS whiteout of a layer: `.wh..wh..opq` marks its directory opaque, `.wh.NAME` makes NAME an overlay whiteout. */
async function whiteout(state: ApplyState, entry: TarEntry, h: TarHeader, parent: string, base: string): Promise<void> {
  await drainEntry(entry);
  if (base === WHITEOUT_OPAQUE) {
    state.opts.special.lsetxattr(parent, OPAQUE_XATTR, Buffer.from('y'));
    return;
  }
  const original = posix.join(parent, base.slice(WHITEOUT_PREFIX.length));
  remove(state, original);
  state.opts.special.mknod(original, S_IFCHR, 0, 0);
  lchownSync(original, h.uid ?? 0, h.gid ?? 0);
}

/** Owner, mode (after chown, which clears setuid; mknod's went through the umask), xattrs and times of a node. */
function finishNode(opts: ApplyOptions, host: string, h: TarHeader, owner: { uid: number; gid: number } | undefined, perm: number, mtime: Date): void {
  if (owner) lchownSync(host, owner.uid, owner.gid);
  chmodSync(host, perm); // not through a descriptor: opening a device node can act on the device
  setXattrs(opts, host, h);
  lutimesSync(host, mtime, mtime);
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

/** The entry's xattrs; for a copy, a filesystem without them (or refusing them) is no error, as for Docker. */
function setXattrs(opts: ApplyOptions, host: string, h: TarHeader): void {
  for (const [name, value] of xattrsOf(h.pax as PaxRecords | null)) {
    try {
      opts.special.lsetxattr(host, name, value);
    } catch (err) {
      if (opts.layer || !(isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP') || isErrno(err, 'EPERM'))) throw err;
    }
  }
}

/**
 * A file error while applying, as dockerd answers one of its untar: paths as
 * under `root` (a chroot's), Go's words ("link OLD NEW: …"); other errors as they are.
 */
export function applyError(err: unknown, root: string): unknown {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (err instanceof TsdError || !(e instanceof Error) || typeof e.syscall !== 'string') return err;
  if (e.syscall === 'link' && e.path !== undefined && e.dest !== undefined) {
    return new TarError(`link ${containerPath(root, e.path)} ${containerPath(root, e.dest)}: ${errnoDescription(e)}`);
  }
  return new TarError(goPathErrorIn(root, e));
}

/** A Node error shaped as the fs module's (code, errno, syscall, path), for a call this process cannot make. */
function cannot(syscall: string, path: string, code: 'EPERM' | 'ENOTSUP', text: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}, ${syscall} '${path}'`), { code, errno: code === 'EPERM' ? -1 : -95, syscall, path });
}

/**
 * What a process without the native addon (the CLI) can make: device nodes
 * and FIFOs with mknod(1) (a device as root only, as for docker cp); no xattrs
 * (ENOTSUP: a copy goes on without them).
 */
export const PORTABLE_SPECIAL_FILES: SpecialFiles = {
  mknod(path, mode, major, minor) {
    const type = (mode & S_IFMT) === S_IFIFO ? ['p'] : [(mode & S_IFMT) === S_IFBLK ? 'b' : 'c', String(major), String(minor)];
    const r = childProcess.spawnSync('mknod', ['-m', (mode & 0o7777).toString(8), path, ...type], { encoding: 'utf8' });
    if (r.status !== 0) throw cannot('mknod', path, 'EPERM', /Operation not permitted/.test(r.stderr) ? 'operation not permitted' : r.stderr.trim() || 'mknod failed');
  },
  lsetxattr(path) {
    throw cannot('lsetxattr', path, 'ENOTSUP', 'operation not supported');
  },
};
