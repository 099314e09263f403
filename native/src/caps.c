/* caps.c: capability sets through the raw capset(2)/prctl(2) interface. */
#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cap_names[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
  "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
  "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
  "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS ((int) (sizeof cap_names / sizeof cap_names[0]))

int
tsd_cap_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  if (strncasecmp (name, "CAP_", 4) == 0)
    name += 4;
  for (int i = 0; i < N_CAPS; i++)
    if (strcasecmp (cap_names[i] + 4, name) == 0)
      return i;
  return -1;
}

static int
last_cap (void)
{
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  int v = N_CAPS - 1;
  if (f)
    {
      if (fscanf (f, "%d", &v) != 1)
        v = N_CAPS - 1;
      fclose (f);
    }
  return v > 63 ? 63 : v;
}

int
tsd_caps_drop_bounding (const struct tsd_spec *s, tsd_error_t *err)
{
  int last = last_cap ();
  if (!s->has_caps)
    return 0;
  for (int cap = 0; cap <= last; cap++)
    {
      if (s->caps[TSD_CAP_BOUNDING] & (1ULL << cap))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
        return tsd_make_error (err, errno, "drop capability %d from the bounding set", cap);
    }
  return 0;
}

int
tsd_caps_apply (const struct tsd_spec *s, tsd_error_t *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  int last = last_cap ();

  if (!s->has_caps)
    return 0;
  memset (data, 0, sizeof data);
  for (int i = 0; i < 2; i++)
    {
      data[i].effective = (uint32_t) (s->caps[TSD_CAP_EFFECTIVE] >> (32 * i));
      data[i].permitted = (uint32_t) (s->caps[TSD_CAP_PERMITTED] >> (32 * i));
      data[i].inheritable = (uint32_t) (s->caps[TSD_CAP_INHERITABLE] >> (32 * i));
    }
  if (syscall (SYS_capset, &hdr, data) < 0)
    return tsd_make_error (err, errno, "capset");
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return tsd_make_error (err, errno, "clear ambient capabilities");
  for (int cap = 0; cap <= last; cap++)
    if ((s->caps[TSD_CAP_AMBIENT] & (1ULL << cap))
        && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
      return tsd_make_error (err, errno, "raise ambient capability %s", cap < N_CAPS ? cap_names[cap] : "?");
  return 0;
}
