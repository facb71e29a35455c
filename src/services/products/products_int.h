/*
 * products_int.h — shared inside src/services/products only.
 *
 * Areas: products_filter.c (filter parsing, filter SQL, cursors, the
 * interned SQL table), products_cards.c (product cards), products_list.c
 * (GET /products), products_detail.c (GET /products/:id and its render
 * cache), products_views.c (view counters flushed in batches),
 * products_input.c (request body → struct product_input),
 * products_write.c (create, update, delete, lifecycle), products_sql.c
 * (every static statement).
 */
#ifndef ARTISTRY_SERVICES_PRODUCTS_INT_H
#define ARTISTRY_SERVICES_PRODUCTS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "services/products/products.h"

struct db;
struct db_stmt;
struct db_error;
struct jsonw;
struct strbuf;

/*-----------------------------------------------------------------------------
 * Static statements (products_sql.c)
 */
enum products_query {
    PRODUCTS_Q_CARDS,          /* cards of up to PRODUCTS__CARD_BATCH ids */
    PRODUCTS_Q_DETAIL_STAMP,   /* the cheap read that validates a cached detail */
    PRODUCTS_Q_DETAIL_PRODUCT, /* product + shop row of the detail */
    PRODUCTS_Q_DETAIL_VARIANTS,
    PRODUCTS_Q_DETAIL_IMAGES,
    PRODUCTS_Q_DETAIL_QUESTIONS,
    PRODUCTS_Q_CATEGORY_CHAIN,  /* the category and its ancestors, root first */
    PRODUCTS_Q_CATEGORY_ACTIVE, /* does an active category $1 exist? */
    PRODUCTS_Q_SELLER_SHOP,     /* the caller's shop: id, status, currency */
    PRODUCTS_Q_LOCK,            /* a product row for update, with ownership */
    PRODUCTS_Q_SLUG_TAKEN,
    PRODUCTS_Q_INSERT,
    PRODUCTS_Q_UPDATE,
    PRODUCTS_Q_REFRESH_STOCK, /* recompute in_stock, bump rev; RETURNING in_stock */
    PRODUCTS_Q_DELETE_TAGS,
    PRODUCTS_Q_INSERT_TAG,
    PRODUCTS_Q_DELETE_MATERIALS,
    PRODUCTS_Q_INSERT_MATERIAL,
    PRODUCTS_Q_VARIANT_IDS,
    PRODUCTS_Q_DELETE_VARIANT,
    PRODUCTS_Q_UPDATE_VARIANT,
    PRODUCTS_Q_INSERT_VARIANT,
    PRODUCTS_Q_MIN_VARIANT_MODIFIER,
    PRODUCTS_Q_DELETE_IMAGES,
    PRODUCTS_Q_INSERT_IMAGE,
    PRODUCTS_Q_MEDIA_USABLE, /* media owned by the seller, usable as a product image */
    PRODUCTS_Q_DELETE_QUESTIONS,
    PRODUCTS_Q_INSERT_QUESTION,
    PRODUCTS_Q_TOUCH,       /* bump rev */
    PRODUCTS_Q_VIEWS_DAY,   /* upsert a product_views row */
    PRODUCTS_Q_VIEWS_TOTAL, /* view_count and popularity */
    PRODUCTS_Q_VIEWS_USER,  /* upsert a product_user_views row (recommendations) */
    PRODUCTS_Q_AUDIT_INSERT,
    PRODUCTS_Q__COUNT,
};

/** SQL text of a static statement (static storage: usable as the statement cache key). */
const char *products__sql(enum products_query q);

/** Ids per card query: PRODUCTS_Q_CARDS takes exactly this many parameters (unused ones bound NULL). */
#define PRODUCTS__CARD_BATCH 25

/*-----------------------------------------------------------------------------
 * Cards (products_cards.c)
 */

/**
 * The columns of a card, in order, over products p JOIN shops s. The list
 * query selects them first, so one card writer serves the list and
 * products_write_cards().
 */
