/*
 * search_int.h — shared inside src/services/search only.
 *
 * Areas: search_routes.c (route table, init and fini), search_handlers.c
 * (GET /search: parameters, response, highlights; suggestions; rebuild),
 * search_cache.c (the candidate cache), search_results.c (the category
 * tree, filters, facets and paging in memory), search_log.c (the query log, batched, and
 * GET /search/trending), search_sql.c (the service's own statements).
 */
#ifndef ARTISTRY_SERVICES_SEARCH_INT_H
#define ARTISTRY_SERVICES_SEARCH_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "platform/search.h"
#include "services/products/products.h"

struct app;
struct db;
struct db_error;
struct jsonw;

/*-----------------------------------------------------------------------------
 * Tuning
 */

/** Most relevant matches a query keeps (filters, facets and pages work within them). */
#define SEARCH_CANDIDATE_CAP 10000
/** A cached candidate set is rebuilt after this long even when the index did not move (live counters). */
#define SEARCH_CACHE_TTL_MS 30000
/** Memory the candidate cache may hold (all entries). */
#define SEARCH_CACHE_BYTES (64u << 20)
/** How often the query log is written. */
#define SEARCH_LOG_FLUSH_MS 5000
/** Trending: half-life of a search's weight, and how many days are read. */
#define SEARCH_TRENDING_HALF_LIFE_DAYS 3.0
#define SEARCH_TRENDING_WINDOW_DAYS 14
/** Top materials listed in the facets. */
#define SEARCH_FACET_MATERIALS 10
/** Categories listed in the facets (largest first). */
#define SEARCH_FACET_CATEGORIES 50

/*-----------------------------------------------------------------------------
 * Statements (search_sql.c)
 */
enum search_svc_query {
    SEARCH_Q_VERSIONS,     /* the index's and the category tree's versions: name, version */
    SEARCH_Q_CATEGORIES,   /* the whole category tree: id, parent_id, name */
    SEARCH_Q_TEXTS,        /* title, description of up to SEARCH_TEXT_BATCH product ids */
    SEARCH_Q_LOG_UPSERT,   /* $1 query, $2 day, $3 count, $4 results, $5 at */
    SEARCH_Q_TRENDING_DAY, /* $1 day, $2 limit → query, count */
    SEARCH_Q__COUNT,
};

/** Ids per SEARCH_Q_TEXTS statement (unused parameters bound NULL). */
#define SEARCH_TEXT_BATCH 25

const char *search__sql_text(enum search_svc_query q);

/*-----------------------------------------------------------------------------
 * Results (search_results.c)
 */

/** Price facet buckets in minor units: [min, max], max -1 for the open last bucket. */
#define SEARCH_PRICE_BUCKETS 7
extern const int64_t search__price_bucket_min[SEARCH_PRICE_BUCKETS];
extern const int64_t search__price_bucket_max[SEARCH_PRICE_BUCKETS];

/** A category count of the facets. */
struct search_cat_count {
    const char *id, *name;
    int64_t count;
};

/** A material count of the facets. */
struct search_value_count {
    const char *value;
    int64_t count;
};

/** One page of results, in the request arena. */
struct search_page {
    const struct search_query *query; /* resolved (corrections), owned by the cache entry: use before release */
    const char **ids;
    double *scores;
    size_t n;
    int64_t total;       /* matches after filters */
    bool capped;         /* the text matched more than SEARCH_CANDIDATE_CAP products */
    int64_t next_offset; /* -1: last page */
    struct search_cat_count *cats;
    size_t ncats;
    int64_t price[SEARCH_PRICE_BUCKETS];
    int64_t rating[4]; /* at least 4, 3, 2, 1 stars */
    struct search_value_count *materials;
    size_t nmaterials;
    void *_entry; /* the cache entry held by this page */
};

/**
 * Run a parsed query with filter f: candidates from the cache (built on a
 * miss, or when the index version moved or the entry is older than the
 * TTL), then filters, facets, sort and the page [offset, offset + limit).
 * Returns 0, or -1 with err set. Call search__page_release() afterwards.
 */
