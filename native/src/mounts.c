/* mounts.c: see mounts.h. */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroups.h"
#include "fsutil.h"
#include "utils.h"

/* ---- secure join ----------------------------------------------------- */

int
tsd_secure_join (const char *root, const char *unsafe, char **out, tsd_error_t *err)
{
  /* `todo` holds the components still to walk, `done` the resolved prefix (relative to root). */
  cleanup_free char *todo = calloc (1, PATH_MAX);
  cleanup_free char *done = calloc (1, PATH_MAX);
  int links = 0;
  size_t done_len = 0;

  if (todo == NULL || done == NULL)
    return tsd_make_error (err, ENOMEM, "resolve `%s`", unsafe);
  if (strlen (unsafe) >= PATH_MAX)
    return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
  strcpy (todo, unsafe);
  while (todo[0] != '\0')
    {
      char *slash, comp[NAME_MAX + 1], full[PATH_MAX], link[PATH_MAX];
      size_t clen;
      struct stat st;
      ssize_t ln;

      while (todo[0] == '/')
        memmove (todo, todo + 1, strlen (todo));
      if (todo[0] == '\0')
        break;
      slash = strchr (todo, '/');
      clen = slash ? (size_t) (slash - todo) : strlen (todo);
      if (clen > NAME_MAX)
        return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
      memcpy (comp, todo, clen);
      comp[clen] = '\0';
      memmove (todo, todo + clen, strlen (todo + clen) + 1);

      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          char *last = strrchr (done, '/');
          done_len = last ? (size_t) (last - done) : 0;
          done[done_len] = '\0';
          continue;
        }
      if (done_len + clen + 2 >= PATH_MAX)
        return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
      if (snprintf (full, sizeof full, "%s%s/%s", root, done, comp) >= (int) sizeof full)
        return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
      if (lstat (full, &st) < 0)
        {
          if (errno != ENOENT && errno != ENOTDIR)
            return tsd_make_error (err, errno, "lstat `%s`", full);
          /* Missing: the rest is taken literally (it will be created). */
          done[done_len++] = '/';
          memcpy (done + done_len, comp, clen + 1);
          done_len += clen;
          continue;
        }
      if (!S_ISLNK (st.st_mode))
        {
          done[done_len++] = '/';
          memcpy (done + done_len, comp, clen + 1);
          done_len += clen;
          continue;
        }
      if (++links > 255)
        return tsd_make_error (err, ELOOP, "resolve `%s`", unsafe);
      ln = readlink (full, link, sizeof link - 1);
      if (ln < 0)
        return tsd_make_error (err, errno, "readlink `%s`", full);
      link[ln] = '\0';
      if (link[0] == '/')
        {
          done_len = 0;
          done[0] = '\0';
        }
      if ((size_t) ln + strlen (todo) + 2 >= PATH_MAX)
        return tsd_make_error (err, ENAMETOOLONG, "resolve `%s`", unsafe);
      {
        char tmp[PATH_MAX];
        snprintf (tmp, sizeof tmp, "%s/%s", link, todo);
        strcpy (todo, tmp);
      }
    }
  if (asprintf (out, "%s%s", root, done_len ? done : "") < 0)
    return tsd_make_error (err, ENOMEM, "resolve `%s`", unsafe);
  return 0;
}

/* ---- options --------------------------------------------------------- */

struct mount_opts
{
  unsigned long flags, propagation;
  bool bind, rec;
  char data[1024];
};

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

static int
parse_options (const struct tsd_mount *m, struct mount_opts *o, tsd_error_t *err)
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

/* ---- helpers --------------------------------------------------------- */

static unsigned long
current_flags (const char *path)
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
static int
open_target (const char *rootfs, const char *path, char *procpath, size_t n, tsd_error_t *err)
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

static int
do_mount (const char *src, const char *dst, const char *type, unsigned long flags, const char *data,
          const char *what, tsd_error_t *err)
{
  if (mount (src, dst, type, flags, data) < 0)
    return tsd_make_error (err, errno, "mount `%s` on `%s`", src ? src : "none", what);
  return 0;
}

static bool
needs_remount (unsigned long flags)
{
  return flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME);
}

/* Apply flags to the bind mount now at `mounted` (a path naming the mount's root). */
static int
remount_bind (const char *mounted, const char *what, unsigned long flags, tsd_error_t *err)
{
  flags &= ~(MS_REMOUNT | MS_BIND | MS_REC);
  if (!needs_remount (flags))
    return 0;
  if (mount (NULL, mounted, NULL, MS_BIND | MS_REMOUNT | flags | current_flags (mounted), NULL) < 0)
    return tsd_make_error (err, errno, "remount `%s`", what);
  return 0;
}

/* Bind src onto the real path target, then apply the flags with a remount
 * (used where the path was just created by us, e.g. under the cgroup tmpfs). */
static int
bind_mount (const char *src, const char *target, const char *what, unsigned long flags, bool rec, tsd_error_t *err)
{
  if (do_mount (src, target, NULL, MS_BIND | (rec ? MS_REC : 0), NULL, what, err) < 0)
    return -1;
  return remount_bind (target, what, flags, err);
}

