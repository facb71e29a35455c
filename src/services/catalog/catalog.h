/*
 * catalog.h — the catalog service: categories (products, reviews and
 * wishlists join it in the catalog issue).
 *
 * GET  /api/v1/categories   the active category tree, ordered by position
 * POST /api/v1/categories   (admin) create a category under an optional parent
 */
#ifndef ARTISTRY_SERVICES_CATALOG_H
#define ARTISTRY_SERVICES_CATALOG_H

#include "http/http.h"

extern const struct service_module catalog_module;

struct db;
struct db_error;

/**
 * May buyer_id review order_item_id for product_id? True when that order
 * item belongs to an order of buyer_id for product_id, in status
 * 'delivered' or 'completed', and has no review yet. Returns 1 (eligible),
 * 0 (not), -1 (database error). The one place this rule lives; the orders
 * service completes it.
 */
int catalog_review_eligible(struct db *db, const char *buyer_id, const char *product_id, const char *order_item_id,
                            struct db_error *err);

#endif
