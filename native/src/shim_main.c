/* shim_main.c: tsd-shim start-up (see shim.h for the whole contract). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "console.h"
#include "fsutil.h"
#include "locallog.h"
#include "shim.h"
#include "utils.h"

static struct shim S; /* static: large buffers stay in .bss */

static void
usage (void)
{
  fputs ("usage: tsd-shim --id ID --bundle DIR --state DIR [--runtime PATH] [--runtime-root DIR]\n"
         "                [--log-file FILE] [--log-driver json-file|local] [--log-max-size 10m] [--log-max-file 3]\n"
         "                [--log-compress] [--stdin] [--terminal]\n"
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
      else if (strcmp (a, "--log-compress") == 0)
        s->log_compress = true;
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
          else if (strcmp (a, "--log-driver") == 0 && (strcmp (v, "local") == 0 || strcmp (v, "json-file") == 0))
            s->log_local = strcmp (v, "local") == 0;
          else if (strcmp (a, "--log-max-size") == 0)
            {
              s->log_max_size = tsd_parse_size (v);
              if (s->log_max_size < 0 && strcmp (v, "-1") != 0)
                usage ();
            }
          else if (strcmp (a, "--log-max-file") == 0)
            {
              char *end;
              long n = strtol (v, &end, 10);
              if (*end != '\0' || n < 1 || n > INT_MAX)
                usage ();
              s->log_max_files = (int) n;
            }
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

/* The waiting parent: relay the shim's outcome ("OK <pid>" or "ERR <status> <message>"). */
static int
relay_outcome (int report)
{
  char buf[4200];
  size_t len = 0;
  ssize_t r;
  while ((r = TEMP_FAILURE_RETRY (read (report, buf + len, sizeof buf - 1 - len))) > 0)
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

/* The shim proper leaves the caller's session; its stdio goes to /dev/null
 * and its diagnostics to STATE/shim.log. */
static int
detach (struct shim *s)
{
  char shimlog[PATH_MAX];
  int null, lfd;

  if (setsid () < 0 || prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || chdir ("/") < 0)
    return -1;
  null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0)
    return -1;
  snprintf (shimlog, sizeof shimlog, "%s/shim.log", s->state_dir);
  lfd = open (shimlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (dup2 (null, 0) < 0 || dup2 (null, 1) < 0 || dup2 (lfd >= 0 ? lfd : null, 2) < 0)
    return -1;
  if (lfd > 2)
    close (lfd);
  if (null > 2)
    close (null);
  return 0;
}

static int
open_log (struct shim *s, tsd_error_t *err)
{
  char dir[PATH_MAX];
  const char *slash;
  if (!s->log_local)
    return tsd_jsonlog_open (&s->log, s->log_file, s->log_max_size, s->log_max_files, err);
  /* local-logs/ is the shim's to make, private like Docker's. */
  slash = strrchr (s->log_file, '/');
  snprintf (dir, sizeof dir, "%.*s", slash ? (int) (slash - s->log_file) : 1, slash ? s->log_file : ".");
  if (tsd_mkdir_p (dir, 0700, err) < 0)
    return -1;
  return tsd_locallog_open (&s->log, s->log_file, s->log_max_size, s->log_max_files, s->log_compress, err);
}

/* Signals arrive on a signalfd; requests on STATE/shim.sock; output goes to the log. */
static int
open_channels (struct shim *s, char *msg, size_t n)
{
  tsd_error_t err = NULL;
  sigset_t mask;

  signal (SIGPIPE, SIG_IGN);
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGHUP);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  s->sig_fd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s->sig_fd < 0)
    {
      snprintf (msg, n, "signalfd: %s", strerror (errno));
      return -1;
    }
  s->listen_fd = tsd_unix_listen (s->sock_path, &err);
  if (s->listen_fd < 0 || (s->log_file && open_log (s, &err) < 0))
    {
      snprintf (msg, n, "%s", err->msg);
      tsd_error_release (&err);
      return -1;
    }
  s->log_enabled = s->log_file != NULL;
  return 0;
}

static void
write_shim_pid (const struct shim *s)
{
  char pidfile[PATH_MAX], buf[32];
  tsd_error_t err = NULL;
  int l = snprintf (buf, sizeof buf, "%d", (int) getpid ());
  snprintf (pidfile, sizeof pidfile, "%s/shim.pid", s->state_dir);
  if (tsd_write_file_atomic (pidfile, buf, (size_t) l, 0644, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      tsd_error_release (&err);
    }
}

/* The shim proper: set up, create the container, report to the parent, serve. */
static int
run_shim (struct shim *s, int report)
{
  char msg[4096] = "";
  int status = 125;

  if (detach (s) < 0)
    snprintf (msg, sizeof msg, "shim setup: %s", strerror (errno));
  else if (open_channels (s, msg, sizeof msg) == 0)
    {
      status = shim_setup_stdio (s, msg, sizeof msg);
      if (status == 0 && s->exec_process == NULL)
        status = shim_launch (s, msg, sizeof msg); /* RUNTIME create; an exec waits for START */
    }
  s->stdin_pending = status == 0 && s->open_stdin && s->stdin_fd < 0;
  if (status != 0)
    {
      for (char *p = msg; *p; p++)
        if (*p == '\n')
          *p = ' ';
      dprintf (report, "ERR %d %s\n", status, msg);
      unlink (s->sock_path);
      _exit (status);
    }
  write_shim_pid (s);
  dprintf (report, "OK %d\n", (int) s->init_pid);
  close (report);
  return shim_loop (s);
}

int
main (int argc, char **argv)
{
  struct shim *s = &S;
  tsd_error_t err = NULL;
  int report[2];
  pid_t pid;

  parse_args (s, argc, argv);
  if (s->runtime == NULL)
    s->runtime = default_runtime ();
  s->listen_fd = s->sig_fd = s->stdin_fd = s->master = s->console_listen = -1;
  s->child_fd[0] = s->child_fd[1] = s->child_fd[2] = -1;
  s->out_fd[0] = s->out_fd[1] = s->out_fd[2] = -1;
  if (tsd_mkdir_p (s->state_dir, 0700, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      return 125;
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
      close (report[1]);
      return relay_outcome (report[0]);
    }
  close (report[0]);
  return run_shim (s, report[1]);
}
