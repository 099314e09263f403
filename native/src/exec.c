/* exec.c: see exec.h. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cgroups.h"
#include "console.h"
#include "fsutil.h"
#include "init.h"
#include "process.h"
#include "seccomp.h"
#include "seccomp_cache.h"
#include "spec.h"
#include "state.h"
#include "utils.h"

static const struct
{
  int flag;
  const char *name;
} joinable[] = {
  { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" }, { CLONE_NEWNET, "net" },
  { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWNS, "mnt" },
};

__attribute__ ((noreturn)) static void
child_fail (int sync_fd, int code, tsd_error_t *err)
{
  struct tsd_sync_msg m = { .kind = 'E', .exit_code = code };
  snprintf (m.msg, sizeof m.msg, "%s", err && *err && (*err)->msg ? (*err)->msg : "exec failed");
  TEMP_FAILURE_RETRY (send (sync_fd, &m, sizeof m, MSG_NOSIGNAL));
  _exit (code);
}

/* In the new process: enter the namespaces, apply the process spec, exec. */
__attribute__ ((noreturn)) static void
exec_child (const struct tsd_spec *s, const struct tsd_seccomp_filter *filter, pid_t init, char *const *cgroups, int sync_fd,
            int console)
{
  tsd_error_t err = NULL;
  char path[64];
  int code = 125;
  const char **env;
  char *exe;

  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (tsd_cgroup_enter (cgroups, &err) < 0)
    child_fail (sync_fd, 125, &err);
  for (size_t i = 0; i < sizeof joinable / sizeof joinable[0]; i++)
    {
      cleanup_close int fd = -1;
      if (!tsd_spec_namespace (s, joinable[i].flag, NULL))
        continue;
      snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) init, joinable[i].name);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, joinable[i].flag) < 0)
        child_fail (sync_fd, 125, (tsd_make_error (&err, errno, "join %s namespace of the container", joinable[i].name), &err));
    }
  umask (0022);
  if (tsd_process_rlimits (s, &err) < 0)
    child_fail (sync_fd, 125, &err);
  if (console >= 0)
    {
      int master, slave;
      if (tsd_open_pty (&master, &slave, s->console_height, s->console_width, &err) < 0
          || tsd_send_fd (console, master, "console", &err) < 0 || tsd_set_ctty (slave, &err) < 0)
        child_fail (sync_fd, 125, &err);
      close (master);
      close (console);
      if (slave > 2)
        close (slave);
    }
  env = tsd_process_env_with_home (s->env, s->uid);
  exe = tsd_process_find_executable (s->args[0], env, &code, &err);
  if (exe == NULL)
    child_fail (sync_fd, code, &err);
  if (tsd_process_enter_cwd (s->cwd, &err) < 0)
    child_fail (sync_fd, 125, &err);
  if (!s->no_new_privileges && tsd_seccomp_install (filter, &err) < 0)
    child_fail (sync_fd, 125, &err);
  if (tsd_caps_drop_bounding (s, &err) < 0 || tsd_process_set_user (s, &err) < 0 || tsd_caps_apply (s, &err) < 0)
    child_fail (sync_fd, 125, &err);
  if (s->has_umask)
    umask (s->umask);
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (s->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail (sync_fd, 125, (tsd_make_error (&err, errno, "prctl PR_SET_NO_NEW_PRIVS"), &err));
  if (s->no_new_privileges && tsd_seccomp_install (filter, &err) < 0)
    child_fail (sync_fd, 125, &err);
  tsd_process_close_fds_on_exec (); /* the sync socket too: EOF tells the parent exec worked */
  execve (exe, (char *const *) s->args, (char *const *) env);
  child_fail (sync_fd, errno == ENOENT ? 127 : 126,
              (tsd_make_error (&err, 0, "exec: \"%s\": %s", s->args[0], strerror (errno)), &err));
}

static int
override_process (struct tsd_spec *s, const struct tsd_exec_opts *o, tsd_error_t *err)
{
  size_t n_env = 0, n_add = 0, n_args = 0;
  const char **env;

  if (o->process_file)
    return tsd_spec_load_process (s, o->process_file, err);
  while (o->args && o->args[n_args])
    n_args++;
  if (n_args == 0)
    return tsd_make_error (err, 0, "exec: no command given (args or --process)");
  free (s->args);
  s->args = calloc (n_args + 1, sizeof *s->args);
  if (s->args == NULL)
    return tsd_make_error (err, ENOMEM, "exec args");
  memcpy (s->args, o->args, n_args * sizeof *s->args);
  while (s->env[n_env])
    n_env++;
  while (o->env && o->env[n_add])
    n_add++;
  env = calloc (n_env + n_add + 1, sizeof *env);
  if (env == NULL)
    return tsd_make_error (err, ENOMEM, "exec env");
  memcpy (env, s->env, n_env * sizeof *env);
  for (size_t i = 0; i < n_add; i++)
    {
      size_t kl = strcspn (o->env[i], "="), k;
      for (k = 0; k < n_env; k++)
        if (strncmp (env[k], o->env[i], kl) == 0 && env[k][kl] == '=')
          break;
      env[k] = o->env[i];
      if (k == n_env)
        n_env++;
    }
  free (s->env);
  s->env = env;
  if (o->cwd)
    s->cwd = o->cwd;
  if (o->user)
    {
      char *end;
      unsigned long uid = strtoul (o->user, &end, 10), gid = s->gid;
      if (end == o->user || (*end != '\0' && *end != ':'))
        return tsd_make_error (err, 0, "exec: --user takes UID[:GID], not `%s`", o->user);
      if (*end == ':')
        gid = strtoul (end + 1, NULL, 10);
      s->uid = (uid_t) uid;
      s->gid = (gid_t) gid;
    }
  s->terminal = o->tty;
  return 0;
}

