/*
 * search_log.c — the query log (what people search for) and
 * GET /search/trending.
 *
 * Recording is cheap: a search that found results adds one to a counter in
 * a process-wide table (one mutex, held for a hash probe) keyed by the
 * query as shown to users (corrected words, normalised: lowercase, single
 * spaces) and the UTC day. A flusher thread with its own connection writes
 * the table every SEARCH_LOG_FLUSH_MS and at shutdown, one upsert per
 * (query, day) in one transaction, into search_queries. Searches that find
 * nothing are not logged: they would make typos and nonsense trend.
 *
 * Trending reads the last SEARCH_TRENDING_WINDOW_DAYS days, the 200 most
 * searched queries of each day (one index range per day), and scores each
 * query by exponential decay with a half-life of
 * SEARCH_TRENDING_HALF_LIFE_DAYS days:
 *   score = sum over days of count * 2^(-age / half_life)
 * where age is the time from the middle of that day to now, in days. A
 * query searched 100 times today outranks one searched 300 times a week ago
 * (300 * 2^(-7/3) ≈ 60). The handler flushes this process's table first, so
 * an instance sees its own searches at once.
 *
 * Caveats: the table holds LOG_SLOTS (query, day) pairs between flushes;
 * beyond that, searches are dropped (counted in a warning). A kill -9 loses
 * at most one interval. Only the top 200 queries of each day compete.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "base/arena.h"
#include "base/log.h"
#include "platform/ticker.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/search/search_int.h"

#define LOG_SLOTS 4096 /* power of two */
#define LOG_MAX_USED (LOG_SLOTS * 3 / 4)
#define QUERY_MAX_CHARS 100
#define DAY_MS INT64_C(86400000)
#define TRENDING_PER_DAY 200
#define TREND_SLOTS 8192 /* power of two, > 2 * SEARCH_TRENDING_WINDOW_DAYS * TRENDING_PER_DAY */

struct log_ent {
    char *query; /* heap; NULL: empty slot */
    int64_t day, count, results, last_at;
};

static struct {
    pthread_mutex_t lock;
    struct log_ent ents[LOG_SLOTS];
    size_t used;
    uint64_t dropped;
} table = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct ticker *flusher;

static uint64_t hash_key(const char *s, int64_t day)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)day;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void search__log_record(const char *query, int64_t results)
{
    if (results <= 0)
        return;
    struct arena a;
    arena_init(&a, 512);
    const char *norm = search_phrase_normalize(&a, query, QUERY_MAX_CHARS, false);
    int64_t now = time_now_ms(), day = now - now % DAY_MS;
    if (norm[0] == '\0')
        goto out;
    pthread_mutex_lock(&table.lock);
    size_t i = (size_t)hash_key(norm, day) & (LOG_SLOTS - 1);
    for (size_t probes = 0; probes < LOG_SLOTS; probes++, i = (i + 1) & (LOG_SLOTS - 1)) {
        struct log_ent *e = &table.ents[i];
        if (e->query != NULL && e->day == day && strcmp(e->query, norm) == 0) {
            e->count++;
            e->results = results;
            e->last_at = now;
            goto unlock;
        }
        if (e->query == NULL) {
            if (table.used >= LOG_MAX_USED)
                break;
            *e = (struct log_ent){xstrdup(norm), day, 1, results, now};
            table.used++;
            goto unlock;
        }
    }
    table.dropped++;
unlock:
    pthread_mutex_unlock(&table.lock);
out:
    arena_destroy(&a);
}

/* Take every counted entry out of the table (caller frees the array and its strings). */
static struct log_ent *take(size_t *n, uint64_t *dropped)
{
    *n = 0;
    pthread_mutex_lock(&table.lock);
    struct log_ent *out = xmalloc((table.used ? table.used : 1) * sizeof *out);
    for (size_t i = 0; i < LOG_SLOTS && *n < table.used; i++)
        if (table.ents[i].query != NULL) {
            out[(*n)++] = table.ents[i];
            table.ents[i].query = NULL;
        }
    table.used = 0;
    *dropped = table.dropped;
    table.dropped = 0;
    pthread_mutex_unlock(&table.lock);
    return out;
}

struct flush_batch {
    const struct log_ent *ents;
    size_t n;
};

static int write_batch(struct db *db, void *arg, struct db_error *err)
{
    const struct flush_batch *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        const struct log_ent *e = &b->ents[i];
        struct db_param p[] = {DB_TEXT(e->query), DB_I64(e->day), DB_I64(e->count), DB_I64(e->results),
                               DB_I64(e->last_at)};
        if (db_exec(db, search__sql_text(SEARCH_Q_LOG_UPSERT), p, 5, err) < 0)
            return -1;
    }
    return 0;
}

