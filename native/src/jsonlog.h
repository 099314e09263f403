/* jsonlog.h: Docker's json-file log driver, as the shim writes it.
 *
 * One JSON object per line: {"log":"<text>","stream":"stdout|stderr","time":"<RFC3339Nano>"}
 * where <text> is one line of output including its "\n" (a line longer than
 * 16 KiB, or the tail at EOF, is written without "\n", as a partial entry),
 * escaped like Go's encoding/json (HTML-safe, invalid UTF-8 as U+FFFD) and the
 * time is UTC with trailing zeros of the fraction trimmed, as Go prints it.
 * Rotation like Docker's: when the file would exceed max_size it is renamed to
 * FILE.1 (FILE.1 to FILE.2, ...; at most max_files files in all). */
#ifndef TSD_JSONLOG_H
#define TSD_JSONLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define TSD_JSONLOG_LINE_MAX (16 * 1024)

struct tsd_jsonlog
{
  char *path;
  int fd;
  int64_t size, max_size; /* max_size <= 0: no rotation */
  int max_files;
  /* Another rotation than json-file's (locallog.h), with its state. */
  int (*rotate) (struct tsd_jsonlog *l, tsd_error_t *err);
  bool compress;
  int64_t next_gen;
  struct
  {
    char buf[TSD_JSONLOG_LINE_MAX];
    size_t len;
  } pending[3]; /* by stream: 1 stdout, 2 stderr */
};

int tsd_jsonlog_open (struct tsd_jsonlog *l, const char *path, int64_t max_size, int max_files, tsd_error_t *err);
/* Append output of stream (1 stdout, 2 stderr); complete lines are written now. */
int tsd_jsonlog_write (struct tsd_jsonlog *l, int stream, const char *data, size_t len, tsd_error_t *err);
/* Write what is pending for the stream (at EOF). */
int tsd_jsonlog_flush (struct tsd_jsonlog *l, int stream, tsd_error_t *err);
void tsd_jsonlog_close (struct tsd_jsonlog *l);
/* "2006-01-02T15:04:05.999999999Z" form of the current time. */
void tsd_time_rfc3339nano (char *buf, size_t n);
/* Parse "10m", "1g", "512k", "100" into bytes; -1 on error. */
int64_t tsd_parse_size (const char *s);

#endif
