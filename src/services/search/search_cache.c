/*
 * search_cache.c — the per-process cache of candidate sets: for a query's
 * words, the most relevant matches (up to SEARCH_CANDIDATE_CAP) with what
 * filters, facets and sorts need, as the engine returned them.
 *
 * A candidate set depends on the words only, so it is keyed by the sorted
 * analysed words and shared by every filter, sort and page of them. An
 * entry is valid while the index version it was built at is current (read
 * per request; every index change bumps it in the writer's transaction, so
 * an archived product is gone from the next request after its commit) and
 * for at most SEARCH_CACHE_TTL_MS, so live counters (rating, popularity,
 * stock) are never older than that. One request builds a missing entry while
 * the others wait for it; one past its TTL is rebuilt by one request while
 * the others keep reading it. Entries are refcounted (one evicted or
 * replaced while a request reads it is freed by the last reader) and the
 * whole is an LRU bounded by SEARCH_CACHE_BYTES.
 *
 * Within an entry, strings (category and seller ids, tags, materials) are
 * interned in a dictionary, so filters compare integers; documents are kept
 * in relevance order (engine score, then popularity, rating, id), and the
 * other orders are permutations made on first use.
 *
 * Caveats: an entry larger than a quarter of the budget serves the request
 * that built it and is not kept.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "services/search/search_int.h"

/*-----------------------------------------------------------------------------
 * The cache
 */

#define CACHE_BUCKETS 1024

static struct {
    pthread_mutex_t lock;
    pthread_cond_t built; /* broadcast when an entry stops building */
    struct sc_entry *buckets[CACHE_BUCKETS];
    struct sc_entry *head, *tail;
    size_t bytes;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER, .built = PTHREAD_COND_INITIALIZER};

uint64_t search__hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void entry_free(struct sc_entry *e)
{
    for (int i = 0; i < SEARCH_NSORTS; i++)
        free(e->order[i]);
    pthread_mutex_destroy(&e->order_lock);
    free(e->docs);
    free(e->ids);
    free(e->vals);
    free(e->dict);
    free(e->dict_slots);
    free(e->cats);
    free(e->key);
    arena_destroy(&e->arena);
    free(e);
}

static void entry_unref_locked(struct sc_entry *e)
{
    if (--e->refs == 0 && !e->cached)
        entry_free(e);
}

/* Unlink from the hash chain and the LRU list; the cache's reference goes with it. */
static void cache_unlink_locked(struct sc_entry *e)
{
    struct sc_entry **pp = &cache.buckets[e->hash % CACHE_BUCKETS];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        cache.head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        cache.tail = e->prev;
    if (e->accounted)
        cache.bytes -= e->bytes;
    e->accounted = false;
    e->cached = false;
    entry_unref_locked(e);
}

static void lru_front_locked(struct sc_entry *e)
{
    if (cache.head == e)
        return;
    if (e->prev)
        e->prev->next = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        cache.tail = e->prev;
    e->prev = NULL;
    e->next = cache.head;
    if (cache.head)
        cache.head->prev = e;
    cache.head = e;
    if (cache.tail == NULL)
        cache.tail = e;
}

static struct sc_entry *cache_find_locked(const char *key, uint64_t hash)
{
    struct sc_entry *e = cache.buckets[hash % CACHE_BUCKETS];
    while (e != NULL && (e->hash != hash || strcmp(e->key, key) != 0))
        e = e->hnext;
    return e;
}

/* Link e at the front (the cache takes a reference). */
static void cache_insert_locked(struct sc_entry *e)
{
    e->cached = true;
    e->refs++;
    e->hnext = cache.buckets[e->hash % CACHE_BUCKETS];
    cache.buckets[e->hash % CACHE_BUCKETS] = e;
    e->prev = NULL;
    e->next = cache.head;
    if (cache.head)
        cache.head->prev = e;
    cache.head = e;
    if (cache.tail == NULL)
        cache.tail = e;
}

