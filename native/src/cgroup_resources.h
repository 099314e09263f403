/* cgroup_resources.h: linux.resources written into the container's cgroup
 * files (memory, cpu, cpuset, blkio/io, pids, devices), per v1 hierarchy or
 * in the v2 directory; unsupported optional files are skipped. */
#ifndef TSD_CGROUP_RESOURCES_H
#define TSD_CGROUP_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "spec.h"

/* Every option of `want` (comma separated) is in `have` (a v1 hierarchy's mount options). */
bool tsd_cgroup_opts_have (const char *have, const char *want);
/* Write value to dir/file; optional: a missing file is no error. */
int tsd_cgroup_write (const char *dir, const char *file, const char *value, bool optional, tsd_error_t *err);
int tsd_cgroup_write_i64 (const char *dir, const char *file, int64_t v, bool optional, tsd_error_t *err);
/* cpuset.cpus and cpuset.mems copied down from the parents of path (v1 needs them set). */
int tsd_cgroup_init_cpuset (const char *mnt, const char *path, tsd_error_t *err);
/* linux.resources into the v1 hierarchy directory dir mounted with opts. */
int tsd_cgroup_apply_v1 (const struct tsd_spec *s, const char *dir, const char *opts, tsd_error_t *err);
/* linux.resources into the v2 directory dir. */
int tsd_cgroup_apply_v2 (const struct tsd_spec *s, const char *dir, tsd_error_t *err);

#endif
