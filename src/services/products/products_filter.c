/*
 * products_filter.c — the filter and sort vocabulary shared by
 * GET /products and GET /search: parsing query parameters, turning a filter
 * into SQL conditions, keyset cursors, and the table of interned SQL texts.
 *
 * Composed SQL: a filter adds static fragments only, so the text of a
 * statement depends on which filters are set (and how many tags and
 * materials), never on their values. db_prepare() caches statements per
 * connection by the address of the SQL text, so a composed text is
 * interned: equal texts map to one process-lifetime copy, and each
 * connection prepares each shape once.
 *
 * Cursors are base64url of "v1|<sort>|<k1>|<k2>|<id>": the last row's sort
 * keys and id. Rows are ordered by the sort keys then by id, all in one
 * direction, so "after the cursor" is one row-value comparison
 * ((k1, id) < ($a, $b)) that both engines answer from the sort's index.
 *
 * Caveats: the intern table is bounded (PRODUCTS_SQL_INTERN_MAX shapes);
 * once full, products_sql_intern() answers NULL and callers fall back to an
 * uncached prepare, so hostile parameter combinations cannot grow memory or
 * the per-connection statement caches without bound. Lowercasing of tags
 * and materials is ASCII only (as SQLite's lower()): "Ñ" stays "Ñ", the
 * same on both sides of the comparison.
 */
#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "services/products/products_int.h"

const char *const products_sort_names[] = {"newest",     "price_asc", "price_desc", "rating",
                                           "popularity", "relevance", NULL};

/*-----------------------------------------------------------------------------
 * Parsing
 */

char *products__normalize_term(struct arena *a, const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return NULL;
    char *out = arena_strndup(a, s, n);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x80)
            *p = (char)tolower((unsigned char)*p);
    return out;
}

/* Split a comma-separated list into distinct normalised terms. */
static int parse_terms(struct request *req, const char *name, const char **out, size_t *n, struct app_error *err)
{
    const char *v = req_param(req, name);
    *n = 0;
    if (v == NULL)
        return 0;
    const char *p = v;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *term = products__normalize_term(req->arena, arena_strndup(req->arena, p, len));
        if (term != NULL) {
            bool dup = false;
            for (size_t i = 0; i < *n && !dup; i++)
                dup = strcmp(out[i], term) == 0;
            if (!dup) {
                if (*n == PRODUCTS_FILTER_MAX_TERMS)
                    return app_error_set(err, req->arena, "invalid_parameter", "%s: at most %d values", name,
                                         PRODUCTS_FILTER_MAX_TERMS);
                out[(*n)++] = term;
            }
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* "4", "4.5", "4.25" → hundredths of a star; -1 when malformed or out of 0..5. */
static int parse_rating(const char *s)
{
    int whole = 0, frac = 0, digits = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    while (isdigit((unsigned char)*s)) {
        whole = whole * 10 + (*s++ - '0');
        if (whole > 5)
            return -1;
    }
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s) && digits < 2) {
            frac = frac * 10 + (*s++ - '0');
            digits++;
        }
        if (digits == 0)
            return -1;
        if (digits == 1)
            frac *= 10;
    }
    if (*s != '\0')
        return -1;
    int v = whole * 100 + frac;
    return v > 500 ? -1 : v;
}

