/* json.c: recursive-descent JSON parser with a depth limit, and a writer. */
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "utils.h"

#define TSD_JSON_MAX_FILE (64 * 1024 * 1024)

struct parser
{
  const char *p, *end, *start;
  int depth;
  tsd_error_t *err;
};

static tsd_json *parse_value (struct parser *ps);

static int
fail (struct parser *ps, const char *what)
{
  return tsd_make_error (ps->err, 0, "invalid JSON at offset %zu: %s", (size_t) (ps->p - ps->start), what);
}

static void
skip_ws (struct parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static tsd_json *
new_node (struct parser *ps, enum tsd_json_type t)
{
  tsd_json *j = calloc (1, sizeof *j);
  if (j == NULL)
    tsd_make_error (ps->err, ENOMEM, "parse JSON");
  else
    j->type = t;
  return j;
}

static int
hex4 (struct parser *ps, unsigned *out)
{
  unsigned v = 0;
  if (ps->end - ps->p < 4)
    return fail (ps, "truncated \\u escape");
  for (int i = 0; i < 4; i++)
    {
      char c = *ps->p++;
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= (unsigned) (c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= (unsigned) (c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= (unsigned) (c - 'A' + 10);
      else
        return fail (ps, "bad \\u escape");
    }
  *out = v;
  return 0;
}

static size_t
put_utf8 (char *o, unsigned cp)
{
  if (cp < 0x80)
    {
      o[0] = (char) cp;
      return 1;
    }
  if (cp < 0x800)
    {
      o[0] = (char) (0xC0 | (cp >> 6));
      o[1] = (char) (0x80 | (cp & 0x3F));
      return 2;
    }
  if (cp < 0x10000)
    {
      o[0] = (char) (0xE0 | (cp >> 12));
      o[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
      o[2] = (char) (0x80 | (cp & 0x3F));
      return 3;
    }
  o[0] = (char) (0xF0 | (cp >> 18));
  o[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char) (0x80 | (cp & 0x3F));
  return 4;
}

/* A \uXXXX escape (ps->p after the "u"), a surrogate pair in two, as UTF-8 at *o. */
static int
parse_unicode_escape (struct parser *ps, char **o)
{
  unsigned cp, lo;
  if (hex4 (ps, &cp) < 0)
    return -1;
  if (cp >= 0xD800 && cp <= 0xDBFF)
    {
      if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
        return fail (ps, "lone surrogate");
      ps->p += 2;
      if (hex4 (ps, &lo) < 0)
        return -1;
      if (lo < 0xDC00 || lo > 0xDFFF)
        return fail (ps, "bad surrogate pair");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
  else if (cp >= 0xDC00 && cp <= 0xDFFF)
    return fail (ps, "lone surrogate");
  if (cp == 0)
    return fail (ps, "\\u0000 not supported");
  /* A \uXXXX (6 bytes) yields at most 3 bytes, a pair (12) at most 4. */
  *o += put_utf8 (*o, cp);
  return 0;
}

/* The escape at ps->p (after the backslash), decoded at *o. */
static int
parse_escape (struct parser *ps, char **o)
{
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  char c = *ps->p++;
  const char *at = c ? strchr (from, c) : NULL;
  if (at)
    {
      *(*o)++ = to[at - from];
      return 0;
    }
  if (c == 'u')
    return parse_unicode_escape (ps, o);
  return fail (ps, "bad escape");
}

/* Parses a string literal at ps->p (on the opening quote); returns malloc'd text. */
static char *
parse_string_raw (struct parser *ps, size_t *len_out)
{
  const char *q;
  cleanup_free char *buf = NULL;
  char *o, *text;

  ps->p++; /* opening quote */
  /* Output is never longer than the input literal. */
  for (q = ps->p; q < ps->end && *q != '"'; q++)
    if (*q == '\\')
      q++;
  if (q >= ps->end)
    {
      fail (ps, "unterminated string");
      return NULL;
    }
  buf = malloc ((size_t) (q - ps->p) + 1);
  if (buf == NULL)
    {
      tsd_make_error (ps->err, ENOMEM, "parse JSON");
      return NULL;
    }
  o = buf;
  while (*ps->p != '"')
    {
      unsigned char c = (unsigned char) *ps->p++;
      if (c < 0x20)
        {
          fail (ps, "control character in string");
          return NULL;
        }
      if (c != '\\')
        *o++ = (char) c;
      else if (parse_escape (ps, &o) < 0)
        return NULL;
    }
  ps->p++; /* closing quote */
  *o = '\0';
  if (len_out)
    *len_out = (size_t) (o - buf);
  text = buf;
  buf = NULL;
  return text;
}

static tsd_json *
parse_number (struct parser *ps)
{
  const char *s = ps->p;
  bool integer = true;
  char tmp[64];
  size_t n;
  tsd_json *j;

  if (ps->p < ps->end && *ps->p == '-')
    ps->p++;
  if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
    {
      fail (ps, "bad number");
      return NULL;
    }
  if (*ps->p == '0')
    ps->p++;
  else
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
      ps->p++;
  if (ps->p < ps->end && *ps->p == '.')
    {
      integer = false;
      ps->p++;
      if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        {
          fail (ps, "bad fraction");
          return NULL;
        }
      while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E'))
    {
      integer = false;
      ps->p++;
      if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
        ps->p++;
      if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        {
          fail (ps, "bad exponent");
          return NULL;
        }
      while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    }
  n = (size_t) (ps->p - s);
  if (n >= sizeof tmp)
    {
      fail (ps, "number too long");
      return NULL;
    }
  memcpy (tmp, s, n);
  tmp[n] = '\0';
  j = new_node (ps, TSD_JSON_NUMBER);
  if (j == NULL)
    return NULL;
  j->number = strtod (tmp, NULL);
  if (integer)
    {
      errno = 0;
      long long v = strtoll (tmp, NULL, 10);
      if (errno == 0)
        {
          j->is_int = true;
          j->integer = v;
        }
    }
  return j;
}

static bool
literal (struct parser *ps, const char *word)
{
  size_t n = strlen (word);
  if ((size_t) (ps->end - ps->p) >= n && memcmp (ps->p, word, n) == 0)
    {
      ps->p += n;
      return true;
    }
  return false;
}

static int
grow (struct parser *ps, tsd_json *j, size_t *cap, bool keys)
{
  if (j->len < *cap)
    return 0;
  size_t ncap = *cap ? *cap * 2 : 8;
  tsd_json **items = realloc (j->items, ncap * sizeof *items);
  if (items == NULL)
    return tsd_make_error (ps->err, ENOMEM, "parse JSON");
  j->items = items;
  if (keys)
    {
      char **k = realloc (j->keys, ncap * sizeof *k);
      if (k == NULL)
        return tsd_make_error (ps->err, ENOMEM, "parse JSON");
      j->keys = k;
    }
  *cap = ncap;
  return 0;
}

/* An object member's key and its ':' (ps->p on the key's quote); malloc'd. */
static char *
parse_key (struct parser *ps)
{
  char *key;
  if (ps->p >= ps->end || *ps->p != '"')
    {
      fail (ps, "expected a key");
      return NULL;
    }
  key = parse_string_raw (ps, NULL);
  if (key == NULL)
    return NULL;
  skip_ws (ps);
  if (ps->p >= ps->end || *ps->p != ':')
    {
      free (key);
      fail (ps, "expected ':'");
      return NULL;
    }
  ps->p++;
  return key;
}

static tsd_json *
parse_container (struct parser *ps, bool object)
{
  size_t cap = 0;
  cleanup_json tsd_json *j = NULL;
  tsd_json *parsed;
  char close = object ? '}' : ']';

  if (++ps->depth > TSD_JSON_MAX_DEPTH)
    {
      fail (ps, "nesting too deep");
      return NULL;
    }
  j = new_node (ps, object ? TSD_JSON_OBJECT : TSD_JSON_ARRAY);
  if (j == NULL)
    return NULL;
  ps->p++;
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == close)
    ps->p++;
  else
    for (;;)
      {
        cleanup_free char *key = NULL;
        tsd_json *v;

        skip_ws (ps);
        if (object && (key = parse_key (ps)) == NULL)
          return NULL;
        v = parse_value (ps);
        if (v == NULL || grow (ps, j, &cap, object) < 0)
          {
            tsd_json_free (v);
            return NULL;
          }
        if (object)
          {
            j->keys[j->len] = key;
            key = NULL;
          }
        j->items[j->len++] = v;
        skip_ws (ps);
        if (ps->p < ps->end && *ps->p == ',')
          {
            ps->p++;
            continue;
          }
        if (ps->p < ps->end && *ps->p == close)
          {
            ps->p++;
            break;
          }
        fail (ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
        return NULL;
      }
  ps->depth--;
  parsed = j;
  j = NULL;
  return parsed;
}

static tsd_json *
parse_value (struct parser *ps)
{
  tsd_json *j;

  skip_ws (ps);
  if (ps->p >= ps->end)
    {
      fail (ps, "unexpected end");
      return NULL;
    }
  switch (*ps->p)
    {
    case '{':
      return parse_container (ps, true);
    case '[':
      return parse_container (ps, false);
    case '"':
      j = new_node (ps, TSD_JSON_STRING);
      if (j == NULL)
        return NULL;
      j->string = parse_string_raw (ps, &j->len);
      if (j->string == NULL)
        {
          free (j);
          return NULL;
        }
      return j;
    case 't':
    case 'f':
      if (literal (ps, "true") || literal (ps, "false"))
        {
          j = new_node (ps, TSD_JSON_BOOL);
          if (j)
            j->boolean = ps->p[-1] == 'e' && ps->p[-2] == 'u';
          return j;
        }
      break;
    case 'n':
      if (literal (ps, "null"))
        return new_node (ps, TSD_JSON_NULL);
      break;
    default:
      if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
        return parse_number (ps);
    }
  fail (ps, "unexpected character");
  return NULL;
}

tsd_json *
tsd_json_parse (const char *text, size_t len, tsd_error_t *err)
{
  struct parser ps = { .p = text, .end = text + len, .start = text, .err = err };
  tsd_json *j = parse_value (&ps);
  if (j == NULL)
    return NULL;
  skip_ws (&ps);
  if (ps.p != ps.end)
    {
      fail (&ps, "trailing data");
      tsd_json_free (j);
      return NULL;
    }
  return j;
}

tsd_json *
tsd_json_parse_file (const char *path, tsd_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  struct stat st;
  size_t off = 0;
  tsd_json *j;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      tsd_make_error (err, errno, "open `%s`", path);
      return NULL;
    }
  if (fstat (fd, &st) < 0)
    {
      tsd_make_error (err, errno, "stat `%s`", path);
      return NULL;
    }
  if (st.st_size > TSD_JSON_MAX_FILE)
    {
      tsd_make_error (err, EFBIG, "read `%s`", path);
      return NULL;
    }
  buf = malloc ((size_t) st.st_size + 1);
  if (buf == NULL)
    {
      tsd_make_error (err, ENOMEM, "read `%s`", path);
      return NULL;
    }
  while (off < (size_t) st.st_size)
    {
      ssize_t r = TEMP_FAILURE_RETRY (read (fd, buf + off, (size_t) st.st_size - off));
      if (r < 0)
        {
          tsd_make_error (err, errno, "read `%s`", path);
          return NULL;
        }
      if (r == 0)
        break;
      off += (size_t) r;
    }
  j = tsd_json_parse (buf, off, err);
  if (j == NULL)
    tsd_error_wrap (err, "parse `%s`", path);
  return j;
}

void
tsd_json_free (tsd_json *j)
{
  if (j == NULL)
    return;
  for (size_t i = 0; i < j->len && j->items; i++)
    {
      tsd_json_free (j->items[i]);
      if (j->keys)
        free (j->keys[i]);
    }
  free (j->items);
  free (j->keys);
  free (j->string);
  free (j);
}

const tsd_json *
tsd_json_get (const tsd_json *j, const char *key)
{
  if (j == NULL || j->type != TSD_JSON_OBJECT)
    return NULL;
  for (size_t i = j->len; i-- > 0;)
    if (strcmp (j->keys[i], key) == 0)
      return j->items[i];
  return NULL;
}

const tsd_json *
tsd_json_path (const tsd_json *j, ...)
{
  va_list ap;
  const char *k;
  va_start (ap, j);
  while (j && (k = va_arg (ap, const char *)) != NULL)
    j = tsd_json_get (j, k);
  va_end (ap);
  return j;
}

const char *
tsd_json_str (const tsd_json *j)
{
  return j && j->type == TSD_JSON_STRING ? j->string : NULL;
}
