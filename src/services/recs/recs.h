/*
 * recs.h — recommendations: similar products, for-me (item-to-item
 * collaborative filtering blended with content), trending (see README.md).
 *
 * Endpoints (under /api/v1, recs_routes.c):
 *   GET /products/:id/similar        content neighbours of an active product
 *   GET /recommendations/for-me      personal ranking (signed in)
 *   GET /recommendations/trending    recent activity, decayed
 *
 * The model (recs_interactions, recs_pairs, recs_item_stats,
 * recs_trending; migrations/0011_recs.sql) is updated incrementally by
 * recs_update(), which the module runs on a ticker every recs_update_ms.
 * The two functions below are public for `artistry eval-recs`, which
 * measures the same code the endpoints serve.
 */
#ifndef ARTISTRY_SERVICES_RECS_H
#define ARTISTRY_SERVICES_RECS_H

#include <stddef.h>
#include <stdint.h>

#include "base/ids.h"
#include "http/http.h"

struct db;
struct db_error;

extern const struct service_module recs_module;

/** What one recs_update() did. */
struct recs_update_stats {
    int64_t events;  /* purchases, wishlist adds and views read */
    int64_t applied; /* of those, the ones that raised a user's weight for a product */
    int64_t pairs;   /* pair increments written (each direction counts) */
};

/**
 * Take every purchase (order items of paid and later orders), wishlist add
 * and per-user view not yet in the model into it, then recompute trending.
 * Each batch is one transaction that first takes the updater's lock row,
 * so concurrent updaters (several instances) serialise and nothing is
 * counted twice; re-reading an event is harmless (weights only rise), which
 * lets each run re-scan a minute of overlap to catch late commits. Must not
 * be called inside a transaction; blocks on the database. st may be NULL.
 * Returns 0, or -1 with err filled.
 */
int recs_update(struct db *db, int64_t now_ms, struct recs_update_stats *st, struct db_error *err);

/** One recommended product. */
struct recs_item {
    char id[ID_MAX_LEN];
    double score;
    int personal; /* 1: from the user's co-occurrence neighbours; 0: trending fill */
};

/**
 * The for-me ranking of user_id: the co-occurrence neighbours of the
 * user's products blended with the content signal (its categories), then,
 * when fewer than limit, trending products of the user's favourite
 * categories and then of all. Products the user bought or wishlisted are
 * left out; only public products (active, shop active). Fills
 * out[0..*n-1] (capacity limit, limit <= 500), best first, skipping the
 * first offset results. Returns 0, or -1 with err filled.
 */
int recs_for_me(struct db *db, const char *user_id, size_t offset, size_t limit, struct recs_item *out, size_t *n,
                struct db_error *err);

#endif
