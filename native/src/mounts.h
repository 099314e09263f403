/* mounts.h: the container's filesystem view, built in the init's new mount
 * namespace before it execs: propagation, rootfs bind, spec mounts (resolved
 * inside the rootfs, symlinks included), /dev nodes, pivot_root, then masked and
 * read-only paths. */
#ifndef TSD_MOUNTS_H
#define TSD_MOUNTS_H

#include "error.h"
#include "spec.h"

/* Everything before pivot_root (mounts.c, /dev in devices.c); rootfs is absolute. */
int tsd_mounts_prepare (const struct tsd_spec *s, const char *rootfs, tsd_error_t *err);
/* rootfs.c: pivot_root into rootfs and detach the old root. */
int tsd_pivot_root (const char *rootfs, tsd_error_t *err);
/* After pivot_root: sysctls, readonlyPaths, maskedPaths, root.readonly. */
int tsd_mounts_finalize (const struct tsd_spec *s, tsd_error_t *err);

#endif
