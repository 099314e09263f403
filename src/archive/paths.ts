// Go's path/filepath and Docker's archive path conventions, for docker cp on
// both sides (daemon and CLI): a path ending in `/` or `/.` asserts a
// directory (and `/.` means "its contents"), so those endings are kept
// through cleaning, as moby's archive package keeps them.
import { posix } from 'node:path';

/** filepath.Clean: "" is ".", no trailing slash but for "/". */
export function goClean(path: string): string {
  if (path === '') return '.';
  const clean = posix.normalize(path);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/** filepath.Base: the last element; "/" for the root, "." for "". */
export function goBase(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** filepath.Dir: everything but the last element, cleaned. */
export function goDir(path: string): string {
  return goClean(path.slice(0, path.lastIndexOf('/') + 1));
}

/** filepath.Split: the part up to and including the last '/', and the rest. */
export function goSplit(path: string): [dir: string, file: string] {
  const i = path.lastIndexOf('/');
  return [path.slice(0, i + 1), path.slice(i + 1)];
}

/** filepath.Join: the non-empty elements joined and cleaned ("" when all are empty). */
export function goJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '');
  return parts.length === 0 ? '' : goClean(parts.join('/'));
}

export function hasTrailingSeparator(path: string): boolean {
  return path.endsWith('/');
}

/** Whether the last element is "." (the path names a directory's contents). */
export function specifiesCurrentDir(path: string): boolean {
  return goBase(path) === '.';
}

/** A path ending in `/` or `/.` asserts a directory. */
export function assertsDirectory(path: string): boolean {
  return hasTrailingSeparator(path) || specifiesCurrentDir(path);
}

/** archive.PreserveTrailingDotOrSeparator: `cleaned` with the `/.` or `/` that `original` ended with. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(out) && specifiesCurrentDir(original)) {
    if (!hasTrailingSeparator(out)) out += '/';
    out += '.';
  }
  if (!hasTrailingSeparator(out) && hasTrailingSeparator(original)) out += '/';
  return out;
}

/** archive.SplitPathDirEntry: the cleaned parent and last element, a trailing "." kept as the element. */
export function splitPathDirEntry(path: string): [dir: string, base: string] {
  let cleaned = goClean(path);
  if (specifiesCurrentDir(path)) cleaned += '/.';
  return [goDir(cleaned), goBase(cleaned)];
}

/** archive.GetRebaseName: the resolved path with the requested path's ending, and the name to rebase to if the last element changed. */
export function getRebaseName(path: string, resolved: string): [resolvedPath: string, rebaseName: string] {
  let out = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(out)) out += '/.';
  if (hasTrailingSeparator(path) && !hasTrailingSeparator(out)) out += '/';
  return [out, goBase(path) !== goBase(out) ? goBase(path) : ''];
}

/** A path in the container as the daemon takes it: absolute, with its `/` or `/.` ending. */
export function containerAbsPath(path: string): string {
  return preserveTrailingDotOrSeparator(goJoin('/', path), path);
}
