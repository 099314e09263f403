/* container.h: the OCI lifecycle operations behind the tsd-runtime commands.
 * Every function reports failures through err; create also gives the exit
 * status the CLI should use (127 not found, 126 permission denied, 125 else). */
#ifndef TSD_CONTAINER_H
#define TSD_CONTAINER_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"

struct tsd_create_opts
{
  const char *root, *id, *bundle, *pid_file, *console_socket;
  bool foreground; /* `run`: the init stays our child */
};

int tsd_container_create (const struct tsd_create_opts *o, pid_t *pid, int *exit_code, tsd_error_t *err);
int tsd_container_start (const char *root, const char *id, tsd_error_t *err);
int tsd_container_state (const char *root, const char *id, FILE *out, tsd_error_t *err);
int tsd_container_kill (const char *root, const char *id, int sig, bool all, tsd_error_t *err);
int tsd_container_delete (const char *root, const char *id, bool force, tsd_error_t *err);

#endif
