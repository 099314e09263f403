// The raw ustar blocks of an archive, for tests that check bytes as written
// (mode fields, PAX header data) rather than as a tar reader decodes them.

export interface RawHeader {
  /** The ustar name field (no prefix, no PAX path). */
  name: string;
  /** The typeflag byte: '0' file, '5' directory, 'x' PAX header, … */
  flag: string;
  /** The mode field as written, e.g. '0100755\0'. */
  mode: string;
  /** The data of a PAX header. */
  pax?: Buffer;
}

export function rawHeaders(data: Buffer): RawHeader[] {
  const out: RawHeader[] = [];
  for (let off = 0; off + 512 <= data.length; ) {
    const b = data.subarray(off, off + 512);
    if (b.every((x) => x === 0)) break;
    const field = (start: number, len: number) => b.subarray(start, start + len).toString('latin1');
    const size = parseInt(field(124, 11), 8);
    const flag = field(156, 1);
    out.push({ name: field(0, 100).replace(/\0.*$/s, ''), flag, mode: field(100, 8), ...(flag === 'x' ? { pax: data.subarray(off + 512, off + 512 + size) } : {}) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
