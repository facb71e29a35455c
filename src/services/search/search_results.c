/*
 * search_results.c — from a parsed query to a page of results with exact
 * facet counts, in memory.
 *
 * Candidates come from the cache (search_cache.c): the most relevant text
 * matches of the words, with what filters, facets and sorts need.
 *
 * Filters and facets. Each candidate gets a mask of the filter groups it
 * fails (category, price, rating, materials, everything else) in one pass,
 * which also counts the facets with the usual disjunctive rule: a facet
 * counts the candidates that pass every filter except its own group. So the
 * count shown for a category, a price bucket or a rating threshold is
 * exactly the total of the same query with that value chosen instead.
 * Materials are a conjunctive filter (a product must have every chosen
 * one), so their counts are over the candidates passing every filter: the
 * total after adding that material to the selection. A category counts the
 * candidates in its whole subtree, as the category filter selects a subtree.
 *
 * Paging. A page is an offset into the filtered order (the cursor carries
 * it), so pages of one query are consistent while its entry lives. The
 * counts of the empty filter are made once per entry: a search without a
 * filter costs a page of reads, not a pass over the candidates.
 *
 * Categories come from a process-wide copy of the tree, rebuilt when the
 * "categories" version moves (read with the index version, in one query).
 *
 * Caveats: when a query matches more than SEARCH_CANDIDATE_CAP products,
 * filters, facets and totals work within its most relevant
 * SEARCH_CANDIDATE_CAP (the page says so: capped). A shop's vacation
 * mode and a product's counters are as fresh as the entry (at most the TTL)
 * unless a sync bumped the version.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "db/db.h"
#include "services/search/search_int.h"

const int64_t search__price_bucket_min[SEARCH_PRICE_BUCKETS] = {0, 1000, 2500, 5000, 10000, 25000, 50000};
const int64_t search__price_bucket_max[SEARCH_PRICE_BUCKETS] = {999, 2499, 4999, 9999, 24999, 49999, -1};

/*-----------------------------------------------------------------------------
 * The category tree (process-wide, rebuilt when the "categories" version moves)
 */

struct cat_tree {
    int64_t version;
    int refs;
    size_t n;
    char **ids, **names;
    int32_t *parent;
    uint32_t *by_id; /* indices sorted by id */
};

static struct {
    pthread_mutex_t lock;
    struct cat_tree *cur;
} trees = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void tree_free(struct cat_tree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->ids[i]);
        free(t->names[i]);
    }
    free(t->ids);
    free(t->names);
    free(t->parent);
    free(t->by_id);
    free(t);
}

static void tree_unref(struct cat_tree *t)
{
    pthread_mutex_lock(&trees.lock);
    bool last = --t->refs == 0;
    pthread_mutex_unlock(&trees.lock);
    if (last)
        tree_free(t);
}

static struct cat_tree *tree_sorting; /* qsort has no context argument: guarded by tree_sort_lock */
static pthread_mutex_t tree_sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int cmp_tree_id(const void *x, const void *y)
{
    return strcmp(tree_sorting->ids[*(const uint32_t *)x], tree_sorting->ids[*(const uint32_t *)y]);
}

static int32_t tree_find(const struct cat_tree *t, const char *id)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(t->ids[t->by_id[mid]], id);
        if (c == 0)
            return (int32_t)t->by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The tree at version (of cache_versions "categories"), referenced for the caller. */
static struct cat_tree *tree_get(struct request *req, int64_t version, struct app_error *err)
{
    struct db_error dberr = {0};
    pthread_mutex_lock(&trees.lock);
    struct cat_tree *t = trees.cur;
    if (t != NULL && t->version == version) {
        t->refs++;
        pthread_mutex_unlock(&trees.lock);
        return t;
    }
    pthread_mutex_unlock(&trees.lock);

