/* jsonlog.c: see jsonlog.h. */
#include "jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "utils.h"

void
tsd_time_rfc3339nano (char *buf, size_t n)
{
  struct timespec ts;
  struct tm tm;
  char base[32], frac[16];
  size_t fl;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (frac, sizeof frac, "%09ld", ts.tv_nsec);
  fl = strlen (frac);
  while (fl > 0 && frac[fl - 1] == '0')
    frac[--fl] = '\0';
  snprintf (buf, n, "%s%s%sZ", base, fl ? "." : "", frac);
}

int64_t
tsd_parse_size (const char *s)
{
  char *end;
  double v;
  int64_t mult = 1;
  if (s == NULL || *s == '\0')
    return -1;
  v = strtod (s, &end);
  if (end == s || v < 0)
    return -1;
  switch (*end)
    {
    case '\0': break;
    case 'b': case 'B': mult = 1; end++; break;
    case 'k': case 'K': mult = 1024; end++; break;
    case 'm': case 'M': mult = 1024 * 1024; end++; break;
    case 'g': case 'G': mult = 1024LL * 1024 * 1024; end++; break;
    default: return -1;
    }
  if (*end == 'b' || *end == 'B' || *end == 'i')
    end++;
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end != '\0' || v * (double) mult >= 9.2e18)
    return -1;
  return (int64_t) (v * (double) mult);
}

int
tsd_jsonlog_open (struct tsd_jsonlog *l, const char *path, int64_t max_size, int max_files, tsd_error_t *err)
{
  struct stat st;
  memset (l, 0, sizeof *l);
  l->fd = -1;
  l->path = strdup (path);
  if (l->path == NULL)
    return tsd_make_error (err, ENOMEM, "log path");
  l->max_size = max_size;
  l->max_files = max_files < 1 ? 1 : max_files;
  l->fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (l->fd < 0)
    return tsd_make_error (err, errno, "open log `%s`", path);
  l->size = fstat (l->fd, &st) == 0 ? st.st_size : 0;
  return 0;
}

static int
rotate (struct tsd_jsonlog *l, tsd_error_t *err)
{
  char from[PATH_MAX], to[PATH_MAX];
  if (l->max_files <= 1)
    {
      if (ftruncate (l->fd, 0) < 0)
        return tsd_make_error (err, errno, "truncate log `%s`", l->path);
      l->size = 0;
      return 0;
    }
  for (int i = l->max_files - 1; i > 0; i--)
    {
      if (i == 1)
        snprintf (from, sizeof from, "%s", l->path);
      else
        snprintf (from, sizeof from, "%s.%d", l->path, i - 1);
      snprintf (to, sizeof to, "%s.%d", l->path, i);
      if (rename (from, to) < 0 && errno != ENOENT)
        return tsd_make_error (err, errno, "rotate log `%s`", from);
    }
  close (l->fd);
  l->fd = open (l->path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0640);
  if (l->fd < 0)
    return tsd_make_error (err, errno, "open log `%s`", l->path);
  l->size = 0;
  return 0;
}

/* Length of a valid UTF-8 sequence at p (max n bytes), 0 when invalid. */
static size_t
utf8_len (const unsigned char *p, size_t n)
{
  size_t len;
  unsigned cp;
  if (p[0] < 0x80)
    return 1;
  if ((p[0] & 0xE0) == 0xC0)
    len = 2, cp = p[0] & 0x1F;
  else if ((p[0] & 0xF0) == 0xE0)
    len = 3, cp = p[0] & 0x0F;
  else if ((p[0] & 0xF8) == 0xF0)
    len = 4, cp = p[0] & 0x07;
  else
    return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    {
      if ((p[i] & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
      || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

/* Escape like Go's encoding/json into out (at least 6*n+1 bytes); returns length. */
static size_t
escape (char *out, const char *data, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *) data;
  size_t o = 0;
  for (size_t i = 0; i < n;)
    {
      unsigned char c = p[i];
      if (c >= 0x80)
        {
          size_t l = utf8_len (p + i, n - i);
          if (l == 0)
            {
              memcpy (out + o, "\\ufffd", 6);
              o += 6;
              i++;
              continue;
            }
          if (l == 3 && p[i] == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9))
            {
              memcpy (out + o, p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
              o += 6;
            }
          else
            {
              memcpy (out + o, p + i, l);
              o += l;
            }
          i += l;
          continue;
        }
      switch (c)
        {
        case '"': out[o++] = '\\'; out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
        case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
        case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
        case '\t': out[o++] = '\\'; out[o++] = 't'; break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&')
            {
              memcpy (out + o, "\\u00", 4);
              out[o + 4] = hex[c >> 4];
              out[o + 5] = hex[c & 15];
              o += 6;
            }
          else
            out[o++] = (char) c;
        }
      i++;
    }
  return o;
}

static int
write_entry (struct tsd_jsonlog *l, int stream, const char *data, size_t n, tsd_error_t *err)
{
  static char line[TSD_JSONLOG_LINE_MAX * 6 + 128];
  char now[48];
  size_t o;
  const char *name = stream == 2 ? "stderr" : "stdout";

  tsd_time_rfc3339nano (now, sizeof now);
  o = (size_t) snprintf (line, sizeof line, "{\"log\":\"");
  o += escape (line + o, data, n);
  o += (size_t) snprintf (line + o, sizeof line - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", name, now);
  if (l->max_size > 0 && l->size > 0 && l->size + (int64_t) o > l->max_size
      && (l->rotate ? l->rotate (l, err) : rotate (l, err)) < 0)
    return -1;
  if (tsd_write_all (l->fd, line, o) < 0)
    return tsd_make_error (err, errno, "write log `%s`", l->path);
  l->size += (int64_t) o;
  return 0;
}

int
tsd_jsonlog_write (struct tsd_jsonlog *l, int stream, const char *data, size_t len, tsd_error_t *err)
{
  size_t i = 0;
  if (l->fd < 0 || stream < 1 || stream > 2)
    return 0;
  while (i < len)
    {
      const char *nl = memchr (data + i, '\n', len - i);
      size_t take = nl ? (size_t) (nl - (data + i)) + 1 : len - i;
      size_t room = TSD_JSONLOG_LINE_MAX - l->pending[stream].len;
      if (take > room)
        take = room;
      memcpy (l->pending[stream].buf + l->pending[stream].len, data + i, take);
      l->pending[stream].len += take;
      i += take;
      if (l->pending[stream].buf[l->pending[stream].len - 1] == '\n' || l->pending[stream].len == TSD_JSONLOG_LINE_MAX)
        {
          if (write_entry (l, stream, l->pending[stream].buf, l->pending[stream].len, err) < 0)
            return -1;
          l->pending[stream].len = 0;
        }
    }
  return 0;
}

int
tsd_jsonlog_flush (struct tsd_jsonlog *l, int stream, tsd_error_t *err)
{
  if (l->fd < 0 || stream < 1 || stream > 2 || l->pending[stream].len == 0)
    return 0;
  if (write_entry (l, stream, l->pending[stream].buf, l->pending[stream].len, err) < 0)
    return -1;
  l->pending[stream].len = 0;
  return 0;
}

void
tsd_jsonlog_close (struct tsd_jsonlog *l)
{
  tsd_error_t ignored = NULL;
  tsd_jsonlog_flush (l, 1, &ignored);
  tsd_error_release (&ignored);
  tsd_jsonlog_flush (l, 2, &ignored);
  tsd_error_release (&ignored);
  if (l->fd >= 0)
    close (l->fd);
  l->fd = -1;
  free (l->path);
  l->path = NULL;
}
