/* netns.c: see netns.h. */
#include "netns.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "fsutil.h"
#include "utils.h"

int
tsd_netns_setup_loopback (tsd_error_t *err)
{
  static const char *const ipv6[] = { "/proc/sys/net/ipv6/conf/all/disable_ipv6",
                                      "/proc/sys/net/ipv6/conf/default/disable_ipv6",
                                      "/proc/sys/net/ipv6/conf/lo/disable_ipv6" };
  struct ifreq ifr;
  cleanup_close int sock = -1;

  /* Docker's containers get no IPv6 unless a network enables it; before lo is
   * up, so that it never gets ::1. A kernel without IPv6 has no such files. */
  for (size_t i = 0; i < sizeof ipv6 / sizeof ipv6[0]; i++)
    if (tsd_write_file (ipv6[i], "1", 1, err) < 0)
      {
        if ((*err)->status != ENOENT)
          return -1;
        tsd_error_release (err);
      }
  sock = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return tsd_make_error (err, errno, "socket for the loopback interface");
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (sock, SIOCGIFFLAGS, &ifr) < 0)
    return tsd_make_error (err, errno, "read the flags of lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (sock, SIOCSIFFLAGS, &ifr) < 0)
    return tsd_make_error (err, errno, "bring lo up");
  return 0;
}
