/* container.c: create (fork the init, place it in its cgroup, wait until it is
 * ready), start (release it through exec.fifo), state, kill and delete. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups.h"
#include "console.h"
#include "fsutil.h"
#include "init.h"
#include "log.h"
#include "seccomp.h"
#include "seccomp_cache.h"
#include "spec.h"
#include "state.h"
#include "utils.h"

static void
remove_state_dir (const char *dir)
{
  char p[PATH_MAX];
  static const char *files[] = { "exec.fifo", "state.json", "state.json.tmp" };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    {
      snprintf (p, sizeof p, "%s/%s", dir, files[i]);
      unlink (p);
    }
  rmdir (dir);
}

static void
kill_and_reap (pid_t pid)
{
  if (pid <= 0)
    return;
  kill (pid, SIGKILL);
  TEMP_FAILURE_RETRY (waitpid (pid, NULL, 0));
}

int
tsd_container_create (const struct tsd_create_opts *o, pid_t *pid_out, int *exit_code, tsd_error_t *err)
{
  cleanup_spec struct tsd_spec *s = NULL;
  cleanup_free char *bundle = NULL;
  cleanup_free char *rootfs_rel = NULL;
  cleanup_free char *rootfs = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char *fifo = NULL;
  cleanup_close int console = -1;
  struct tsd_cgroup cg = { 0 };
  cleanup_seccomp struct tsd_seccomp_filter filter = { 0 };
  int sv[2] = { -1, -1 };
  const char *pidns_path;
  pid_t pid = -1;
  struct tsd_sync_msg msg;
  ssize_t r;
  char created[64];

  *exit_code = 125;
  bundle = realpath (o->bundle, NULL);
  if (bundle == NULL)
    return tsd_make_error (err, errno, "bundle `%s`", o->bundle);
  s = tsd_spec_load (bundle, err);
  if (s == NULL)
    return -1;
  if (s->has_user_ns)
    return tsd_make_error (err, 0, "user namespaces are not supported by tsd-runtime");
  if (s->has_seccomp && !tsd_seccomp_available ())
    tsd_log ("warning", "linux.seccomp is not applied: tsd-runtime was built without libseccomp");
  if (s->terminal && o->console_socket == NULL && !o->foreground)
    return tsd_make_error (err, 0, "cannot allocate tty if tsd-runtime will detach without setting console socket");
  if (asprintf (&rootfs_rel, "%s%s%s", s->root_path[0] == '/' ? "" : bundle, s->root_path[0] == '/' ? "" : "/",
                s->root_path) < 0)
    return tsd_make_error (err, ENOMEM, "rootfs");
  rootfs = realpath (rootfs_rel, NULL);
  if (rootfs == NULL)
    return tsd_make_error (err, errno, "rootfs `%s`", rootfs_rel);

  if (tsd_state_dir (o->root, o->id, &dir, err) < 0 || tsd_mkdir_p (o->root, 0700, err) < 0)
    return -1;
  if (mkdir (dir, 0700) < 0)
    {
      if (errno == EEXIST)
        return tsd_make_error (err, 0, "container with id exists: %s", o->id);
      return tsd_make_error (err, errno, "mkdir `%s`", dir);
    }
  if (asprintf (&fifo, "%s/exec.fifo", dir) < 0)
    {
      tsd_make_error (err, ENOMEM, "fifo");
      goto fail;
    }
  if (mkfifo (fifo, 0600) < 0)
    {
      tsd_make_error (err, errno, "mkfifo `%s`", fifo);
      goto fail;
    }
  if (s->terminal && o->console_socket)
    {
      console = tsd_unix_connect (o->console_socket, err);
      if (console < 0)
        goto fail;
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      tsd_make_error (err, errno, "socketpair");
      goto fail;
    }

  /* Created before the fork: the init enters them itself (see tsd_cgroup_enter). */
  if (tsd_cgroup_create (s, o->id, 0, &cg, err) < 0 || tsd_seccomp_compile_cached (s->seccomp, o->root, &filter, err) < 0)
    goto fail;

  /* The pid namespace applies to children: enter or create it before forking. */
  if (tsd_spec_namespace (s, CLONE_NEWPID, &pidns_path))
    {
      if (pidns_path)
        {
          cleanup_close int nsfd = open (pidns_path, O_RDONLY | O_CLOEXEC);
          if (nsfd < 0 || setns (nsfd, CLONE_NEWPID) < 0)
            {
              tsd_make_error (err, errno, "join pid namespace `%s`", pidns_path);
              goto fail;
            }
        }
      else if (unshare (CLONE_NEWPID) < 0)
        {
          tsd_make_error (err, errno, "create pid namespace");
          goto fail;
        }
    }

  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      tsd_make_error (err, errno, "fork");
      goto fail;
    }
  if (pid == 0)
    {
      struct tsd_init_args a = { .spec = s, .rootfs = rootfs, .fifo_path = fifo, .sync_fd = sv[1],
                                 .console_fd = console, .cgroup_paths = cg.paths, .seccomp = &filter };
      close (sv[0]);
      tsd_init_run (&a);
    }
  close (sv[1]);
  sv[1] = -1;

  memset (&msg, 0, sizeof msg);
  r = TEMP_FAILURE_RETRY (recv (sv[0], &msg, sizeof msg, 0));
  if (r <= 0)
    {
      int status = 0;
      if (TEMP_FAILURE_RETRY (waitpid (pid, &status, 0)) == pid)
        {
          pid = -1; /* reaped */
          if (WIFSIGNALED (status))
            tsd_make_error (err, 0, "container init was killed by signal %d before it was ready", WTERMSIG (status));
          else
            tsd_make_error (err, 0, "container init exited with status %d before it was ready", WEXITSTATUS (status));
        }
      else
        tsd_make_error (err, r < 0 ? errno : 0, "container init exited before it was ready");
      goto fail;
    }
  if (msg.kind != 'R')
    {
      msg.msg[sizeof msg.msg - 1] = '\0';
      *exit_code = msg.exit_code == 126 || msg.exit_code == 127 ? msg.exit_code : 125;
      tsd_make_error (err, 0, "%s", msg.msg);
      goto fail;
    }
  close (sv[0]);
  sv[0] = -1;

  tsd_rfc3339_now (created, sizeof created);
  {
    struct tsd_state st = { .id = o->id, .bundle = bundle, .rootfs = rootfs, .created = created, .pid = pid,
                            .starttime = tsd_proc_starttime (pid), .cgroup_paths = cg.paths,
                            .annotations = s->annotations };
    if (tsd_state_write (dir, &st, err) < 0)
      goto fail;
  }
  if (o->pid_file)
    {
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%d", (int) pid);
      cleanup_free char *abs = o->pid_file[0] == '/' ? strdup (o->pid_file) : realpath (".", NULL);
      if (abs && o->pid_file[0] != '/')
        {
          char *full = NULL;
          if (asprintf (&full, "%s/%s", abs, o->pid_file) < 0)
            full = NULL;
          free (abs);
          abs = full;
        }
      if (abs == NULL || tsd_write_file_atomic (abs, buf, (size_t) n, 0644, err) < 0)
        {
          if (abs == NULL)
            tsd_make_error (err, ENOMEM, "pid file");
          goto fail;
        }
    }
  tsd_cgroup_release (&cg);
  *pid_out = pid;
  return 0;

