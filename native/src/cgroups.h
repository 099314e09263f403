/* cgroups.h: the container's cgroup, created from linux.cgroupsPath.
 *
 * cgroup v1 (and hybrid hosts): one directory per mounted v1 hierarchy
 * (cpu, memory, ..., name=systemd) at <mountpoint><path>; cgroup v2 (when
 * /sys/fs/cgroup is cgroup2): /sys/fs/cgroup<path>. cgroupfs only: a systemd
 * style path "slice:prefix:name" is mapped to /slice/prefix-name.scope without
 * talking to systemd. The created directories are recorded in the state so
 * that delete can kill leftovers and remove them. */
#ifndef TSD_CGROUPS_H
#define TSD_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct tsd_cgroup
{
  char **paths; /* absolute directories, NULL-terminated */
  size_t n;
};

bool tsd_cgroup_is_v2 (void);
/* Mount point of the v1 hierarchy holding the controllers "ctrl" (as in
 * /proc/self/cgroup: "cpu", "name=systemd", "cpu,cpuacct"). */
int tsd_cgroup_v1_mountpoint (const char *ctrl, char *buf, size_t n);
/* The cgroup path for the spec ("/docker/<id>" ...). */
int tsd_cgroup_path (const struct tsd_spec *s, const char *id, char **out, tsd_error_t *err);
/* Create the directories, apply linux.resources, and move pid in (none when 0). */
int tsd_cgroup_create (const struct tsd_spec *s, const char *id, pid_t pid, struct tsd_cgroup *cg, tsd_error_t *err);
/* Move the calling process, which must be single-threaded, into the cgroups.
 * Much cheaper than moving it by pid from another process (see cgroups.c). */
int tsd_cgroup_enter (char *const *paths, tsd_error_t *err);
/* Whether a freezer holds the cgroups (v1 freezer.state FROZEN or FREEZING, v2 cgroup.freeze 1). */
bool tsd_cgroup_frozen (char *const *paths);
/* Send sig to every process of the cgroup; returns how many were signalled. */
int tsd_cgroup_kill (char *const *paths, int sig);
/* Kill leftovers and remove the directories (waits up to a few seconds). */
int tsd_cgroup_destroy (char *const *paths, tsd_error_t *err);
void tsd_cgroup_release (struct tsd_cgroup *cg);

#endif
