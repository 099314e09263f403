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

struct sock_filter;

/* A compiled BPF program; insns is NULL when the spec has no filter. */
struct tsd_seccomp_filter
{
  struct sock_filter *insns;
  unsigned short len;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
};

bool tsd_seccomp_available (void);
/* Compile the linux.seccomp object to BPF. Done apart from loading so that the
 * program can be cached (seccomp_cache.h) and made before the fork. */
int tsd_seccomp_compile (const tsd_json *seccomp, struct tsd_seccomp_filter *out, tsd_error_t *err);
/* Load the program into the calling thread (needs no_new_privs or CAP_SYS_ADMIN). */
int tsd_seccomp_install (const struct tsd_seccomp_filter *f, tsd_error_t *err);
void tsd_seccomp_free (struct tsd_seccomp_filter *f);
#define cleanup_seccomp __attribute__ ((cleanup (tsd_seccomp_free)))

#endif
