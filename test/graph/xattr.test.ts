// Layer tars carry xattr values byte for byte (a binary security.capability, a
// user.* value that is not UTF-8) and modes as Docker writes them: export →
// unpack, export → GNU tar, GNU tar → unpack.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDiff } from '../../src/graph/layers/export';
import { encodePax } from '../../src/archive/pax';
import { encodeEntryHeader, END_OF_ARCHIVE, padding } from '../../src/archive/tar-writer';
import { unpackLayer } from '../../src/graph/layers/unpack';
import { lgetxattr, llistxattr, lsetxattr } from '../../src/native';
import { listTar, tempDir } from './helpers';
import { rawHeaders } from './tar-blocks';

const isRoot = process.getuid?.() === 0;
const hasSetcap = spawnSync('setcap', ['-h']).error === undefined;
const LONG_DIR = 'd'.repeat(120);
const NON_ASCII = 'ünïcode-名前';
/** Not UTF-8: a lone continuation byte, a NUL, a truncated sequence. */
const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a, 0x3d]);
/** vfs_cap_data v2 for cap_setuid,cap_net_raw+ep: permitted = bits 7 and 13 (0x80 is not UTF-8 on its own). */
const CAP_V2 = Buffer.from('0100000280200000000000000000000000000000', 'hex');
/** The same as v3, with the root uid 1000 of the user namespace it was set in. */
const CAP_V3 = Buffer.concat([Buffer.from('0100000380200000000000000000000000000000', 'hex'), Buffer.from([0xe8, 0x03, 0, 0])]);

let dir: string;
let src: string;
let layerTar: Buffer;

/** Every xattr of every path below `root` except the overlay's, name → hex. */
function xattrsBelow(root: string, paths: string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const p of paths) {
    const host = join(root, p);
    out[p] = Object.fromEntries(llistxattr(host).sort().map((n) => [n, lgetxattr(host, n)!.toString('hex')]));
  }
  return out;
}

const PATHS = ['bin/ping', 'etc', 'etc/blob', `${LONG_DIR}/file`, NON_ASCII, 'v3cap'];

