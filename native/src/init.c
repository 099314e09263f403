/* init.c: see init.h. Runs as the first process of the container's namespaces. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cgroups.h"
#include "console.h"
#include "fsutil.h"
#include "mounts.h"
#include "securejoin.h"
#include "process.h"
#include "netns.h"
#include "seccomp.h"
#include "utils.h"

static int sync_fd = -1;

__attribute__ ((noreturn)) static void
fail (int exit_code, tsd_error_t *err)
{
  struct tsd_sync_msg m = { .kind = 'E', .exit_code = exit_code };
  snprintf (m.msg, sizeof m.msg, "%s", err && *err && (*err)->msg ? (*err)->msg : "container init failed");
  if (sync_fd >= 0)
    TEMP_FAILURE_RETRY (send (sync_fd, &m, sizeof m, MSG_NOSIGNAL));
  else
    fprintf (stderr, "%s\n", m.msg);
  _exit (exit_code);
}

static int
join_or_unshare (const struct tsd_spec *s, int flag, const char *name, tsd_error_t *err)
{
  const char *path;
  if (!tsd_spec_namespace (s, flag, &path))
    return 0;
  if (path)
    {
      cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return tsd_make_error (err, errno, "open %s namespace `%s`", name, path);
      if (setns (fd, flag) < 0)
        return tsd_make_error (err, errno, "join %s namespace `%s`", name, path);
      return 0;
    }
  if (unshare (flag) < 0)
    return tsd_make_error (err, errno, "create %s namespace", name);
  return 0;
}

/* Its cgroups, then the namespaces: joins by path first, then new ones;
 * cgroup last (the init is in its cgroup by then). */
static int
enter_namespaces (const struct tsd_init_args *a, tsd_error_t *err)
{
  const struct tsd_spec *s = a->spec;
  const char *netns_path = NULL;

  if (tsd_cgroup_enter (a->cgroup_paths, err) < 0 || join_or_unshare (s, CLONE_NEWUSER, "user", err) < 0
      || join_or_unshare (s, CLONE_NEWNET, "network", err) < 0 || join_or_unshare (s, CLONE_NEWIPC, "ipc", err) < 0
      || join_or_unshare (s, CLONE_NEWUTS, "uts", err) < 0 || join_or_unshare (s, CLONE_NEWNS, "mount", err) < 0
      || join_or_unshare (s, CLONE_NEWCGROUP, "cgroup", err) < 0)
    return -1;
  if (!tsd_spec_namespace (s, CLONE_NEWNS, NULL))
    return tsd_make_error (err, 0, "a mount namespace is required");
  if (tsd_spec_namespace (s, CLONE_NEWNET, &netns_path) && netns_path == NULL)
    return tsd_netns_setup_loopback (err);
  return 0;
}

static int
set_limits (const struct tsd_spec *s, tsd_error_t *err)
{
  umask (0);
  if (s->has_oom_score_adj)
    {
      char v[16];
      snprintf (v, sizeof v, "%d", s->oom_score_adj);
      if (tsd_write_file ("/proc/self/oom_score_adj", v, strlen (v), err) < 0)
        return -1;
    }
  return tsd_process_rlimits (s, err);
}

/* The container's root: mounts, the cwd made inside it, pivot_root, names,
 * then what is done inside it (sysctls, masked and read-only paths). */
static int
build_root (const struct tsd_init_args *a, tsd_error_t *err)
{
  const struct tsd_spec *s = a->spec;
  cleanup_free char *cwd = NULL;

  if (tsd_mounts_prepare (s, a->rootfs, err) < 0 || tsd_secure_join (a->rootfs, s->cwd, &cwd, err) < 0
      || tsd_mkdir_p_in (a->rootfs, cwd, true, err) < 0 || tsd_pivot_root (a->rootfs, err) < 0)
    return -1;
  if (s->hostname && *s->hostname && sethostname (s->hostname, strlen (s->hostname)) < 0)
    return tsd_make_error (err, errno, "sethostname `%s`", s->hostname);
  if (s->domainname && *s->domainname && setdomainname (s->domainname, strlen (s->domainname)) < 0)
    return tsd_make_error (err, errno, "setdomainname `%s`", s->domainname);
  return tsd_mounts_finalize (s, err);
}

