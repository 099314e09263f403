/* pid1.c: tsd-init's signal set-up, spawn and wait/forward/reap loop (see pid1.h). */
#include "pid1.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utils.h"

/* Faults of the init itself: never blocked, or the kernel would kill it unseen. */
static const int synchronous_signals[] = { SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS };

static void
waited_signals (sigset_t *set)
{
  sigfillset (set);
  for (size_t i = 0; i < sizeof synchronous_signals / sizeof synchronous_signals[0]; i++)
    sigdelset (set, synchronous_signals[i]);
}

int
tsd_pid1_setup (struct tsd_pid1_saved *saved, tsd_error_t *err)
{
  struct sigaction ign = { .sa_handler = SIG_IGN };
  sigset_t set;

  waited_signals (&set);
  if (sigprocmask (SIG_SETMASK, &set, &saved->mask) < 0)
    return tsd_make_error (err, errno, "sigprocmask");
  /* So that the init, in the background once the child holds the terminal, is never stopped. */
  if (sigaction (SIGTTIN, &ign, &saved->ttin) < 0)
    return tsd_make_error (err, errno, "sigaction SIGTTIN");
  if (sigaction (SIGTTOU, &ign, &saved->ttou) < 0)
    return tsd_make_error (err, errno, "sigaction SIGTTOU");
  if (getpid () != 1 && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return tsd_make_error (err, errno, "prctl PR_SET_CHILD_SUBREAPER");
  return 0;
}

/* In the forked child: only async-signal-safe calls until exec. */
static void __attribute__ ((noreturn))
exec_child (char *const argv[], const struct tsd_pid1_saved *saved)
{
  int status = 1;
  const char *what;

  if (setpgid (0, 0) < 0)
    what = "setpgid";
  /* The foreground group of our terminal, if stdin is one. */
  else if (tcsetpgrp (STDIN_FILENO, getpgrp ()) < 0 && errno != ENOTTY && errno != ENXIO)
    what = "tcsetpgrp";
  else if (sigaction (SIGTTIN, &saved->ttin, NULL) < 0 || sigaction (SIGTTOU, &saved->ttou, NULL) < 0)
    what = "sigaction";
  else if (sigprocmask (SIG_SETMASK, &saved->mask, NULL) < 0)
    what = "sigprocmask";
  else
    {
      execvp (argv[0], argv);
      status = errno == ENOENT ? 127 : errno == EACCES ? 126 : 1;
      dprintf (STDERR_FILENO, "tsd-init: exec %s failed: %s\n", argv[0], strerror (errno));
      _exit (status);
    }
  dprintf (STDERR_FILENO, "tsd-init: %s: %s\n", what, strerror (errno));
  _exit (status);
}

int
tsd_pid1_spawn (char *const argv[], const struct tsd_pid1_saved *saved, pid_t *child, tsd_error_t *err)
{
  pid_t pid;

  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    return tsd_make_error (err, errno, "fork");
  if (pid == 0)
    exec_child (argv, saved);
  /* Also from here, so that signals forwarded to the group right away find it. */
  if (setpgid (pid, pid) < 0 && errno != EACCES && errno != ESRCH)
    return tsd_make_error (err, errno, "setpgid %d", (int) pid);
  *child = pid;
  return 0;
}

/* Reaps every zombie; returns 1 and sets *code once `child` is among them. */
static int
reap_all (pid_t child, int *code, tsd_error_t *err)
{
  int found = 0;

  for (;;)
    {
      int status;
      pid_t pid = waitpid (-1, &status, WNOHANG);
      if (pid == 0 || (pid < 0 && errno == ECHILD))
        return found;
      if (pid < 0)
        {
          if (errno == EINTR)
            continue;
          return tsd_make_error (err, errno, "waitpid");
        }
      if (pid != child)
        continue;
      found = 1;
      *code = WIFEXITED (status) ? WEXITSTATUS (status) : WIFSIGNALED (status) ? 128 + WTERMSIG (status) : 1;
    }
}

int
tsd_pid1_loop (pid_t child, const struct tsd_pid1_opts *opts, tsd_error_t *err)
{
  sigset_t set;

  waited_signals (&set);
  for (;;)
    {
      siginfo_t info;
      int sig = sigwaitinfo (&set, &info);
      if (sig < 0)
        {
          if (errno == EINTR)
            continue;
          return tsd_make_error (err, errno, "sigwaitinfo");
        }
      if (sig == SIGCHLD)
        {
          int code = 0, done = reap_all (child, &code, err);
          if (done < 0)
            return -1;
          if (done)
            return code;
          continue;
        }
      /* ESRCH: the child is gone and its SIGCHLD is on its way. */
      if (kill (opts->kill_group ? -child : child, sig) < 0 && errno != ESRCH)
        return tsd_make_error (err, errno, "forward signal %d to %d", sig, (int) child);
    }
}
