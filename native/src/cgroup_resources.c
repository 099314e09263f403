/* cgroup_resources.c: see cgroup_resources.h. */
#include "cgroup_resources.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "utils.h"

/* Every option of `want` (comma separated) is in `have`. */
bool
tsd_cgroup_opts_have (const char *have, const char *want)
{
  char w[256];
  snprintf (w, sizeof w, "%s", want);
  for (char *save = NULL, *t = strtok_r (w, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      bool found = false;
      size_t tl = strlen (t);
      for (const char *p = have; *p;)
        {
          size_t l = strcspn (p, ",");
          if (l == tl && strncmp (p, t, l) == 0)
            found = true;
          p += l;
          if (*p == ',')
            p++;
        }
      if (!found)
        return false;
    }
  return true;
}

int
tsd_cgroup_write (const char *dir, const char *file, const char *value, bool optional, tsd_error_t *err)
{
  char path[PATH_MAX];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  if (tsd_write_file (path, value, strlen (value), err) < 0)
    {
      if (optional && (*err)->status == ENOENT)
        {
          tsd_error_release (err);
          return 0;
        }
      return -1;
    }
  return 0;
}

int
tsd_cgroup_write_i64 (const char *dir, const char *file, int64_t v, bool optional, tsd_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return tsd_cgroup_write (dir, file, buf, optional, err);
}

/* Block I/O weight: `file` when the kernel offers it, else `fallback` with
 * `fallback_value` (v1: CFQ's blkio.weight, else BFQ's; v2: io.bfq.weight,
 * else io.weight scaled to 1-10000 as runc does). */
static int
write_blkio_weight (const char *dir, const char *file, int64_t value, const char *fallback, int64_t fallback_value, tsd_error_t *err)
{
  char path[PATH_MAX];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  if (access (path, F_OK) == 0)
    return tsd_cgroup_write_i64 (dir, file, value, false, err);
  return tsd_cgroup_write_i64 (dir, fallback, fallback_value, false, err);
}

/* cpuset.cpus/mems are empty in a new v1 cpuset cgroup: copy the parent's. */
static int
copy_cpuset_from_parent (const char *dir, tsd_error_t *err)
{
  static const char *files[] = { "cpuset.cpus", "cpuset.mems" };
  for (int i = 0; i < 2; i++)
    {
      char pf[PATH_MAX], cf[PATH_MAX];
      cleanup_free char *pv = NULL;
      cleanup_free char *cv = NULL;
      snprintf (cf, sizeof cf, "%s/%s", dir, files[i]);
      snprintf (pf, sizeof pf, "%s/../%s", dir, files[i]);
      if (tsd_read_file (cf, &cv, NULL, err) < 0)
        return -1;
      if (cv[0] != '\n' && cv[0] != '\0')
        continue;
      if (tsd_read_file (pf, &pv, NULL, err) < 0 || tsd_write_file (cf, pv, strlen (pv), err) < 0)
        return -1;
    }
  return 0;
}

int
tsd_cgroup_init_cpuset (const char *mnt, const char *path, tsd_error_t *err)
{
  char dir[PATH_MAX];
  size_t ml = strlen (mnt);
  snprintf (dir, sizeof dir, "%s%s", mnt, path);
  for (char *p = dir + ml + 1;; p++)
    if (*p == '/' || *p == '\0')
      {
        char saved = *p;
        *p = '\0';
        if (copy_cpuset_from_parent (dir, err) < 0)
          return -1;
        *p = saved;
        if (saved == '\0')
          break;
      }
  return 0;
}

static int apply_device_rules (const char *dir, const struct tsd_resources *r, tsd_error_t *err);

/* `file` if the cgroup has it, else `fallback` (BFQ's files when CFQ's are gone). */
static const char *
existing_file (const char *dir, const char *file, const char *fallback)
{
  char path[PATH_MAX];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  return access (path, F_OK) == 0 ? file : fallback;
}

/* Per-device block IO weights and throttles, one line per device: v1's
 * blkio.weight_device and blkio.throttle.*_device ("MAJ:MIN VALUE"); v2's
 * io.bfq.weight or io.weight ("MAJ:MIN WEIGHT", io.weight's scaled as runc
 * does) and io.max ("MAJ:MIN rbps=VALUE"). */
static int
write_blkio_devices (const char *dir, const struct tsd_resources *r, bool v2, tsd_error_t *err)
{
  static const char *const v1_files[TSD_BLKIO_LISTS] = { NULL, "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                                                         "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };
  static const char *const v2_keys[TSD_BLKIO_LISTS] = { NULL, "rbps", "wbps", "riops", "wiops" };
  const char *weight_file = v2 ? existing_file (dir, "io.bfq.weight", "io.weight") : existing_file (dir, "blkio.weight_device", "blkio.bfq.weight_device");
  char buf[128];
  for (int l = 0; l < TSD_BLKIO_LISTS; l++)
    for (size_t i = 0; i < r->n_blkio[l]; i++)
      {
        const struct tsd_blkio_device *d = &r->blkio[l][i];
        const char *file = l == TSD_BLKIO_WEIGHT ? weight_file : v2 ? "io.max" : v1_files[l];
        int64_t value = d->value;
        if (l == TSD_BLKIO_WEIGHT && v2 && strcmp (file, "io.weight") == 0)
          value = 1 + ((value - 10) * 9999) / 990;
        if (l != TSD_BLKIO_WEIGHT && v2)
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%" PRId64, d->major, d->minor, v2_keys[l], value);
        else
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRId64, d->major, d->minor, value);
        if (tsd_cgroup_write (dir, file, buf, false, err) < 0)
          return -1;
      }
  return 0;
}

