/* seccomp.h: linux.seccomp of the spec as a BPF filter (libseccomp).
 *
 * Built only when libseccomp's header was found at build time (HAVE_SECCOMP,
 * see binding.gyp); otherwise tsd_seccomp_available() is false and the
 * runtime logs a warning and runs without a filter. Semantics follow runc:
 * unknown syscall names are skipped, rules whose action is the default are
 * dropped, ERRNO without errnoRet means EPERM, conditions on the same
 * argument index become separate rules. */
#ifndef TSD_SECCOMP_H
#define TSD_SECCOMP_H

#include <stdbool.h>

#include "error.h"
#include "json.h"

bool tsd_seccomp_available (void);
/* Build the filter from the linux.seccomp object and load it into the
 * calling thread (needs no_new_privs or CAP_SYS_ADMIN). */
int tsd_seccomp_load (const tsd_json *seccomp, tsd_error_t *err);

#endif
