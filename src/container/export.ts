// `docker export`: a tar of a container's root filesystem as the daemon sees it
// mounted (the merged overlay view). As with Docker, what the container
// mounts in its own mount namespace (/proc, /sys, /dev, volumes, the bind
// mounted /etc files) is not part of that view: those are the image's
// (usually empty) directories and files.
//
// The tar is the layer exporter's (src/graph/layers/export.ts), with Go's
// headers as Docker writes them: entries in lexical walk order, names relative
// to the root without it ("bin/", "bin/sh"), mode with its file-type bits
// (0100755, 040755), uid/gid, mtime in whole seconds, hardlinks, symlinks,
// devices, fifos, and xattrs with their raw bytes in SCHILY.xattr PAX records
// (a file capability survives; Docker keeps only security.capability, we keep
// every xattr but overlay's); sockets skipped. Its overlay conventions do not
// get in the way on a merged view: overlayfs shows no whiteout devices there
// and hides trusted.overlay.* xattrs.
import type { Readable } from 'node:stream';
import { exportDiff } from '../graph/layers/export';

/** The tar stream of the mounted rootfs; errors (an unmounted or vanished rootfs) destroy the stream. */
export function exportRootfs(rootfs: string): Readable {
  return exportDiff(rootfs);
}