#define PRODUCTS__CARD_COLS                                                                                            \
    "p.id, p.title, p.slug, p.price_amount, p.currency, p.rating_avg, p.rating_count, p.in_stock, p.tags, "            \
    "p.materials, p.category_id, s.id, s.name, s.slug, s.vacation_mode, "                                              \
    "(SELECT i.media_id FROM product_images i WHERE i.product_id = p.id AND i.is_primary = 1), "                       \
    "(SELECT i.alt_text FROM product_images i WHERE i.product_id = p.id AND i.is_primary = 1)"
#define PRODUCTS__CARD_NCOLS 17

/** One card, read from a row (strings in the request arena). */
struct products_card {
    const char *id, *title, *slug, *currency, *tags, *materials, *category_id;
    const char *shop_id, *shop_name, *shop_slug, *image_media_id, *image_alt;
    int64_t price_amount, rating_avg, rating_count;
    bool in_stock, vacation;
};

/** Read the card columns (PRODUCTS__CARD_COLS, from column 0) of the current row of st into *c. */
void products__card_read(struct arena *a, struct db_stmt *st, struct products_card *c);

/** Write the keys of a card (inside an object the caller opened). */
void products__card_write(struct jsonw *w, const struct products_card *c);

/** Write the JSON number of a rating in hundredths of a star ("4.5"). */
void products__write_rating(struct jsonw *w, int64_t hundredths);

/*-----------------------------------------------------------------------------
 * Filters, cursors, composed SQL (products_filter.c)
 */

/* How products__filter_sql writes the shop condition. */
enum {
    PRODUCTS__SHOP_EXISTS = 0, /* shop checked with EXISTS (shops not joined) */
    PRODUCTS__SHOP_JOINED = 1, /* shops joined as `s` */
    PRODUCTS__SHOP_ANY = 2,    /* no shop condition (owner and admin views) */
};

/** products_filter_sql with a choice of shop condition (PRODUCTS__SHOP_*). */
int products__filter_sql(const struct products_filter *f, unsigned shop_mode, struct strbuf *sql,
                         struct db_param *params, int *nparams, int cap);

/** Lowercase (ASCII) and trim a tag or material into the arena; NULL when nothing is left. */
char *products__normalize_term(struct arena *a, const char *s);

/** The position after a page: the last row's sort keys and id. */
struct products_cursor {
    enum products_sort sort;
    int64_t k1, k2; /* sort keys (k2 only for rating: rating_count) */
    const char *id;
};

/** Encode a cursor (opaque base64url text) into the arena. */
const char *products__cursor_encode(struct arena *a, const struct products_cursor *c);

/** Decode text for the given sort into *c; -1 (invalid_cursor) if it is not one we made for this sort. */
int products__cursor_decode(struct request *req, const char *text, enum products_sort sort, struct products_cursor *c,
                            struct app_error *err);

/** Product statuses, NULL-terminated (the ?status= values of owner views). */
extern const char *const products__statuses[];

/*-----------------------------------------------------------------------------
 * Handlers (products_routes.c holds the table)
 */
int products_handle_list(struct request *req, struct app_error *err);
int products_handle_get(struct request *req, struct app_error *err);
int products_handle_create(struct request *req, struct app_error *err);
int products_handle_update(struct request *req, struct app_error *err);
int products_handle_delete(struct request *req, struct app_error *err);

/*-----------------------------------------------------------------------------
 * Detail (products_detail.c)
 */

/** Rendered details each request thread keeps (direct-mapped by product id). */
#define PRODUCTS_DETAIL_CACHE_SLOTS 1024

/**
 * Render the detail of product id (any status) into w (initialised here,
 * in the request arena). *found is false when there is no such product.
 * Returns 0, or -1 with err set.
 */
int products__render_detail(struct request *req, const char *id, struct jsonw *w, bool *found, struct app_error *err);

/*-----------------------------------------------------------------------------
 * Views (products_views.c)
 */

/** How often counted views are written. */
#define PRODUCTS_VIEWS_FLUSH_MS 5000

/**
 * Count one view of product id in memory (flushed in batches); user_id (the
 * signed-in viewer, or NULL) is also counted per (user, product) for the
 * recommendations' co-views. Never blocks on the database.
 */
void products__view_record(const char *id, const char *user_id);

/** Start the flusher thread (own connection). 0 or -1. */
int products__views_start(struct app *app);

/** Stop the flusher and write what is still counted. */
void products__views_stop(void);

