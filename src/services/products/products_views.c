/*
 * products_views.c — product view counts, counted in memory and written in
 * batches.
 *
 * GET /products/:id is the hottest read: one write per view would turn it
 * into a write path (and serialise it on SQLite's single writer). Views are
 * counted in a process-wide table split into shards, each with its own
 * mutex (a request holds one for a few instructions; request threads rarely
 * meet on the same shard). A flusher thread, with its own connection,
 * takes the counts every PRODUCTS_VIEWS_FLUSH_MS and at shutdown, and writes
 * them in one transaction: the day's product_views row (upsert) and
 * products.view_count with popularity recomputed by the one formula
 * (PRODUCTS_POPULARITY_SQL) in the same UPDATE.
 *
 * Signed-in viewers are also counted per (user, product) in a second table
 * of the same shape, flushed in the same transaction into
 * product_user_views (the recommendations' co-view input, 0011_recs.sql):
 * one upsert per pair per flush, never one write per request.
 *
 * Caveats: counts are approximate by design: a kill -9 loses at most one
 * interval, a full shard drops views until the next flush (logged), and a
 * batch whose transaction fails is dropped (logged) rather than retried
 * forever. Views are attributed to the UTC day of the flush, not of the
 * request. A view does not bump products.rev (view counts are not part of
 * the rendered detail).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "base/ids.h"
#include "base/log.h"
#include "platform/ticker.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "services/products/products_int.h"

#define SHARDS 16
#define SHARD_SLOTS 512 /* power of two */
#define DAY_MS INT64_C(86400000)

/* Key: a product id, or "<user id>:<product id>" in the per-user table. */
struct view_ent {
    char id[2 * ID_MAX_LEN];
    uint32_t count;
};

struct shard {
    pthread_mutex_t lock;
    size_t used;
    uint64_t dropped;
    struct view_ent ents[SHARD_SLOTS];
};

static struct shard shards[SHARDS];
static struct shard user_shards[SHARDS];
static pthread_once_t shards_once = PTHREAD_ONCE_INIT;

static struct ticker *flusher;

static void init_shards(void)
{
    for (size_t i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&shards[i].lock, NULL);
        pthread_mutex_init(&user_shards[i].lock, NULL);
    }
}

