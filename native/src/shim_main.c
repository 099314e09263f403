/* shim_main.c: tsd-shim start-up (see shim.h for the whole contract). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "fsutil.h"
#include "json.h"
#include "shim.h"
#include "utils.h"

static struct shim S; /* static: large buffers stay in .bss */

static void
usage (void)
{
  fputs ("usage: tsd-shim --id ID --bundle DIR --state DIR [--runtime PATH] [--runtime-root DIR]\n"
         "                [--log-file FILE] [--log-max-size 10m] [--log-max-file 3] [--stdin] [--terminal]\n"
         "                [--exec-process FILE]\n",
         stderr);
  exit (2);
}

static void
parse_args (struct shim *s, int argc, char **argv)
{
  s->runtime = NULL;
  s->log_max_size = 10 * 1024 * 1024;
  s->log_max_files = 3;
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
      if (strcmp (a, "--stdin") == 0)
        s->open_stdin = true;
      else if (strcmp (a, "--terminal") == 0)
        s->terminal = true;
      else if (v == NULL)
        usage ();
      else
        {
          i++;
          if (strcmp (a, "--id") == 0)
            s->id = v;
          else if (strcmp (a, "--bundle") == 0)
            s->bundle = v;
          else if (strcmp (a, "--state") == 0)
            s->state_dir = v;
          else if (strcmp (a, "--runtime") == 0)
            s->runtime = v;
          else if (strcmp (a, "--exec-process") == 0)
            s->exec_process = v;
          else if (strcmp (a, "--runtime-root") == 0)
            s->runtime_root = v;
          else if (strcmp (a, "--log-file") == 0)
            s->log_file = v;
          else if (strcmp (a, "--log-max-size") == 0)
            {
              s->log_max_size = tsd_parse_size (v);
              if (s->log_max_size < 0 && strcmp (v, "-1") != 0)
                usage ();
            }
          else if (strcmp (a, "--log-max-file") == 0)
            s->log_max_files = atoi (v);
          else
            usage ();
        }
    }
  if (s->id == NULL || s->bundle == NULL || s->state_dir == NULL)
    usage ();
}