int
tsd_cgroup_apply_v1 (const struct tsd_spec *s, const char *dir, const char *opts, tsd_error_t *err)
{
  const struct tsd_resources *r = &s->resources;
  if (tsd_cgroup_opts_have (opts, "memory"))
    {
      if (r->memory_limit != -2)
        {
          if (r->memory_swap > 0 && tsd_cgroup_write_i64 (dir, "memory.memsw.limit_in_bytes", r->memory_swap, true, err) < 0)
            tsd_error_release (err); /* fails while smaller than the limit: retried below */
          if (tsd_cgroup_write_i64 (dir, "memory.limit_in_bytes", r->memory_limit, false, err) < 0)
            return -1;
        }
      if (r->memory_swap != -2 && r->memory_swap != 0
          && tsd_cgroup_write_i64 (dir, "memory.memsw.limit_in_bytes", r->memory_swap, true, err) < 0)
        return -1;
      if (r->memory_reservation != -2 && tsd_cgroup_write_i64 (dir, "memory.soft_limit_in_bytes", r->memory_reservation, false, err) < 0)
        return -1;
      if (r->disable_oom_killer && tsd_cgroup_write (dir, "memory.oom_control", "1", false, err) < 0)
        return -1;
      if (r->memory_swappiness != -2 && tsd_cgroup_write_i64 (dir, "memory.swappiness", r->memory_swappiness, false, err) < 0)
        return -1;
    }
  if (tsd_cgroup_opts_have (opts, "blkio") && r->blkio_weight > 0
      && write_blkio_weight (dir, "blkio.weight", r->blkio_weight, "blkio.bfq.weight", r->blkio_weight, err) < 0)
    return -1;
  if (tsd_cgroup_opts_have (opts, "blkio") && write_blkio_devices (dir, r, false, err) < 0)
    return -1;
  if (tsd_cgroup_opts_have (opts, "pids") && r->pids_limit != -2)
    {
      if (r->pids_limit > 0 ? tsd_cgroup_write_i64 (dir, "pids.max", r->pids_limit, false, err) < 0
                            : tsd_cgroup_write (dir, "pids.max", "max", false, err) < 0)
        return -1;
    }
  if (tsd_cgroup_opts_have (opts, "cpu"))
    {
      if (r->cpu_shares > 0 && tsd_cgroup_write_i64 (dir, "cpu.shares", r->cpu_shares, false, err) < 0)
        return -1;
      if (r->cpu_period > 0 && tsd_cgroup_write_i64 (dir, "cpu.cfs_period_us", r->cpu_period, true, err) < 0)
        return -1;
      if (r->cpu_quota != -2 && r->cpu_quota != 0 && tsd_cgroup_write_i64 (dir, "cpu.cfs_quota_us", r->cpu_quota, true, err) < 0)
        return -1;
    }
  if (tsd_cgroup_opts_have (opts, "cpuset"))
    {
      if (r->cpuset_cpus && *r->cpuset_cpus && tsd_cgroup_write (dir, "cpuset.cpus", r->cpuset_cpus, false, err) < 0)
        return -1;
      if (r->cpuset_mems && *r->cpuset_mems && tsd_cgroup_write (dir, "cpuset.mems", r->cpuset_mems, false, err) < 0)
        return -1;
    }
  if (tsd_cgroup_opts_have (opts, "devices") && r->n_devices > 0)
    {
      if (apply_device_rules (dir, r, err) < 0)
        return -1;
      /* Like runc: the nodes every container gets stay usable (and mknod-able). */
      static const char *const defaults[] = {
        "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
        "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
      };
      for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (tsd_cgroup_write (dir, "devices.allow", defaults[i], false, err) < 0)
          return -1;
      for (size_t i = 0; i < s->n_devices; i++)
        {
          char rule[64];
          snprintf (rule, sizeof rule, "%c %" PRId64 ":%" PRId64 " rwm", s->devices[i].type == 'b' ? 'b' : 'c',
                    s->devices[i].major, s->devices[i].minor);
          if (s->devices[i].type != 'p' && tsd_cgroup_write (dir, "devices.allow", rule, false, err) < 0)
            return -1;
        }
    }
  return 0;
}

