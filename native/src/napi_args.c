/* napi_args.c: see napi_args.h. */
#include "napi_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
tsd_napi_set_str (napi_env env, napi_value obj, const char *key, const char *val)
{
  napi_value v;
  if (napi_create_string_utf8 (env, val, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property (env, obj, key, v);
}

/* Throw a Node-style system error; always returns NULL for tail calls. */
napi_value
tsd_napi_throw_errno (napi_env env, int errnum, const char *syscall, const char *path, const char *code)
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
  tsd_napi_set_str (env, jerr, "code", name ? name : "UNKNOWN");
  tsd_napi_set_str (env, jerr, "syscall", syscall);
  if (path)
    tsd_napi_set_str (env, jerr, "path", path);
  napi_throw (env, jerr);
  return NULL;
}

napi_value
tsd_napi_throw_type (napi_env env, const char *msg)
{
  napi_throw_type_error (env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

/* Reads v as a string into *out (malloc'd; NULL when nullable and v is
 * null/tsd_napi_undefined). False when it is not one: a JS error is then pending. */
bool
tsd_napi_get_str (napi_env env, napi_value v, const char *what, bool nullable, char **out)
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
      tsd_napi_throw_type (env, msg);
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
      tsd_napi_throw_type (env, msg);
      return false;
    }
  *out = buf;
  return true;
}

bool
tsd_napi_get_num (napi_env env, napi_value v, const char *what, int64_t *out)
{
  napi_valuetype t;
  char msg[128];
  if (napi_typeof (env, v, &t) != napi_ok)
    return false;
  if (t != napi_number)
    {
      snprintf (msg, sizeof msg, "The \"%s\" argument must be of type number", what);
      tsd_napi_throw_type (env, msg);
      return false;
    }
  return napi_get_value_int64 (env, v, out) == napi_ok;
}

/* A number that may be left out (tsd_napi_undefined, and null too when null_absent):
 * *out keeps its default then. */
bool
tsd_napi_get_opt_num (napi_env env, napi_value v, const char *what, bool null_absent, int64_t *out)
{
  napi_valuetype t;
  if (napi_typeof (env, v, &t) != napi_ok)
    return false;
  if (t == napi_undefined || (null_absent && t == napi_null))
    return true;
  return tsd_napi_get_num (env, v, what, out);
}

bool
tsd_napi_get_bool (napi_env env, napi_value v, bool *out)
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

bool
tsd_napi_get_args (napi_env env, napi_callback_info info, size_t want, size_t required, napi_value *argv)
{
  size_t argc = want;
  if (napi_get_cb_info (env, info, &argc, argv, NULL, NULL) != napi_ok)
    return false;
  if (argc < required)
    {
      tsd_napi_throw_type (env, "missing arguments");
      return false;
    }
  for (size_t i = argc; i < want; i++)
    napi_get_undefined (env, &argv[i]);
  return true;
}

napi_value
tsd_napi_undefined (napi_env env)
{
  napi_value u;
  napi_get_undefined (env, &u);
  return u;
}

/* What a wrapped call that returns nothing gives JS: tsd_napi_undefined, or the
 * error of its failure (rc < 0, errno set). */
napi_value
tsd_napi_void_result (napi_env env, int rc, const char *syscall, const char *path)
{
  if (rc < 0)
    return tsd_napi_throw_errno (env, errno, syscall, path, NULL);
  return tsd_napi_undefined (env);
}

bool
tsd_napi_set_int (napi_env env, napi_value obj, const char *key, int64_t v)
{
  napi_value n;
  return napi_create_int64 (env, v, &n) == napi_ok
         && napi_set_named_property (env, obj, key, n) == napi_ok;
}
