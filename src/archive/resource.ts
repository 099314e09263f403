// The tars of docker cp, on both sides: the archive of one resource (a file,
// a symlink, or a directory with everything below it) with its entries rooted
// at a given name, as moby's TarResourceRebase makes it, and
// RebaseArchiveEntries (the CLI renames the root of an archive to the name a
// copy must create). Headers are Go's (tar-writer.ts); a directory's contents
// are the layer exporter's walk (export.ts), renamed under the root name.
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { device, exportTree, fileContent, type XattrReader } from './export';
import { paxNumber, XATTR_PAX_PREFIX, type PaxRecords } from './pax';
import { mapTarEntries, type TarEntry } from './read';
import { encodeEntryHeader, END_OF_ARCHIVE, padding, type EntryHeader, type EntryType } from './tar-writer';

/**
 * The tar of `host` (not followed if a symlink) with its root entry named
 * `name` and a directory's entries below `name/`; the name "/" roots them at
 * "/" ("/", "/bin/", …) as Docker archives a container's root. Throws (lstat)
 * when `host` does not exist.
 */
export function tarResource(host: string, name: string, xattrs: XattrReader): Readable {
  const st = lstatSync(host);
  return Readable.from(resource(host, name, st, xattrs), { objectMode: false });
}

async function* resource(host: string, name: string, st: Stats, xattrs: XattrReader): AsyncGenerator<Buffer> {
  if (st.isDirectory()) {
    const prefix = name === '/' ? '' : name;
    yield encodeEntryHeader({ ...baseHeader(st), name: `${prefix}/`, type: 'directory' });
    yield* renamedEntries(exportTree(host, xattrs), (entry) => `${prefix}/${entry}`);
  } else {
    yield* single(host, name, st);
  }
  yield END_OF_ARCHIVE;
}

function baseHeader(st: Stats): Omit<EntryHeader, 'name' | 'type'> {
  return { mode: st.mode, uid: st.uid, gid: st.gid, size: 0, mtime: Math.floor(st.mtimeMs / 1000) };
}

/** One non-directory entry; a socket has none (Docker skips sockets). */
async function* single(host: string, name: string, st: Stats): AsyncGenerator<Buffer> {
  const base = { ...baseHeader(st), name };
  if (st.isFile()) {
    yield encodeEntryHeader({ ...base, type: 'file', size: st.size });
    yield* fileContent(host, st.size);
  } else if (st.isSymbolicLink()) {
    yield encodeEntryHeader({ ...base, type: 'symlink', linkname: readlinkSync(host) });
  } else if (st.isCharacterDevice() || st.isBlockDevice()) {
    yield encodeEntryHeader({ ...base, ...device(st) });
  } else if (st.isFIFO()) {
    yield encodeEntryHeader({ ...base, type: 'fifo' });
  }
}

/** archive.RebaseArchiveEntries: the first `oldBase` in each name (and hard link target) becomes `newBase`. */
export function rebaseArchive(source: Readable, oldBase: string, newBase: string): Readable {
  // The root's "/" stays: "/bin" rebased from "/" to "x" is "x/bin".
  const from = oldBase === '/' ? '' : oldBase;
  const rename = (name: string): string => name.replace(from, () => newBase);
  const all = async function* (): AsyncGenerator<Buffer> {
    yield* renamedEntries(source, rename);
    yield END_OF_ARCHIVE;
  };
  return Readable.from(all(), { objectMode: false });
}

const KNOWN_TYPES: ReadonlySet<string> = new Set<EntryType>(['file', 'link', 'symlink', 'character-device', 'block-device', 'directory', 'fifo']);

/**
 * The entries of the tar `source` re-encoded with renamed names (and hard
 * link targets, which name entries), without the end-of-archive blocks.
 * Entries of other types (GNU sparse, …) are left out.
 */
async function* renamedEntries(source: Readable, rename: (name: string) => string): AsyncGenerator<Buffer> {
  yield* mapTarEntries(source, (entry) => renamed(entry, rename));
}

async function* renamed(entry: TarEntry, rename: (name: string) => string): AsyncGenerator<Buffer> {
  const h = entry.header;
  const type = h.type === 'contiguous-file' ? 'file' : h.type;
  if (type === null || !KNOWN_TYPES.has(type)) {
    for await (const _ of entry as AsyncIterable<Buffer>) void _;
    return;
  }
  const pax = h.pax as PaxRecords | null | undefined;
  const records = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(pax ?? {})) {
    if (key.startsWith(XATTR_PAX_PREFIX)) records.set(key, Buffer.from(value, 'latin1'));
  }
  const size = h.size ?? 0;
  yield encodeEntryHeader({
    name: rename(h.name),
    type: type as EntryType,
    mode: h.mode ?? 0,
    uid: paxNumber(pax, 'uid') ?? h.uid ?? 0,
    gid: paxNumber(pax, 'gid') ?? h.gid ?? 0,
    size: type === 'file' ? size : 0,
    mtime: Math.floor(paxNumber(pax, 'mtime') ?? (h.mtime?.getTime() ?? 0) / 1000),
    ...(h.linkname ? { linkname: type === 'link' ? rename(h.linkname) : h.linkname } : {}),
    ...(h.devmajor !== undefined ? { devmajor: h.devmajor } : {}),
    ...(h.devminor !== undefined ? { devminor: h.devminor } : {}),
    ...(records.size > 0 ? { records } : {}),
  });
  let read = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    read += chunk.length;
    if (type === 'file') yield chunk;
  }
  if (type === 'file') yield padding(read);
}
