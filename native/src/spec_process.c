/* spec_process.c: the "process" object of config.json, or an exec's
 * process.json, into struct tsd_spec (args, env, cwd, user, rlimits,
 * capabilities, console, oom score). */
#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "caps.h"
#include "spec_decode.h"
#include "utils.h"

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
    return tsd_spec_bad (err, "process.rlimits", "must be an array");
  s->rlimits = calloc (j->len + 1, sizeof *s->rlimits);
  if (s->rlimits == NULL)
    return tsd_make_error (err, ENOMEM, "decode rlimits");
  for (size_t i = 0; i < j->len; i++)
    {
      const char *type = NULL;
      const tsd_json *hard = tsd_json_get (j->items[i], "hard"), *soft = tsd_json_get (j->items[i], "soft");
      size_t k;
      if (tsd_spec_get_string (tsd_json_get (j->items[i], "type"), "process.rlimits[].type", true, &type, err) < 0)
        return -1;
      for (k = 0; k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
        if (strcmp (rlimit_names[k].name, type) == 0)
          break;
      if (k == sizeof rlimit_names / sizeof rlimit_names[0])
        return tsd_make_error (err, 0, "config.json: unknown rlimit `%s`", type);
      if (hard == NULL || soft == NULL || hard->type != TSD_JSON_NUMBER || soft->type != TSD_JSON_NUMBER)
        return tsd_spec_bad (err, "process.rlimits[]", "needs numeric hard and soft");
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
    return tsd_spec_bad (err, "process.capabilities", "must be an object");
  s->has_caps = true;
  for (int i = 0; i < TSD_CAP_SETS; i++)
    {
      const tsd_json *a = tsd_json_get (j, sets[i]);
      if (a == NULL || a->type == TSD_JSON_NULL)
        continue;
      if (a->type != TSD_JSON_ARRAY)
        return tsd_spec_bad (err, "process.capabilities", "sets must be arrays");
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

int
tsd_spec_decode_process (struct tsd_spec *s, const tsd_json *p, tsd_error_t *err)
{
  const tsd_json *user, *gids, *console;
  uint32_t v;
  int64_t oom = 0;

  if (p == NULL || p->type != TSD_JSON_OBJECT)
    return tsd_spec_bad (err, "process", "is required");
  if (tsd_spec_get_bool (tsd_json_get (p, "terminal"), "process.terminal", &s->terminal, err) < 0
      || tsd_spec_get_strv (tsd_json_get (p, "args"), "process.args", &s->args, NULL, err) < 0
      || tsd_spec_get_strv (tsd_json_get (p, "env"), "process.env", &s->env, NULL, err) < 0
      || tsd_spec_get_string (tsd_json_get (p, "cwd"), "process.cwd", false, &s->cwd, err) < 0
      || tsd_spec_get_bool (tsd_json_get (p, "noNewPrivileges"), "process.noNewPrivileges", &s->no_new_privileges, err) < 0
      || decode_caps (s, tsd_json_get (p, "capabilities"), err) < 0
      || decode_rlimits (s, tsd_json_get (p, "rlimits"), err) < 0)
    return -1;
  if (s->args == NULL || s->args[0] == NULL || s->args[0][0] == '\0')
    return tsd_spec_bad (err, "process.args", "must not be empty");
  if (s->env == NULL)
    {
      s->env = calloc (1, sizeof *s->env);
      if (s->env == NULL)
        return tsd_make_error (err, ENOMEM, "decode env");
    }
  if (s->cwd == NULL || *s->cwd == '\0')
    s->cwd = "/";
  if (s->cwd[0] != '/')
    return tsd_spec_bad (err, "process.cwd", "must be an absolute path");
  console = tsd_json_get (p, "consoleSize");
  if (console && (tsd_spec_get_uint32 (tsd_json_get (console, "height"), "process.consoleSize.height", &s->console_height, err) < 0
                  || tsd_spec_get_uint32 (tsd_json_get (console, "width"), "process.consoleSize.width", &s->console_width, err) < 0))
    return -1;
  if (tsd_json_get (p, "oomScoreAdj"))
    {
      if (tsd_spec_get_int (tsd_json_get (p, "oomScoreAdj"), "process.oomScoreAdj", &oom, err) < 0)
        return -1;
      if (oom < -1000 || oom > 1000)
        return tsd_spec_bad (err, "process.oomScoreAdj", "out of range");
      s->has_oom_score_adj = true;
      s->oom_score_adj = (int) oom;
    }
  user = tsd_json_get (p, "user");
  if (user)
    {
      v = 0;
      if (tsd_spec_get_uint32 (tsd_json_get (user, "uid"), "process.user.uid", &v, err) < 0)
        return -1;
      s->uid = v;
      v = 0;
      if (tsd_spec_get_uint32 (tsd_json_get (user, "gid"), "process.user.gid", &v, err) < 0)
        return -1;
      s->gid = v;
      if (tsd_json_get (user, "umask"))
        {
          v = 0;
          if (tsd_spec_get_uint32 (tsd_json_get (user, "umask"), "process.user.umask", &v, err) < 0)
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
              if (tsd_spec_get_uint32 (gids->items[i], "process.user.additionalGids[]", &v, err) < 0)
                return -1;
              s->gids[s->n_gids++] = v;
            }
        }
    }
  return 0;
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
  return tsd_spec_decode_process (s, j, err);
}
