/* shim.h: tsd-shim, one per container (containerd-shim's role).
 *
 * Command line (started by the daemon, which waits for it to return):
 *   tsd-shim --id ID --bundle DIR --state DIR [--runtime PATH] [--runtime-root DIR]
 *            [--log-file FILE] [--log-driver json-file|local] [--log-max-size 10m]
 *            [--log-max-file 3] [--log-compress]
 *            [--stdin] [--terminal] [--exec-process PROCESS_JSON]
 * The first process forks the shim proper and waits for it: it prints the
 * init's pid on stdout and exits 0 once `RUNTIME create` succeeded; otherwise it
 * prints the runtime's error (one line) on stderr and exits with the runtime's
 * status (tsd-runtime: 127 not found, 126 permission denied, 125 other). The
 * shim proper: new session, child subreaper, stdio on /dev/null (its own
 * diagnostics in STATE/shim.log), owns the container's stdio (pipes, or the pty
 * master received on STATE/console.sock when --terminal), logs output to
 * --log-file in Docker's json-file format (jsonlog.h; rotated as json-file
 * does, or as locallog.h describes with --log-driver local, whose rotated
 * files are gzipped with --log-compress; no --log-file: no log), and serves
 * STATE/shim.sock.
 *
 * Files in STATE: shim.sock, shim.pid, init.pid, runtime.log (the runtime's
 * JSON log), exit.json (written temp+rename when the init has exited and its
 * output is drained: {"id","pid","exitCode","signal","exitedAt","oomKilled"};
 * exitCode is 128+signal for a killed init).
 *
 * Control protocol on STATE/shim.sock (SOCK_STREAM). The client sends one
 * request line ("\n"-terminated, at most 511 bytes); replies are one line,
 * "OK[ <json>]\n" or "ERR <message>\n", then the shim closes, except for
 * ATTACH and WAIT:
 *   STATE                  OK {"id","pid","status":"created|running|stopped",
 *                              "exitCode","exitedAt","oomKilled"}
 *   START                  RUNTIME start; OK or ERR
 *   KILL <signal> [all]    signal the init (or, with "all", every process of the
 *                          container via RUNTIME kill --all); names or numbers
 *   RESIZE <rows> <cols>   set the pty size (--terminal only)
 *   CLOSESTDIN             close the container's stdin (EOF; ^D on a pty)
 *   WAIT                   reply when the container has exited: OK <exit json>
 *   ATTACH [stdin] [stdin-once] [stdout] [stderr]
 *                          OK, then the connection streams: shim -> client
 *                          frames of an 8-byte header [stream, 0, 0, 0, size as
 *                          big-endian uint32] and the payload, stream 1 stdout
 *                          (all output with a pty), 2 stderr, 3 exit (payload:
 *                          the exit json; the last frame before close); client
 *                          -> shim raw bytes for the container's stdin (with
 *                          "stdin"). With "stdin-once" the client's EOF (a
 *                          half-close, or the connection's end) closes the
 *                          container's stdin; without it the client only leaves.
 *   SHUTDOWN [force]       exit the shim; refused (ERR) while the container
 *                          runs unless "force", which kills it first.
 * After the init exits the shim runs `RUNTIME delete --force ID`, writes
 * exit.json, and stays up serving STATE/WAIT/ATTACH until SHUTDOWN.
 *
 * Exec mode (--exec-process FILE, one shim per `docker exec`): the same
 * protocol for a process started in the running container ID. Start-up only
 * prepares the stdio (the parent prints 0 as the pid); START runs
 * `RUNTIME exec --process FILE --detach --pid-file ... ID`, and when that fails
 * the reply is "ERR <message>" and the exit record has the runtime's status
 * (127 not found, 126 permission denied, 125 other). There is no runtime
 * delete at exit, and KILL ... all signals only the exec'd process. */
#ifndef TSD_SHIM_H
#define TSD_SHIM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jsonlog.h"

#define SHIM_STDIN_MAX (256 * 1024) /* stdin bytes buffered for the container */

struct shim_client;

struct shim
{
  const char *id, *bundle, *state_dir, *runtime, *runtime_root, *log_file, *exec_process;
  int64_t log_max_size;
  int log_max_files;
  bool log_local, log_compress;
  bool terminal, open_stdin;

  char sock_path[PATH_MAX], console_path[PATH_MAX], runtime_log[PATH_MAX], exit_path[PATH_MAX];
  char oom_file[PATH_MAX]; /* memory.oom_control (v1) or memory.events (v2) */
  int listen_fd, sig_fd, console_listen;
  int child_fd[3]; /* the container's ends of the stdio pipes, until launched */
  int out_fd[3];  /* [1] stdout pipe or pty master, [2] stderr pipe */
  int stdin_fd;   /* write side of the container's stdin, or the master */
  bool stdin_pending; /* an exec's pty comes at START: stdin is buffered until then */
  int master;     /* pty master or -1 */
  pid_t init_pid;
  bool started, exited, finalized, stdin_closing, oom_killed;
  int wait_status;
  char exited_at[48];
  int64_t drain_deadline_ms;
  struct tsd_jsonlog log;
  bool log_enabled;
  char *in_buf; /* SHIM_STDIN_MAX bytes */
  size_t in_len;
  struct shim_client *clients;
};

/* The files depend one way: shim_main -> shim_loop -> shim_requests ->
 * shim_exit -> shim_stdio -> shim_client, and shim_launch below them all. */

/* shim_launch.c: the container's stdio and the runtime. */
/* Pipes (the container's ends kept in s->child_fd), or the console socket to
 * receive the pty master on. */
int shim_setup_stdio (struct shim *s, char *msg, size_t n);
/* RUNTIME create (or exec): collect the pid, the pty, the OOM counter file. */
int shim_launch (struct shim *s, char *msg, size_t n);
/* Run RUNTIME [--root R] --log L --log-format json ARGS...; returns the exit
 * status, with the runtime's error message in msg on failure. */
int shim_run_runtime (struct shim *s, const char *const *args, int in, int out, int errfd, char *msg, size_t n);

/* shim_stdio.c: the container's output (to the log and attached clients) and stdin. */
void shim_read_output (struct shim *s, int stream);
void shim_output_eof (struct shim *s, int stream);
void shim_write_stdin (struct shim *s);
/* Whether bytes from an attach with stdin are taken: it is open, or about to be. */
bool shim_stdin_accepting (const struct shim *s);
/* Close stdin once what is buffered is written; close_stdin_now drops it. */
void shim_close_stdin (struct shim *s);
void shim_close_stdin_now (struct shim *s);

/* shim_exit.c: the exit record. */
int shim_exit_code (const struct shim *s);
int shim_exit_json (const struct shim *s, char *buf, size_t n);
/* The init has exited and its output is drained: delete it, write exit.json,
 * answer WAIT and ATTACH clients. */
void shim_finalize (struct shim *s);

/* shim_requests.c: one request line of a client (see the protocol above). */
void shim_handle_request (struct shim *s, struct shim_client *c, char *line);

/* shim_loop.c */
int shim_loop (struct shim *s);

#endif
