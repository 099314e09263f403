/* addon.h: the addon's functions, one per JS export (see addon.c). */
#ifndef TSD_ADDON_H
#define TSD_ADDON_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

napi_value js_lsetxattr (napi_env env, napi_callback_info info);
napi_value js_lgetxattr (napi_env env, napi_callback_info info);
napi_value js_llistxattr (napi_env env, napi_callback_info info);
napi_value js_lremovexattr (napi_env env, napi_callback_info info);
napi_value js_mount (napi_env env, napi_callback_info info);
napi_value js_umount2 (napi_env env, napi_callback_info info);
napi_value js_mount_overlay (napi_env env, napi_callback_info info);
napi_value js_net_bridge (napi_env env, napi_callback_info info);
napi_value js_net_attach (napi_env env, napi_callback_info info);
napi_value js_net_link_delete (napi_env env, napi_callback_info info);
napi_value js_net_link_delete_async (napi_env env, napi_callback_info info);
napi_value js_nft_run (napi_env env, napi_callback_info info);
napi_value js_reserve_port (napi_env env, napi_callback_info info);
napi_value js_netns_listen (napi_env env, napi_callback_info info);
napi_value js_netns_socket (napi_env env, napi_callback_info info);

#endif
