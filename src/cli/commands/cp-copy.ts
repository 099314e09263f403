// The local side of docker cp, as moby's archive package (copy.go) has it:
// what a source or destination path is (CopyInfo), how an archive is renamed
// so that extracting it in a directory makes the copy the user asked for
// (PrepareArchiveCopy), and the extraction on this machine (CopyTo). The
// rules of `cp -a`: a destination that exists as a directory receives the
// source inside; a missing one is created with the source's content; `dir/.`
// copies a directory's contents.
import { lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import type { Readable } from 'node:stream';
import { decompressStream } from '../../archive/compression';
import { applyTar, PORTABLE_SPECIAL_FILES } from '../../archive/apply';
import {
  assertsDirectory, getRebaseName, goBase, goClean, goDir, goJoin, goSplit, hasTrailingSeparator, preserveTrailingDotOrSeparator, splitPathDirEntry,
} from '../../archive/paths';
import { rebaseArchive } from '../../archive/resource';
import { CliError } from '../cli';
import { goPathError } from './containers-units';

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** The name the archive's root must take (a symlink followed, or "dir/" resolved elsewhere). */
  rebaseName: string;
}

/** A Node file error in Go's words, as a CLI error. */
export function fileError(err: unknown): CliError {
  return new CliError(goPathError(err));
}

/** filepath.Abs with the `/` or `/.` the path ended with. */
export function resolveLocalPath(path: string): string {
  const abs = path.startsWith('/') ? goClean(path) : goJoin(process.cwd(), path);
  return preserveTrailingDotOrSeparator(abs, path);
}

/** filepath.EvalSymlinks: every symlink resolved; the path must exist. */
function evalSymlinks(path: string): string {
  try {
    return realpathSync(path === '' ? '.' : path);
  } catch (err) {
    throw fileError(err);
  }
}

/** archive.ResolveHostSourcePath: the symlinks of the parent resolved (and of the last element too with -L). */
function resolveHostSourcePath(path: string, followLink: boolean): [resolved: string, rebaseName: string] {
  if (followLink) return getRebaseName(path, evalSymlinks(path));
  const [dir, base] = goSplit(path);
  const resolved = `${evalSymlinks(dir)}/${base}`;
  return [resolved, hasTrailingSeparator(path) && goBase(path) !== goBase(resolved) ? goBase(path) : ''];
}

/** archive.CopyInfoSourcePath: a local source, which must exist. */
export function copyInfoSourcePath(path: string, followLink: boolean): CopyInfo {
  const [resolved, rebaseName] = resolveHostSourcePath(path, followLink);
  let st: Stats;
  try {
    st = lstatSync(resolved);
  } catch (err) {
    throw fileError(err);
  }
  return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName };
}

/** archive.CopyInfoDestinationPath: a local destination, symlinks at its end followed; its parent must exist. */
function copyInfoDestinationPath(original: string): CopyInfo {
  let path = original;
  let st = lstatSync(path, { throwIfNoEntry: false });
  for (let n = 0; st?.isSymbolicLink(); n++) {
    if (n > 10) throw new CliError(`too many symlinks in ${original}`);
    const target = readLink(path);
    path = target.startsWith('/') ? target : goJoin(splitPathDirEntry(path)[0], target);
    st = lstatSync(path, { throwIfNoEntry: false });
  }
  if (st) return { path, exists: true, isDir: st.isDirectory(), rebaseName: '' };
  const parent = splitPathDirEntry(path)[0];
  let parentStat: Stats;
  try {
    parentStat = statSync(parent);
  } catch (err) {
    throw fileError(err);
  }
  if (!parentStat.isDirectory()) throw new CliError('not a directory');
  return { path, exists: false, isDir: false, rebaseName: '' };
}

function readLink(path: string): string {
  try {
    return readlinkSync(path);
  } catch (err) {
    throw fileError(err);
  }
}

/**
 * archive.PrepareArchiveCopy: the directory to extract `content` (the archive
 * of srcInfo) into so that it lands at dstInfo, and the archive renamed as
 * that needs.
 */
export function prepareArchiveCopy(content: Readable, src: CopyInfo, dst: CopyInfo): { dstDir: string; content: Readable } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName || splitPathDirEntry(src.path)[1];
  if (dst.exists && dst.isDir) return { dstDir: dst.path, content };
  if (dst.exists && src.isDir) throw new CliError('cannot copy directory');
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw new CliError('no such directory');
  return { dstDir, content: rebaseArchive(content, srcBase, dstBase) };
}

/** archive.CopyTo: extracts the archive of srcInfo at the local dstPath (owned by whoever runs the CLI). */
export async function copyTo(content: Readable, src: CopyInfo, dstPath: string): Promise<void> {
  const dst = copyInfoDestinationPath(dstPath);
  const prepared = prepareArchiveCopy(content, src, dst);
  const { stream } = await decompressStream(prepared.content);
  const dest = goClean(prepared.dstDir);
  await applyTar(stream, { root: '/', dest, layer: false, noOverwriteDirNonDir: true, owner: 'none', special: PORTABLE_SPECIAL_FILES });
}

/** command.ValidateOutputPath: the parent must exist, and an existing path be a directory or a regular file. */
export function validateOutputPath(path: string): void {
  const dir = goDir(goClean(path));
  if (dir !== '' && dir !== '.') {
    try {
      statSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`invalid output path: directory ${JSON.stringify(dir)} does not exist`);
    }
  }
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fileError(err);
  }
  if (st.isDirectory() || st.isFile()) return;
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    throw new CliError(`invalid output path: ${JSON.stringify(path)} must be a directory or a regular file: got a device`);
  }
}
