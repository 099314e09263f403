/* net_attach.c: see net_attach.h. */
#include "net_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "nl.h"
#include "nl_addr.h"
#include "nl_link.h"
#include "utils.h"

static int
add_addrs (struct tsd_nl *nl, unsigned int index, const char *const *addrs, int n, tsd_error_t *err)
{
  for (int i = 0; i < n; i++)
    {
      struct tsd_ip ip;
      if (tsd_ip_parse (addrs[i], &ip, err) < 0 || tsd_nl_addr_add (nl, index, &ip, err) < 0)
        return tsd_error_wrap (err, "address `%s`", addrs[i]);
    }
  return 0;
}

int
tsd_net_bridge (const char *name, int mtu, const char *const *addrs, int naddrs, tsd_error_t *err)
{
  struct tsd_nl nl;
  unsigned int index;
  int r = -1;

  if (tsd_nl_open (&nl, -1, NULL, err) < 0)
    return -1;
  if (tsd_nl_bridge_ensure (&nl, name, mtu, err) < 0 || tsd_nl_link_index (&nl, name, &index, err) < 0)
    goto out;
  if (index == 0)
    {
      tsd_make_error (err, ENODEV, "bridge `%s` vanished", name);
      goto out;
    }
  r = add_addrs (&nl, index, addrs, naddrs, err);
out:
  tsd_nl_close (&nl);
  return r;
}

static bool
has_ipv6 (const struct tsd_attach *a)
{
  for (int i = 0; i < a->naddrs; i++)
    if (strchr (a->addrs[i], ':'))
      return true;
  return false;
}

/* Inside the namespace: the addresses and default routes on the new link. */
static int
configure_inside (const struct tsd_attach *a, int nsfd, tsd_error_t *err)
{
  struct tsd_nl nl;
  unsigned int index;
  int r = -1;

  if (tsd_nl_open (&nl, nsfd, has_ipv6 (a) ? a->ifname : NULL, err) < 0)
    return -1;
  if (tsd_nl_link_index (&nl, a->ifname, &index, err) < 0)
    goto out;
  if (index == 0)
    {
      tsd_make_error (err, ENODEV, "link `%s` is not in the container's namespace", a->ifname);
      goto out;
    }
  if (add_addrs (&nl, index, a->addrs, a->naddrs, err) < 0 || tsd_nl_link_up (&nl, index, err) < 0)
    goto out;
  for (int i = 0; i < a->ngateways; i++)
    {
      struct tsd_ip gw;
      if (tsd_ip_parse (a->gateways[i], &gw, err) < 0 || tsd_nl_default_route (&nl, index, &gw, err) < 0)
        {
          tsd_error_wrap (err, "gateway `%s`", a->gateways[i]);
          goto out;
        }
    }
  r = 0;
out:
  tsd_nl_close (&nl);
  return r;
}

static int
create_link (struct tsd_nl *nl, const struct tsd_attach *a, int nsfd, bool veth, tsd_error_t *err)
{
  struct tsd_link_new l = { .kind = a->kind, .host_name = a->host_name, .nsfd = nsfd, .ifname = a->ifname, .mac = a->mac, .mtu = a->mtu };
  const char *lower = veth ? a->bridge : a->parent;
  unsigned int index;

  if (tsd_nl_link_index (nl, lower, &index, err) < 0)
    return -1;
  if (index == 0)
    return tsd_make_error (err, ENODEV, "%s `%s` not found", veth ? "bridge" : "parent interface", lower);
  if (veth)
    l.master = index;
  else
    l.parent = index;
  return tsd_nl_link_create (nl, &l, err);
}

int
tsd_net_attach (const struct tsd_attach *a, tsd_error_t *err)
{
  struct tsd_nl nl;
  cleanup_close int nsfd = open (a->netns, O_RDONLY | O_CLOEXEC);
  bool veth = strcmp (a->kind, "veth") == 0;
  unsigned int index;
  int r = -1, gone;

  if (nsfd < 0)
    return tsd_make_error (err, errno, "open `%s`", a->netns);
  if (tsd_nl_open (&nl, -1, NULL, err) < 0)
    return -1;
  if (create_link (&nl, a, nsfd, veth, err) < 0)
    goto out;
  if (veth && a->hairpin)
    {
      if (tsd_nl_link_index (&nl, a->host_name, &index, err) < 0 || tsd_nl_port_hairpin (&nl, index, err) < 0)
        goto undo;
    }
  if (configure_inside (a, nsfd, err) < 0)
    goto undo;
  r = 0;
  goto out;
undo:
  if (veth)
    {
      tsd_error_t ignored = NULL;
      tsd_nl_link_delete (&nl, a->host_name, &gone, &ignored);
      tsd_error_release (&ignored);
    }
  else
    {
      tsd_error_t ignored = NULL;
      tsd_net_link_delete (a->ifname, a->netns, &ignored);
      tsd_error_release (&ignored);
    }
out:
  tsd_nl_close (&nl);
  return r;
}

int
tsd_net_link_delete (const char *name, const char *netns, tsd_error_t *err)
{
  struct tsd_nl nl;
  cleanup_close int nsfd = -1;
  int gone = 0;

  if (netns)
    {
      nsfd = open (netns, O_RDONLY | O_CLOEXEC);
      if (nsfd < 0)
        {
          if (errno == ENOENT || errno == ESRCH)
            return 0;
          return tsd_make_error (err, errno, "open `%s`", netns);
        }
    }
  if (tsd_nl_open (&nl, nsfd, NULL, err) < 0)
    return -1;
  if (tsd_nl_link_delete (&nl, name, &gone, err) < 0)
    gone = -1;
  tsd_nl_close (&nl);
  return gone;
}
