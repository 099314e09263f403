/* shim_loop.c: the shim's event loop and control protocol (see shim.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "signals.h"
#include "fsutil.h"
#include "shim.h"
#include "utils.h"

#define MAX_CLIENTS 64
#define CLIENT_OUT_MAX (4 * 1024 * 1024)
#define STDIN_MAX (256 * 1024)
#define DRAIN_MS 2000

enum client_mode
{
  C_REQUEST,
  C_ATTACH,
  C_WAIT,
};

struct shim_client
{
  int fd;
  enum client_mode mode;
  bool want_in, want_out, want_err, rd_closed, closing;
  bool stdin_once; /* the client's EOF is the container's stdin EOF */
  char req[512];
  size_t req_len;
  char *out;
  size_t out_len, out_cap;
  struct shim_client *next;
};

static char iobuf[64 * 1024];

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
client_free (struct shim *s, struct shim_client *c)
{
  struct shim_client **pp = &s->clients;
  while (*pp && *pp != c)
    pp = &(*pp)->next;
  if (*pp)
    *pp = c->next;
  close (c->fd);
  free (c->out);
  free (c);
}

/* Queue bytes for a client; drops the client when it falls too far behind. */
static bool
client_queue (struct shim_client *c, const void *data, size_t n)
{
  if (c->out_len + n > CLIENT_OUT_MAX)
    return false;
  if (c->out_len + n > c->out_cap)
    {
      size_t cap = c->out_cap ? c->out_cap : 4096;
      while (cap < c->out_len + n)
        cap *= 2;
      char *nb = realloc (c->out, cap);
      if (nb == NULL)
        return false;
      c->out = nb;
      c->out_cap = cap;
    }
  memcpy (c->out + c->out_len, data, n);
  c->out_len += n;
  return true;
}

static void
client_reply (struct shim_client *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
client_reply (struct shim_client *c, const char *fmt, ...)
{
  char buf[4500];
  va_list ap;
  int n;
  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n > (int) sizeof buf - 1)
    n = sizeof buf - 1;
  client_queue (c, buf, (size_t) n);
}

static bool
client_frame (struct shim_client *c, int stream, const char *data, size_t n)
{
  unsigned char h[8] = { (unsigned char) stream, 0, 0, 0, (unsigned char) (n >> 24), (unsigned char) (n >> 16),
                         (unsigned char) (n >> 8), (unsigned char) n };
  return client_queue (c, h, sizeof h) && client_queue (c, data, n);
}

static int
exit_code (const struct shim *s)
{
  if (WIFSIGNALED (s->wait_status))
    return 128 + WTERMSIG (s->wait_status);
  return WEXITSTATUS (s->wait_status);
}

static bool
oom_killed (const struct shim *s)
{
  cleanup_free char *buf = NULL;
  tsd_error_t err = NULL;
  char *p;
  if (s->oom_file[0] == '\0' || tsd_read_file (s->oom_file, &buf, NULL, &err) < 0)
    {
      tsd_error_release (&err);
      return false;
    }
  p = strstr (buf, "oom_kill ");
  return p && atol (p + 9) > 0;
}

static bool last_oom;

static int
exit_json (const struct shim *s, char *buf, size_t n)
{
  return snprintf (buf, n, "{\"id\":\"%s\",\"pid\":%d,\"exitCode\":%d,\"signal\":%d,\"exitedAt\":\"%s\",\"oomKilled\":%s}",
                   s->id, (int) s->init_pid, exit_code (s), WIFSIGNALED (s->wait_status) ? WTERMSIG (s->wait_status) : 0,
                   s->exited_at, last_oom ? "true" : "false");
}

static void
close_stdin_now (struct shim *s)
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

/* Whether bytes from an attach with stdin are taken: it is open, or about to be. */
static bool
stdin_accepting (const struct shim *s)
{
  return s->stdin_fd >= 0 || s->stdin_pending;
}

static void
close_stdin (struct shim *s)
{
  if (s->in_len > 0 || s->stdin_pending)
    s->stdin_closing = true;
  else
    close_stdin_now (s);
}

static void
output_eof (struct shim *s, int stream)
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

static void
read_output (struct shim *s, int stream)
{
  for (int rounds = 0; rounds < 4; rounds++)
    {
      ssize_t r = read (s->out_fd[stream], iobuf, sizeof iobuf);
      tsd_error_t err = NULL;
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (r <= 0) /* EOF, or EIO once every pty slave is closed */
        {
          output_eof (s, stream);
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
          if (!client_frame (c, stream, iobuf, (size_t) r))
            client_free (s, c); /* too slow: detached */
        }
      if ((size_t) r < sizeof iobuf)
        return;
    }
}

