// `docker diff`: a container's changes to its image, computed from the overlay
// upper dir and the lower dirs. Docker's overlay2 driver answers this with its
// "naive diff" (graphdriver.NaiveDiffDriver → archive.ChangesDirs): a
// comparison of the container's merged view with the image's. Only paths in
// the upper dir can differ, so this walks the upper dir and looks each path
// up in the image's view (the lower dirs merged the way overlayfs merges
// them: whiteouts hide, opaque dirs stop the merge), with moby's rules:
//   - absent from the image: Added (1), and so is everything under it;
//   - present: Modified (0) when mode, uid, gid or rdev differ, or, for a
//     non-directory, size or mtime (equal seconds with either nanosecond part
//     0 count as equal), or the security.capability xattr differs;
//   - a name in the image but no longer in the container (a whiteout, or not
//     re-created under an opaque dir): Deleted (2), not its contents;
//   - a directory with any change below it is Modified itself (all ancestors).
// Docker lists them in Go map order (unspecified); here they are sorted by
// path, as moby sorts changes (changesByPath).
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { FilesystemChange } from '../api/containers';
import { isErrno } from '../errors';
import { OPAQUE_XATTR } from '../archive/whiteout';
import { lgetxattr } from '../native';

const MODIFIED = 0;
const ADDED = 1;
const DELETED = 2;
const CAPABILITY_XATTR = 'security.capability';

/** An entry of the image's merged view. */
interface ImageEntry {
  host: string;
  stat: BigIntStats;
  /** For a directory: the lower dirs that merge into it, top first. */
  dirs: string[];
}

/** Changes of the container whose overlay upper dir is upperDir; lowerDirs top first, as in lowerdir=. */
export function changes(upperDir: string, lowerDirs: string[]): FilesystemChange[] {
  if (lstatOrUndefined(upperDir) === undefined) return [];
  const out: FilesystemChange[] = [];
  const imageRoot = rootEntry(lowerDirs);
  visitDir(upperDir, '', isOpaque(upperDir), imageRoot, out);
  return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}

function rootEntry(lowerDirs: string[]): ImageEntry | undefined {
  const top = lowerDirs[0];
  const stat = top === undefined ? undefined : lstatOrUndefined(top);
  if (top === undefined || stat === undefined) return undefined;
  const dirs: string[] = [];
  for (const d of lowerDirs) {
    dirs.push(d);
    if (isOpaque(d)) break;
  }
  return { host: top, stat, dirs };
}

/**
 * The changes below the upper dir `rel` (already known to be a directory in
 * the container), whose image counterpart is `image` (undefined: none, or
 * not a directory). Returns whether anything changed below it.
 */
function visitDir(upperDir: string, rel: string, opaque: boolean, image: ImageEntry | undefined, out: FilesystemChange[]): boolean {
  const imageChildren = image && image.stat.isDirectory() ? childrenOf(image) : new Map<string, ImageEntry>();
  const present = new Set<string>();
  let changed = false;
  for (const name of readdirSync(join(upperDir, rel)).sort()) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const host = join(upperDir, childRel);
    const stat = lstatSync(host, { bigint: true });
    if (isWhiteout(stat)) continue;
    present.add(name);
    const old = imageChildren.get(name);
    if (visitEntry(upperDir, childRel, host, stat, old, out)) changed = true;
  }
  // Names of the image the container no longer shows.
  for (const name of imageChildren.keys()) {
    if (present.has(name)) continue;
    if (!opaque && !whitedOut(upperDir, rel, name)) continue;
    out.push({ Path: `/${rel === '' ? name : `${rel}/${name}`}`, Kind: DELETED });
    changed = true;
  }
  return changed;
}

/** One entry present in the container; returns whether it or anything below it changed. */
function visitEntry(upperDir: string, rel: string, host: string, stat: BigIntStats, old: ImageEntry | undefined, out: FilesystemChange[]): boolean {
  const at = out.length;
  let recorded = false;
  if (old === undefined) {
    out.push({ Path: `/${rel}`, Kind: ADDED });
    recorded = true;
  } else if (statDifferent(old.stat, stat) || !sameXattr(old.host, host, CAPABILITY_XATTR)) {
    out.push({ Path: `/${rel}`, Kind: MODIFIED });
    recorded = true;
  }
  if (!stat.isDirectory()) return recorded;
  const below = visitDir(upperDir, rel, isOpaque(host), old, out);
  if (below && !recorded) out.splice(at, 0, { Path: `/${rel}`, Kind: MODIFIED });
  return recorded || below;
}

/** The visible children of an image directory: overlayfs's merge of its lower dirs. */
function childrenOf(dir: ImageEntry): Map<string, ImageEntry> {
  const found = new Map<string, ImageEntry | null>(); // null: whited out
  const closed = new Set<string>(); // nothing more merges into these
  for (const d of dir.dirs) {
    for (const name of readdirSync(d)) {
      const prev = found.get(name);
      if (prev === null || closed.has(name)) continue;
      const host = join(d, name);
      const stat = lstatSync(host, { bigint: true });
      if (prev === undefined) {
        if (isWhiteout(stat)) found.set(name, null);
        else {
          found.set(name, { host, stat, dirs: stat.isDirectory() ? [host] : [] });
          if (!stat.isDirectory() || isOpaque(host)) closed.add(name);
        }
        continue;
      }
      // A lower copy under a directory seen above: merged while it is a directory too.
      if (!stat.isDirectory()) closed.add(name);
      else {
        prev.dirs.push(host);
        if (isOpaque(host)) closed.add(name);
      }
    }
  }
  const out = new Map<string, ImageEntry>();
  for (const [name, e] of found) if (e) out.set(name, e);
  return out;
}

function whitedOut(upperDir: string, rel: string, name: string): boolean {
  const stat = lstatOrUndefined(join(upperDir, rel, name));
  return stat !== undefined && isWhiteout(stat);
}

/** moby's statDifferent: dirs are compared by mode and owner only. */
function statDifferent(a: BigIntStats, b: BigIntStats): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  if (a.isDirectory()) return false;
  return a.size !== b.size || !sameFsTime(a.mtimeNs, b.mtimeNs);
}

/** Tar keeps whole seconds: equal seconds with either nanosecond part 0 are the same time. */
function sameFsTime(a: bigint, b: bigint): boolean {
  if (a === b) return true;
  const NS = 1_000_000_000n;
  return a / NS === b / NS && (a % NS === 0n || b % NS === 0n);
}

function sameXattr(a: string, b: string, name: string): boolean {
  const x = readXattr(a, name);
  const y = readXattr(b, name);
  return x === y || (x !== null && y !== null && x.equals(y));
}

function readXattr(path: string, name: string): Buffer | null {
  try {
    return lgetxattr(path, name);
  } catch {
    return null; // no xattr support: nothing to compare
  }
}

function isWhiteout(stat: BigIntStats): boolean {
  return stat.isCharacterDevice() && stat.rdev === 0n;
}

function isOpaque(dir: string): boolean {
  return readXattr(dir, OPAQUE_XATTR)?.toString() === 'y';
}

function lstatOrUndefined(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}
