/* runtime_main.c: tsd-runtime, an OCI runtime with runc's command line.
 *
 *   tsd-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND ...
 *     create [--bundle|-b DIR] [--pid-file F] [--console-socket SOCK] ID
 *     start ID
 *     state ID
 *     kill [--all|-a] ID [SIGNAL]          (default SIGTERM; names or numbers)
 *     delete [--force|-f] ID
 *     run [--bundle|-b DIR] [--pid-file F] [--console-socket SOCK] [--detach|-d] ID
 *     exec [--process|-p FILE] [--detach|-d] [--pid-file F] [--console-socket SOCK]
 *          [--tty|-t] [--cwd DIR] [--env|-e K=V]... [--user|-u UID[:GID]] ID [ARGS...]
 *
 * Exit status: 0 on success; create/run failures exit 127 (executable not
 * found), 126 (permission denied) or 125 (anything else), with one line on
 * stderr (and in --log); other commands exit 1 on failure. `run` exits with the
 * container's status (128+signal when killed), `exec` without --detach the
 * process's status. Default root: /run/tsd-runtime. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "exec.h"
#include "signals.h"
#include "log.h"
#include "seccomp.h"
#include "selfexe.h"
#include "state.h"

#define VERSION "0.1.0"

struct opts
{
  const char *bundle, *pid_file, *console_socket, *process, *cwd, *user;
  const char *env[256];
  int n_env;
  bool all, force, detach, tty;
  int argc;
  char **argv; /* positional */
};

static void
usage (void)
{
  fputs ("usage: tsd-runtime [--root DIR] [--log FILE] [--log-format text|json] "
         "create|start|state|kill|delete|run [options] ID\n",
         stderr);
}

/* Matches "--name VALUE", "--name=VALUE" or "-n VALUE"; advances *i. */
static bool
opt_value (int argc, char **argv, int *i, const char *lng, const char *shrt, const char **out)
{
  size_t l = strlen (lng);
  if (strncmp (argv[*i], lng, l) == 0 && argv[*i][l] == '=')
    {
      *out = argv[*i] + l + 1;
      return true;
    }
  if (strcmp (argv[*i], lng) == 0 || (shrt && strcmp (argv[*i], shrt) == 0)
      || (lng[1] == '-' && strcmp (argv[*i], lng + 1) == 0))
    {
      if (*i + 1 >= argc)
        {
          fprintf (stderr, "option %s needs a value\n", lng);
          exit (1);
        }
      *out = argv[++*i];
      return true;
    }
  return false;
}

static bool
opt_flag (const char *arg, const char *lng, const char *shrt)
{
  return strcmp (arg, lng) == 0 || (shrt && strcmp (arg, shrt) == 0) || (lng[1] == '-' && strcmp (arg, lng + 1) == 0);
}

static void
parse_cmd_opts (int argc, char **argv, struct opts *o)
{
  static char *pos[64];
  const char *ignored;
  o->argc = 0;
  o->argv = pos;
  for (int i = 0; i < argc; i++)
    {
      if (argv[i][0] != '-' || argv[i][1] == '\0' || o->argc > 0)
        {
          if (o->argc < 63)
            pos[o->argc++] = argv[i];
          continue;
        }
      if (opt_value (argc, argv, &i, "--bundle", "-b", &o->bundle) || opt_value (argc, argv, &i, "--pid-file", NULL, &o->pid_file)
          || opt_value (argc, argv, &i, "--console-socket", NULL, &o->console_socket)
          || opt_value (argc, argv, &i, "--preserve-fds", NULL, &ignored)
          || opt_value (argc, argv, &i, "--process", "-p", &o->process) || opt_value (argc, argv, &i, "--cwd", NULL, &o->cwd)
          || opt_value (argc, argv, &i, "--user", "-u", &o->user))
        continue;
      {
        const char *e;
        if (opt_value (argc, argv, &i, "--env", "-e", &e))
          {
            if (o->n_env < 255)
              o->env[o->n_env++] = e;
            continue;
          }
      }
      if (opt_flag (argv[i], "--tty", "-t"))
        {
          o->tty = true;
          continue;
        }
      if (opt_flag (argv[i], "--all", "-a"))
        o->all = true;
      else if (opt_flag (argv[i], "--force", "-f"))
        o->force = true;
      else if (opt_flag (argv[i], "--detach", "-d"))
        o->detach = true;
      else if (opt_flag (argv[i], "--no-pivot", NULL) || opt_flag (argv[i], "--no-new-keyring", NULL)
               || opt_flag (argv[i], "--no-subreaper", NULL))
        ;
      else
        {
          fprintf (stderr, "unknown option %s\n", argv[i]);
          exit (1);
        }
    }
  pos[o->argc] = NULL;
}

static int
fail (tsd_error_t *err, int code)
{
  tsd_log_error (err);
  return code;
}

static volatile sig_atomic_t child_pid;

static void
forward_signal (int sig)
{
  if (child_pid > 0)
    kill (child_pid, sig);
}

