/* securejoin.c: see securejoin.h. */
#include "securejoin.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"

int
tsd_secure_join (const char *root, const char *unsafe, char **out, tsd_error_t *err)
{
  /* `todo` holds the components still to walk, `done` the resolved prefix (relative to root). */
  cleanup_free char *todo = calloc (1, PATH_MAX);
  cleanup_free char *done = calloc (1, PATH_MAX);
  int links = 0;
  size_t done_len = 0;

  if (todo == NULL || done == NULL)
    return tsd_make_error (err, ENOMEM, "resolve `%s`", unsafe);
  if (strlen (unsafe) >= PATH_MAX)
    return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
  strcpy (todo, unsafe);
  while (todo[0] != '\0')
    {
      char *slash, comp[NAME_MAX + 1], full[PATH_MAX], link[PATH_MAX];
      size_t clen;
      struct stat st;
      ssize_t ln;

      while (todo[0] == '/')
        memmove (todo, todo + 1, strlen (todo));
      if (todo[0] == '\0')
        break;
      slash = strchr (todo, '/');
      clen = slash ? (size_t) (slash - todo) : strlen (todo);
      if (clen > NAME_MAX)
        return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
      memcpy (comp, todo, clen);
      comp[clen] = '\0';
      memmove (todo, todo + clen, strlen (todo + clen) + 1);

      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          char *last = strrchr (done, '/');
          done_len = last ? (size_t) (last - done) : 0;
          done[done_len] = '\0';
          continue;
        }
      if (done_len + clen + 2 >= PATH_MAX)
        return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
      if (snprintf (full, sizeof full, "%s%s/%s", root, done, comp) >= (int) sizeof full)
        return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
      if (lstat (full, &st) < 0)
        {
          if (errno != ENOENT && errno != ENOTDIR)
            return tsd_make_error (err, errno, "lstat `%s`", full);
          /* Missing: the rest is taken literally (it will be created). */
          done[done_len++] = '/';
          memcpy (done + done_len, comp, clen + 1);
          done_len += clen;
          continue;
        }
      if (!S_ISLNK (st.st_mode))
        {
          done[done_len++] = '/';
          memcpy (done + done_len, comp, clen + 1);
          done_len += clen;
          continue;
        }
      if (++links > 255)
        return tsd_make_error (err, ELOOP, "resolve `%s`", unsafe);
      ln = readlink (full, link, sizeof link - 1);
      if (ln < 0)
        return tsd_make_error (err, errno, "readlink `%s`", full);
      link[ln] = '\0';
      if (link[0] == '/')
        {
          done_len = 0;
          done[0] = '\0';
        }
      if ((size_t) ln + strlen (todo) + 2 >= PATH_MAX)
        return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
      {
        char tmp[PATH_MAX];
        snprintf (tmp, sizeof tmp, "%s/%s", link, todo);
        strcpy (todo, tmp);
      }
    }
  if (asprintf (out, "%s%s", root, done_len ? done : "") < 0)
    return tsd_make_error (err, ENOMEM, "resolve `%s`", unsafe);
  return 0;
}
