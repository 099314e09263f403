/* spec_decode.c: see spec_decode.h. */
#include "spec_decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
tsd_spec_bad (tsd_error_t *err, const char *field, const char *why)
{
  return tsd_make_error (err, 0, "config.json: `%s` %s", field, why);
}

int
tsd_spec_get_string (const tsd_json *j, const char *field, bool required, const char **out, tsd_error_t *err)
{
  if (j == NULL || j->type == TSD_JSON_NULL)
    {
      *out = NULL;
      return required ? tsd_spec_bad (err, field, "is required") : 0;
    }
  if (j->type != TSD_JSON_STRING)
    return tsd_spec_bad (err, field, "must be a string");
  *out = j->string;
  return 0;
}

int
tsd_spec_get_int (const tsd_json *j, const char *field, int64_t *out, tsd_error_t *err)
{
  if (j == NULL || j->type == TSD_JSON_NULL)
    return 0;
  if (j->type != TSD_JSON_NUMBER || !j->is_int)
    return tsd_spec_bad (err, field, "must be an integer");
  *out = j->integer;
  return 0;
}

int
tsd_spec_get_uint32 (const tsd_json *j, const char *field, uint32_t *out, tsd_error_t *err)
{
  int64_t v = -1;
  if (j == NULL)
    return 0;
  if (tsd_spec_get_int (j, field, &v, err) < 0)
    return -1;
  if (v < 0 || v > UINT32_MAX)
    return tsd_spec_bad (err, field, "out of range");
  *out = (uint32_t) v;
  return 0;
}

int
tsd_spec_get_bool (const tsd_json *j, const char *field, bool *out, tsd_error_t *err)
{
  if (j == NULL || j->type == TSD_JSON_NULL)
    return 0;
  if (j->type != TSD_JSON_BOOL)
    return tsd_spec_bad (err, field, "must be a boolean");
  *out = j->boolean;
  return 0;
}

/* Array of strings -> NULL-terminated array of pointers into the tree. */
int
tsd_spec_get_strv (const tsd_json *j, const char *field, const char ***out, size_t *n, tsd_error_t *err)
{
  const char **v;
  *out = NULL;
  if (n)
    *n = 0;
  if (j == NULL || j->type == TSD_JSON_NULL)
    return 0;
  if (j->type != TSD_JSON_ARRAY)
    return tsd_spec_bad (err, field, "must be an array of strings");
  v = calloc (j->len + 1, sizeof *v);
  if (v == NULL)
    return tsd_make_error (err, ENOMEM, "decode `%s`", field);
  for (size_t i = 0; i < j->len; i++)
    {
      if (j->items[i]->type != TSD_JSON_STRING)
        {
          free (v);
          return tsd_spec_bad (err, field, "must be an array of strings");
        }
      v[i] = j->items[i]->string;
    }
  *out = v;
  if (n)
    *n = j->len;
  return 0;
}

