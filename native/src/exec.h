/* exec.h: `tsd-runtime exec`: start another process in a running container
 * (its namespaces, cgroups and the given process spec), like `runc exec`. */
#ifndef TSD_EXEC_H
#define TSD_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct tsd_exec_opts
{
  const char *root, *id;
  const char *process_file;            /* --process: an OCI "process" object */
  const char *pid_file, *console_socket;
  const char *cwd, *user;              /* without --process: overrides of config.json's process */
  const char **env;                    /* -e K=V (NULL-terminated) */
  char **args;                         /* NULL-terminated */
  bool detach, tty;
};

/* Detached: 0 once the process runs. Otherwise waits and sets *exit_code to
 * its status. On failure -1 with *exit_code 127/126/125. */
int tsd_container_exec (const struct tsd_exec_opts *o, int *exit_code, tsd_error_t *err);

#endif
