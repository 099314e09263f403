// Copy-up (src/volume/copy-up.ts) on real files: owners, modes, times,
// extended attributes, hard links, symlinks and FIFOs come across; a volume
// with content is left alone; a copy whose marker a crash left is redone from
// scratch; an empty or missing source copies nothing.
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lgetxattr, lsetxattr, mknod } from '../../src/native';
import { copyUp } from '../../src/volume/copy-up';

const dir = mkdtempSync(join(tmpdir(), 'tsd-copyup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function source(name: string): string {
  const src = join(dir, name);
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'f'), 'content');
  chownSync(join(src, 'f'), 1234, 5678);
  chmodSync(join(src, 'f'), 0o640);
  lsetxattr(join(src, 'f'), 'user.tsd', Buffer.from('xattr value'));
  utimesSync(join(src, 'f'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
  linkSync(join(src, 'f'), join(src, 'sub', 'hard'));
  symlinkSync('../f', join(src, 'sub', 'link'));
  mknod(join(src, 'fifo'), 0o010644, 0, 0);
  chmodSync(join(src, 'sub'), 0o710);
  chownSync(src, 42, 43);
  chmodSync(src, 0o750);
  return src;
}

describe('copyUp', () => {
  it('copies owners, modes, times, xattrs, hard links, symlinks and FIFOs into an empty volume', async () => {
    const src = source('s1');
    const vol = join(dir, 'v1');
    mkdirSync(vol, { mode: 0o755 });
    expect(await copyUp(src, vol, join(dir, 'markers', 'v1'))).toBe(true);
    const f = statSync(join(vol, 'f'));
    expect([f.uid, f.gid, f.mode & 0o7777, f.mtime.toISOString(), f.nlink]).toEqual([1234, 5678, 0o640, '2020-01-02T03:04:05.000Z', 2]);
    expect(statSync(join(vol, 'sub', 'hard')).ino).toBe(f.ino);
    expect(lgetxattr(join(vol, 'f'), 'user.tsd')?.toString()).toBe('xattr value');
    expect(readlinkSync(join(vol, 'sub', 'link'))).toBe('../f');
    expect(lstatSync(join(vol, 'fifo')).isFIFO()).toBe(true);
    expect(statSync(join(vol, 'sub')).mode & 0o7777).toBe(0o710);
    const root = statSync(vol);
    expect([root.uid, root.gid, root.mode & 0o7777]).toEqual([42, 43, 0o750]);
    expect(existsSync(join(dir, 'markers', 'v1'))).toBe(false);
  });

  it('leaves a volume with content alone, and copies nothing from an empty or missing source', async () => {
    const src = source('s2');
    const vol = join(dir, 'v2');
    mkdirSync(vol);
    writeFileSync(join(vol, 'mine'), 'x');
    expect(await copyUp(src, vol, join(dir, 'markers', 'v2'))).toBe(false);
    expect(readdirSync(vol)).toEqual(['mine']);
    const empty = join(dir, 'v3');
    mkdirSync(empty);
    expect(await copyUp(join(dir, 'nothing-here'), empty, join(dir, 'markers', 'v3'))).toBe(false);
    mkdirSync(join(dir, 'empty-src'));
    expect(await copyUp(join(dir, 'empty-src'), empty, join(dir, 'markers', 'v3'))).toBe(false);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('redoes a copy a crash cut (its marker still there): the half copy is replaced by a whole one', async () => {
    const src = source('s4');
    const vol = join(dir, 'v4');
    mkdirSync(join(vol, 'sub'), { recursive: true });
    writeFileSync(join(vol, 'f'), 'cont'); // cut in the middle
    writeFileSync(join(vol, 'sub', 'stray'), '');
    mkdirSync(join(dir, 'markers'), { recursive: true });
    writeFileSync(join(dir, 'markers', 'v4'), '');
    expect(await copyUp(src, vol, join(dir, 'markers', 'v4'))).toBe(true);
    expect(readFileSync(join(vol, 'f'), 'utf8')).toBe('content');
    expect(readdirSync(join(vol, 'sub')).sort()).toEqual(['hard', 'link']);
    expect(existsSync(join(dir, 'markers', 'v4'))).toBe(false);
  });
});
