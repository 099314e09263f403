/* addon_mount.c: mount, umount2 and overlay mounts for the addon (see addon.h). */
#include "addon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "napi_args.h"
#include "overlay.h"
#include "utils.h"

/* mount(source, target, fstype|null, flags, data|null) */
napi_value
js_mount (napi_env env, napi_callback_info info)
{
  napi_value argv[5];
  int64_t flags;
  cleanup_free char *source = NULL;
  cleanup_free char *target = NULL;
  cleanup_free char *fstype = NULL;
  cleanup_free char *data = NULL;

  if (!tsd_napi_get_args (env, info, 5, 4, argv) || !tsd_napi_get_str (env, argv[0], "source", true, &source)
      || !tsd_napi_get_str (env, argv[1], "target", false, &target)
      || !tsd_napi_get_str (env, argv[2], "fstype", true, &fstype)
      || !tsd_napi_get_num (env, argv[3], "flags", &flags) || !tsd_napi_get_str (env, argv[4], "data", true, &data))
    return NULL;
  return tsd_napi_void_result (env, mount (source, target, fstype, (unsigned long) flags, data),
                      "mount", target);
}

/* umount2(target, flags) */
napi_value
js_umount2 (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  int64_t flags = 0;
  cleanup_free char *target = NULL;

  if (!tsd_napi_get_args (env, info, 2, 1, argv) || !tsd_napi_get_str (env, argv[0], "target", false, &target)
      || !tsd_napi_get_opt_num (env, argv[1], "flags", false, &flags))
    return NULL;
  return tsd_napi_void_result (env, umount2 (target, (int) flags), "umount2", target);
}

/* A JS array of strings, each malloc'd like tsd_napi_get_str's; free_strv frees what was read. */
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
      tsd_napi_throw_type (env, msg);
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
      if (napi_get_element (env, v, i, &e) != napi_ok || !tsd_napi_get_str (env, e, what, false, &out->v[i]))
        return false;
      out->n = i + 1;
    }
  return true;
}

/* tsd_napi_throw_errno's error for a failed overlay mount, with what the kernel logged
 * about it appended to the message: "fsconfig /m: Invalid argument (overlay: …)". */
static napi_value
throw_overlay_failure (napi_env env, const struct tsd_overlay_failure *f)
{
  napi_value err, msg;
  size_t len = 0;
  char buf[MAX_STR + 1024];

  tsd_napi_throw_errno (env, f->errnum, f->syscall, f->path, NULL);
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
napi_value
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

  if (!tsd_napi_get_args (env, info, 6, 5, argv) || !tsd_napi_get_str (env, argv[0], "target", false, &target)
      || !get_strv (env, argv[1], "lowers", &lowers) || !tsd_napi_get_str (env, argv[2], "upper", true, &upper)
      || !tsd_napi_get_str (env, argv[3], "work", true, &work) || !get_strv (env, argv[4], "options", &options)
      || !tsd_napi_get_opt_num (env, argv[5], "flags", true, &flags))
    return NULL;
  struct tsd_overlay o = { target, (const char *const *) lowers.v, lowers.n, upper, work,
                           (const char *const *) options.v, options.n };
  if (tsd_mount_overlay (&o, (unsigned) flags, &used, &fail) < 0)
    return throw_overlay_failure (env, &fail);
  NAPI_CALL (env, napi_create_string_utf8 (env, tsd_overlay_method_name (used), NAPI_AUTO_LENGTH, &result));
  return result;
}
