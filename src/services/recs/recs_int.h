/*
 * recs_int.h — shared inside src/services/recs only.
 *
 * Files: recs_routes.c (route table, module, the updater ticker),
 * recs_handlers.c (similar, for-me, trending), recs_model.c (the
 * incremental co-occurrence updater and trending), recs_sql.c (every
 * statement).
 */
#ifndef ARTISTRY_SERVICES_RECS_INT_H
#define ARTISTRY_SERVICES_RECS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ids.h"
#include "http/http.h"

enum recs_query {
    /* updater */
    RECS_Q_LOCK,
    RECS_Q_STATE_GET,
    RECS_Q_STATE_SET,
    RECS_Q_SCAN_ORDERS,
    RECS_Q_SCAN_WISHLISTS,
    RECS_Q_SCAN_VIEWS,
    RECS_Q_INTER_GET,
    RECS_Q_INTER_UPSERT,
    RECS_Q_INTER_NEIGHBOURS,
    RECS_Q_PAIR_ADD,
    RECS_Q_STATS_ADD,
    RECS_Q_DIRTY_MARK,
    RECS_Q_DIRTY_EXPAND,
    RECS_Q_DIRTY_EXPANDED,
    RECS_Q_DIRTY_BOUND,
    RECS_Q_NB_CLEAR,
    RECS_Q_NB_FILL,
    RECS_Q_DIRTY_DONE,
    RECS_Q_TREND_CLEAR,
    RECS_Q_TREND_FILL,
    /* reads */
    RECS_Q_PRODUCT_PUBLIC,
    RECS_Q_SIMILAR,
    RECS_Q_FOR_ME,
    RECS_Q_USER_CATS,
    RECS_Q_FILL_CAT,
    RECS_Q_FILL_ALL,
    RECS_Q_TRENDING,
    RECS_Q_TRENDING_CATEGORY,
    RECS_Q__COUNT,
};

/** SQL text of a statement (static storage: usable as a cache key). */
const char *recs__sql(enum recs_query q);

/* Interaction weights: the strongest signal a user gave a product. */
#define RECS_W_VIEW 1
#define RECS_W_WISH 2
#define RECS_W_BUY 3

/* Neighbours kept per product (recs_neighbours), by normalised score. */
#define RECS_NEIGHBOURS 50
/* The for-me fill draws from this many most trending products. */
#define RECS_FILL_TOP 2000

/* Trending looks back this far, with linear decay to zero. */
#define RECS_TREND_WINDOW_MS (7LL * 24 * 60 * 60 * 1000)

/* One similar product: id, score and the reasons' parts. */
struct recs_similar_row {
    char id[ID_MAX_LEN];
    int score, same_cat, tags, mats, band;
};

/* Similar rankings are cached this long per (product id, rev, offset, limit) (recs_cache.c). */
#define RECS_CACHE_TTL_MS 30000
/* Copies a live entry's rows into out (capacity limit + 1); false if none. */
bool recs__cache_get(const char *id, int64_t rev, size_t offset, size_t limit, struct recs_similar_row *out,
                     size_t *n);
void recs__cache_put(const char *id, int64_t rev, size_t offset, size_t limit, const struct recs_similar_row *rows,
                     size_t n);
void recs__cache_clear(void);

int recs_handle_similar(struct request *req, struct app_error *err);
int recs_handle_for_me(struct request *req, struct app_error *err);
int recs_handle_trending(struct request *req, struct app_error *err);

#endif
