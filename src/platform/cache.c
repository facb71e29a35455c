/* cache.c — placeholder: always a miss (the in-process and Redis caches replace this file). */
#include "platform/cache.h"

int cache_start(const struct config *cfg) { (void)cfg; return 0; }
void cache_stop(void) {}
char *cache_get(const char *key, size_t *len) { (void)key; (void)len; return NULL; }
int cache_set(const char *key, const char *value, size_t len, int64_t ttl_ms) { (void)key; (void)value; (void)len; (void)ttl_ms; return -1; }
int cache_del(const char *key) { (void)key; return 0; }
