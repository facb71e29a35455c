/*
 * ticker.h — a background thread that runs a callback at a fixed interval
 * and once more when stopped, with its own database connection.
 *
 * For batched writers: counters gathered in memory on the request path
 * (product views, the search query log) and written every few seconds, so
 * a hot read never waits on a write.
 *
 * Caveats: the connection is opened lazily on the first tick and retried
 * on the next tick if the database cannot be reached; the callback then
 * gets NULL and should keep its batch or drop it as it sees fit.
 */
#ifndef ARTISTRY_PLATFORM_TICKER_H
#define ARTISTRY_PLATFORM_TICKER_H

#include <stdint.h>

struct app;
struct db;
struct ticker;

/** Called on the ticker's thread with its connection (NULL when the database is unreachable). */
typedef void (*ticker_fn)(struct db *db, void *ctx);

/**
 * Start a thread named name (for logs) that calls fn(db, ctx) every
 * interval_ms. Returns the ticker (owned by the caller; release with
 * ticker_stop) or NULL if the thread cannot be started (logged).
 */
struct ticker *ticker_start(const struct app *app, const char *name, int64_t interval_ms, ticker_fn fn, void *ctx);

/** Wake the thread, let it run fn a last time, join it, close its connection, free. NULL is a no-op. */
void ticker_stop(struct ticker *t);

#endif
