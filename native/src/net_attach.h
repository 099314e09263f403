/* net_attach.h: the network operations the daemon asks for, each one call
 * over one or two netlink sockets and no process: a bridge with its gateway
 * addresses, a container's endpoint (veth into a bridge, or macvlan) with its
 * addresses and default routes, a link's deletion. */
#ifndef TSD_NET_ATTACH_H
#define TSD_NET_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define TSD_NET_MAX_ADDRS 4

/* Creates (or takes over) the bridge, up, with the addresses (CIDR). */
int tsd_net_bridge (const char *name, int mtu, const char *const *addrs, int naddrs, tsd_error_t *err);

struct tsd_attach
{
  const char *kind;       /* "veth" or "macvlan" */
  const char *netns;      /* /proc/<pid>/ns/net */
  const char *ifname;     /* inside: eth0, eth1… */
  const char *host_name;  /* veth: the host end */
  const char *bridge;     /* veth: the bridge to enslave it to */
  const char *parent;     /* macvlan: the lower link */
  const uint8_t *mac;     /* 6 bytes, or NULL */
  int mtu;
  bool hairpin;
  const char *addrs[TSD_NET_MAX_ADDRS]; /* CIDR */
  int naddrs;
  const char *gateways[TSD_NET_MAX_ADDRS]; /* one per family at most; none for an internal network */
  int ngateways;
};

/* The whole endpoint; on failure what was made is deleted again. */
int tsd_net_attach (const struct tsd_attach *a, tsd_error_t *err);

/* Deletes link `name` (in netns when not NULL; a namespace already gone counts as deleted): 1 deleted, 0 absent. */
int tsd_net_link_delete (const char *name, const char *netns, tsd_error_t *err);

#endif
