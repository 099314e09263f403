/* addon_netns_socket.c: sockets bound inside another network namespace, for
 * the embedded DNS server (127.0.0.11:53 in each container).
 *
 * netnsListen(netnsPath, ipv4, port) -> [udpFd, tcpFd]  (netnsSocket below: one unbound socket)
 *   Saves the calling thread's own namespace (/proc/thread-self/ns/net), joins
 *   the one at netnsPath with setns(CLONE_NEWNET) on this thread only, brings
 *   lo up when it is down (an address on lo is not usable before), makes a UDP
 *   socket and a listening TCP socket bound to ipv4:port, and joins the saved
 *   namespace again before returning. A socket keeps the namespace it was made
 *   in for life, so the daemon then serves it from its own namespace (Node's
 *   dgram bind({fd}) and net.Server listen({fd})).
 *
 * Both fds are non-blocking and close-on-exec. Every failure throws a Node-style
 * error naming the step and the namespace path, with errno kept. A failure to
 * return to the daemon's namespace cannot be recovered from (the thread would
 * make every later socket in the container): the process aborts then. */
#include "addon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "napi_args.h"
#include "utils.h"

struct step_error
{
  int errnum;
  const char *step;
};

static int
fail (struct step_error *e, const char *step)
{
  e->errnum = errno;
  e->step = step;
  return -1;
}

/* lo up in the current namespace (a fresh namespace has it down). */
static int
loopback_up (struct step_error *e)
{
  struct ifreq ifr;
  cleanup_close int sock = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (sock < 0)
    return fail (e, "socket for lo");
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (sock, SIOCGIFFLAGS, &ifr) < 0)
    return fail (e, "read the flags of lo in");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (sock, SIOCSIFFLAGS, &ifr) < 0)
    return fail (e, "bring lo up in");
  return 0;
}

/* A bound socket of `type` (SOCK_DGRAM or SOCK_STREAM, listening) in the current namespace. */
static int
bound_socket (int type, const struct sockaddr_in *addr, struct step_error *e)
{
  int one = 1;
  cleanup_close int fd = socket (AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

  if (fd < 0)
    return fail (e, type == SOCK_DGRAM ? "socket udp in" : "socket tcp in");
  if (type == SOCK_STREAM && setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    return fail (e, "setsockopt SO_REUSEADDR in");
  if (bind (fd, (const struct sockaddr *) addr, sizeof *addr) < 0)
    return fail (e, type == SOCK_DGRAM ? "bind udp in" : "bind tcp in");
  if (type == SOCK_STREAM && listen (fd, 128) < 0)
    return fail (e, "listen tcp in");
  int r = fd;
  fd = -1;
  return r;
}

/* In the target namespace: lo up, both sockets. Fills fds[2] or returns -1. */
static int
make_sockets (const struct sockaddr_in *addr, int fds[2], struct step_error *e)
{
  if (loopback_up (e) < 0)
    return -1;
  fds[0] = bound_socket (SOCK_DGRAM, addr, e);
  if (fds[0] < 0)
    return -1;
  fds[1] = bound_socket (SOCK_STREAM, addr, e);
  if (fds[1] < 0)
    {
      close (fds[0]);
      fds[0] = -1;
      return -1;
    }
  return 0;
}

/* Runs fn(ctx, e) with the calling thread in the network namespace at path,
 * and returns to the saved one after (abort when that fails: see the head
 * comment). -1 with e filled when fn fails; the open/setns failures too. */
static int
in_netns (const char *path, int (*fn) (void *ctx, struct step_error *e), void *ctx, struct step_error *e)
{
  cleanup_close int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  cleanup_close int target = -1;

  if (self < 0)
    return fail (e, "open /proc/thread-self/ns/net for");
  target = open (path, O_RDONLY | O_CLOEXEC);
  if (target < 0)
    return fail (e, "open");
  if (setns (target, CLONE_NEWNET) < 0)
    return fail (e, "setns");
  int rc = fn (ctx, e);
  if (setns (self, CLONE_NEWNET) < 0)
    {
      fprintf (stderr, "tsd_native: cannot return to the daemon's network namespace after %s: %s\n", path, strerror (errno));
      abort ();
    }
  return rc;
}

struct listen_ctx
{
  const struct sockaddr_in *addr;
  int fds[2];
};

static int
listen_in (void *ctx, struct step_error *e)
{
  struct listen_ctx *c = ctx;
  return make_sockets (c->addr, c->fds, e);
}

struct socket_ctx
{
  int family, type, fd;
};

static int
socket_in (void *ctx, struct step_error *e)
{
  struct socket_ctx *c = ctx;
  c->fd = socket (c->family, c->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  return c->fd < 0 ? fail (e, "socket in") : 0;
}

/* netnsSocket(netnsPath, family 4|6, 'udp'|'tcp') -> fd: an unbound socket made in
 * that namespace (the embedded DNS server forwards --dns queries from the
 * container's namespace, as Docker's resolver does). */
napi_value
js_netns_socket (napi_env env, napi_callback_info info)
{
  napi_value argv[3], result;
  int64_t family;
  struct step_error e = { 0, NULL };
  cleanup_free char *path = NULL;
  cleanup_free char *type = NULL;
  struct socket_ctx c = { 0, 0, -1 };

  if (!tsd_napi_get_args (env, info, 3, 3, argv) || !tsd_napi_get_str (env, argv[0], "netnsPath", false, &path)
      || !tsd_napi_get_num (env, argv[1], "family", &family) || !tsd_napi_get_str (env, argv[2], "type", false, &type))
    return NULL;
  if ((family != 4 && family != 6) || (strcmp (type, "udp") != 0 && strcmp (type, "tcp") != 0))
    return tsd_napi_throw_type (env, "netnsSocket: family must be 4 or 6 and type 'udp' or 'tcp'");
  c.family = family == 4 ? AF_INET : AF_INET6;
  c.type = strcmp (type, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
  if (in_netns (path, socket_in, &c, &e) < 0)
    return tsd_napi_throw_errno (env, e.errnum, e.step, path, NULL);
  if (napi_create_int32 (env, c.fd, &result) != napi_ok)
    {
      close (c.fd);
      return NULL;
    }
  return result;
}

napi_value
js_netns_listen (napi_env env, napi_callback_info info)
{
  napi_value argv[3], result, v;
  int64_t port;
  struct sockaddr_in addr;
  struct step_error e = { 0, NULL };
  cleanup_free char *path = NULL;
  cleanup_free char *ip = NULL;
  struct listen_ctx c = { &addr, { -1, -1 } };

  if (!tsd_napi_get_args (env, info, 3, 3, argv) || !tsd_napi_get_str (env, argv[0], "netnsPath", false, &path)
      || !tsd_napi_get_str (env, argv[1], "address", false, &ip) || !tsd_napi_get_num (env, argv[2], "port", &port))
    return NULL;
  memset (&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  if (port < 0 || port > 65535 || inet_pton (AF_INET, ip, &addr.sin_addr) != 1)
    return tsd_napi_throw_type (env, "netnsListen: address must be an IPv4 address and port 0-65535");
  addr.sin_port = htons ((uint16_t) port);
  if (in_netns (path, listen_in, &c, &e) < 0)
    return tsd_napi_throw_errno (env, e.errnum, e.step, path, NULL);

  NAPI_CALL (env, napi_create_array_with_length (env, 2, &result));
  for (uint32_t i = 0; i < 2; i++)
    {
      NAPI_CALL (env, napi_create_int32 (env, c.fds[i], &v));
      NAPI_CALL (env, napi_set_element (env, result, i, v));
    }
  return result;
}