/* The running container's state (*state, which *cgs points into), its init
 * pid, and its spec with the process replaced by the exec's. */
static int
load_target (const struct tsd_exec_opts *o, tsd_json **state, pid_t *init, char ***cgs, struct tsd_spec **spec,
             tsd_error_t *err)
{
  tsd_json *st = *state = tsd_state_read (o->root, o->id, err);
  cleanup_free char *dir = NULL;
  const char *bundle, *now;

  if (st == NULL || tsd_state_dir (o->root, o->id, &dir, err) < 0)
    return -1;
  now = tsd_state_status (dir, st);
  if (strcmp (now, "stopped") == 0 || strcmp (now, "paused") == 0)
    return tsd_make_error (err, 0, "cannot exec in a %s container", now); /* runc's words; a paused one would hang */
  *init = (pid_t) tsd_json_get (st, "pid")->integer;
  bundle = tsd_json_str (tsd_json_get (st, "bundle"));
  if (bundle == NULL)
    return tsd_make_error (err, 0, "state of `%s` has no bundle", o->id);
  *spec = tsd_spec_load (bundle, err);
  if (*spec == NULL || override_process (*spec, o, err) < 0)
    return -1;
  if ((*spec)->cwd == NULL || (*spec)->cwd[0] != '/')
    return tsd_make_error (err, 0, "Cwd must be an absolute path"); /* runc's check */
  if ((*spec)->terminal && o->console_socket == NULL && o->detach)
    return tsd_make_error (err, 0, "cannot allocate tty if tsd-runtime will detach without setting console socket");
  *cgs = tsd_state_cgroups (st); /* entered by the new process itself */
  return 0;
}

/* The pid namespace applies to children: join the init's before forking. */
static int
join_pid_namespace (const struct tsd_exec_opts *o, const struct tsd_spec *s, pid_t init, tsd_error_t *err)
{
  char path[64];
  cleanup_close int fd = -1;
  if (!tsd_spec_namespace (s, CLONE_NEWPID, NULL))
    return 0;
  snprintf (path, sizeof path, "/proc/%d/ns/pid", (int) init);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns (fd, CLONE_NEWPID) < 0)
    return tsd_make_error (err, errno, "join the pid namespace of `%s`", o->id);
  return 0;
}

/* Fork the process; its execve closes the sync socket (EOF), a failure sends its error. */
static int
spawn (const struct tsd_spec *s, const struct tsd_seccomp_filter *filter, pid_t init, char **cgs, int console,
       pid_t *pid, int *exit_code, tsd_error_t *err)
{
  int sv[2];
  struct tsd_sync_msg msg;
  ssize_t r;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return tsd_make_error (err, errno, "socketpair");
  fflush (NULL);
  *pid = fork ();
  if (*pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return tsd_make_error (err, errno, "fork");
    }
  if (*pid == 0)
    {
      close (sv[0]);
      exec_child (s, filter, init, cgs, sv[1], console);
    }
  close (sv[1]);
  memset (&msg, 0, sizeof msg);
  r = TEMP_FAILURE_RETRY (recv (sv[0], &msg, sizeof msg, 0));
  close (sv[0]);
  if (r > 0 && msg.kind == 'E')
    {
      msg.msg[sizeof msg.msg - 1] = '\0';
      waitpid (*pid, NULL, 0);
      *exit_code = msg.exit_code == 126 || msg.exit_code == 127 ? msg.exit_code : 125;
      return tsd_make_error (err, 0, "%s", msg.msg);
    }
  return 0;
}

int
tsd_container_exec (const struct tsd_exec_opts *o, int *exit_code, tsd_error_t *err)
{
  cleanup_json tsd_json *st = NULL;
  cleanup_spec struct tsd_spec *s = NULL;
  cleanup_free char **cgs = NULL;
  cleanup_seccomp struct tsd_seccomp_filter filter = { 0 };
  cleanup_close int console = -1;
  int status = 0;
  pid_t init = -1, pid;

  *exit_code = 125;
  if (load_target (o, &st, &init, &cgs, &s, err) < 0)
    return -1;
  if (s->terminal && o->console_socket && (console = tsd_unix_connect (o->console_socket, err)) < 0)
    return -1;
  if (join_pid_namespace (o, s, init, err) < 0 || tsd_seccomp_compile_cached (s->seccomp, o->root, &filter, err) < 0
      || spawn (s, &filter, init, cgs, console, &pid, exit_code, err) < 0)
    return -1;
  if (o->pid_file)
    {
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%d", (int) pid);
      if (tsd_write_file_atomic (o->pid_file, buf, (size_t) n, 0644, err) < 0)
        return -1;
    }
  if (o->detach)
    {
      *exit_code = 0;
      return 0;
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return tsd_make_error (err, errno, "waitpid");
  *exit_code = WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
  return 0;
}
