/* shim_requests.c: the control protocol's requests, one function per verb
 * (see shim.h). Each queues its reply on the client; all but WAIT and ATTACH
 * leave the client closing once the reply is written. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "jsonlog.h"
#include "shim.h"
#include "shim_client.h"
#include "signals.h"
#include "utils.h"

#define SEP " \t\r"

/* The words after the verb, at most this many are looked at. */
#define MAX_ARGS 8

struct request
{
  const char *args[MAX_ARGS];
  int n;
};

static const char *
arg (const struct request *r, int i)
{
  return i < r->n ? r->args[i] : NULL;
}

static const char *
status_of (const struct shim *s)
{
  if (s->exited)
    return "stopped";
  return s->started ? "running" : "created";
}

static void
req_state (struct shim *s, struct shim_client *c, const struct request *r UNUSED)
{
  shim_client_reply (c, "OK {\"id\":\"%s\",\"pid\":%d,\"status\":\"%s\",\"exitCode\":%d,\"exitedAt\":\"%s\",\"oomKilled\":%s}\n",
                     s->id, (int) s->init_pid, status_of (s), s->exited ? shim_exit_code (s) : 0,
                     s->exited ? s->exited_at : "", s->oom_killed ? "true" : "false");
}

/* An exec's START runs RUNTIME exec; when that fails the process never ran
 * and its exit record carries the runtime's status. */
static int
start_exec (struct shim *s, char *msg, size_t n)
{
  int status = shim_launch (s, msg, n);
  s->stdin_pending = false;
  if (status == 0)
    {
      if (s->stdin_closing && s->in_len == 0)
        shim_close_stdin_now (s);
      return 0;
    }
  s->in_len = 0;
  s->stdin_closing = false;
  s->exited = true;
  s->wait_status = (status & 0xff) << 8;
  tsd_time_rfc3339nano (s->exited_at, sizeof s->exited_at);
  shim_finalize (s);
  return -1;
}

static void
req_start (struct shim *s, struct shim_client *c, const struct request *r UNUSED)
{
  const char *args[] = { "start", s->id, NULL };
  char msg[4096];

  if (s->started)
    return shim_client_reply (c, "ERR container already started\n");
  if (s->exited)
    return shim_client_reply (c, "ERR container has exited\n");
  if (s->exec_process ? start_exec (s, msg, sizeof msg) != 0
                      : shim_run_runtime (s, args, -1, -1, -1, msg, sizeof msg) != 0)
    return shim_client_reply (c, "ERR %s\n", msg);
  s->started = true;
  shim_client_reply (c, "OK\n");
}

static void
req_kill (struct shim *s, struct shim_client *c, const struct request *r)
{
  const char *name = arg (r, 0) ? arg (r, 0) : "KILL", *scope = arg (r, 1);
  int sig = tsd_parse_signal (name);
  char msg[4096];

  if (sig < 0)
    return shim_client_reply (c, "ERR invalid signal\n");
  if (s->exited)
    return shim_client_reply (c, "ERR container not running\n");
  if (s->init_pid <= 0)
    return shim_client_reply (c, "ERR process not started\n");
  if (scope && strcmp (scope, "all") == 0 && s->exec_process == NULL)
    {
      const char *args[] = { "kill", "--all", s->id, name, NULL };
      if (shim_run_runtime (s, args, -1, -1, -1, msg, sizeof msg) != 0)
        return shim_client_reply (c, "ERR %s\n", msg);
    }
  else if (kill (s->init_pid, sig) < 0) /* our child: no pid reuse before we reap it */
    return shim_client_reply (c, "ERR kill: %s\n", strerror (errno));
  shim_client_reply (c, "OK\n");
}

static void
req_resize (struct shim *s, struct shim_client *c, const struct request *r)
{
  struct winsize ws = { 0 };
  if (s->master < 0)
    return shim_client_reply (c, "ERR no terminal\n");
  if (arg (r, 0) == NULL || arg (r, 1) == NULL || atoi (arg (r, 0)) <= 0 || atoi (arg (r, 1)) <= 0)
    return shim_client_reply (c, "ERR usage: RESIZE rows cols\n");
  ws.ws_row = (unsigned short) atoi (arg (r, 0));
  ws.ws_col = (unsigned short) atoi (arg (r, 1));
  if (ioctl (s->master, TIOCSWINSZ, &ws) < 0)
    return shim_client_reply (c, "ERR resize: %s\n", strerror (errno));
  shim_client_reply (c, "OK\n");
}

static void
req_close_stdin (struct shim *s, struct shim_client *c, const struct request *r UNUSED)
{
  shim_close_stdin (s);
  shim_client_reply (c, "OK\n");
}

static void
req_wait (struct shim *s, struct shim_client *c, const struct request *r UNUSED)
{
  char json[512];
  if (s->finalized)
    {
      shim_exit_json (s, json, sizeof json);
      return shim_client_reply (c, "OK %s\n", json);
    }
  c->closing = false;
  c->mode = C_WAIT;
}

static void
req_attach (struct shim *s, struct shim_client *c, const struct request *r)
{
  char json[512];
  c->closing = false;
  c->mode = C_ATTACH;
  for (int i = 0; i < r->n; i++)
    {
      const char *w = r->args[i];
      if (strcmp (w, "stdin") == 0)
        c->want_in = shim_stdin_accepting (s);
      else if (strcmp (w, "stdin-once") == 0)
        c->stdin_once = true;
      else if (strcmp (w, "stdout") == 0)
        c->want_out = true;
      else if (strcmp (w, "stderr") == 0)
        c->want_err = true;
    }
  shim_client_reply (c, "OK\n");
  if (s->finalized)
    {
      int n = shim_exit_json (s, json, sizeof json);
      shim_client_frame (c, 3, json, (size_t) n);
      c->closing = true;
    }
}

static void
req_shutdown (struct shim *s, struct shim_client *c, const struct request *r)
{
  if (!s->finalized)
    {
      const char *args[] = { "delete", "--force", s->id, NULL };
      char msg[4096];
      if (arg (r, 0) == NULL || strcmp (arg (r, 0), "force") != 0)
        return shim_client_reply (c, "ERR container is running\n");
      if (s->exec_process == NULL)
        shim_run_runtime (s, args, -1, -1, -1, msg, sizeof msg);
      else if (s->init_pid > 0 && !s->exited)
        kill (s->init_pid, SIGKILL);
    }
  shim_client_reply (c, "OK\n");
  TEMP_FAILURE_RETRY (write (c->fd, c->out, c->out_len));
  unlink (s->sock_path);
  exit (0);
}

static const struct
{
  const char *verb;
  void (*handle) (struct shim *s, struct shim_client *c, const struct request *r);
} verbs[] = {
  { "STATE", req_state },   { "START", req_start }, { "KILL", req_kill },     { "RESIZE", req_resize },
  { "CLOSESTDIN", req_close_stdin }, { "WAIT", req_wait }, { "ATTACH", req_attach }, { "SHUTDOWN", req_shutdown },
};

void
shim_handle_request (struct shim *s, struct shim_client *c, char *line)
{
  char *save = NULL, *verb = strtok_r (line, SEP, &save);
  struct request r = { .n = 0 };

  c->closing = true;
  if (verb == NULL)
    return shim_client_reply (c, "ERR empty request\n");
  for (char *w; r.n < MAX_ARGS && (w = strtok_r (NULL, SEP, &save)) != NULL;)
    r.args[r.n++] = w;
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp (verb, verbs[i].verb) == 0)
      return verbs[i].handle (s, c, &r);
  shim_client_reply (c, "ERR unknown request `%s`\n", verb);
}
