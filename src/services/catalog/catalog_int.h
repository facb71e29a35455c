/*
 * catalog_int.h — shared inside src/services/catalog only.
 *
 * Areas: catalog_handlers.c (the cached category tree), catalog_categories.c
 * (one category, admin create / edit / move / delete), catalog_reviews.c
 * (reviews, the eligibility rule, seller replies, moderation),
 * catalog_wishlists.c (wishlists), catalog_common.c (cursors, audit rows,
 * transaction failures), catalog_sql.c (every statement).
 */
#ifndef ARTISTRY_SERVICES_CATALOG_INT_H
#define ARTISTRY_SERVICES_CATALOG_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct db;
struct db_error;

enum catalog_query {
    /* categories */
    CATALOG_Q_CATEGORY_TREE,
    CATALOG_Q_CATEGORY_BY_ID,
    CATALOG_Q_CATEGORY_INSERT,
    CATALOG_Q_CATEGORY_GET,
    CATALOG_Q_CATEGORY_ANCESTORS,
    CATALOG_Q_CATEGORY_CHILDREN,
    CATALOG_Q_CATEGORY_LOCK,
    CATALOG_Q_CATEGORY_UPDATE,
    CATALOG_Q_CATEGORY_MOVE_SUBTREE,
    CATALOG_Q_CATEGORY_HAS_CHILDREN,
    CATALOG_Q_CATEGORY_HAS_PRODUCTS,
    CATALOG_Q_CATEGORY_DELETE,
    /* reviews */
    CATALOG_Q_REVIEW_ELIGIBLE,
    CATALOG_Q_REVIEW_OF_ITEM_BY,
    CATALOG_Q_PRODUCT_ACTIVE,
    CATALOG_Q_MEDIA_OWNED,
    CATALOG_Q_REVIEW_INSERT,
    CATALOG_Q_PRODUCT_RATING_ADD,
    CATALOG_Q_SHOP_RATING_ADD,
    CATALOG_Q_REVIEWS_NEWEST,
    CATALOG_Q_REVIEWS_RATING_DESC,
    CATALOG_Q_REVIEWS_RATING_ASC,
    CATALOG_Q_REVIEW_HISTOGRAM,
    CATALOG_Q_SHOP_ACTIVE,
    CATALOG_Q_SHOP_REVIEWS_NEWEST,
    CATALOG_Q_SHOP_REVIEW_HISTOGRAM,
    CATALOG_Q_REVIEW_GET,
    CATALOG_Q_REVIEW_LOCK,
    CATALOG_Q_REVIEW_SET_STATUS,
    CATALOG_Q_REVIEW_REPLY,
    CATALOG_Q_REVIEW_REPLY_STATE,
    /* wishlists */
    CATALOG_Q_WISHLIST_INSERT,
    CATALOG_Q_WISHLIST_ADDED_AT,
    CATALOG_Q_WISHLIST_DELETE,
    CATALOG_Q_PRODUCT_WISHLIST_ADD,
    CATALOG_Q_PRODUCT_POPULARITY,
    CATALOG_Q_WISHLIST_PAGE,
    CATALOG_Q_WISHLIST_ERASE_COUNTS,
    CATALOG_Q_WISHLIST_ERASE_POPULARITY,
    CATALOG_Q_WISHLIST_ERASE,
    /* shared */
    CATALOG_Q_AUDIT_INSERT,
    CATALOG_Q__COUNT,
};

/** SQL text of a catalog statement (static storage: usable as a cache key). */
const char *catalog__sql(enum catalog_query q);

/*-----------------------------------------------------------------------------
 * catalog_common.c
 */

/**
 * Why a transaction callback gave up (not a database error): the handler
 * turns it into an app error. field/field_code add one field error.
 */
struct catalog_fail {
    const char *code;
    const char *msg;
    const char *field;
    const char *field_code;
};

/**
 * After a failed db_tx: the callback's reason when it set one, else the
 * database error (a unique violation becomes unique_code when that is not
 * NULL). Returns -1.
 */
int catalog__tx_error(struct request *req, const struct catalog_fail *fail, const struct db_error *dberr,
                      const char *unique_code, const char *unique_msg, struct app_error *err);

/** Append an audit_log row for the caller inside its transaction; data_json may be NULL ("{}"). 0 or -1. */
int catalog__audit(struct db *db, struct request *req, const char *action, const char *target_type,
                   const char *target_id, const char *data_json, struct db_error *dberr);

/** True when the caller is signed in as an admin. */
bool catalog__is_admin(const struct request *req);

/*-----------------------------------------------------------------------------
 * Handlers (catalog_routes.c holds the table)
 */
int catalog_handle_list_categories(struct request *req, struct app_error *err);
int catalog_handle_get_category(struct request *req, struct app_error *err);
int catalog_handle_create_category(struct request *req, struct app_error *err);
int catalog_handle_patch_category(struct request *req, struct app_error *err);
int catalog_handle_delete_category(struct request *req, struct app_error *err);

int catalog_handle_list_reviews(struct request *req, struct app_error *err);
int catalog_handle_list_shop_reviews(struct request *req, struct app_error *err);
int catalog_handle_create_review(struct request *req, struct app_error *err);
int catalog_handle_get_review(struct request *req, struct app_error *err);
int catalog_handle_reply_review(struct request *req, struct app_error *err);
int catalog_handle_moderate_review(struct request *req, struct app_error *err);

int catalog_handle_list_wishlist(struct request *req, struct app_error *err);
int catalog_handle_add_wishlist(struct request *req, struct app_error *err);
int catalog_handle_remove_wishlist(struct request *req, struct app_error *err);

#endif
