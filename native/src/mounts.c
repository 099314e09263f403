/* mounts.c: the spec's mounts, cgroup mounts included (see mounts.h). */
#include "mounts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups.h"
#include "devices.h"
#include "fsutil.h"
#include "mountopts.h"
#include "securejoin.h"
#include "utils.h"

/* ---- cgroup mounts ----------------------------------------------------- */

/* Bind the init's own cgroup directory of every hierarchy into dest. */
static int
mount_cgroups (const char *target, const char *dest, const struct tsd_mount_opts *o, tsd_error_t *err)
{
  cleanup_free char *line = NULL;
  size_t cap = 0;
  FILE *f;
  int ret = 0;

  if (tsd_cgroup_is_v2 ())
    {
      char src[PATH_MAX];
      FILE *cg = fopen ("/proc/self/cgroup", "re");
      char *l = NULL;
      size_t c = 0;
      if (cg == NULL)
        return tsd_make_error (err, errno, "open `/proc/self/cgroup`");
      snprintf (src, sizeof src, "/sys/fs/cgroup");
      while (getline (&l, &c, cg) > 0)
        if (strncmp (l, "0::", 3) == 0)
          {
            l[strcspn (l, "\n")] = '\0';
            snprintf (src, sizeof src, "/sys/fs/cgroup%s", strcmp (l + 3, "/") ? l + 3 : "");
          }
      free (l);
      fclose (cg);
      if (tsd_do_mount (src, target, NULL, MS_BIND | MS_REC, NULL, dest, err) < 0)
        return -1;
      return tsd_remount_bind (dest, dest, o->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
    }

  /* v1: a tmpfs (rw, as runc leaves it), then one bind per hierarchy. */
  if (tsd_do_mount ("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", dest, err) < 0)
    return -1;
  f = fopen ("/proc/self/cgroup", "re");
  if (f == NULL)
    return tsd_make_error (err, errno, "open `/proc/self/cgroup`");
  while (getline (&line, &cap, f) > 0)
    {
      char *ctrl, *path, *sub, mnt[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
      line[strcspn (line, "\n")] = '\0';
      ctrl = strchr (line, ':');
      if (ctrl == NULL)
        continue;
      ctrl++;
      path = strchr (ctrl, ':');
      if (path == NULL)
        continue;
      *path++ = '\0';
      if (*ctrl == '\0')
        continue; /* the v2 line of a hybrid host */
      if (tsd_cgroup_v1_mountpoint (ctrl, mnt, sizeof mnt) < 0)
        continue;
      sub = strrchr (mnt, '/');
      snprintf (src, sizeof src, "%s%s", mnt, strcmp (path, "/") ? path : "");
      snprintf (dst, sizeof dst, "%s%s", dest, sub);
      if (mkdir (dst, 0755) < 0 && errno != EEXIST)
        {
          ret = tsd_make_error (err, errno, "mkdir `%s`", dst);
          break;
        }
      if (tsd_bind_mount (src, dst, dst, o->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, false, err) < 0)
        {
          ret = -1;
          break;
        }
    }
  fclose (f);
  /* Like runc, the tmpfs itself stays writable ("ro" applies to the hierarchies):
   * it is private to the container and some inits create directories in it. */
  return ret;
}

/* ---- spec mounts ----------------------------------------------------- */

static int
mount_one (const char *rootfs, const struct tsd_mount *m, tsd_error_t *err)
{
  struct tsd_mount_opts o;
  cleanup_free char *dest = NULL;
  cleanup_close int fd = -1;
  char target[64];
  bool src_is_dir = true;
  const char *type = m->type ? m->type : "none";

  if (tsd_mount_opts_parse (m, &o, err) < 0)
    return -1;
  if (tsd_secure_join (rootfs, m->destination, &dest, err) < 0)
    return -1;
  if (o.bind)
    {
      struct stat st;
      if (m->source == NULL || stat (m->source, &st) < 0)
        return tsd_make_error (err, m->source ? errno : EINVAL, "bind mount source `%s`", m->source ? m->source : "");
      src_is_dir = S_ISDIR (st.st_mode);
    }
  if (tsd_mkdir_p_in (rootfs, dest, src_is_dir, err) < 0)
    return -1;
  fd = tsd_open_mount_target (rootfs, dest, target, sizeof target, err);
  if (fd < 0)
    return -1;

  /* The first mount goes on the verified fd; what follows (remount, propagation)
   * must name the new mount's root, so the target is reopened and checked again. */
  unsigned long remount_flags = 0;
  if (o.bind)
    {
      if (tsd_do_mount (m->source, target, NULL, MS_BIND | (o.rec ? MS_REC : 0), NULL, dest, err) < 0)
        return -1;
      remount_flags = o.flags;
    }
  else if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
    {
      if (mount_cgroups (target, dest, &o, err) < 0)
        return -1;
    }
  else if (mount (m->source, target, type, o.flags, o.data[0] ? o.data : NULL) < 0)
    {
      int e = errno;
      /* Without its own network namespace sysfs cannot be mounted: bind the host's. */
      if (strcmp (type, "sysfs") != 0 || (e != EPERM && e != EBUSY))
        return tsd_make_error (err, e, "mount `%s` (%s) on `%s`", m->source ? m->source : "none", type, m->destination);
      if (tsd_do_mount ("/sys", target, NULL, MS_BIND | MS_REC, NULL, dest, err) < 0)
        return -1;
      remount_flags = o.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    }
  if (tsd_mount_needs_remount (remount_flags & ~(MS_REMOUNT | MS_BIND | MS_REC)) || o.propagation)
    {
      close (fd);
      fd = tsd_open_mount_target (rootfs, dest, target, sizeof target, err);
      if (fd < 0)
        return -1;
      if (tsd_remount_bind (target, dest, remount_flags, err) < 0)
        return -1;
      if (o.propagation && mount (NULL, target, NULL, o.propagation, NULL) < 0)
        return tsd_make_error (err, errno, "set propagation of `%s`", m->destination);
    }
  return 0;
}

int
tsd_mounts_prepare (const struct tsd_spec *s, const char *rootfs, tsd_error_t *err)
{
  unsigned long prop = tsd_propagation_of (s->rootfs_propagation, MS_PRIVATE | MS_REC);

  /* Nothing we do here may leak back to the host. */
  if (mount (NULL, "/", NULL, (prop & MS_SHARED) ? (MS_SLAVE | MS_REC) : (prop | MS_REC), NULL) < 0)
    return tsd_make_error (err, errno, "make `/` %s", (prop & MS_SLAVE) ? "rslave" : "rprivate");
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return tsd_make_error (err, errno, "bind rootfs `%s`", rootfs);
  for (size_t i = 0; i < s->n_mounts; i++)
    if (mount_one (rootfs, &s->mounts[i], err) < 0)
      return -1;
  return tsd_setup_dev (s, rootfs, err);
}
