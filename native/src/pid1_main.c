/* pid1_main.c: the tsd-init command line (tini's, for what dockerd uses):
 *   tsd-init [-g] [-s] [--] COMMAND [ARG...]
 *   tsd-init --version | -h
 * -g forwards signals to the child's process group; -s (register as subreaper)
 * is accepted for tini compatibility, it is automatic when not PID 1. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "pid1.h"

#define TSD_INIT_VERSION "0.1.0"

static void
usage (FILE *out)
{
  fputs ("Usage: tsd-init [-g] [-s] [--] COMMAND [ARG...]\n"
         "Runs COMMAND as its child, forwards signals to it, reaps zombies and exits with its code.\n"
         "  -g  forward signals to the child's process group\n"
         "  -s  register as a child subreaper (automatic when not PID 1)\n"
         "  -h  this help\n"
         "  --version\n",
         out);
}

int
main (int argc, char **argv)
{
  struct tsd_pid1_opts opts = { 0 };
  struct tsd_pid1_saved saved;
  tsd_error_t err = NULL;
  pid_t child;
  int c, code;

  if (argc == 2 && strcmp (argv[1], "--version") == 0)
    {
      printf ("tsd-init version %s\n", TSD_INIT_VERSION);
      return 0;
    }
  /* '+': options end at COMMAND, whose own options are its business. */
  while ((c = getopt (argc, argv, "+gsh")) != -1)
    switch (c)
      {
      case 'g':
        opts.kill_group = 1;
        break;
      case 's':
        break;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 1;
      }
  if (optind >= argc)
    {
      usage (stderr);
      return 1;
    }
  if (tsd_pid1_setup (&saved, &err) < 0 || tsd_pid1_spawn (argv + optind, &saved, &child, &err) < 0
      || (code = tsd_pid1_loop (child, &opts, &err)) < 0)
    {
      fprintf (stderr, "tsd-init: %s\n", err && err->msg ? err->msg : "error");
      tsd_error_release (&err);
      return 1;
    }
  return code;
}
