/* mountopts.c: see mountopts.h. */
#include "mountopts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const struct
{
  const char *name;
  bool clear;
  unsigned long flag;
} flag_table[] = {
  { "ro", false, MS_RDONLY },          { "rw", true, MS_RDONLY },
  { "nosuid", false, MS_NOSUID },      { "suid", true, MS_NOSUID },
  { "nodev", false, MS_NODEV },        { "dev", true, MS_NODEV },
  { "noexec", false, MS_NOEXEC },      { "exec", true, MS_NOEXEC },
  { "sync", false, MS_SYNCHRONOUS },   { "async", true, MS_SYNCHRONOUS },
  { "dirsync", false, MS_DIRSYNC },    { "remount", false, MS_REMOUNT },
  { "mand", false, MS_MANDLOCK },      { "nomand", true, MS_MANDLOCK },
  { "atime", true, MS_NOATIME },       { "noatime", false, MS_NOATIME },
  { "diratime", true, MS_NODIRATIME }, { "nodiratime", false, MS_NODIRATIME },
  { "relatime", false, MS_RELATIME },  { "norelatime", true, MS_RELATIME },
  { "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
};

static const struct
{
  const char *name;
  unsigned long flag;
} prop_table[] = {
  { "private", MS_PRIVATE },           { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED },             { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },               { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE },     { "runbindable", MS_UNBINDABLE | MS_REC },
};

int
tsd_mount_opts_parse (const struct tsd_mount *m, struct tsd_mount_opts *o, tsd_error_t *err)
{
  memset (o, 0, sizeof *o);
  if (m->type && strcmp (m->type, "bind") == 0)
    o->bind = true;
  for (size_t i = 0; i < m->n_options; i++)
    {
      const char *opt = m->options[i];
      size_t k;
      bool found = false;
      if (strcmp (opt, "bind") == 0 || strcmp (opt, "rbind") == 0)
        {
          o->bind = true;
          o->rec = opt[0] == 'r';
          continue;
        }
      if (strcmp (opt, "tmpcopyup") == 0 || strncmp (opt, "idmap", 5) == 0 || strncmp (opt, "ridmap", 6) == 0)
        continue;
      for (k = 0; k < sizeof flag_table / sizeof flag_table[0]; k++)
        if (strcmp (opt, flag_table[k].name) == 0)
          {
            if (flag_table[k].clear)
              o->flags &= ~flag_table[k].flag;
            else
              o->flags |= flag_table[k].flag;
            found = true;
            break;
          }
      for (k = 0; !found && k < sizeof prop_table / sizeof prop_table[0]; k++)
        if (strcmp (opt, prop_table[k].name) == 0)
          {
            o->propagation = prop_table[k].flag;
            found = true;
          }
      if (found)
        continue;
      size_t used = strlen (o->data);
      if (used + strlen (opt) + 2 > sizeof o->data)
        return tsd_make_error (err, E2BIG, "mount options of `%s`", m->destination);
      if (used)
        strcat (o->data, ",");
      strcat (o->data, opt);
    }
  return 0;
}

unsigned long
tsd_propagation_of (const char *name, unsigned long dflt)
{
  if (name == NULL || *name == '\0')
    return dflt;
  for (size_t k = 0; k < sizeof prop_table / sizeof prop_table[0]; k++)
    if (strcmp (name, prop_table[k].name) == 0)
      return prop_table[k].flag;
  return dflt;
}

unsigned long
tsd_mount_current_flags (const char *path)
{
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs (path, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

/* Open the resolved target with O_PATH and check it is still inside rootfs;
 * mounting on /proc/self/fd/N then cannot be redirected by a symlink swap. */
int
tsd_open_mount_target (const char *rootfs, const char *path, char *procpath, size_t n, tsd_error_t *err)
{
  char real[PATH_MAX];
  ssize_t l;
  size_t rl = strlen (rootfs);
  int fd = open (path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return tsd_make_error (err, errno, "open mount target `%s`", path);
  snprintf (procpath, n, "/proc/self/fd/%d", fd);
  l = readlink (procpath, real, sizeof real - 1);
  if (l < 0)
    {
      close (fd);
      return tsd_make_error (err, errno, "readlink `%s`", procpath);
    }
  real[l] = '\0';
  if (strncmp (real, rootfs, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
    {
      close (fd);
      return tsd_make_error (err, EXDEV, "mount target `%s` escapes the rootfs (`%s`)", path, real);
    }
  return fd;
}

int
tsd_do_mount (const char *src, const char *dst, const char *type, unsigned long flags, const char *data,
          const char *what, tsd_error_t *err)
{
  if (mount (src, dst, type, flags, data) < 0)
    return tsd_make_error (err, errno, "mount `%s` on `%s`", src ? src : "none", what);
  return 0;
}

bool
tsd_mount_needs_remount (unsigned long flags)
{
  return flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME);
}

/* Apply flags to the bind mount now at `mounted` (a path naming the mount's root). */
int
tsd_remount_bind (const char *mounted, const char *what, unsigned long flags, tsd_error_t *err)
{
  flags &= ~(MS_REMOUNT | MS_BIND | MS_REC);
  if (!tsd_mount_needs_remount (flags))
    return 0;
  if (mount (NULL, mounted, NULL, MS_BIND | MS_REMOUNT | flags | tsd_mount_current_flags (mounted), NULL) < 0)
    return tsd_make_error (err, errno, "remount `%s`", what);
  return 0;
}

/* Bind src onto the real path target, then apply the flags with a remount
 * (used where the path was just created by us, e.g. under the cgroup tmpfs). */
int
tsd_bind_mount (const char *src, const char *target, const char *what, unsigned long flags, bool rec, tsd_error_t *err)
{
  if (tsd_do_mount (src, target, NULL, MS_BIND | (rec ? MS_REC : 0), NULL, what, err) < 0)
    return -1;
  return tsd_remount_bind (target, what, flags, err);
}
