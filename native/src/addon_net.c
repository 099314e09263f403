/* addon_net.c: the addon's network exports (net_attach.c does the work):
 *   netBridge(name, mtu, addrs[])          bridge up with its gateway addresses
 *   netAttach({ kind, netns, ifname, hostIfname, bridge, parent, mac, mtu, hairpin, addresses[], gateways[] })
 *   netLinkDelete(name, netns | null)      true when deleted, false when absent
 * A failure throws an Error whose message names the step, with errno/code and syscall 'netlink'. */
#include "addon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "napi_args.h"
#include "net_attach.h"
#include "utils.h"

/* The JS Error for err (released); NULL when N-API fails. */
static napi_value
error_of (napi_env env, tsd_error_t *err)
{
  napi_value jmsg, jerr = NULL, jerrno;
  int status = (*err)->status ? (*err)->status : EIO;
  const char *code = strerrorname_np (status);

  if (napi_create_string_utf8 (env, (*err)->msg ? (*err)->msg : "netlink failure", NAPI_AUTO_LENGTH, &jmsg) == napi_ok
      && napi_create_error (env, NULL, jmsg, &jerr) == napi_ok)
    {
      if (napi_create_int32 (env, -status, &jerrno) == napi_ok)
        napi_set_named_property (env, jerr, "errno", jerrno);
      tsd_napi_set_str (env, jerr, "code", code ? code : "UNKNOWN");
      tsd_napi_set_str (env, jerr, "syscall", "netlink");
    }
  tsd_error_release (err);
  return jerr;
}

static napi_value
throw_tsd (napi_env env, tsd_error_t *err)
{
  napi_value jerr = error_of (env, err);
  if (jerr)
    napi_throw (env, jerr);
  return NULL;
}

/* A string array of at most max entries into out (each malloc'd). */
static bool
get_str_array (napi_env env, napi_value v, const char *what, char **out, int max, int *n)
{
  bool is_array = false;
  uint32_t len;

  *n = 0;
  if (napi_is_array (env, v, &is_array) != napi_ok || !is_array || napi_get_array_length (env, v, &len) != napi_ok || len > (uint32_t) max)
    {
      char msg[96];
      snprintf (msg, sizeof msg, "%s must be an array of at most %d strings", what, max);
      tsd_napi_throw_type (env, msg);
      return false;
    }
  for (uint32_t i = 0; i < len; i++)
    {
      napi_value e;
      if (napi_get_element (env, v, i, &e) != napi_ok || !tsd_napi_get_str (env, e, what, false, &out[i]))
        return false;
      (*n)++;
    }
  return true;
}

static void
free_strs (char **s, int n)
{
  for (int i = 0; i < n; i++)
    free (s[i]);
}

napi_value
js_net_bridge (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  cleanup_free char *name = NULL;
  char *addrs[TSD_NET_MAX_ADDRS] = { 0 };
  int n = 0, r;
  int64_t mtu;
  tsd_error_t err = NULL;

  if (!tsd_napi_get_args (env, info, 3, 3, argv) || !tsd_napi_get_str (env, argv[0], "name", false, &name)
      || !tsd_napi_get_num (env, argv[1], "mtu", &mtu) || !get_str_array (env, argv[2], "addrs", addrs, TSD_NET_MAX_ADDRS, &n))
    {
      free_strs (addrs, n);
      return NULL;
    }
  r = tsd_net_bridge (name, (int) mtu, (const char *const *) addrs, n, &err);
  free_strs (addrs, n);
  return r < 0 ? throw_tsd (env, &err) : tsd_napi_undefined (env);
}

static bool
get_prop (napi_env env, napi_value obj, const char *key, napi_value *out)
{
  return napi_get_named_property (env, obj, key, out) == napi_ok;
}

static bool
get_str_prop (napi_env env, napi_value obj, const char *key, bool nullable, char **out)
{
  napi_value v;
  return get_prop (env, obj, key, &v) && tsd_napi_get_str (env, v, key, nullable, out);
}

