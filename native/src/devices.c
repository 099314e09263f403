/* devices.c: see devices.h. */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsutil.h"
#include "mountopts.h"
#include "securejoin.h"
#include "utils.h"

static int
make_device (const char *rootfs, const char *path, char type, int64_t major, int64_t minor, mode_t mode,
             uid_t uid, gid_t gid, tsd_error_t *err)
{
  cleanup_free char *dest = NULL;
  mode_t ft = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

  if (tsd_secure_join (rootfs, path, &dest, err) < 0)
    return -1;
  if (tsd_mkdir_parent_in (rootfs, dest, err) < 0)
    return -1;
  if (unlink (dest) < 0 && errno != ENOENT)
    return tsd_make_error (err, errno, "unlink `%s`", dest);
  if (mknod (dest, ft | (mode & 07777), makedev ((unsigned) major, (unsigned) minor)) < 0)
    {
      /* No mknod (e.g. nested): bind the host's node instead. */
      if (errno != EPERM || ft == S_IFIFO)
        return tsd_make_error (err, errno, "mknod `%s`", dest);
      int fd = open (dest, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd < 0)
        return tsd_make_error (err, errno, "create `%s`", dest);
      close (fd);
      if (mount (path, dest, NULL, MS_BIND, NULL) < 0)
        return tsd_make_error (err, errno, "bind `%s` on `%s`", path, dest);
      return 0;
    }
  if (chown (dest, uid, gid) < 0)
    return tsd_make_error (err, errno, "chown `%s`", dest);
  return 0;
}

static int
make_symlink (const char *rootfs, const char *target, const char *link, tsd_error_t *err)
{
  char dest[PATH_MAX];
  snprintf (dest, sizeof dest, "%s%s", rootfs, link);
  if (symlink (target, dest) < 0)
    {
      if (errno != EEXIST)
        return tsd_make_error (err, errno, "symlink `%s`", dest);
      /* /dev/ptmx may exist as a node in an image's /dev: replace it. */
      if (strcmp (link, "/dev/ptmx") == 0 && (unlink (dest) < 0 || symlink (target, dest) < 0))
        return tsd_make_error (err, errno, "symlink `%s`", dest);
    }
  return 0;
}

int
tsd_setup_dev (const struct tsd_spec *s, const char *rootfs, tsd_error_t *err)
{
  static const struct
  {
    const char *path;
    int major, minor;
  } defaults[] = {
    { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
    { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
  };
  static const char *const links[][2] = {
    { "/proc/self/fd", "/dev/fd" },     { "/proc/self/fd/0", "/dev/stdin" },
    { "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
    { "pts/ptmx", "/dev/ptmx" },
  };
  char devdir[PATH_MAX];

  /* A /dev bind-mounted from the host is used as it is (like runc). */
  for (size_t i = 0; i < s->n_mounts; i++)
    if (strcmp (s->mounts[i].destination, "/dev") == 0)
      {
        struct tsd_mount_opts o;
        if (tsd_mount_opts_parse (&s->mounts[i], &o, err) < 0)
          return -1;
        if (o.bind)
          return 0;
      }
  snprintf (devdir, sizeof devdir, "%s/dev", rootfs);
  if (mkdir (devdir, 0755) < 0 && errno != EEXIST)
    return tsd_make_error (err, errno, "mkdir `%s`", devdir);
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
    {
      bool in_spec = false;
      for (size_t k = 0; k < s->n_devices; k++)
        in_spec |= strcmp (s->devices[k].path, defaults[i].path) == 0;
      if (!in_spec && make_device (rootfs, defaults[i].path, 'c', defaults[i].major, defaults[i].minor, 0666, 0, 0, err) < 0)
        return -1;
    }
  for (size_t k = 0; k < s->n_devices; k++)
    {
      const struct tsd_device *d = &s->devices[k];
      if (make_device (rootfs, d->path, d->type == 'u' ? 'c' : d->type, d->major, d->minor,
                       d->has_mode ? d->mode : 0666, d->uid, d->gid, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (make_symlink (rootfs, links[i][0], links[i][1], err) < 0)
      return -1;
  if (access ("/proc/kcore", F_OK) == 0 && make_symlink (rootfs, "/proc/kcore", "/dev/core", err) < 0)
    return -1;
  return 0;
}
