/* signals.h: signal names. */
#ifndef TSD_SIGNALS_H
#define TSD_SIGNALS_H

/* Signal number of "TERM", "SIGTERM", "15" or "RTMIN+3"; -1 when unknown. */
int tsd_parse_signal (const char *s);

#endif
