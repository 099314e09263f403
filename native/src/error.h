/* error.h: one error type for all native code (crun style).
 *
 * Every fallible function takes `tsd_error_t *err` last and, on failure,
 * returns the (negative) result of tsd_make_error(), which records errno and a
 * message carrying the path involved:  return tsd_make_error (err, errno,
 * "mount `%s`", path);  The caller either propagates (return -1) or reports
 * and frees with tsd_error_release(). */
#ifndef TSD_ERROR_H
#define TSD_ERROR_H

#include <stdarg.h>
#include <stdio.h>

struct tsd_error_s
{
  int status; /* errno, 0 when not a syscall error */
  char *msg;  /* "<context>: <strerror>" or "<context>" */
};
typedef struct tsd_error_s *tsd_error_t;

int tsd_make_error (tsd_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
void tsd_error_release (tsd_error_t *err);
/* Prefix an existing error's message with more context. */
int tsd_error_wrap (tsd_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