static bool
parse_mac (napi_env env, const char *text, uint8_t mac[6])
{
  if (sscanf (text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
    {
      tsd_napi_throw_type (env, "mac must be six hex bytes separated by colons");
      return false;
    }
  return true;
}

struct attach_strs
{
  char *kind, *netns, *ifname, *host, *bridge, *parent, *mac;
  char *addrs[TSD_NET_MAX_ADDRS], *gws[TSD_NET_MAX_ADDRS];
};

static void
free_attach_strs (struct attach_strs *s, int naddrs, int ngws)
{
  free (s->kind), free (s->netns), free (s->ifname), free (s->host), free (s->bridge), free (s->parent), free (s->mac);
  free_strs (s->addrs, naddrs);
  free_strs (s->gws, ngws);
}

napi_value
js_net_attach (napi_env env, napi_callback_info info)
{
  napi_value argv[1], v;
  struct attach_strs s = { 0 };
  struct tsd_attach a = { 0 };
  uint8_t mac[6];
  int64_t mtu = 0;
  tsd_error_t err = NULL;
  bool ok;
  int r;

  ok = tsd_napi_get_args (env, info, 1, 1, argv) && get_str_prop (env, argv[0], "kind", false, &s.kind)
       && get_str_prop (env, argv[0], "netns", false, &s.netns) && get_str_prop (env, argv[0], "ifname", false, &s.ifname)
       && get_str_prop (env, argv[0], "hostIfname", true, &s.host) && get_str_prop (env, argv[0], "bridge", true, &s.bridge)
       && get_str_prop (env, argv[0], "parent", true, &s.parent) && get_str_prop (env, argv[0], "mac", true, &s.mac)
       && get_prop (env, argv[0], "mtu", &v) && tsd_napi_get_opt_num (env, v, "mtu", true, &mtu)
       && get_prop (env, argv[0], "hairpin", &v) && tsd_napi_get_bool (env, v, &a.hairpin)
       && get_prop (env, argv[0], "addresses", &v) && get_str_array (env, v, "addresses", s.addrs, TSD_NET_MAX_ADDRS, &a.naddrs)
       && get_prop (env, argv[0], "gateways", &v) && get_str_array (env, v, "gateways", s.gws, TSD_NET_MAX_ADDRS, &a.ngateways)
       && (s.mac == NULL || parse_mac (env, s.mac, mac));
  if (ok && strcmp (s.kind, "veth") != 0 && strcmp (s.kind, "macvlan") != 0)
    ok = tsd_napi_throw_type (env, "kind must be veth or macvlan") != NULL;
  if (ok && strcmp (s.kind, "veth") == 0 && (s.host == NULL || s.bridge == NULL))
    ok = tsd_napi_throw_type (env, "a veth needs hostIfname and bridge") != NULL;
  if (ok && strcmp (s.kind, "macvlan") == 0 && s.parent == NULL)
    ok = tsd_napi_throw_type (env, "a macvlan needs parent") != NULL;
  if (!ok)
    {
      free_attach_strs (&s, a.naddrs, a.ngateways);
      return NULL;
    }
  a.kind = s.kind, a.netns = s.netns, a.ifname = s.ifname, a.host_name = s.host, a.bridge = s.bridge, a.parent = s.parent;
  a.mac = s.mac ? mac : NULL;
  a.mtu = (int) mtu;
  for (int i = 0; i < a.naddrs; i++)
    a.addrs[i] = s.addrs[i];
  for (int i = 0; i < a.ngateways; i++)
    a.gateways[i] = s.gws[i];
  r = tsd_net_attach (&a, &err);
  free_attach_strs (&s, a.naddrs, a.ngateways);
  return r < 0 ? throw_tsd (env, &err) : tsd_napi_undefined (env);
}

napi_value
js_net_link_delete (napi_env env, napi_callback_info info)
{
  napi_value argv[2], result;
  cleanup_free char *name = NULL;
  cleanup_free char *netns = NULL;
  tsd_error_t err = NULL;
  int r;

  if (!tsd_napi_get_args (env, info, 2, 1, argv) || !tsd_napi_get_str (env, argv[0], "name", false, &name)
      || !tsd_napi_get_str (env, argv[1], "netns", true, &netns))
    return NULL;
  r = tsd_net_link_delete (name, netns, &err);
  if (r < 0)
    return throw_tsd (env, &err);
  NAPI_CALL (env, napi_get_boolean (env, r == 1, &result));
  return result;
}

/* netLinkDeleteAsync(name, netns | null): the same on libuv's thread pool, a
 * Promise of the boolean. Deleting a veth waits for RCU grace periods (10-30
 * ms): off the JS thread, and off a container's stop path. */
struct delete_work
{
  napi_async_work work;
  napi_deferred deferred;
  char *name;
  char *netns;
  int result;
  tsd_error_t err;
};

static void
delete_execute (napi_env env, void *data)
{
  struct delete_work *w = data;
  w->result = tsd_net_link_delete (w->name, w->netns, &w->err);
}

static void
delete_complete (napi_env env, napi_status status, void *data)
{
  struct delete_work *w = data;
  napi_value v = NULL;

  if (w->result < 0)
    {
      v = error_of (env, &w->err);
      if (v)
        napi_reject_deferred (env, w->deferred, v);
    }
  else if (napi_get_boolean (env, w->result == 1, &v) == napi_ok)
    napi_resolve_deferred (env, w->deferred, v);
  napi_delete_async_work (env, w->work);
  free (w->name);
  free (w->netns);
  free (w);
}

napi_value
js_net_link_delete_async (napi_env env, napi_callback_info info)
{
  napi_value argv[2], promise, resource;
  struct delete_work *w = calloc (1, sizeof *w);

  if (w == NULL)
    return tsd_napi_throw_errno (env, ENOMEM, "netLinkDeleteAsync", NULL, NULL);
  if (!tsd_napi_get_args (env, info, 2, 1, argv) || !tsd_napi_get_str (env, argv[0], "name", false, &w->name)
      || !tsd_napi_get_str (env, argv[1], "netns", true, &w->netns))
    goto fail;
  if (napi_create_promise (env, &w->deferred, &promise) != napi_ok
      || napi_create_string_utf8 (env, "netLinkDelete", NAPI_AUTO_LENGTH, &resource) != napi_ok
      || napi_create_async_work (env, NULL, resource, delete_execute, delete_complete, w, &w->work) != napi_ok
      || napi_queue_async_work (env, w->work) != napi_ok)
    goto fail;
  return promise;
fail:
  free (w->name);
  free (w->netns);
  free (w);
  return NULL;
}
