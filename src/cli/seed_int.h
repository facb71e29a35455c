/*
 * seed_int.h — declarations shared by the seed files of src/cli/:
 * seed.c (the demo loader), seed_demo_data.c (its tables), seed_catalog.c
 * (the generator behind `seed --catalog N`), seed_vocab.c (the generator's
 * vocabularies) and seed_bulk.c (multi-row INSERT batches).
 *
 * Caveats: private to src/cli/seed*.c.
 */
#ifndef ARTISTRY_CLI_SEED_INT_H
#define ARTISTRY_CLI_SEED_INT_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define SEED_DAY_MS (24LL * 60 * 60 * 1000)
#define SEED_HOUR_MS (60LL * 60 * 1000)
#define SEED_CURRENCY "USD"
#define SEED_COMMISSION_BPS 1000 /* what the seeded orders were sold at */
#define SEED_ID_BUF 48

/*-----------------------------------------------------------------------------
 * The demo tables (seed_demo_data.c). Rows refer to each other by a short
 * key (category slug, product key) or an index.
 */

struct seed_demo_user {
    const char *email;
    const char *name;
    const char *role;
    const char *bio;
    const char *location;
    const char *address_json; /* shipping address used on demo orders (buyers) */
};

struct seed_demo_shop {
    int seller; /* index into seed__demo_users */
    const char *slug;
    const char *name;
    const char *tagline;
    const char *description;
    const char *policies_json;
    int accepts_custom_orders;
};

struct seed_demo_category {
    const char *slug;
    const char *name;
    const char *parent; /* parent slug, NULL for a root; parents come first */
    const char *description;
};

struct seed_demo_product {
    const char *key; /* referenced by variants, questions and reviews */
    int shop;        /* index into seed__demo_shops */
    const char *category;
    const char *title;
    const char *description;
    int64_t price; /* minor units */
    int stock;
    int made_to_order;
    int processing_days;
    int weight_grams;
    int views;
    const char *tags;      /* comma-separated, lowercase */
    const char *materials; /* comma-separated, lowercase */
};

struct seed_demo_variant {
    const char *product;
    const char *name;
    const char *sku;
    const char *options_json;
    int64_t modifier; /* added to the product price, may be negative */
    int stock;
};

struct seed_demo_question {
    const char *product;
    int position; /* 1..5 */
    const char *prompt;
    const char *kind; /* "text" or "file" */
    int max_length;   /* 0: none */
    int required;
};

struct seed_demo_review {
    const char *product;
    int buyer; /* index into seed__demo_users */
    int rating;
    const char *body;
    const char *reply; /* seller reply or NULL */
    int days_ago;      /* review date; the order completed the same day */
};

/* Index 0 is the admin (and the idempotency marker), 1-4 buyers, 5-10 sellers. */
enum { SEED_U_ADMIN = 0, SEED_U_MAYA, SEED_U_JONAS, SEED_U_PRIYA, SEED_U_SAM, SEED_U_FIRST_SELLER };

/* The sizes are part of the declarations, so a table that grows without its count does not compile. */
#define SEED_DEMO_NUSERS 11
#define SEED_DEMO_NSHOPS 6
#define SEED_DEMO_NCATEGORIES 25
#define SEED_DEMO_NPRODUCTS 40
#define SEED_DEMO_NVARIANTS 29
#define SEED_DEMO_NQUESTIONS 8
#define SEED_DEMO_NREVIEWS 14

extern const struct seed_demo_user seed__demo_users[SEED_DEMO_NUSERS];
extern const struct seed_demo_shop seed__demo_shops[SEED_DEMO_NSHOPS];
extern const struct seed_demo_category seed__demo_categories[SEED_DEMO_NCATEGORIES];
extern const struct seed_demo_product seed__demo_products[SEED_DEMO_NPRODUCTS];
extern const struct seed_demo_variant seed__demo_variants[SEED_DEMO_NVARIANTS];
extern const struct seed_demo_question seed__demo_questions[SEED_DEMO_NQUESTIONS];
extern const struct seed_demo_review seed__demo_reviews[SEED_DEMO_NREVIEWS];

/*-----------------------------------------------------------------------------
 * Helpers (seed.c)
 */

/**
 * Fixed id of row n of a demo table: "<prefix>_01J0000000DEM0000000" then n
 * in six Crockford base32 digits (a valid id, see base/ids.h).
 */
void seed__demo_id(char *buf, size_t cap, const char *prefix, unsigned n);

/** URL slug of a title: lowercase ASCII letters and digits, other runs become one '-'. */
void seed__slugify(const char *s, char *out, size_t cap);

/** Insert the demo category tree (ON CONFLICT DO NOTHING, fixed ids) and bump the "categories" version. 0 or -1. */
int seed__categories(struct db *db, int64_t now, struct db_error *err);

/** products.popularity: the formula of migrations/0005_catalog.sql (PRODUCTS_POPULARITY_SQL). */
static inline int64_t seed__popularity(int64_t sales, int64_t wishlists, int64_t views)
{
    return 20 * sales + 5 * wishlists + views;
}