    t = xcalloc(1, sizeof *t);
    t->version = version;
    t->refs = 1;
    size_t cap = 0;
    char **parents = NULL;
    struct db_stmt *st = db_prepare(req->db, search__sql_text(SEARCH_Q_CATEGORIES), &dberr);
    int rc = st == NULL ? -1 : 0;
    while (st != NULL && (rc = db_step(st, &dberr)) == 1) {
        if (t->n == cap) {
            cap = cap ? cap * 2 : 64;
            t->ids = xrealloc(t->ids, cap * sizeof *t->ids);
            t->names = xrealloc(t->names, cap * sizeof *t->names);
            parents = xrealloc(parents, cap * sizeof *parents);
        }
        const char *pid = db_column_text(st, 1);
        t->ids[t->n] = xstrdup(db_column_text(st, 0));
        t->names[t->n] = xstrdup(db_column_text(st, 2) ? db_column_text(st, 2) : "");
        parents[t->n] = pid ? xstrdup(pid) : NULL;
        t->n++;
    }
    if (st != NULL)
        db_reset(st);
    t->by_id = xmalloc((t->n ? t->n : 1) * sizeof *t->by_id);
    t->parent = xmalloc((t->n ? t->n : 1) * sizeof *t->parent);
    for (size_t i = 0; i < t->n; i++)
        t->by_id[i] = (uint32_t)i;
    pthread_mutex_lock(&tree_sort_lock);
    tree_sorting = t;
    if (t->n > 1)
        qsort(t->by_id, t->n, sizeof *t->by_id, cmp_tree_id);
    pthread_mutex_unlock(&tree_sort_lock);
    for (size_t i = 0; i < t->n; i++) {
        t->parent[i] = parents[i] ? tree_find(t, parents[i]) : -1;
        free(parents[i]);
    }
    free(parents);
    if (rc < 0) {
        tree_free(t);
        req_db_error(req, &dberr, err);
        return NULL;
    }
    pthread_mutex_lock(&trees.lock);
    struct cat_tree *old = trees.cur;
    trees.cur = t;
    t->refs++; /* the process's reference */
    bool free_old = old != NULL && --old->refs == 0;
    pthread_mutex_unlock(&trees.lock);
    if (free_old)
        tree_free(old);
    return t;
}

void search__trees_free(void)
{
    pthread_mutex_lock(&trees.lock);
    struct cat_tree *t = trees.cur;
    trees.cur = NULL;
    bool last = t != NULL && --t->refs == 0;
    pthread_mutex_unlock(&trees.lock);
    if (last)
        tree_free(t);
}

/*-----------------------------------------------------------------------------
 * Filtering, facets, paging
 */

enum { M_CAT = 1, M_PRICE = 2, M_RATING = 4, M_MATS = 8, M_OTHER = 16 };

static bool has_value(const struct sc_entry *e, const struct sc_doc *d, uint32_t from, uint16_t n, uint32_t v)
{
    const uint32_t *vals = e->vals + d->vals_off + from;
    for (uint16_t i = 0; i < n; i++)
        if (vals[i] == v)
            return true;
    return false;
}

static int cmp_cat_count(const void *x, const void *y)
{
    const struct search_cat_count *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int cmp_value_count(const void *x, const void *y)
{
    const struct search_value_count *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->value, b->value);
}

static int cmp_term(const void *x, const void *y)
{
    return strcmp(((const struct search_word *)x)->term, ((const struct search_word *)y)->term);
}

static int build_key(struct request *req, const struct search_query *q, char **key)
{
    struct search_word sorted[SEARCH_QUERY_MAX_TERMS];
    memcpy(sorted, q->words, q->nwords * sizeof sorted[0]);
    qsort(sorted, q->nwords, sizeof sorted[0], cmp_term);
    size_t len = 1;
    for (size_t i = 0; i < q->nwords; i++)
        len += strlen(sorted[i].term) + 1;
    char *k = arena_alloc(req->arena, len);
    for (size_t i = 0; i < q->nwords; i++) {
        if (i > 0)
            strcat(k, " ");
        strcat(k, sorted[i].term);
    }
    *key = k;
    return 0;
}

/* Facet counts over an entry's candidates for one filter (tree-independent: categories by entry category). */
struct search_counts {
    int64_t total;
    int64_t *cats; /* per entry category */
    int64_t price[SEARCH_PRICE_BUCKETS];
    int64_t rating[4];
    struct search_value_count *mats; /* top SEARCH_FACET_MATERIALS, most frequent first */
    size_t nmats;
};

/* A filter turned into the entry's terms: dictionary indices and the categories the category filter takes. */
struct efilter {
    const struct products_filter *f;
    const bool *cat_in; /* per entry category; used when f->category_id */
    bool impossible, mats_impossible;
    uint32_t seller, tags[PRODUCTS_FILTER_MAX_TERMS], mats[PRODUCTS_FILTER_MAX_TERMS];
};

static bool filter_empty(const struct products_filter *f)
{
    return f->category_id == NULL && f->seller_id == NULL && f->price_min < 0 && f->price_max < 0 &&
           f->min_rating <= 0 && !f->in_stock && f->ntags == 0 && f->nmaterials == 0;
}

