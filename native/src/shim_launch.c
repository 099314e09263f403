/* shim_launch.c: the container's stdio, and running the runtime (see shim.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "fsutil.h"
#include "json.h"
#include "shim.h"
#include "utils.h"

/* Last {"level":"error","msg":...} line of the runtime log after offset. */
static void
last_runtime_error (const char *path, off_t from, char *msg, size_t n)
{
  cleanup_free char *buf = NULL;
  tsd_error_t err = NULL;
  size_t len = 0;
  char *line, *save = NULL;

  if (tsd_read_file (path, &buf, &len, &err) < 0)
    {
      tsd_error_release (&err);
      return;
    }
  if ((size_t) from > len)
    from = 0;
  for (line = strtok_r (buf + from, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      tsd_json *j = tsd_json_parse (line, strlen (line), &err);
      const char *level, *m;
      if (j == NULL)
        {
          tsd_error_release (&err);
          continue;
        }
      level = tsd_json_str (tsd_json_get (j, "level"));
      m = tsd_json_str (tsd_json_get (j, "msg"));
      if (level && m && strcmp (level, "error") == 0)
        snprintf (msg, n, "%s", m);
      tsd_json_free (j);
    }
}

int
shim_run_runtime (struct shim *s, const char *const *args, int in, int out, int errfd, char *msg, size_t n)
{
  const char *argv[32];
  int k = 0, status = 0;
  struct stat st;
  off_t from;
  pid_t pid;

  argv[k++] = s->runtime;
  if (s->runtime_root)
    {
      argv[k++] = "--root";
      argv[k++] = s->runtime_root;
    }
  argv[k++] = "--log";
  argv[k++] = s->runtime_log;
  argv[k++] = "--log-format";
  argv[k++] = "json";
  for (int i = 0; args[i] && k < 31; i++)
    argv[k++] = args[i];
  argv[k] = NULL;
  from = stat (s->runtime_log, &st) == 0 ? st.st_size : 0;
  if (msg && n)
    msg[0] = '\0';

  pid = fork ();
  if (pid < 0)
    {
      snprintf (msg, n, "fork: %s", strerror (errno));
      return 125;
    }
  if (pid == 0)
    {
      sigset_t none;
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      signal (SIGPIPE, SIG_DFL);
      if (dup2 (in >= 0 ? in : null, 0) < 0 || dup2 (out >= 0 ? out : null, 1) < 0
          || dup2 (errfd >= 0 ? errfd : null, 2) < 0)
        _exit (125);
      execvp (argv[0], (char *const *) argv);
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        snprintf (msg, n, "waitpid: %s", strerror (errno));
        return 125;
      }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (msg && n)
    {
      last_runtime_error (s->runtime_log, from, msg, n);
      if (msg[0] == '\0')
        snprintf (msg, n, "%s %s failed (status %d)", s->runtime, args[0], WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
    }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127 && msg && strstr (msg, "failed (status 127)"))
    snprintf (msg, n, "exec runtime %s: not found", s->runtime);
  return WIFEXITED (status) ? (WEXITSTATUS (status) ? WEXITSTATUS (status) : 1) : 125;
}

/* The init's memory cgroup file that counts OOM kills (best effort). */
static void
find_oom_file (struct shim *s)
{
  char path[64], *line = NULL;
  size_t cap = 0;
  FILE *f;
  snprintf (path, sizeof path, "/proc/%d/cgroup", (int) s->init_pid);
  f = fopen (path, "re");
  if (f == NULL)
    return;
  while (getline (&line, &cap, f) > 0)
    {
      char *p = strstr (line, ":memory:");
      line[strcspn (line, "\n")] = '\0';
      if (p)
        snprintf (s->oom_file, sizeof s->oom_file, "/sys/fs/cgroup/memory%s/memory.oom_control", p + 8);
      else if (strncmp (line, "0::", 3) == 0 && s->oom_file[0] == '\0' && access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
        snprintf (s->oom_file, sizeof s->oom_file, "/sys/fs/cgroup%s/memory.events", line + 3);
    }
  free (line);
  fclose (f);
}

int
shim_setup_stdio (struct shim *s, char *msg, size_t n)
{
  int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
  if (s->terminal)
    {
      tsd_error_t err = NULL;
      s->console_listen = tsd_unix_listen (s->console_path, &err);
      if (s->console_listen < 0)
        {
          snprintf (msg, n, "%s", err->msg);
          tsd_error_release (&err);
          return 125;
        }
      return 0;
    }
  if ((s->open_stdin && pipe2 (in, O_CLOEXEC) < 0) || pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0)
    {
      snprintf (msg, n, "pipe: %s", strerror (errno));
      return 125;
    }
  s->child_fd[0] = in[0];
  s->child_fd[1] = out[1];
  s->child_fd[2] = errp[1];
  s->out_fd[1] = out[0];
  s->out_fd[2] = errp[0];
  s->stdin_fd = in[1];
  for (int i = 1; i <= 2; i++)
    fcntl (s->out_fd[i], F_SETFL, O_NONBLOCK);
  if (s->stdin_fd >= 0)
    fcntl (s->stdin_fd, F_SETFL, O_NONBLOCK);
  return 0;
}

static void
stop_console_listen (struct shim *s)
{
  if (s->console_listen >= 0)
    close (s->console_listen);
  s->console_listen = -1;
  unlink (s->console_path);
}

/* The pty master the runtime sends on the console socket. */
static int
receive_console (struct shim *s, char *msg, size_t n)
{
  struct pollfd p = { .fd = s->console_listen, .events = POLLIN };
  tsd_error_t err = NULL;
  int c;

  if (poll (&p, 1, 10000) <= 0 || (c = accept4 (s->console_listen, NULL, NULL, SOCK_CLOEXEC)) < 0)
    {
      snprintf (msg, n, "no console from the runtime on `%s`", s->console_path);
      return 125;
    }
  s->master = tsd_recv_fd (c, &err);
  close (c);
  stop_console_listen (s);
  if (s->master < 0)
    {
      snprintf (msg, n, "%s", err->msg);
      tsd_error_release (&err);
      return 125;
    }
  fcntl (s->master, F_SETFL, fcntl (s->master, F_GETFL) | O_NONBLOCK);
  s->out_fd[1] = s->master;
  s->stdin_fd = s->open_stdin ? s->master : -1;
  return 0;
}

int
shim_launch (struct shim *s, char *msg, size_t n)
{
  const char *args[16];
  int k = 0, status;
  char pidfile[PATH_MAX];
  cleanup_free char *pidbuf = NULL;
  tsd_error_t err = NULL;

  snprintf (pidfile, sizeof pidfile, "%s/init.pid", s->state_dir);
  unlink (pidfile);
  if (s->exec_process)
    {
      args[k++] = "exec";
      args[k++] = "--process";
      args[k++] = s->exec_process;
      args[k++] = "--detach";
    }
  else
    {
      args[k++] = "create";
      args[k++] = "--bundle";
      args[k++] = s->bundle;
    }
  args[k++] = "--pid-file";
  args[k++] = pidfile;
  if (s->terminal)
    {
      args[k++] = "--console-socket";
      args[k++] = s->console_path;
    }
  args[k++] = s->id;
  args[k] = NULL;
  status = shim_run_runtime (s, args, s->child_fd[0], s->child_fd[1], s->child_fd[2], msg, n);
  for (int i = 0; i < 3; i++)
    if (s->child_fd[i] >= 0)
      {
        close (s->child_fd[i]);
        s->child_fd[i] = -1;
      }
  if (status != 0)
    {
      stop_console_listen (s);
      return status;
    }
  if (tsd_read_file (pidfile, &pidbuf, NULL, &err) < 0 || (s->init_pid = (pid_t) atoi (pidbuf)) <= 0)
    {
      snprintf (msg, n, "read `%s`: %s", pidfile, err && err->msg ? err->msg : "bad pid");
      tsd_error_release (&err);
      return 125;
    }
  if (s->terminal && (status = receive_console (s, msg, n)) != 0)
    return status;
  find_oom_file (s);
  return 0;
}