/* ---- cgroup mounts ----------------------------------------------------- */

/* Bind the init's own cgroup directory of every hierarchy into dest. */
static int
mount_cgroups (const char *target, const char *dest, const struct mount_opts *o, tsd_error_t *err)
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
      if (do_mount (src, target, NULL, MS_BIND | MS_REC, NULL, dest, err) < 0)
        return -1;
      return remount_bind (dest, dest, o->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
    }

  /* v1: a tmpfs (rw, as runc leaves it), then one bind per hierarchy. */
  if (do_mount ("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", dest, err) < 0)
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
      if (bind_mount (src, dst, dst, o->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, false, err) < 0)
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
  struct mount_opts o;
  cleanup_free char *dest = NULL;
  cleanup_close int fd = -1;
  char target[64];
  bool src_is_dir = true;
  const char *type = m->type ? m->type : "none";

  if (parse_options (m, &o, err) < 0)
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
  fd = open_target (rootfs, dest, target, sizeof target, err);
  if (fd < 0)
    return -1;

  /* The first mount goes on the verified fd; what follows (remount, propagation)
   * must name the new mount's root, so the target is reopened and checked again. */
  unsigned long remount_flags = 0;
  if (o.bind)
    {
      if (do_mount (m->source, target, NULL, MS_BIND | (o.rec ? MS_REC : 0), NULL, dest, err) < 0)
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
      if (do_mount ("/sys", target, NULL, MS_BIND | MS_REC, NULL, dest, err) < 0)
        return -1;
      remount_flags = o.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    }
  if (needs_remount (remount_flags & ~(MS_REMOUNT | MS_BIND | MS_REC)) || o.propagation)
    {
      close (fd);
      fd = open_target (rootfs, dest, target, sizeof target, err);
      if (fd < 0)
        return -1;
      if (remount_bind (target, dest, remount_flags, err) < 0)
        return -1;
      if (o.propagation && mount (NULL, target, NULL, o.propagation, NULL) < 0)
        return tsd_make_error (err, errno, "set propagation of `%s`", m->destination);
    }
  return 0;
}

/* ---- /dev ------------------------------------------------------------ */

static int
make_device (const char *rootfs, const char *path, char type, int64_t major, int64_t minor, mode_t mode,
             uid_t uid, gid_t gid, tsd_error_t *err)
{
  cleanup_free char *dest = NULL;
  mode_t ft = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

  if (tsd_secure_join (rootfs, path, &dest, err) < 0)
    return -1;
  if (tsd_mkdir_parent_in (rootfs, dest, err) < 0)
    return -1;
  if (unlink (dest) < 0 && errno != ENOENT)
    return tsd_make_error (err, errno, "unlink `%s`", dest);
  if (mknod (dest, ft | (mode & 07777), makedev ((unsigned) major, (unsigned) minor)) < 0)
    {
      /* No mknod (e.g. nested): bind the host's node instead. */
      if (errno != EPERM || ft == S_IFIFO)
        return tsd_make_error (err, errno, "mknod `%s`", dest);
      int fd = open (dest, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd < 0)
        return tsd_make_error (err, errno, "create `%s`", dest);
      close (fd);
      if (mount (path, dest, NULL, MS_BIND, NULL) < 0)
        return tsd_make_error (err, errno, "bind `%s` on `%s`", path, dest);
      return 0;
    }
  if (chown (dest, uid, gid) < 0)
    return tsd_make_error (err, errno, "chown `%s`", dest);
  return 0;
}

static int
make_symlink (const char *rootfs, const char *target, const char *link, tsd_error_t *err)
{
  char dest[PATH_MAX];
  snprintf (dest, sizeof dest, "%s%s", rootfs, link);
  if (symlink (target, dest) < 0)
    {
      if (errno != EEXIST)
        return tsd_make_error (err, errno, "symlink `%s`", dest);
      /* /dev/ptmx may exist as a node in an image's /dev: replace it. */
      if (strcmp (link, "/dev/ptmx") == 0 && (unlink (dest) < 0 || symlink (target, dest) < 0))
        return tsd_make_error (err, errno, "symlink `%s`", dest);
    }
  return 0;
}

