/* fsutil.c: see fsutil.h. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"

int
tsd_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t w = TEMP_FAILURE_RETRY (write (fd, p, len));
      if (w < 0)
        return -1;
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

int
tsd_write_file (const char *path, const char *data, size_t len, tsd_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return tsd_make_error (err, errno, "open `%s`", path);
  if (tsd_write_all (fd, data, len) < 0)
    return tsd_make_error (err, errno, "write `%s`", path);
  return 0;
}

int
tsd_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, tsd_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_free char *dir = NULL;
  cleanup_close int fd = -1;
  cleanup_close int dfd = -1;
  char *slash;

  if (asprintf (&tmp, "%s.tmp", path) < 0 || (dir = strdup (path)) == NULL)
    return tsd_make_error (err, ENOMEM, "write `%s`", path);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return tsd_make_error (err, errno, "open `%s`", tmp);
  if (tsd_write_all (fd, data, len) < 0 || fsync (fd) < 0)
    {
      int e = errno;
      unlink (tmp);
      return tsd_make_error (err, e, "write `%s`", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return tsd_make_error (err, e, "rename `%s` to `%s`", tmp, path);
    }
  slash = strrchr (dir, '/');
  if (slash)
    {
      *(slash == dir ? slash + 1 : slash) = '\0';
      dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd >= 0)
        fsync (dfd);
    }
  return 0;
}

int
tsd_read_file (const char *path, char **out, size_t *len, tsd_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  size_t cap = 4096, n = 0;
  char *buf;

  if (fd < 0)
    return tsd_make_error (err, errno, "open `%s`", path);
  buf = malloc (cap);
  if (buf == NULL)
    return tsd_make_error (err, ENOMEM, "read `%s`", path);
  for (;;)
    {
      ssize_t r;
      if (n + 1 >= cap)
        {
          char *nb = cap > (16u << 20) ? NULL : realloc (buf, cap * 2);
          if (nb == NULL)
            {
              free (buf);
              return tsd_make_error (err, ENOMEM, "read `%s`", path);
            }
          buf = nb;
          cap *= 2;
        }
      r = TEMP_FAILURE_RETRY (read (fd, buf + n, cap - n - 1));
      if (r < 0)
        {
          int e = errno;
          free (buf);
          return tsd_make_error (err, e, "read `%s`", path);
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
tsd_mkdir_p (const char *path, mode_t mode, tsd_error_t *err)
{
  char buf[PATH_MAX];
  size_t n = strlen (path);
  if (n >= sizeof buf)
    return tsd_make_error (err, ENAMETOOLONG, "mkdir `%s`", path);
  memcpy (buf, path, n + 1);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (buf, mode) < 0 && errno != EEXIST)
          return tsd_make_error (err, errno, "mkdir `%s`", buf);
        *p = '/';
      }
  if (mkdir (buf, mode) < 0 && errno != EEXIST)
    return tsd_make_error (err, errno, "mkdir `%s`", buf);
  return 0;
}

int
tsd_mkdir_p_in (const char *rootfs, const char *path, bool is_dir, tsd_error_t *err)
{
  struct stat st;
  size_t rl = strlen (rootfs);

  if (strncmp (path, rootfs, rl) != 0)
    return tsd_make_error (err, EXDEV, "`%s` is outside `%s`", path, rootfs);
  if (lstat (path, &st) == 0)
    return 0; /* exists: mount over whatever it is, like runc */
  if (is_dir)
    return tsd_mkdir_p (path, 0755, err);
  if (tsd_mkdir_parent_in (rootfs, path, err) < 0)
    return -1;
  int fd = open (path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && errno != EEXIST)
    return tsd_make_error (err, errno, "create `%s`", path);
  if (fd >= 0)
    close (fd);
  return 0;
}

int
tsd_mkdir_parent_in (const char *rootfs, const char *path, tsd_error_t *err)
{
  char buf[PATH_MAX];
  char *slash;
  size_t n = strlen (path);
  if (n >= sizeof buf)
    return tsd_make_error (err, ENAMETOOLONG, "mkdir parent of `%s`", path);
  memcpy (buf, path, n + 1);
  slash = strrchr (buf, '/');
  if (slash == NULL || (size_t) (slash - buf) <= strlen (rootfs))
    return 0;
  *slash = '\0';
  return tsd_mkdir_p (buf, 0755, err);
}
