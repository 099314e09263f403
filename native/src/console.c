/* console.c: see console.h. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "utils.h"

int
tsd_unix_listen (const char *path, tsd_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;
  if (strlen (path) >= sizeof addr.sun_path)
    return tsd_make_error (err, ENAMETOOLONG, "listen on `%s`", path);
  strcpy (addr.sun_path, path);
  if (unlink (path) < 0 && errno != ENOENT)
    return tsd_make_error (err, errno, "unlink `%s`", path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return tsd_make_error (err, errno, "socket");
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || chmod (path, 0600) < 0 || listen (fd, 64) < 0)
    {
      int e = errno;
      close (fd);
      return tsd_make_error (err, e, "listen on `%s`", path);
    }
  return fd;
}

int
tsd_unix_connect (const char *path, tsd_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;
  if (strlen (path) >= sizeof addr.sun_path)
    return tsd_make_error (err, ENAMETOOLONG, "connect `%s`", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return tsd_make_error (err, errno, "socket");
  if (TEMP_FAILURE_RETRY (connect (fd, (struct sockaddr *) &addr, sizeof addr)) < 0)
    {
      int e = errno;
      close (fd);
      return tsd_make_error (err, e, "connect `%s`", path);
    }
  return fd;
}

int
tsd_send_fd (int sock, int fd, const char *payload, tsd_error_t *err)
{
  char buf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = (void *) (payload && *payload ? payload : "\0"),
                       .iov_len = payload && *payload ? strlen (payload) : 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
  struct cmsghdr *c;

  memset (buf, 0, sizeof buf);
  c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  if (TEMP_FAILURE_RETRY (sendmsg (sock, &msg, MSG_NOSIGNAL)) < 0)
    return tsd_make_error (err, errno, "send the console fd");
  return 0;
}

int
tsd_recv_fd (int sock, tsd_error_t *err)
{
  char buf[CMSG_SPACE (sizeof (int))], data[256];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
  struct cmsghdr *c;
  ssize_t r;
  int fd;

  r = TEMP_FAILURE_RETRY (recvmsg (sock, &msg, MSG_CMSG_CLOEXEC));
  if (r < 0)
    return tsd_make_error (err, errno, "receive the console fd");
  c = CMSG_FIRSTHDR (&msg);
  if (r == 0 || c == NULL || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN (sizeof (int)))
    return tsd_make_error (err, EPROTO, "receive the console fd: no fd in the message");
  memcpy (&fd, CMSG_DATA (c), sizeof (int));
  return fd;
}

int
tsd_open_pty (int *master, int *slave, unsigned rows, unsigned cols, tsd_error_t *err)
{
  int m, s, n = 0, unlock = 0;
  char name[64];

  m = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return tsd_make_error (err, errno, "open `/dev/ptmx`");
  if (ioctl (m, TIOCSPTLCK, &unlock) < 0 || ioctl (m, TIOCGPTN, &n) < 0)
    {
      int e = errno;
      close (m);
      return tsd_make_error (err, e, "unlock the pty");
    }
  snprintf (name, sizeof name, "/dev/pts/%d", n);
  s = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    {
      int e = errno;
      close (m);
      return tsd_make_error (err, e, "open `%s`", name);
    }
  if (rows && cols)
    {
      struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
      ioctl (m, TIOCSWINSZ, &ws);
    }
  *master = m;
  *slave = s;
  return 0;
}

int
tsd_set_ctty (int fd, tsd_error_t *err)
{
  if (setsid () < 0)
    return tsd_make_error (err, errno, "setsid");
  if (ioctl (fd, TIOCSCTTY, 0) < 0)
    return tsd_make_error (err, errno, "set the controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2 (fd, i) < 0)
      return tsd_make_error (err, errno, "dup2 the terminal to %d", i);
  return 0;
}
