/* init.h: the container's init process, between fork and execve.
 *
 * Sync protocol with the create process (SOCK_SEQPACKET pair):
 *   parent -> init  "C"                 the init is in its cgroup, go on
 *   init -> parent  struct tsd_sync_msg  kind 'R' (ready: blocked on exec.fifo
 *                                        next) or 'E' (failed: exit_code + msg)
 * After 'R' the init opens exec.fifo for writing, which blocks until `start`
 * opens it for reading; then it execs process.args. */
#ifndef TSD_INIT_H
#define TSD_INIT_H

#include "seccomp.h"
#include "spec.h"

struct tsd_sync_msg
{
  char kind; /* 'R' or 'E' */
  int exit_code;
  char msg[3800];
};

struct tsd_init_args
{
  const struct tsd_spec *spec;
  const char *rootfs;
  const char *fifo_path;
  int sync_fd;
  int console_fd; /* connected console socket, or -1 */
  char *const *cgroup_paths; /* created by the parent; the init enters them first */
  const struct tsd_seccomp_filter *seccomp; /* compiled by the parent */
};

__attribute__ ((noreturn)) void tsd_init_run (const struct tsd_init_args *a);

#endif
