/* console.h: pseudo-terminals and fd passing (SCM_RIGHTS) over Unix sockets,
 * as the OCI --console-socket protocol uses: the runtime connects to the
 * socket and sends the pty master as one message with one fd. */
#ifndef TSD_CONSOLE_H
#define TSD_CONSOLE_H

#include "error.h"

/* Listen on a SOCK_STREAM Unix socket at path (CLOEXEC, NONBLOCK, mode 0600),
 * replacing a stale socket file. */
int tsd_unix_listen (const char *path, tsd_error_t *err);
/* Connect a SOCK_STREAM Unix socket to path (CLOEXEC). */
int tsd_unix_connect (const char *path, tsd_error_t *err);
/* Send fd with a short text payload. */
int tsd_send_fd (int sock, int fd, const char *payload, tsd_error_t *err);
/* Receive one fd (-1 with err on failure). */
int tsd_recv_fd (int sock, tsd_error_t *err);
/* In the container: open a pty pair from /dev/ptmx; *master, *slave CLOEXEC. */
int tsd_open_pty (int *master, int *slave, unsigned rows, unsigned cols, tsd_error_t *err);
/* Make fd the controlling terminal of a new session and dup it onto 0, 1, 2. */
int tsd_set_ctty (int fd, tsd_error_t *err);

#endif
