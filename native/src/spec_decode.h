/* spec_decode.h: typed reads of config.json fields shared by spec.c and
 * spec_process.c; each fails with "config.json: `field` why". */
#ifndef TSD_SPEC_DECODE_H
#define TSD_SPEC_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "json.h"
#include "spec.h"

int tsd_spec_bad (tsd_error_t *err, const char *field, const char *why);
/* An absent or null field leaves a number or boolean *out as it is, makes a
 * string or vector NULL, and is an error only when required. */
int tsd_spec_get_string (const tsd_json *j, const char *field, bool required, const char **out, tsd_error_t *err);
int tsd_spec_get_int (const tsd_json *j, const char *field, int64_t *out, tsd_error_t *err);
int tsd_spec_get_uint32 (const tsd_json *j, const char *field, uint32_t *out, tsd_error_t *err);
int tsd_spec_get_bool (const tsd_json *j, const char *field, bool *out, tsd_error_t *err);
/* A string array as a NULL-terminated malloc'd vector of pointers into j (n may be NULL). */
int tsd_spec_get_strv (const tsd_json *j, const char *field, const char ***out, size_t *n, tsd_error_t *err);
/* spec_process.c: the "process" object into s. */
int tsd_spec_decode_process (struct tsd_spec *s, const tsd_json *p, tsd_error_t *err);

#endif