/** products.rating_avg: hundredths of a star, rounded; 0 when unrated (migrations/0005_catalog.sql). */
static inline int64_t seed__rating_avg(int64_t sum, int64_t count)
{
    return count > 0 ? (sum * 100 + count / 2) / count : 0;
}

/*-----------------------------------------------------------------------------
 * Multi-row INSERT batches (seed_bulk.c)
 *
 * Rows are buffered and written `batch` at a time by one prepared
 * "INSERT ... VALUES (...), (...), ..." statement, so PostgreSQL pays one
 * round trip per batch instead of per row, and SQLite one statement run.
 * The statement text is made from the caller's static head (table and
 * column list) and numbered placeholders only.
 */

struct seed_bulk;

/**
 * A writer for head ("INSERT INTO t (a, b, c)", static) with ncols values
 * per row; tail (static, may be "") follows the VALUES list, e.g.
 * " ON CONFLICT DO NOTHING". Free with seed__bulk_free().
 */
struct seed_bulk *seed__bulk_new(struct db *db, const char *head, int ncols, const char *tail);

/** Append one value of the current row (text is copied; NULL text binds SQL NULL). */
void seed__bulk_text(struct seed_bulk *b, const char *s);
void seed__bulk_i64(struct seed_bulk *b, int64_t v);
void seed__bulk_null(struct seed_bulk *b);

/** End the current row (it must have ncols values); writes a batch when one is full. 0 or -1. */
int seed__bulk_row(struct seed_bulk *b, struct db_error *err);

/** Write the buffered rows. 0 or -1. */
int seed__bulk_flush(struct seed_bulk *b, struct db_error *err);

/** Rows written so far. */
int64_t seed__bulk_rows(const struct seed_bulk *b);

/** Tune the connection for a bulk load (SQLite: a larger page cache for this connection). 0 or -1. */
int seed__bulk_session(struct db *db, struct db_error *err);

/** Release the writer (buffered rows not flushed are dropped). NULL is a no-op. */
void seed__bulk_free(struct seed_bulk *b);

/*-----------------------------------------------------------------------------
 * Vocabularies of the generated catalogue (seed_vocab.c). Word lists are
 * NULL-terminated arrays.
 */

/** A maker's trade: the sellers of a family share shop names, bios and policies. */
struct seed_family {
    const char *name;              /* "ceramics" */
    const char *const *shop_words; /* last word(s) of shop names: "Pottery", "Clay Studio" */
    const char *const *taglines;
    const char *const *bios;    /* first-person seller bios */
    const char *const *returns; /* returns policy sentences */
    int weight;                 /* relative share of sellers */
};

/** What a leaf category's listings are made of: titles are adjective x material x object. */
struct seed_craft {
    const char *category;               /* leaf slug of the demo tree */
    int family;                         /* index into seed__families */
    int weight;                         /* relative share of the family's listings */
    const char *const *adjectives;      /* title case: "Hand-thrown" */
    const char *const *materials;       /* title case main material: "Stoneware" */
    const char *const *objects;         /* title case: "Coffee Mug" */
    const char *const *extra_materials; /* lowercase secondary materials: "food-safe glaze" */
    const char *const *tags;            /* lowercase */
    const char *const *process;         /* completes "made from <material> and ..." */
    const char *const *details;         /* whole sentences: size, use */
    const char *care;                   /* a care sentence, or NULL */
    const char *variant_key;            /* options key ("glaze", "size"), or NULL: no variants */
    const char *const *variant_values;
    int64_t price_min, price_max; /* minor units: about the middle 90% of prices */
    int weight_min, weight_max;   /* grams */
    int made_to_order_pct;
    int processing_min, processing_max; /* days */
    const char *question;               /* personalisation prompt, or NULL */
    int question_max;                   /* its answer's length limit; 0: the answer is a file */
};

extern const struct seed_family seed__families[];
extern const size_t seed__nfamilies;
extern const struct seed_craft seed__crafts[];
extern const size_t seed__ncrafts;

/* Shared word lists. */
extern const char *const seed__first_names[];
extern const char *const seed__last_names[];
extern const char *const seed__cities[];       /* "Portland, OR" */
extern const char *const seed__shop_first[];   /* first words of shop names: "Juniper" */
extern const char *const seed__shop_second[];  /* second words after '&': "Ash" */
extern const char *const seed__title_extras[]; /* " - Gift for Her" */
extern const char *const seed__generic_sentences[];
extern const char *const seed__buyer_bios[];
extern const char *const seed__processing_policies[];
extern const char *const seed__shipping_policies[];
extern const char *const seed__vacation_messages[];
extern const char *const *const seed__review_bodies[5]; /* word lists, index rating - 1 */
extern const char *const seed__seller_replies[];

/** Number of entries of a NULL-terminated word list. */
size_t seed__words_count(const char *const *words);

/*-----------------------------------------------------------------------------
 * The generated catalogue: random streams, the plan (seed_catalog.c) and
 * its writer (seed_catalog_rows.c).
 */

