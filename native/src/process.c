/* process.c: applying process.* of a spec to the calling process, shared by
 * the container init (init.c) and `exec` (exec.c). */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "utils.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int
tsd_process_rlimits (const struct tsd_spec *s, tsd_error_t *err)
{
  for (size_t i = 0; i < s->n_rlimits; i++)
    {
      struct rlimit rl = { .rlim_cur = s->rlimits[i].soft, .rlim_max = s->rlimits[i].hard };
      if (setrlimit (s->rlimits[i].resource, &rl) < 0)
        return tsd_make_error (err, errno, "setrlimit %s", s->rlimits[i].name);
    }
  return 0;
}

static const char *
env_get (const char **env, const char *key)
{
  size_t kl = strlen (key);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], key, kl) == 0 && env[i][kl] == '=')
      return env[i] + kl + 1;
  return NULL;
}

static bool
is_executable (const char *path, int *why)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      *why = errno;
      return false;
    }
  if (S_ISDIR (st.st_mode) || !(st.st_mode & 0111))
    {
      *why = EACCES;
      return false;
    }
  return true;
}

/* Like runc: HOME from the container's /etc/passwd when the spec has none. */
const char **
tsd_process_env_with_home (const char **env, uid_t uid)
{
  size_t n = 0;
  const char **out;
  char *home = NULL, *line = NULL;
  size_t cap = 0;
  FILE *f;

  if (env_get (env, "HOME"))
    return env;
  f = fopen ("/etc/passwd", "re");
  while (f && getline (&line, &cap, f) > 0)
    {
      char *fields[7], *save = NULL, *p = line;
      int k = 0;
      line[strcspn (line, "\n")] = '\0';
      /* strsep keeps empty fields */
      while (k < 7 && (fields[k] = strsep (&p, ":")) != NULL)
        k++;
      if (k >= 6 && strtoul (fields[2], NULL, 10) == uid && fields[2][0] != '\0')
        {
          if (asprintf (&home, "HOME=%s", fields[5][0] ? fields[5] : "/") < 0)
            home = NULL;
          break;
        }
      (void) save;
    }
  free (line);
  if (f)
    fclose (f);
  if (home == NULL && asprintf (&home, "HOME=/") < 0)
    return env;
  while (env[n])
    n++;
  out = calloc (n + 2, sizeof *out);
  if (out == NULL)
    return env;
  memcpy (out, env, n * sizeof *out);
  out[n] = home;
  return out;
}

/* Go's exec.LookPath semantics, with Docker's messages; exit code 127 or 126. */
char *
tsd_process_find_executable (const char *name, const char **env, int *code, tsd_error_t *err)
{
  const char *path = env_get (env, "PATH");
  int why = 0;
  char *r = NULL;

  if (strchr (name, '/'))
    {
      if (is_executable (name, &why))
        return strdup (name);
      if (why == ENOENT || why == ENOTDIR)
        {
          *code = 127;
          tsd_make_error (err, 0, "exec: \"%s\": stat %s: no such file or directory", name, name);
        }
      else
        {
          *code = 126;
          tsd_make_error (err, 0, "exec: \"%s\": permission denied", name);
        }
      return NULL;
    }
  if (path == NULL)
    path = DEFAULT_PATH;
  for (const char *p = path;;)
    {
      size_t l = strcspn (p, ":");
      if (asprintf (&r, "%.*s/%s", (int) (l ? l : 1), l ? p : ".", name) < 0)
        {
          *code = 125;
          tsd_make_error (err, ENOMEM, "exec lookup");
          return NULL;
        }
      if (is_executable (r, &why))
        return r;
      free (r);
      r = NULL;
      p += l;
      if (*p == '\0')
        break;
      p++;
    }
  *code = 127;
  tsd_make_error (err, 0, "exec: \"%s\": executable file not found in $PATH", name);
  return NULL;
}

int
tsd_process_set_user (const struct tsd_spec *s, tsd_error_t *err)
{
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return tsd_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setgroups (s->n_gids, s->gids) < 0)
    return tsd_make_error (err, errno, "setgroups");
  if (setresgid (s->gid, s->gid, s->gid) < 0)
    return tsd_make_error (err, errno, "setresgid %u", (unsigned) s->gid);
  if (setresuid (s->uid, s->uid, s->uid) < 0)
    return tsd_make_error (err, errno, "setresuid %u", (unsigned) s->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return tsd_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

/* The cwd must be a directory inside the new root (CVE-2024-21626). */
int
tsd_process_enter_cwd (const char *cwd, tsd_error_t *err)
{
  char buf[PATH_MAX];
  if (chdir (cwd) < 0)
    return tsd_make_error (err, errno, "chdir to cwd (\"%s\") set in config.json", cwd);
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    return tsd_make_error (err, EPERM, "current working directory is outside of the container root");
  return 0;
}

void
tsd_process_close_fds_on_exec (void)
{
  if (syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return;
  for (int fd = 3; fd < 65536; fd++)
    {
      int fl = fcntl (fd, F_GETFD);
      if (fl >= 0)
        fcntl (fd, F_SETFD, fl | FD_CLOEXEC);
    }
}

