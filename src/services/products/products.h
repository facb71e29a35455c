/*
 * products.h — the products service's public face: what other services
 * (search, orders, recommendations) may use of it.
 *
 * Endpoints (under /api/v1, see products_routes.c):
 *   GET    /products              list active products (filters, sorts, cursor)
 *   GET    /products/:id          detail: variants, images, category path,
 *                                 seller summary, rating summary, questions
 *   POST   /products              create (approved seller, own shop)
 *   PATCH  /products/:id          update (owner; admin may moderate)
 *   DELETE /products/:id          archive (owner) / remove (admin)
 *
 * The filter and sort vocabulary of GET /products is shared with
 * GET /search: both parse the same query parameters into a struct
 * products_filter and render the same product cards.
 *
 * Caveats: SQL built from a filter is assembled from static fragments only
 * (never from input); values are bound as $n parameters.
 */
#ifndef ARTISTRY_SERVICES_PRODUCTS_H
#define ARTISTRY_SERVICES_PRODUCTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "http/http.h"

struct jsonw;
struct strbuf;

extern const struct service_module products_module;

/** The one popularity formula (see migrations/0005_catalog.sql), as an SQL expression over a products row. */
#define PRODUCTS_POPULARITY_SQL "(20 * sales_count + 5 * wishlist_count + view_count)"

/*-----------------------------------------------------------------------------
 * Filters and sorts shared by GET /products and GET /search
 */

enum products_sort {
    PRODUCTS_SORT_DEFAULT = 0, /* /products: newest; /search: relevance */
    PRODUCTS_SORT_NEWEST,
    PRODUCTS_SORT_PRICE_ASC,
    PRODUCTS_SORT_PRICE_DESC,
    PRODUCTS_SORT_RATING,
    PRODUCTS_SORT_POPULARITY,
    PRODUCTS_SORT_RELEVANCE, /* /search only */
};

#define PRODUCTS_FILTER_MAX_TERMS 8

/** A parsed filter. Strings live in the request arena. */
struct products_filter {
    const char *category_id; /* the category and all its descendants; NULL: any */
    const char *seller_id;   /* NULL: any */
    int64_t price_min;       /* minor units, inclusive; -1: none */
    int64_t price_max;       /* minor units, inclusive; -1: none */
    int min_rating;          /* hundredths of a star (0..500); 0: none */
    bool in_stock;           /* only products that can be bought now (in stock, shop not on vacation) */
    const char *tags[PRODUCTS_FILTER_MAX_TERMS]; /* lowercase; a product must have every one */
    size_t ntags;
    const char *materials[PRODUCTS_FILTER_MAX_TERMS]; /* lowercase; every one */
    size_t nmaterials;
    enum products_sort sort;
};

/**
 * Query parameter specs of the filter, as a comma-separated initializer
 * list, so a route's own param table can include them:
 *   static const struct param_spec p[] = { PRODUCTS_FILTER_PARAMS, {"q", ...}, {0} };
 * Names: category, seller, price_min, price_max, min_rating (e.g. "4" or
 * "4.5"), in_stock, tags, materials (comma-separated), sort
 * (newest|price_asc|price_desc|rating|popularity|relevance), limit, cursor.
 */
#define PRODUCTS_FILTER_PARAMS                                                                                        \
    {.name = "category", .source = PARAM_QUERY, .type = VT_ID, .id_prefix = "cat"},                                   \
        {.name = "seller", .source = PARAM_QUERY, .type = VT_ID, .id_prefix = "usr"},                                 \
        {.name = "price_min", .source = PARAM_QUERY, .type = VT_INT, .min = 0, .max = INT64_C(1000000000000)},          \
        {.name = "price_max", .source = PARAM_QUERY, .type = VT_INT, .min = 0, .max = INT64_C(1000000000000)},          \
        {.name = "min_rating", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 4},                         \
        {.name = "in_stock", .source = PARAM_QUERY, .type = VT_BOOL},                                                 \
        {.name = "tags", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 400},                             \
        {.name = "materials", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 400},                        \
        {.name = "sort", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = products_sort_names},                 \
        {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},                               \
        {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 200}

/** NULL-terminated sort names in enum order from PRODUCTS_SORT_NEWEST ("newest", ..., "relevance"). */
extern const char *const products_sort_names[];

/**
 * Parse the filter parameters of req into *f (sort: PRODUCTS_SORT_DEFAULT
 * when absent). Returns 0, or -1 with err set (invalid_parameter, 400) for
 * values the param specs cannot check: min_rating format, more than
 * PRODUCTS_FILTER_MAX_TERMS tags/materials, price_min > price_max.
 */
int products_filter_parse(struct request *req, struct products_filter *f, struct app_error *err);

/**
 * Append the filter's conditions to sql as " AND ..." clauses over the
 * products table aliased `p` (only p.status = 'active' rows are public:
 * the caller writes that condition), binding values as $n starting at
 * *nparams + 1 into params (capacity cap); *nparams is advanced. The text
 * appended depends only on which filters are set, never on their values.
 * Returns 0, or -1 if cap is too small (a bug).
 */
int products_filter_sql(const struct products_filter *f, struct strbuf *sql, struct db_param *params, int *nparams,
                        int cap);

/** Most distinct composed SQL texts products_sql_intern() keeps. */
#define PRODUCTS_SQL_INTERN_MAX 400

/**
 * A process-lifetime copy of a composed SQL text (e.g. from
 * products_filter_sql), the same pointer for equal texts, so it can be
 * given to db_prepare() whose statement cache is keyed by address.
 * Thread-safe. Returns NULL once PRODUCTS_SQL_INTERN_MAX texts are held:
 * then prepare the text with db_prepare_once() (and db_finalize() it).
 */
const char *products_sql_intern(const char *text);

/**
 * Write a JSON array of product cards (id, title, slug, price {amount,
 * currency}, primary image, rating {average, count}, shop {id, name, slug},
 * in_stock, purchasable, tags, materials, category_id) for ids[0..n-1], in
 * that order; ids that are not active products are skipped. When extra is
 * not NULL it is called inside each card object (after the card's own
 * keys) with the index into ids, to add keys (search highlights, scores).
 * Returns 0, or -1 with err set.
 */
int products_write_cards(struct request *req, struct jsonw *w, const char *const *ids, size_t n,
                         void (*extra)(struct jsonw *w, size_t i, void *ctx), void *ctx, struct app_error *err);

/*-----------------------------------------------------------------------------
 * For other services' writers (orders, reviews, wishlists)
 */

/**
 * Recompute products.in_stock of product_id from its stock, made_to_order
 * and active variants, and bump its rev, inside the caller's transaction.
 * Call after any change of a product's or variant's stock. Returns 0 or -1.
 */
int products_refresh_stock(struct db *db, const char *product_id, struct db_error *err);

/**
 * Bump products.rev of product_id inside the caller's transaction, so
 * cached renderings of its detail are replaced. Call after changing
 * anything shown in the detail other than rating_sum/rating_count, stock
 * and in_stock of the product row (which the detail checks itself).
 * Returns 0 or -1.
 */
int products_touch(struct db *db, const char *product_id, struct db_error *err);

#endif