/*
 * One pass over the candidates: the filter groups each fails (mask, when not
 * NULL) and the facet counts, each over the candidates that pass every group
 * but its own. Arrays in arena a.
 */
static void count(struct arena *a, const struct sc_entry *e, const struct efilter *ef, uint8_t *mask,
                  struct search_counts *c)
{
    const struct products_filter *f = ef->f;
    memset(c, 0, sizeof *c);
    c->cats = arena_array(a, int64_t, e->ncats + 1);
    int64_t *mat_counts = arena_array(a, int64_t, e->ndict + 1);
    for (size_t i = 0; i < e->ndocs; i++) {
        const struct sc_doc *d = &e->docs[i];
        uint8_t m = 0;
        if (f->category_id != NULL && (d->cat < 0 || !ef->cat_in[d->cat]))
            m |= M_CAT;
        if ((f->price_min >= 0 && d->price < f->price_min) || (f->price_max >= 0 && d->price > f->price_max))
            m |= M_PRICE;
        if (f->min_rating > 0 && d->rating < f->min_rating)
            m |= M_RATING;
        if (ef->mats_impossible)
            m |= M_MATS;
        for (size_t k = 0; k < f->nmaterials && !(m & M_MATS); k++)
            if (!has_value(e, d, d->ntags, d->nmats, ef->mats[k]))
                m |= M_MATS;
        if (ef->impossible || (f->seller_id != NULL && d->seller != ef->seller) || (f->in_stock && !d->in_stock))
            m |= M_OTHER;
        for (size_t k = 0; k < f->ntags && !(m & M_OTHER); k++)
            if (!has_value(e, d, 0, d->ntags, ef->tags[k]))
                m |= M_OTHER;
        if (mask != NULL)
            mask[i] = m;
        if ((m & ~M_CAT) == 0 && d->cat >= 0)
            c->cats[d->cat]++;
        if ((m & ~M_PRICE) == 0) {
            int b = SEARCH_PRICE_BUCKETS - 1;
            while (b > 0 && d->price < search__price_bucket_min[b])
                b--;
            c->price[b]++;
        }
        if ((m & ~M_RATING) == 0) /* rating[k] counts "at least 4 - k stars" */
            for (int k = 3; k >= 0 && d->rating >= (4 - k) * 100; k--)
                c->rating[k]++;
        if (m == 0) {
            c->total++;
            for (uint16_t k = 0; k < d->nmats; k++)
                mat_counts[e->vals[d->vals_off + d->ntags + k]]++;
        }
    }
    size_t nm = 0;
    for (size_t v = 0; v < e->ndict; v++)
        nm += mat_counts[v] > 0;
    c->mats = arena_array(a, struct search_value_count, nm + 1);
    for (size_t v = 0; v < e->ndict; v++)
        if (mat_counts[v] > 0)
            c->mats[c->nmats++] = (struct search_value_count){e->dict[v], mat_counts[v]};
    if (c->nmats > 1)
        qsort(c->mats, c->nmats, sizeof *c->mats, cmp_value_count);
    if (c->nmats > SEARCH_FACET_MATERIALS)
        c->nmats = SEARCH_FACET_MATERIALS;
}

/* The counts of the empty filter, made once per entry (most searches have no filter). */
static const struct search_counts *unfiltered_counts(struct sc_entry *e)
{
    pthread_mutex_lock(&e->order_lock);
    if (e->unfiltered == NULL) {
        struct products_filter none = {.price_min = -1, .price_max = -1};
        struct efilter ef = {.f = &none};
        struct search_counts *c = arena_new(&e->arena, struct search_counts);
        count(&e->arena, e, &ef, NULL, c);
        e->unfiltered = c;
    }
    const struct search_counts *c = e->unfiltered;
    pthread_mutex_unlock(&e->order_lock);
    return c;
}

