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

/* What a create holds while it runs; create_undo releases it, and undoes what
 * was made (init, cgroups, state dir) unless the create succeeded. */
struct create_ctx
{
  const struct tsd_create_opts *o;
  struct tsd_spec *spec;
  char *bundle, *rootfs, *dir, *fifo;
  bool dir_made, succeeded;
  int console, sync[2]; /* sync: [0] ours, [1] the init's */
  struct tsd_cgroup cg;
  struct tsd_seccomp_filter filter;
  pid_t pid;
};

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
create_undo (struct create_ctx *c)
{
  close_fd (&c->sync[0]);
  close_fd (&c->sync[1]);
  close_fd (&c->console);
  if (!c->succeeded)
    {
      kill_and_reap (c->pid);
      if (c->cg.paths)
        {
          tsd_error_t ignored = NULL;
          tsd_cgroup_destroy (c->cg.paths, &ignored);
          tsd_error_release (&ignored);
        }
      if (c->dir_made)
        remove_state_dir (c->dir);
    }
  tsd_cgroup_release (&c->cg);
  tsd_seccomp_free (&c->filter);
  tsd_spec_freep (&c->spec);
  free (c->bundle);
  free (c->rootfs);
  free (c->dir);
  free (c->fifo);
}
#define cleanup_create __attribute__ ((cleanup (create_undo)))

/* The bundle's config.json, checked against what tsd-runtime supports, and its rootfs. */
static int
load_bundle (struct create_ctx *c, tsd_error_t *err)
{
  const struct tsd_create_opts *o = c->o;
  cleanup_free char *rootfs_rel = NULL;
  struct tsd_spec *s;

  c->bundle = realpath (o->bundle, NULL);
  if (c->bundle == NULL)
    return tsd_make_error (err, errno, "bundle `%s`", o->bundle);
  s = c->spec = tsd_spec_load (c->bundle, err);
  if (s == NULL)
    return -1;
  if (s->has_user_ns)
    return tsd_make_error (err, 0, "user namespaces are not supported by tsd-runtime");
  if (s->has_seccomp && !tsd_seccomp_available ())
    tsd_log ("warning", "linux.seccomp is not applied: tsd-runtime was built without libseccomp");
  if (s->terminal && o->console_socket == NULL && !o->foreground)
    return tsd_make_error (err, 0, "cannot allocate tty if tsd-runtime will detach without setting console socket");
  if (asprintf (&rootfs_rel, "%s%s%s", s->root_path[0] == '/' ? "" : c->bundle, s->root_path[0] == '/' ? "" : "/",
                s->root_path) < 0)
    return tsd_make_error (err, ENOMEM, "rootfs");
  c->rootfs = realpath (rootfs_rel, NULL);
  if (c->rootfs == NULL)
    return tsd_make_error (err, errno, "rootfs `%s`", rootfs_rel);
  return 0;
}

/* ROOT/<id>/ with exec.fifo, which start opens to release the init. */
static int
make_state_dir (struct create_ctx *c, tsd_error_t *err)
{
  if (tsd_state_dir (c->o->root, c->o->id, &c->dir, err) < 0 || tsd_mkdir_p (c->o->root, 0700, err) < 0)
    return -1;
  if (mkdir (c->dir, 0700) < 0)
    {
      if (errno == EEXIST)
        return tsd_make_error (err, 0, "container with id exists: %s", c->o->id);
      return tsd_make_error (err, errno, "mkdir `%s`", c->dir);
    }
  c->dir_made = true;
  if (asprintf (&c->fifo, "%s/exec.fifo", c->dir) < 0)
    {
      c->fifo = NULL;
      return tsd_make_error (err, ENOMEM, "fifo");
    }
  if (mkfifo (c->fifo, 0600) < 0)
    return tsd_make_error (err, errno, "mkfifo `%s`", c->fifo);
  return 0;
}

/* The console socket, the sync socket pair, and what must exist before the
 * fork: cgroups (the init enters them itself, see tsd_cgroup_enter) and the
 * compiled seccomp filter. */
static int
prepare_init (struct create_ctx *c, tsd_error_t *err)
{
  if (c->spec->terminal && c->o->console_socket)
    {
      c->console = tsd_unix_connect (c->o->console_socket, err);
      if (c->console < 0)
        return -1;
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) < 0)
    return tsd_make_error (err, errno, "socketpair");
  if (tsd_cgroup_create (c->spec, c->o->id, 0, &c->cg, err) < 0)
    return -1;
  return tsd_seccomp_compile_cached (c->spec->seccomp, c->o->root, &c->filter, err);
}

