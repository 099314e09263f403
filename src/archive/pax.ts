// PAX extended header records (`LEN KEY=VALUE\n`), binary-safe. Records are
// length-prefixed, so a value may hold any byte: Go's archive/tar (Docker) and
// GNU tar store an xattr's raw bytes in its SCHILY.xattr.NAME record, e.g. the
// binary security.capability struct that `setcap` writes. tar-stream reads and
// writes every record as UTF-8, which mangles such values; every layer tar we
// write (tar-writer.ts) or unpack goes through this module instead. Text
// records (path, linkpath, …) stay UTF-8; byte records are held as latin1
// strings (one char per byte) where a header carries records as strings.
import * as tar from 'tar-stream';

/** PAX record prefix of extended attributes (GNU tar, Go's archive/tar). */
export const XATTR_PAX_PREFIX = 'SCHILY.xattr.';

/** Records as tar-stream headers carry them; byte records as latin1 strings. */
export type PaxRecords = Record<string, string>;

/** Whether a record's value is bytes rather than UTF-8 text. */
function isByteRecord(key: string): boolean {
  return key.startsWith(XATTR_PAX_PREFIX);
}

/** The records in Go's order (sorted by key), each `LEN KEY=VALUE\n`; string values are UTF-8. */
export function encodePax(records: ReadonlyMap<string, string | Buffer>): Buffer {
  const keys = [...records.keys()].sort();
  return Buffer.concat(keys.map((key) => encodeRecord(key, records.get(key)!)));
}

function encodeRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), typeof value === 'string' ? Buffer.from(value) : value, Buffer.from('\n')]);
  // LEN counts its own digits, which may add a digit to it.
  let len = body.length + String(body.length).length;
  if (String(len).length !== String(body.length).length) len = body.length + String(len).length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** Parses a PAX header's records; a malformed record is an error, as Go's reader has it. */
export function decodePax(buf: Buffer): PaxRecords {
  const out: PaxRecords = {};
  let rest = buf;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const digits = space > 0 ? rest.subarray(0, space).toString('latin1') : '';
    const len = /^[0-9]+$/.test(digits) ? Number(digits) : NaN;
    if (!(len > space + 1 && len <= rest.length) || rest[len - 1] !== 0x0a) throw malformed();
    const record = rest.subarray(space + 1, len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw malformed();
    const key = record.subarray(0, eq).toString('utf8');
    out[key] = record.subarray(eq + 1).toString(isByteRecord(key) ? 'latin1' : 'utf8');
    rest = rest.subarray(len);
  }
  return out;
}

function malformed(): Error {
  return new Error('archive/tar: invalid tar header: malformed PAX record');
}

/** The extended attributes a header's records carry: name and exact bytes. */
export function xattrsOf(pax: PaxRecords | null | undefined): Array<[string, Buffer]> {
  if (!pax) return [];
  return Object.entries(pax)
    .filter(([key]) => key.startsWith(XATTR_PAX_PREFIX))
    .map(([key, value]) => [key.slice(XATTR_PAX_PREFIX.length), Buffer.from(value, 'latin1')]);
}

/** A numeric record (uid, gid, mtime, …), which Go writes when the ustar field is too small. */
export function paxNumber(pax: PaxRecords | null | undefined, key: string): number | undefined {
  const v = pax?.[key];
  if (v === undefined || !/^-?[0-9]+(\.[0-9]+)?$/.test(v)) return undefined;
  return Number(v);
}

// tar-stream's extractor decodes PAX headers in Extract#_decodeLongHeader with
// its UTF-8 decodePax. Its headers module is not exported, so we re-decode the
// same bytes with ours on our own instances: tar-stream keeps its handling of
// path/linkpath/size and of global headers, and the records come out exact.
interface ExtractInternals {
  _header: { type: string | null } | null;
  _pax: PaxRecords | null;
  _paxGlobal: PaxRecords | null;
  _decodeLongHeader(buf: Buffer): void;
}

/** tar-stream's extractor with binary-safe PAX records (header.pax is PaxRecords). */
export function tarExtract(): tar.Extract {
  const extract = tar.extract();
  const internals = extract as unknown as ExtractInternals;
  const original = internals._decodeLongHeader;
  if (typeof original !== 'function') throw new Error('tar-stream changed: Extract#_decodeLongHeader is gone (see src/archive/pax.ts)');
  internals._decodeLongHeader = function (this: ExtractInternals, buf: Buffer): void {
    const type = this._header?.type;
    if (type === 'pax-header') {
      this._pax = { ...this._paxGlobal, ...decodePax(buf) };
    } else if (type === 'pax-global-header') {
      this._paxGlobal = decodePax(buf);
    } else {
      original.call(this, buf);
    }
  };
  return extract;
}

/** The header with the uid, gid and mtime of its PAX records, if any (Go writes those that overflow ustar). */
export function withPaxNumbers(h: tar.Header): tar.Header {
  const pax = h.pax as PaxRecords | null | undefined;
  if (!pax) return h;
  const mtime = paxNumber(pax, 'mtime');
  return {
    ...h,
    uid: paxNumber(pax, 'uid') ?? h.uid,
    gid: paxNumber(pax, 'gid') ?? h.gid,
    mtime: mtime === undefined ? h.mtime : new Date(mtime * 1000),
  };
}
