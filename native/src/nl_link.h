/* nl_link.h: links over rtnetlink: bridges, veth pairs, macvlans, deletion,
 * the bridge port's hairpin flag. Names are the kernel's (≤ 15 bytes). */
#ifndef TSD_NL_LINK_H
#define TSD_NL_LINK_H

#include <stdint.h>

#include "nl.h"

/* Creates bridge `name` (up, mtu when > 0); a bridge already there is taken over (set up). */
int tsd_nl_bridge_ensure (struct tsd_nl *nl, const char *name, int mtu, tsd_error_t *err);

struct tsd_link_new
{
  const char *kind;      /* "veth" or "macvlan" */
  const char *host_name; /* veth: the host end's name */
  unsigned int master;   /* veth: bridge index (0: none) */
  unsigned int parent;   /* macvlan: the lower link's index */
  int nsfd;              /* the container's namespace: where the peer (veth) or the link (macvlan) goes */
  const char *ifname;    /* its name there (eth0) */
  const uint8_t *mac;    /* 6 bytes, or NULL */
  int mtu;               /* 0: the kernel's */
};

/* Creates the pair (veth: the host end up, the container's end down) or the macvlan (up), with the container's end already in its namespace. */
int tsd_nl_link_create (struct tsd_nl *nl, const struct tsd_link_new *l, tsd_error_t *err);

/* Brings link `index` up. */
int tsd_nl_link_up (struct tsd_nl *nl, unsigned int index, tsd_error_t *err);

/* Sets the bridge port flag hairpin on link `index` (a container may reach itself through the host). */
int tsd_nl_port_hairpin (struct tsd_nl *nl, unsigned int index, tsd_error_t *err);

/* Deletes link `name`; *gone is 1 when it was deleted, 0 when there was none. */
int tsd_nl_link_delete (struct tsd_nl *nl, const char *name, int *gone, tsd_error_t *err);

#endif
