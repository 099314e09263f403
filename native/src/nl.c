/* nl.c: see nl.h. */
#include "nl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "utils.h"

struct ns_open
{
  int nsfd;
  const char *ipv6_ifname;
  struct mnl_socket *sock;
  tsd_error_t err;
};

static int
enable_ipv6 (const char *ifname, tsd_error_t *err)
{
  char path[128];
  const char *which[] = { "all", "default", ifname };

  for (size_t i = 0; i < 3; i++)
    {
      snprintf (path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", which[i]);
      if (tsd_write_file (path, "0", 1, err) < 0)
        return -1;
    }
  return 0;
}

/* The short thread: joins the namespace, opens the socket there, ends (its namespace with it). */
static void *
ns_open_thread (void *p)
{
  struct ns_open *o = p;

  if (setns (o->nsfd, CLONE_NEWNET) < 0)
    {
      tsd_make_error (&o->err, errno, "setns into the container's network namespace");
      return NULL;
    }
  if (o->ipv6_ifname && enable_ipv6 (o->ipv6_ifname, &o->err) < 0)
    return NULL;
  o->sock = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (o->sock == NULL)
    tsd_make_error (&o->err, errno, "netlink socket in the container's network namespace");
  return NULL;
}

int
tsd_nl_open (struct tsd_nl *nl, int nsfd, const char *ipv6_ifname, tsd_error_t *err)
{
  memset (nl, 0, sizeof *nl);
  if (nsfd < 0)
    {
      nl->sock = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
      if (nl->sock == NULL)
        return tsd_make_error (err, errno, "netlink socket");
    }
  else
    {
      struct ns_open o = { .nsfd = nsfd, .ipv6_ifname = ipv6_ifname };
      pthread_t th;
      int r = pthread_create (&th, NULL, ns_open_thread, &o);
      if (r != 0)
        return tsd_make_error (err, r, "thread to join a network namespace");
      r = pthread_join (th, NULL);
      if (r != 0)
        return tsd_make_error (err, r, "join the network namespace thread");
      if (o.err)
        {
          *err = o.err;
          if (o.sock)
            mnl_socket_close (o.sock);
          return -1;
        }
      nl->sock = o.sock;
    }
  if (mnl_socket_bind (nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      int saved = errno;
      tsd_nl_close (nl);
      return tsd_make_error (err, saved, "bind the netlink socket");
    }
  nl->portid = mnl_socket_get_portid (nl->sock);
  nl->seq = (unsigned int) time (NULL);
  return 0;
}

void
tsd_nl_close (struct tsd_nl *nl)
{
  if (nl->sock)
    mnl_socket_close (nl->sock);
  nl->sock = NULL;
}

struct nlmsghdr *
tsd_nl_request (struct tsd_nl *nl, char *buf, int type, int flags)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  nlh->nlmsg_seq = ++nl->seq;
  return nlh;
}

int
tsd_nl_talk (struct tsd_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data, const char *what, tsd_error_t *err)
{
  char buf[32768];
  ssize_t n;
  int r;

  if (mnl_socket_sendto (nl->sock, nlh, nlh->nlmsg_len) < 0)
    return tsd_make_error (err, errno, "netlink send (%s)", what);
  for (;;)
    {
      n = mnl_socket_recvfrom (nl->sock, buf, sizeof buf);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return tsd_make_error (err, errno, "netlink receive (%s)", what);
        }
      r = mnl_cb_run (buf, (size_t) n, nlh->nlmsg_seq, nl->portid, cb, data);
      if (r < 0)
        return tsd_make_error (err, errno, "%s", what);
      if (r == MNL_CB_STOP)
        return 0;
    }
}

static int
link_index_cb (const struct nlmsghdr *nlh, void *data)
{
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload (nlh);
  if (nlh->nlmsg_type == RTM_NEWLINK)
    *(unsigned int *) data = (unsigned int) ifi->ifi_index;
  return MNL_CB_OK;
}

int
tsd_nl_link_index (struct tsd_nl *nl, const char *name, unsigned int *index, tsd_error_t *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = tsd_nl_request (nl, buf, RTM_GETLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (nlh, sizeof *ifi);
  char what[64];

  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  *index = 0;
  snprintf (what, sizeof what, "find link `%s`", name);
  if (tsd_nl_talk (nl, nlh, link_index_cb, index, what, err) < 0)
    {
      if ((*err)->status != ENODEV)
        return -1;
      tsd_error_release (err);
      *index = 0;
    }
  return 0;
}
