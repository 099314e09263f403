/* addon.c: the N-API addon tsd_native.node: its exports, mknod, flock and mallocTrim
 * (xattrs in addon_xattr.c, mounts in addon_mount.c, N-API glue in napi_args.c).
 *
 * Thin, synchronous wrappers over the few syscalls Node does not offer:
 * mknod, the l*xattr family, mount/umount2, overlay mounts of any number of
 * layers (overlay.c) and flock.  A failure throws a JS
 * Error shaped like Node's system errors: message "<syscall> <path>: <strerror>",
 * .errno (negative, as Node's fs errors), .code ('ENOENT'...), .syscall, .path. */
#include "addon.h"

#include <errno.h>
#include <malloc.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "napi_args.h"
#include "utils.h"

/* mknod(path, mode, major, minor) */
static napi_value
js_mknod (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  int64_t mode, maj, min;
  cleanup_free char *path = NULL;

  if (!tsd_napi_get_args (env, info, 4, 4, argv) || !tsd_napi_get_str (env, argv[0], "path", false, &path)
      || !tsd_napi_get_num (env, argv[1], "mode", &mode) || !tsd_napi_get_num (env, argv[2], "major", &maj)
      || !tsd_napi_get_num (env, argv[3], "minor", &min))
    return NULL;
  return tsd_napi_void_result (env, mknod (path, (mode_t) mode, makedev ((unsigned) maj, (unsigned) min)),
                      "mknod", path);
}

/* flock(fd, exclusive, nonBlocking): EWOULDBLOCK code when busy */
static napi_value
js_flock (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int64_t fd;
  bool excl, nb;
  int r;

  if (!tsd_napi_get_args (env, info, 3, 1, argv) || !tsd_napi_get_num (env, argv[0], "fd", &fd)
      || !tsd_napi_get_bool (env, argv[1], &excl) || !tsd_napi_get_bool (env, argv[2], &nb))
    return NULL;
  /* Blocking waits hold the JS thread: callers use nonBlocking or short waits. */
  r = TEMP_FAILURE_RETRY (flock ((int) fd, (excl ? LOCK_EX : LOCK_SH) | (nb ? LOCK_NB : 0)));
  if (r < 0)
    return tsd_napi_throw_errno (env, errno, "flock", NULL, errno == EWOULDBLOCK ? "EWOULDBLOCK" : NULL);
  return tsd_napi_undefined (env);
}

/* mallocTrim(): gives the kernel back the pages glibc holds free, in every
 * arena (its own trim threshold rises after large frees and keeps them). */
static napi_value
js_malloc_trim (napi_env env, napi_callback_info info)
{
  (void) info;
  malloc_trim (0);
  return tsd_napi_undefined (env);
}

static napi_value
init (napi_env env, napi_value exports)
{
  napi_value ms;
  static const struct
  {
    const char *name;
    napi_callback cb;
  } fns[] = {
    { "mknod", js_mknod },
    { "lsetxattr", js_lsetxattr },
    { "lgetxattr", js_lgetxattr },
    { "llistxattr", js_llistxattr },
    { "lremovexattr", js_lremovexattr },
    { "mount", js_mount },
    { "umount2", js_umount2 },
    { "mountOverlay", js_mount_overlay },
    { "flock", js_flock },
    { "mallocTrim", js_malloc_trim },
    { "netBridge", js_net_bridge },
    { "netAttach", js_net_attach },
    { "netLinkDelete", js_net_link_delete },
    { "netLinkDeleteAsync", js_net_link_delete_async },
    { "nftRun", js_nft_run },
    { "reservePort", js_reserve_port },
    { "netnsListen", js_netns_listen },
    { "netnsSocket", js_netns_socket },
  };

  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    {
      napi_value f;
      NAPI_CALL (env, napi_create_function (env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f));
      NAPI_CALL (env, napi_set_named_property (env, exports, fns[i].name, f));
    }
  NAPI_CALL (env, napi_create_object (env, &ms));
  if (!tsd_napi_set_int (env, ms, "RDONLY", MS_RDONLY) || !tsd_napi_set_int (env, ms, "NOSUID", MS_NOSUID)
      || !tsd_napi_set_int (env, ms, "NODEV", MS_NODEV) || !tsd_napi_set_int (env, ms, "NOEXEC", MS_NOEXEC)
      || !tsd_napi_set_int (env, ms, "BIND", MS_BIND) || !tsd_napi_set_int (env, ms, "REC", MS_REC)
      || !tsd_napi_set_int (env, ms, "PRIVATE", MS_PRIVATE) || !tsd_napi_set_int (env, ms, "SLAVE", MS_SLAVE)
      || !tsd_napi_set_int (env, ms, "REMOUNT", MS_REMOUNT))
    return NULL;
  NAPI_CALL (env, napi_object_freeze (env, ms));
  NAPI_CALL (env, napi_set_named_property (env, exports, "MS", ms));
  if (!tsd_napi_set_int (env, exports, "MNT_DETACH", MNT_DETACH))
    return NULL;
  return exports;
}

NAPI_MODULE (NODE_GYP_MODULE_NAME, init)

