/* overlay.c: see overlay.h. */
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "utils.h"

/* fsconfig copies at most 255 bytes of a string value (strndup_user(…, 256)). */
#define FSCONFIG_MAX_VALUE 255
#define FD_PATH_LEN (sizeof "/proc/self/fd/" + 11)

typedef char fd_path_t[FD_PATH_LEN];

static int
fail_with (struct tsd_overlay_failure *fail, int errnum, const char *syscall, const char *path)
{
  fail->errnum = errnum;
  fail->syscall = syscall;
  fail->path = path;
  fail->detail[0] = '\0';
  return -1;
}

/* Descriptors opened for one mount, closed when it is done. */
struct fd_set_s
{
  int *fds;
  size_t n;
};

static void
fd_set_close (struct fd_set_s *s)
{
  for (size_t i = 0; s->fds && i < s->n; i++)
    if (s->fds[i] >= 0)
      close (s->fds[i]);
  free (s->fds);
}
#define cleanup_fd_set __attribute__ ((cleanup (fd_set_close)))

static bool
fd_set_alloc (struct fd_set_s *s, size_t n)
{
  s->fds = malloc ((n ? n : 1) * sizeof (int));
  if (s->fds == NULL)
    return false;
  s->n = n;
  for (size_t i = 0; i < n; i++)
    s->fds[i] = -1;
  return true;
}

/* Opens dir as an O_PATH descriptor into *fd and names it /proc/self/fd/N in name. */
static int
open_fd_path (const char *dir, int *fd, fd_path_t name, struct tsd_overlay_failure *fail)
{
  *fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return fail_with (fail, errno, "open", dir);
  snprintf (name, FD_PATH_LEN, "/proc/self/fd/%d", *fd);
  return 0;
}

/* The mount(2) data string, lowers named by names[] (top first):
 * lowerdir=a:b:…,upperdir=…,workdir=…,<options>.  NULL when out of memory. */
static char *
mount_data (const struct tsd_overlay *o, const char *const *names)
{
  size_t len = sizeof "lowerdir=";
  char *buf, *p;

  for (size_t i = 0; i < o->n_lowers; i++)
    len += strlen (names[i]) + 1;
  if (o->upper)
    len += sizeof ",upperdir=" + strlen (o->upper);
  if (o->work)
    len += sizeof ",workdir=" + strlen (o->work);
  for (size_t i = 0; i < o->n_options; i++)
    len += 1 + strlen (o->options[i]);
  buf = malloc (len);
  if (buf == NULL)
    return NULL;
  p = stpcpy (buf, "lowerdir=");
  for (size_t i = 0; i < o->n_lowers; i++)
    {
      if (i > 0)
        *p++ = ':';
      p = stpcpy (p, names[i]);
    }
  if (o->upper)
    p = stpcpy (stpcpy (p, ",upperdir="), o->upper);
  if (o->work)
    p = stpcpy (stpcpy (p, ",workdir="), o->work);
  for (size_t i = 0; i < o->n_options; i++)
    p = stpcpy (stpcpy (p, ","), o->options[i]);
  return buf;
}

/* The kernel keeps the first page of mount(2)'s data, NUL included, and drops the rest. */
static bool
fits_page (const char *data)
{
  long page = sysconf (_SC_PAGESIZE);
  return strlen (data) < (size_t) (page > 0 ? page : 4096);
}

static int
mount_data_string (const struct tsd_overlay *o, const char *data, struct tsd_overlay_failure *fail)
{
  if (mount ("overlay", o->target, "overlay", 0, data) < 0)
    return fail_with (fail, errno, "mount", o->target);
  return 0;
}

/* mount(2) with each lower layer named by a /proc/self/fd/N path. */
static int
mount_fd_paths (const struct tsd_overlay *o, struct tsd_overlay_failure *fail)
{
  cleanup_fd_set struct fd_set_s fds = { NULL, 0 };
  cleanup_free fd_path_t *names = calloc (o->n_lowers ? o->n_lowers : 1, sizeof (fd_path_t));
  cleanup_free const char **ptrs = calloc (o->n_lowers ? o->n_lowers : 1, sizeof (char *));
  cleanup_free char *data = NULL;

  if (names == NULL || ptrs == NULL || !fd_set_alloc (&fds, o->n_lowers))
    return fail_with (fail, ENOMEM, "mount", o->target);
  for (size_t i = 0; i < o->n_lowers; i++)
    {
      if (open_fd_path (o->lowers[i], &fds.fds[i], names[i], fail) < 0)
        return -1;
      ptrs[i] = names[i];
    }
  data = mount_data (o, ptrs);
  if (data == NULL)
    return fail_with (fail, ENOMEM, "mount", o->target);
  if (!fits_page (data))
    {
      fail_with (fail, E2BIG, "mount", o->target);
      snprintf (fail->detail, sizeof fail->detail,
                "%zu lower layers: %zu bytes of options, more than a page, and this kernel has no lowerdir+",
                o->n_lowers, strlen (data));
      return -1;
    }
  return mount_data_string (o, data, fail);
}

/* Linux 6.8 added overlayfs's "lowerdir+"; before 6.5 overlayfs took fsconfig
 * options into the same one-page buffer as mount(2), and 6.5-6.7 refuse the key. */
static bool
kernel_has_lowerdir_add (void)
{
  struct utsname u;
  int major = 0, minor = 0;

  if (uname (&u) < 0 || sscanf (u.release, "%d.%d", &major, &minor) != 2)
    return false; /* unknown: the fd-path route works everywhere */
  return major > 6 || (major == 6 && minor >= 8);
}

