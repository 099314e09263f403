/* log.h: the runtime's --log/--log-format handling.
 *
 * Errors go to stderr as one line (the message only) and, when --log is set,
 * are appended there too: as {"level":"error","msg":"...","time":"..."} lines
 * with --log-format json (what containerd-style callers parse), else as text. */
#ifndef TSD_LOG_H
#define TSD_LOG_H

#include "error.h"

void tsd_log_init (const char *path, const char *format);
void tsd_log (const char *level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Report an error on stderr and in the log file. */
void tsd_log_error_msg (const char *msg);
/* Report err (and release it). */
void tsd_log_error (tsd_error_t *err);
/* Current time as RFC 3339 with nanoseconds (UTC) into buf. */
void tsd_rfc3339_now (char *buf, size_t n);

#endif