static int
cmd_run (const char *root, const char *id, struct opts *o, char **argv)
{
  struct tsd_create_opts co = { .root = root, .id = id, .bundle = o->bundle ? o->bundle : ".", .pid_file = o->pid_file,
                                .console_socket = o->console_socket, .foreground = !o->detach };
  tsd_error_t err = NULL;
  pid_t pid;
  int code, status = 0;
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

  if (tsd_ensure_sealed_self (argv, &err) < 0)
    return fail (&err, 125);
  if (tsd_container_create (&co, &pid, &code, &err) < 0)
    return fail (&err, code);
  if (!co.foreground)
    {
      if (tsd_container_start (root, id, &err) < 0)
        return fail (&err, 125);
      return 0;
    }
  child_pid = pid;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    {
      struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
      sigaction (sigs[i], &sa, NULL);
    }
  if (tsd_container_start (root, id, &err) < 0)
    {
      tsd_log_error (&err);
      tsd_container_delete (root, id, true, &err);
      tsd_error_release (&err);
      return 125;
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      break;
  if (tsd_container_delete (root, id, true, &err) < 0)
    tsd_log_error (&err);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

/* The global options before the command: the command's index, or -1 with
 * *exit_code when the options were all there is to do (help, version, error). */
static int
parse_global_opts (int argc, char **argv, const char **root, const char **log_path, const char **log_format,
                   int *exit_code)
{
  const char *ignored;
  int i;

  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      if (opt_value (argc, argv, &i, "--root", NULL, root) || opt_value (argc, argv, &i, "--log", NULL, log_path)
          || opt_value (argc, argv, &i, "--log-format", NULL, log_format)
          || opt_value (argc, argv, &i, "--criu", NULL, &ignored))
        continue;
      if (opt_flag (argv[i], "--version", "-v"))
        {
          printf ("tsd-runtime version %s\nspec: %s\nseccomp: %s\n", VERSION, TSD_OCI_VERSION,
                  tsd_seccomp_available () ? "yes" : "no");
          *exit_code = 0;
          return -1;
        }
      if (opt_flag (argv[i], "--debug", NULL) || opt_flag (argv[i], "--systemd-cgroup", NULL)
          || strncmp (argv[i], "--rootless", 10) == 0)
        continue;
      if (opt_flag (argv[i], "--help", "-h"))
        {
          usage ();
          *exit_code = 0;
          return -1;
        }
      fprintf (stderr, "unknown global option %s\n", argv[i]);
      *exit_code = 1;
      return -1;
    }
  return i;
}

static int
cmd_create (const char *root, const struct opts *o, char **argv)
{
  struct tsd_create_opts co = { .root = root, .id = o->argv[0], .bundle = o->bundle ? o->bundle : ".",
                                .pid_file = o->pid_file, .console_socket = o->console_socket };
  tsd_error_t err = NULL;
  pid_t pid;
  int code;
  if (tsd_ensure_sealed_self (argv, &err) < 0)
    return fail (&err, 125);
  if (tsd_container_create (&co, &pid, &code, &err) < 0)
    return fail (&err, code);
  return 0;
}

static int
cmd_exec (const char *root, struct opts *o, char **argv)
{
  struct tsd_exec_opts eo = { .root = root, .id = o->argv[0], .process_file = o->process, .pid_file = o->pid_file,
                              .console_socket = o->console_socket, .cwd = o->cwd, .user = o->user, .env = o->env,
                              .args = o->argv + 1, .detach = o->detach, .tty = o->tty };
  tsd_error_t err = NULL;
  int code;
  o->env[o->n_env] = NULL;
  if (tsd_ensure_sealed_self (argv, &err) < 0)
    return fail (&err, 125);
  if (tsd_container_exec (&eo, &code, &err) < 0)
    return fail (&err, code);
  return code;
}

static int
cmd_kill (const char *root, const struct opts *o)
{
  tsd_error_t err = NULL;
  int sig = tsd_parse_signal (o->argc > 1 ? o->argv[1] : "TERM");
  if (sig < 0)
    {
      tsd_make_error (&err, 0, "unknown signal `%s`", o->argv[1]);
      return fail (&err, 1);
    }
  return tsd_container_kill (root, o->argv[0], sig, o->all, &err) < 0 ? fail (&err, 1) : 0;
}

int
main (int argc, char **argv)
{
  const char *root = "/run/tsd-runtime", *log_path = NULL, *log_format = "text";
  tsd_error_t err = NULL;
  struct opts o = { 0 };
  const char *cmd;
  int i, code = 0;
  bool creates;

  i = parse_global_opts (argc, argv, &root, &log_path, &log_format, &code);
  if (i < 0)
    return code;
  tsd_log_init (log_path, log_format);
  if (i >= argc)
    {
      usage ();
      return 1;
    }
  cmd = argv[i++];
  creates = strcmp (cmd, "create") == 0 || strcmp (cmd, "run") == 0 || strcmp (cmd, "exec") == 0;
  parse_cmd_opts (argc - i, argv + i, &o);
  if (o.argc < 1)
    {
      tsd_make_error (&err, 0, "%s: container id required", cmd);
      return fail (&err, creates ? 125 : 1);
    }
  if (tsd_validate_id (o.argv[0], &err) < 0)
    return fail (&err, creates ? 125 : 1);
  if (strcmp (cmd, "create") == 0)
    return cmd_create (root, &o, argv);
  if (strcmp (cmd, "run") == 0)
    return cmd_run (root, o.argv[0], &o, argv);
  if (strcmp (cmd, "exec") == 0)
    return cmd_exec (root, &o, argv);
  if (strcmp (cmd, "start") == 0)
    return tsd_container_start (root, o.argv[0], &err) < 0 ? fail (&err, 1) : 0;
  if (strcmp (cmd, "state") == 0)
    return tsd_container_state (root, o.argv[0], stdout, &err) < 0 ? fail (&err, 1) : 0;
  if (strcmp (cmd, "kill") == 0)
    return cmd_kill (root, &o);
  if (strcmp (cmd, "delete") == 0)
    return tsd_container_delete (root, o.argv[0], o.force, &err) < 0 ? fail (&err, 1) : 0;
  tsd_make_error (&err, 0, "unknown command `%s`", cmd);
  return fail (&err, 1);
}