fail:
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  kill_and_reap (pid);
  if (cg.paths)
    {
      tsd_error_t ignored = NULL;
      tsd_cgroup_destroy (cg.paths, &ignored);
      tsd_error_release (&ignored);
    }
  tsd_cgroup_release (&cg);
  remove_state_dir (dir);
  return -1;
}

static bool
pid_alive (const tsd_json *st)
{
  const tsd_json *pid = tsd_json_get (st, "pid"), *start = tsd_json_get (st, "starttime");
  uint64_t now;
  if (pid == NULL || !pid->is_int)
    return false;
  now = tsd_proc_starttime ((pid_t) pid->integer);
  return now != 0 && !(start && start->is_int && (uint64_t) start->integer != now);
}

int
tsd_container_start (const char *root, const char *id, tsd_error_t *err)
{
  cleanup_json tsd_json *st = tsd_state_read (root, id, err);
  cleanup_free char *dir = NULL;
  cleanup_close int fd = -1;
  char fifo[PATH_MAX], c;
  const char *status;

  if (st == NULL || tsd_state_dir (root, id, &dir, err) < 0)
    return -1;
  status = tsd_state_status (dir, st);
  if (strcmp (status, "created") != 0)
    return tsd_make_error (err, 0, strcmp (status, "running") == 0 ? "cannot start an already running container"
                                                                  : "cannot start a container that has stopped");
  snprintf (fifo, sizeof fifo, "%s/exec.fifo", dir);
  fd = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return tsd_make_error (err, errno, "open `%s`", fifo);
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int n = poll (&p, 1, 100);
      if (n < 0 && errno != EINTR)
        return tsd_make_error (err, errno, "poll `%s`", fifo);
      if (n > 0)
        {
          ssize_t r = TEMP_FAILURE_RETRY (read (fd, &c, 1));
          if (r == 1)
            break;
          if (r < 0 && errno != EAGAIN)
            return tsd_make_error (err, errno, "read `%s`", fifo);
          if (r == 0 && !pid_alive (st))
            return tsd_make_error (err, 0, "container init exited before start");
        }
      if (!pid_alive (st))
        return tsd_make_error (err, 0, "container init exited before start");
    }
  if (unlink (fifo) < 0 && errno != ENOENT)
    return tsd_make_error (err, errno, "unlink `%s`", fifo);
  return 0;
}

