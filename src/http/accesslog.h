/*
 * accesslog.h — buffered JSON access log on stderr.
 *
 * Request threads append complete lines to a shared buffer under a mutex
 * (no system call on the hot path); a flusher thread writes the buffer out
 * every 100 ms, and a writer that finds the buffer full writes it itself.
 *
 * Caveats: a kill -9 can lose the last ~100 ms of access-log lines (never
 * application log lines, which log.c writes directly).
 */
#ifndef ARTISTRY_HTTP_ACCESSLOG_H
#define ARTISTRY_HTTP_ACCESSLOG_H

#include <stddef.h>

/** Start the flusher thread. */
void accesslog_start(void);
/** Append one line (ending in '\n'). Thread-safe. */
void accesslog_append(const char *line, size_t len);
/** Flush and stop the flusher thread. */
void accesslog_stop(void);

#endif
