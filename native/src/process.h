/* process.h: process.* of a spec applied to the calling process. */
#ifndef TSD_PROCESS_H
#define TSD_PROCESS_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"

int tsd_process_rlimits (const struct tsd_spec *s, tsd_error_t *err);
/* env plus HOME from /etc/passwd (of the current root) when env has none, like runc. */
const char **tsd_process_env_with_home (const char **env, uid_t uid);
/* Go's exec.LookPath with Docker's messages; *code is 127 (not found) or 126. */
char *tsd_process_find_executable (const char *name, const char **env, int *code, tsd_error_t *err);
/* setgroups/setresgid/setresuid keeping the capabilities for tsd_caps_apply. */
int tsd_process_set_user (const struct tsd_spec *s, tsd_error_t *err);
/* chdir and check that the cwd is inside the root (CVE-2024-21626). */
int tsd_process_enter_cwd (const char *cwd, tsd_error_t *err);
/* Mark every fd above 2 close-on-exec. */
void tsd_process_close_fds_on_exec (void);

#endif
