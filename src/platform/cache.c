/*
 * cache.c — key/value cache with expiry (contract in cache.h).
 *
 * In process: CACHE_SHARDS shards, each a chained hash table plus an LRU
 * list under one mutex, with a byte budget of cache_max_mb / CACHE_SHARDS
 * (key + value + entry overhead). A set evicts from the cold end until the
 * new entry fits; an expired entry is dropped when met (get, or the cold
 * end during a set). A value larger than a shard's budget is refused.
 *
 * With Redis: GET / SET key value PX ttl / DEL under the prefix
 * "artistry:cache:", through the shared pool (platform/redis.h), so every
 * instance sees the same entries and a DEL on one instance invalidates
 * for all. A failing Redis is a miss (get) or -1 (set, del), fast while
 * the circuit is open.
 *
 * Caveats: before cache_start (or after cache_stop) the in-process cache
 * with the default budget is used, so unit tests need no set-up. TTLs are
 * milliseconds on the monotonic clock in process, and Redis's clock with
 * Redis.
 */
#include "platform/cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "platform/redis.h"

#define CACHE_SHARDS 16
#define CACHE_DEFAULT_BYTES ((size_t)64 << 20)
#define ENTRY_OVERHEAD 64
#define REDIS_PREFIX "artistry:cache:"
#define KEY_MAX 1024

struct entry {
    struct entry *hnext;
    struct entry *newer, *older;
    uint64_t hash;
    int64_t expires_ms;
    size_t klen, vlen;
    char *value;
    char key[];
};

struct shard {
    pthread_mutex_t mu;
    struct entry **slots;
    size_t nslots, count, bytes;
    struct entry *newest, *oldest;
};

static struct shard shards[CACHE_SHARDS];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static size_t shard_budget = CACHE_DEFAULT_BYTES / CACHE_SHARDS;
static bool use_redis;

static void init_shards(void)
{
    for (int i = 0; i < CACHE_SHARDS; i++) {
        pthread_mutex_init(&shards[i].mu, NULL);
        shards[i].nslots = 64;
        shards[i].slots = xcalloc(shards[i].nslots, sizeof *shards[i].slots);
    }
}

static int64_t mono_ms(void)
{
    return time_mono_ns() / 1000000;
}

static uint64_t hash_key(const char *s, size_t n)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(1099511628211);
    return h;
}

/*-----------------------------------------------------------------------------
 * In process
 */
static size_t entry_cost(const struct entry *e)
{
    return e->klen + e->vlen + ENTRY_OVERHEAD;
}