static int
setup_dev (const struct tsd_spec *s, const char *rootfs, tsd_error_t *err)
{
  static const struct
  {
    const char *path;
    int major, minor;
  } defaults[] = {
    { "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
    { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
  };
  static const char *const links[][2] = {
    { "/proc/self/fd", "/dev/fd" },     { "/proc/self/fd/0", "/dev/stdin" },
    { "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
    { "pts/ptmx", "/dev/ptmx" },
  };
  char devdir[PATH_MAX];

  /* A /dev bind-mounted from the host is used as it is (like runc). */
  for (size_t i = 0; i < s->n_mounts; i++)
    if (strcmp (s->mounts[i].destination, "/dev") == 0)
      {
        struct mount_opts o;
        if (parse_options (&s->mounts[i], &o, err) < 0)
          return -1;
        if (o.bind)
          return 0;
      }
  snprintf (devdir, sizeof devdir, "%s/dev", rootfs);
  if (mkdir (devdir, 0755) < 0 && errno != EEXIST)
    return tsd_make_error (err, errno, "mkdir `%s`", devdir);
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
    {
      bool in_spec = false;
      for (size_t k = 0; k < s->n_devices; k++)
        in_spec |= strcmp (s->devices[k].path, defaults[i].path) == 0;
      if (!in_spec && make_device (rootfs, defaults[i].path, 'c', defaults[i].major, defaults[i].minor, 0666, 0, 0, err) < 0)
        return -1;
    }
  for (size_t k = 0; k < s->n_devices; k++)
    {
      const struct tsd_device *d = &s->devices[k];
      if (make_device (rootfs, d->path, d->type == 'u' ? 'c' : d->type, d->major, d->minor,
                       d->has_mode ? d->mode : 0666, d->uid, d->gid, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (make_symlink (rootfs, links[i][0], links[i][1], err) < 0)
      return -1;
  if (access ("/proc/kcore", F_OK) == 0 && make_symlink (rootfs, "/proc/kcore", "/dev/core", err) < 0)
    return -1;
  return 0;
}

/* ---- entry points ---------------------------------------------------- */

static unsigned long
propagation_of (const char *name, unsigned long dflt)
{
  if (name == NULL || *name == '\0')
    return dflt;
  for (size_t k = 0; k < sizeof prop_table / sizeof prop_table[0]; k++)
    if (strcmp (name, prop_table[k].name) == 0)
      return prop_table[k].flag;
  return dflt;
}

int
tsd_mounts_prepare (const struct tsd_spec *s, const char *rootfs, tsd_error_t *err)
{
  unsigned long prop = propagation_of (s->rootfs_propagation, MS_PRIVATE | MS_REC);

  /* Nothing we do here may leak back to the host. */
  if (mount (NULL, "/", NULL, (prop & MS_SHARED) ? (MS_SLAVE | MS_REC) : (prop | MS_REC), NULL) < 0)
    return tsd_make_error (err, errno, "make `/` %s", (prop & MS_SLAVE) ? "rslave" : "rprivate");
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return tsd_make_error (err, errno, "bind rootfs `%s`", rootfs);
  for (size_t i = 0; i < s->n_mounts; i++)
    if (mount_one (rootfs, &s->mounts[i], err) < 0)
      return -1;
  return setup_dev (s, rootfs, err);
}

int
tsd_pivot_root (const char *rootfs, tsd_error_t *err)
{
  cleanup_close int oldroot = -1;
  cleanup_close int newroot = -1;

  oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return tsd_make_error (err, errno, "open `/`");
  newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return tsd_make_error (err, errno, "open `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return tsd_make_error (err, errno, "chdir `%s`", rootfs);
  /* pivot_root(".", ".") stacks the old root on top of the new one. */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return tsd_make_error (err, errno, "pivot_root `%s`", rootfs);
  if (fchdir (oldroot) < 0)
    return tsd_make_error (err, errno, "chdir to the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return tsd_make_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return tsd_make_error (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return tsd_make_error (err, errno, "chdir `/`");
  return 0;
}

static int
write_sysctl (const char *key, const char *value, tsd_error_t *err)
{
  char path[PATH_MAX];
  size_t n = (size_t) snprintf (path, sizeof path, "/proc/sys/%s", key);
  if (n >= sizeof path)
    return tsd_make_error (err, ENAMETOOLONG, "sysctl `%s`", key);
  for (char *p = path + 10; *p; p++)
    if (*p == '.')
      *p = '/';
  return tsd_write_file (path, value, strlen (value), err) < 0 ? tsd_error_wrap (err, "sysctl `%s`", key) : 0;
}

static int
mask_path (const char *path, tsd_error_t *err)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return errno == ENOENT ? 0 : tsd_make_error (err, errno, "stat masked path `%s`", path);
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
        return tsd_make_error (err, errno, "mask `%s`", path);
      return 0;
    }
  if (mount ("/dev/null", path, NULL, MS_BIND, NULL) < 0 && errno != ENOENT)
    return tsd_make_error (err, errno, "mask `%s`", path);
  return 0;
}

static int
readonly_path (const char *path, tsd_error_t *err)
{
  if (mount (path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return errno == ENOENT ? 0 : tsd_make_error (err, errno, "bind read-only path `%s`", path);
  if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | current_flags (path), NULL) < 0)
    return tsd_make_error (err, errno, "remount `%s` read-only", path);
  return 0;
}

int
tsd_mounts_finalize (const struct tsd_spec *s, tsd_error_t *err)
{
  for (size_t i = 0; i < s->n_sysctl; i++)
    if (write_sysctl (s->sysctl_keys[i], s->sysctl_values[i], err) < 0)
      return -1;
  for (size_t i = 0; i < s->n_readonly; i++)
    if (readonly_path (s->readonly_paths[i], err) < 0)
      return -1;
  for (size_t i = 0; i < s->n_masked; i++)
    if (mask_path (s->masked_paths[i], err) < 0)
      return -1;
  if (s->root_readonly
      && mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | current_flags ("/"), NULL) < 0)
    return tsd_make_error (err, errno, "remount `/` read-only");
  return 0;
}
