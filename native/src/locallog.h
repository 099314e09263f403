/* locallog.h: the rotation of Docker's `local` log driver, as the shim writes it.
 *
 * Entries are json-file's (see jsonlog.h); the files differ. FILE (Docker's
 * local-logs/container.log) is written; a rotation renames it to FILE.<gen>,
 * where gen counts rotations and never repeats, opens a new FILE, and (with
 * compress) gzips FILE.<gen> to FILE.<gen>.gz (through FILE.<gen>.gz.tmp,
 * renamed when complete, and only then is FILE.<gen> removed); then every
 * rotated file older than the max_files - 1 newest is removed. A rotated file
 * never changes name again, so a reader orders the files by gen and knows
 * which came after the one it followed. */
#ifndef TSD_LOCALLOG_H
#define TSD_LOCALLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "jsonlog.h"

/* tsd_jsonlog_open with this rotation; the next gen is one more than the
 * highest rotated file's. */
int tsd_locallog_open (struct tsd_jsonlog *l, const char *path, int64_t max_size, int max_files, bool compress,
                       tsd_error_t *err);
/* Rotate l's file as described above; l->fd is the new FILE. */
int tsd_locallog_rotate (struct tsd_jsonlog *l, tsd_error_t *err);

#endif
