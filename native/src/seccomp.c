/* seccomp.c: see seccomp.h. */
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "utils.h"

#ifdef HAVE_SECCOMP
#include <seccomp.h>

bool
tsd_seccomp_available (void)
{
  return true;
}

static int
parse_action (const tsd_json *action, const tsd_json *errno_ret, int default_errno, uint32_t *out, tsd_error_t *err)
{
  const char *a = tsd_json_str (action);
  int e = errno_ret && errno_ret->is_int ? (int) errno_ret->integer : default_errno;
  if (a == NULL)
    return tsd_make_error (err, 0, "config.json: seccomp action missing");
  if (strcmp (a, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (a, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO ((uint32_t) e);
  else if (strcmp (a, "SCMP_ACT_KILL") == 0 || strcmp (a, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL;
  else if (strcmp (a, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (a, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (a, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE ((uint32_t) e);
  else if (strcmp (a, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else
    return tsd_make_error (err, 0, "config.json: unsupported seccomp action `%s`", a);
  return 0;
}

static int
parse_op (const char *op, enum scmp_compare *out)
{
  static const struct
  {
    const char *name;
    enum scmp_compare op;
  } ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; op && i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp (op, ops[i].name) == 0)
      {
        *out = ops[i].op;
        return 0;
      }
  return -1;
}

static uint64_t
u64 (const tsd_json *j)
{
  if (j == NULL || j->type != TSD_JSON_NUMBER)
    return 0;
  return j->is_int ? (uint64_t) j->integer : (uint64_t) j->number;
}

/* One syscalls[] entry: every name, with its argument conditions. */
static int
add_entry (scmp_filter_ctx ctx, const tsd_json *e, uint32_t dflt, int default_errno, tsd_error_t *err)
{
  const tsd_json *names = tsd_json_get (e, "names"), *args = tsd_json_get (e, "args"), *name1 = tsd_json_get (e, "name");
  struct scmp_arg_cmp cmps[6];
  unsigned n = 0;
  bool same_index = false;
  uint32_t action;

  if (parse_action (tsd_json_get (e, "action"), tsd_json_get (e, "errnoRet"), default_errno, &action, err) < 0)
    return -1;
  if (action == dflt)
    return 0;
  if (args && args->type == TSD_JSON_ARRAY)
    for (size_t i = 0; i < args->len; i++)
      {
        const tsd_json *a = args->items[i];
        enum scmp_compare op;
        uint64_t idx = u64 (tsd_json_get (a, "index"));
        if (n >= 6 || idx > 5 || parse_op (tsd_json_str (tsd_json_get (a, "op")), &op) < 0)
          return tsd_make_error (err, 0, "config.json: invalid seccomp argument condition");
        for (unsigned k = 0; k < n; k++)
          same_index |= cmps[k].arg == idx;
        cmps[n++] = (struct scmp_arg_cmp){ .arg = (unsigned) idx, .op = op, .datum_a = u64 (tsd_json_get (a, "value")),
                                           .datum_b = u64 (tsd_json_get (a, "valueTwo")) };
      }
  for (size_t i = 0; names == NULL || i < names->len; i++)
    {
      const char *name = names ? tsd_json_str (names->items[i]) : tsd_json_str (name1);
      int nr, r = 0;
      if (name == NULL)
        break;
      nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        {
          if (names == NULL)
            break;
          continue; /* unknown to this libseccomp/arch: skipped, like runc */
        }
      if (same_index)
        for (unsigned k = 0; k < n && r == 0; k++)
          r = seccomp_rule_add_array (ctx, action, nr, 1, &cmps[k]);
      else
        r = seccomp_rule_add_array (ctx, action, nr, n, cmps);
      if (r < 0)
        return tsd_make_error (err, -r, "seccomp rule for `%s`", name);
      if (names == NULL)
        break;
    }
  return 0;
}

/* The libseccomp context for a linux.seccomp object, and its filter flags. */
static int
build_context (const tsd_json *sc, scmp_filter_ctx *out, unsigned int *flags, tsd_error_t *err)
{
  const tsd_json *archs = tsd_json_get (sc, "architectures"), *calls = tsd_json_get (sc, "syscalls"),
                 *fl = tsd_json_get (sc, "flags"), *der = tsd_json_get (sc, "defaultErrnoRet");
  int default_errno = der && der->is_int ? (int) der->integer : EPERM, r;
  uint32_t dflt;
  scmp_filter_ctx ctx;

  *out = NULL;
  if (parse_action (tsd_json_get (sc, "defaultAction"), der, EPERM, &dflt, err) < 0)
    return -1;
  ctx = seccomp_init (dflt);
  if (ctx == NULL)
    return tsd_make_error (err, ENOMEM, "seccomp_init");
  for (size_t i = 0; archs && archs->type == TSD_JSON_ARRAY && i < archs->len; i++)
    {
      const char *a = tsd_json_str (archs->items[i]);
      char lower[64];
      uint32_t arch;
      if (a == NULL || strncmp (a, "SCMP_ARCH_", 10) != 0)
        continue;
      size_t k = 0;
      for (const char *p = a + 10; *p && k < sizeof lower - 1; p++)
        lower[k++] = (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
      lower[k] = '\0';
      arch = seccomp_arch_resolve_name (lower);
      if (arch == 0)
        continue;
      r = seccomp_arch_add (ctx, arch);
      if (r < 0 && r != -EEXIST)
        {
          seccomp_release (ctx);
          return tsd_make_error (err, -r, "seccomp architecture `%s`", a);
        }
    }
  for (size_t i = 0; fl && fl->type == TSD_JSON_ARRAY && i < fl->len; i++)
    {
      const char *f = tsd_json_str (fl->items[i]);
      if (f && strcmp (f, "SECCOMP_FILTER_FLAG_LOG") == 0)
        *flags |= SECCOMP_FILTER_FLAG_LOG;
      else if (f && strcmp (f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        *flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    }
  for (size_t i = 0; calls && calls->type == TSD_JSON_ARRAY && i < calls->len; i++)
    if (add_entry (ctx, calls->items[i], dflt, default_errno, err) < 0)
      {
        seccomp_release (ctx);
        return -1;
      }
  *out = ctx;
  return 0;
}

int
tsd_seccomp_compile (const tsd_json *sc, struct tsd_seccomp_filter *out, tsd_error_t *err)
{
  scmp_filter_ctx ctx;
  cleanup_close int fd = -1;
  off_t size;
  int r;

  memset (out, 0, sizeof *out);
  if (sc == NULL || sc->type != TSD_JSON_OBJECT)
    return 0;
  if (build_context (sc, &ctx, &out->flags, err) < 0)
    return -1;
  /* libseccomp writes the program to an fd only: a memfd keeps it in memory. */
  fd = memfd_create ("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    {
      seccomp_release (ctx);
      return tsd_make_error (err, errno, "memfd_create");
    }
  r = seccomp_export_bpf (ctx, fd);
  seccomp_release (ctx);
  if (r < 0)
    return tsd_make_error (err, -r, "compile the seccomp filter");
  size = lseek (fd, 0, SEEK_END);
  if (size <= 0 || size % (off_t) sizeof (struct sock_filter) != 0 || size / (off_t) sizeof (struct sock_filter) > BPF_MAXINSNS)
    return tsd_make_error (err, 0, "compile the seccomp filter: a program of %lld bytes", (long long) size);
  out->insns = malloc ((size_t) size);
  if (out->insns == NULL)
    return tsd_make_error (err, ENOMEM, "seccomp filter");
  if (pread (fd, out->insns, (size_t) size, 0) != size)
    {
      tsd_seccomp_free (out);
      return tsd_make_error (err, errno, "read the seccomp filter back");
    }
  out->len = (unsigned short) (size / (off_t) sizeof (struct sock_filter));
  return 0;
}

int
tsd_seccomp_install (const struct tsd_seccomp_filter *f, tsd_error_t *err)
{
  struct sock_fprog prog = { .len = f->len, .filter = f->insns };
  if (f->insns == NULL)
    return 0;
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog) < 0)
    return tsd_make_error (err, errno, "load the seccomp filter");
  return 0;
}

#else

bool
tsd_seccomp_available (void)
{
  return false;
}

int
tsd_seccomp_compile (const tsd_json *seccomp, struct tsd_seccomp_filter *out, tsd_error_t *err)
{
  (void) seccomp;
  (void) err;
  memset (out, 0, sizeof *out);
  return 0;
}

int
tsd_seccomp_install (const struct tsd_seccomp_filter *f, tsd_error_t *err)
{
  (void) f;
  (void) err;
  return 0;
}

#endif

void
tsd_seccomp_free (struct tsd_seccomp_filter *f)
{
  free (f->insns);
  f->insns = NULL;
  f->len = 0;
}
