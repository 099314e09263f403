/* securejoin.h: a path inside a root, as the container will see it. */
#ifndef TSD_SECUREJOIN_H
#define TSD_SECUREJOIN_H

#include "error.h"

/* Resolve `unsafe` inside `root` as if root were "/", following symlinks but
 * never leaving root; the result (malloc'd) may name something not yet existing. */
int tsd_secure_join (const char *root, const char *unsafe, char **out, tsd_error_t *err);

#endif
