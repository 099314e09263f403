/* shim_exit.c: the exit record, and what happens when the init has exited (see shim.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fsutil.h"
#include "shim.h"
#include "shim_client.h"
#include "utils.h"

int
shim_exit_code (const struct shim *s)
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

int
shim_exit_json (const struct shim *s, char *buf, size_t n)
{
  return snprintf (buf, n, "{\"id\":\"%s\",\"pid\":%d,\"exitCode\":%d,\"signal\":%d,\"exitedAt\":\"%s\",\"oomKilled\":%s}",
                   s->id, (int) s->init_pid, shim_exit_code (s), WIFSIGNALED (s->wait_status) ? WTERMSIG (s->wait_status) : 0,
                   s->exited_at, s->oom_killed ? "true" : "false");
}

void
shim_finalize (struct shim *s)
{
  const char *args[] = { "delete", "--force", s->id, NULL };
  char msg[1024], json[512];
  tsd_error_t err = NULL;
  int n;

  for (int i = 1; i <= 2; i++)
    shim_output_eof (s, i);
  shim_close_stdin_now (s);
  s->oom_killed = oom_killed (s);
  if (s->exec_process == NULL && shim_run_runtime (s, args, -1, -1, -1, msg, sizeof msg) != 0)
    fprintf (stderr, "runtime delete: %s\n", msg);
  n = shim_exit_json (s, json, sizeof json);
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
        shim_client_frame (c, 3, json, (size_t) n);
      else if (c->mode == C_WAIT)
        shim_client_reply (c, "OK %s\n", json);
      else
        continue;
      c->closing = true;
    }
}
