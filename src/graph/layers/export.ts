// Exports a directory as a layer tar, the inverse of unpack.ts: an overlay upper
// dir (a container's changes, or an unpacked layer) becomes an OCI layer with
// AUFS whiteouts: char device 0/0 → `.wh.NAME`, trusted.overlay.opaque=y →
// `DIR/.wh..wh..opq`. Entries come in lexical walk order of the on-disk names
// (a whiteout stays where its file sorts, as Docker's walk leaves it); uid/gid, mode, mtime,
// xattrs (SCHILY.xattr PAX records, overlay's own left out) and hardlinks within
// the directory are kept. Sockets are skipped, as Docker skips them.
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { lgetxattr, llistxattr } from '../../native';
import { packEntry, packStream, type Pack, type PackHeader } from '../tarpack';
import { OPAQUE_XATTR, WHITEOUT_OPAQUE, WHITEOUT_PREFIX, XATTR_PAX_PREFIX } from './whiteout';

type TarHeader = PackHeader;

/** A tar stream of `dir`'s contents (the directory itself is not an entry). */
export function exportDiff(dir: string): Readable {
  const pack = tar.pack();
  const run = async () => {
    const links = new Map<string, string>();
    await walk(pack, dir, '', links);
    pack.finalize();
  };
  run().catch((err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))));
  return Readable.from(pack as AsyncIterable<Buffer>);
}

async function walk(pack: Pack, root: string, rel: string, links: Map<string, string>): Promise<void> {
  const names = (await fsp.readdir(posix.join(root, rel))).sort();
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const host = posix.join(root, childRel);
    const st = await fsp.lstat(host);
    await addEntry(pack, host, childRel, st, links);
    if (st.isDirectory()) await walk(pack, root, childRel, links);
  }
}

async function addEntry(pack: Pack, host: string, rel: string, st: Stats, links: Map<string, string>): Promise<void> {
  const base: TarHeader = {
    name: rel,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000),
  };
  if (st.isCharacterDevice() && st.rdev === 0) {
    // An overlay whiteout.
    const dir = posix.dirname(rel);
    const name = `${WHITEOUT_PREFIX}${posix.basename(rel)}`;
    await entry(pack, { ...base, name: dir === '.' ? name : `${dir}/${name}`, mode: 0, type: 'file', size: 0 });
    return;
  }
  const pax = xattrRecords(host);
  const withPax = (h: TarHeader): TarHeader => (pax ? { ...h, pax } : h);
  if (st.isDirectory()) {
    await entry(pack, withPax({ ...base, name: `${rel}/`, type: 'directory' }));
    const opaque = lgetxattr(host, OPAQUE_XATTR);
    if (opaque?.toString() === 'y') {
      await entry(pack, { ...base, name: `${rel}/${WHITEOUT_OPAQUE}`, mode: st.mode & 0o777, type: 'file', size: 0 });
    }
    return;
  }
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first !== undefined) {
      await entry(pack, withPax({ ...base, type: 'link', linkname: first, size: 0 }));
      return;
    }
    links.set(key, rel);
  }
  if (st.isFile()) {
    await fileEntry(pack, withPax({ ...base, type: 'file', size: st.size }), host);
  } else if (st.isSymbolicLink()) {
    await entry(pack, withPax({ ...base, type: 'symlink', linkname: await fsp.readlink(host) }));
  } else if (st.isCharacterDevice() || st.isBlockDevice()) {
    const rdev = Number(st.rdev);
    await entry(pack, withPax({
      ...base,
      type: st.isCharacterDevice() ? 'character-device' : 'block-device',
      devmajor: ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff),
      devminor: (rdev & 0xff) | ((rdev >> 12) & ~0xff),
    }));
  } else if (st.isFIFO()) {
    await entry(pack, withPax({ ...base, type: 'fifo' }));
  }
}

function xattrRecords(host: string): Record<string, string> | undefined {
  let names: string[];
  try {
    names = llistxattr(host);
  } catch {
    return undefined; // the filesystem has no xattrs
  }
  const records: Record<string, string> = {};
  let any = false;
  for (const name of names.sort()) {
    if (name.startsWith('trusted.overlay.')) continue;
    const value = lgetxattr(host, name);
    if (value === null) continue;
    records[`${XATTR_PAX_PREFIX}${name}`] = value.toString('utf8');
    any = true;
  }
  return any ? records : undefined;
}

function entry(pack: Pack, header: TarHeader): Promise<void> {
  return packEntry(pack, header);
}

function fileEntry(pack: Pack, header: TarHeader, host: string): Promise<void> {
  return packStream(pack, header, createReadStream(host));
}
