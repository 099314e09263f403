/* nl_addr.h: addresses and the default route over rtnetlink; CIDR parsing. */
#ifndef TSD_NL_ADDR_H
#define TSD_NL_ADDR_H

#include <netinet/in.h>

#include "nl.h"

struct tsd_ip
{
  int family; /* AF_INET or AF_INET6 */
  unsigned char bytes[16];
  int prefix; /* -1 when the text had none */
};

/* "172.17.0.2/16", "fd00::2/64", "172.17.0.1": 0, or an EINVAL error naming the text. */
int tsd_ip_parse (const char *text, struct tsd_ip *ip, tsd_error_t *err);

/* Adds (or replaces) address ip/prefix on link `index` (IPv6 without duplicate detection). */
int tsd_nl_addr_add (struct tsd_nl *nl, unsigned int index, const struct tsd_ip *ip, tsd_error_t *err);

/* The default route of ip's family through gateway ip on link `index`. */
int tsd_nl_default_route (struct tsd_nl *nl, unsigned int index, const struct tsd_ip *gw, tsd_error_t *err);

#endif