int search__results(struct request *req, struct search_query *q, const struct products_filter *f, int64_t offset,
                    int64_t limit, struct search_page *page, struct app_error *err);

/** Let go of the cache entry a page holds. */
void search__page_release(struct search_page *page);

/** Free the whole candidate cache (shutdown). */
void search__cache_free(void);

/** Free the category tree (shutdown). */
void search__trees_free(void);

/*-----------------------------------------------------------------------------
 * The candidate cache (search_cache.c)
 */

/** One candidate: what filters, facets and sorts need. */
struct sc_doc {
    uint32_t id_off;   /* product id in the entry's id pool */
    uint32_t vals_off; /* tags then materials, dictionary indices in vals[] */
    uint16_t ntags, nmats;
    int32_t cat;     /* index into cats[], -1: none */
    uint32_t seller; /* dictionary index */
    float score;
    int32_t rating; /* hundredths of a star */
    uint8_t in_stock;
    int64_t rating_count, price, popularity, published_at;
};

#define SEARCH_NSORTS (PRODUCTS_SORT_RELEVANCE + 1)

struct search_counts;

/** The candidate set of one query's words (read-only once built, but for the memos under order_lock). */
struct sc_entry {
    struct sc_entry *hnext, *prev, *next; /* hash chain; LRU list (head = most recent) */
    char *key;
    uint64_t hash;
    int64_t version, built_at;
    int refs;
    bool cached;               /* linked in the cache (else freed by the last reader) */
    bool building;             /* being filled: readers of this version wait */
    bool refreshing;           /* past its TTL; one request is building its replacement */
    bool accounted;            /* bytes counted in the cache's total */
    struct arena arena;        /* the resolved query, dictionary strings, memos */
    struct search_query query; /* resolved: alternatives and corrections */
    struct sc_doc *docs;       /* in relevance order */
    size_t ndocs, docs_cap;
    char *ids; /* product id pool */
    size_t ids_len, ids_cap;
    uint32_t *vals;
    size_t nvals, vals_cap;
    const char **dict; /* interned strings: categories, sellers, tags, materials */
    size_t ndict, dict_cap;
    uint32_t *dict_slots; /* open-addressing index over dict (index + 1) */
    size_t nslots;
    uint32_t *cats; /* distinct category dictionary indices */
    size_t ncats, cats_cap;
    bool capped; /* the engine returned SEARCH_CANDIDATE_CAP candidates */
    size_t bytes;
    pthread_mutex_t order_lock; /* guards order[] and unfiltered, made on first use */
    uint32_t *order[SEARCH_NSORTS];
    struct search_counts *unfiltered;
};

/** FNV-1a of s[0..n). */
uint64_t search__hash(const char *s, size_t n);

/**
 * The candidates of the words q (key: their sorted terms, hash its hash) at
 * index version: shared, built, waited for or refreshed as the cache
 * decides. Referenced for the caller (search__entry_release). NULL with err
 * set when a build fails.
 */
struct sc_entry *search__cache_acquire(struct request *req, const struct search_query *q, const char *key,
                                       uint64_t hash, int64_t version, struct app_error *err);

void search__entry_release(struct sc_entry *e);

/** The permutation of e's docs for sort (made once); NULL for relevance, the stored order. */
const uint32_t *search__entry_order(struct sc_entry *e, enum products_sort sort);

/** Dictionary index of s in e, or UINT32_MAX when no candidate has it. */
uint32_t search__dict_lookup(struct sc_entry *e, const char *s);

/*-----------------------------------------------------------------------------
 * Query log (search_log.c)
 */

/** Count one search of query (as shown to users) that found results; never blocks on the database. */
void search__log_record(const char *query, int64_t results);

/** Write the counted searches with db (also done by the flusher thread). Returns 0 or -1. */
int search__log_flush(struct db *db, struct db_error *err);

int search__log_start(struct app *app);
void search__log_stop(void);

/*-----------------------------------------------------------------------------
 * Handlers
 */
int search_handle_search(struct request *req, struct app_error *err);
int search_handle_suggestions(struct request *req, struct app_error *err);
int search_handle_trending(struct request *req, struct app_error *err);
int search_handle_rebuild(struct request *req, struct app_error *err);

#endif