/* Count a filled entry's memory, or drop it when too big; evict the least recently used down to the budget. */
static void cache_account_locked(struct sc_entry *e)
{
    if (!e->cached)
        return;
    if (e->bytes > SEARCH_CACHE_BYTES / 4) {
        cache_unlink_locked(e);
        return;
    }
    e->accounted = true;
    cache.bytes += e->bytes;
    while (cache.bytes > SEARCH_CACHE_BYTES && cache.tail != NULL && cache.tail != e)
        cache_unlink_locked(cache.tail);
}

void search__entry_release(struct sc_entry *e)
{
    pthread_mutex_lock(&cache.lock);
    entry_unref_locked(e);
    pthread_mutex_unlock(&cache.lock);
}

void search__cache_free(void)
{
    pthread_mutex_lock(&cache.lock);
    while (cache.tail != NULL)
        cache_unlink_locked(cache.tail);
    pthread_mutex_unlock(&cache.lock);
}

/*-----------------------------------------------------------------------------
 * Building an entry
 */

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    *cap = n;
    return xrealloc(p, n * size);
}

static void dict_rehash(struct sc_entry *e, size_t nslots)
{
    free(e->dict_slots);
    e->dict_slots = xcalloc(nslots, sizeof *e->dict_slots);
    e->nslots = nslots;
    for (size_t i = 0; i < e->ndict; i++) {
        size_t j = (size_t)search__hash(e->dict[i], strlen(e->dict[i])) & (nslots - 1);
        while (e->dict_slots[j] != 0)
            j = (j + 1) & (nslots - 1);
        e->dict_slots[j] = (uint32_t)i + 1;
    }
}

/* Dictionary index of s[0..n); added when create, else UINT32_MAX when absent. */
static uint32_t dict_find(struct sc_entry *e, const char *s, size_t n, bool create)
{
    if (create && (e->ndict + 1) * 2 > e->nslots)
        dict_rehash(e, e->nslots ? e->nslots * 2 : 256);
    if (e->nslots == 0)
        return UINT32_MAX;
    size_t j = (size_t)search__hash(s, n) & (e->nslots - 1);
    for (;; j = (j + 1) & (e->nslots - 1)) {
        uint32_t slot = e->dict_slots[j];
        if (slot == 0)
            break;
        const char *d = e->dict[slot - 1];
        if (strncmp(d, s, n) == 0 && d[n] == '\0')
            return slot - 1;
    }
    if (!create)
        return UINT32_MAX;
    e->dict = grow(e->dict, &e->dict_cap, e->ndict + 1, sizeof *e->dict);
    e->dict[e->ndict] = arena_strndup(&e->arena, s, n);
    e->bytes += n + 1 + 2 * sizeof(void *);
    e->dict_slots[j] = (uint32_t)e->ndict + 1;
    return (uint32_t)e->ndict++;
}

uint32_t search__dict_lookup(struct sc_entry *e, const char *s)
{
    return dict_find(e, s, strlen(s), false);
}

/* Append the dictionary indices of a '\n'-separated list to vals; returns how many. */
static uint16_t add_values(struct sc_entry *e, const char *list)
{
    uint16_t n = 0;
    while (*list && n < UINT16_MAX) {
        const char *nl = strchr(list, '\n');
        size_t len = nl ? (size_t)(nl - list) : strlen(list);
        if (len > 0) {
            e->vals = grow(e->vals, &e->vals_cap, e->nvals + 1, sizeof *e->vals);
            e->vals[e->nvals++] = dict_find(e, list, len, true);
            n++;
        }
        list += len;
        if (*list == '\n')
            list++;
    }
    return n;
}

