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

#include "cgroup_resources.h"
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
  if (!tsd_cgroup_opts_have (opts, c->ctrl))
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
  if (tsd_cgroup_opts_have (opts, "cpuset") && tsd_cgroup_init_cpuset (mnt, c->path, c->err) < 0)
    return -1;
  if (tsd_cgroup_apply_v1 (c->s, dir, opts, c->err) < 0)
    return -1;
  if (c->pid > 0 && tsd_cgroup_write_i64 (dir, "cgroup.procs", c->pid, false, c->err) < 0)
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
      if (add_path (cg, dir, err) < 0 || tsd_cgroup_apply_v2 (s, dir, err) < 0)
        return -1;
      if (pid > 0 && tsd_cgroup_write_i64 (dir, "cgroup.procs", pid, false, err) < 0)
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
    if (tsd_cgroup_write (paths[i], file, "0", false, err) < 0)
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