int products_filter_parse(struct request *req, struct products_filter *f, struct app_error *err)
{
    memset(f, 0, sizeof *f);
    f->category_id = req_param(req, "category");
    f->seller_id = req_param(req, "seller");
    f->price_min = req_param(req, "price_min") ? req_param_i64(req, "price_min", -1) : -1;
    f->price_max = req_param(req, "price_max") ? req_param_i64(req, "price_max", -1) : -1;
    if (f->price_min >= 0 && f->price_max >= 0 && f->price_min > f->price_max)
        return app_error_set(err, req->arena, "invalid_parameter", "price_min must not be above price_max");
    const char *mr = req_param(req, "min_rating");
    if (mr != NULL) {
        int v = parse_rating(mr);
        if (v < 0)
            return app_error_set(err, req->arena, "invalid_parameter",
                                 "min_rating must be a number of stars from 0 to 5 (e.g. 4 or 4.5)");
        f->min_rating = v;
    }
    f->in_stock = req_param_bool(req, "in_stock", false);
    if (parse_terms(req, "tags", f->tags, &f->ntags, err) != 0 ||
        parse_terms(req, "materials", f->materials, &f->nmaterials, err) != 0)
        return -1;
    f->sort = PRODUCTS_SORT_DEFAULT;
    const char *sort = req_param(req, "sort");
    for (int i = 0; sort != NULL && products_sort_names[i] != NULL; i++)
        if (strcmp(products_sort_names[i], sort) == 0)
            f->sort = (enum products_sort)(PRODUCTS_SORT_NEWEST + i);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Filter SQL
 */

static int add_param(struct db_param *params, int *nparams, int cap, struct db_param p)
{
    if (*nparams >= cap)
        return -1;
    params[(*nparams)++] = p;
    return 0;
}

int products__filter_sql(const struct products_filter *f, unsigned shop_mode, struct strbuf *sql,
                         struct db_param *params, int *nparams, int cap)
{
    /* Products of a shop that is not active are never public; "in stock" means "can be bought now", which a
       shop on vacation cannot. */
    if (shop_mode == PRODUCTS__SHOP_JOINED) {
        strbuf_puts(sql, " AND s.status = 'active'");
        if (f->in_stock)
            strbuf_puts(sql, " AND s.vacation_mode = 0");
    } else if (shop_mode == PRODUCTS__SHOP_EXISTS) {
        strbuf_puts(sql, f->in_stock ? " AND EXISTS (SELECT 1 FROM shops sx WHERE sx.id = p.shop_id AND "
                                       "sx.status = 'active' AND sx.vacation_mode = 0)"
                                     : " AND EXISTS (SELECT 1 FROM shops sx WHERE sx.id = p.shop_id AND "
                                       "sx.status = 'active')");
    }
    if (f->in_stock)
        strbuf_puts(sql, " AND p.in_stock = 1");
    if (f->category_id != NULL) {
        /* The category and its descendants: paths extend the parent's path by "/slug". substr() rather than
           LIKE, whose '_' and '%' would match other slugs and whose case rules differ between engines. */
        if (add_param(params, nparams, cap, DB_TEXT(f->category_id)) != 0)
            return -1;
        strbuf_printf(sql,
                      " AND p.category_id IN (SELECT cd.id FROM categories cd, categories cr WHERE cr.id = $%d AND "
                      "(cd.path = cr.path OR substr(cd.path, 1, length(cr.path) + 1) = cr.path || '/'))",
                      *nparams);
    }
    if (f->seller_id != NULL) {
        if (add_param(params, nparams, cap, DB_TEXT(f->seller_id)) != 0)
            return -1;
        strbuf_printf(sql, " AND p.seller_id = $%d", *nparams);
    }
    if (f->price_min >= 0) {
        if (add_param(params, nparams, cap, DB_I64(f->price_min)) != 0)
            return -1;
        strbuf_printf(sql, " AND p.price_amount >= $%d", *nparams);
    }
    if (f->price_max >= 0) {
        if (add_param(params, nparams, cap, DB_I64(f->price_max)) != 0)
            return -1;
        strbuf_printf(sql, " AND p.price_amount <= $%d", *nparams);
    }
    if (f->min_rating > 0) {
        if (add_param(params, nparams, cap, DB_I64(f->min_rating)) != 0)
            return -1;
        strbuf_printf(sql, " AND p.rating_avg >= $%d", *nparams);
    }
    /* Tags and materials as IN (subquery) rather than a correlated EXISTS: the same rows, but SQLite then
       either drives the query from the (tag, product_id) index when it knows the tag is rare, or checks
       membership in a list built once, instead of probing the index for every product it scans (3-17 ms
       against 50 ms for a tag pair matching nothing among 100k products). */
    for (size_t i = 0; i < f->ntags; i++) {
        if (add_param(params, nparams, cap, DB_TEXT(f->tags[i])) != 0)
            return -1;
        strbuf_printf(sql, " AND p.id IN (SELECT pt.product_id FROM product_tags pt WHERE pt.tag = $%d)", *nparams);
    }
    for (size_t i = 0; i < f->nmaterials; i++) {
        if (add_param(params, nparams, cap, DB_TEXT(f->materials[i])) != 0)
            return -1;
        strbuf_printf(sql, " AND p.id IN (SELECT pm.product_id FROM product_materials pm WHERE pm.material = $%d)",
                      *nparams);
    }
    return 0;
}

int products_filter_sql(const struct products_filter *f, struct strbuf *sql, struct db_param *params, int *nparams,
                        int cap)
{
    return products__filter_sql(f, PRODUCTS__SHOP_EXISTS, sql, params, nparams, cap);
}

/*-----------------------------------------------------------------------------
 * Interned SQL texts
 */

struct intern_ent {
    uint64_t hash;
    char *text;
};

#define INTERN_SLOTS 1024 /* power of two, > 2 * PRODUCTS_SQL_INTERN_MAX */

static struct intern_ent intern_table[INTERN_SLOTS];
static size_t intern_count;
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

const char *products_sql_intern(const char *text)
{
    uint64_t h = fnv1a(text);
    const char *out = NULL;
    pthread_mutex_lock(&intern_lock);
    size_t i = (size_t)h & (INTERN_SLOTS - 1);
    for (;; i = (i + 1) & (INTERN_SLOTS - 1)) {
        struct intern_ent *e = &intern_table[i];
        if (e->text == NULL) {
            if (intern_count < PRODUCTS_SQL_INTERN_MAX) {
                e->hash = h;
                e->text = xstrdup(text);
                intern_count++;
                out = e->text;
            }
            break;
        }
        if (e->hash == h && strcmp(e->text, text) == 0) {
            out = e->text;
            break;
        }
    }
    pthread_mutex_unlock(&intern_lock);
    return out;
}

void products__intern_free(void)
{
    pthread_mutex_lock(&intern_lock);
    for (size_t i = 0; i < INTERN_SLOTS; i++) {
        free(intern_table[i].text);
        intern_table[i].text = NULL;
    }
    intern_count = 0;
    pthread_mutex_unlock(&intern_lock);
}

/*-----------------------------------------------------------------------------
 * Cursors
 */

const char *products__cursor_encode(struct arena *a, const struct products_cursor *c)
{
    char raw[128];
    int n = snprintf(raw, sizeof raw, "v1|%d|%lld|%lld|%s", (int)c->sort, (long long)c->k1, (long long)c->k2, c->id);
    APP_ASSERT(n > 0 && (size_t)n < sizeof raw);
    size_t cap = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, cap);
    sodium_bin2base64(out, cap, (const unsigned char *)raw, (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static int parse_i64(const char *s, const char *end, int64_t *out)
{
    if (s == end || end - s > 19)
        return -1;
    bool neg = *s == '-';
    if (neg && ++s == end)
        return -1;
    int64_t v = 0;
    for (; s < end; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

int products__cursor_decode(struct request *req, const char *text, enum products_sort sort, struct products_cursor *c,
                            struct app_error *err)
{
    char raw[160];
    size_t len = 0;
    const char *end = NULL;
    if (strlen(text) > 200 ||
        sodium_base642bin((unsigned char *)raw, sizeof raw - 1, text, strlen(text), NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        *end != '\0')
        goto bad;
    raw[len] = '\0';
    if (memchr(raw, '\0', len) != NULL || strncmp(raw, "v1|", 3) != 0)
        goto bad;
    /* Fields: sort, k1, k2, id. */
    const char *f[4];
    const char *p = raw + 3;
    for (int i = 0; i < 4; i++) {
        f[i] = p;
        const char *bar = i < 3 ? strchr(p, '|') : p + strlen(p);
        if (bar == NULL)
            goto bad;
        p = bar + 1;
    }
    int64_t s, k1, k2;
    if (parse_i64(f[0], f[1] - 1, &s) != 0 || parse_i64(f[1], f[2] - 1, &k1) != 0 ||
        parse_i64(f[2], f[3] - 1, &k2) != 0 || s != (int64_t)sort || !id_valid(f[3], "prd"))
        goto bad;
    c->sort = sort;
    c->k1 = k1;
    c->k2 = k2;
    c->id = arena_strdup(req->arena, f[3]);
    return 0;
bad:
    return app_error_set(err, req->arena, "invalid_cursor", "the cursor is not one this listing returned");
}
