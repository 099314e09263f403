/* state.h: per-container runtime state under ROOT/<id>/.
 *
 *   state.json  written once by create (temp + rename): ociVersion, id, pid,
 *               bundle, rootfs, created, owner, annotations, plus our own
 *               "starttime" (of the init, from /proc/<pid>/stat, against pid
 *               reuse) and "cgroupPaths" (for kill --all and delete).
 *   exec.fifo   exists while the init waits for `start` (status "created").
 * The status is never stored: it is derived from the init process and the fifo. */
#ifndef TSD_STATE_H
#define TSD_STATE_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"

#define TSD_OCI_VERSION "1.0.2"

struct tsd_state
{
  const char *id, *bundle, *rootfs, *created;
  pid_t pid;
  uint64_t starttime;
  char *const *cgroup_paths;
  const tsd_json *annotations;
};

/* crun's rules: not empty, no leading '.', only [A-Za-z0-9_+.-], < 1024 bytes. */
int tsd_validate_id (const char *id, tsd_error_t *err);
int tsd_state_dir (const char *root, const char *id, char **out, tsd_error_t *err);
int tsd_state_write (const char *dir, const struct tsd_state *st, tsd_error_t *err);
/* Parsed state.json; ENOENT error "container `id` does not exist". */
tsd_json *tsd_state_read (const char *root, const char *id, tsd_error_t *err);
/* "created", "running" or "stopped". */
const char *tsd_state_status (const char *dir, const tsd_json *st);
/* Field 22 of /proc/<pid>/stat; 0 when the process is gone or a zombie. */
uint64_t tsd_proc_starttime (pid_t pid);
/* The state's cgroup paths as a NULL-terminated vector (malloc'd, strings borrowed). */
char **tsd_state_cgroups (const tsd_json *st);
/* Print the OCI state document of the container to f. */
void tsd_state_print (FILE *f, const char *dir, const tsd_json *st);

#endif