static int on_hit(void *ctx, const struct search_hit *h)
{
    struct sc_entry *e = ctx;
    e->docs = grow(e->docs, &e->docs_cap, e->ndocs + 1, sizeof *e->docs);
    struct sc_doc *d = &e->docs[e->ndocs++];
    memset(d, 0, sizeof *d);
    size_t idlen = strlen(h->product_id);
    e->ids = grow(e->ids, &e->ids_cap, e->ids_len + idlen + 1, 1);
    d->id_off = (uint32_t)e->ids_len;
    memcpy(e->ids + e->ids_len, h->product_id, idlen + 1);
    e->ids_len += idlen + 1;
    d->score = (float)h->score;
    d->cat = -1;
    if (h->category_id != NULL) {
        uint32_t ci = dict_find(e, h->category_id, strlen(h->category_id), true);
        size_t k = 0;
        while (k < e->ncats && e->cats[k] != ci)
            k++;
        if (k == e->ncats) {
            e->cats = grow(e->cats, &e->cats_cap, e->ncats + 1, sizeof *e->cats);
            e->cats[e->ncats++] = ci;
        }
        d->cat = (int32_t)k;
    }
    d->seller = dict_find(e, h->seller_id ? h->seller_id : "", h->seller_id ? strlen(h->seller_id) : 0, true);
    d->price = h->price_amount;
    d->rating = (int32_t)h->rating_avg;
    d->rating_count = h->rating_count;
    d->popularity = h->popularity;
    d->published_at = h->published_at;
    d->in_stock = h->in_stock;
    d->vals_off = (uint32_t)e->nvals;
    d->ntags = add_values(e, h->tag_values);
    d->nmats = add_values(e, h->material_values);
    return 0;
}

static struct sc_entry *sort_entry; /* qsort has no context argument: guarded by sort_lock */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;
static int sort_kind;

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static int cmp_docs(const struct sc_doc *a, const struct sc_doc *b)
{
    const char *ia = sort_entry->ids + a->id_off, *ib = sort_entry->ids + b->id_off;
    int c;
    switch (sort_kind) {
    case PRODUCTS_SORT_NEWEST:
        return (c = cmp_i64(b->published_at, a->published_at)) ? c : strcmp(ib, ia);
    case PRODUCTS_SORT_PRICE_ASC:
        return (c = cmp_i64(a->price, b->price)) ? c : strcmp(ia, ib);
    case PRODUCTS_SORT_PRICE_DESC:
        return (c = cmp_i64(b->price, a->price)) ? c : strcmp(ib, ia);
    case PRODUCTS_SORT_RATING:
        if ((c = cmp_i64(b->rating, a->rating)) || (c = cmp_i64(b->rating_count, a->rating_count)))
            return c;
        return strcmp(ib, ia);
    case PRODUCTS_SORT_POPULARITY:
        return (c = cmp_i64(b->popularity, a->popularity)) ? c : strcmp(ib, ia);
    default: /* relevance: score, then popularity and rating as tie-breakers */
        if (a->score != b->score)
            return a->score > b->score ? -1 : 1;
        if ((c = cmp_i64(b->popularity, a->popularity)) || (c = cmp_i64(b->rating, a->rating)))
            return c;
        return strcmp(ia, ib);
    }
}

static int cmp_doc_qsort(const void *x, const void *y)
{
    return cmp_docs(x, y);
}

static int cmp_index(const void *x, const void *y)
{
    const uint32_t *a = x, *b = y;
    return cmp_docs(&sort_entry->docs[*a], &sort_entry->docs[*b]);
}

/* The permutation of e's docs for sort (built once, under the entry's lock); NULL for relevance (stored order). */
const uint32_t *search__entry_order(struct sc_entry *e, enum products_sort sort)
{
    if (sort == PRODUCTS_SORT_DEFAULT || sort == PRODUCTS_SORT_RELEVANCE)
        return NULL;
    pthread_mutex_lock(&e->order_lock);
    if (e->order[sort] == NULL) {
        uint32_t *o = xmalloc((e->ndocs ? e->ndocs : 1) * sizeof *o);
        for (size_t i = 0; i < e->ndocs; i++)
            o[i] = (uint32_t)i;
        pthread_mutex_lock(&sort_lock);
        sort_entry = e;
        sort_kind = sort;
        qsort(o, e->ndocs, sizeof *o, cmp_index);
        pthread_mutex_unlock(&sort_lock);
        e->order[sort] = o;
    }
    const uint32_t *o = e->order[sort];
    pthread_mutex_unlock(&e->order_lock);
    return o;
}

static struct sc_entry *entry_new(const char *key, uint64_t hash, int64_t version)
{
    struct sc_entry *e = xcalloc(1, sizeof *e);
    arena_init(&e->arena, 4096);
    pthread_mutex_init(&e->order_lock, NULL);
    e->key = xstrdup(key);
    e->hash = hash;
    e->version = version;
    e->refs = 1;
    return e;
}