/* The pid namespace applies to children: enter or create it before forking. */
static int
enter_pid_namespace (const struct tsd_spec *s, tsd_error_t *err)
{
  const char *path;
  cleanup_close int nsfd = -1;

  if (!tsd_spec_namespace (s, CLONE_NEWPID, &path))
    return 0;
  if (path == NULL)
    return unshare (CLONE_NEWPID) < 0 ? tsd_make_error (err, errno, "create pid namespace") : 0;
  nsfd = open (path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0 || setns (nsfd, CLONE_NEWPID) < 0)
    return tsd_make_error (err, errno, "join pid namespace `%s`", path);
  return 0;
}

static int
fork_init (struct create_ctx *c, tsd_error_t *err)
{
  fflush (NULL);
  c->pid = fork ();
  if (c->pid < 0)
    return tsd_make_error (err, errno, "fork");
  if (c->pid == 0)
    {
      struct tsd_init_args a = { .spec = c->spec, .rootfs = c->rootfs, .fifo_path = c->fifo, .sync_fd = c->sync[1],
                                 .console_fd = c->console, .cgroup_paths = c->cg.paths, .seccomp = &c->filter };
      close (c->sync[0]);
      tsd_init_run (&a);
    }
  close_fd (&c->sync[1]);
  return 0;
}

/* The init's report: ready ('R'), or its error with the exit status to use. */
static int
wait_ready (struct create_ctx *c, int *exit_code, tsd_error_t *err)
{
  struct tsd_sync_msg msg;
  ssize_t r;
  int status = 0;

  memset (&msg, 0, sizeof msg);
  r = TEMP_FAILURE_RETRY (recv (c->sync[0], &msg, sizeof msg, 0));
  if (r > 0 && msg.kind == 'R')
    return 0;
  if (r > 0)
    {
      msg.msg[sizeof msg.msg - 1] = '\0';
      *exit_code = msg.exit_code == 126 || msg.exit_code == 127 ? msg.exit_code : 125;
      return tsd_make_error (err, 0, "%s", msg.msg);
    }
  if (TEMP_FAILURE_RETRY (waitpid (c->pid, &status, 0)) != c->pid)
    return tsd_make_error (err, r < 0 ? errno : 0, "container init exited before it was ready");
  c->pid = -1; /* reaped */
  if (WIFSIGNALED (status))
    return tsd_make_error (err, 0, "container init was killed by signal %d before it was ready", WTERMSIG (status));
  return tsd_make_error (err, 0, "container init exited with status %d before it was ready", WEXITSTATUS (status));
}

/* --pid-file: relative to the working directory, written atomically. */
static int
write_pid_file (const char *pid_file, pid_t pid, tsd_error_t *err)
{
  cleanup_free char *abs = NULL;
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", (int) pid);

  if (pid_file[0] == '/')
    abs = strdup (pid_file);
  else
    {
      cleanup_free char *cwd = realpath (".", NULL);
      if (cwd && asprintf (&abs, "%s/%s", cwd, pid_file) < 0)
        abs = NULL;
    }
  if (abs == NULL)
    return tsd_make_error (err, ENOMEM, "pid file");
  return tsd_write_file_atomic (abs, buf, (size_t) n, 0644, err);
}

static int
record_state (struct create_ctx *c, tsd_error_t *err)
{
  char created[64];
  tsd_rfc3339_now (created, sizeof created);
  struct tsd_state st = { .id = c->o->id, .bundle = c->bundle, .rootfs = c->rootfs, .created = created, .pid = c->pid,
                          .starttime = tsd_proc_starttime (c->pid), .cgroup_paths = c->cg.paths,
                          .annotations = c->spec->annotations };
  if (tsd_state_write (c->dir, &st, err) < 0)
    return -1;
  return c->o->pid_file ? write_pid_file (c->o->pid_file, c->pid, err) : 0;
}

int
tsd_container_create (const struct tsd_create_opts *o, pid_t *pid_out, int *exit_code, tsd_error_t *err)
{
  cleanup_create struct create_ctx c = { .o = o, .console = -1, .sync = { -1, -1 }, .pid = -1 };

  *exit_code = 125;
  if (load_bundle (&c, err) < 0 || make_state_dir (&c, err) < 0 || prepare_init (&c, err) < 0
      || enter_pid_namespace (c.spec, err) < 0 || fork_init (&c, err) < 0 || wait_ready (&c, exit_code, err) < 0
      || record_state (&c, err) < 0)
    return -1;
  c.succeeded = true;
  *pid_out = c.pid;
  return 0;
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

