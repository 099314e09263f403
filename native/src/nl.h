/* nl.h: one rtnetlink socket (libmnl), in the caller's network namespace or
 * in another one (opened from a short thread that joins it: the socket stays
 * bound to the namespace it was made in, the daemon's threads never move).
 * Every request asks for an ACK; a kernel refusal becomes a tsd_error_t with
 * the request's name and the kernel's errno. */
#ifndef TSD_NL_H
#define TSD_NL_H

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>

#include "error.h"

struct tsd_nl
{
  struct mnl_socket *sock;
  unsigned int seq;
  unsigned int portid;
};

/* Opens the socket in the namespace of nsfd (-1: the caller's). When
 * ipv6_ifname is set, IPv6 is enabled in that namespace first (all, default
 * and that interface: the runtime disabled it as Docker does). */
int tsd_nl_open (struct tsd_nl *nl, int nsfd, const char *ipv6_ifname, tsd_error_t *err);
void tsd_nl_close (struct tsd_nl *nl);

/* A new request in buf (at least MNL_SOCKET_BUFFER_SIZE): header with type and flags | NLM_F_REQUEST | NLM_F_ACK. */
struct nlmsghdr *tsd_nl_request (struct tsd_nl *nl, char *buf, int type, int flags);

/* Sends nlh and reads the answers up to the ACK, calling cb on data messages (cb may be NULL). */
int tsd_nl_talk (struct tsd_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data, const char *what, tsd_error_t *err);

/* The index of link `name` in the socket's namespace; 0 (no error) when there is none. */
int tsd_nl_link_index (struct tsd_nl *nl, const char *name, unsigned int *index, tsd_error_t *err);

#endif
