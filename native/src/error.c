/* error.c: construction and release of tsd_error_t. */
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
tsd_make_error (tsd_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  char *ctx = NULL;
  struct tsd_error_s *e;

  if (err == NULL)
    return -1;
  tsd_error_release (err);
  e = calloc (1, sizeof (*e));
  if (e == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end (ap);
  e->status = status;
  if (status != 0)
    {
      if (asprintf (&e->msg, "%s: %s", ctx ? ctx : "error", strerror (status)) < 0)
        e->msg = NULL;
      free (ctx);
    }
  else
    e->msg = ctx;
  *err = e;
  return -1;
}

int
tsd_error_wrap (tsd_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *ctx = NULL, *msg = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end (ap);
  if (ctx && asprintf (&msg, "%s: %s", ctx, (*err)->msg ? (*err)->msg : "error") >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = msg;
    }
  free (ctx);
  return -1;
}

void
tsd_error_release (tsd_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
