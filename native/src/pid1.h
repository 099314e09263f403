/* pid1.h: tsd-init, the init `docker run --init` puts at PID 1 (tini's role,
 * run by dockerd as `/sbin/docker-init -- COMMAND [ARG...]`).
 *
 * The init blocks every catchable signal (and ignores SIGTTIN/SIGTTOU), spawns
 * COMMAND as its only direct child in a process group of its own (made the
 * terminal's foreground group when stdin is one) with the original signal
 * mask and dispositions, then waits in sigwaitinfo(2):
 *   SIGCHLD   reap every zombie (orphans re-parented to us included); once the
 *             child is among them, exit with its code (128 + signal if killed);
 *   any other forward to the child (to its whole process group with -g).
 * Synchronous signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP,
 * SIGSYS) stay unblocked: they are about the init itself.
 * Not PID 1 (tests, nested use), it makes itself a child subreaper so orphans
 * still come to it.
 * Exit codes of its own: 127 (COMMAND not found), 126 (not executable), 1
 * (usage, or a failing syscall), as tini. */
#ifndef TSD_PID1_H
#define TSD_PID1_H

#include <signal.h>
#include <sys/types.h>

#include "error.h"

struct tsd_pid1_opts
{
  int kill_group; /* -g: forward signals to the child's process group */
};

/* What the init changed before spawning, restored in the child before exec. */
struct tsd_pid1_saved
{
  sigset_t mask;
  struct sigaction ttin, ttou;
};

/* Blocks the signals the loop waits for, ignores SIGTTIN/SIGTTOU, and registers
 * as child subreaper when not PID 1. */
int tsd_pid1_setup (struct tsd_pid1_saved *saved, tsd_error_t *err);

/* Forks and execs argv[0] (PATH lookup) in its own process group; the child's
 * exec failure becomes its exit code (127/126/1) with a message on stderr. */
int tsd_pid1_spawn (char *const argv[], const struct tsd_pid1_saved *saved, pid_t *child, tsd_error_t *err);

/* The wait/forward/reap loop; returns the exit code for the init (the child's). */
int tsd_pid1_loop (pid_t child, const struct tsd_pid1_opts *opts, tsd_error_t *err);

#endif
