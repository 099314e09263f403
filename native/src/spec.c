/* spec.c: decode config.json (OCI runtime-spec 1.x) into struct tsd_spec: root,
 * mounts, namespaces and the linux section (the process in spec_process.c). */
#include "spec.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_decode.h"
#include "utils.h"

static const struct
{
  const char *name;
  int flag;
} ns_types[] = {
  { "pid", CLONE_NEWPID },     { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
  { "ipc", CLONE_NEWIPC },     { "uts", CLONE_NEWUTS },     { "cgroup", CLONE_NEWCGROUP },
  { "user", CLONE_NEWUSER },   { "time", 0x80 /* CLONE_NEWTIME */ },
};

static int
decode_namespaces (struct tsd_spec *s, const tsd_json *j, tsd_error_t *err)
{
  if (j == NULL)
    return 0;
  if (j->type != TSD_JSON_ARRAY)
    return tsd_spec_bad (err, "linux.namespaces", "must be an array");
  s->namespaces = calloc (j->len + 1, sizeof *s->namespaces);
  if (s->namespaces == NULL)
    return tsd_make_error (err, ENOMEM, "decode namespaces");
  for (size_t i = 0; i < j->len; i++)
    {
      const char *type = NULL, *path = NULL;
      size_t k;
      if (tsd_spec_get_string (tsd_json_get (j->items[i], "type"), "linux.namespaces[].type", true, &type, err) < 0
          || tsd_spec_get_string (tsd_json_get (j->items[i], "path"), "linux.namespaces[].path", false, &path, err) < 0)
        return -1;
      for (k = 0; k < sizeof ns_types / sizeof ns_types[0]; k++)
        if (strcmp (ns_types[k].name, type) == 0)
          break;
      if (k == sizeof ns_types / sizeof ns_types[0])
        return tsd_make_error (err, 0, "config.json: unknown namespace type `%s`", type);
      if (ns_types[k].flag == CLONE_NEWUSER)
        s->has_user_ns = true;
      s->namespaces[s->n_namespaces].flag = ns_types[k].flag;
      s->namespaces[s->n_namespaces].path = path && *path ? path : NULL;
      s->n_namespaces++;
    }
  return 0;
}

int
tsd_spec_namespace (const struct tsd_spec *s, int flag, const char **path)
{
  for (size_t i = 0; i < s->n_namespaces; i++)
    if (s->namespaces[i].flag == flag)
      {
        if (path)
          *path = s->namespaces[i].path;
        return flag;
      }
  if (path)
    *path = NULL;
  return 0;
}

static int
decode_mounts (struct tsd_spec *s, const tsd_json *j, tsd_error_t *err)
{
  if (j == NULL)
    return 0;
  if (j->type != TSD_JSON_ARRAY)
    return tsd_spec_bad (err, "mounts", "must be an array");
  s->mounts = calloc (j->len + 1, sizeof *s->mounts);
  if (s->mounts == NULL)
    return tsd_make_error (err, ENOMEM, "decode mounts");
  for (size_t i = 0; i < j->len; i++)
    {
      struct tsd_mount *m = &s->mounts[i];
      const tsd_json *e = j->items[i];
      s->n_mounts = i + 1;
      if (tsd_spec_get_string (tsd_json_get (e, "destination"), "mounts[].destination", true, &m->destination, err) < 0
          || tsd_spec_get_string (tsd_json_get (e, "type"), "mounts[].type", false, &m->type, err) < 0
          || tsd_spec_get_string (tsd_json_get (e, "source"), "mounts[].source", false, &m->source, err) < 0
          || tsd_spec_get_strv (tsd_json_get (e, "options"), "mounts[].options", &m->options, &m->n_options, err) < 0)
        return -1;
      if (m->destination[0] != '/')
        return tsd_make_error (err, 0, "config.json: mount destination `%s` is not absolute", m->destination);
    }
  return 0;
}

/* linux.resources.blockIO's per-device lists: {major, minor, weight|rate}. */
static int
decode_blkio_devices (struct tsd_resources *r, const tsd_json *blkio, tsd_error_t *err)
{
  static const char *const keys[TSD_BLKIO_LISTS] = { "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
                                                     "throttleReadIOPSDevice", "throttleWriteIOPSDevice" };
  for (int l = 0; l < TSD_BLKIO_LISTS; l++)
    {
      const tsd_json *j = tsd_json_get (blkio, keys[l]);
      if (j == NULL || j->type != TSD_JSON_ARRAY)
        continue;
      r->blkio[l] = calloc (j->len + 1, sizeof *r->blkio[l]);
      if (r->blkio[l] == NULL)
        return tsd_make_error (err, ENOMEM, "decode blockIO devices");
      for (size_t i = 0; i < j->len; i++)
        {
          struct tsd_blkio_device *d = &r->blkio[l][i];
          if (tsd_spec_get_int (tsd_json_get (j->items[i], "major"), "linux.resources.blockIO[].major", &d->major, err) < 0
              || tsd_spec_get_int (tsd_json_get (j->items[i], "minor"), "linux.resources.blockIO[].minor", &d->minor, err) < 0
              || tsd_spec_get_int (tsd_json_get (j->items[i], l == TSD_BLKIO_WEIGHT ? "weight" : "rate"),
                                   "linux.resources.blockIO[].rate", &d->value, err) < 0)
            return -1;
          if (d->major < 0 || d->minor < 0 || d->value < 0)
            return tsd_spec_bad (err, "linux.resources.blockIO", "device numbers and values must not be negative");
          r->n_blkio[l]++;
        }
    }
  return 0;
}

static int
decode_device_rules (struct tsd_resources *r, const tsd_json *j, tsd_error_t *err)
{
  if (j == NULL || j->type != TSD_JSON_ARRAY)
    return 0;
  r->devices = calloc (j->len + 1, sizeof *r->devices);
  if (r->devices == NULL)
    return tsd_make_error (err, ENOMEM, "decode device rules");
  for (size_t i = 0; i < j->len; i++)
    {
      struct tsd_device_rule *d = &r->devices[i];
      const char *type = NULL;
      d->major = d->minor = -1;
      if (tsd_spec_get_bool (tsd_json_get (j->items[i], "allow"), "linux.resources.devices[].allow", &d->allow, err) < 0
          || tsd_spec_get_string (tsd_json_get (j->items[i], "type"), "linux.resources.devices[].type", false, &type, err) < 0
          || tsd_spec_get_int (tsd_json_get (j->items[i], "major"), "linux.resources.devices[].major", &d->major, err) < 0
          || tsd_spec_get_int (tsd_json_get (j->items[i], "minor"), "linux.resources.devices[].minor", &d->minor, err) < 0
          || tsd_spec_get_string (tsd_json_get (j->items[i], "access"), "linux.resources.devices[].access", false, &d->access, err) < 0)
        return -1;
      d->type = type && *type ? type[0] : 'a';
      if (d->type != 'a' && d->type != 'c' && d->type != 'b')
        return tsd_spec_bad (err, "linux.resources.devices[].type", "must be a, c or b");
      if (d->access == NULL || *d->access == '\0')
        d->access = "rwm";
      if (strspn (d->access, "rwm") != strlen (d->access))
        return tsd_spec_bad (err, "linux.resources.devices[].access", "must be made of r, w, m");
      r->n_devices++;
    }
  return 0;
}

static int
decode_resources (struct tsd_resources *r, const tsd_json *j, tsd_error_t *err)
{
  const tsd_json *mem = tsd_json_get (j, "memory"), *cpu = tsd_json_get (j, "cpu"), *pids = tsd_json_get (j, "pids");
  const tsd_json *blkio = tsd_json_get (j, "blockIO");
  r->memory_limit = r->memory_swap = r->memory_reservation = r->pids_limit = -2;
  r->cpu_shares = r->cpu_quota = r->cpu_period = r->blkio_weight = -2;
  r->disable_oom_killer = false;
  r->memory_swappiness = -2;
  if (tsd_spec_get_int (tsd_json_get (mem, "limit"), "linux.resources.memory.limit", &r->memory_limit, err) < 0
      || tsd_spec_get_int (tsd_json_get (mem, "swap"), "linux.resources.memory.swap", &r->memory_swap, err) < 0
      || tsd_spec_get_int (tsd_json_get (mem, "reservation"), "linux.resources.memory.reservation", &r->memory_reservation, err) < 0
      || tsd_spec_get_bool (tsd_json_get (mem, "disableOOMKiller"), "linux.resources.memory.disableOOMKiller", &r->disable_oom_killer, err) < 0
      || tsd_spec_get_int (tsd_json_get (mem, "swappiness"), "linux.resources.memory.swappiness", &r->memory_swappiness, err) < 0
      || tsd_spec_get_int (tsd_json_get (blkio, "weight"), "linux.resources.blockIO.weight", &r->blkio_weight, err) < 0
      || tsd_spec_get_int (tsd_json_get (pids, "limit"), "linux.resources.pids.limit", &r->pids_limit, err) < 0
      || tsd_spec_get_int (tsd_json_get (cpu, "shares"), "linux.resources.cpu.shares", &r->cpu_shares, err) < 0
      || tsd_spec_get_int (tsd_json_get (cpu, "quota"), "linux.resources.cpu.quota", &r->cpu_quota, err) < 0
      || tsd_spec_get_int (tsd_json_get (cpu, "period"), "linux.resources.cpu.period", &r->cpu_period, err) < 0
      || tsd_spec_get_string (tsd_json_get (cpu, "cpus"), "linux.resources.cpu.cpus", false, &r->cpuset_cpus, err) < 0
      || tsd_spec_get_string (tsd_json_get (cpu, "mems"), "linux.resources.cpu.mems", false, &r->cpuset_mems, err) < 0)
    return -1;
  if (r->memory_swappiness != -2 && (r->memory_swappiness < 0 || r->memory_swappiness > 100))
    return tsd_spec_bad (err, "linux.resources.memory.swappiness", "must be from 0 to 100");
  if (decode_blkio_devices (r, blkio, err) < 0)
    return -1;
  return decode_device_rules (r, tsd_json_get (j, "devices"), err);
}

static int
decode_devices (struct tsd_spec *s, const tsd_json *j, tsd_error_t *err)
{
  if (j == NULL || j->type != TSD_JSON_ARRAY)
    return 0;
  s->devices = calloc (j->len + 1, sizeof *s->devices);
  if (s->devices == NULL)
    return tsd_make_error (err, ENOMEM, "decode devices");
  for (size_t i = 0; i < j->len; i++)
    {
      struct tsd_device *d = &s->devices[i];
      const char *type = NULL;
      if (tsd_spec_get_string (tsd_json_get (j->items[i], "type"), "linux.devices[].type", true, &type, err) < 0
          || tsd_spec_get_string (tsd_json_get (j->items[i], "path"), "linux.devices[].path", true, &d->path, err) < 0
          || tsd_spec_get_int (tsd_json_get (j->items[i], "major"), "linux.devices[].major", &d->major, err) < 0
          || tsd_spec_get_int (tsd_json_get (j->items[i], "minor"), "linux.devices[].minor", &d->minor, err) < 0
          || tsd_spec_get_uint32 (tsd_json_get (j->items[i], "uid"), "linux.devices[].uid", &d->uid, err) < 0
          || tsd_spec_get_uint32 (tsd_json_get (j->items[i], "gid"), "linux.devices[].gid", &d->gid, err) < 0)
        return -1;
      if (tsd_json_get (j->items[i], "fileMode"))
        {
          d->has_mode = true;
          if (tsd_spec_get_uint32 (tsd_json_get (j->items[i], "fileMode"), "linux.devices[].fileMode", &d->mode, err) < 0)
            return -1;
        }
      d->type = type[0];
      if (strchr ("cbup", d->type) == NULL || type[1] != '\0')
        return tsd_spec_bad (err, "linux.devices[].type", "must be c, b, u or p");
      if (d->path[0] != '/')
        return tsd_spec_bad (err, "linux.devices[].path", "must be absolute");
      s->n_devices++;
    }
  return 0;
}

static int
decode_sysctl (struct tsd_spec *s, const tsd_json *j, tsd_error_t *err)
{
  if (j == NULL || j->type != TSD_JSON_OBJECT)
    return 0;
  s->sysctl_keys = calloc (j->len + 1, sizeof (char *));
  s->sysctl_values = calloc (j->len + 1, sizeof (char *));
  if (s->sysctl_keys == NULL || s->sysctl_values == NULL)
    return tsd_make_error (err, ENOMEM, "decode sysctl");
  for (size_t i = 0; i < j->len; i++)
    {
      if (j->items[i]->type != TSD_JSON_STRING)
        return tsd_spec_bad (err, "linux.sysctl", "values must be strings");
      if (strstr (j->keys[i], "..") || j->keys[i][0] == '\0' || j->keys[i][0] == '/')
        return tsd_make_error (err, 0, "config.json: invalid sysctl `%s`", j->keys[i]);
      s->sysctl_keys[i] = j->keys[i];
      s->sysctl_values[i] = j->items[i]->string;
      s->n_sysctl++;
    }
  return 0;
}

struct tsd_spec *
tsd_spec_load (const char *bundle, tsd_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_spec struct tsd_spec *s = calloc (1, sizeof *s);
  struct tsd_spec *loaded;
  const tsd_json *root, *linux_;

  if (s == NULL || asprintf (&path, "%s/config.json", bundle) < 0)
    {
      tsd_make_error (err, ENOMEM, "load config");
      return NULL;
    }
  s->json = tsd_json_parse_file (path, err);
  if (s->json == NULL)
    return NULL;
  if (s->json->type != TSD_JSON_OBJECT)
    {
      tsd_spec_bad (err, "(root)", "must be an object");
      return NULL;
    }
  root = tsd_json_get (s->json, "root");
  linux_ = tsd_json_get (s->json, "linux");
  if (tsd_spec_get_string (tsd_json_get (root, "path"), "root.path", true, &s->root_path, err) < 0
      || tsd_spec_get_bool (tsd_json_get (root, "readonly"), "root.readonly", &s->root_readonly, err) < 0
      || tsd_spec_get_string (tsd_json_get (s->json, "hostname"), "hostname", false, &s->hostname, err) < 0
      || tsd_spec_get_string (tsd_json_get (s->json, "domainname"), "domainname", false, &s->domainname, err) < 0
      || tsd_spec_decode_process (s, tsd_json_get (s->json, "process"), err) < 0
      || decode_mounts (s, tsd_json_get (s->json, "mounts"), err) < 0
      || decode_namespaces (s, tsd_json_get (linux_, "namespaces"), err) < 0
      || tsd_spec_get_string (tsd_json_get (linux_, "cgroupsPath"), "linux.cgroupsPath", false, &s->cgroups_path, err) < 0
      || tsd_spec_get_strv (tsd_json_get (linux_, "maskedPaths"), "linux.maskedPaths", &s->masked_paths, &s->n_masked, err) < 0
      || tsd_spec_get_strv (tsd_json_get (linux_, "readonlyPaths"), "linux.readonlyPaths", &s->readonly_paths, &s->n_readonly, err) < 0
      || tsd_spec_get_string (tsd_json_get (linux_, "rootfsPropagation"), "linux.rootfsPropagation", false, &s->rootfs_propagation, err) < 0
      || decode_sysctl (s, tsd_json_get (linux_, "sysctl"), err) < 0
      || decode_devices (s, tsd_json_get (linux_, "devices"), err) < 0
      || decode_resources (&s->resources, tsd_json_get (linux_, "resources"), err) < 0)
    return NULL;
  s->annotations = tsd_json_get (s->json, "annotations");
  s->seccomp = tsd_json_get (linux_, "seccomp");
  s->has_seccomp = s->seccomp != NULL && s->seccomp->type == TSD_JSON_OBJECT;
  loaded = s;
  s = NULL;
  return loaded;
}

void
tsd_spec_free (struct tsd_spec *s)
{
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n_mounts; i++)
    free (s->mounts[i].options);
  free (s->mounts);
  free (s->namespaces);
  free (s->rlimits);
  free (s->gids);
  free (s->args);
  free (s->env);
  free (s->masked_paths);
  free (s->readonly_paths);
  free (s->sysctl_keys);
  free (s->sysctl_values);
  free (s->devices);
  free (s->resources.devices);
  for (int l = 0; l < TSD_BLKIO_LISTS; l++)
    free (s->resources.blkio[l]);
  tsd_json_free (s->json);
  tsd_json_free (s->process_json);
  free (s);
}