static int
apply_device_rules (const char *dir, const struct tsd_resources *r, tsd_error_t *err)
{
    for (size_t i = 0; i < r->n_devices; i++)
      {
        const struct tsd_device_rule *d = &r->devices[i];
        char rule[64], maj[24], min[24];
        if (d->major < 0)
          snprintf (maj, sizeof maj, "*");
        else
          snprintf (maj, sizeof maj, "%" PRId64, d->major);
        if (d->minor < 0)
          snprintf (min, sizeof min, "*");
        else
          snprintf (min, sizeof min, "%" PRId64, d->minor);
        if (d->type == 'a')
          snprintf (rule, sizeof rule, "a");
        else
          snprintf (rule, sizeof rule, "%c %s:%s %s", d->type, maj, min, d->access);
        if (tsd_cgroup_write (dir, d->allow ? "devices.allow" : "devices.deny", rule, false, err) < 0)
          return -1;
      }
  return 0;
}

int
tsd_cgroup_apply_v2 (const struct tsd_spec *s, const char *dir, tsd_error_t *err)
{
  const struct tsd_resources *r = &s->resources;
  char buf[64];
  if (r->memory_swappiness != -2) /* dockerd discards it on v2, with a warning, before a spec has it */
    return tsd_make_error (err, EINVAL, "linux.resources.memory.swappiness: cgroup v2 has no memory.swappiness");
  if (r->memory_limit != -2 && r->memory_limit != 0)
    {
      if (r->memory_limit > 0 ? tsd_cgroup_write_i64 (dir, "memory.max", r->memory_limit, false, err) < 0
                              : tsd_cgroup_write (dir, "memory.max", "max", false, err) < 0)
        return -1;
      if (r->memory_swap > 0 && r->memory_limit > 0
          && tsd_cgroup_write_i64 (dir, "memory.swap.max", r->memory_swap - r->memory_limit, true, err) < 0)
        return -1;
      if (r->memory_swap == -1 && tsd_cgroup_write (dir, "memory.swap.max", "max", true, err) < 0)
        return -1;
    }
  if (r->memory_reservation > 0 && tsd_cgroup_write_i64 (dir, "memory.low", r->memory_reservation, false, err) < 0)
    return -1;
  if (r->pids_limit != -2)
    {
      if (r->pids_limit > 0 ? tsd_cgroup_write_i64 (dir, "pids.max", r->pids_limit, false, err) < 0
                            : tsd_cgroup_write (dir, "pids.max", "max", false, err) < 0)
        return -1;
    }
  if (r->cpu_shares > 0 && tsd_cgroup_write_i64 (dir, "cpu.weight", 1 + ((r->cpu_shares - 2) * 9999) / 262142, false, err) < 0)
    return -1;
  if ((r->cpu_quota != -2 && r->cpu_quota != 0) || r->cpu_period > 0)
    {
      int64_t period = r->cpu_period > 0 ? r->cpu_period : 100000;
      if (r->cpu_quota > 0)
        snprintf (buf, sizeof buf, "%" PRId64 " %" PRId64, r->cpu_quota, period);
      else
        snprintf (buf, sizeof buf, "max %" PRId64, period);
      if (tsd_cgroup_write (dir, "cpu.max", buf, false, err) < 0)
        return -1;
    }
  if (r->cpuset_cpus && *r->cpuset_cpus && tsd_cgroup_write (dir, "cpuset.cpus", r->cpuset_cpus, false, err) < 0)
    return -1;
  if (r->cpuset_mems && *r->cpuset_mems && tsd_cgroup_write (dir, "cpuset.mems", r->cpuset_mems, false, err) < 0)
    return -1;
  if (r->blkio_weight > 0
      && write_blkio_weight (dir, "io.bfq.weight", r->blkio_weight, "io.weight", 1 + ((r->blkio_weight - 10) * 9999) / 990, err) < 0)
    return -1;
  if (write_blkio_devices (dir, r, true, err) < 0)
    return -1;
  return 0;
}

