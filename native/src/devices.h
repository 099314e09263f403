/* devices.h: the container's /dev: the default nodes (null, zero, full,
 * random, urandom, tty), linux.devices, and the usual links (fd, stdin, ptmx,
 * ...); made with mknod, or bound from the host where mknod is refused. */
#ifndef TSD_DEVICES_H
#define TSD_DEVICES_H

#include "error.h"
#include "spec.h"

/* Before pivot_root; a /dev bind-mounted from the host is left as it is (like runc). */
int tsd_setup_dev (const struct tsd_spec *s, const char *rootfs, tsd_error_t *err);

#endif
