/* netns.h: a network namespace the runtime created itself, made as Docker
 * makes one for `--network none` (and, until tsdocker networks exist, for the
 * default): loopback up with 127.0.0.1, IPv6 disabled. A namespace joined by
 * path belongs to whoever made it and is left as it is. */
#ifndef TSD_NETNS_H
#define TSD_NETNS_H

#include "error.h"

/* In the new namespace: disable IPv6 (where the kernel has it) and bring lo up. */
int tsd_netns_setup_loopback (tsd_error_t *err);

#endif
