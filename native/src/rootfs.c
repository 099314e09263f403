/* rootfs.c: pivot_root into the container's root, then what is done inside
 * it: sysctls, readonlyPaths, maskedPaths, root.readonly (see mounts.h). */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fsutil.h"
#include "mountopts.h"
#include "utils.h"

int
tsd_pivot_root (const char *rootfs, tsd_error_t *err)
{
  cleanup_close int oldroot = -1;
  cleanup_close int newroot = -1;

  oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return tsd_make_error (err, errno, "open `/`");
  newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return tsd_make_error (err, errno, "open `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return tsd_make_error (err, errno, "chdir `%s`", rootfs);
  /* pivot_root(".", ".") stacks the old root on top of the new one. */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return tsd_make_error (err, errno, "pivot_root `%s`", rootfs);
  if (fchdir (oldroot) < 0)
    return tsd_make_error (err, errno, "chdir to the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return tsd_make_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return tsd_make_error (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return tsd_make_error (err, errno, "chdir `/`");
  return 0;
}

static int
write_sysctl (const char *key, const char *value, tsd_error_t *err)
{
  char path[PATH_MAX];
  size_t n = (size_t) snprintf (path, sizeof path, "/proc/sys/%s", key);
  if (n >= sizeof path)
    return tsd_make_error (err, ENAMETOOLONG, "sysctl `%s`", key);
  for (char *p = path + 10; *p; p++)
    if (*p == '.')
      *p = '/';
  return tsd_write_file (path, value, strlen (value), err) < 0 ? tsd_error_wrap (err, "sysctl `%s`", key) : 0;
}

static int
mask_path (const char *path, tsd_error_t *err)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return errno == ENOENT ? 0 : tsd_make_error (err, errno, "stat masked path `%s`", path);
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
        return tsd_make_error (err, errno, "mask `%s`", path);
      return 0;
    }
  if (mount ("/dev/null", path, NULL, MS_BIND, NULL) < 0 && errno != ENOENT)
    return tsd_make_error (err, errno, "mask `%s`", path);
  return 0;
}

static int
readonly_path (const char *path, tsd_error_t *err)
{
  if (mount (path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return errno == ENOENT ? 0 : tsd_make_error (err, errno, "bind read-only path `%s`", path);
  if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | tsd_mount_current_flags (path), NULL) < 0)
    return tsd_make_error (err, errno, "remount `%s` read-only", path);
  return 0;
}

int
tsd_mounts_finalize (const struct tsd_spec *s, tsd_error_t *err)
{
  for (size_t i = 0; i < s->n_sysctl; i++)
    if (write_sysctl (s->sysctl_keys[i], s->sysctl_values[i], err) < 0)
      return -1;
  for (size_t i = 0; i < s->n_readonly; i++)
    if (readonly_path (s->readonly_paths[i], err) < 0)
      return -1;
  for (size_t i = 0; i < s->n_masked; i++)
    if (mask_path (s->masked_paths[i], err) < 0)
      return -1;
  if (s->root_readonly
      && mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | tsd_mount_current_flags ("/"), NULL) < 0)
    return tsd_make_error (err, errno, "remount `/` read-only");
  return 0;
}
