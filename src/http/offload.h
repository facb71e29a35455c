/*
 * offload.h — a bounded pool for slow work taken off the request threads.
 *
 * libmicrohttpd's pool threads each run an epoll loop: a handler that blocks
 * (argon2id hashing, an outside API call) stalls every connection on that
 * thread. Such a handler calls req_offload(); the connection is suspended,
 * the work runs here, and the connection resumes to send the answer. The
 * queue is bounded: when it is full the request gets 503 with Retry-After at
 * once rather than waiting without limit (DESIGN.md §6).
 *
 * Caveats: offloaded work must not touch the request after it returns.
 */
#ifndef ARTISTRY_HTTP_OFFLOAD_H
#define ARTISTRY_HTTP_OFFLOAD_H

#include <stdbool.h>

struct offload_pool;

/** Start n threads with a queue of at most cap waiting tasks. */
struct offload_pool *offload_start(int n, int cap);

/** Queue fn(arg). Returns 0, or -1 when the queue is full (nothing queued). Thread-safe. */
int offload_submit(struct offload_pool *p, void (*fn)(void *arg), void *arg);

/** Finish queued tasks, join the threads, free the pool. NULL is a no-op. */
void offload_stop(struct offload_pool *p);

#endif
