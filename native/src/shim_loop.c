/* shim_loop.c: the shim's event loop: signals, output, stdin, and clients
 * (their requests are handled in shim_requests.c; see shim.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsonlog.h"
#include "shim.h"
#include "shim_client.h"
#include "utils.h"

#define MAX_CLIENTS 64
#define DRAIN_MS 2000

/* Bytes a client sends where none are wanted are read and dropped. */
static char discard[4096];

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
          shim_client_free (s, c);
          return;
        }
      c->req_len += (size_t) r;
      c->req[c->req_len] = '\0';
      nl = strchr (c->req, '\n');
      if (nl == NULL)
        {
          if (c->req_len >= sizeof c->req - 1)
            {
              shim_client_reply (c, "ERR request too long\n");
              c->closing = true;
            }
          return;
        }
      *nl = '\0';
      /* bytes after the request line of an ATTACH are stdin */
      size_t extra = c->req_len - (size_t) (nl + 1 - c->req);
      char rest[sizeof c->req];
      memcpy (rest, nl + 1, extra);
      shim_handle_request (s, c, c->req);
      if (c->mode == C_ATTACH && c->want_in && extra > 0 && shim_stdin_accepting (s) && s->in_len + extra <= SHIM_STDIN_MAX)
        {
          memcpy (s->in_buf + s->in_len, rest, extra);
          s->in_len += extra;
        }
      return;
    }
  if (c->mode == C_ATTACH && c->want_in && shim_stdin_accepting (s) && !s->stdin_closing)
    {
      r = read (c->fd, s->in_buf + s->in_len, SHIM_STDIN_MAX - s->in_len);
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (r <= 0)
        {
          c->rd_closed = true;
          if (c->stdin_once)
            shim_close_stdin (s); /* the client's EOF (or hang-up): EOF for the container */
          return;
        }
      s->in_len += (size_t) r;
      return;
    }
  r = read (c->fd, discard, sizeof discard);
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
        shim_client_free (s, c);
      return;
    }
  memmove (c->out, c->out + w, c->out_len - (size_t) w);
  c->out_len -= (size_t) w;
  if (c->out_len == 0 && c->closing)
    shim_client_free (s, c);
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

/* Once the init has exited: finalize when its output is drained or the drain
 * time is over; returns the poll timeout until then (-1: none). */
static int
finalize_when_drained (struct shim *s)
{
  if (!s->exited || s->finalized)
    return -1;
  int64_t left = s->drain_deadline_ms - now_ms ();
  if ((s->out_fd[1] < 0 && s->out_fd[2] < 0) || left <= 0)
    {
      shim_finalize (s);
      return -1;
    }
  return (int) left;
}

static short
client_events (const struct shim *s, const struct shim_client *c)
{
  short ev = 0;
  if (!c->rd_closed && !c->closing
      && (c->mode != C_ATTACH || !c->want_in || !shim_stdin_accepting (s) || s->in_len < SHIM_STDIN_MAX))
    ev |= POLLIN;
  if (c->out_len > 0)
    ev |= POLLOUT;
  return ev;
}

static void
serve_client (struct shim *s, struct shim_client *c, const struct pollfd *p)
{
  if (!shim_client_alive (s, c))
    return; /* freed meanwhile */
  if (p->revents & (POLLIN | POLLHUP | POLLERR))
    {
      if (p->events & POLLIN)
        client_read (s, c);
      else if ((p->revents & (POLLHUP | POLLERR)) && c->out_len == 0)
        {
          shim_client_free (s, c);
          return;
        }
      if (!shim_client_alive (s, c))
        return;
    }
  if (c->out_len > 0)
    client_write (s, c); /* ready, or new replies: try at once */
  else if (c->closing)
    shim_client_free (s, c);
}

int
shim_loop (struct shim *s)
{
  struct pollfd fds[8 + MAX_CLIENTS];
  struct shim_client *who[8 + MAX_CLIENTS];

  s->in_buf = malloc (SHIM_STDIN_MAX);
  if (s->in_buf == NULL)
    return 1;
  for (;;)
    {
      int n = 0, idx_listen, idx_sig, idx_out[3] = { -1, -1, -1 }, idx_in = -1, first_client;
      int timeout = finalize_when_drained (s);

      fds[idx_listen = n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
      fds[idx_sig = n++] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
      for (int i = 1; i <= 2; i++)
        if (s->out_fd[i] >= 0)
          fds[idx_out[i] = n++] = (struct pollfd){ .fd = s->out_fd[i], .events = POLLIN };
      if (s->stdin_fd >= 0 && s->in_len > 0)
        fds[idx_in = n++] = (struct pollfd){ .fd = s->stdin_fd, .events = POLLOUT };
      first_client = n;
      for (struct shim_client *c = s->clients; c && n < (int) (sizeof fds / sizeof fds[0]); c = c->next)
        {
          who[n] = c;
          fds[n++] = (struct pollfd){ .fd = c->fd, .events = client_events (s, c) };
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
          shim_read_output (s, i);
      if (idx_in >= 0 && fds[idx_in].revents && s->stdin_fd >= 0)
        shim_write_stdin (s);
      for (int i = first_client; i < n; i++)
        serve_client (s, who[i], &fds[i]);
      if (fds[idx_listen].revents)
        accept_clients (s);
    }
}
