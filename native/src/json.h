/* json.h: a small, strict JSON (RFC 8259) parser and string writer.
 *
 * tsd_json_parse() builds a tree; strings are NUL-terminated UTF-8 (a \u0000
 * escape is refused, since every consumer uses C strings). Numbers keep the
 * double and, when the literal is an integer that fits, the exact int64.
 * Nesting is limited to TSD_JSON_MAX_DEPTH. Duplicate keys: the last wins. */
#ifndef TSD_JSON_H
#define TSD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

#define TSD_JSON_MAX_DEPTH 200

enum tsd_json_type
{
  TSD_JSON_NULL,
  TSD_JSON_BOOL,
  TSD_JSON_NUMBER,
  TSD_JSON_STRING,
  TSD_JSON_ARRAY,
  TSD_JSON_OBJECT,
};

typedef struct tsd_json tsd_json;
struct tsd_json
{
  enum tsd_json_type type;
  bool boolean;
  double number;
  bool is_int; /* number is an integer literal within int64 */
  int64_t integer;
  char *string;    /* TSD_JSON_STRING */
  size_t len;      /* children count for arrays/objects, byte length for strings */
  char **keys;     /* TSD_JSON_OBJECT: len keys */
  tsd_json **items; /* arrays and objects: len values */
};

tsd_json *tsd_json_parse (const char *text, size_t len, tsd_error_t *err);
tsd_json *tsd_json_parse_file (const char *path, tsd_error_t *err);
void tsd_json_free (tsd_json *j);
static inline void
tsd_json_freep (tsd_json **j)
{
  tsd_json_free (*j);
}
#define cleanup_json __attribute__ ((cleanup (tsd_json_freep)))

/* Member of an object (NULL when j is not an object or the key is absent). */
const tsd_json *tsd_json_get (const tsd_json *j, const char *key);
/* Nested lookup: tsd_json_path (j, "linux", "resources", "memory", NULL). */
const tsd_json *tsd_json_path (const tsd_json *j, ...) __attribute__ ((sentinel));
/* The string of j, or NULL when j is NULL or not a string. */
const char *tsd_json_str (const tsd_json *j);

/* Write s as a JSON string literal (with quotes) to f. */
void tsd_json_write_string (FILE *f, const char *s);
/* Write any tree back as compact JSON. */
void tsd_json_write (FILE *f, const tsd_json *j);

#endif