static void
finalize (struct shim *s)
{
  const char *args[] = { "delete", "--force", s->id, NULL };
  char msg[1024], json[512];
  tsd_error_t err = NULL;
  int n;

  for (int i = 1; i <= 2; i++)
    output_eof (s, i);
  close_stdin_now (s);
  last_oom = oom_killed (s);
  if (s->exec_process == NULL && shim_run_runtime (s, args, -1, -1, -1, msg, sizeof msg) != 0)
    fprintf (stderr, "runtime delete: %s\n", msg);
  n = exit_json (s, json, sizeof json);
  json[n++] = '\n';
  if (tsd_write_file_atomic (s->exit_path, json, (size_t) n, 0644, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      tsd_error_release (&err);
    }
  json[--n] = '\0';
  s->finalized = true;
  for (struct shim_client *c = s->clients; c; c = c->next)
    {
      if (c->mode == C_ATTACH)
        client_frame (c, 3, json, (size_t) n);
      else if (c->mode == C_WAIT)
        client_reply (c, "OK %s\n", json);
      else
        continue;
      c->closing = true;
    }
}

static void
reap (struct shim *s)
{
  struct signalfd_siginfo si;
  while (read (s->sig_fd, &si, sizeof si) == sizeof si)
    if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
      {
        if (s->finalized)
          {
            unlink (s->sock_path);
            exit (0);
          }
      }
  for (;;)
    {
      int st;
      pid_t p = waitpid (-1, &st, WNOHANG);
      if (p <= 0)
        break;
      if (p == s->init_pid && !s->exited)
        {
          s->exited = true;
          s->wait_status = st;
          tsd_time_rfc3339nano (s->exited_at, sizeof s->exited_at);
          s->drain_deadline_ms = now_ms () + DRAIN_MS;
        }
    }
}

static const char *
status_of (const struct shim *s)
{
  if (s->exited)
    return "stopped";
  return s->started ? "running" : "created";
}

static void
handle_request (struct shim *s, struct shim_client *c, char *line)
{
  char *save = NULL, *cmd = strtok_r (line, " \t\r", &save), *a1 = strtok_r (NULL, " \t\r", &save),
       *a2 = strtok_r (NULL, " \t\r", &save);
  char msg[4096], json[512];

  c->closing = true;
  if (cmd == NULL)
    return client_reply (c, "ERR empty request\n");
  if (strcmp (cmd, "STATE") == 0)
    {
      if (s->finalized)
        exit_json (s, json, sizeof json);
      return client_reply (c, "OK {\"id\":\"%s\",\"pid\":%d,\"status\":\"%s\",\"exitCode\":%d,\"exitedAt\":\"%s\",\"oomKilled\":%s}\n",
                           s->id, (int) s->init_pid, status_of (s), s->exited ? exit_code (s) : 0,
                           s->exited ? s->exited_at : "", last_oom ? "true" : "false");
    }
  if (strcmp (cmd, "START") == 0)
    {
      const char *args[] = { "start", s->id, NULL };
      int status;
      if (s->started)
        return client_reply (c, "ERR container already started\n");
      if (s->exited)
        return client_reply (c, "ERR container has exited\n");
      if (s->exec_process)
        {
          status = shim_launch (s, msg, sizeof msg);
          s->stdin_pending = false;
          if (status == 0 && s->stdin_closing && s->in_len == 0)
            close_stdin_now (s);
          if (status != 0)
            {
              s->in_len = 0;
              s->stdin_closing = false;
              /* Never ran: its exit record carries the runtime's status. */
              s->exited = true;
              s->wait_status = (status & 0xff) << 8;
              tsd_time_rfc3339nano (s->exited_at, sizeof s->exited_at);
              finalize (s);
              return client_reply (c, "ERR %s\n", msg);
            }
        }
      else if (shim_run_runtime (s, args, -1, -1, -1, msg, sizeof msg) != 0)
        return client_reply (c, "ERR %s\n", msg);
      s->started = true;
      return client_reply (c, "OK\n");
    }
  if (strcmp (cmd, "KILL") == 0)
    {
      int sig = tsd_parse_signal (a1 ? a1 : "KILL");
      if (sig < 0)
        return client_reply (c, "ERR invalid signal\n");
      if (s->exited)
        return client_reply (c, "ERR container not running\n");
      if (s->init_pid <= 0)
        return client_reply (c, "ERR process not started\n");
      if (a2 && strcmp (a2, "all") == 0 && s->exec_process == NULL)
        {
          const char *args[] = { "kill", "--all", s->id, a1, NULL };
          if (shim_run_runtime (s, args, -1, -1, -1, msg, sizeof msg) != 0)
            return client_reply (c, "ERR %s\n", msg);
        }
      else if (kill (s->init_pid, sig) < 0) /* our child: no pid reuse before we reap it */
        return client_reply (c, "ERR kill: %s\n", strerror (errno));
      return client_reply (c, "OK\n");
    }
  if (strcmp (cmd, "RESIZE") == 0)
    {
      struct winsize ws = { 0 };
      if (s->master < 0)
        return client_reply (c, "ERR no terminal\n");
      if (a1 == NULL || a2 == NULL || atoi (a1) <= 0 || atoi (a2) <= 0)
        return client_reply (c, "ERR usage: RESIZE rows cols\n");
      ws.ws_row = (unsigned short) atoi (a1);
      ws.ws_col = (unsigned short) atoi (a2);
      if (ioctl (s->master, TIOCSWINSZ, &ws) < 0)
        return client_reply (c, "ERR resize: %s\n", strerror (errno));
      return client_reply (c, "OK\n");
    }
  if (strcmp (cmd, "CLOSESTDIN") == 0)
    {
      close_stdin (s);
      return client_reply (c, "OK\n");
    }
  if (strcmp (cmd, "WAIT") == 0)
    {
      if (s->finalized)
        {
          exit_json (s, json, sizeof json);
          return client_reply (c, "OK %s\n", json);
        }
      c->closing = false;
      c->mode = C_WAIT;
      return;
    }
  if (strcmp (cmd, "ATTACH") == 0)
    {
      c->closing = false;
      c->mode = C_ATTACH;
      for (char *w = a1; w; w = (w == a1 ? a2 : strtok_r (NULL, " \t\r", &save)))
        {
          if (strcmp (w, "stdin") == 0)
            c->want_in = stdin_accepting (s);
          else if (strcmp (w, "stdin-once") == 0)
            c->stdin_once = true;
          else if (strcmp (w, "stdout") == 0)
            c->want_out = true;
          else if (strcmp (w, "stderr") == 0)
            c->want_err = true;
        }
      client_reply (c, "OK\n");
      if (s->finalized)
        {
          int n = exit_json (s, json, sizeof json);
          client_frame (c, 3, json, (size_t) n);
          c->closing = true;
        }
      return;
    }
  if (strcmp (cmd, "SHUTDOWN") == 0)
    {
      if (!s->finalized)
        {
          if (a1 == NULL || strcmp (a1, "force") != 0)
            return client_reply (c, "ERR container is running\n");
          const char *args[] = { "delete", "--force", s->id, NULL };
          if (s->exec_process == NULL)
            shim_run_runtime (s, args, -1, -1, -1, msg, sizeof msg);
          else if (s->init_pid > 0 && !s->exited)
            kill (s->init_pid, SIGKILL);
        }
      client_reply (c, "OK\n");
      TEMP_FAILURE_RETRY (write (c->fd, c->out, c->out_len));
      unlink (s->sock_path);
      exit (0);
    }
  client_reply (c, "ERR unknown request `%s`\n", cmd);
}

static void
client_read (struct shim *s, struct shim_client *c)
{
  ssize_t r;
  if (c->mode == C_REQUEST)
    {
      char *nl;
      r = read (c->fd, c->req + c->req_len, sizeof c->req - 1 - c->req_len);
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (r <= 0)
        {
          client_free (s, c);
          return;
        }
      c->req_len += (size_t) r;
      c->req[c->req_len] = '\0';
      nl = strchr (c->req, '\n');
      if (nl == NULL)
        {
          if (c->req_len >= sizeof c->req - 1)
            {
              client_reply (c, "ERR request too long\n");
              c->closing = true;
            }
          return;
        }
      *nl = '\0';
      /* bytes after the request line of an ATTACH are stdin */
      size_t extra = c->req_len - (size_t) (nl + 1 - c->req);
      char rest[sizeof c->req];
      memcpy (rest, nl + 1, extra);
      handle_request (s, c, c->req);
      if (c->mode == C_ATTACH && c->want_in && extra > 0 && stdin_accepting (s) && s->in_len + extra <= STDIN_MAX)
        {
          memcpy (s->in_buf + s->in_len, rest, extra);
          s->in_len += extra;
        }
      return;
    }
  if (c->mode == C_ATTACH && c->want_in && stdin_accepting (s) && !s->stdin_closing)
    {
      r = read (c->fd, s->in_buf + s->in_len, STDIN_MAX - s->in_len);
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (r <= 0)
        {
          c->rd_closed = true;
          if (c->stdin_once)
            close_stdin (s); /* the client's EOF (or hang-up): EOF for the container */
          return;
        }
      s->in_len += (size_t) r;
      return;
    }
  r = read (c->fd, iobuf, sizeof iobuf);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
    c->rd_closed = true;
}

static void
client_write (struct shim *s, struct shim_client *c)
{
  ssize_t w = write (c->fd, c->out, c->out_len);
  if (w < 0)
    {
      if (errno != EAGAIN && errno != EINTR)
        client_free (s, c);
      return;
    }
  memmove (c->out, c->out + w, c->out_len - (size_t) w);
  c->out_len -= (size_t) w;
  if (c->out_len == 0 && c->closing)
    client_free (s, c);
}

static void
write_stdin (struct shim *s)
{
  ssize_t w = write (s->stdin_fd, s->in_buf, s->in_len);
  if (w < 0)
    {
      if (errno != EAGAIN && errno != EINTR)
        close_stdin_now (s); /* EPIPE: nobody reads it any more */
      return;
    }
  memmove (s->in_buf, s->in_buf + w, s->in_len - (size_t) w);
  s->in_len -= (size_t) w;
  if (s->in_len == 0 && s->stdin_closing)
    close_stdin_now (s);
}

static void
accept_clients (struct shim *s)
{
  for (;;)
    {
      int n = 0, fd = accept4 (s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      struct shim_client *c;
      if (fd < 0)
        return;
      for (c = s->clients; c; c = c->next)
        n++;
      c = n < MAX_CLIENTS ? calloc (1, sizeof *c) : NULL;
      if (c == NULL)
        {
          close (fd);
          continue;
        }
      c->fd = fd;
      c->next = s->clients;
      s->clients = c;
    }
}

int
shim_loop (struct shim *s)
{
  struct pollfd fds[8 + MAX_CLIENTS];
  struct shim_client *who[8 + MAX_CLIENTS];

  s->in_buf = malloc (STDIN_MAX);
  if (s->in_buf == NULL)
    return 1;
  for (;;)
    {
      int n = 0, timeout = -1, idx_listen, idx_sig, idx_out[3] = { -1, -1, -1 }, idx_in = -1;

      if (s->exited && !s->finalized)
        {
          bool drained = s->out_fd[1] < 0 && s->out_fd[2] < 0;
          int64_t left = s->drain_deadline_ms - now_ms ();
          if (drained || left <= 0)
            finalize (s);
          else
            timeout = (int) left;
        }
      fds[idx_listen = n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
      fds[idx_sig = n++] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
      for (int i = 1; i <= 2; i++)
        if (s->out_fd[i] >= 0)
          fds[idx_out[i] = n++] = (struct pollfd){ .fd = s->out_fd[i], .events = POLLIN };
      if (s->stdin_fd >= 0 && s->in_len > 0)
        fds[idx_in = n++] = (struct pollfd){ .fd = s->stdin_fd, .events = POLLOUT };
      int first_client = n;
      for (struct shim_client *c = s->clients; c && n < (int) (sizeof fds / sizeof fds[0]); c = c->next)
        {
          short ev = 0;
          if (!c->rd_closed && !c->closing
              && (c->mode != C_ATTACH || !c->want_in || !stdin_accepting (s) || s->in_len < STDIN_MAX))
            ev |= POLLIN;
          if (c->out_len > 0)
            ev |= POLLOUT;
          who[n] = c;
          fds[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
        }
      if (poll (fds, (nfds_t) n, timeout) < 0)
        {
          if (errno == EINTR)
            continue;
          fprintf (stderr, "poll: %s\n", strerror (errno));
          return 1;
        }
      if (fds[idx_sig].revents)
        reap (s);
      for (int i = 1; i <= 2; i++)
        if (idx_out[i] >= 0 && fds[idx_out[i]].revents && s->out_fd[i] >= 0)
          read_output (s, i);
      if (idx_in >= 0 && fds[idx_in].revents && s->stdin_fd >= 0)
        write_stdin (s);
      for (int i = first_client; i < n; i++)
        {
          struct shim_client *c = who[i], *p;
          for (p = s->clients; p && p != c; p = p->next)
            ;
          if (p == NULL)
            continue; /* freed meanwhile */
          if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
            {
              if (fds[i].events & POLLIN)
                client_read (s, c);
              else if ((fds[i].revents & (POLLHUP | POLLERR)) && c->out_len == 0)
                {
                  client_free (s, c);
                  continue;
                }
              for (p = s->clients; p && p != c; p = p->next)
                ;
              if (p == NULL)
                continue;
            }
          if (c->out_len > 0 && (fds[i].revents & POLLOUT))
            client_write (s, c);
          else if (c->out_len > 0)
            client_write (s, c); /* new replies: try at once */
          else if (c->closing)
            client_free (s, c);
        }
      if (fds[idx_listen].revents)
        accept_clients (s);
    }
}