int
tsd_container_state (const char *root, const char *id, FILE *out, tsd_error_t *err)
{
  cleanup_json tsd_json *st = tsd_state_read (root, id, err);
  cleanup_free char *dir = NULL;
  if (st == NULL || tsd_state_dir (root, id, &dir, err) < 0)
    return -1;
  tsd_state_print (out, dir, st);
  return 0;
}

int
tsd_container_kill (const char *root, const char *id, int sig, bool all, tsd_error_t *err)
{
  cleanup_json tsd_json *st = tsd_state_read (root, id, err);
  cleanup_free char *dir = NULL;
  cleanup_free char **cgs = NULL;

  if (st == NULL || tsd_state_dir (root, id, &dir, err) < 0)
    return -1;
  cgs = tsd_state_cgroups (st);
  if (all)
    {
      int n = tsd_cgroup_kill (cgs, sig);
      if (n > 0 || !pid_alive (st))
        return n > 0 ? 0 : tsd_make_error (err, 0, "container not running");
    }
  if (!pid_alive (st))
    return tsd_make_error (err, 0, "container not running");
  if (kill ((pid_t) tsd_json_get (st, "pid")->integer, sig) < 0)
    return tsd_make_error (err, errno, "kill container init");
  return 0;
}

int
tsd_container_delete (const char *root, const char *id, bool force, tsd_error_t *err)
{
  cleanup_json tsd_json *st = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char **cgs = NULL;
  const char *status;

  if (tsd_state_dir (root, id, &dir, err) < 0)
    return -1;
  st = tsd_state_read (root, id, err);
  if (st == NULL)
    {
      if (force && (*err)->status == ENOENT)
        {
          tsd_error_release (err);
          remove_state_dir (dir);
          return 0;
        }
      return -1;
    }
  status = tsd_state_status (dir, st);
  if (strcmp (status, "running") == 0 && !force)
    return tsd_make_error (err, 0, "cannot delete container %s that is not stopped: running", id);
  cgs = tsd_state_cgroups (st);
  if (strcmp (status, "stopped") != 0)
    {
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      kill ((pid_t) tsd_json_get (st, "pid")->integer, SIGKILL);
      tsd_cgroup_kill (cgs, SIGKILL);
      for (int i = 0; i < 500 && pid_alive (st); i++)
        nanosleep (&ts, NULL);
    }
  if (tsd_cgroup_destroy (cgs, err) < 0)
    return -1;
  remove_state_dir (dir);
  return 0;
}

