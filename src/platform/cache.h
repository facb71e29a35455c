/*
 * cache.h — a small key/value cache with expiry: in-process (sharded LRU)
 * by default, Redis when ARTISTRY_REDIS_URL is set, so instances share it.
 *
 * A cache miss and a cache failure look the same to the caller (it falls
 * back to the database); a failing Redis never fails a request.
 */
#ifndef ARTISTRY_PLATFORM_CACHE_H
#define ARTISTRY_PLATFORM_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

int cache_start(const struct config *cfg);
void cache_stop(void);

/** Copy of the value (malloc'd, NUL-terminated, *len set), or NULL on a miss. */
char *cache_get(const char *key, size_t *len);
/** Store value for ttl_ms (> 0). 0 or -1. */
int cache_set(const char *key, const char *value, size_t len, int64_t ttl_ms);
int cache_del(const char *key);

#endif
