// Copy-up: a volume mounted over a directory that has content in the image
// receives that content at its first mount while the volume is empty, as
// dockerd's copyExistingContents does (files, directories, symlinks, devices,
// FIFOs, hard links; owners, modes, times and extended attributes).
//
// Crash safety: a marker file (outside the volume) is written before the copy
// and removed once it is complete and synced. A volume found with its marker
// at a mount is a half copy: it is emptied and the copy redone, so a volume is
// never left silently half-filled.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync, type BigIntStats } from 'node:fs';
import { chmod, chown, copyFile, lchown, lstat, lutimes, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors';
import { lgetxattr, llistxattr, lsetxattr, mknod } from '../native';

/** True when the volume holds nothing (dockerd copies only into an empty volume). */
function isEmpty(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return true;
    throw err;
  }
}

function copyXattrs(src: string, dst: string): void {
  let names: string[];
  try {
    names = llistxattr(src);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith('trusted.overlay.')) continue;
    const value = lgetxattr(src, name);
    if (value === null) continue;
    try {
      lsetxattr(dst, name, value);
    } catch {
      // a filesystem without that namespace (tmpfs and trusted.*, security.* under a plugin's fs): skipped, as dockerd's copy does
    }
  }
}

/** File copies under way at once (copy_file_range in the kernel; the walk itself is synchronous). */
const PARALLEL_COPIES = 8;

type Entry = [src: string, dst: string, st: BigIntStats];

/**
 * Copies `src`'s tree into the existing directory `dst`: directories,
 * symlinks and devices as the walk meets them, regular files PARALLEL_COPIES
 * at a time, hard links once their first name is there, then the
 * directories' owners, modes and times, deepest first (their children's
 * creation would change their times).
 */
async function copyTree(src: string, dst: string): Promise<void> {
  const files: Entry[] = [];
  const dirs: Entry[] = [];
  const specials: Entry[] = [];
  const hardLinks: Array<[first: string, dst: string]> = [];
  const firstNames = new Map<string, string>();
  const walk = (s0: string, d0: string): void => {
    for (const name of readdirSync(s0)) {
      const s = join(s0, name);
      const d = join(d0, name);
      const st = lstatSync(s, { bigint: true });
      if (!st.isDirectory() && st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const first = firstNames.get(key);
        if (first) {
          hardLinks.push([first, d]);
          continue;
        }
        firstNames.set(key, d);
      }
      if (st.isDirectory()) {
        mkdirSync(d, { mode: 0o700 });
        dirs.push([s, d, st]);
        walk(s, d);
      } else if (st.isFile()) files.push([s, d, st]);
      else {
        if (st.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
        else mknod(d, Number(st.mode), Number(st.rdev >> 8n) & 0xfff, Number(st.rdev & 0xffn));
        specials.push([s, d, st]);
      }
    }
  };
  walk(src, dst);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const [s, d, st] = files[next++]!;
      await copyFile(s, d);
      await copyMeta(s, d, st);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_COPIES, files.length) }, worker));
  for (const [s, d, st] of specials) await copyMeta(s, d, st);
  for (const [first, d] of hardLinks) linkSync(first, d);
  for (const [s, d, st] of dirs.reverse()) await copyMeta(s, d, st);
}

async function copyMeta(s: string, d: string, st: BigIntStats): Promise<void> {
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  const atime = new Date(Number(st.atimeMs));
  const mtime = new Date(Number(st.mtimeMs));
  if (st.isSymbolicLink()) {
    await lchown(d, uid, gid);
    copyXattrs(s, d);
    await lutimes(d, atime, mtime);
    return;
  }
  await chown(d, uid, gid);
  await chmod(d, Number(st.mode) & 0o7777);
  copyXattrs(s, d);
  await utimes(d, atime, mtime);
}

/**
 * Fills `volume` from `source` (the image's directory as the container's
 * rootfs shows it) if the volume is empty or its marker says a copy was cut.
 * `marker` is a path outside the volume. Returns whether it copied.
 */
export async function copyUp(source: string, volume: string, marker: string): Promise<boolean> {
  const redo = existsSync(marker);
  if (!redo && !isEmpty(volume)) return false;
  let st;
  try {
    st = lstatSync(source);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
  if (!st.isDirectory()) return false;
  if (!redo && readdirSync(source).length === 0) {
    await copyMeta(source, volume, await lstat(source, { bigint: true }));
    return false;
  }
  mkdirSync(join(marker, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(marker, '', { mode: 0o600 });
  syncDir(join(marker, '..'));
  if (redo) for (const name of readdirSync(volume)) rmSync(join(volume, name), { recursive: true, force: true });
  await copyTree(source, volume);
  await copyMeta(source, volume, await lstat(source, { bigint: true }));
  syncFs(volume);
  unlinkSync(marker);
  syncDir(join(marker, '..'));
  return true;
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** syncfs(2) of the volume's filesystem (coreutils `sync -f`): the copy is on disk before its marker goes. */
function syncFs(dir: string): void {
  execFileSync('sync', ['-f', dir], { stdio: 'ignore' });
}
