/* selfexe.h: CVE-2019-5736 protection. Before touching a container, the
 * runtime re-executes itself from a sealed memfd copy of its binary, so that
 * /proc/self/exe inside the container names an immutable anonymous file, never
 * the runtime binary on the host. */
#ifndef TSD_SELFEXE_H
#define TSD_SELFEXE_H

#include "error.h"

/* Returns 0 when already running from a sealed memfd; otherwise does not
 * return on success (fexecve), -1 with err on failure. */
int tsd_ensure_sealed_self (char **argv, tsd_error_t *err);

#endif
