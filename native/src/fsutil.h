/* fsutil.h: small file helpers with tsd_error_t reporting. */
#ifndef TSD_FSUTIL_H
#define TSD_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Write the whole buffer to an existing file (O_WRONLY, no create). */
int tsd_write_file (const char *path, const char *data, size_t len, tsd_error_t *err);
/* Create/replace path atomically: write path.tmp, fsync, rename, fsync dir. */
int tsd_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, tsd_error_t *err);
/* Read a whole (small) file into a NUL-terminated malloc'd buffer. */
int tsd_read_file (const char *path, char **out, size_t *len, tsd_error_t *err);
/* mkdir -p of path (absolute). */
int tsd_mkdir_p (const char *path, mode_t mode, tsd_error_t *err);
/* mkdir -p of a path already resolved inside rootfs; is_dir=false creates an
 * empty file as the last component (for file bind mounts). */
int tsd_mkdir_p_in (const char *rootfs, const char *path, bool is_dir, tsd_error_t *err);
/* mkdir -p of the parent of path (inside rootfs). */
int tsd_mkdir_parent_in (const char *rootfs, const char *path, tsd_error_t *err);
/* Write all bytes to an fd, retrying on EINTR and short writes. */
int tsd_write_all (int fd, const void *buf, size_t len);

#endif