int search__results(struct request *req, struct search_query *q, const struct products_filter *f, int64_t offset,
                    int64_t limit, struct search_page *page, struct app_error *err)
{
    memset(page, 0, sizeof *page);
    page->next_offset = -1;
    /* Both versions in one read (one round trip on PostgreSQL); a missing row is version 0. */
    struct db_error dberr = {0};
    int64_t version = 0, cat_version = 0;
    struct db_stmt *st = db_prepare(req->db, search__sql_text(SEARCH_Q_VERSIONS), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    int rc;
    while ((rc = db_step(st, &dberr)) == 1)
        *(strcmp(db_column_text(st, 0), SEARCH_VERSION_NAME) == 0 ? &version : &cat_version) = db_column_i64(st, 1);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    char *key;
    build_key(req, q, &key);
    uint64_t hash = search__hash(key, strlen(key));
    struct sc_entry *e = search__cache_acquire(req, q, key, hash, version, err);
    if (e == NULL)
        return -1;
    page->_entry = e;
    page->query = &e->query;
    page->capped = e->capped;
    struct cat_tree *tree = tree_get(req, cat_version, err);
    if (tree == NULL)
        return -1;

    /* Per category of the entry: its tree node, and whether the category filter takes it. */
    int32_t *node = arena_array(req->arena, int32_t, e->ncats + 1);
    bool *cat_in = arena_array(req->arena, bool, e->ncats + 1);
    int32_t want = f->category_id ? tree_find(tree, f->category_id) : -1;
    for (size_t k = 0; k < e->ncats; k++) {
        node[k] = tree_find(tree, e->dict[e->cats[k]]);
        for (int32_t t = node[k], hops = 0; t >= 0 && hops < 64 && !cat_in[k]; t = tree->parent[t], hops++)
            cat_in[k] = t == want;
    }
    const struct search_counts *c;
    uint8_t *mask = NULL;
    if (filter_empty(f)) {
        c = unfiltered_counts(e);
    } else {
        /* Values as dictionary indices; a value no candidate has makes its filter match nothing. */
        struct efilter ef = {.f = f, .cat_in = cat_in};
        if (f->seller_id != NULL && (ef.seller = search__dict_lookup(e, f->seller_id)) == UINT32_MAX)
            ef.impossible = true;
        for (size_t i = 0; i < f->ntags; i++)
            if ((ef.tags[i] = search__dict_lookup(e, f->tags[i])) == UINT32_MAX)
                ef.impossible = true;
        for (size_t i = 0; i < f->nmaterials; i++)
            if ((ef.mats[i] = search__dict_lookup(e, f->materials[i])) == UINT32_MAX)
                ef.mats_impossible = true;
        mask = arena_array(req->arena, uint8_t, e->ndocs + 1);
        struct search_counts *fc = arena_new(req->arena, struct search_counts);
        count(req->arena, e, &ef, mask, fc);
        c = fc;
    }
    page->total = c->total;
    memcpy(page->price, c->price, sizeof page->price);
    memcpy(page->rating, c->rating, sizeof page->rating);
    page->materials = c->mats;
    page->nmaterials = c->nmats;

    /* Categories: each candidate counts for its category and every ancestor. */
    int64_t *node_counts = arena_array(req->arena, int64_t, tree->n + 1);
    for (size_t k = 0; k < e->ncats; k++)
        for (int32_t t = node[k], hops = 0; c->cats[k] > 0 && t >= 0 && hops < 64; t = tree->parent[t], hops++)
            node_counts[t] += c->cats[k];
    page->cats = arena_array(req->arena, struct search_cat_count, tree->n + 1);
    for (size_t t = 0; t < tree->n; t++)
        if (node_counts[t] > 0)
            page->cats[page->ncats++] = (struct search_cat_count){
                arena_strdup(req->arena, tree->ids[t]), arena_strdup(req->arena, tree->names[t]), node_counts[t]};
    if (page->ncats > 1)
        qsort(page->cats, page->ncats, sizeof *page->cats, cmp_cat_count);
    if (page->ncats > SEARCH_FACET_CATEGORIES)
        page->ncats = SEARCH_FACET_CATEGORIES;
    tree_unref(tree);

    /* The page, in the requested order; without a filter it starts right at the offset. */
    const uint32_t *order = search__entry_order(e, f->sort);
    page->ids = arena_array(req->arena, const char *, (size_t)limit + 1);
    page->scores = arena_array(req->arena, double, (size_t)limit + 1);
    int64_t seen = mask == NULL ? offset : 0;
    for (size_t i = mask == NULL ? (size_t)offset : 0; i < e->ndocs && page->n < (size_t)limit; i++) {
        size_t di = order ? order[i] : i;
        if (mask != NULL && (mask[di] != 0 || seen++ < offset))
            continue;
        page->ids[page->n] = e->ids + e->docs[di].id_off;
        page->scores[page->n] = e->docs[di].score;
        page->n++;
    }
    if (offset + (int64_t)page->n < page->total)
        page->next_offset = offset + (int64_t)page->n;
    return 0;
}

void search__page_release(struct search_page *page)
{
    if (page->_entry != NULL)
        search__entry_release(page->_entry);
    page->_entry = NULL;
}
