# Native parts of tsdocker, built by node-gyp at `npm ci` (scripts/build.mjs):
#   tsd_native.node  N-API addon (mknod, xattrs, mount, overlay, flock, netlink) used by the daemon
#   tsd-runtime      OCI runtime (runc-compatible command line)
#   tsd-shim         per-container shim (stdio, json-file and local logs, attach, exit status)
#   tsd-init         PID 1 of `docker run --init` containers (tini's role), static
{
  "variables": {
    "have_seccomp": "<!(test -f /usr/include/seccomp.h && echo 1 || echo 0)",
  },
  "target_defaults": {
    "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-format-truncation", "-O2"],
    "defines": ["_GNU_SOURCE"],
    "cflags!": ["-fno-exceptions"],
  },
  "targets": [
    {
      "target_name": "tsd_native",
      "sources": ["src/addon.c", "src/addon_xattr.c", "src/addon_mount.c", "src/napi_args.c", "src/error.c", "src/overlay.c", "src/addon_nft.c", "src/addon_netns_socket.c",
                  "src/addon_net.c", "src/net_attach.c", "src/nl.c", "src/nl_link.c", "src/nl_addr.c", "src/fsutil.c"],
      "defines": ["NAPI_VERSION=8"],
      # libnftables (libnftables-dev): the firewall's nft batches (addon_nft.c).
      # libmnl (libmnl-dev): rtnetlink for bridges, veths, macvlans, addresses, routes.
      "libraries": ["-lnftables", "-lmnl"],
    },
    {
      "target_name": "tsd-runtime",
      "type": "executable",
      "sources": [
        "src/runtime_main.c", "src/container.c", "src/init.c", "src/exec.c", "src/process.c", "src/spec.c", "src/spec_process.c", "src/spec_decode.c", "src/json.c", "src/json_write.c",
        "src/mounts.c", "src/mountopts.c", "src/devices.c", "src/rootfs.c", "src/securejoin.c", "src/caps.c", "src/cgroups.c", "src/cgroup_resources.c", "src/state.c", "src/console.c", "src/netns.c",
        "src/fsutil.c", "src/log.c", "src/selfexe.c", "src/signals.c", "src/seccomp.c", "src/seccomp_cache.c", "src/error.c",
      ],
      # libseccomp is optional: without its header the runtime warns and skips linux.seccomp.
      "conditions": [
        ["have_seccomp==1", { "defines": ["HAVE_SECCOMP"], "libraries": ["-lseccomp"] }],
      ],
    },
    {
      "target_name": "tsd-shim",
      "type": "executable",
      "sources": [
        "src/shim_main.c", "src/shim_loop.c", "src/shim_requests.c", "src/shim_exit.c", "src/shim_stdio.c",
        "src/shim_client.c", "src/shim_launch.c", "src/jsonlog.c", "src/locallog.c", "src/json.c", "src/console.c",
        "src/fsutil.c", "src/error.c", "src/signals.c",
      ],
      # zlib (zlib1g-dev at build time) gzips the local log driver's rotated files.
      "libraries": ["-lz"],
    },
    {
      # Bound into containers whose root may hold no libc: linked statically.
      "target_name": "tsd-init",
      "type": "executable",
      "sources": ["src/pid1_main.c", "src/pid1.c", "src/error.c"],
      "ldflags": ["-static"],
    },
  ],
}