#define SEED_GID 32 /* an id: "prd_" + 26 characters + NUL, rounded up */
#define SEED_TITLE_MAX 128

/** A random stream (splitmix64). Every entity draws from its own, so the plan is reproducible piecewise. */
struct seed_rng {
    uint64_t s;
};

enum seed_stream {
    SEED_S_SELLER = 1,
    SEED_S_BUYER,
    SEED_S_PRODUCT,
    SEED_S_TEXT,
    SEED_S_SALES,
    SEED_S_WISH,
    SEED_S_ALLOC,
    SEED_S_VARIANT,
    SEED_S_ROWS
};

static inline uint64_t seed__mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static inline uint64_t seed__rnd(struct seed_rng *r)
{
    r->s += UINT64_C(0x9E3779B97F4A7C15);
    return seed__mix64(r->s);
}

/** The stream of entity `index` of kind `kind` under seed. */
static inline struct seed_rng seed__stream(uint64_t seed, enum seed_stream kind, uint64_t index)
{
    struct seed_rng r = {seed__mix64(seed ^ seed__mix64(((uint64_t)kind << 48) ^ index ^ UINT64_C(0x5EED5EED)))};
    return r;
}

/** Uniform in [0, 1). */
static inline double seed__unif(struct seed_rng *r)
{
    return (double)(seed__rnd(r) >> 11) * 0x1.0p-53;
}

/** Uniform integer in [0, n), n > 0. */
static inline size_t seed__below(struct seed_rng *r, size_t n)
{
    return (size_t)(seed__unif(r) * (double)n);
}

/** Uniform integer in [lo, hi]. */
static inline int64_t seed__between(struct seed_rng *r, int64_t lo, int64_t hi)
{
    return hi <= lo ? lo : lo + (int64_t)(seed__unif(r) * (double)(hi - lo + 1));
}

static inline int seed__chance(struct seed_rng *r, double p)
{
    return seed__unif(r) < p;
}

/** A random entry of a NULL-terminated word list. */
static inline const char *seed__pick(struct seed_rng *r, const char *const *words)
{
    return words[seed__below(r, seed__words_count(words))];
}

/**
 * An id in the layout of base/ids.h ("<prefix>_" + 26 Crockford base32
 * characters: 48 bits of milliseconds, 80 random bits) with the random bits
 * from r, into buf (SEED_GID bytes).
 */
void seed__make_id(char *buf, const char *prefix, int64_t ms, struct seed_rng *r);

struct seed_cat_seller {
    char id[SEED_GID], shop_id[SEED_GID], table_id[SEED_GID];
    char name[48], shop_name[80], slug[96];
    int family, craft; /* the craft most of the shop's listings are in */
    int city;
    int64_t joined;
    double appeal; /* share of the catalogue's listings */
    int vacation, custom;
    int64_t rating_sum, rating_count, sales;
};

struct seed_cat_buyer {
    char id[SEED_GID];
    char name[48];
    int city;
    int64_t joined;
};

enum seed_cat_status { SEED_CAT_ACTIVE, SEED_CAT_DRAFT, SEED_CAT_ARCHIVED };

struct seed_cat_product {
    char id[SEED_GID];
    char title[SEED_TITLE_MAX];
    char slug[SEED_TITLE_MAX];
    int seller, craft;
    int adj, mat, obj; /* indices into the craft's lists; adj -1: none */
    enum seed_cat_status status;
    int64_t price, created, published; /* published 0: never (draft) */
    int stock, made_to_order, processing_days, weight, collective, question;
    int first_variant, nvariants; /* into plan.variants */
    double appeal;
    int quality; /* 0 good, 1 mixed, 2 poor: shifts the rating distribution */
    int64_t sales, rating_sum, rating_count, wishlists, views;
};

struct seed_cat_variant {
    char id[SEED_GID];
    int value; /* index into the craft's variant_values */
    int64_t modifier;
    int stock;
};

struct seed_cat_sale {
    int product, buyer, variant; /* variant: index into plan.variants, -1: none */
    int qty, rating;             /* rating 0: no review */
    int reply;
    int64_t paid, shipped, delivered, reviewed;
};

/** Everything the writer needs, decided before the first row is written. */
struct seed_cat_plan {
    uint64_t seed;
    int64_t now;
    int run;
    char domain[48];            /* of the users' emails */
    char hash[256];             /* the one password hash */
    char cat_ids[32][SEED_GID]; /* leaf category id per craft */
    struct seed_cat_seller *sellers;
    size_t nsellers;
    struct seed_cat_buyer *buyers;
    size_t nbuyers;
    struct seed_cat_product *products;
    size_t nproducts;
    struct seed_cat_variant *variants;
    size_t nvariants, capvariants;
    struct seed_cat_sale *sales;
    size_t nsales, capsales;
    int64_t nreviews, nwishlists, ntags, nactive;
};

/** Write every row of the plan (seed_catalog_rows.c), inside the caller's transaction. 0 or -1. */
int seed__catalog_write(struct db *db, struct seed_cat_plan *p, struct db_error *err);

#endif
