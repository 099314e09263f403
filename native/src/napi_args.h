/* napi_args.h: the addon's N-API glue: JS arguments read with Node's type
 * errors, and failures thrown shaped like Node's system errors (message
 * "<syscall> <path>: <strerror>", .errno negative, .code, .syscall, .path).
 * Every function returning bool leaves a JS error pending when false. */
#ifndef TSD_NAPI_ARGS_H
#define TSD_NAPI_ARGS_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <stdbool.h>
#include <stdint.h>

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

void tsd_napi_set_str (napi_env env, napi_value obj, const char *key, const char *val);
bool tsd_napi_set_int (napi_env env, napi_value obj, const char *key, int64_t v);
/* Throw a Node-style system error; always returns NULL for tail calls. */
napi_value tsd_napi_throw_errno (napi_env env, int errnum, const char *syscall, const char *path, const char *code);
napi_value tsd_napi_throw_type (napi_env env, const char *msg);
/* Reads v as a string into *out (malloc'd; NULL when nullable and v is null/undefined). */
bool tsd_napi_get_str (napi_env env, napi_value v, const char *what, bool nullable, char **out);
bool tsd_napi_get_num (napi_env env, napi_value v, const char *what, int64_t *out);
/* A number that may be left out (undefined, and null too when null_absent): *out keeps its default then. */
bool tsd_napi_get_opt_num (napi_env env, napi_value v, const char *what, bool null_absent, int64_t *out);
bool tsd_napi_get_bool (napi_env env, napi_value v, bool *out);
/* The call's first `want` arguments (undefined where fewer were given); at least `required`. */
bool tsd_napi_get_args (napi_env env, napi_callback_info info, size_t want, size_t required, napi_value *argv);
napi_value tsd_napi_undefined (napi_env env);
/* What a wrapped call that returns nothing gives JS: undefined, or the
 * error of its failure (rc < 0, errno set). */
napi_value tsd_napi_void_result (napi_env env, int rc, const char *syscall, const char *path);

#endif
