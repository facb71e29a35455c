/*
 * pubsub.h — publish/subscribe between instances: in-process by default,
 * Redis (hiredis) when ARTISTRY_REDIS_URL is set.
 *
 * A message is an opaque byte string on a named channel. Every subscriber
 * of the channel on every instance gets each message once, on a pub/sub
 * thread (never on the publisher's stack in the Redis case; in-process,
 * delivery is synchronous on the publisher's thread). Subscribers must be
 * quick and thread-safe: hand the message to their own queue.
 *
 * Losing Redis: pubsub_publish delivers to this instance's subscribers and
 * returns -1 (logged, rate-limited); the subscriber connection reconnects
 * with backoff and resubscribes. Nothing blocks for long and nothing crashes.
 */
#ifndef ARTISTRY_PLATFORM_PUBSUB_H
#define ARTISTRY_PLATFORM_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>

struct config;

typedef void (*pubsub_fn)(const char *channel, const char *msg, size_t len, void *ud);

/** Start (reads redis_url from cfg; empty: in-process). 0 or -1 (logged). */
int pubsub_start(const struct config *cfg);
void pubsub_stop(void);

/** Subscribe fn to channel (exact name). Before or after pubsub_start. 0 or -1. */
int pubsub_subscribe(const char *channel, pubsub_fn fn, void *ud);

/**
 * Publish msg on channel to every instance. 0: handed to Redis (or, in
 * process, delivered); -1: Redis unreachable, delivered to this instance only.
 */
int pubsub_publish(const char *channel, const char *msg, size_t len);

/** Is the Redis backend in use (ARTISTRY_REDIS_URL set)? */
bool pubsub_shared(void);

#endif
