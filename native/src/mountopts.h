/* mountopts.h: a spec mount's options as mount(2) flags and data, and the
 * mount primitives the init uses to apply them (bind, remount with the flags,
 * open a target checked to be inside the rootfs). */
#ifndef TSD_MOUNTOPTS_H
#define TSD_MOUNTOPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

struct tsd_mount_opts
{
  unsigned long flags, propagation;
  bool bind, rec;
  char data[1024];
};

int tsd_mount_opts_parse (const struct tsd_mount *m, struct tsd_mount_opts *o, tsd_error_t *err);
/* MS_* propagation of "rprivate", "shared", ...; dflt when name is empty or unknown. */
unsigned long tsd_propagation_of (const char *name, unsigned long dflt);
/* The MS_* flags a remount must keep (nosuid, nodev, ...) of the mount at path. */
unsigned long tsd_mount_current_flags (const char *path);
bool tsd_mount_needs_remount (unsigned long flags);
/* Open the resolved target with O_PATH and check it is still inside rootfs;
 * mounting on procpath (/proc/self/fd/N) then cannot be redirected by a
 * symlink swap. Returns the fd. */
int tsd_open_mount_target (const char *rootfs, const char *path, char *procpath, size_t n, tsd_error_t *err);
int tsd_do_mount (const char *src, const char *dst, const char *type, unsigned long flags, const char *data,
                  const char *what, tsd_error_t *err);
/* Apply flags to the bind mount now at `mounted` (a path naming the mount's root). */
int tsd_remount_bind (const char *mounted, const char *what, unsigned long flags, tsd_error_t *err);
/* Bind src onto the real path target, then apply the flags with a remount
 * (used where the path was just created by us, e.g. under the cgroup tmpfs). */
int tsd_bind_mount (const char *src, const char *target, const char *what, unsigned long flags, bool rec, tsd_error_t *err);

#endif
