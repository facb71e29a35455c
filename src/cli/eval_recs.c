/*
 * eval_recs.c — `artistry eval-recs`: offline evaluation of the for-me
 * recommender against a popularity baseline.
 *
 *   artistry eval-recs [--products N] [--buyers B] [--seed S] [options]
 *
 * In a fresh SQLite database in a temporary directory (removed at the end):
 * the generated catalogue of `seed --catalog N` (its own buyers, orders and
 * wishlists are background noise), then B synthetic buyers with a taste
 * profile: two favourite categories (80% of their interactions, products
 * drawn by popularity inside the category) and the rest drawn by
 * popularity from the whole catalogue. Each buyer makes 6..14 distinct
 * interactions in time order (view 50%, wishlist 30%, purchase 20%),
 * written to the real source tables (product_user_views, wishlists,
 * orders + order_items); the last one is held out. The model is built by
 * recs_update() and the ranking read by recs_for_me(), the code the
 * endpoints run. Baseline: the 10 products with the most training
 * interactions, minus those the buyer bought or wishlisted (the same
 * exclusion as the recommender).
 *
 * Prints hit-rate@10 of both; exit status 0 when the recommender beats the
 * baseline, 1 otherwise (or on error), 2 on bad usage.
 *
 * Caveats: the behaviour is synthetic; the figure says the model learns
 * structure that exists, not how real buyers behave.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/seed.h"
#include "db/db.h"
#include "services/recs/recs.h"

#define FAV_SHARE 0.8
#define TOP_K 10

struct product {
    char id[ID_MAX_LEN], seller[ID_MAX_LEN], shop[ID_MAX_LEN];
    int cat;          /* index into the category list */
    int64_t price, popularity;
};

struct catalogue {
    struct product *p;
    size_t n;
    int ncat;
    size_t *cat_start, *by_cat; /* products grouped by category: by_cat[cat_start[c] .. cat_start[c+1]) */
};

struct buyer {
    char id[ID_MAX_LEN];
    size_t held_out;
    size_t *items; /* training items */
    int *kind;     /* 1 view, 2 wishlist, 3 purchase */
    int n;
};

/*-----------------------------------------------------------------------------
 * Random numbers (splitmix64)
 */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double unif(uint64_t *s)
{
    return (double)(rnd(s) >> 11) * 0x1.0p-53;
}

/* An index of idx[0..n-1] drawn with probability proportional to popularity + 1. */
static size_t draw_popular(const struct catalogue *c, const size_t *idx, size_t n, uint64_t *s)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += (double)c->p[idx[i]].popularity + 1;
    double x = unif(s) * total;
    for (size_t i = 0; i < n; i++) {
        x -= (double)c->p[idx[i]].popularity + 1;
        if (x < 0)
            return idx[i];
    }
    return idx[n - 1];
}

/*-----------------------------------------------------------------------------
 * The catalogue
 */
