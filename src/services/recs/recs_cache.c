/*
 * recs_cache.c — a short per-process cache of similar-product rankings.
 *
 * Key: product id, its products.rev, offset and limit; an entry lives
 * RECS_CACHE_TTL_MS. Only the ranking (ids, scores, reasons) is kept: the
 * cards are rendered from the products service at each request, so a
 * price or title change shows at once; a change in another product's
 * tags or popularity shows in this ranking within the TTL. One mutex; a
 * fixed table indexed by a hash of the key, a colliding entry is
 * replaced.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "services/recs/recs_int.h"

#define SLOTS 512

struct entry {
    char id[ID_MAX_LEN];
    int64_t rev, expires_ms;
    size_t offset, limit, n;
    struct recs_similar_row *rows; /* n */
};

static struct entry table[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(const char *id, int64_t rev, size_t offset, size_t limit)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    h ^= (uint64_t)rev * UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)offset << 20 ^ (uint64_t)limit;
    return (size_t)(h % SLOTS);
}

bool recs__cache_get(const char *id, int64_t rev, size_t offset, size_t limit, struct recs_similar_row *out,
                     size_t *n)
{
    if (strlen(id) >= ID_MAX_LEN)
        return false;
    bool hit = false;
    int64_t now = time_now_ms();
    pthread_mutex_lock(&lock);
    struct entry *e = &table[slot_of(id, rev, offset, limit)];
    if (e->rows != NULL && e->rev == rev && e->offset == offset && e->limit == limit && e->expires_ms > now &&
        strcmp(e->id, id) == 0) {
        memcpy(out, e->rows, e->n * sizeof *out);
        *n = e->n;
        hit = true;
    }
    pthread_mutex_unlock(&lock);
    return hit;
}

void recs__cache_put(const char *id, int64_t rev, size_t offset, size_t limit, const struct recs_similar_row *rows,
                     size_t n)
{
    if (strlen(id) >= ID_MAX_LEN)
        return;
    struct recs_similar_row *copy = malloc((n > 0 ? n : 1) * sizeof *copy);
    if (copy == NULL)
        return;
    memcpy(copy, rows, n * sizeof *copy);
    pthread_mutex_lock(&lock);
    struct entry *e = &table[slot_of(id, rev, offset, limit)];
    free(e->rows);
    *e = (struct entry){.rev = rev, .expires_ms = time_now_ms() + RECS_CACHE_TTL_MS, .offset = offset,
                        .limit = limit, .n = n, .rows = copy};
    strcpy(e->id, id);
    pthread_mutex_unlock(&lock);
}

void recs__cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < SLOTS; i++) {
        free(table[i].rows);
        table[i] = (struct entry){0};
    }
    pthread_mutex_unlock(&lock);
}