beforeAll(() => {
  if (!isRoot) return;
  dir = tempDir('tsd-xattr-');
  src = join(dir, 'src');
  mkdirSync(join(src, 'bin'), { recursive: true });
  mkdirSync(join(src, 'etc'));
  mkdirSync(join(src, 'tmp'));
  chmodSync(join(src, 'tmp'), 0o1777);
  mkdirSync(join(src, LONG_DIR));
  writeFileSync(join(src, 'bin/ping'), 'ping');
  chmodSync(join(src, 'bin/ping'), 0o755);
  if (hasSetcap) execFileSync('setcap', ['cap_setuid,cap_net_raw+ep', join(src, 'bin/ping')]);
  else lsetxattr(join(src, 'bin/ping'), 'security.capability', CAP_V2);
  writeFileSync(join(src, 'bin/suid'), 's');
  chmodSync(join(src, 'bin/suid'), 0o4755);
  symlinkSync('ping', join(src, 'bin/link'));
  writeFileSync(join(src, 'etc/blob'), 'blob');
  lsetxattr(join(src, 'etc/blob'), 'user.bin', NOT_UTF8);
  lsetxattr(join(src, 'etc/blob'), 'user.text', Buffer.from('héllo = ok\n'));
  lsetxattr(join(src, 'etc/blob'), 'user.empty', Buffer.alloc(0));
  lsetxattr(join(src, 'etc'), 'user.dir', Buffer.from([0xc0, 0xaf]));
  writeFileSync(join(src, LONG_DIR, 'file'), 'long');
  lsetxattr(join(src, LONG_DIR, 'file'), 'user.bin', NOT_UTF8);
  writeFileSync(join(src, NON_ASCII), 'u');
  lsetxattr(join(src, NON_ASCII), 'user.bin', NOT_UTF8);
  writeFileSync(join(src, 'bigid'), 'b');
  chownSync(join(src, 'bigid'), 3_000_000, 3_000_001);
  writeFileSync(join(src, 'v3cap'), 'v3');
  lsetxattr(join(src, 'v3cap'), 'security.capability', CAP_V3);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function toBuffer(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe.skipIf(!isRoot)('xattrs and modes in layer tars', () => {
  beforeAll(async () => {
    if (isRoot) layerTar = await toBuffer(exportDiff(src));
  });

  it('the capability set on the source is the binary v2 struct', () => {
    expect(lgetxattr(join(src, 'bin/ping'), 'security.capability')).toEqual(CAP_V2);
    expect(lgetxattr(join(src, 'v3cap'), 'security.capability')).toEqual(CAP_V3);
  });

  it('export writes raw bytes in one PAX header per entry, with the path in it', () => {
    const raw = rawHeaders(layerTar);
    const paxOf = (name: string) => {
      const i = raw.findLastIndex((h) => h.flag !== 'x' && h.name === name);
      expect(i, name).toBeGreaterThan(0);
      expect(raw[i - 1]!.flag, `the header before ${name}`).toBe('x');
      if (i > 1) expect(raw[i - 2]!.flag).not.toBe('x');
      return raw[i - 1]!.pax!;
    };
    // Byte for byte the record dockerd's `docker export` writes for this capability.
    expect(paxOf('bin/ping')).toEqual(Buffer.concat([Buffer.from('57 SCHILY.xattr.security.capability='), CAP_V2, Buffer.from('\n')]));
    expect(raw.find((h) => h.flag === 'x' && h.name === 'bin/PaxHeaders.0/ping')).toBeDefined();
    expect(paxOf('etc/').includes(Buffer.concat([Buffer.from('SCHILY.xattr.user.dir='), Buffer.from([0xc0, 0xaf, 0x0a])]))).toBe(true);
    const blob = paxOf('etc/blob');
    expect(blob.includes(Buffer.concat([Buffer.from(' SCHILY.xattr.user.bin='), NOT_UTF8, Buffer.from('\n')]))).toBe(true);
    expect(blob.includes(Buffer.from(' SCHILY.xattr.user.empty=\n'))).toBe(true);
    // The ustar name field is truncated (its directory's too, which comes first):
    // the path is in the same record set as the xattr.
    const long = paxOf(`${LONG_DIR}/file`.slice(0, 100));
    expect(long.includes(Buffer.from(` path=${LONG_DIR}/file\n`))).toBe(true);
    expect(long.includes(Buffer.concat([Buffer.from('SCHILY.xattr.user.bin='), NOT_UTF8]))).toBe(true);
    // A non-ASCII name: ustar gets its ASCII letters, the record the UTF-8 name.
    expect(paxOf('ncode-').includes(Buffer.from(` path=${NON_ASCII}\n`))).toBe(true);
  });

  it('a v3 capability is archived as v2, as Docker archives it', () => {
    const raw = rawHeaders(layerTar);
    const i = raw.findIndex((h) => h.name === 'v3cap');
    expect(raw[i - 1]!.pax).toEqual(encodePax(new Map([['SCHILY.xattr.security.capability', CAP_V2]])));
  });

  it('modes carry the file-type bits with setuid and sticky, as Docker writes them', async () => {
    const raw = new Map(rawHeaders(layerTar).filter((h) => h.flag !== 'x').map((h) => [h.name, h.mode]));
    expect(raw.get('bin/')).toBe('0040755\0');
    expect(raw.get('bin/ping')).toBe('0100755\0');
    expect(raw.get('bin/suid')).toBe('0104755\0');
    expect(raw.get('bin/link')).toBe('0120777\0');
    expect(raw.get('tmp/')).toBe('0041777\0');
    const byName = new Map((await listTar(layerTar)).map((e) => [e.name, e]));
    // ids past ustar's 7 octal digits go to records, as Go writes them
    const bigid = rawHeaders(layerTar).find((h) => h.name === 'PaxHeaders.0/bigid')!.pax!;
    expect(bigid).toEqual(encodePax(new Map([['gid', '3000001'], ['uid', '3000000']])));
    expect(byName.get(NON_ASCII)?.body.toString()).toBe('u');
    expect(byName.get(`${LONG_DIR}/file`)?.body.toString()).toBe('long');
  });

  it('unpack restores every value byte for byte, with modes and large ids', async () => {
    const dst = join(dir, 'unpacked');
    mkdirSync(dst);
    await unpackLayer(Readable.from([layerTar]), dst);
    const expected = xattrsBelow(src, PATHS);
    expected['v3cap'] = { 'security.capability': CAP_V2.toString('hex') };
    expect(xattrsBelow(dst, PATHS)).toEqual(expected);
    if (hasSetcap) expect(getcap(dst, 'bin/ping')).toBe(getcap(src, 'bin/ping'));
    expect(lstatSync(join(dst, 'bin/suid')).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(join(dst, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect([lstatSync(join(dst, 'bigid')).uid, lstatSync(join(dst, 'bigid')).gid]).toEqual([3_000_000, 3_000_001]);
  });

  it('GNU tar extracts the same bytes from our tar', () => {
    const dst = join(dir, 'gnu-x');
    mkdirSync(dst);
    const file = join(dir, 'layer.tar');
    writeFileSync(file, layerTar);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', file, '-C', dst]);
    const expected = xattrsBelow(src, PATHS);
    expected['v3cap'] = { 'security.capability': CAP_V2.toString('hex') };
    expect(xattrsBelow(dst, PATHS)).toEqual(expected);
    expect(lstatSync(join(dst, 'bigid')).uid).toBe(3_000_000);
    expect(execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n')).toContain(`${LONG_DIR}/file`);
  });

  it('unpack restores the raw bytes GNU tar writes', async () => {
    const file = join(dir, 'gnu.tar');
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--format=posix', '-cf', file, '-C', src, '.']);
    const dst = join(dir, 'from-gnu');
    mkdirSync(dst);
    await unpackLayer(Readable.from([readFileSync(file)]), dst);
    expect(xattrsBelow(dst, PATHS)).toEqual(xattrsBelow(src, PATHS));
    // GNU tar's mtime records have nanoseconds; they win over the whole-second ustar field.
    expect(Math.abs(lstatSync(join(dst, 'etc/blob')).mtimeMs - lstatSync(join(src, 'etc/blob')).mtimeMs)).toBeLessThan(1);
  });

  it('refuses a malformed PAX record', async () => {
    const h = encodeEntryHeader({ name: 'f', type: 'file', mode: 0o100644, uid: 0, gid: 0, size: 0, mtime: 0, records: new Map([['SCHILY.xattr.user.x', Buffer.from('v')]]) });
    const bad = Buffer.from(h);
    bad.write('99', 512, 'latin1'); // the record's length now runs past the header's data
    const dst = join(dir, 'malformed');
    mkdirSync(dst);
    await expect(unpackLayer(Readable.from([Buffer.concat([bad, padding(0), END_OF_ARCHIVE])]), dst)).rejects.toThrow(/malformed PAX record/);
  });
});

function getcap(root: string, path: string): string {
  return execFileSync('getcap', [join(root, path)], { encoding: 'utf8' }).replace(root, '');
}
