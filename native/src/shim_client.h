/* shim_client.h: a connection to STATE/shim.sock and its output queue. */
#ifndef TSD_SHIM_CLIENT_H
#define TSD_SHIM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "shim.h"

enum client_mode
{
  C_REQUEST,
  C_ATTACH,
  C_WAIT,
};

struct shim_client
{
  int fd;
  enum client_mode mode;
  bool want_in, want_out, want_err, rd_closed, closing;
  bool stdin_once; /* the client's EOF is the container's stdin EOF */
  char req[512];
  size_t req_len;
  char *out;
  size_t out_len, out_cap;
  struct shim_client *next;
};

/* Unlink from s->clients, close and free. */
void shim_client_free (struct shim *s, struct shim_client *c);
/* Whether c is still in s->clients (not freed meanwhile). */
bool shim_client_alive (const struct shim *s, const struct shim_client *c);
/* Queue bytes; false when the client fell too far behind (the caller drops it). */
bool shim_client_queue (struct shim_client *c, const void *data, size_t n);
void shim_client_reply (struct shim_client *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* One attach frame: [stream, 0, 0, 0, size BE32] and the payload. */
bool shim_client_frame (struct shim_client *c, int stream, const char *data, size_t n);

#endif
