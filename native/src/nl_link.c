/* nl_link.c: see nl_link.h. */
#include "nl_link.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

static struct ifinfomsg *
put_ifinfo (struct nlmsghdr *nlh, unsigned int index, bool up)
{
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (nlh, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = (int) index;
  if (up)
    {
      ifi->ifi_flags = IFF_UP;
      ifi->ifi_change = IFF_UP;
    }
  return ifi;
}

int
tsd_nl_bridge_ensure (struct tsd_nl *nl, const char *name, int mtu, tsd_error_t *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  char what[64];
  struct nlmsghdr *nlh = tsd_nl_request (nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct nlattr *info;

  put_ifinfo (nlh, 0, true);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (mtu > 0)
    mnl_attr_put_u32 (nlh, IFLA_MTU, (uint32_t) mtu);
  info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end (nlh, info);
  snprintf (what, sizeof what, "create bridge `%s`", name);
  if (tsd_nl_talk (nl, nlh, NULL, NULL, what, err) == 0)
    return 0;
  if ((*err)->status != EEXIST)
    return -1;
  tsd_error_release (err);
  /* Taken over: brought up (its MTU as asked). */
  nlh = tsd_nl_request (nl, buf, RTM_NEWLINK, 0);
  put_ifinfo (nlh, 0, true);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (mtu > 0)
    mnl_attr_put_u32 (nlh, IFLA_MTU, (uint32_t) mtu);
  snprintf (what, sizeof what, "bring bridge `%s` up", name);
  return tsd_nl_talk (nl, nlh, NULL, NULL, what, err);
}

/* The container's end: its name, namespace, MAC and MTU (veth peer or the macvlan itself). */
static void
put_container_end (struct nlmsghdr *nlh, const struct tsd_link_new *l)
{
  mnl_attr_put_strz (nlh, IFLA_IFNAME, l->ifname);
  mnl_attr_put_u32 (nlh, IFLA_NET_NS_FD, (uint32_t) l->nsfd);
  if (l->mac)
    mnl_attr_put (nlh, IFLA_ADDRESS, 6, l->mac);
  if (l->mtu > 0)
    mnl_attr_put_u32 (nlh, IFLA_MTU, (uint32_t) l->mtu);
}

int
tsd_nl_link_create (struct tsd_nl *nl, const struct tsd_link_new *l, tsd_error_t *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  char what[96];
  bool veth = strcmp (l->kind, "veth") == 0;
  struct nlmsghdr *nlh = tsd_nl_request (nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  struct nlattr *info, *data, *peer;

  put_ifinfo (nlh, 0, true);
  if (veth)
    {
      mnl_attr_put_strz (nlh, IFLA_IFNAME, l->host_name);
      if (l->mtu > 0)
        mnl_attr_put_u32 (nlh, IFLA_MTU, (uint32_t) l->mtu);
      if (l->master)
        mnl_attr_put_u32 (nlh, IFLA_MASTER, l->master);
    }
  else
    {
      put_container_end (nlh, l);
      mnl_attr_put_u32 (nlh, IFLA_LINK, l->parent);
    }
  info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, l->kind);
  data = mnl_attr_nest_start (nlh, IFLA_INFO_DATA);
  if (veth)
    {
      /* Not up yet: a veth cannot open before its peer exists (ENOTCONN); tsd_nl_link_up inside. */
      peer = mnl_attr_nest_start (nlh, VETH_INFO_PEER);
      put_ifinfo (nlh, 0, false);
      put_container_end (nlh, l);
      mnl_attr_nest_end (nlh, peer);
    }
  else
    mnl_attr_put_u32 (nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
  mnl_attr_nest_end (nlh, data);
  mnl_attr_nest_end (nlh, info);
  snprintf (what, sizeof what, "create %s `%s`", l->kind, veth ? l->host_name : l->ifname);
  return tsd_nl_talk (nl, nlh, NULL, NULL, what, err);
}

int
tsd_nl_link_up (struct tsd_nl *nl, unsigned int index, tsd_error_t *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = tsd_nl_request (nl, buf, RTM_NEWLINK, 0);

  put_ifinfo (nlh, index, true);
  return tsd_nl_talk (nl, nlh, NULL, NULL, "bring the link up", err);
}

int
tsd_nl_port_hairpin (struct tsd_nl *nl, unsigned int index, tsd_error_t *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = tsd_nl_request (nl, buf, RTM_NEWLINK, 0);
  struct nlattr *info, *data;

  put_ifinfo (nlh, index, false);
  info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_SLAVE_KIND, "bridge");
  data = mnl_attr_nest_start (nlh, IFLA_INFO_SLAVE_DATA);
  mnl_attr_put_u8 (nlh, IFLA_BRPORT_MODE, 1);
  mnl_attr_nest_end (nlh, data);
  mnl_attr_nest_end (nlh, info);
  return tsd_nl_talk (nl, nlh, NULL, NULL, "set the bridge port's hairpin mode", err);
}

int
tsd_nl_link_delete (struct tsd_nl *nl, const char *name, int *gone, tsd_error_t *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  char what[64];
  struct nlmsghdr *nlh = tsd_nl_request (nl, buf, RTM_DELLINK, 0);

  put_ifinfo (nlh, 0, false);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  snprintf (what, sizeof what, "delete link `%s`", name);
  *gone = 1;
  if (tsd_nl_talk (nl, nlh, NULL, NULL, what, err) == 0)
    return 0;
  if ((*err)->status != ENODEV)
    return -1;
  tsd_error_release (err);
  *gone = 0;
  return 0;
}