static void lru_unlink(struct shard *sh, struct entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        sh->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        sh->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(struct shard *sh, struct entry *e)
{
    e->older = sh->newest;
    e->newer = NULL;
    if (sh->newest)
        sh->newest->newer = e;
    sh->newest = e;
    if (sh->oldest == NULL)
        sh->oldest = e;
}

static void entry_remove(struct shard *sh, struct entry *e)
{
    struct entry **pp = &sh->slots[(e->hash >> 4) & (sh->nslots - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(sh, e);
    sh->count--;
    sh->bytes -= entry_cost(e);
    free(e->value);
    free(e);
}

static struct entry *find(struct shard *sh, const char *key, size_t klen, uint64_t h)
{
    for (struct entry *e = sh->slots[(h >> 4) & (sh->nslots - 1)]; e != NULL; e = e->hnext)
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return e;
    return NULL;
}

static void grow(struct shard *sh)
{
    size_t n = sh->nslots * 2;
    struct entry **slots = xcalloc(n, sizeof *slots);
    for (size_t i = 0; i < sh->nslots; i++)
        for (struct entry *e = sh->slots[i], *next; e != NULL; e = next) {
            next = e->hnext;
            struct entry **slot = &slots[(e->hash >> 4) & (n - 1)];
            e->hnext = *slot;
            *slot = e;
        }
    free(sh->slots);
    sh->slots = slots;
    sh->nslots = n;
}

static struct shard *shard_of(uint64_t h)
{
    pthread_once(&once, init_shards);
    return &shards[h % CACHE_SHARDS];
}

static char *mem_get(const char *key, size_t *len)
{
    size_t klen = strlen(key);
    uint64_t h = hash_key(key, klen);
    struct shard *sh = shard_of(h);
    char *out = NULL;
    pthread_mutex_lock(&sh->mu);
    struct entry *e = find(sh, key, klen, h);
    if (e != NULL && e->expires_ms <= mono_ms()) {
        entry_remove(sh, e);
        e = NULL;
    }
    if (e != NULL) {
        lru_unlink(sh, e);
        lru_push(sh, e);
        out = xmalloc(e->vlen + 1);
        memcpy(out, e->value, e->vlen + 1);
        if (len != NULL)
            *len = e->vlen;
    }
    pthread_mutex_unlock(&sh->mu);
    return out;
}

static int mem_set(const char *key, const char *value, size_t len, int64_t ttl_ms)
{
    size_t klen = strlen(key);
    uint64_t h = hash_key(key, klen);
    struct shard *sh = shard_of(h);
    struct entry *ne = xcalloc(1, sizeof *ne + klen + 1);
    memcpy(ne->key, key, klen + 1);
    ne->klen = klen;
    ne->vlen = len;
    ne->hash = h;
    ne->value = xmalloc(len + 1);
    memcpy(ne->value, value, len);
    ne->value[len] = '\0';
    int64_t now = mono_ms();
    ne->expires_ms = now + ttl_ms;
    pthread_mutex_lock(&sh->mu);
    struct entry *old = find(sh, key, klen, h);
    if (old != NULL)
        entry_remove(sh, old);
    if (entry_cost(ne) > shard_budget) {
        pthread_mutex_unlock(&sh->mu);
        free(ne->value);
        free(ne);
        return -1;
    }
    while (sh->oldest != NULL && (sh->bytes + entry_cost(ne) > shard_budget || sh->oldest->expires_ms <= now))
        entry_remove(sh, sh->oldest);
    if (sh->count >= sh->nslots)
        grow(sh);
    struct entry **slot = &sh->slots[(h >> 4) & (sh->nslots - 1)];
    ne->hnext = *slot;
    *slot = ne;
    lru_push(sh, ne);
    sh->count++;
    sh->bytes += entry_cost(ne);
    pthread_mutex_unlock(&sh->mu);
    return 0;
}

static int mem_del(const char *key)
{
    size_t klen = strlen(key);
    uint64_t h = hash_key(key, klen);
    struct shard *sh = shard_of(h);
    pthread_mutex_lock(&sh->mu);
    struct entry *e = find(sh, key, klen, h);
    if (e != NULL)
        entry_remove(sh, e);
    pthread_mutex_unlock(&sh->mu);
    return 0;
}

static void mem_clear(void)
{
    pthread_once(&once, init_shards);
    for (int i = 0; i < CACHE_SHARDS; i++) {
        struct shard *sh = &shards[i];
        pthread_mutex_lock(&sh->mu);
        while (sh->oldest != NULL)
            entry_remove(sh, sh->oldest);
        pthread_mutex_unlock(&sh->mu);
    }
}

/*-----------------------------------------------------------------------------
 * Redis
 */
static struct redis_log_gate gate;

/* REDIS_PREFIX + key into buf; its length, or 0 if the key is too long. */
static size_t redis_key(char *buf, size_t cap, const char *key)
{
    size_t n = strlen(REDIS_PREFIX), k = strlen(key);
    if (n + k + 1 > cap)
        return 0;
    memcpy(buf, REDIS_PREFIX, n);
    memcpy(buf + n, key, k + 1);
    return n + k;
}

static char *redis_get(const char *key, size_t *len)
{
    char k[KEY_MAX + sizeof REDIS_PREFIX];
    size_t kl = redis_key(k, sizeof k, key);
    if (kl == 0)
        return NULL;
    const char *argv[2] = {"GET", k};
    size_t lens[2] = {3, kl};
    redisReply *r = redis_command_argv(2, argv, lens);
    char *out = NULL;
    if (r != NULL && r->type == REDIS_REPLY_STRING) {
        out = xmalloc(r->len + 1);
        memcpy(out, r->str, r->len);
        out[r->len] = '\0';
        if (len != NULL)
            *len = r->len;
    } else if (r != NULL && r->type == REDIS_REPLY_ERROR) {
        redis_log_limited(&gate, "cache: redis GET refused", r->str);
    }
    if (r != NULL)
        freeReplyObject(r);
    return out;
}

static int redis_simple(int argc, const char **argv, const size_t *lens)
{
    redisReply *r = redis_command_argv(argc, argv, lens);
    int rc = r != NULL && r->type != REDIS_REPLY_ERROR ? 0 : -1;
    if (r != NULL && r->type == REDIS_REPLY_ERROR)
        redis_log_limited(&gate, "cache: redis refused a command", r->str);
    if (r != NULL)
        freeReplyObject(r);
    return rc;
}

/*-----------------------------------------------------------------------------
 * The interface
 */
int cache_start(const struct config *cfg)
{
    pthread_once(&once, init_shards);
    if (cfg != NULL && cfg->cache_max_mb > 0)
        shard_budget = ((size_t)cfg->cache_max_mb << 20) / CACHE_SHARDS;
    if (cfg == NULL || cfg->redis_url == NULL || cfg->redis_url[0] == '\0')
        return 0;
    if (redis_acquire(cfg->redis_url, cfg->redis_timeout_ms) != 0)
        return -1;
    use_redis = true;
    log_info("cache on redis", NULL);
    return 0;
}

void cache_stop(void)
{
    if (use_redis) {
        use_redis = false;
        redis_release();
    }
    mem_clear();
}

char *cache_get(const char *key, size_t *len)
{
    if (key == NULL || strlen(key) > KEY_MAX)
        return NULL;
    return use_redis ? redis_get(key, len) : mem_get(key, len);
}

int cache_set(const char *key, const char *value, size_t len, int64_t ttl_ms)
{
    if (key == NULL || strlen(key) > KEY_MAX || (value == NULL && len > 0) || ttl_ms <= 0)
        return -1;
    if (value == NULL)
        value = "";
    if (!use_redis)
        return mem_set(key, value, len, ttl_ms);
    char k[KEY_MAX + sizeof REDIS_PREFIX];
    size_t kl = redis_key(k, sizeof k, key);
    char px[24];
    int pl = snprintf(px, sizeof px, "%lld", (long long)ttl_ms);
    const char *argv[5] = {"SET", k, value, "PX", px};
    size_t lens[5] = {3, kl, len, 2, (size_t)pl};
    return redis_simple(5, argv, lens);
}

int cache_del(const char *key)
{
    if (key == NULL || strlen(key) > KEY_MAX)
        return -1;
    if (!use_redis)
        return mem_del(key);
    char k[KEY_MAX + sizeof REDIS_PREFIX];
    size_t kl = redis_key(k, sizeof k, key);
    const char *argv[2] = {"DEL", k};
    size_t lens[2] = {3, kl};
    return redis_simple(2, argv, lens);
}