/* Terminal: the master goes to the console socket, the slave becomes 0-2. */
static int
hand_over_console (const struct tsd_init_args *a, tsd_error_t *err)
{
  int master, slave;
  if (a->console_fd < 0)
    return 0;
  if (tsd_open_pty (&master, &slave, a->spec->console_height, a->spec->console_width, err) < 0
      || tsd_send_fd (a->console_fd, master, "console", err) < 0 || tsd_set_ctty (slave, err) < 0)
    return -1;
  close (master);
  close (a->console_fd);
  if (slave > 2)
    close (slave);
  return 0;
}

/* Identity and privileges. Like runc, seccomp goes in while we still hold
 * CAP_SYS_ADMIN unless no_new_privs is asked for (then it is the last step). */
static int
take_identity (const struct tsd_init_args *a, tsd_error_t *err)
{
  const struct tsd_spec *s = a->spec;
  if (!s->no_new_privileges && tsd_seccomp_install (a->seccomp, err) < 0)
    return -1;
  if (tsd_caps_drop_bounding (s, err) < 0 || tsd_process_set_user (s, err) < 0 || tsd_caps_apply (s, err) < 0)
    return -1;
  umask (s->has_umask ? s->umask : 022);
  return 0;
}

/* Report ready, then block until `start` opens the fifo (reached through
 * fifo_fd, an O_PATH fd) for reading. Failures now can only exit. */
static void
wait_for_start (int fifo_fd)
{
  struct tsd_sync_msg ready = { .kind = 'R' };
  char proc_fifo[64];
  int fd;

  /* The create process may exit now, so we must not die with it. */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (TEMP_FAILURE_RETRY (send (sync_fd, &ready, sizeof ready, MSG_NOSIGNAL)) < 0)
    _exit (125);
  close (sync_fd);
  sync_fd = -1;
  snprintf (proc_fifo, sizeof proc_fifo, "/proc/self/fd/%d", fifo_fd);
  fd = open (proc_fifo, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    {
      fprintf (stderr, "open exec fifo: %s\n", strerror (errno));
      _exit (125);
    }
  if (TEMP_FAILURE_RETRY (write (fd, "0", 1)) != 1)
    _exit (125);
  close (fd);
  close (fifo_fd);
}

void
tsd_init_run (const struct tsd_init_args *a)
{
  const struct tsd_spec *s = a->spec;
  tsd_error_t err = NULL;
  int fifo_fd, code = 125;
  char *exe;
  const char **env;

  sync_fd = a->sync_fd;
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    fail (125, (tsd_make_error (&err, errno, "prctl PR_SET_PDEATHSIG"), &err));
  if (enter_namespaces (a, &err) < 0 || set_limits (s, &err) < 0)
    fail (125, &err);
  /* The fifo is reached later through an O_PATH fd: its path is gone after pivot_root. */
  fifo_fd = open (a->fifo_path, O_PATH | O_CLOEXEC);
  if (fifo_fd < 0)
    fail (125, (tsd_make_error (&err, errno, "open `%s`", a->fifo_path), &err));
  if (build_root (a, &err) < 0 || hand_over_console (a, &err) < 0)
    fail (125, &err);
  env = tsd_process_env_with_home (s->env, s->uid);
  exe = tsd_process_find_executable (s->args[0], env, &code, &err);
  if (exe == NULL)
    fail (code, &err);
  if (tsd_process_enter_cwd (s->cwd, &err) < 0 || take_identity (a, &err) < 0)
    fail (125, &err);
  wait_for_start (fifo_fd);

  if (s->no_new_privileges)
    {
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        {
          fprintf (stderr, "prctl PR_SET_NO_NEW_PRIVS: %s\n", strerror (errno));
          _exit (125);
        }
      if (tsd_seccomp_install (a->seccomp, &err) < 0)
        {
          fprintf (stderr, "%s\n", err->msg);
          _exit (125);
        }
    }
  tsd_process_close_fds_on_exec ();
  execve (exe, (char *const *) s->args, (char *const *) env);
  fprintf (stderr, "exec %s: %s\n", s->args[0], strerror (errno));
  _exit (errno == ENOENT ? 127 : 126);
}
