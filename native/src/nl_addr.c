/* nl_addr.c: see nl_addr.h. */
#include "nl_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
tsd_ip_parse (const char *text, struct tsd_ip *ip, tsd_error_t *err)
{
  char host[INET6_ADDRSTRLEN + 1];
  const char *slash = strchr (text, '/');
  size_t len = slash ? (size_t) (slash - text) : strlen (text);
  char *end;

  memset (ip, 0, sizeof *ip);
  ip->prefix = -1;
  if (len >= sizeof host)
    return tsd_make_error (err, EINVAL, "invalid address `%s`", text);
  memcpy (host, text, len);
  host[len] = '\0';
  ip->family = strchr (host, ':') ? AF_INET6 : AF_INET;
  if (inet_pton (ip->family, host, ip->bytes) != 1)
    return tsd_make_error (err, EINVAL, "invalid address `%s`", text);
  if (slash)
    {
      long p = strtol (slash + 1, &end, 10);
      if (*end != '\0' || end == slash + 1 || p < 0 || p > (ip->family == AF_INET ? 32 : 128))
        return tsd_make_error (err, EINVAL, "invalid prefix length in `%s`", text);
      ip->prefix = (int) p;
    }
  return 0;
}

static size_t
ip_len (const struct tsd_ip *ip)
{
  return ip->family == AF_INET ? 4 : 16;
}

int
tsd_nl_addr_add (struct tsd_nl *nl, unsigned int index, const struct tsd_ip *ip, tsd_error_t *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = tsd_nl_request (nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof *ifa);
  int prefix = ip->prefix < 0 ? (int) ip_len (ip) * 8 : ip->prefix;

  ifa->ifa_family = (unsigned char) ip->family;
  ifa->ifa_prefixlen = (unsigned char) prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  ifa->ifa_flags = ip->family == AF_INET6 ? IFA_F_NODAD : 0;
  mnl_attr_put (nlh, IFA_LOCAL, ip_len (ip), ip->bytes);
  mnl_attr_put (nlh, IFA_ADDRESS, ip_len (ip), ip->bytes);
  if (ip->family == AF_INET && prefix < 31)
    {
      uint32_t a;
      memcpy (&a, ip->bytes, 4);
      a = htonl (ntohl (a) | (prefix == 0 ? 0xffffffffu : (0xffffffffu >> prefix)));
      mnl_attr_put (nlh, IFA_BROADCAST, 4, &a);
    }
  return tsd_nl_talk (nl, nlh, NULL, NULL, "add an address", err);
}

int
tsd_nl_default_route (struct tsd_nl *nl, unsigned int index, const struct tsd_ip *gw, tsd_error_t *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = tsd_nl_request (nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header (nlh, sizeof *rtm);

  rtm->rtm_family = (unsigned char) gw->family;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put (nlh, RTA_GATEWAY, ip_len (gw), gw->bytes);
  mnl_attr_put_u32 (nlh, RTA_OIF, index);
  return tsd_nl_talk (nl, nlh, NULL, NULL, "add the default route", err);
}
