/* overlay.h: mounting overlayfs over any number of lower layers.
 *
 * mount(2) copies its options from one page (4096 bytes): "lowerdir=a:b:…" of
 * 40-odd layers with the layer store's paths does not fit (and the kernel cuts
 * it silently).  So:
 *   - options that fit a page go through mount(2) as they always did (what
 *     /proc/mounts shows for ordinary images stays the same);
 *   - longer ones go through the new mount API (Linux 6.8+): fsopen, one
 *     fsconfig "lowerdir+" per layer, fsmount, move_mount.  No page limit
 *     (overlayfs takes up to 500 lower layers) and /proc/mounts still names
 *     every layer by its real path;
 *   - on older kernels, through mount(2) again, each layer named by the short
 *     /proc/self/fd/N path of an O_PATH descriptor opened for the call (~180
 *     layers fit a page that way; more is refused with E2BIG). */
#ifndef TSD_OVERLAY_H
#define TSD_OVERLAY_H

#include <stddef.h>

enum tsd_overlay_method
{
  TSD_OVERLAY_MOUNT,     /* mount(2), options as given */
  TSD_OVERLAY_FSCONFIG,  /* new mount API, "lowerdir+" per layer */
  TSD_OVERLAY_FD_PATHS,  /* mount(2), layers as /proc/self/fd/N */
};

struct tsd_overlay
{
  const char *target;
  const char *const *lowers; /* top first, as in lowerdir= */
  size_t n_lowers;
  const char *upper; /* NULL with work NULL: a read-only overlay */
  const char *work;
  const char *const *options; /* more options: "key=value" or "flag" (e.g. "index=off") */
  size_t n_options;
};

/* Why a mount failed, in the shape of the addon's errors (Node's system errors):
 * the errno, the syscall, the path it was about (pointing into the struct
 * tsd_overlay, or NULL) and what the kernel logged for it, if anything. */
struct tsd_overlay_failure
{
  int errnum;
  const char *syscall;
  const char *path;
  char detail[512];
};

/* Take the mount(2) route even where the new API exists: what kernels before
 * 6.8 get (for tests). */
#define TSD_OVERLAY_NO_FSCONFIG 1u

/* Mounts the overlay on o->target; 0 and *used set, or -1 and *fail filled. */
int tsd_mount_overlay (const struct tsd_overlay *o, unsigned flags, enum tsd_overlay_method *used,
                       struct tsd_overlay_failure *fail);

const char *tsd_overlay_method_name (enum tsd_overlay_method m);

#endif