static int load_catalogue(struct db *db, struct catalogue *c, struct db_error *err)
{
    static const char q[] = "SELECT p.id, p.seller_id, p.shop_id, p.category_id, p.price_amount, p.popularity "
                            "FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.status = 'active' AND "
                            "s.status = 'active' AND p.category_id IS NOT NULL ORDER BY p.category_id, p.id";
    struct db_stmt *st = db_prepare(db, q, err);
    if (st == NULL)
        return -1;
    size_t cap = 1024;
    c->p = xcalloc(cap, sizeof *c->p);
    c->n = 0;
    c->ncat = 0;
    char last[ID_MAX_LEN] = "";
    int rc;
    while ((rc = db_step(st, err)) == 1) {
        if (c->n == cap) {
            cap *= 2;
            c->p = xrealloc(c->p, cap * sizeof *c->p);
        }
        struct product *p = &c->p[c->n++];
        snprintf(p->id, sizeof p->id, "%s", db_column_text(st, 0));
        snprintf(p->seller, sizeof p->seller, "%s", db_column_text(st, 1));
        snprintf(p->shop, sizeof p->shop, "%s", db_column_text(st, 2));
        const char *cat = db_column_text(st, 3);
        if (strcmp(cat, last) != 0) {
            snprintf(last, sizeof last, "%s", cat);
            c->ncat++;
        }
        p->cat = c->ncat - 1;
        p->price = db_column_i64(st, 4);
        p->popularity = db_column_i64(st, 5);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    c->cat_start = xcalloc((size_t)c->ncat + 1, sizeof *c->cat_start);
    c->by_cat = xcalloc(c->n + 1, sizeof *c->by_cat);
    for (size_t i = 0; i < c->n; i++) {
        c->by_cat[i] = i; /* already ordered by category */
        c->cat_start[c->p[i].cat + 1] = i + 1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Synthetic buyers
 */
static bool seen(const struct buyer *b, size_t item)
{
    for (int i = 0; i < b->n; i++)
        if (b->items[i] == item)
            return true;
    return false;
}

/* The buyer's interactions: n + 1 distinct items, the last held out. */
static void make_buyer(const struct catalogue *c, struct buyer *b, uint64_t *s)
{
    int fav[2] = {(int)(rnd(s) % (uint64_t)c->ncat), (int)(rnd(s) % (uint64_t)c->ncat)};
    int want = 6 + (int)(rnd(s) % 9);
    b->items = xcalloc((size_t)want + 1, sizeof *b->items);
    b->kind = xcalloc((size_t)want + 1, sizeof *b->kind);
    b->n = 0;
    for (int tries = 0; b->n <= want && tries < 1000; tries++) {
        size_t item;
        if (unif(s) < FAV_SHARE) {
            int cat = fav[rnd(s) % 2];
            item = draw_popular(c, c->by_cat + c->cat_start[cat], c->cat_start[cat + 1] - c->cat_start[cat], s);
        } else {
            item = draw_popular(c, c->by_cat, c->n, s);
        }
        if (seen(b, item))
            continue;
        double k = unif(s);
        b->kind[b->n] = k < 0.5 ? 1 : k < 0.8 ? 2 : 3;
        b->items[b->n++] = item;
    }
    b->n--; /* the last one is held out */
    b->held_out = b->items[b->n];
}

static int exec(struct db *db, const char *sql, const struct db_param *p, int n, struct db_error *err)
{
    return db_exec(db, sql, p, n, err) < 0 ? -1 : 0;
}

static int write_purchase(struct db *db, const struct buyer *b, const struct product *p, int64_t at,
                          struct db_error *err)
{
    static const char order_sql[] =
        "INSERT INTO orders (id, buyer_id, seller_id, shop_id, status, subtotal_amount, total_amount, currency, "
        "commission_bps, paid_at, delivered_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 'delivered', $5, $5, "
        "'USD', 1000, $6, $6, $6, $6)";
    static const char item_sql[] =
        "INSERT INTO order_items (id, order_id, product_id, title, unit_price_amount, quantity, line_total_amount, "
        "currency, created_at) VALUES ($1, $2, $3, 'eval item', $4, 1, $4, 'USD', $5)";
    char oid[ID_MAX_LEN], iid[ID_MAX_LEN];
    id_generate("ord", oid, sizeof oid);
    id_generate("oit", iid, sizeof iid);
    struct db_param o[] = {DB_TEXT(oid), DB_TEXT(b->id), DB_TEXT(p->seller), DB_TEXT(p->shop), DB_I64(p->price),
                           DB_I64(at)};
    struct db_param i[] = {DB_TEXT(iid), DB_TEXT(oid), DB_TEXT(p->id), DB_I64(p->price), DB_I64(at)};
    return exec(db, order_sql, o, 6, err) == 0 ? exec(db, item_sql, i, 5, err) : -1;
}

static int write_buyer(struct db *db, const struct catalogue *c, const struct buyer *b, int idx, int64_t now,
                       struct db_error *err)
{
    static const char user_sql[] = "INSERT INTO users (id, email, email_normalized, display_name, created_at, "
                                   "updated_at) VALUES ($1, $2, $2, 'Eval buyer', $3, $3)";
    static const char view_sql[] =
        "INSERT INTO product_user_views (user_id, product_id, view_count, last_at) VALUES ($1, $2, 1, $3)";
    static const char wish_sql[] = "INSERT INTO wishlists (user_id, product_id, created_at) VALUES ($1, $2, $3)";
    char email[64];
    snprintf(email, sizeof email, "eval%d@eval.example.com", idx);
    struct db_param u[] = {DB_TEXT(b->id), DB_TEXT(email), DB_I64(now)};
    if (exec(db, user_sql, u, 3, err) != 0)
        return -1;
    for (int i = 0; i < b->n; i++) {
        const struct product *p = &c->p[b->items[i]];
        int64_t at = now - (int64_t)(b->n - i) * 60000; /* in order, a minute apart */
        struct db_param e[] = {DB_TEXT(b->id), DB_TEXT(p->id), DB_I64(at)};
        int rc = b->kind[i] == 1   ? exec(db, view_sql, e, 3, err)
                 : b->kind[i] == 2 ? exec(db, wish_sql, e, 3, err)
                                   : write_purchase(db, b, p, at, err);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Scoring
 */
struct counts {
    int64_t *train; /* training interactions per product */
    size_t *top;    /* products by train count, best first */
};

struct ranked_item {
    int64_t count;
    size_t item;
};

static int by_count_desc(const void *a, const void *b)
{
    const struct ranked_item *x = a, *y = b;
    return y->count > x->count ? 1 : y->count < x->count ? -1 : (x->item > y->item) - (x->item < y->item);
}

static void rank_popular(const struct catalogue *c, const struct buyer *bs, int nb, struct counts *k)
{
    k->train = xcalloc(c->n, sizeof *k->train);
    for (int i = 0; i < nb; i++)
        for (int j = 0; j < bs[i].n; j++)
            k->train[bs[i].items[j]]++;
    struct ranked_item *r = xcalloc(c->n, sizeof *r);
    for (size_t i = 0; i < c->n; i++)
        r[i] = (struct ranked_item){k->train[i], i};
    qsort(r, c->n, sizeof *r, by_count_desc);
    k->top = xcalloc(c->n, sizeof *k->top);
    for (size_t i = 0; i < c->n; i++)
        k->top[i] = r[i].item;
    free(r);
}

/* Baseline hit: the held-out item among the 10 most popular the buyer did not buy or wishlist. */
static bool baseline_hit(const struct catalogue *c, const struct counts *k, const struct buyer *b)
{
    int shown = 0;
    for (size_t i = 0; i < c->n && shown < TOP_K; i++) {
        size_t item = k->top[i];
        bool excluded = false;
        for (int j = 0; j < b->n; j++)
            if (b->items[j] == item && b->kind[j] >= 2)
                excluded = true;
        if (excluded)
            continue;
        if (item == b->held_out)
            return true;
        shown++;
    }
    return false;
}

static int recs_hit(struct db *db, const struct catalogue *c, const struct buyer *b, bool *hit, struct db_error *err)
{
    struct recs_item out[TOP_K];
    size_t n = 0;
    if (recs_for_me(db, b->id, 0, TOP_K, out, &n, err) != 0)
        return -1;
    *hit = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].id, c->p[b->held_out].id) == 0)
            *hit = true;
    return 0;
}

/*-----------------------------------------------------------------------------
 * The command
 */
struct eval_opts {
    int64_t products, buyers;
    uint64_t seed;
};

static int parse_opts(int argc, char **argv, struct eval_opts *o, char **rest, int *nrest)
{
    *nrest = 0;
    for (int i = 0; i < argc; i++) {
        bool p = strcmp(argv[i], "--products") == 0, b = strcmp(argv[i], "--buyers") == 0,
             s = strcmp(argv[i], "--seed") == 0;
        if (!p && !b && !s) {
            rest[(*nrest)++] = argv[i];
            continue;
        }
        char *end;
        errno = 0;
        long long v = i + 1 < argc ? strtoll(argv[i + 1], &end, 10) : -1;
        if (i + 1 >= argc || errno != 0 || *end != '\0' || v < 1 || v > 1000000) {
            fprintf(stderr, "artistry eval-recs: %s wants a number from 1 to 1000000\n", argv[i]);
            return 2;
        }
        if (p)
            o->products = v;
        else if (b)
            o->buyers = v;
        else
            o->seed = (uint64_t)v;
        i++;
    }
    return 0;
}

static int make_and_write(struct db *db, const struct catalogue *c, struct buyer *bs, int nb, uint64_t seed,
                          struct db_error *err)
{
    uint64_t s = seed ^ UINT64_C(0xE7A1);
    int64_t now = time_now_ms();
    for (int i = 0; i < nb; i++) {
        id_generate("usr", bs[i].id, sizeof bs[i].id);
        make_buyer(c, &bs[i], &s);
    }
    if (db_begin(db, err) != 0)
        return -1;
    for (int i = 0; i < nb; i++)
        if (write_buyer(db, c, &bs[i], i, now, err) != 0) {
            db_rollback(db);
            return -1;
        }
    return db_commit(db, err);
}

static int evaluate(struct db *db, const struct eval_opts *o)
{
    struct db_error err = {0};
    struct seed_catalog_stats sst;
    struct seed_catalog_opts so = {.products = o->products, .seed = o->seed};
    struct catalogue c = {0};
    int nb = (int)o->buyers, rc = 1;
    struct buyer *bs = xcalloc((size_t)nb, sizeof *bs);
    struct counts k = {0};
    struct recs_update_stats ust;
    int64_t t0 = time_now_ms();
    if (seed_catalog(db, &so, &sst, &err) != 0 || load_catalogue(db, &c, &err) != 0)
        goto out;
    if (c.n < 50 || c.ncat < 2) {
        fprintf(stderr, "artistry eval-recs: the catalogue is too small (%zu products)\n", c.n);
        goto out;
    }
    if (make_and_write(db, &c, bs, nb, o->seed, &err) != 0)
        goto out;
    int64_t t1 = time_now_ms();
    if (recs_update(db, time_now_ms(), &ust, &err) != 0)
        goto out;
    int64_t t2 = time_now_ms();
    rank_popular(&c, bs, nb, &k);
    int hits = 0, base_hits = 0, train = 0;
    for (int i = 0; i < nb; i++) {
        bool hit;
        if (recs_hit(db, &c, &bs[i], &hit, &err) != 0)
            goto out;
        hits += hit;
        base_hits += baseline_hit(&c, &k, &bs[i]);
        train += bs[i].n;
    }
    double hr = (double)hits / nb, base = (double)base_hits / nb;
    printf("eval-recs: %zu active products in %d categories, %d synthetic buyers, %d training interactions "
           "(+ the catalogue's own), %d held out (seed %" PRIu64 ")\n",
           c.n, c.ncat, nb, train, nb, o->seed);
    printf("model: %" PRId64 " events, %" PRId64 " applied, %" PRId64 " pair increments in %.1f s "
           "(data %.1f s, ranking %.1f s)\n",
           ust.events, ust.applied, ust.pairs, (double)(t2 - t1) / 1000, (double)(t1 - t0) / 1000,
           (double)(time_now_ms() - t2) / 1000);
    printf("hit-rate@10 recommender: %.3f (%d/%d)\n", hr, hits, nb);
    printf("hit-rate@10 popularity:  %.3f (%d/%d)\n", base, base_hits, nb);
    printf("%s\n", hr > base ? "the recommender beats the popularity baseline"
                             : "FAIL: the recommender does not beat the popularity baseline");
    rc = hr > base ? 0 : 1;
out:
    if (err.kind != DB_E_NONE || err.msg[0] != '\0')
        fprintf(stderr, "artistry eval-recs: %s: %s\n", db_errkind_name(err.kind), err.msg);
    for (int i = 0; i < nb; i++) {
        free(bs[i].items);
        free(bs[i].kind);
    }
    free(bs);
    free(c.p);
    free(c.cat_start);
    free(c.by_cat);
    free(k.train);
    free(k.top);
    return rc;
}

int cli_eval_recs(int argc, char **argv)
{
    struct eval_opts o = {.products = 3000, .buyers = 1500, .seed = 1};
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest, rc = parse_opts(argc, argv, &o, rest, &nrest);
    struct config cfg;
    bool cfg_loaded = false;
    char dir[] = "/tmp/artistry-eval-XXXXXX", path[64] = "";
    struct db *db = NULL;
    if (rc != 0)
        goto out;
    rc = cli__load_config(&cfg, nrest, rest);
    cfg_loaded = rc == 0;
    if (rc != 0)
        goto out;
    rc = 1;
    if (mkdtemp(dir) == NULL) {
        perror("artistry eval-recs: mkdtemp");
        goto out;
    }
    snprintf(path, sizeof path, "%s/eval.db", dir);
    struct db_error err = {0};
    if ((db = db_open(path, &err)) == NULL) {
        fprintf(stderr, "artistry eval-recs: %s\n", err.msg);
        goto out;
    }
    if (cli__migrate(db) == 0)
        rc = evaluate(db, &o);
out:
    db_close(db);
    if (path[0] != '\0') {
        char side[80];
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
        rmdir(dir);
    }
    if (cfg_loaded)
        config_free(&cfg);
    free(rest);
    return rc;
}
