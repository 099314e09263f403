/* spec.c: decode config.json (OCI runtime-spec 1.x) into struct tsd_spec. */
#include "spec.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "caps.h"
#include "utils.h"

static int
bad (tsd_error_t *err, const char *field, const char *why)
{
  return tsd_make_error (err, 0, "config.json: `%s` %s", field, why);
}

static int
get_string (const tsd_json *j, const char *field, bool required, const char **out, tsd_error_t *err)
{
  if (j == NULL || j->type == TSD_JSON_NULL)
    {
      *out = NULL;
      return required ? bad (err, field, "is required") : 0;
    }
  if (j->type != TSD_JSON_STRING)
    return bad (err, field, "must be a string");
  *out = j->string;
  return 0;
}

static int
get_int (const tsd_json *j, const char *field, int64_t *out, tsd_error_t *err)
{
  if (j == NULL || j->type == TSD_JSON_NULL)
    return 0;
  if (j->type != TSD_JSON_NUMBER || !j->is_int)
    return bad (err, field, "must be an integer");
  *out = j->integer;
  return 0;
}

static int
get_uint32 (const tsd_json *j, const char *field, uint32_t *out, tsd_error_t *err)
{
  int64_t v = -1;
  if (j == NULL)
    return 0;
  if (get_int (j, field, &v, err) < 0)
    return -1;
  if (v < 0 || v > UINT32_MAX)
    return bad (err, field, "out of range");
  *out = (uint32_t) v;
  return 0;
}

static int
get_bool (const tsd_json *j, const char *field, bool *out, tsd_error_t *err)
{
  if (j == NULL || j->type == TSD_JSON_NULL)
    return 0;
  if (j->type != TSD_JSON_BOOL)
    return bad (err, field, "must be a boolean");
  *out = j->boolean;
  return 0;
}

