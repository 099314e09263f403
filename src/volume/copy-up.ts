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
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { chmod, chown, copyFile, lchown, link, lstat, lutimes, mkdir, readdir, readlink, symlink, utimes } from 'node:fs/promises';
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

/** Copies `src`'s tree into the existing directory `dst` (whose own owner and mode become src's). */
async function copyTree(src: string, dst: string, links: Map<string, string>): Promise<void> {
  for (const name of await readdir(src)) {
    const s = join(src, name);
    const d = join(dst, name);
    const st = await lstat(s, { bigint: true });
    const key = `${st.dev}:${st.ino}`;
    if (!st.isDirectory() && st.nlink > 1n) {
      const first = links.get(key);
      if (first) {
        await link(first, d);
        continue;
      }
      links.set(key, d);
    }
    if (st.isDirectory()) {
      await mkdir(d, { mode: 0o700 });
      await copyTree(s, d, links);
    } else if (st.isFile()) {
      await copyFile(s, d);
    } else if (st.isSymbolicLink()) {
      await symlink(await readlink(s), d);
    } else {
      mknod(d, Number(st.mode), Number(st.rdev >> 8n) & 0xfff, Number(st.rdev & 0xffn));
    }
    await copyMeta(s, d, st);
  }
}

async function copyMeta(s: string, d: string, st: Awaited<ReturnType<typeof lstat>> & { uid: bigint }): Promise<void> {
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
  await copyTree(source, volume, new Map());
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
