/*
 * ratelimit_redis.h — the shared rate-limit bucket store on Redis
 * (struct ratelimit_store of http/ratelimit.h), installed by serve as app.shared_ratelimit_store
 * when redis_url is set.
 */
#ifndef ARTISTRY_PLATFORM_RATELIMIT_REDIS_H
#define ARTISTRY_PLATFORM_RATELIMIT_REDIS_H

struct ratelimit_store;

/**
 * A store whose buckets live in Redis, shared by every instance. Takes a
 * reference on the Redis pool (platform/redis.h). NULL on a malformed URL
 * (logged). take() returns -1 while Redis is unreachable (the pipeline then
 * lets the request through). Release with st->destroy(st).
 */
struct ratelimit_store *ratelimit_redis_store_new(const char *url, int timeout_ms);

#endif
