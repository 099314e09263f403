/* utils.h: cleanup attributes and small helpers shared by the native code. */
#ifndef TSD_UTILS_H
#define TSD_UTILS_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
tsd_freep (void *p)
{
  free (*(void **) p);
}
static inline void
tsd_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

#define cleanup_free __attribute__ ((cleanup (tsd_freep)))
#define cleanup_close __attribute__ ((cleanup (tsd_closep)))

#ifndef TEMP_FAILURE_RETRY
#define TEMP_FAILURE_RETRY(expression)                                                             \
  (__extension__ ({                                                                                \
    long int __result;                                                                             \
    do                                                                                             \
      __result = (long int) (expression);                                                          \
    while (__result == -1L && errno == EINTR);                                                     \
    __result;                                                                                      \
  }))
#endif

#define UNUSED __attribute__ ((unused))

#endif