int search__log_flush(struct db *db, struct db_error *err)
{
    size_t n;
    uint64_t dropped;
    struct log_ent *ents = take(&n, &dropped);
    if (dropped > 0)
        log_warn("search queries not logged", "%llu searches (query log table full)", (unsigned long long)dropped);
    int rc = 0;
    if (n > 0) {
        struct flush_batch b = {ents, n};
        rc = db_tx(db, 5, write_batch, &b, err);
        if (rc != 0)
            log_warn("search queries not written", "%zu queries: %s", n, err->msg);
    }
    for (size_t i = 0; i < n; i++)
        free(ents[i].query);
    free(ents);
    return rc;
}

static void flush_tick(struct db *db, void *ctx)
{
    (void)ctx;
    struct db_error err = {0};
    if (db != NULL)
        search__log_flush(db, &err);
}

int search__log_start(struct app *app)
{
    flusher = ticker_start(app, "search query log", SEARCH_LOG_FLUSH_MS, flush_tick, NULL);
    return flusher != NULL ? 0 : -1;
}

void search__log_stop(void)
{
    /* The ticker writes what is left before it exits. */
    ticker_stop(flusher);
    flusher = NULL;
    /* Searches recorded after the last flush (none once the server has stopped) are dropped with the table. */
    pthread_mutex_lock(&table.lock);
    for (size_t i = 0; i < LOG_SLOTS; i++) {
        free(table.ents[i].query);
        table.ents[i].query = NULL;
    }
    table.used = 0;
    pthread_mutex_unlock(&table.lock);
}

/*-----------------------------------------------------------------------------
 * GET /search/trending
 */

struct trend {
    const char *query;
    double score;
    int64_t searches;
};

static int cmp_trend(const void *x, const void *y)
{
    const struct trend *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return strcmp(a->query, b->query);
}

int search_handle_trending(struct request *req, struct app_error *err)
{
    int64_t limit = req_param_i64(req, "limit", 10);
    struct db_error dberr = {0};
    /* This instance's own recent searches count at once. A failed flush is logged; trending still answers. */
    search__log_flush(req->db, &dberr);
    memset(&dberr, 0, sizeof dberr);
    int64_t now = time_now_ms(), today = now - now % DAY_MS;
    size_t cap = SEARCH_TRENDING_WINDOW_DAYS * TRENDING_PER_DAY, n = 0;
    struct trend *t = arena_array(req->arena, struct trend, cap);
    /* Index of t by query: open addressing over TREND_SLOTS (> 2 * cap), slot = position + 1. */
    uint32_t *slots = arena_array(req->arena, uint32_t, TREND_SLOTS);
    struct db_stmt *st = db_prepare(req->db, search__sql_text(SEARCH_Q_TRENDING_DAY), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    for (int d = 0; d < SEARCH_TRENDING_WINDOW_DAYS; d++) {
        int64_t day = today - d * DAY_MS;
        double age = (double)(now - (day + DAY_MS / 2)) / (double)DAY_MS;
        if (age < 0)
            age = 0; /* the first half of today weighs as much as its middle */
        double w = pow(2.0, -age / SEARCH_TRENDING_HALF_LIFE_DAYS);
        db_reset(st);
        db_bind(st, 1, DB_I64(day));
        db_bind(st, 2, DB_I64(TRENDING_PER_DAY));
        int rc;
        while ((rc = db_step(st, &dberr)) == 1) {
            const char *q = db_column_text(st, 0);
            int64_t count = db_column_i64(st, 1);
            size_t j = (size_t)hash_key(q, 0) & (TREND_SLOTS - 1);
            while (slots[j] != 0 && strcmp(t[slots[j] - 1].query, q) != 0)
                j = (j + 1) & (TREND_SLOTS - 1);
            if (slots[j] == 0) {
                if (n == cap)
                    continue;
                t[n] = (struct trend){arena_strdup(req->arena, q), 0, 0};
                slots[j] = (uint32_t)++n;
            }
            size_t k = slots[j] - 1;
            t[k].score += (double)count * w;
            t[k].searches += count;
        }
        if (rc < 0) {
            db_reset(st);
            return req_db_error(req, &dberr, err);
        }
    }
    db_reset(st);
    qsort(t, n, sizeof *t, cmp_trend);
    struct jsonw w;
    jw_init(&w, req->arena, 256 + (size_t)limit * 96);
    jw_obj(&w);
    jw_key(&w, "data");
    jw_arr(&w);
    for (size_t i = 0; i < n && i < (size_t)limit; i++) {
        char score[32];
        snprintf(score, sizeof score, "%.3f", t[i].score);
        jw_obj(&w);
        jw_kstr(&w, "query", t[i].query);
        jw_key(&w, "score");
        jw_raw(&w, score);
        jw_kint(&w, "searches", t[i].searches);
        jw_end(&w);
    }
    jw_end(&w);
    char half[32];
    snprintf(half, sizeof half, "%g", SEARCH_TRENDING_HALF_LIFE_DAYS);
    jw_key(&w, "half_life_days");
    jw_raw(&w, half);
    jw_kint(&w, "window_days", SEARCH_TRENDING_WINDOW_DAYS);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}
