/* seccomp_cache.c: see seccomp_cache.h. */
#include "seccomp_cache.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "utils.h"

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#define MAGIC "tsd-seccomp-bpf 1\n"

/* File layout: MAGIC, then a header, the profile text, the instructions. */
struct header
{
  uint32_t libseccomp[3];
  uint32_t flags;
  uint64_t text_len;
  uint64_t insns;
};

static uint64_t
fnv1a64 (const char *s, size_t n)
{
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char) s[i]) * 1099511628211ULL;
  return h;
}

static void
library_version (uint32_t v[3])
{
#ifdef HAVE_SECCOMP
  const struct scmp_version *sv = seccomp_version ();
  v[0] = sv->major;
  v[1] = sv->minor;
  v[2] = sv->micro;
#else
  v[0] = v[1] = v[2] = 0;
#endif
}

/* The stored program when the file holds one for exactly this profile text. */
static bool
load (const char *path, const char *text, size_t text_len, struct tsd_seccomp_filter *out)
{
  cleanup_free char *buf = NULL;
  size_t len = 0, off = strlen (MAGIC) + sizeof (struct header);
  struct header h;
  uint32_t lib[3];
  tsd_error_t err = NULL;

  if (tsd_read_file (path, &buf, &len, &err) < 0)
    {
      tsd_error_release (&err);
      return false;
    }
  if (len < off || memcmp (buf, MAGIC, strlen (MAGIC)) != 0)
    return false;
  memcpy (&h, buf + strlen (MAGIC), sizeof h);
  library_version (lib);
  if (memcmp (h.libseccomp, lib, sizeof lib) != 0 || h.text_len != text_len || h.insns == 0 || h.insns > BPF_MAXINSNS
      || len != off + text_len + h.insns * sizeof (struct sock_filter) || memcmp (buf + off, text, text_len) != 0)
    return false;
  out->insns = malloc (h.insns * sizeof (struct sock_filter));
  if (out->insns == NULL)
    return false;
  memcpy (out->insns, buf + off + text_len, h.insns * sizeof (struct sock_filter));
  out->len = (unsigned short) h.insns;
  out->flags = h.flags;
  return true;
}

static int
store (const char *dir, const char *path, const char *text, size_t text_len, const struct tsd_seccomp_filter *f, tsd_error_t *err)
{
  struct header h = { .flags = f->flags, .text_len = text_len, .insns = f->len };
  size_t insns_len = f->len * sizeof (struct sock_filter), off = strlen (MAGIC) + sizeof h;
  cleanup_free char *buf = malloc (off + text_len + insns_len);

  if (buf == NULL)
    return tsd_make_error (err, ENOMEM, "seccomp cache");
  library_version (h.libseccomp);
  memcpy (buf, MAGIC, strlen (MAGIC));
  memcpy (buf + strlen (MAGIC), &h, sizeof h);
  memcpy (buf + off, text, text_len);
  memcpy (buf + off + text_len, f->insns, insns_len);
  if (tsd_mkdir_p (dir, 0700, err) < 0)
    return -1;
  return tsd_write_file_atomic (path, buf, off + text_len + insns_len, 0600, err);
}

int
tsd_seccomp_compile_cached (const tsd_json *sc, const char *root, struct tsd_seccomp_filter *out, tsd_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *dir = NULL;
  cleanup_free char *path = NULL;
  size_t text_len = 0;
  FILE *f;

  memset (out, 0, sizeof *out);
  if (sc == NULL || sc->type != TSD_JSON_OBJECT || !tsd_seccomp_available ())
    return tsd_seccomp_compile (sc, out, err);
  f = open_memstream (&text, &text_len);
  if (f == NULL)
    return tsd_make_error (err, errno, "open_memstream");
  tsd_json_write (f, sc);
  if (fclose (f) != 0)
    return tsd_make_error (err, errno, "serialize linux.seccomp");
  if (asprintf (&dir, "%s/seccomp", root) < 0 || asprintf (&path, "%s/%016" PRIx64 ".bpf", dir, fnv1a64 (text, text_len)) < 0)
    return tsd_make_error (err, ENOMEM, "seccomp cache path");
  if (load (path, text, text_len, out))
    return 0;
  if (tsd_seccomp_compile (sc, out, err) < 0)
    return -1;
  if (out->insns && store (dir, path, text, text_len, out, err) < 0)
    {
      tsd_log ("warning", "seccomp cache `%s`: %s", path, (*err)->msg);
      tsd_error_release (err);
    }
  return 0;
}
