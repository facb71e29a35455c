/*
 * catalog.h — the catalog service: categories, product reviews, wishlists
 * (see README.md in this directory).
 *
 * Endpoints (under /api/v1, catalog_routes.c):
 *   GET    /categories                 the active category tree (ETag)
 *   POST   /categories                 (admin) create
 *   GET    /categories/:id             one category, ancestors and children
 *   PATCH  /categories/:id             (admin) edit, move with the subtree
 *   DELETE /categories/:id             (admin) delete an empty category
 *   GET    /products/:id/reviews       published reviews, rating histogram
 *   POST   /products/:id/reviews       review a delivered order item, once
 *   GET    /shops/:id/reviews          a shop's published reviews
 *   GET    /reviews/:id                one review
 *   PATCH  /reviews/:id                (admin) publish / hide / remove
 *   POST   /reviews/:id/reply          the product's seller replies, once
 *   GET    /wishlist                   my wishlist (product cards)
 *   POST   /wishlist                   add a product (idempotent)
 *   DELETE /wishlist/:id               remove a product
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

/**
 * Remove every wishlist entry of user_id and move the products'
 * wishlist_count and popularity back accordingly. Call inside the caller's
 * transaction (account erasure). 0 or -1 (err filled).
 */
int catalog_wishlists_erase_user(struct db *db, const char *user_id, struct db_error *err);

#endif
