/* caps.h: Linux capabilities by name, applied with raw capset/prctl (no libcap). */
#ifndef TSD_CAPS_H
#define TSD_CAPS_H

#include <stdint.h>

#include "error.h"
#include "spec.h"

/* Capability number of "CAP_SYS_ADMIN" (or "SYS_ADMIN"), -1 when unknown. */
int tsd_cap_from_name (const char *name);

/* Drop from the bounding set every capability not in caps[BOUNDING]. */
int tsd_caps_drop_bounding (const struct tsd_spec *s, tsd_error_t *err);
/* Set effective/permitted/inheritable, then raise ambient (after the uid change). */
int tsd_caps_apply (const struct tsd_spec *s, tsd_error_t *err);

#endif
