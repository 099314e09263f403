/* state.c: see state.h. */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups.h"
#include "fsutil.h"
#include "utils.h"

int
tsd_validate_id (const char *id, tsd_error_t *err)
{
  if (id == NULL || *id == '\0')
    return tsd_make_error (err, 0, "container id cannot be empty");
  if (id[0] == '.')
    return tsd_make_error (err, 0, "invalid character `.` at the start of the container id `%s`", id);
  if (strlen (id) > 1024)
    return tsd_make_error (err, 0, "container id too long");
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'
          || *p == '+' || *p == '-' || *p == '.'))
      return tsd_make_error (err, 0, "invalid character `%c` in the container id `%s`", *p, id);
  return 0;
}

int
tsd_state_dir (const char *root, const char *id, char **out, tsd_error_t *err)
{
  if (tsd_validate_id (id, err) < 0)
    return -1;
  if (asprintf (out, "%s/%s", root, id) < 0)
    return tsd_make_error (err, ENOMEM, "state dir");
  return 0;
}

int
tsd_state_write (const char *dir, const struct tsd_state *st, tsd_error_t *err)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  cleanup_free char *path = NULL;
  int ret;

  if (f == NULL || asprintf (&path, "%s/state.json", dir) < 0)
    return tsd_make_error (err, ENOMEM, "write state");
  fprintf (f, "{\"ociVersion\":\"%s\",\"id\":", TSD_OCI_VERSION);
  tsd_json_write_string (f, st->id);
  fprintf (f, ",\"pid\":%d,\"bundle\":", (int) st->pid);
  tsd_json_write_string (f, st->bundle);
  fputs (",\"rootfs\":", f);
  tsd_json_write_string (f, st->rootfs);
  fputs (",\"created\":", f);
  tsd_json_write_string (f, st->created);
  fprintf (f, ",\"owner\":\"\",\"starttime\":%llu,\"cgroupPaths\":[", (unsigned long long) st->starttime);
  for (size_t i = 0; st->cgroup_paths && st->cgroup_paths[i]; i++)
    {
      if (i)
        fputc (',', f);
      tsd_json_write_string (f, st->cgroup_paths[i]);
    }
  fputs ("],\"annotations\":", f);
  if (st->annotations && st->annotations->type == TSD_JSON_OBJECT)
    tsd_json_write (f, st->annotations);
  else
    fputs ("{}", f);
  fputs ("}\n", f);
  if (fclose (f) != 0)
    {
      free (buf);
      return tsd_make_error (err, ENOMEM, "write state");
    }
  ret = tsd_write_file_atomic (path, buf, len, 0600, err);
  free (buf);
  return ret;
}

tsd_json *
tsd_state_read (const char *root, const char *id, tsd_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *path = NULL;
  tsd_json *j;

  if (tsd_state_dir (root, id, &dir, err) < 0)
    return NULL;
  if (asprintf (&path, "%s/state.json", dir) < 0)
    {
      tsd_make_error (err, ENOMEM, "read state");
      return NULL;
    }
  if (access (path, F_OK) < 0 && errno == ENOENT)
    {
      tsd_make_error (err, ENOENT, "container `%s` does not exist", id);
      return NULL;
    }
  j = tsd_json_parse_file (path, err);
  return j;
}

uint64_t
tsd_proc_starttime (pid_t pid)
{
  char path[64];
  cleanup_free char *buf = NULL;
  tsd_error_t err = NULL;
  char *p;
  unsigned long long v = 0;

  if (pid <= 0)
    return 0;
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if (tsd_read_file (path, &buf, NULL, &err) < 0)
    {
      tsd_error_release (&err);
      return 0;
    }
  p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return 0;
  /* p+2: state (field 3); starttime is field 22. */
  if (p[2] == 'Z' || p[2] == 'X')
    return 0;
  p += 2;
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL || sscanf (p, "%llu", &v) != 1)
    return 0;
  return v;
}

const char *
tsd_state_status (const char *dir, const tsd_json *st)
{
  const tsd_json *pid = tsd_json_get (st, "pid"), *start = tsd_json_get (st, "starttime");
  char fifo[4096];
  uint64_t now;

  if (pid == NULL || !pid->is_int)
    return "stopped";
  now = tsd_proc_starttime ((pid_t) pid->integer);
  if (now == 0 || (start && start->is_int && (uint64_t) start->integer != now))
    return "stopped";
  snprintf (fifo, sizeof fifo, "%s/exec.fifo", dir);
  if (access (fifo, F_OK) == 0)
    return "created";
  {
    cleanup_free char **cgroups = tsd_state_cgroups (st);
    return tsd_cgroup_frozen (cgroups) ? "paused" : "running";
  }
}

char **
tsd_state_cgroups (const tsd_json *st)
{
  const tsd_json *a = tsd_json_get (st, "cgroupPaths");
  size_t n = a && a->type == TSD_JSON_ARRAY ? a->len : 0;
  char **v = calloc (n + 1, sizeof *v);
  size_t k = 0;
  if (v == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (a->items[i]->type == TSD_JSON_STRING)
      v[k++] = a->items[i]->string;
  return v;
}

void
tsd_state_print (FILE *f, const char *dir, const tsd_json *st)
{
  const char *status = tsd_state_status (dir, st);
  const tsd_json *pid = tsd_json_get (st, "pid");
  fprintf (f, "{\n  \"ociVersion\": \"%s\",\n  \"id\": ", TSD_OCI_VERSION);
  tsd_json_write_string (f, tsd_json_str (tsd_json_get (st, "id")));
  fprintf (f, ",\n  \"pid\": %lld,\n  \"status\": \"%s\",\n  \"bundle\": ",
           strcmp (status, "stopped") == 0 || pid == NULL ? 0LL : (long long) pid->integer, status);
  tsd_json_write_string (f, tsd_json_str (tsd_json_get (st, "bundle")));
  fputs (",\n  \"rootfs\": ", f);
  tsd_json_write_string (f, tsd_json_str (tsd_json_get (st, "rootfs")));
  fputs (",\n  \"created\": ", f);
  tsd_json_write_string (f, tsd_json_str (tsd_json_get (st, "created")));
  fputs (",\n  \"owner\": \"\",\n  \"annotations\": ", f);
  tsd_json_write (f, tsd_json_get (st, "annotations"));
  fputs ("\n}\n", f);
}
