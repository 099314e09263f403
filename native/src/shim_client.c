/* shim_client.c: see shim_client.h. */
#include "shim_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLIENT_OUT_MAX (4 * 1024 * 1024)

void
shim_client_free (struct shim *s, struct shim_client *c)
{
  struct shim_client **pp = &s->clients;
  while (*pp && *pp != c)
    pp = &(*pp)->next;
  if (*pp)
    *pp = c->next;
  close (c->fd);
  free (c->out);
  free (c);
}

bool
shim_client_alive (const struct shim *s, const struct shim_client *c)
{
  for (const struct shim_client *p = s->clients; p; p = p->next)
    if (p == c)
      return true;
  return false;
}

bool
shim_client_queue (struct shim_client *c, const void *data, size_t n)
{
  if (c->out_len + n > CLIENT_OUT_MAX)
    return false;
  if (c->out_len + n > c->out_cap)
    {
      size_t cap = c->out_cap ? c->out_cap : 4096;
      while (cap < c->out_len + n)
        cap *= 2;
      char *nb = realloc (c->out, cap);
      if (nb == NULL)
        return false;
      c->out = nb;
      c->out_cap = cap;
    }
  memcpy (c->out + c->out_len, data, n);
  c->out_len += n;
  return true;
}

void
shim_client_reply (struct shim_client *c, const char *fmt, ...)
{
  char buf[4500];
  va_list ap;
  int n;
  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n > (int) sizeof buf - 1)
    n = sizeof buf - 1;
  shim_client_queue (c, buf, (size_t) n);
}

bool
shim_client_frame (struct shim_client *c, int stream, const char *data, size_t n)
{
  unsigned char h[8] = { (unsigned char) stream, 0, 0, 0, (unsigned char) (n >> 24), (unsigned char) (n >> 16),
                         (unsigned char) (n >> 8), (unsigned char) n };
  return shim_client_queue (c, h, sizeof h) && shim_client_queue (c, data, n);
}