/*-----------------------------------------------------------------------------
 * Write input (products_input.c)
 */

/* Which fields a body carries (struct product_input.set). */
enum {
    PRODUCT_IN_TITLE = 1 << 0,
    PRODUCT_IN_DESCRIPTION = 1 << 1,
    PRODUCT_IN_PRICE = 1 << 2,
    PRODUCT_IN_CATEGORY = 1 << 3,
    PRODUCT_IN_TAGS = 1 << 4,
    PRODUCT_IN_MATERIALS = 1 << 5,
    PRODUCT_IN_MADE_TO_ORDER = 1 << 6,
    PRODUCT_IN_PROCESSING = 1 << 7,
    PRODUCT_IN_WHO_MADE = 1 << 8,
    PRODUCT_IN_WEIGHT = 1 << 9,
    PRODUCT_IN_STOCK = 1 << 10,
    PRODUCT_IN_VARIANTS = 1 << 11,
    PRODUCT_IN_IMAGES = 1 << 12,
    PRODUCT_IN_QUESTIONS = 1 << 13,
    PRODUCT_IN_STATUS = 1 << 14,
    PRODUCT_IN_REMOVED_REASON = 1 << 15,
};

/** Fields an admin may change on another seller's product (moderation). */
#define PRODUCT_IN_MODERATION (PRODUCT_IN_STATUS | PRODUCT_IN_REMOVED_REASON)

/** Tags or materials: display spellings, normalised values (same order), and the display JSON array. */
struct product_terms {
    const char **display;
    const char **norm;
    size_t n;
    const char *json;
};

struct product_variant_in {
    const char *id; /* an existing variant to keep (PATCH), or NULL for a new one */
    const char *name, *sku, *options_json;
    int64_t modifier, stock, position;
};

struct product_image_in {
    const char *media_id, *alt;
    int64_t position;
    bool primary;
};

struct product_question_in {
    const char *prompt, *kind;
    int64_t max_length; /* -1: none (file questions) */
    bool required;
};

/** A parsed POST/PATCH body; strings in the request arena. */
struct product_input {
    unsigned set; /* PRODUCT_IN_* present in the body */
    const char *title, *description, *currency, *category_id, *who_made, *status, *removed_reason;
    int64_t price_amount, processing_days, weight_grams /* -1: null */, stock;
    bool made_to_order;
    struct product_terms tags, materials;
    struct product_variant_in *variants;
    size_t nvariants;
    struct product_image_in *images;
    size_t nimages;
    struct product_question_in *questions;
    size_t nquestions;
};

/** Parse req->json (already checked against the route's field specs). 0, or -1 with validation_failed. */
int products__input_parse(struct request *req, struct product_input *in, struct app_error *err);

/*-----------------------------------------------------------------------------
 * Child rows (products_children.c); all run inside the caller's transaction
 */

/** Replace tags and materials rows when the input carries them. 0 or -1. */
int products__write_tags(struct db *db, const char *product_id, const struct product_input *in, struct db_error *dberr);
/** Add a field error for each input variant id that is not a variant of product_id (NULL: a new product). */
int products__check_variant_ids(struct request *req, struct db *db, const char *product_id,
                                const struct product_input *in, struct app_error *err, struct db_error *dberr);
int products__write_variants(struct request *req, struct db *db, const char *product_id, const struct product_input *in,
                             struct db_error *dberr);
int products__write_images(struct request *req, struct db *db, const char *product_id, const struct product_input *in,
                           struct db_error *dberr);
int products__write_questions(struct request *req, struct db *db, const char *product_id,
                              const struct product_input *in, struct db_error *dberr);
/** Recompute products.in_stock (and bump rev); *in_stock (may be NULL) receives it. 0 or -1. */
int products__refresh_stock(struct db *db, const char *product_id, bool *in_stock, struct db_error *dberr);
/**
 * A slug from title, unique in shop_id (ignoring product_id itself, NULL on
 * create); fallback_id's tail disambiguates when "-2".."-9" are taken.
 */
int products__unique_slug(struct arena *a, struct db *db, const char *shop_id, const char *title,
                          const char *product_id, const char *fallback_id, const char **out, struct db_error *dberr);

/** Free the interned SQL texts (module shutdown). */
void products__intern_free(void);

#endif
