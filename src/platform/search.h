/*
 * search.h — the product search index: one interface, two engines
 * (SQLite FTS5; PostgreSQL tsvector + GIN and pg_trgm).
 *
 * The index holds one document per *active* product (title, tags,
 * materials, description, shop name). Writers keep it in step inside their
 * own transaction, so a product is searchable when its creating transaction
 * commits and gone from search when its archiving transaction commits.
 *
 * Caveats: callers must call search_sync_product() after every change to a
 * product's status or indexed text, and search_sync_shop() after a shop's
 * name or status changes.
 */
#ifndef ARTISTRY_PLATFORM_SEARCH_H
#define ARTISTRY_PLATFORM_SEARCH_H

#include <stdint.h>

struct db;
struct db_error;

/**
 * Bring the document of product_id in line with its row, inside the
 * caller's transaction: (re)index an active product, delete anything else
 * (draft, archived, removed, missing). Returns 0 or -1.
 */
int search_sync_product(struct db *db, const char *product_id, struct db_error *err);

/** search_sync_product() for every product of shop_id (its name is indexed). Returns 0 or -1. */
int search_sync_shop(struct db *db, const char *shop_id, struct db_error *err);

/**
 * Rebuild the whole index from the products table (inside the caller's
 * transaction). *indexed receives the number of documents (may be NULL).
 * Returns 0 or -1.
 */
int search_rebuild(struct db *db, int64_t *indexed, struct db_error *err);

#endif
