/* cgroups.c: see cgroups.h (cgroupfs driver, v1 and v2). */
#include "cgroups.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "utils.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

bool
tsd_cgroup_is_v2 (void)
{
  struct statfs sf;
  return statfs ("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* Every option of `want` (comma separated) is in `have`. */
static bool
has_all (const char *have, const char *want)
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

/* Calls fn for each v1 hierarchy mounted with root "/": (mountpoint, superopts). */
static int
each_v1_hierarchy (int (*fn) (const char *mnt, const char *opts, void *data), void *data)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  char *line = NULL;
  size_t cap = 0;
  int ret = 0;
  if (f == NULL)
    return -1;
  while (ret == 0 && getline (&line, &cap, f) > 0)
    {
      char *sep = strstr (line, " - "), *fields[6], *save = NULL, *fstype, *opts;
      int n = 0;
      if (sep == NULL)
        continue;
      *sep = '\0';
      for (char *t = strtok_r (line, " ", &save); t && n < 6; t = strtok_r (NULL, " ", &save))
        fields[n++] = t;
      if (n < 5)
        continue;
      save = NULL;
      fstype = strtok_r (sep + 3, " ", &save);
      (void) strtok_r (NULL, " ", &save); /* source */
      opts = strtok_r (NULL, " \n", &save);
      if (fstype == NULL || opts == NULL || strcmp (fstype, "cgroup") != 0 || strcmp (fields[3], "/") != 0)
        continue;
      ret = fn (fields[4], opts, data);
    }
  free (line);
  fclose (f);
  return ret > 0 ? 0 : ret;
}

struct find_ctx
{
  const char *ctrl;
  char *buf;
  size_t n;
  bool found;
};

static int
find_cb (const char *mnt, const char *opts, void *data)
{
  struct find_ctx *c = data;
  if (!has_all (opts, c->ctrl))
    return 0;
  snprintf (c->buf, c->n, "%s", mnt);
  c->found = true;
  return 1;
}

int
tsd_cgroup_v1_mountpoint (const char *ctrl, char *buf, size_t n)
{
  struct find_ctx c = { ctrl, buf, n, false };
  each_v1_hierarchy (find_cb, &c);
  return c.found ? 0 : -1;
}

int
tsd_cgroup_path (const struct tsd_spec *s, const char *id, char **out, tsd_error_t *err)
{
  const char *p = s->cgroups_path;
  char *r = NULL;

  if (p == NULL || *p == '\0')
    {
      if (asprintf (&r, "/tsd/%s", id) < 0)
        return tsd_make_error (err, ENOMEM, "cgroup path");
    }
  else if (p[0] != '/' && strchr (p, ':'))
    {
      /* systemd form slice:prefix:name */
      char slice[256], prefix[256], name[256];
      if (sscanf (p, "%255[^:]:%255[^:]:%255s", slice, prefix, name) != 3)
        return tsd_make_error (err, EINVAL, "invalid cgroupsPath `%s`", p);
      if (asprintf (&r, "/%s/%s-%s.scope", slice, prefix, name) < 0)
        return tsd_make_error (err, ENOMEM, "cgroup path");
    }
  else if (asprintf (&r, "%s%s", p[0] == '/' ? "" : "/", p) < 0)
    return tsd_make_error (err, ENOMEM, "cgroup path");
  if (strstr (r, "/../") || (strlen (r) >= 3 && strcmp (r + strlen (r) - 3, "/..") == 0) || strcmp (r, "/") == 0)
    {
      free (r);
      return tsd_make_error (err, EINVAL, "invalid cgroupsPath `%s`", p);
    }
  *out = r;
  return 0;
}

static int
write_value (const char *dir, const char *file, const char *value, bool optional, tsd_error_t *err)
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

static int
write_i64 (const char *dir, const char *file, int64_t v, bool optional, tsd_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return write_value (dir, file, buf, optional, err);
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
    return write_i64 (dir, file, value, false, err);
  return write_i64 (dir, fallback, fallback_value, false, err);
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

static int
init_cpuset (const char *mnt, const char *path, tsd_error_t *err)
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

static int
apply_v1 (const struct tsd_spec *s, const char *dir, const char *opts, tsd_error_t *err)
{
  const struct tsd_resources *r = &s->resources;
  if (has_all (opts, "memory"))
    {
      if (r->memory_limit != -2)
        {
          if (r->memory_swap > 0 && write_i64 (dir, "memory.memsw.limit_in_bytes", r->memory_swap, true, err) < 0)
            tsd_error_release (err); /* fails while smaller than the limit: retried below */
          if (write_i64 (dir, "memory.limit_in_bytes", r->memory_limit, false, err) < 0)
            return -1;
        }
      if (r->memory_swap != -2 && r->memory_swap != 0
          && write_i64 (dir, "memory.memsw.limit_in_bytes", r->memory_swap, true, err) < 0)
        return -1;
      if (r->memory_reservation != -2 && write_i64 (dir, "memory.soft_limit_in_bytes", r->memory_reservation, false, err) < 0)
        return -1;
      if (r->disable_oom_killer && write_value (dir, "memory.oom_control", "1", false, err) < 0)
        return -1;
      if (r->memory_swappiness != -2 && write_i64 (dir, "memory.swappiness", r->memory_swappiness, false, err) < 0)
        return -1;
    }
  if (has_all (opts, "blkio") && r->blkio_weight > 0
      && write_blkio_weight (dir, "blkio.weight", r->blkio_weight, "blkio.bfq.weight", r->blkio_weight, err) < 0)
    return -1;
  if (has_all (opts, "pids") && r->pids_limit != -2)
    {
      if (r->pids_limit > 0 ? write_i64 (dir, "pids.max", r->pids_limit, false, err) < 0
                            : write_value (dir, "pids.max", "max", false, err) < 0)
        return -1;
    }
  if (has_all (opts, "cpu"))
    {
      if (r->cpu_shares > 0 && write_i64 (dir, "cpu.shares", r->cpu_shares, false, err) < 0)
        return -1;
      if (r->cpu_period > 0 && write_i64 (dir, "cpu.cfs_period_us", r->cpu_period, true, err) < 0)
        return -1;
      if (r->cpu_quota != -2 && r->cpu_quota != 0 && write_i64 (dir, "cpu.cfs_quota_us", r->cpu_quota, true, err) < 0)
        return -1;
    }
  if (has_all (opts, "cpuset"))
    {
      if (r->cpuset_cpus && *r->cpuset_cpus && write_value (dir, "cpuset.cpus", r->cpuset_cpus, false, err) < 0)
        return -1;
      if (r->cpuset_mems && *r->cpuset_mems && write_value (dir, "cpuset.mems", r->cpuset_mems, false, err) < 0)
        return -1;
    }
  if (has_all (opts, "devices") && r->n_devices > 0)
    {
      if (apply_device_rules (dir, r, err) < 0)
        return -1;
      /* Like runc: the nodes every container gets stay usable (and mknod-able). */
      static const char *const defaults[] = {
        "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
        "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
      };
      for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (write_value (dir, "devices.allow", defaults[i], false, err) < 0)
          return -1;
      for (size_t i = 0; i < s->n_devices; i++)
        {
          char rule[64];
          snprintf (rule, sizeof rule, "%c %" PRId64 ":%" PRId64 " rwm", s->devices[i].type == 'b' ? 'b' : 'c',
                    s->devices[i].major, s->devices[i].minor);
          if (s->devices[i].type != 'p' && write_value (dir, "devices.allow", rule, false, err) < 0)
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
        if (write_value (dir, d->allow ? "devices.allow" : "devices.deny", rule, false, err) < 0)
          return -1;
      }
  return 0;
}

static int
apply_v2 (const struct tsd_spec *s, const char *dir, tsd_error_t *err)
{
  const struct tsd_resources *r = &s->resources;
  char buf[64];
  if (r->memory_swappiness != -2) /* dockerd discards it on v2, with a warning, before a spec has it */
    return tsd_make_error (err, EINVAL, "linux.resources.memory.swappiness: cgroup v2 has no memory.swappiness");
  if (r->memory_limit != -2 && r->memory_limit != 0)
    {
      if (r->memory_limit > 0 ? write_i64 (dir, "memory.max", r->memory_limit, false, err) < 0
                              : write_value (dir, "memory.max", "max", false, err) < 0)
        return -1;
      if (r->memory_swap > 0 && r->memory_limit > 0
          && write_i64 (dir, "memory.swap.max", r->memory_swap - r->memory_limit, true, err) < 0)
        return -1;
      if (r->memory_swap == -1 && write_value (dir, "memory.swap.max", "max", true, err) < 0)
        return -1;
    }
  if (r->memory_reservation > 0 && write_i64 (dir, "memory.low", r->memory_reservation, false, err) < 0)
    return -1;
  if (r->pids_limit != -2)
    {
      if (r->pids_limit > 0 ? write_i64 (dir, "pids.max", r->pids_limit, false, err) < 0
                            : write_value (dir, "pids.max", "max", false, err) < 0)
        return -1;
    }
  if (r->cpu_shares > 0 && write_i64 (dir, "cpu.weight", 1 + ((r->cpu_shares - 2) * 9999) / 262142, false, err) < 0)
    return -1;
  if ((r->cpu_quota != -2 && r->cpu_quota != 0) || r->cpu_period > 0)
    {
      int64_t period = r->cpu_period > 0 ? r->cpu_period : 100000;
      if (r->cpu_quota > 0)
        snprintf (buf, sizeof buf, "%" PRId64 " %" PRId64, r->cpu_quota, period);
      else
        snprintf (buf, sizeof buf, "max %" PRId64, period);
      if (write_value (dir, "cpu.max", buf, false, err) < 0)
        return -1;
    }
  if (r->cpuset_cpus && *r->cpuset_cpus && write_value (dir, "cpuset.cpus", r->cpuset_cpus, false, err) < 0)
    return -1;
  if (r->cpuset_mems && *r->cpuset_mems && write_value (dir, "cpuset.mems", r->cpuset_mems, false, err) < 0)
    return -1;
  if (r->blkio_weight > 0
      && write_blkio_weight (dir, "io.bfq.weight", r->blkio_weight, "io.weight", 1 + ((r->blkio_weight - 10) * 9999) / 990, err) < 0)
    return -1;
  return 0;
}

static int
add_path (struct tsd_cgroup *cg, const char *path, tsd_error_t *err)
{
  char **np = realloc (cg->paths, (cg->n + 2) * sizeof *np);
  if (np == NULL)
    return tsd_make_error (err, ENOMEM, "cgroup");
  cg->paths = np;
  cg->paths[cg->n] = strdup (path);
  if (cg->paths[cg->n] == NULL)
    return tsd_make_error (err, ENOMEM, "cgroup");
  cg->paths[++cg->n] = NULL;
  return 0;
}

struct create_ctx
{
  const struct tsd_spec *s;
  const char *path;
  pid_t pid;
  struct tsd_cgroup *cg;
  tsd_error_t *err;
};

static int
create_v1_cb (const char *mnt, const char *opts, void *data)
{
  struct create_ctx *c = data;
  char dir[PATH_MAX];
  snprintf (dir, sizeof dir, "%s%s", mnt, c->path);
  if (tsd_mkdir_p (dir, 0755, c->err) < 0 || add_path (c->cg, dir, c->err) < 0)
    return -1;
  if (has_all (opts, "cpuset") && init_cpuset (mnt, c->path, c->err) < 0)
    return -1;
  if (apply_v1 (c->s, dir, opts, c->err) < 0)
    return -1;
  if (c->pid > 0 && write_i64 (dir, "cgroup.procs", c->pid, false, c->err) < 0)
    return -1;
  return 0;
}

int
tsd_cgroup_create (const struct tsd_spec *s, const char *id, pid_t pid, struct tsd_cgroup *cg, tsd_error_t *err)
{
  cleanup_free char *path = NULL;

  if (tsd_cgroup_path (s, id, &path, err) < 0)
    return -1;
  if (tsd_cgroup_is_v2 ())
    {
      char dir[PATH_MAX];
      static const char *ctrls[] = { "+cpu", "+cpuset", "+io", "+memory", "+pids" };
      size_t base = strlen ("/sys/fs/cgroup");
      snprintf (dir, sizeof dir, "/sys/fs/cgroup%s", path);
      /* Walk down: create each level, enable the usual controllers below it (best effort). */
      for (char *p = dir + base;; p++)
        if (*p == '/' || *p == '\0')
          {
            char saved = *p, ctl[PATH_MAX];
            *p = '\0';
            if (p != dir + base && mkdir (dir, 0755) < 0 && errno != EEXIST)
              return tsd_make_error (err, errno, "mkdir `%s`", dir);
            if (saved)
              {
                snprintf (ctl, sizeof ctl, "%s/cgroup.subtree_control", dir);
                for (size_t i = 0; i < sizeof ctrls / sizeof ctrls[0]; i++)
                  {
                    tsd_error_t ignored = NULL;
                    tsd_write_file (ctl, ctrls[i], strlen (ctrls[i]), &ignored);
                    tsd_error_release (&ignored);
                  }
              }
            *p = saved;
            if (saved == '\0')
              break;
          }
      if (add_path (cg, dir, err) < 0 || apply_v2 (s, dir, err) < 0)
        return -1;
      if (pid > 0 && write_i64 (dir, "cgroup.procs", pid, false, err) < 0)
        return -1;
      return 0;
    }
  struct create_ctx c = { s, path, pid, cg, err };
  if (each_v1_hierarchy (create_v1_cb, &c) < 0)
    return (err && *err) ? -1 : tsd_make_error (err, errno, "cgroup hierarchies");
  if (cg->n == 0)
    return tsd_make_error (err, ENOENT, "no cgroup hierarchy found under /proc/self/mountinfo");
  return 0;
}

int
tsd_cgroup_enter (char *const *paths, tsd_error_t *err)
{
  /* "0" is the calling thread. A pid written to cgroup.procs makes the kernel
   * take its global threadgroup lock for writing, which waits for an RCU grace
   * period (10-20 ms per container start); moving only the calling thread
   * through v1's tasks file skips that lock. v2 has cgroup.procs only. */
  const char *file = tsd_cgroup_is_v2 () ? "cgroup.procs" : "tasks";
  for (size_t i = 0; paths && paths[i]; i++)
    if (write_value (paths[i], file, "0", false, err) < 0)
      return -1;
  return 0;
}

bool
tsd_cgroup_frozen (char *const *paths)
{
  for (size_t i = 0; paths && paths[i]; i++)
    {
      static const struct
      {
        const char *file, *frozen[2];
      } freezers[] = { { "freezer.state", { "FROZEN", "FREEZING" } }, { "cgroup.freeze", { "1", NULL } } };
      for (size_t k = 0; k < sizeof freezers / sizeof freezers[0]; k++)
        {
          char file[PATH_MAX];
          cleanup_free char *value = NULL;
          tsd_error_t ignored = NULL;
          snprintf (file, sizeof file, "%s/%s", paths[i], freezers[k].file);
          if (tsd_read_file (file, &value, NULL, &ignored) < 0)
            {
              tsd_error_release (&ignored);
              continue;
            }
          value[strcspn (value, "\n")] = '\0';
          for (size_t j = 0; j < 2; j++)
            if (freezers[k].frozen[j] && strcmp (value, freezers[k].frozen[j]) == 0)
              return true;
        }
    }
  return false;
}

int
tsd_cgroup_kill (char *const *paths, int sig)
{
  int n = 0;
  for (size_t i = 0; paths && paths[i]; i++)
    {
      char file[PATH_MAX];
      FILE *f;
      long pid;
      snprintf (file, sizeof file, "%s/cgroup.procs", paths[i]);
      f = fopen (file, "re");
      if (f == NULL)
        continue;
      while (fscanf (f, "%ld", &pid) == 1)
        if (pid > 0 && kill ((pid_t) pid, sig) == 0)
          n++;
      fclose (f);
      return n; /* every hierarchy holds the same processes */
    }
  return n;
}

int
tsd_cgroup_destroy (char *const *paths, tsd_error_t *err)
{
  struct timespec ts = { 0, 10 * 1000 * 1000 };
  for (size_t i = 0; paths && paths[i]; i++)
    {
      int tries = 0;
      while (rmdir (paths[i]) < 0)
        {
          if (errno == ENOENT)
            break;
          if (errno != EBUSY || ++tries > 500)
            return tsd_make_error (err, errno, "remove cgroup `%s`", paths[i]);
          char *const one[] = { paths[i], NULL };
          tsd_cgroup_kill (one, SIGKILL);
          nanosleep (&ts, NULL);
        }
    }
  return 0;
}

void
tsd_cgroup_release (struct tsd_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    free (cg->paths[i]);
  free (cg->paths);
  cg->paths = NULL;
  cg->n = 0;
}
