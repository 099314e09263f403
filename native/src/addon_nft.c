/* addon_nft.c: the firewall's two kernel doors (src/network/firewall/).
 *
 * nftRun(commands, json): one libnftables run of a text (or JSON) batch on the
 *   calling thread. A batch is one netlink transaction: all of it or none of
 *   it. Returns what nft printed (JSON when json is true, for `list`); on
 *   failure throws an Error whose message is the text libnftables gives
 *   ("Error: No such file or directory ..."), code 'ENFT'.
 * reservePort(proto, address, port): a socket bound to address:port and never
 *   listened on, so no other program or container gets that port while the
 *   daemon holds the fd (closing it releases the port). IPv6 sockets are
 *   V6ONLY: the IPv4 wildcard is reserved on its own. Returns { fd, port }
 *   (port is the kernel's pick when 0 was asked). EADDRINUSE is thrown as a
 *   Node-style error (code 'EADDRINUSE', syscall 'bind'). */
#include "addon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "napi_args.h"
#include "utils.h"

static napi_value
throw_nft (napi_env env, const char *text)
{
  char msg[MAX_STR];
  size_t n;
  napi_value jmsg, jerr, jcode;

  snprintf (msg, sizeof msg, "%s", text && *text ? text : "nft: command failed");
  n = strlen (msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    msg[--n] = '\0';
  if (napi_create_string_utf8 (env, msg, NAPI_AUTO_LENGTH, &jmsg) != napi_ok
      || napi_create_error (env, NULL, jmsg, &jerr) != napi_ok
      || napi_create_string_utf8 (env, "ENFT", NAPI_AUTO_LENGTH, &jcode) != napi_ok)
    {
      napi_throw_error (env, "ENFT", msg);
      return NULL;
    }
  napi_set_named_property (env, jerr, "code", jcode);
  napi_throw (env, jerr);
  return NULL;
}

/* One libnftables context for the process, made on first use: its netlink
 * socket is opened then, while fd numbers are low. libnftables waits on that
 * socket with select(), which aborts the process (glibc's fortify check) for
 * an fd past FD_SETSIZE: a context made per call after the daemon holds a
 * thousand port reservations would get one. After each run it is renewed
 * (nft_context_renew): the new socket takes the number the old one just gave
 * back. Used on the JS thread only. */
static struct nft_ctx *nft_ctx_g;
static unsigned int nft_flags_g;

static struct nft_ctx *
nft_context (void)
{
  if (nft_ctx_g != NULL)
    return nft_ctx_g;
  nft_ctx_g = nft_ctx_new (NFT_CTX_DEFAULT);
  if (nft_ctx_g == NULL)
    return NULL;
  if (nft_ctx_buffer_output (nft_ctx_g) != 0 || nft_ctx_buffer_error (nft_ctx_g) != 0)
    {
      nft_ctx_free (nft_ctx_g);
      nft_ctx_g = NULL;
      return NULL;
    }
  nft_flags_g = nft_ctx_output_get_flags (nft_ctx_g);
  return nft_ctx_g;
}

/* A run leaves in the context the cache libnftables fetched for it: for an
 * `add`, every table of the host with its chains and sets (ours, Docker's,
 * anyone's: ~9 MB with twenty tables), kept until the next run refetches it
 * anyway (each commit changes the ruleset's generation). A fresh context
 * drops it, and malloc_trim gives the freed pages back to the kernel, which
 * glibc would otherwise keep for the process: ~0.3 ms. */
static void
nft_context_renew (void)
{
  nft_ctx_free (nft_ctx_g);
  nft_ctx_g = NULL;
  nft_context ();
  malloc_trim (0);
}

/* nftRun(commands: string, json: boolean): string */
napi_value
js_nft_run (napi_env env, napi_callback_info info)
{
  napi_value argv[2], out;
  cleanup_free char *cmds = NULL;
  bool json = false;
  struct nft_ctx *ctx;
  const char *text;
  napi_status status;

  if (!tsd_napi_get_args (env, info, 2, 1, argv) || !tsd_napi_get_str (env, argv[0], "commands", false, &cmds)
      || !tsd_napi_get_bool (env, argv[1], &json))
    return NULL;
  ctx = nft_context ();
  if (ctx == NULL)
    return throw_nft (env, "nft: cannot make a libnftables context");
  nft_ctx_output_set_flags (ctx, json ? nft_flags_g | NFT_CTX_OUTPUT_JSON : nft_flags_g);
  if (nft_run_cmd_from_buffer (ctx, cmds) != 0)
    {
      throw_nft (env, nft_ctx_get_error_buffer (ctx));
      nft_context_renew ();
      return NULL;
    }
  text = nft_ctx_get_output_buffer (ctx);
  status = napi_create_string_utf8 (env, text ? text : "", NAPI_AUTO_LENGTH, &out);
  nft_context_renew (); /* text is the context's: read first */
  NAPI_CALL (env, status);
  return out;
}

/* Moves a reservation's fd to 1024 or above (where the kernel allows), so the
 * low numbers stay free for what select()s them (libnftables). */
static int
high_fd (int fd)
{
  int moved = fcntl (fd, F_DUPFD_CLOEXEC, 1024);
  if (moved < 0)
    return fd;
  close (fd);
  return moved;
}

static int
proto_of (const char *name, int *type, int *proto)
{
  if (strcmp (name, "tcp") == 0)
    *type = SOCK_STREAM, *proto = IPPROTO_TCP;
  else if (strcmp (name, "udp") == 0)
    *type = SOCK_DGRAM, *proto = IPPROTO_UDP;
  else if (strcmp (name, "sctp") == 0)
    *type = SOCK_STREAM, *proto = IPPROTO_SCTP;
  else
    return -1;
  return 0;
}

/* Binds a fresh socket; returns the fd, or -1 with errno (and *what the failing call). */
static int
bind_reserved (int type, int proto, const char *addr, int port, const char **what, int *bound)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int fd, one = 1, family;

  memset (&ss, 0, sizeof ss);
  if (inet_pton (AF_INET, addr, &((struct sockaddr_in *) &ss)->sin_addr) == 1)
    {
      family = AF_INET;
      ((struct sockaddr_in *) &ss)->sin_port = htons ((uint16_t) port);
      len = sizeof (struct sockaddr_in);
    }
  else if (inet_pton (AF_INET6, addr, &((struct sockaddr_in6 *) &ss)->sin6_addr) == 1)
    {
      family = AF_INET6;
      ((struct sockaddr_in6 *) &ss)->sin6_port = htons ((uint16_t) port);
      len = sizeof (struct sockaddr_in6);
    }
  else
    {
      *what = "inet_pton";
      errno = EINVAL;
      return -1;
    }
  ss.ss_family = (sa_family_t) family;
  *what = "socket";
  fd = socket (family, type | SOCK_CLOEXEC, proto);
  if (fd < 0)
    return -1;
  *what = "setsockopt";
  if (family == AF_INET6 && setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
    goto fail;
  *what = "bind";
  if (bind (fd, (struct sockaddr *) &ss, len) < 0)
    goto fail;
  *what = "getsockname";
  if (getsockname (fd, (struct sockaddr *) &ss, &len) < 0)
    goto fail;
  *bound = ntohs (family == AF_INET ? ((struct sockaddr_in *) &ss)->sin_port : ((struct sockaddr_in6 *) &ss)->sin6_port);
  return high_fd (fd);
fail:
  {
    int saved = errno;
    close (fd);
    errno = saved;
  }
  return -1;
}

/* reservePort(proto: 'tcp'|'udp'|'sctp', address: string, port: number): { fd, port } */
napi_value
js_reserve_port (napi_env env, napi_callback_info info)
{
  napi_value argv[3], res;
  cleanup_free char *pname = NULL;
  cleanup_free char *addr = NULL;
  int64_t port;
  int type, proto, fd, bound = 0;
  const char *what = "bind";
  char where[128];

  if (!tsd_napi_get_args (env, info, 3, 3, argv) || !tsd_napi_get_str (env, argv[0], "proto", false, &pname)
      || !tsd_napi_get_str (env, argv[1], "address", false, &addr) || !tsd_napi_get_num (env, argv[2], "port", &port))
    return NULL;
  if (proto_of (pname, &type, &proto) < 0 || port < 0 || port > 65535)
    return tsd_napi_throw_type (env, "reservePort: proto must be tcp, udp or sctp and port 0-65535");
  fd = bind_reserved (type, proto, addr, (int) port, &what, &bound);
  if (fd < 0)
    {
      snprintf (where, sizeof where, "%s/%s:%d", pname, addr, (int) port);
      return tsd_napi_throw_errno (env, errno, what, where, NULL);
    }
  if (napi_create_object (env, &res) != napi_ok || !tsd_napi_set_int (env, res, "fd", fd)
      || !tsd_napi_set_int (env, res, "port", bound))
    {
      close (fd);
      return NULL;
    }
  return res;
}
