/* json_write.c: tsd_json trees and strings written as compact JSON (see json.h). */
#include "json.h"

#include <math.h>
#include <stdio.h>

void
tsd_json_write_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++)
    {
      switch (*p)
        {
        case '"': fputs ("\\\"", f); break;
        case '\\': fputs ("\\\\", f); break;
        case '\n': fputs ("\\n", f); break;
        case '\r': fputs ("\\r", f); break;
        case '\t': fputs ("\\t", f); break;
        case '\b': fputs ("\\b", f); break;
        case '\f': fputs ("\\f", f); break;
        default:
          if (*p < 0x20)
            fprintf (f, "\\u%04x", *p);
          else
            fputc (*p, f);
        }
    }
  fputc ('"', f);
}

void
tsd_json_write (FILE *f, const tsd_json *j)
{
  if (j == NULL)
    {
      fputs ("null", f);
      return;
    }
  switch (j->type)
    {
    case TSD_JSON_NULL: fputs ("null", f); break;
    case TSD_JSON_BOOL: fputs (j->boolean ? "true" : "false", f); break;
    case TSD_JSON_NUMBER:
      if (j->is_int)
        fprintf (f, "%lld", (long long) j->integer);
      else if (isfinite (j->number))
        fprintf (f, "%.17g", j->number);
      else
        fputs ("null", f);
      break;
    case TSD_JSON_STRING: tsd_json_write_string (f, j->string); break;
    case TSD_JSON_ARRAY:
    case TSD_JSON_OBJECT:
      fputc (j->type == TSD_JSON_ARRAY ? '[' : '{', f);
      for (size_t i = 0; i < j->len; i++)
        {
          if (i)
            fputc (',', f);
          if (j->type == TSD_JSON_OBJECT)
            {
              tsd_json_write_string (f, j->keys[i]);
              fputc (':', f);
            }
          tsd_json_write (f, j->items[i]);
        }
      fputc (j->type == TSD_JSON_ARRAY ? ']' : '}', f);
      break;
    }
}