/* Array of strings -> NULL-terminated array of pointers into the tree. */
static int
get_strv (const tsd_json *j, const char *field, const char ***out, size_t *n, tsd_error_t *err)
{
  const char **v;
  *out = NULL;
  if (n)
    *n = 0;
  if (j == NULL || j->type == TSD_JSON_NULL)
    return 0;
  if (j->type != TSD_JSON_ARRAY)
    return bad (err, field, "must be an array of strings");
  v = calloc (j->len + 1, sizeof *v);
  if (v == NULL)
    return tsd_make_error (err, ENOMEM, "decode `%s`", field);
  for (size_t i = 0; i < j->len; i++)
    {
      if (j->items[i]->type != TSD_JSON_STRING)
        {
          free (v);
          return bad (err, field, "must be an array of strings");
        }
      v[i] = j->items[i]->string;
    }
  *out = v;
  if (n)
    *n = j->len;
  return 0;
}

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
    return bad (err, "linux.namespaces", "must be an array");
  s->namespaces = calloc (j->len + 1, sizeof *s->namespaces);
  if (s->namespaces == NULL)
    return tsd_make_error (err, ENOMEM, "decode namespaces");
  for (size_t i = 0; i < j->len; i++)
    {
      const char *type = NULL, *path = NULL;
      size_t k;
      if (get_string (tsd_json_get (j->items[i], "type"), "linux.namespaces[].type", true, &type, err) < 0
          || get_string (tsd_json_get (j->items[i], "path"), "linux.namespaces[].path", false, &path, err) < 0)
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
    return bad (err, "mounts", "must be an array");
  s->mounts = calloc (j->len + 1, sizeof *s->mounts);
  if (s->mounts == NULL)
    return tsd_make_error (err, ENOMEM, "decode mounts");
  for (size_t i = 0; i < j->len; i++)
    {
      struct tsd_mount *m = &s->mounts[i];
      const tsd_json *e = j->items[i];
      s->n_mounts = i + 1;
      if (get_string (tsd_json_get (e, "destination"), "mounts[].destination", true, &m->destination, err) < 0
          || get_string (tsd_json_get (e, "type"), "mounts[].type", false, &m->type, err) < 0
          || get_string (tsd_json_get (e, "source"), "mounts[].source", false, &m->source, err) < 0
          || get_strv (tsd_json_get (e, "options"), "mounts[].options", &m->options, &m->n_options, err) < 0)
        return -1;
      if (m->destination[0] != '/')
        return tsd_make_error (err, 0, "config.json: mount destination `%s` is not absolute", m->destination);
    }
  return 0;
}

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static int
decode_rlimits (struct tsd_spec *s, const tsd_json *j, tsd_error_t *err)
{
  if (j == NULL)
    return 0;
  if (j->type != TSD_JSON_ARRAY)
    return bad (err, "process.rlimits", "must be an array");
  s->rlimits = calloc (j->len + 1, sizeof *s->rlimits);
  if (s->rlimits == NULL)
    return tsd_make_error (err, ENOMEM, "decode rlimits");
  for (size_t i = 0; i < j->len; i++)
    {
      const char *type = NULL;
      const tsd_json *hard = tsd_json_get (j->items[i], "hard"), *soft = tsd_json_get (j->items[i], "soft");
      size_t k;
      if (get_string (tsd_json_get (j->items[i], "type"), "process.rlimits[].type", true, &type, err) < 0)
        return -1;
      for (k = 0; k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
        if (strcmp (rlimit_names[k].name, type) == 0)
          break;
      if (k == sizeof rlimit_names / sizeof rlimit_names[0])
        return tsd_make_error (err, 0, "config.json: unknown rlimit `%s`", type);
      if (hard == NULL || soft == NULL || hard->type != TSD_JSON_NUMBER || soft->type != TSD_JSON_NUMBER)
        return bad (err, "process.rlimits[]", "needs numeric hard and soft");
      s->rlimits[i].resource = rlimit_names[k].resource;
      s->rlimits[i].name = rlimit_names[k].name;
      /* Values above int64 (RLIM_INFINITY = 2^64-1) come as doubles. */
      s->rlimits[i].hard = hard->is_int ? (uint64_t) hard->integer : (hard->number >= 1.8e19 ? RLIM_INFINITY : (uint64_t) hard->number);
      s->rlimits[i].soft = soft->is_int ? (uint64_t) soft->integer : (soft->number >= 1.8e19 ? RLIM_INFINITY : (uint64_t) soft->number);
      s->n_rlimits++;
    }
  return 0;
}

static int
decode_caps (struct tsd_spec *s, const tsd_json *j, tsd_error_t *err)
{
  static const char *sets[TSD_CAP_SETS] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
  if (j == NULL || j->type == TSD_JSON_NULL)
    return 0;
  if (j->type != TSD_JSON_OBJECT)
    return bad (err, "process.capabilities", "must be an object");
  s->has_caps = true;
  for (int i = 0; i < TSD_CAP_SETS; i++)
    {
      const tsd_json *a = tsd_json_get (j, sets[i]);
      if (a == NULL || a->type == TSD_JSON_NULL)
        continue;
      if (a->type != TSD_JSON_ARRAY)
        return bad (err, "process.capabilities", "sets must be arrays");
      for (size_t k = 0; k < a->len; k++)
        {
          int cap = tsd_cap_from_name (tsd_json_str (a->items[k]));
          if (cap < 0)
            continue; /* unknown to us (newer kernel names): ignored like runc */
          s->caps[i] |= 1ULL << cap;
        }
    }
  return 0;
}

static int
decode_process (struct tsd_spec *s, const tsd_json *p, tsd_error_t *err)
{
  const tsd_json *user, *gids, *console;
  uint32_t v;
  int64_t oom = 0;

  if (p == NULL || p->type != TSD_JSON_OBJECT)
    return bad (err, "process", "is required");
  if (get_bool (tsd_json_get (p, "terminal"), "process.terminal", &s->terminal, err) < 0
      || get_strv (tsd_json_get (p, "args"), "process.args", &s->args, NULL, err) < 0
      || get_strv (tsd_json_get (p, "env"), "process.env", &s->env, NULL, err) < 0
      || get_string (tsd_json_get (p, "cwd"), "process.cwd", false, &s->cwd, err) < 0
      || get_bool (tsd_json_get (p, "noNewPrivileges"), "process.noNewPrivileges", &s->no_new_privileges, err) < 0
      || decode_caps (s, tsd_json_get (p, "capabilities"), err) < 0
      || decode_rlimits (s, tsd_json_get (p, "rlimits"), err) < 0)
    return -1;
  if (s->args == NULL || s->args[0] == NULL || s->args[0][0] == '\0')
    return bad (err, "process.args", "must not be empty");
  if (s->env == NULL)
    {
      s->env = calloc (1, sizeof *s->env);
      if (s->env == NULL)
        return tsd_make_error (err, ENOMEM, "decode env");
    }
  if (s->cwd == NULL || *s->cwd == '\0')
    s->cwd = "/";
  if (s->cwd[0] != '/')
    return bad (err, "process.cwd", "must be an absolute path");
  console = tsd_json_get (p, "consoleSize");
  if (console && (get_uint32 (tsd_json_get (console, "height"), "process.consoleSize.height", &s->console_height, err) < 0
                  || get_uint32 (tsd_json_get (console, "width"), "process.consoleSize.width", &s->console_width, err) < 0))
    return -1;
  if (tsd_json_get (p, "oomScoreAdj"))
    {
      if (get_int (tsd_json_get (p, "oomScoreAdj"), "process.oomScoreAdj", &oom, err) < 0)
        return -1;
      if (oom < -1000 || oom > 1000)
        return bad (err, "process.oomScoreAdj", "out of range");
      s->has_oom_score_adj = true;
      s->oom_score_adj = (int) oom;
    }
  user = tsd_json_get (p, "user");
  if (user)
    {
      v = 0;
      if (get_uint32 (tsd_json_get (user, "uid"), "process.user.uid", &v, err) < 0)
        return -1;
      s->uid = v;
      v = 0;
      if (get_uint32 (tsd_json_get (user, "gid"), "process.user.gid", &v, err) < 0)
        return -1;
      s->gid = v;
      if (tsd_json_get (user, "umask"))
        {
          v = 0;
          if (get_uint32 (tsd_json_get (user, "umask"), "process.user.umask", &v, err) < 0)
            return -1;
          s->has_umask = true;
          s->umask = (mode_t) v & 07777;
        }
      gids = tsd_json_get (user, "additionalGids");
      if (gids && gids->type == TSD_JSON_ARRAY)
        {
          s->gids = calloc (gids->len + 1, sizeof *s->gids);
          if (s->gids == NULL)
            return tsd_make_error (err, ENOMEM, "decode gids");
          for (size_t i = 0; i < gids->len; i++)
            {
              v = 0;
              if (get_uint32 (gids->items[i], "process.user.additionalGids[]", &v, err) < 0)
                return -1;
              s->gids[s->n_gids++] = v;
            }
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
      if (get_bool (tsd_json_get (j->items[i], "allow"), "linux.resources.devices[].allow", &d->allow, err) < 0
          || get_string (tsd_json_get (j->items[i], "type"), "linux.resources.devices[].type", false, &type, err) < 0
          || get_int (tsd_json_get (j->items[i], "major"), "linux.resources.devices[].major", &d->major, err) < 0
          || get_int (tsd_json_get (j->items[i], "minor"), "linux.resources.devices[].minor", &d->minor, err) < 0
          || get_string (tsd_json_get (j->items[i], "access"), "linux.resources.devices[].access", false, &d->access, err) < 0)
        return -1;
      d->type = type && *type ? type[0] : 'a';
      if (d->type != 'a' && d->type != 'c' && d->type != 'b')
        return bad (err, "linux.resources.devices[].type", "must be a, c or b");
      if (d->access == NULL || *d->access == '\0')
        d->access = "rwm";
      if (strspn (d->access, "rwm") != strlen (d->access))
        return bad (err, "linux.resources.devices[].access", "must be made of r, w, m");
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
  if (get_int (tsd_json_get (mem, "limit"), "linux.resources.memory.limit", &r->memory_limit, err) < 0
      || get_int (tsd_json_get (mem, "swap"), "linux.resources.memory.swap", &r->memory_swap, err) < 0
      || get_int (tsd_json_get (mem, "reservation"), "linux.resources.memory.reservation", &r->memory_reservation, err) < 0
      || get_bool (tsd_json_get (mem, "disableOOMKiller"), "linux.resources.memory.disableOOMKiller", &r->disable_oom_killer, err) < 0
      || get_int (tsd_json_get (mem, "swappiness"), "linux.resources.memory.swappiness", &r->memory_swappiness, err) < 0
      || get_int (tsd_json_get (blkio, "weight"), "linux.resources.blockIO.weight", &r->blkio_weight, err) < 0
      || get_int (tsd_json_get (pids, "limit"), "linux.resources.pids.limit", &r->pids_limit, err) < 0
      || get_int (tsd_json_get (cpu, "shares"), "linux.resources.cpu.shares", &r->cpu_shares, err) < 0
      || get_int (tsd_json_get (cpu, "quota"), "linux.resources.cpu.quota", &r->cpu_quota, err) < 0
      || get_int (tsd_json_get (cpu, "period"), "linux.resources.cpu.period", &r->cpu_period, err) < 0
      || get_string (tsd_json_get (cpu, "cpus"), "linux.resources.cpu.cpus", false, &r->cpuset_cpus, err) < 0
      || get_string (tsd_json_get (cpu, "mems"), "linux.resources.cpu.mems", false, &r->cpuset_mems, err) < 0)
    return -1;
  if (r->memory_swappiness != -2 && (r->memory_swappiness < 0 || r->memory_swappiness > 100))
    return bad (err, "linux.resources.memory.swappiness", "must be from 0 to 100");
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
      if (get_string (tsd_json_get (j->items[i], "type"), "linux.devices[].type", true, &type, err) < 0
          || get_string (tsd_json_get (j->items[i], "path"), "linux.devices[].path", true, &d->path, err) < 0
          || get_int (tsd_json_get (j->items[i], "major"), "linux.devices[].major", &d->major, err) < 0
          || get_int (tsd_json_get (j->items[i], "minor"), "linux.devices[].minor", &d->minor, err) < 0
          || get_uint32 (tsd_json_get (j->items[i], "uid"), "linux.devices[].uid", &d->uid, err) < 0
          || get_uint32 (tsd_json_get (j->items[i], "gid"), "linux.devices[].gid", &d->gid, err) < 0)
        return -1;
      if (tsd_json_get (j->items[i], "fileMode"))
        {
          d->has_mode = true;
          if (get_uint32 (tsd_json_get (j->items[i], "fileMode"), "linux.devices[].fileMode", &d->mode, err) < 0)
            return -1;
        }
      d->type = type[0];
      if (strchr ("cbup", d->type) == NULL || type[1] != '\0')
        return bad (err, "linux.devices[].type", "must be c, b, u or p");
      if (d->path[0] != '/')
        return bad (err, "linux.devices[].path", "must be absolute");
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
        return bad (err, "linux.sysctl", "values must be strings");
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
  struct tsd_spec *s;
  const tsd_json *root, *linux_;

  if (asprintf (&path, "%s/config.json", bundle) < 0)
    {
      tsd_make_error (err, ENOMEM, "load config");
      return NULL;
    }
  s = calloc (1, sizeof *s);
  if (s == NULL)
    {
      tsd_make_error (err, ENOMEM, "load config");
      return NULL;
    }
  s->json = tsd_json_parse_file (path, err);
  if (s->json == NULL)
    goto fail;
  if (s->json->type != TSD_JSON_OBJECT)
    {
      bad (err, "(root)", "must be an object");
      goto fail;
    }
  root = tsd_json_get (s->json, "root");
  linux_ = tsd_json_get (s->json, "linux");
  if (get_string (tsd_json_get (root, "path"), "root.path", true, &s->root_path, err) < 0
      || get_bool (tsd_json_get (root, "readonly"), "root.readonly", &s->root_readonly, err) < 0
      || get_string (tsd_json_get (s->json, "hostname"), "hostname", false, &s->hostname, err) < 0
      || get_string (tsd_json_get (s->json, "domainname"), "domainname", false, &s->domainname, err) < 0
      || decode_process (s, tsd_json_get (s->json, "process"), err) < 0
      || decode_mounts (s, tsd_json_get (s->json, "mounts"), err) < 0
      || decode_namespaces (s, tsd_json_get (linux_, "namespaces"), err) < 0
      || get_string (tsd_json_get (linux_, "cgroupsPath"), "linux.cgroupsPath", false, &s->cgroups_path, err) < 0
      || get_strv (tsd_json_get (linux_, "maskedPaths"), "linux.maskedPaths", &s->masked_paths, &s->n_masked, err) < 0
      || get_strv (tsd_json_get (linux_, "readonlyPaths"), "linux.readonlyPaths", &s->readonly_paths, &s->n_readonly, err) < 0
      || get_string (tsd_json_get (linux_, "rootfsPropagation"), "linux.rootfsPropagation", false, &s->rootfs_propagation, err) < 0
      || decode_sysctl (s, tsd_json_get (linux_, "sysctl"), err) < 0
      || decode_devices (s, tsd_json_get (linux_, "devices"), err) < 0
      || decode_resources (&s->resources, tsd_json_get (linux_, "resources"), err) < 0)
    goto fail;
  s->annotations = tsd_json_get (s->json, "annotations");
  s->seccomp = tsd_json_get (linux_, "seccomp");
  s->has_seccomp = s->seccomp != NULL && s->seccomp->type == TSD_JSON_OBJECT;
  return s;
fail:
  tsd_spec_free (s);
  return NULL;
}

int
tsd_spec_load_process (struct tsd_spec *s, const char *path, tsd_error_t *err)
{
  tsd_json *j = tsd_json_parse_file (path, err);
  if (j == NULL)
    return -1;
  tsd_json_free (s->process_json);
  s->process_json = j;
  free (s->args);
  free (s->env);
  free (s->rlimits);
  free (s->gids);
  s->args = s->env = NULL;
  s->rlimits = NULL;
  s->gids = NULL;
  s->n_rlimits = s->n_gids = 0;
  s->terminal = s->no_new_privileges = s->has_caps = s->has_oom_score_adj = s->has_umask = false;
  s->console_height = s->console_width = 0;
  s->uid = 0;
  s->gid = 0;
  s->cwd = NULL;
  memset (s->caps, 0, sizeof s->caps);
  return decode_process (s, j, err);
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
  tsd_json_free (s->json);
  tsd_json_free (s->process_json);
  free (s);
}
