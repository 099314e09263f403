// Path handling for untrusted archive entries: every name is cleaned relative to
// a root, and symlinks met on the way are resolved as if the root were `/`
// (FollowSymlinkInScope), so a write never lands outside the root whatever
// links an earlier entry created.
import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { InvalidArgumentError, isErrno } from '../errors';

const MAX_SYMLINKS = 255;

/**
 * Cleans an archive entry name to a relative path ('' for the root itself).
 * Absolute names are taken relative to the root; a name that climbs out of it
 * (`../x`, `a/../../x`) is refused, as Docker's unpacker does.
 */
export function cleanEntryName(name: string): string {
  if (!name.startsWith('/')) {
    const rel = posix.normalize(name);
    if (rel === '..' || rel.startsWith('../')) {
      throw new InvalidArgumentError(`${JSON.stringify(name)} is outside of the layer root: breakout attempt`);
    }
  }
  const cleaned = posix.normalize(`/${name}`).replace(/\/+$/, '');
  return cleaned.slice(1);
}

/**
 * Resolves `rel` (clean, relative) under `root`, following symlinks in every
 * component but the last, each within the root. Returns an absolute host path
 * that is inside `root`.
 */
export function resolveInRoot(root: string, rel: string): string {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  const last = parts.pop();
  const dir = resolveDir(root, parts);
  return last === undefined ? posix.join(root, dir) : posix.join(root, dir, last);
}

/** Host path of `path` (absolute in the container) with every component, the last included, resolved in `rootfs`. */
export function resolvePathInRoot(rootfs: string, path: string): string {
  // resolveInRoot leaves the last component as is: resolve a child instead and take its parent.
  const rel = posix.normalize(`/${path}`).slice(1);
  return posix.dirname(resolveInRoot(rootfs, rel === '' ? '_' : `${rel}/_`));
}

/** Resolves the directory components; returns a clean path relative to root. */
function resolveDir(root: string, parts: string[]): string {
  const resolved: string[] = [];
  const todo = [...parts];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = posix.join(root, ...resolved, part);
    let isLink = false;
    try {
      isLink = lstatSync(host).isSymbolicLink();
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new InvalidArgumentError(`too many levels of symbolic links: ${posix.join(...resolved, part)}`);
    const target = readlinkSync(host);
    const next = target.split('/');
    if (target.startsWith('/')) resolved.length = 0;
    todo.unshift(...next);
  }
  return resolved.join('/');
}
