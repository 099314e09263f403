/* selfexe.c: see selfexe.h. */
#include "selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int
tsd_ensure_sealed_self (char **argv, tsd_error_t *err)
{
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mfd = -1;
  struct stat st;
  int seals;
  off_t off = 0;

  if (self < 0)
    return tsd_make_error (err, errno, "open `/proc/self/exe`");
  seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS)
    {
      unsetenv ("_TSD_SEALED");
      return 0;
    }
  if (getenv ("_TSD_SEALED"))
    return tsd_make_error (err, 0, "re-executed from a memfd but /proc/self/exe is not sealed");
  if (fstat (self, &st) < 0)
    return tsd_make_error (err, errno, "stat `/proc/self/exe`");
  mfd = memfd_create ("tsd-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return tsd_make_error (err, errno, "memfd_create");
  while (off < st.st_size)
    {
      ssize_t n = sendfile (mfd, self, &off, (size_t) (st.st_size - off));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return tsd_make_error (err, errno, "copy `/proc/self/exe` to a memfd");
        }
      if (n == 0)
        break;
    }
  if (fcntl (mfd, F_ADD_SEALS, REQUIRED_SEALS) < 0)
    return tsd_make_error (err, errno, "seal the memfd");
  setenv ("_TSD_SEALED", "1", 1);
  fexecve (mfd, argv, environ);
  return tsd_make_error (err, errno, "fexecve the sealed runtime");
}