#ifdef FSOPEN_CLOEXEC

/* Fails with errno and the last error the kernel logged on the fs context
 * (its lines read "e overlay: …"). */
static int
fail_fs (int fsfd, struct tsd_overlay_failure *fail, const char *syscall, const char *path)
{
  int errnum = errno;
  char line[1024];
  ssize_t n;

  fail_with (fail, errnum, syscall, path);
  while ((n = read (fsfd, line, sizeof line - 1)) > 0)
    {
      while (n > 0 && line[n - 1] == '\n')
        n--;
      line[n] = '\0';
      if (n > 2 && line[0] == 'e' && line[1] == ' ')
        snprintf (fail->detail, sizeof fail->detail, "%s", line + 2);
    }
  return -1;
}

/* Sets key to the directory dir; a path too long for fsconfig goes as the
 * /proc/self/fd/N of an O_PATH descriptor kept in *fd until the mount is made. */
static int
set_dir (int fsfd, const char *key, const char *dir, int *fd, struct tsd_overlay_failure *fail)
{
  fd_path_t name;
  const char *value = dir;

  if (strlen (dir) > FSCONFIG_MAX_VALUE)
    {
      if (open_fd_path (dir, fd, name, fail) < 0)
        return -1;
      value = name;
    }
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, key, value, 0) < 0)
    return fail_fs (fsfd, fail, "fsconfig", dir);
  return 0;
}

/* Sets "key=value" as a string, "flag" as a flag. */
static int
set_option (int fsfd, const char *option, struct tsd_overlay_failure *fail)
{
  const char *eq = strchr (option, '=');
  cleanup_free char *key = eq ? strndup (option, (size_t) (eq - option)) : NULL;
  int rc;

  if (eq && key == NULL)
    return fail_with (fail, ENOMEM, "fsconfig", option);
  rc = eq ? fsconfig (fsfd, FSCONFIG_SET_STRING, key, eq + 1, 0)
          : fsconfig (fsfd, FSCONFIG_SET_FLAG, option, NULL, 0);
  if (rc < 0)
    return fail_fs (fsfd, fail, "fsconfig", option);
  return 0;
}

/* The new mount API.  A failed fsopen (ENOSYS or EPERM from a seccomp filter)
 * leaves syscall "fsopen" in fail: the caller then takes another route. */
static int
mount_fsconfig (const struct tsd_overlay *o, struct tsd_overlay_failure *fail)
{
  cleanup_close int fsfd = -1;
  cleanup_close int mfd = -1;
  cleanup_fd_set struct fd_set_s fds = { NULL, 0 };

  fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return fail_with (fail, errno, "fsopen", NULL);
  if (!fd_set_alloc (&fds, o->n_lowers + 2))
    return fail_with (fail, ENOMEM, "fsconfig", o->target);
  /* The source mount(2) gives it, so /proc/mounts reads "overlay overlay" either way. */
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
    return fail_fs (fsfd, fail, "fsconfig", o->target);
  for (size_t i = 0; i < o->n_options; i++)
    if (set_option (fsfd, o->options[i], fail) < 0)
      return -1;
  if ((o->upper && set_dir (fsfd, "upperdir", o->upper, &fds.fds[0], fail) < 0)
      || (o->work && set_dir (fsfd, "workdir", o->work, &fds.fds[1], fail) < 0))
    return -1;
  for (size_t i = 0; i < o->n_lowers; i++)
    if (set_dir (fsfd, "lowerdir+", o->lowers[i], &fds.fds[i + 2], fail) < 0)
      return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fail_fs (fsfd, fail, "fsconfig", o->target);
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, 0);
  if (mfd < 0)
    return fail_fs (fsfd, fail, "fsmount", o->target);
  if (move_mount (mfd, "", AT_FDCWD, o->target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return fail_with (fail, errno, "move_mount", o->target);
  return 0;
}

#else /* a libc without the new mount API (glibc < 2.36) */

static int
mount_fsconfig (const struct tsd_overlay *o, struct tsd_overlay_failure *fail)
{
  return fail_with (fail, ENOSYS, "fsopen", NULL);
}

#endif

int
tsd_mount_overlay (const struct tsd_overlay *o, unsigned flags, enum tsd_overlay_method *used,
                   struct tsd_overlay_failure *fail)
{
  cleanup_free char *data = mount_data (o, o->lowers);

  if (data == NULL)
    return fail_with (fail, ENOMEM, "mount", o->target);
  if (fits_page (data))
    {
      *used = TSD_OVERLAY_MOUNT;
      return mount_data_string (o, data, fail);
    }
  if (!(flags & TSD_OVERLAY_NO_FSCONFIG) && kernel_has_lowerdir_add ())
    {
      *used = TSD_OVERLAY_FSCONFIG;
      if (mount_fsconfig (o, fail) == 0)
        return 0;
      /* fsopen denied by a seccomp filter (ENOSYS, EPERM): as on an old kernel. */
      if (!(strcmp (fail->syscall, "fsopen") == 0 && (fail->errnum == ENOSYS || fail->errnum == EPERM)))
        return -1;
    }
  *used = TSD_OVERLAY_FD_PATHS;
  return mount_fd_paths (o, fail);
}

const char *
tsd_overlay_method_name (enum tsd_overlay_method m)
{
  switch (m)
    {
    case TSD_OVERLAY_MOUNT:
      return "mount";
    case TSD_OVERLAY_FSCONFIG:
      return "fsconfig";
    case TSD_OVERLAY_FD_PATHS:
      return "fd-paths";
    }
  return "unknown";
}
