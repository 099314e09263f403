/* locallog.c: see locallog.h. */
#include "locallog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "jsonlog.h"
#include "utils.h"

static void
closedirp (DIR **d)
{
  if (*d)
    closedir (*d);
}
#define cleanup_dir __attribute__ ((cleanup (closedirp)))

static void
gzclosep (gzFile *g)
{
  if (*g)
    gzclose (*g);
}
#define cleanup_gz __attribute__ ((cleanup (gzclosep)))

/* The gen of a rotated file's name ("<base>.<gen>" or "<base>.<gen>.gz"), or -1. */
static int64_t
gen_of (const char *name, const char *base)
{
  size_t bl = strlen (base);
  char *end;
  int64_t gen;
  if (strncmp (name, base, bl) != 0 || name[bl] != '.' || name[bl + 1] < '0' || name[bl + 1] > '9')
    return -1;
  gen = strtoll (name + bl + 1, &end, 10);
  return *end == '\0' || strcmp (end, ".gz") == 0 ? gen : -1;
}

/* The highest gen among the rotated files of path up to max_gen (0: none);
 * with remove, those files are removed. */
static int64_t
scan_rotated (const char *path, int64_t max_gen, bool remove)
{
  char dir[PATH_MAX], full[PATH_MAX];
  const char *slash = strrchr (path, '/'), *base = slash ? slash + 1 : path;
  cleanup_dir DIR *d = NULL;
  struct dirent *e;
  int64_t highest = 0;

  snprintf (dir, sizeof dir, "%.*s", slash ? (int) (slash - path) : 1, slash ? path : ".");
  d = opendir (dir);
  if (d == NULL)
    return 0;
  while ((e = readdir (d)) != NULL)
    {
      int64_t gen = gen_of (e->d_name, base);
      if (gen < 0 || gen > max_gen)
        continue;
      if (gen > highest)
        highest = gen;
      snprintf (full, sizeof full, "%s/%s", dir, e->d_name);
      if (remove && unlink (full) < 0 && errno != ENOENT)
        fprintf (stderr, "remove rotated log `%s`: %s\n", full, strerror (errno));
    }
  return highest;
}

int
tsd_locallog_open (struct tsd_jsonlog *l, const char *path, int64_t max_size, int max_files, bool compress,
                   tsd_error_t *err)
{
  if (tsd_jsonlog_open (l, path, max_size, max_files, err) < 0)
    return -1;
  l->rotate = tsd_locallog_rotate;
  l->compress = compress;
  l->next_gen = scan_rotated (path, INT64_MAX, false) + 1;
  return 0;
}

/* gzip from into to (through to.tmp), then remove from. */
static int
compress_file (const char *from, const char *to, tsd_error_t *err)
{
  char tmp[PATH_MAX], buf[64 * 1024];
  cleanup_close int in = open (from, O_RDONLY | O_CLOEXEC);
  cleanup_gz gzFile gz = NULL;
  int out;
  ssize_t r;

  if (in < 0)
    return tsd_make_error (err, errno, "open `%s`", from);
  snprintf (tmp, sizeof tmp, "%s.tmp", to);
  out = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (out < 0)
    return tsd_make_error (err, errno, "create `%s`", tmp);
  gz = gzdopen (out, "wb1");
  if (gz == NULL)
    {
      close (out);
      unlink (tmp);
      return tsd_make_error (err, ENOMEM, "gzip `%s`", tmp);
    }
  while ((r = TEMP_FAILURE_RETRY (read (in, buf, sizeof buf))) > 0)
    if (gzwrite (gz, buf, (unsigned) r) != (int) r)
      {
        unlink (tmp);
        return tsd_make_error (err, EIO, "gzip `%s`", tmp);
      }
  if (r < 0 || gzclose (gz) != Z_OK)
    {
      int e = r < 0 ? errno : EIO;
      gz = NULL;
      unlink (tmp);
      return tsd_make_error (err, e, "gzip `%s` to `%s`", from, tmp);
    }
  gz = NULL;
  if (rename (tmp, to) < 0)
    {
      int e = errno;
      unlink (tmp);
      return tsd_make_error (err, e, "rename `%s`", tmp);
    }
  if (unlink (from) < 0)
    return tsd_make_error (err, errno, "remove `%s`", from);
  return 0;
}

int
tsd_locallog_rotate (struct tsd_jsonlog *l, tsd_error_t *err)
{
  int64_t gen = l->next_gen++;
  char rotated[PATH_MAX], gz[PATH_MAX];

  snprintf (rotated, sizeof rotated, "%s.%" PRId64, l->path, gen);
  if (rename (l->path, rotated) < 0)
    return tsd_make_error (err, errno, "rotate log `%s`", l->path);
  close (l->fd);
  l->fd = open (l->path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0640);
  if (l->fd < 0)
    return tsd_make_error (err, errno, "open log `%s`", l->path);
  l->size = 0;
  if (l->compress && l->max_files > 1)
    {
      tsd_error_t cerr = NULL;
      snprintf (gz, sizeof gz, "%s.gz", rotated);
      if (compress_file (rotated, gz, &cerr) < 0)
        {
          /* Kept uncompressed: readers take either form. */
          fprintf (stderr, "%s\n", cerr->msg);
          tsd_error_release (&cerr);
        }
    }
  scan_rotated (l->path, gen - (l->max_files - 1), true);
  return 0;
}
