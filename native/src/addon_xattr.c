/* addon_xattr.c: the l*xattr family for the addon (see addon.h). */
#include "addon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "napi_args.h"
#include "utils.h"

/* The (path, name) pair the xattr calls take as their first two arguments. */
static bool
get_path_name (napi_env env, napi_value *argv, char **path, char **name)
{
  return tsd_napi_get_str (env, argv[0], "path", false, path) && tsd_napi_get_str (env, argv[1], "name", false, name);
}


/* lsetxattr(path, name, value: Buffer, flags?) */
napi_value
js_lsetxattr (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  int64_t flags = 0;
  bool isbuf = false;
  void *data = NULL;
  size_t len = 0;
  cleanup_free char *path = NULL;
  cleanup_free char *name = NULL;

  if (!tsd_napi_get_args (env, info, 4, 3, argv) || !get_path_name (env, argv, &path, &name))
    return NULL;
  NAPI_CALL (env, napi_is_buffer (env, argv[2], &isbuf));
  if (!isbuf)
    return tsd_napi_throw_type (env, "The \"value\" argument must be a Buffer");
  NAPI_CALL (env, napi_get_buffer_info (env, argv[2], &data, &len));
  if (!tsd_napi_get_opt_num (env, argv[3], "flags", true, &flags))
    return NULL;
  return tsd_napi_void_result (env, lsetxattr (path, name, data, len, (int) flags), "lsetxattr", path);
}

/* An l*xattr read: fills buf, or with size 0 only says how large the result is. */
typedef ssize_t (*xattr_read_fn) (const char *path, const char *name, char *buf, size_t size);

static ssize_t
read_value (const char *path, const char *name, char *buf, size_t size)
{
  return lgetxattr (path, name, buf, size);
}

static ssize_t
read_names (const char *path, const char *name UNUSED, char *buf, size_t size)
{
  return llistxattr (path, buf, size);
}

/* Reads a result of unknown size into *out (malloc'd): asks for its size, then
 * reads, again when it grew in between.  -1 with errno set on failure. */
static ssize_t
read_xattr (xattr_read_fn read_fn, const char *path, const char *name, char **out)
{
  for (int attempt = 0; attempt < 8; attempt++)
    {
      ssize_t size = read_fn (path, name, NULL, 0);
      if (size < 0)
        return -1;
      char *buf = malloc ((size_t) size + 1);
      if (buf == NULL)
        {
          errno = ENOMEM;
          return -1;
        }
      ssize_t got = size ? read_fn (path, name, buf, (size_t) size) : 0;
      if (got >= 0)
        {
          *out = buf;
          return got;
        }
      int err = errno;
      free (buf);
      errno = err;
      if (err != ERANGE) /* ERANGE: it grew in between */
        return -1;
    }
  errno = ERANGE;
  return -1;
}

/* lgetxattr(path, name): Buffer | null (null on ENODATA) */
napi_value
js_lgetxattr (napi_env env, napi_callback_info info)
{
  napi_value argv[2], result;
  ssize_t got;
  cleanup_free char *path = NULL;
  cleanup_free char *name = NULL;
  cleanup_free char *buf = NULL;

  if (!tsd_napi_get_args (env, info, 2, 2, argv) || !get_path_name (env, argv, &path, &name))
    return NULL;
  got = read_xattr (read_value, path, name, &buf);
  if (got < 0 && errno == ENODATA)
    {
      NAPI_CALL (env, napi_get_null (env, &result));
      return result;
    }
  if (got < 0)
    return tsd_napi_throw_errno (env, errno, "lgetxattr", path, NULL);
  NAPI_CALL (env, napi_create_buffer_copy (env, (size_t) got, buf, NULL, &result));
  return result;
}

/* llistxattr(path): string[] */
napi_value
js_llistxattr (napi_env env, napi_callback_info info)
{
  napi_value argv[1], arr;
  ssize_t got;
  uint32_t idx = 0;
  cleanup_free char *path = NULL;
  cleanup_free char *buf = NULL;

  if (!tsd_napi_get_args (env, info, 1, 1, argv) || !tsd_napi_get_str (env, argv[0], "path", false, &path))
    return NULL;
  got = read_xattr (read_names, path, NULL, &buf);
  if (got < 0)
    return tsd_napi_throw_errno (env, errno, "llistxattr", path, NULL);
  NAPI_CALL (env, napi_create_array (env, &arr));
  for (ssize_t off = 0; off < got;)
    {
      size_t l = strnlen (buf + off, (size_t) (got - off));
      napi_value s;
      if (l > 0)
        {
          NAPI_CALL (env, napi_create_string_utf8 (env, buf + off, l, &s));
          NAPI_CALL (env, napi_set_element (env, arr, idx++, s));
        }
      off += (ssize_t) l + 1;
    }
  return arr;
}

/* lremovexattr(path, name) */
napi_value
js_lremovexattr (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  cleanup_free char *path = NULL;
  cleanup_free char *name = NULL;

  if (!tsd_napi_get_args (env, info, 2, 2, argv) || !get_path_name (env, argv, &path, &name))
    return NULL;
  return tsd_napi_void_result (env, lremovexattr (path, name), "lremovexattr", path);
}