/* Resolve the words and fetch the candidates into e (not yet shared, or building: no lock needed). */
static int entry_fill(struct request *req, struct sc_entry *e, const struct search_query *parsed, struct app_error *err)
{
    e->built_at = time_now_ms();
    e->query = *parsed;
    for (size_t i = 0; i < e->query.nwords; i++)
        e->query.words[i].term = arena_strdup(&e->arena, parsed->words[i].term);
    struct db_error dberr = {0};
    if (search_query_resolve(req->db, &e->arena, &e->query, &dberr) != 0 ||
        search_match(req->db, &e->query, SEARCH_CANDIDATE_CAP, on_hit, e, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    e->capped = e->ndocs >= SEARCH_CANDIDATE_CAP;
    if (e->ndocs > 1) { /* docs is NULL when nothing matched */
        pthread_mutex_lock(&sort_lock);
        sort_entry = e;
        sort_kind = PRODUCTS_SORT_RELEVANCE;
        qsort(e->docs, e->ndocs, sizeof *e->docs, cmp_doc_qsort);
        pthread_mutex_unlock(&sort_lock);
    }
    /* The dictionary index stays: filters look values up in it. Orders may add 4 bytes per doc and sort. */
    e->bytes += sizeof *e + e->docs_cap * sizeof *e->docs + e->ndocs * sizeof(uint32_t) * 2 + e->ids_cap +
                e->vals_cap * sizeof *e->vals + e->nslots * sizeof *e->dict_slots;
    return 0;
}

/*
 * The candidates of key at index version, referenced for the caller.
 *   - A current entry is shared.
 *   - None, or one of an older version: this request builds it while later
 *     requests for the key wait for it (one build, not one per request).
 *   - Past its TTL: this request builds the replacement; the others keep
 *     reading the old entry meanwhile (its version is still current, so it
 *     is only less fresh on counters, never wrong on membership).
 *   - One of a newer version (this request read the version earlier):
 *     built for this request alone.
 * Returns NULL with err set when a build fails.
 */
struct sc_entry *search__cache_acquire(struct request *req, const struct search_query *q, const char *key,
                                       uint64_t hash, int64_t version, struct app_error *err)
{
    struct sc_entry *e = NULL, *old = NULL;
    bool shared = false;
    pthread_mutex_lock(&cache.lock);
    for (;;) {
        struct sc_entry *cur = cache_find_locked(key, hash);
        if (cur != NULL && cur->version == version) {
            if (cur->building) {
                pthread_cond_wait(&cache.built, &cache.lock);
                continue;
            }
            cur->refs++;
            lru_front_locked(cur);
            if (time_now_ms() - cur->built_at <= SEARCH_CACHE_TTL_MS || cur->refreshing) {
                pthread_mutex_unlock(&cache.lock);
                return cur;
            }
            cur->refreshing = true;
            old = cur;
            break;
        }
        if (cur != NULL && cur->version > version)
            break; /* private build */
        if (cur != NULL)
            cache_unlink_locked(cur);
        e = entry_new(key, hash, version);
        e->building = true;
        cache_insert_locked(e);
        shared = true;
        break;
    }
    pthread_mutex_unlock(&cache.lock);

    if (e == NULL)
        e = entry_new(key, hash, version);
    int rc = entry_fill(req, e, q, err);
    pthread_mutex_lock(&cache.lock);
    if (shared) {
        e->building = false;
        if (rc == 0)
            cache_account_locked(e);
        else if (e->cached)
            cache_unlink_locked(e);
        pthread_cond_broadcast(&cache.built);
    } else if (old != NULL) {
        old->refreshing = false;
        if (rc == 0 && cache_find_locked(key, hash) == old) {
            cache_unlink_locked(old);
            cache_insert_locked(e);
            cache_account_locked(e);
        }
        if (rc == 0) {
            entry_unref_locked(old);
        } else { /* serve the old entry rather than fail */
            entry_unref_locked(e);
            e = old;
            rc = 0;
        }
    }
    if (rc != 0) {
        entry_unref_locked(e);
        e = NULL;
    }
    pthread_mutex_unlock(&cache.lock);
    return e;
}
