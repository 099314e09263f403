/* spec.h: the subset of the OCI runtime-spec 1.x config.json that tsd-runtime
 * applies, decoded once from the JSON tree. Strings point into the tree, which
 * the spec owns; arrays of pointers are owned by the spec. */
#ifndef TSD_SPEC_H
#define TSD_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"

enum tsd_cap_set
{
  TSD_CAP_BOUNDING,
  TSD_CAP_EFFECTIVE,
  TSD_CAP_INHERITABLE,
  TSD_CAP_PERMITTED,
  TSD_CAP_AMBIENT,
  TSD_CAP_SETS
};

struct tsd_mount
{
  const char *destination, *type, *source;
  const char **options;
  size_t n_options;
};

struct tsd_namespace
{
  int flag;         /* CLONE_NEW* */
  const char *path; /* join this one, NULL to create */
};

struct tsd_rlimit
{
  const char *name;
  int resource;
  uint64_t soft, hard;
};

struct tsd_device
{
  char type; /* c b u p */
  const char *path;
  int64_t major, minor;
  uint32_t mode;
  bool has_mode;
  uint32_t uid, gid;
};

struct tsd_device_rule
{
  bool allow;
  char type;            /* a c b */
  int64_t major, minor; /* -1 = '*' */
  const char *access;
};

/* A per-device block IO setting: a weight or a throttle rate. */
struct tsd_blkio_device
{
  int64_t major, minor, value;
};

enum tsd_blkio_list
{
  TSD_BLKIO_WEIGHT,
  TSD_BLKIO_READ_BPS,
  TSD_BLKIO_WRITE_BPS,
  TSD_BLKIO_READ_IOPS,
  TSD_BLKIO_WRITE_IOPS,
  TSD_BLKIO_LISTS
};

struct tsd_resources
{
  int64_t memory_limit, memory_swap, memory_reservation; /* -2 = unset */
  int64_t pids_limit;
  int64_t cpu_shares, cpu_quota, cpu_period;
  int64_t blkio_weight;     /* -2 = unset; 0 leaves the cgroup's default */
  bool disable_oom_killer;  /* memory.disableOOMKiller (v1 only: memory.oom_control) */
  int64_t memory_swappiness; /* -2 = unset; 0-100, v1 only (memory.swappiness) */
  const char *cpuset_cpus, *cpuset_mems;
  struct tsd_device_rule *devices;
  size_t n_devices;
  /* linux.resources.blockIO: weightDevice and the throttle*Device lists, by enum tsd_blkio_list. */
  struct tsd_blkio_device *blkio[TSD_BLKIO_LISTS];
  size_t n_blkio[TSD_BLKIO_LISTS];
};

struct tsd_spec
{
  tsd_json *json;
  tsd_json *process_json; /* from tsd_spec_load_process */
  const char *root_path;
  bool root_readonly;
  const char *hostname, *domainname;

  /* process */
  bool terminal;
  unsigned console_height, console_width;
  uid_t uid;
  gid_t gid;
  gid_t *gids;
  size_t n_gids;
  bool has_umask;
  mode_t umask;
  const char **args; /* NULL-terminated */
  const char **env;  /* NULL-terminated */
  const char *cwd;
  bool has_caps;
  uint64_t caps[TSD_CAP_SETS];
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  struct tsd_rlimit *rlimits;
  size_t n_rlimits;

  struct tsd_mount *mounts;
  size_t n_mounts;

  /* linux */
  struct tsd_namespace *namespaces;
  size_t n_namespaces;
  const char *cgroups_path;
  const char **masked_paths;
  size_t n_masked;
  const char **readonly_paths;
  size_t n_readonly;
  const char *rootfs_propagation;
  const char **sysctl_keys, **sysctl_values;
  size_t n_sysctl;
  struct tsd_device *devices;
  size_t n_devices;
  struct tsd_resources resources;
  const tsd_json *annotations;
  const tsd_json *seccomp; /* linux.seccomp, applied by seccomp.c */
  bool has_seccomp, has_user_ns;
};

/* Load and decode BUNDLE/config.json. */
struct tsd_spec *tsd_spec_load (const char *bundle, tsd_error_t *err);
void tsd_spec_free (struct tsd_spec *s);
static inline void
tsd_spec_freep (struct tsd_spec **s)
{
  tsd_spec_free (*s);
}
#define cleanup_spec __attribute__ ((cleanup (tsd_spec_freep)))

/* Replace the process section with a process.json (OCI "process" object), as
 * `exec --process` passes it. */
int tsd_spec_load_process (struct tsd_spec *s, const char *path, tsd_error_t *err);

/* The CLONE_NEW* flag of the namespace, or 0 when absent; *path set when joining. */
int tsd_spec_namespace (const struct tsd_spec *s, int flag, const char **path);

#endif
