// Tar header blocks as Go's archive/tar writes them for Docker (pkg/archive):
// a ustar block whose mode carries the file-type bits too (0100755, 040755,
// 0120777, …: Docker's fillGo18FileTypeBits), preceded, when something does
// not fit ustar, by one PAX header (`DIR/PaxHeaders.0/NAME`, type 'x') holding
// every record of the entry: xattrs as raw bytes, and path, linkpath, uid,
// gid, size or mtime when those do not fit their fields. One PAX header per
// entry matters: Go's reader keeps only the last of consecutive ones.
import { posix } from 'node:path';
import { encodePax } from './pax';

export type EntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface EntryHeader {
  /** The name in the archive; directories end with '/'. */
  name: string;
  type: EntryType;
  /** Permission bits, setuid/setgid/sticky and, as Docker writes them, the file-type bits. */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content that follow (files only). */
  size: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra PAX records (SCHILY.xattr.NAME → raw bytes). */
  records?: ReadonlyMap<string, Buffer>;
}

const BLOCK = 512;
/** Widths of the numeric fields that have a PAX record to fall back to. */
const NUMERIC_WIDTH = { uid: 8, gid: 8, size: 12, mtime: 12 } as const;
const TYPEFLAG: Record<EntryType | 'pax', string> = {
  file: '0', link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', directory: '5', fifo: '6', pax: 'x',
};

/** Two zero blocks close an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/** Zeros that fill the last block of `size` bytes of content. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The blocks that start an entry: its PAX header with records when it needs one, then its ustar header. */
export function encodeEntryHeader(h: EntryHeader): Buffer {
  const records = new Map<string, string | Buffer>(h.records ?? []);
  // A number too big for its field goes to a record, the field left 0 as Go leaves it.
  const numbers = { uid: h.uid, gid: h.gid, size: h.size, mtime: h.mtime };
  for (const key of Object.keys(NUMERIC_WIDTH) as Array<keyof typeof NUMERIC_WIDTH>) {
    if (fitsOctal(numbers[key], NUMERIC_WIDTH[key])) continue;
    records.set(key, String(numbers[key]));
    numbers[key] = 0;
  }
  const linkname = h.linkname ?? '';
  if (!isAscii(linkname) || linkname.length > 100) records.set('linkpath', linkname);
  const split = records.size === 0 ? splitUstarPath(h.name) : undefined;
  if (!split && (!isAscii(h.name) || h.name.length > 100)) records.set('path', h.name);

  const main = ustarBlock({ ...h, ...numbers }, split ?? { prefix: '', name: h.name });
  if (records.size === 0) return main;
  const data = encodePax(records);
  const paxHeader = ustarBlock(
    { type: 'pax', mode: 0, uid: 0, gid: 0, size: data.length, mtime: 0 },
    { prefix: '', name: paxEntryName(h.name) },
  );
  return Buffer.concat([paxHeader, data, padding(data.length), main]);
}

/** What a ustar block holds of an entry, or of its PAX header. */
type BlockFields = Omit<EntryHeader, 'name' | 'records' | 'type'> & { type: EntryType | 'pax' };

function ustarBlock(h: BlockFields, path: { prefix: string; name: string }): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(toAscii(path.name), 0, 100, 'latin1');
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.write(TYPEFLAG[h.type], 156, 'latin1');
  b.write(toAscii(h.linkname ?? ''), 157, 100, 'latin1');
  b.write('ustar\x0000', 257, 'latin1');
  if (h.type !== 'pax') {
    octal(b, 329, 8, h.devmajor ?? 0);
    octal(b, 337, 8, h.devminor ?? 0);
  }
  b.write(path.prefix, 345, 155, 'latin1');
  b.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  let sum = 0;
  for (const byte of b) sum += byte;
  octal(b, 148, 7, sum);
  b[154] = 0;
  b[155] = 0x20;
  return b;
}

/** `width - 1` zero-padded octal digits and a NUL, as Go formats numeric fields. */
function octal(b: Buffer, offset: number, width: number, value: number): void {
  b.write(value.toString(8).padStart(width - 1, '0'), offset, width - 1, 'latin1');
}

function fitsOctal(value: number, width: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < 8 ** (width - 1);
}

/** A long ASCII name split into ustar's prefix (155) and name (100) at a '/', as Go's splitUSTARPath. */
function splitUstarPath(name: string): { prefix: string; name: string } | undefined {
  if (name.length <= 100) return isAscii(name) ? { prefix: '', name } : undefined;
  if (!isAscii(name)) return undefined;
  let length = name.length;
  if (length > 156) length = 156;
  else if (name[length - 1] === '/') length--;
  const i = name.lastIndexOf('/', length - 1);
  const suffix = name.length - i - 1;
  if (i <= 0 || suffix > 100 || suffix === 0 || i > 155) return undefined;
  return { prefix: name.slice(0, i), name: name.slice(i + 1) };
}

/** Go's name for an entry's PAX header: `DIR/PaxHeaders.0/BASE`, ASCII, at most 100 bytes. */
function paxEntryName(name: string): string {
  const slash = name.lastIndexOf('/');
  const joined = posix.join(name.slice(0, slash + 1), 'PaxHeaders.0', name.slice(slash + 1));
  return toAscii(joined).slice(0, 100).replace(/\/+$/, '');
}

function isAscii(s: string): boolean {
  return /^[\x01-\x7f]*$/.test(s);
}

function toAscii(s: string): string {
  return s.replace(/[^\x01-\x7f]/g, '');
}
