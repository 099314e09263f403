/* addon.c: the N-API addon tsd_native.node.
 *
 * Thin, synchronous wrappers over the few syscalls Node does not offer:
 * mknod, the l*xattr family, mount/umount2, overlay mounts of any number of
 * layers (overlay.c) and flock.  A failure throws a JS
 * Error shaped like Node's system errors: message "<syscall> <path>: <strerror>",
 * .errno (negative, as Node's fs errors), .code ('ENOENT'...), .syscall, .path. */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "overlay.h"
#include "utils.h"

#define MAX_STR 8192

#define NAPI_CALL(env, call)                                                                       \
  do                                                                                               \
    {                                                                                              \
      if ((call) != napi_ok)                                                                       \
        {                                                                                          \
          bool pending_ = false;                                                                   \
          napi_is_exception_pending ((env), &pending_);                                            \
          if (!pending_)                                                                           \
            napi_throw_error ((env), "ERR_NATIVE", "N-API call failed: " #call);                   \
          return NULL;                                                                             \
        }                                                                                          \
    }                                                                                              \
  while (0)

static void
set_str (napi_env env, napi_value obj, const char *key, const char *val)
{
  napi_value v;
  if (napi_create_string_utf8 (env, val, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property (env, obj, key, v);
}

/* Throw a Node-style system error; always returns NULL for tail calls. */
static napi_value
throw_errno (napi_env env, int errnum, const char *syscall, const char *path, const char *code)
{
  char msg[MAX_STR + 256];
  napi_value jmsg, jerr, jerrno;
  const char *name = code ? code : strerrorname_np (errnum);

  if (path)
    snprintf (msg, sizeof msg, "%s %s: %s", syscall, path, strerror (errnum));
  else
    snprintf (msg, sizeof msg, "%s: %s", syscall, strerror (errnum));
  if (napi_create_string_utf8 (env, msg, NAPI_AUTO_LENGTH, &jmsg) != napi_ok
      || napi_create_error (env, NULL, jmsg, &jerr) != napi_ok)
    {
      napi_throw_error (env, NULL, msg);
      return NULL;
    }
  if (napi_create_int32 (env, -errnum, &jerrno) == napi_ok)
    napi_set_named_property (env, jerr, "errno", jerrno);
  set_str (env, jerr, "code", name ? name : "UNKNOWN");
  set_str (env, jerr, "syscall", syscall);
  if (path)
    set_str (env, jerr, "path", path);
  napi_throw (env, jerr);
  return NULL;
}

static napi_value
throw_type (napi_env env, const char *msg)
{
  napi_throw_type_error (env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

/* Reads v as a string into *out (malloc'd; NULL when nullable and v is
 * null/undefined). False when it is not one: a JS error is then pending. */
static bool
get_str (napi_env env, napi_value v, const char *what, bool nullable, char **out)
{
  napi_valuetype t;
  size_t len = 0;
  char *buf;
  char msg[128];

  *out = NULL;
  if (napi_typeof (env, v, &t) != napi_ok)
    return false;
  if (nullable && (t == napi_null || t == napi_undefined))
    return true;
  if (t != napi_string)
    {
      snprintf (msg, sizeof msg, "The \"%s\" argument must be of type string", what);
      throw_type (env, msg);
      return false;
    }
  if (napi_get_value_string_utf8 (env, v, NULL, 0, &len) != napi_ok)
    return false;
  buf = malloc (len + 1);
  if (buf == NULL)
    {
      napi_throw_error (env, "ENOMEM", "out of memory");
      return false;
    }
  if (napi_get_value_string_utf8 (env, v, buf, len + 1, &len) != napi_ok)
    {
      free (buf);
      return false;
    }
  if (strlen (buf) != len)
    {
      free (buf);
      snprintf (msg, sizeof msg, "The \"%s\" argument must not contain null bytes", what);
      throw_type (env, msg);
      return false;
    }
  *out = buf;
  return true;
}

/* The (path, name) pair the xattr calls take as their first two arguments. */
static bool
get_path_name (napi_env env, napi_value *argv, char **path, char **name)
{
  return get_str (env, argv[0], "path", false, path) && get_str (env, argv[1], "name", false, name);
}

static bool
get_num (napi_env env, napi_value v, const char *what, int64_t *out)
{
  napi_valuetype t;
  char msg[128];
  if (napi_typeof (env, v, &t) != napi_ok)
    return false;
  if (t != napi_number)
    {
      snprintf (msg, sizeof msg, "The \"%s\" argument must be of type number", what);
      throw_type (env, msg);
      return false;
    }
  return napi_get_value_int64 (env, v, out) == napi_ok;
}

/* A number that may be left out (undefined, and null too when null_absent):
 * *out keeps its default then. */
static bool
get_opt_num (napi_env env, napi_value v, const char *what, bool null_absent, int64_t *out)
{
  napi_valuetype t;
  if (napi_typeof (env, v, &t) != napi_ok)
    return false;
  if (t == napi_undefined || (null_absent && t == napi_null))
    return true;
  return get_num (env, v, what, out);
}

static bool
get_bool (napi_env env, napi_value v, bool *out)
{
  napi_valuetype t;
  if (napi_typeof (env, v, &t) != napi_ok)
    return false;
  if (t == napi_undefined || t == napi_null)
    {
      *out = false;
      return true;
    }
  if (napi_coerce_to_bool (env, v, &v) != napi_ok)
    return false;
  return napi_get_value_bool (env, v, out) == napi_ok;
}

static bool
get_args (napi_env env, napi_callback_info info, size_t want, size_t required, napi_value *argv)
{
  size_t argc = want;
  if (napi_get_cb_info (env, info, &argc, argv, NULL, NULL) != napi_ok)
    return false;
  if (argc < required)
    {
      throw_type (env, "missing arguments");
      return false;
    }
  for (size_t i = argc; i < want; i++)
    napi_get_undefined (env, &argv[i]);
  return true;
}

static napi_value
undefined (napi_env env)
{
  napi_value u;
  napi_get_undefined (env, &u);
  return u;
}

/* What a wrapped call that returns nothing gives JS: undefined, or the
 * error of its failure (rc < 0, errno set). */
static napi_value
void_result (napi_env env, int rc, const char *syscall, const char *path)
{
  if (rc < 0)
    return throw_errno (env, errno, syscall, path, NULL);
  return undefined (env);
}

/* mknod(path, mode, major, minor) */
static napi_value
js_mknod (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  int64_t mode, maj, min;
  cleanup_free char *path = NULL;

  if (!get_args (env, info, 4, 4, argv) || !get_str (env, argv[0], "path", false, &path)
      || !get_num (env, argv[1], "mode", &mode) || !get_num (env, argv[2], "major", &maj)
      || !get_num (env, argv[3], "minor", &min))
    return NULL;
  return void_result (env, mknod (path, (mode_t) mode, makedev ((unsigned) maj, (unsigned) min)),
                      "mknod", path);
}

/* lsetxattr(path, name, value: Buffer, flags?) */
static napi_value
js_lsetxattr (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  int64_t flags = 0;
  bool isbuf = false;
  void *data = NULL;
  size_t len = 0;
  cleanup_free char *path = NULL;
  cleanup_free char *name = NULL;

  if (!get_args (env, info, 4, 3, argv) || !get_path_name (env, argv, &path, &name))
    return NULL;
  NAPI_CALL (env, napi_is_buffer (env, argv[2], &isbuf));
  if (!isbuf)
    return throw_type (env, "The \"value\" argument must be a Buffer");
  NAPI_CALL (env, napi_get_buffer_info (env, argv[2], &data, &len));
  if (!get_opt_num (env, argv[3], "flags", true, &flags))
    return NULL;
  return void_result (env, lsetxattr (path, name, data, len, (int) flags), "lsetxattr", path);
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
static napi_value
js_lgetxattr (napi_env env, napi_callback_info info)
{
  napi_value argv[2], result;
  ssize_t got;
  cleanup_free char *path = NULL;
  cleanup_free char *name = NULL;
  cleanup_free char *buf = NULL;

  if (!get_args (env, info, 2, 2, argv) || !get_path_name (env, argv, &path, &name))
    return NULL;
  got = read_xattr (read_value, path, name, &buf);
  if (got < 0 && errno == ENODATA)
    {
      NAPI_CALL (env, napi_get_null (env, &result));
      return result;
    }
  if (got < 0)
    return throw_errno (env, errno, "lgetxattr", path, NULL);
  NAPI_CALL (env, napi_create_buffer_copy (env, (size_t) got, buf, NULL, &result));
  return result;
}

/* llistxattr(path): string[] */
static napi_value
js_llistxattr (napi_env env, napi_callback_info info)
{
  napi_value argv[1], arr;
  ssize_t got;
  uint32_t idx = 0;
  cleanup_free char *path = NULL;
  cleanup_free char *buf = NULL;

  if (!get_args (env, info, 1, 1, argv) || !get_str (env, argv[0], "path", false, &path))
    return NULL;
  got = read_xattr (read_names, path, NULL, &buf);
  if (got < 0)
    return throw_errno (env, errno, "llistxattr", path, NULL);
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
static napi_value
js_lremovexattr (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  cleanup_free char *path = NULL;
  cleanup_free char *name = NULL;

  if (!get_args (env, info, 2, 2, argv) || !get_path_name (env, argv, &path, &name))
    return NULL;
  return void_result (env, lremovexattr (path, name), "lremovexattr", path);
}

/* mount(source, target, fstype|null, flags, data|null) */
static napi_value
js_mount (napi_env env, napi_callback_info info)
{
  napi_value argv[5];
  int64_t flags;
  cleanup_free char *source = NULL;
  cleanup_free char *target = NULL;
  cleanup_free char *fstype = NULL;
  cleanup_free char *data = NULL;

  if (!get_args (env, info, 5, 4, argv) || !get_str (env, argv[0], "source", true, &source)
      || !get_str (env, argv[1], "target", false, &target)
      || !get_str (env, argv[2], "fstype", true, &fstype)
      || !get_num (env, argv[3], "flags", &flags) || !get_str (env, argv[4], "data", true, &data))
    return NULL;
  return void_result (env, mount (source, target, fstype, (unsigned long) flags, data),
                      "mount", target);
}

/* umount2(target, flags) */
static napi_value
js_umount2 (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  int64_t flags = 0;
  cleanup_free char *target = NULL;

  if (!get_args (env, info, 2, 1, argv) || !get_str (env, argv[0], "target", false, &target)
      || !get_opt_num (env, argv[1], "flags", false, &flags))
    return NULL;
  return void_result (env, umount2 (target, (int) flags), "umount2", target);
}

/* A JS array of strings, each malloc'd like get_str's; free_strv frees what was read. */
struct strv
{
  char **v;
  uint32_t n;
};

static void
free_strv (struct strv *s)
{
  for (uint32_t i = 0; s->v && i < s->n; i++)
    free (s->v[i]);
  free (s->v);
}
#define cleanup_strv __attribute__ ((cleanup (free_strv)))

static bool
get_strv (napi_env env, napi_value v, const char *what, struct strv *out)
{
  bool is_array = false;
  uint32_t len = 0;
  char msg[128];

  if (napi_is_array (env, v, &is_array) != napi_ok)
    return false;
  if (!is_array)
    {
      snprintf (msg, sizeof msg, "The \"%s\" argument must be an array of strings", what);
      throw_type (env, msg);
      return false;
    }
  if (napi_get_array_length (env, v, &len) != napi_ok)
    return false;
  out->v = calloc (len ? len : 1, sizeof (char *));
  if (out->v == NULL)
    {
      napi_throw_error (env, "ENOMEM", "out of memory");
      return false;
    }
  for (uint32_t i = 0; i < len; i++)
    {
      napi_value e;
      if (napi_get_element (env, v, i, &e) != napi_ok || !get_str (env, e, what, false, &out->v[i]))
        return false;
      out->n = i + 1;
    }
  return true;
}

/* throw_errno's error for a failed overlay mount, with what the kernel logged
 * about it appended to the message: "fsconfig /m: Invalid argument (overlay: …)". */
static napi_value
throw_overlay_failure (napi_env env, const struct tsd_overlay_failure *f)
{
  napi_value err, msg;
  size_t len = 0;
  char buf[MAX_STR + 1024];

  throw_errno (env, f->errnum, f->syscall, f->path, NULL);
  if (f->detail[0] == '\0' || napi_get_and_clear_last_exception (env, &err) != napi_ok)
    return NULL;
  if (napi_get_named_property (env, err, "message", &msg) == napi_ok
      && napi_get_value_string_utf8 (env, msg, buf, MAX_STR, &len) == napi_ok)
    {
      snprintf (buf + len, sizeof buf - len, " (%s)", f->detail);
      if (napi_create_string_utf8 (env, buf, NAPI_AUTO_LENGTH, &msg) == napi_ok)
        napi_set_named_property (env, err, "message", msg);
    }
  napi_throw (env, err);
  return NULL;
}

/* mountOverlay(target, lowers[], upper|null, work|null, options[], flags?):
 * "mount" | "fsconfig" | "fd-paths", the route taken (see overlay.h) */
static napi_value
js_mount_overlay (napi_env env, napi_callback_info info)
{
  napi_value argv[6], result;
  int64_t flags = 0;
  cleanup_free char *target = NULL;
  cleanup_free char *upper = NULL;
  cleanup_free char *work = NULL;
  cleanup_strv struct strv lowers = { NULL, 0 };
  cleanup_strv struct strv options = { NULL, 0 };
  struct tsd_overlay_failure fail;
  enum tsd_overlay_method used;

  if (!get_args (env, info, 6, 5, argv) || !get_str (env, argv[0], "target", false, &target)
      || !get_strv (env, argv[1], "lowers", &lowers) || !get_str (env, argv[2], "upper", true, &upper)
      || !get_str (env, argv[3], "work", true, &work) || !get_strv (env, argv[4], "options", &options)
      || !get_opt_num (env, argv[5], "flags", true, &flags))
    return NULL;
  struct tsd_overlay o = { target, (const char *const *) lowers.v, lowers.n, upper, work,
                           (const char *const *) options.v, options.n };
  if (tsd_mount_overlay (&o, (unsigned) flags, &used, &fail) < 0)
    return throw_overlay_failure (env, &fail);
  NAPI_CALL (env, napi_create_string_utf8 (env, tsd_overlay_method_name (used), NAPI_AUTO_LENGTH, &result));
  return result;
}

/* flock(fd, exclusive, nonBlocking): EWOULDBLOCK code when busy */
static napi_value
js_flock (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int64_t fd;
  bool excl, nb;
  int r;

  if (!get_args (env, info, 3, 1, argv) || !get_num (env, argv[0], "fd", &fd)
      || !get_bool (env, argv[1], &excl) || !get_bool (env, argv[2], &nb))
    return NULL;
  /* Blocking waits hold the JS thread: callers use nonBlocking or short waits. */
  r = TEMP_FAILURE_RETRY (flock ((int) fd, (excl ? LOCK_EX : LOCK_SH) | (nb ? LOCK_NB : 0)));
  if (r < 0)
    return throw_errno (env, errno, "flock", NULL, errno == EWOULDBLOCK ? "EWOULDBLOCK" : NULL);
  return undefined (env);
}

static bool
set_int (napi_env env, napi_value obj, const char *key, int64_t v)
{
  napi_value n;
  return napi_create_int64 (env, v, &n) == napi_ok
         && napi_set_named_property (env, obj, key, n) == napi_ok;
}

static napi_value
init (napi_env env, napi_value exports)
{
  napi_value ms;
  static const struct
  {
    const char *name;
    napi_callback cb;
  } fns[] = {
    { "mknod", js_mknod },
    { "lsetxattr", js_lsetxattr },
    { "lgetxattr", js_lgetxattr },
    { "llistxattr", js_llistxattr },
    { "lremovexattr", js_lremovexattr },
    { "mount", js_mount },
    { "umount2", js_umount2 },
    { "mountOverlay", js_mount_overlay },
    { "flock", js_flock },
  };

  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    {
      napi_value f;
      NAPI_CALL (env, napi_create_function (env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f));
      NAPI_CALL (env, napi_set_named_property (env, exports, fns[i].name, f));
    }
  NAPI_CALL (env, napi_create_object (env, &ms));
  if (!set_int (env, ms, "RDONLY", MS_RDONLY) || !set_int (env, ms, "NOSUID", MS_NOSUID)
      || !set_int (env, ms, "NODEV", MS_NODEV) || !set_int (env, ms, "NOEXEC", MS_NOEXEC)
      || !set_int (env, ms, "BIND", MS_BIND) || !set_int (env, ms, "REC", MS_REC)
      || !set_int (env, ms, "PRIVATE", MS_PRIVATE) || !set_int (env, ms, "SLAVE", MS_SLAVE)
      || !set_int (env, ms, "REMOUNT", MS_REMOUNT))
    return NULL;
  NAPI_CALL (env, napi_object_freeze (env, ms));
  NAPI_CALL (env, napi_set_named_property (env, exports, "MS", ms));
  if (!set_int (env, exports, "MNT_DETACH", MNT_DETACH))
    return NULL;
  return exports;
}

NAPI_MODULE (NODE_GYP_MODULE_NAME, init)
