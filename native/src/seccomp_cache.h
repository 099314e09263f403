/* seccomp_cache.h: compiled seccomp programs kept under the runtime root.
 *
 * libseccomp takes ~10 ms to turn Docker's default profile into BPF, and every
 * container of a daemon carries the same profile (or one of a few). A program
 * is stored as <runtime root>/seccomp/<fnv64 of the profile>.bpf together with the profile's
 * canonical text and libseccomp's version, and used only when both match
 * exactly: the hash names the file, it never decides. The runtime root lives
 * on tmpfs (/run), so a new kernel starts with an empty cache. */
#ifndef TSD_SECCOMP_CACHE_H
#define TSD_SECCOMP_CACHE_H

#include "error.h"
#include "json.h"
#include "seccomp.h"

/* The program for linux.seccomp, from the cache of the runtime root when stored
 * there, else compiled and stored (a failure to store costs the next container
 * a compile, nothing else). */
int tsd_seccomp_compile_cached (const tsd_json *seccomp, const char *root, struct tsd_seccomp_filter *out, tsd_error_t *err);

#endif
