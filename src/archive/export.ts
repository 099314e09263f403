// Exports a directory as a layer tar, the inverse of a layer's apply (apply.ts): an overlay upper
// dir (a container's changes, or an unpacked layer) becomes an OCI layer with
// AUFS whiteouts: char device 0/0 → `.wh.NAME`, trusted.overlay.opaque=y →
// `DIR/.wh..wh..opq`. Entries come in lexical walk order of the on-disk names
// (a whiteout stays where its file sorts, as Docker's walk leaves it); uid/gid,
// mode with its file-type bits (as Docker writes it), mtime, xattrs (raw bytes
// in SCHILY.xattr PAX records, overlay's own left out) and hardlinks within the
// directory are kept. Sockets are skipped, as Docker skips them. The headers
// are Go's (tar-writer.ts); the stream pulls the walk as it is read.
import { closeSync, constants, createReadStream, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { XATTR_PAX_PREFIX } from './pax';
import { encodeEntryHeader, END_OF_ARCHIVE, padding, type EntryHeader } from './tar-writer';
import { OPAQUE_XATTR, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './whiteout';

/** How a walk reads extended attributes: the daemon's native calls, or none (XATTRS_UNREAD). */
export interface XattrReader {
  /** The names; throws when the filesystem has no xattrs. */
  llistxattr(path: string): string[];
  lgetxattr(path: string, name: string): Buffer | null;
}

/** For a process without the native addon (the CLI): no xattr is archived. */
export const XATTRS_UNREAD: XattrReader = { llistxattr: () => [], lgetxattr: () => null };

/** A tar stream of `dir`'s contents (the directory itself is not an entry). */
export function exportTree(dir: string, xattrs: XattrReader): Readable {
  return Readable.from(archive(dir, xattrs), { objectMode: false });
}

async function* archive(root: string, xattrs: XattrReader): AsyncGenerator<Buffer> {
  yield* walk(root, '', new Map(), xattrs);
  yield END_OF_ARCHIVE;
}

// Metadata is read with synchronous calls, and small files in one read: each is
// a few microseconds, about what the thread-pool round trip of an async call
// costs (see apply.ts). Large files stream in chunks.
async function* walk(root: string, rel: string, links: Map<string, string>, xattrs: XattrReader): AsyncGenerator<Buffer> {
  const names = readdirSync(posix.join(root, rel)).sort();
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const host = posix.join(root, childRel);
    const st = lstatSync(host);
    yield* entry(host, childRel, st, links, xattrs);
    if (st.isDirectory()) yield* walk(root, childRel, links, xattrs);
  }
}

async function* entry(host: string, rel: string, st: Stats, links: Map<string, string>, xattrs: XattrReader): AsyncGenerator<Buffer> {
  const base = { name: rel, mode: st.mode, uid: st.uid, gid: st.gid, size: 0, mtime: Math.floor(st.mtimeMs / 1000) };
  if (st.isCharacterDevice() && st.rdev === 0) {
    // An overlay whiteout: an empty 0600 file, as Docker's overlay converter writes it.
    const dir = posix.dirname(rel);
    const name = `${WHITEOUT_PREFIX}${posix.basename(rel)}`;
    yield encodeEntryHeader({ ...base, name: dir === '.' ? name : `${dir}/${name}`, mode: 0o600, type: 'file' });
    return;
  }
  const records = xattrRecords(host, xattrs);
  if (st.isDirectory()) {
    yield encodeEntryHeader({ ...base, name: `${rel}/`, type: 'directory', records });
    if (xattrs.lgetxattr(host, OPAQUE_XATTR)?.toString() === 'y') {
      yield encodeEntryHeader({ ...base, name: `${rel}/${WHITEOUT_OPAQUE}`, mode: st.mode & 0o777, type: 'file' });
    }
    return;
  }
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first !== undefined) {
      yield encodeEntryHeader({ ...base, type: 'link', linkname: first, records });
      return;
    }
    links.set(key, rel);
  }
  if (st.isFile()) {
    yield encodeEntryHeader({ ...base, type: 'file', size: st.size, records });
    yield* fileContent(host, st.size);
  } else if (st.isSymbolicLink()) {
    yield encodeEntryHeader({ ...base, type: 'symlink', linkname: readlinkSync(host), records });
  } else if (st.isCharacterDevice() || st.isBlockDevice()) {
    yield encodeEntryHeader({ ...base, ...device(st), records });
  } else if (st.isFIFO()) {
    yield encodeEntryHeader({ ...base, type: 'fifo', records });
  }
}

/** Files up to this size are read in one synchronous read. */
const SMALL_FILE = 64 * 1024;
const CHUNK = 1024 * 1024;

/** The type and numbers of a character or block device's entry, as Go's archive/tar splits rdev. */
export function device(st: Stats): Pick<EntryHeader, 'type' | 'devmajor' | 'devminor'> {
  const rdev = Number(st.rdev);
  return {
    type: st.isCharacterDevice() ? 'character-device' : 'block-device',
    devmajor: ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff),
    devminor: (rdev & 0xff) | ((rdev >> 12) & ~0xff),
  };
}

/**
 * Exactly `size` bytes of the file (the size its header announced) and the
 * block padding. O_NOFOLLOW: a link put in the file's place since its lstat is
 * not read through.
 */
export async function* fileContent(host: string, size: number): AsyncGenerator<Buffer> {
  let read = 0;
  if (size > SMALL_FILE) {
    const fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW);
    for await (const chunk of createReadStream(host, { fd, start: 0, end: size - 1, highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
      read += chunk.length;
      yield chunk;
    }
  } else if (size > 0) {
    const buf = Buffer.allocUnsafe(size);
    const fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      while (read < size) {
        const n = readSync(fd, buf, read, size - read, read);
        if (n === 0) break;
        read += n;
      }
    } finally {
      closeSync(fd);
    }
    yield buf.subarray(0, read);
  }
  if (read !== size) throw new Error(`${host}: file shrank from ${size} to ${read} bytes while it was archived`);
  yield padding(size);
}

/** The xattrs to archive as PAX records, with their exact bytes. */
function xattrRecords(host: string, xattrs: XattrReader): Map<string, Buffer> | undefined {
  let names: string[];
  try {
    names = xattrs.llistxattr(host);
  } catch {
    return undefined; // the filesystem has no xattrs
  }
  const records = new Map<string, Buffer>();
  for (const name of names) {
    if (name.startsWith('trusted.overlay.')) continue;
    const value = xattrs.lgetxattr(host, name);
    if (value === null) continue;
    records.set(`${XATTR_PAX_PREFIX}${name}`, name === CAPABILITY_XATTR ? portableCapability(value) : value);
  }
  return records.size > 0 ? records : undefined;
}

const CAPABILITY_XATTR = 'security.capability';
/** struct vfs_cap_data v2 (linux/capability.h): magic_etc and two {permitted, inheritable} pairs. */
const VFS_CAP_V2_SIZE = 20;
/** Byte of the little-endian magic_etc that holds the revision. */
const VFS_CAP_REVISION_BYTE = 3;

/**
 * A v3 capability (with the root uid of the user namespace it was set in) as v2,
 * as Docker archives it: that uid means nothing outside the namespace the
 * archive was made in.
 */
function portableCapability(value: Buffer): Buffer {
  if (value.length <= VFS_CAP_V2_SIZE || value[VFS_CAP_REVISION_BYTE] !== 3) return value;
  const v2 = Buffer.from(value.subarray(0, VFS_CAP_V2_SIZE));
  v2[VFS_CAP_REVISION_BYTE] = 2;
  return v2;
}
