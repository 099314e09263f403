/* log.c: see log.h. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

static const char *log_path;
static int log_json;

void
tsd_log_init (const char *path, const char *format)
{
  log_path = path;
  log_json = format && strcmp (format, "json") == 0;
}

void
tsd_rfc3339_now (char *buf, size_t n)
{
  struct timespec ts;
  struct tm tm;
  char base[32];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, n, "%s.%09ldZ", base, ts.tv_nsec);
}

static void
write_log (const char *level, const char *msg)
{
  char now[64];
  FILE *f;
  int fd;
  if (log_path == NULL || *log_path == '\0')
    return;
  fd = open (log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  f = fdopen (fd, "a");
  if (f == NULL)
    {
      close (fd);
      return;
    }
  tsd_rfc3339_now (now, sizeof now);
  if (log_json)
    {
      fputs ("{\"level\":", f);
      tsd_json_write_string (f, level);
      fputs (",\"msg\":", f);
      tsd_json_write_string (f, msg);
      fputs (",\"time\":", f);
      tsd_json_write_string (f, now);
      fputs ("}\n", f);
    }
  else
    fprintf (f, "time=\"%s\" level=%s msg=\"%s\"\n", now, level, msg);
  fclose (f);
}

void
tsd_log (const char *level, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg)
    write_log (level, msg);
  free (msg);
}

void
tsd_log_error_msg (const char *msg)
{
  /* one line: newlines in the message would split it */
  char *line = strdup (msg ? msg : "unknown error");
  if (line == NULL)
    return;
  for (char *p = line; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  fprintf (stderr, "%s\n", line);
  fflush (stderr);
  write_log ("error", line);
  free (line);
}

void
tsd_log_error (tsd_error_t *err)
{
  tsd_log_error_msg (err && *err && (*err)->msg ? (*err)->msg : "unknown error");
  tsd_error_release (err);
}