static uint32_t hash_id(const char *id)
{
    uint32_t h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

static void count_view(struct shard *tab, const char *id)
{
    uint32_t h = hash_id(id);
    struct shard *s = &tab[h % SHARDS];
    pthread_mutex_lock(&s->lock);
    size_t i = (h / SHARDS) & (SHARD_SLOTS - 1);
    for (size_t probes = 0; probes < SHARD_SLOTS; probes++, i = (i + 1) & (SHARD_SLOTS - 1)) {
        struct view_ent *e = &s->ents[i];
        if (e->count > 0 && strcmp(e->id, id) == 0) {
            e->count++;
            goto out;
        }
        if (e->count == 0) {
            /* Keep the table at most 3/4 full so probes stay short. */
            if (s->used >= SHARD_SLOTS * 3 / 4)
                break;
            strcpy(e->id, id);
            e->count = 1;
            s->used++;
            goto out;
        }
    }
    s->dropped++;
out:
    pthread_mutex_unlock(&s->lock);
}

void products__view_record(const char *id, const char *user_id)
{
    if (strlen(id) >= ID_MAX_LEN)
        return;
    pthread_once(&shards_once, init_shards);
    count_view(shards, id);
    if (user_id != NULL && strlen(user_id) < ID_MAX_LEN) {
        char key[2 * ID_MAX_LEN];
        snprintf(key, sizeof key, "%s:%s", user_id, id);
        count_view(user_shards, key);
    }
}

/* Take every count out of the shards into a heap array (caller frees). */
static struct view_ent *take_counts(struct shard *tab, size_t *n, uint64_t *dropped)
{
    pthread_once(&shards_once, init_shards);
    size_t cap = 64;
    struct view_ent *out = xmalloc(cap * sizeof *out);
    *n = 0;
    *dropped = 0;
    for (size_t k = 0; k < SHARDS; k++) {
        struct shard *s = &tab[k];
        pthread_mutex_lock(&s->lock);
        if (s->used > 0) {
            for (size_t i = 0; i < SHARD_SLOTS; i++) {
                if (s->ents[i].count == 0)
                    continue;
                if (*n == cap) {
                    cap *= 2;
                    out = xrealloc(out, cap * sizeof *out);
                }
                out[(*n)++] = s->ents[i];
                s->ents[i].count = 0;
            }
            s->used = 0;
        }
        *dropped += s->dropped;
        s->dropped = 0;
        pthread_mutex_unlock(&s->lock);
    }
    return out;
}

struct flush_tx {
    const struct view_ent *ents;
    size_t n;
    const struct view_ent *user_ents; /* keys "<user>:<product>" */
    size_t nuser;
    int64_t day, now;
};

/* Per-user counts (PRODUCTS_Q_VIEWS_USER skips a user or product that is gone). */
static int write_user_counts(struct db *db, const struct flush_tx *t, struct db_error *dberr)
{
    for (size_t i = 0; i < t->nuser; i++) {
        char user[2 * ID_MAX_LEN];
        strcpy(user, t->user_ents[i].id);
        char *product = strchr(user, ':');
        if (product == NULL)
            continue;
        *product++ = '\0';
        struct db_param p[] = {DB_TEXT(user), DB_TEXT(product), DB_I64(t->user_ents[i].count), DB_I64(t->now)};
        if (db_exec(db, products__sql(PRODUCTS_Q_VIEWS_USER), p, 4, dberr) < 0)
            return -1;
    }
    return 0;
}

static int write_counts(struct db *db, void *arg, struct db_error *dberr)
{
    struct flush_tx *t = arg;
    for (size_t i = 0; i < t->n; i++) {
        struct db_param day[] = {DB_TEXT(t->ents[i].id), DB_I64(t->day), DB_I64(t->ents[i].count)};
        struct db_param total[] = {DB_TEXT(t->ents[i].id), DB_I64(t->ents[i].count)};
        /* The total first: a product that vanished (only possible by hand: products are never deleted)
           changes no row and is skipped instead of failing the batch on the daily row's foreign key. */
        int64_t changed = db_exec(db, products__sql(PRODUCTS_Q_VIEWS_TOTAL), total, 2, dberr);
        if (changed < 0 || (changed > 0 && db_exec(db, products__sql(PRODUCTS_Q_VIEWS_DAY), day, 3, dberr) < 0))
            return -1;
    }
    return write_user_counts(db, t, dberr);
}

static void flush(struct db *db, void *ctx)
{
    (void)ctx;
    size_t n, nuser;
    uint64_t dropped, udropped;
    struct view_ent *ents = take_counts(shards, &n, &dropped);
    struct view_ent *user_ents = take_counts(user_shards, &nuser, &udropped);
    if (dropped + udropped > 0)
        log_warn("product views dropped", "%llu views (count table full)", (unsigned long long)(dropped + udropped));
    if (n > 0 || nuser > 0) {
        int64_t now = time_now_ms();
        struct flush_tx t = {.ents = ents, .n = n, .user_ents = user_ents, .nuser = nuser, .day = now - now % DAY_MS,
                             .now = now};
        struct db_error dberr = {0};
        if (db == NULL || db_tx(db, 5, write_counts, &t, &dberr) != 0)
            log_warn("product views not written", "%zu products: %s", n, db ? dberr.msg : "no database connection");
    }
    free(ents);
    free(user_ents);
}

int products__views_start(struct app *app)
{
    flusher = ticker_start(app, "product views", PRODUCTS_VIEWS_FLUSH_MS, flush, NULL);
    return flusher != NULL ? 0 : -1;
}

void products__views_stop(void)
{
    /* The ticker writes what is left before it exits. */
    ticker_stop(flusher);
    flusher = NULL;
}