/* The runtime next to this binary (tsd-runtime), unless --runtime. */
static const char *
default_runtime (void)
{
  static char path[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", path, sizeof path - 32);
  char *slash;
  if (n <= 0)
    return "tsd-runtime";
  path[n] = '\0';
  slash = strrchr (path, '/');
  if (slash == NULL)
    return "tsd-runtime";
  strcpy (slash + 1, "tsd-runtime");
  return path;
}

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

static int
listen_unix (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;
  if (strlen (path) >= sizeof addr.sun_path)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  strcpy (addr.sun_path, path);
  unlink (path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || chmod (path, 0600) < 0 || listen (fd, 64) < 0)
    {
      int e = errno;
      close (fd);
      errno = e;
      return -1;
    }
  return fd;
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

/* The container's stdio: pipes (kept in s->child_fd for the runtime) or a
 * console socket to receive the pty master on. */
static int
setup_stdio (struct shim *s, char *msg, size_t n)
{
  int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
  if (s->terminal)
    {
      s->console_listen = listen_unix (s->console_path);
      if (s->console_listen < 0)
        {
          snprintf (msg, n, "listen on `%s`: %s", s->console_path, strerror (errno));
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
      if (s->console_listen >= 0)
        close (s->console_listen);
      s->console_listen = -1;
      unlink (s->console_path);
      return status;
    }
  if (tsd_read_file (pidfile, &pidbuf, NULL, &err) < 0 || (s->init_pid = (pid_t) atoi (pidbuf)) <= 0)
    {
      snprintf (msg, n, "read `%s`: %s", pidfile, err && err->msg ? err->msg : "bad pid");
      tsd_error_release (&err);
      return 125;
    }
  if (s->terminal)
    {
      struct pollfd p = { .fd = s->console_listen, .events = POLLIN };
      int c;
      if (poll (&p, 1, 10000) <= 0 || (c = accept4 (s->console_listen, NULL, NULL, SOCK_CLOEXEC)) < 0)
        {
          snprintf (msg, n, "no console from the runtime on `%s`", s->console_path);
          return 125;
        }
      s->master = tsd_recv_fd (c, &err);
      close (c);
      close (s->console_listen);
      s->console_listen = -1;
      unlink (s->console_path);
      if (s->master < 0)
        {
          snprintf (msg, n, "%s", err->msg);
          tsd_error_release (&err);
          return 125;
        }
      fcntl (s->master, F_SETFL, fcntl (s->master, F_GETFL) | O_NONBLOCK);
      s->out_fd[1] = s->master;
      s->stdin_fd = s->open_stdin ? s->master : -1;
    }
  find_oom_file (s);
  return 0;
}

int
main (int argc, char **argv)
{
  struct shim *s = &S;
  int report[2], status, null;
  char msg[4096] = "";
  sigset_t mask;
  pid_t pid;

  parse_args (s, argc, argv);
  if (s->runtime == NULL)
    s->runtime = default_runtime ();
  s->listen_fd = s->sig_fd = s->stdin_fd = s->master = s->console_listen = -1;
  s->child_fd[0] = s->child_fd[1] = s->child_fd[2] = -1;
  s->out_fd[0] = s->out_fd[1] = s->out_fd[2] = -1;
  {
    tsd_error_t err = NULL;
    if (tsd_mkdir_p (s->state_dir, 0700, &err) < 0)
      {
        fprintf (stderr, "%s\n", err->msg);
        return 125;
      }
  }
  snprintf (s->sock_path, sizeof s->sock_path, "%s/shim.sock", s->state_dir);
  snprintf (s->console_path, sizeof s->console_path, "%s/console.sock", s->state_dir);
  snprintf (s->runtime_log, sizeof s->runtime_log, "%s/runtime.log", s->state_dir);
  snprintf (s->exit_path, sizeof s->exit_path, "%s/exit.json", s->state_dir);
  unlink (s->exit_path);

  if (pipe2 (report, O_CLOEXEC) < 0)
    {
      perror ("pipe");
      return 125;
    }
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      perror ("fork");
      return 125;
    }
  if (pid > 0)
    {
      /* The waiting parent: relay the outcome. */
      char buf[4200];
      size_t len = 0;
      ssize_t r;
      close (report[1]);
      while ((r = TEMP_FAILURE_RETRY (read (report[0], buf + len, sizeof buf - 1 - len))) > 0)
        len += (size_t) r;
      buf[len] = '\0';
      if (strncmp (buf, "OK ", 3) == 0)
        {
          fputs (buf + 3, stdout);
          return 0;
        }
      if (strncmp (buf, "ERR ", 4) == 0)
        {
          char *sp = strchr (buf + 4, ' ');
          fprintf (stderr, "%s", sp ? sp + 1 : "shim failed\n");
          return atoi (buf + 4) ? atoi (buf + 4) : 125;
        }
      fputs ("shim exited during start-up\n", stderr);
      return 125;
    }

  /* The shim proper. */
  close (report[0]);
  if (setsid () < 0 || prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || chdir ("/") < 0)
    {
      dprintf (report[1], "ERR 125 shim setup: %s\n", strerror (errno));
      _exit (125);
    }
  null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  {
    char shimlog[PATH_MAX];
    int lfd;
    snprintf (shimlog, sizeof shimlog, "%s/shim.log", s->state_dir);
    lfd = open (shimlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    dup2 (null, 0);
    dup2 (null, 1);
    dup2 (lfd >= 0 ? lfd : null, 2);
    if (lfd > 2)
      close (lfd);
    if (null > 2)
      close (null);
  }
  signal (SIGPIPE, SIG_IGN);
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGHUP);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  s->sig_fd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  s->listen_fd = listen_unix (s->sock_path);
  if (s->sig_fd < 0 || s->listen_fd < 0)
    {
      dprintf (report[1], "ERR 125 shim socket `%s`: %s\n", s->sock_path, strerror (errno));
      _exit (125);
    }
  if (s->log_file)
    {
      tsd_error_t err = NULL;
      if (tsd_jsonlog_open (&s->log, s->log_file, s->log_max_size, s->log_max_files, &err) < 0)
        {
          dprintf (report[1], "ERR 125 %s\n", err->msg);
          _exit (125);
        }
      s->log_enabled = true;
    }
  status = setup_stdio (s, msg, sizeof msg);
  if (status == 0 && s->exec_process == NULL)
    status = shim_launch (s, msg, sizeof msg); /* RUNTIME create; an exec waits for START */
  s->stdin_pending = status == 0 && s->open_stdin && s->stdin_fd < 0;
  if (status != 0)
    {
      for (char *p = msg; *p; p++)
        if (*p == '\n')
          *p = ' ';
      dprintf (report[1], "ERR %d %s\n", status, msg);
      unlink (s->sock_path);
      _exit (status);
    }
  {
    char pidfile[PATH_MAX], buf[32];
    tsd_error_t err = NULL;
    int l = snprintf (buf, sizeof buf, "%d", (int) getpid ());
    snprintf (pidfile, sizeof pidfile, "%s/shim.pid", s->state_dir);
    if (tsd_write_file_atomic (pidfile, buf, (size_t) l, 0644, &err) < 0)
      tsd_error_release (&err);
  }
  dprintf (report[1], "OK %d\n", (int) s->init_pid);
  close (report[1]);
  return shim_loop (s);
}
