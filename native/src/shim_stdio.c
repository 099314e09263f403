/* shim_stdio.c: the container's output, to the log and to attached clients,
 * and its stdin, from attached clients (see shim.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "shim.h"
#include "shim_client.h"
#include "utils.h"

static char iobuf[64 * 1024];

void
shim_close_stdin_now (struct shim *s)
{
  if (s->stdin_fd < 0)
    return;
  if (s->master >= 0 && s->stdin_fd == s->master)
    {
      struct termios t;
      char eof = tcgetattr (s->master, &t) == 0 ? (char) t.c_cc[VEOF] : 4;
      TEMP_FAILURE_RETRY (write (s->master, &eof, 1));
    }
  else
    close (s->stdin_fd);
  s->stdin_fd = -1;
  s->in_len = 0;
  s->stdin_closing = false;
}

bool
shim_stdin_accepting (const struct shim *s)
{
  return s->stdin_fd >= 0 || s->stdin_pending;
}

void
shim_close_stdin (struct shim *s)
{
  if (s->in_len > 0 || s->stdin_pending)
    s->stdin_closing = true;
  else
    shim_close_stdin_now (s);
}

void
shim_output_eof (struct shim *s, int stream)
{
  tsd_error_t err = NULL;
  if (s->out_fd[stream] < 0)
    return;
  if (s->out_fd[stream] == s->master)
    {
      if (s->stdin_fd == s->master)
        s->stdin_fd = -1;
      s->master = -1;
    }
  close (s->out_fd[stream]);
  s->out_fd[stream] = -1;
  if (s->log_enabled && tsd_jsonlog_flush (&s->log, stream, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      tsd_error_release (&err);
    }
}

void
shim_read_output (struct shim *s, int stream)
{
  for (int rounds = 0; rounds < 4; rounds++)
    {
      ssize_t r = read (s->out_fd[stream], iobuf, sizeof iobuf);
      tsd_error_t err = NULL;
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (r <= 0) /* EOF, or EIO once every pty slave is closed */
        {
          shim_output_eof (s, stream);
          return;
        }
      if (s->log_enabled && tsd_jsonlog_write (&s->log, stream, iobuf, (size_t) r, &err) < 0)
        {
          fprintf (stderr, "%s\n", err->msg);
          tsd_error_release (&err);
        }
      for (struct shim_client *c = s->clients, *next; c; c = next)
        {
          next = c->next;
          if (c->mode != C_ATTACH || c->closing || (stream == 1 ? !c->want_out : !c->want_err))
            continue;
          if (!shim_client_frame (c, stream, iobuf, (size_t) r))
            shim_client_free (s, c); /* too slow: detached */
        }
      if ((size_t) r < sizeof iobuf)
        return;
    }
}

void
shim_write_stdin (struct shim *s)
{
  ssize_t w = write (s->stdin_fd, s->in_buf, s->in_len);
  if (w < 0)
    {
      if (errno != EAGAIN && errno != EINTR)
        shim_close_stdin_now (s); /* EPIPE: nobody reads it any more */
      return;
    }
  memmove (s->in_buf, s->in_buf + w, s->in_len - (size_t) w);
  s->in_len -= (size_t) w;
  if (s->in_len == 0 && s->stdin_closing)
    shim_close_stdin_now (s);
}
