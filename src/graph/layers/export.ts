// A directory as a layer tar (a container's changes, an unpacked layer): the
// walker of src/archive/export.ts with the native addon's xattr calls, so
// file capabilities and other xattrs travel with the layer.
import type { Readable } from 'node:stream';
import { exportTree, type XattrReader } from '../../archive/export';
import { lgetxattr, llistxattr } from '../../native';

export const NATIVE_XATTRS: XattrReader = { llistxattr, lgetxattr };

/** A tar stream of `dir`'s contents (the directory itself is not an entry). */
export function exportDiff(dir: string): Readable {
  return exportTree(dir, NATIVE_XATTRS);
}
