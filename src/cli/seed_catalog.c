/*
 * seed_catalog.c — `artistry seed --catalog N`: a generated catalogue of N
 * products for tests and benchmarks.
 *
 * Shape (N = 100 000): the demo category tree; N/50 sellers, each with an
 * approved application, a shop (name, tagline, policies; ~4% on vacation,
 * ~40% accepting custom orders) and a shipping rate table; N/4 buyers;
 * N products whose titles are adjective x material x object from the
 * vocabularies of their leaf category (seed_vocab.c), with descriptions,
 * tags and materials (JSON arrays and the lowercase product_tags /
 * product_materials rows), lognormal prices within the craft's range,
 * stock (some sold out, some made to order), variants on ~30%, a
 * personalisation question on some; ~2% drafts and ~2% archived. Sales are
 * one-item orders that were delivered (completed after 14 days), with their
 * status history; about half of the items carry a review, with a J-shaped
 * rating distribution that varies by product. Shop sizes, sales and
 * wishlists follow heavy-tailed "appeal" draws, so a few listings are
 * popular and most are quiet.
 *
 * Consistency: everything is planned in memory first, so each product and
 * shop row is written once with its counters equal to the rows behind them:
 * rating_sum/rating_count = the product's (shop's) reviews, sales_count =
 * units in its delivered/completed orders, wishlist_count = its wishlist
 * rows, view_count = its product_views row, and popularity, rating_avg and
 * in_stock by the formulas of 0005_catalog.sql (seed__popularity, ...).
 *
 * Determinism: every entity draws from its own random stream, derived from
 * (seed, kind, index), so the same N and seed give the same shops, titles,
 * prices, ratings. Ids are time-ordered (base/ids.h layout) with their
 * random bits from those streams; dates are relative to now.
 *
 * Speed: one transaction; rows go through seed_bulk.c (PostgreSQL:
 * multi-row INSERTs, one round trip per few hundred rows; SQLite: one
 * reused prepared statement per table, and a larger page cache), in time
 * order where a primary key is time-ordered; every user shares one argon2id
 * hash made once (a hash takes ~60 ms). 100k products: ~15 s of rows plus
 * the search rebuild on SQLite here.
 *
 * Refusal: the first generated seller of run k has the email
 * seller1@catalog<k>.example.com (run 1: catalog.example.com). If run 1
 * exists and append is not set, nothing is written; with append, the next
 * free run number is used, so emails stay unique.
 *
 * Caveats:
 *   - No payments, ledger entries, shipments or images: orders exist to make
 *     reviews legitimate (reviews.order_item_id) and to count sales.
 *   - Orders have one item each. Shop follower counts are 0.
 *   - The demo category tree is inserted (fixed ids) when missing and its
 *     leaves are then found by slug; categories made under demo slugs with
 *     other ids before seeding make that insert fail, as for --demo.
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "cli/seed.h"
#include "cli/seed_int.h"
#include "db/db.h"
#include "platform/search.h"
#include "services/auth/auth.h"

#define MAX_VARIANTS 4
#define REVIEW_SHARE 0.55 /* order items that get a review */

/*-----------------------------------------------------------------------------
 * Random draws beyond seed_int.h's uniform ones
 */

static double gauss(struct seed_rng *r)
{
    double u1 = 1.0 - seed__unif(r), u2 = seed__unif(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static int64_t poisson(struct seed_rng *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda > 30) {
        double v = lambda + sqrt(lambda) * gauss(r);
        return v < 0 ? 0 : (int64_t)(v + 0.5);
    }
    double limit = exp(-lambda), p = 1.0;
    int64_t k = 0;
    do {
        k++;
        p *= seed__unif(r);
    } while (p > limit);
    return k - 1;
}

void seed__make_id(char *buf, const char *prefix, int64_t ms, struct seed_rng *r)
{
    static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    unsigned char raw[16];
    uint64_t t = (uint64_t)ms, a = seed__rnd(r), b = seed__rnd(r);
    unsigned acc = 0, bits = 2; /* 128 bits padded to 130: two leading zero bits */
    size_t n = strlen(prefix), o = 0;

    for (int i = 5; i >= 0; i--, t >>= 8)
        raw[i] = (unsigned char)(t & 0xff);
    for (int i = 0; i < 8; i++)
        raw[6 + i] = (unsigned char)(a >> (8 * i));
    raw[14] = (unsigned char)b;
    raw[15] = (unsigned char)(b >> 8);
    APP_ASSERT(n + 1 + 26 < SEED_GID);
    memcpy(buf, prefix, n);
    buf[n] = '_';
    for (int i = 0; i < 16; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            buf[n + 1 + o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
        acc &= (1u << bits) - 1;
    }
    buf[n + 1 + o] = '\0';
    APP_ASSERT(o == 26);
}

/*-----------------------------------------------------------------------------
 * A set of 64-bit string hashes (slug uniqueness). A false "present" only
 * adds a needless "-2" to a slug.
 */

struct hset {
    uint64_t *keys; /* 0: empty */
    size_t cap;     /* power of two */
    size_t n;
};

static uint64_t hash_str(uint64_t h, const char *s)
{
    h ^= UINT64_C(0xcbf29ce484222325);
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
    return h == 0 ? 1 : h;
}

static void hset_init(struct hset *s, size_t expected)
{
    s->cap = 64;
    while (s->cap < 2 * expected + 2)
        s->cap *= 2;
    s->keys = xcalloc(s->cap, sizeof(*s->keys));
    s->n = 0;
}

/* Add h; false if it was there. */
static bool hset_add(struct hset *s, uint64_t h)
{
    APP_ASSERT(s->n + 1 < s->cap);
    for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->keys[i] == h)
            return false;
        if (s->keys[i] == 0) {
            s->keys[i] = h;
            s->n++;
            return true;
        }
    }
}

/* slug made unique within scope: base, base-2, base-3, ... */
static void unique_slug(struct hset *s, uint64_t scope, const char *base, char *out, size_t cap)
{
    snprintf(out, cap, "%s", base);
    for (int k = 2; !hset_add(s, hash_str(scope, out)); k++)
        snprintf(out, cap, "%.*s-%d", (int)(cap > 12 ? cap - 12 : 1), base, k);
}

/*-----------------------------------------------------------------------------
 * The plan
 */

/* The generator's own state around the plan. */
struct gen {
    struct seed_cat_plan plan;
    struct hset slugs; /* shop slugs (scope 0) and product slugs (scope: seller index + 1) */
};

static void gen_free(struct gen *g)
{
    free(g->plan.sellers);
    free(g->plan.buyers);
    free(g->plan.products);
    free(g->plan.variants);
    free(g->plan.sales);
    free(g->slugs.keys);
    memset(g, 0, sizeof(*g));
}

/* Crafts of a family, by weight. */
static int pick_craft(struct seed_rng *r, int family)
{
    int total = 0, x;

    for (size_t c = 0; c < seed__ncrafts; c++)
        if (seed__crafts[c].family == family)
            total += seed__crafts[c].weight;
    x = (int)seed__below(r, (size_t)total);
    for (size_t c = 0; c < seed__ncrafts; c++) {
        if (seed__crafts[c].family != family)
            continue;
        if (x < seed__crafts[c].weight)
            return (int)c;
        x -= seed__crafts[c].weight;
    }
    APP_PANIC("seed: craft weights");
}

static int pick_family(struct seed_rng *r)
{
    int total = 0, x;

    for (size_t f = 0; f < seed__nfamilies; f++)
        total += seed__families[f].weight;
    x = (int)seed__below(r, (size_t)total);
    for (size_t f = 0; f < seed__nfamilies; f++) {
        if (x < seed__families[f].weight)
            return (int)f;
        x -= seed__families[f].weight;
    }
    APP_PANIC("seed: family weights");
}

static void plan_sellers(struct seed_cat_plan *p, struct hset *slugs)
{
    for (size_t i = 0; i < p->nsellers; i++) {
        struct seed_cat_seller *s = &p->sellers[i];
        struct seed_rng r = seed__stream(p->seed, SEED_S_SELLER, i);
        const struct seed_family *f;
        const char *last = seed__pick(&r, seed__last_names);
        char base[96];

        s->family = pick_family(&r);
        f = &seed__families[s->family];
        s->craft = pick_craft(&r, s->family);
        snprintf(s->name, sizeof(s->name), "%s %s", seed__pick(&r, seed__first_names), last);
        switch (seed__below(&r, 4)) {
        case 0:
            snprintf(s->shop_name, sizeof(s->shop_name), "%s & %s %s", seed__pick(&r, seed__shop_first),
                     seed__pick(&r, seed__shop_second), seed__pick(&r, f->shop_words));
            break;
        case 1:
            snprintf(s->shop_name, sizeof(s->shop_name), "%s %s %s", seed__pick(&r, seed__shop_first),
                     seed__pick(&r, seed__shop_second), seed__pick(&r, f->shop_words));
            break;
        case 2:
            snprintf(s->shop_name, sizeof(s->shop_name), "%s %s", last, seed__pick(&r, f->shop_words));
            break;
        default:
            snprintf(s->shop_name, sizeof(s->shop_name), "%s %s", seed__pick(&r, seed__shop_first),
                     seed__pick(&r, f->shop_words));
            break;
        }
        seed__slugify(s->shop_name, base, sizeof(base) - 16);
        unique_slug(slugs, 0, base, s->slug, sizeof(s->slug));
        s->city = (int)seed__below(&r, seed__words_count(seed__cities));
        s->joined = p->now - seed__between(&r, 400, 1100) * SEED_DAY_MS - seed__between(&r, 0, SEED_DAY_MS);
        s->appeal = exp(0.9 * gauss(&r));
        s->vacation = seed__chance(&r, 0.04);
        s->custom = seed__chance(&r, 0.40);
        seed__make_id(s->id, "usr", s->joined, &r);
        seed__make_id(s->shop_id, "shp", s->joined + SEED_DAY_MS, &r);
        seed__make_id(s->table_id, "srt", s->joined + SEED_DAY_MS, &r);
    }
}

static void plan_buyers(struct seed_cat_plan *p)
{
    for (size_t i = 0; i < p->nbuyers; i++) {
        struct seed_cat_buyer *b = &p->buyers[i];
        struct seed_rng r = seed__stream(p->seed, SEED_S_BUYER, i);

        snprintf(b->name, sizeof(b->name), "%s %s", seed__pick(&r, seed__first_names),
                 seed__pick(&r, seed__last_names));
        b->city = (int)seed__below(&r, seed__words_count(seed__cities));
        b->joined = p->now - seed__between(&r, 60, 1200) * SEED_DAY_MS - seed__between(&r, 0, SEED_DAY_MS);
        seed__make_id(b->id, "usr", b->joined, &r);
    }
}

/* Product i's shop: the first nsellers products give every shop one listing, the rest go by appeal. */
static size_t alloc_seller(const struct seed_cat_plan *p, const double *cum, size_t i)
{
    struct seed_rng r;
    double x;
    size_t lo = 0, hi = p->nsellers - 1;

    if (i < p->nsellers)
        return i;
    r = seed__stream(p->seed, SEED_S_ALLOC, i);
    x = seed__unif(&r) * cum[p->nsellers - 1];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* A price around the craft's range, rounded as people price things. */
static int64_t plan_price(struct seed_rng *r, const struct seed_craft *c)
{
    double lo = log((double)c->price_min), hi = log((double)c->price_max);
    double v = exp((lo + hi) / 2 + gauss(r) * (hi - lo) / 3.3);
    int64_t dollars = (int64_t)(v / 100 + 0.5);

    if (dollars > 20 && seed__chance(r, 0.35))
        dollars = (dollars + 2) / 5 * 5;
    if (dollars < 5)
        dollars = 5;
    return dollars * 100;
}

static void plan_title(struct seed_rng *r, struct seed_cat_product *g, const struct seed_craft *c)
{
    const char *adj, *mat, *obj;

    g->adj = (int)seed__below(r, seed__words_count(c->adjectives));
    g->mat = (int)seed__below(r, seed__words_count(c->materials));
    g->obj = (int)seed__below(r, seed__words_count(c->objects));
    adj = c->adjectives[g->adj];
    mat = c->materials[g->mat];
    obj = c->objects[g->obj];
    /* "Speckled Speckled Stoneware": drop an adjective the material already says. */
    if (strstr(mat, adj) != NULL)
        g->adj = -1;
    switch (seed__below(r, 20)) {
    case 0:
    case 1:
    case 2:
        snprintf(g->title, sizeof(g->title), "%s %s%s", mat, obj, seed__pick(r, seed__title_extras));
        break;
    case 3:
    case 4:
    case 5:
        if (g->adj >= 0) {
            snprintf(g->title, sizeof(g->title), "%s %s in %s", adj, obj, mat);
            break;
        }
        /* fall through */
    default:
        if (g->adj >= 0)
            snprintf(g->title, sizeof(g->title), "%s %s %s", adj, mat, obj);
        else
            snprintf(g->title, sizeof(g->title), "%s %s", mat, obj);
        break;
    }
}

static void plan_variants(struct seed_cat_plan *p, struct seed_rng *r, struct seed_cat_product *g,
                          const struct seed_craft *c)
{
    size_t nvalues;
    int n, start, total = 0;

    g->first_variant = (int)p->nvariants;
    g->nvariants = 0;
    if (c->variant_key == NULL || !seed__chance(r, 0.30))
        return;
    nvalues = seed__words_count(c->variant_values);
    n = (int)seed__between(r, 2, nvalues < MAX_VARIANTS ? (int64_t)nvalues : MAX_VARIANTS);
    start = (int)seed__below(r, nvalues - (size_t)n + 1);
    if (p->nvariants + (size_t)n > p->capvariants) {
        p->capvariants = p->capvariants * 2 + 64;
        p->variants = xrealloc(p->variants, p->capvariants * sizeof(*p->variants));
    }
    for (int k = 0; k < n; k++) {
        struct seed_cat_variant *v = &p->variants[p->nvariants++];
        /* Sizes cost more as they grow; colours and finishes cost the same. */
        bool sized = strcmp(c->variant_key, "size") == 0 || strcmp(c->variant_key, "chain_length") == 0;

        v->value = start + k;
        v->modifier = sized && k > 0 && seed__chance(r, 0.6) ? (int64_t)k * ((g->price / 10 + 50) / 100 * 100) : 0;
        v->stock = g->made_to_order ? 0 : seed__chance(r, 0.15) ? 0 : (int)seed__between(r, 1, 12);
        total += v->stock;
        seed__make_id(v->id, "var", g->created, r);
    }
    g->nvariants = n;
    g->stock = total; /* the product's stock is its variants' */
}

/* One sale of g (index pi): times, buyer, quantity, review. False if it cannot fit before now. */
static bool plan_sale(struct seed_cat_plan *p, struct seed_rng *r, size_t pi, struct seed_cat_sale *s)
{
    const struct seed_cat_product *g = &p->products[pi];
    const struct seed_cat_buyer *b;
    int64_t lo, hi, margin = ((int64_t)g->processing_days + 8) * SEED_DAY_MS;
    double x;

    s->product = (int)pi;
    s->buyer = (int)seed__below(r, p->nbuyers);
    b = &p->buyers[s->buyer];
    lo = g->published + SEED_HOUR_MS;
    if (b->joined > lo)
        lo = b->joined + SEED_HOUR_MS;
    hi = p->now - margin;
    if (lo >= hi)
        return false;
    s->paid = seed__between(r, lo, hi);
    s->shipped = s->paid + (int64_t)g->processing_days * SEED_DAY_MS - seed__between(r, 0, 12) * SEED_HOUR_MS;
    if (s->shipped <= s->paid)
        s->shipped = s->paid + SEED_HOUR_MS;
    s->delivered = s->shipped + seed__between(r, 2, 6) * SEED_DAY_MS;
    x = seed__unif(r);
    s->qty = x < 0.88 ? 1 : x < 0.98 ? 2 : 3;
    s->variant = g->nvariants > 0 ? g->first_variant + (int)seed__below(r, (size_t)g->nvariants) : -1;
    s->rating = 0;
    s->reply = false;
    if (seed__chance(r, REVIEW_SHARE)) {
        static const int dist[3][5] = {{72, 19, 5, 2, 2}, {50, 28, 12, 5, 5}, {30, 25, 20, 12, 13}}; /* 5..1 stars */
        int y = (int)seed__below(r, 100), k = 0;

        while (y >= dist[g->quality][k]) {
            y -= dist[g->quality][k];
            k++;
        }
        s->rating = 5 - k;
        s->reviewed = s->delivered + seed__between(r, SEED_HOUR_MS, 20 * SEED_DAY_MS);
        if (s->reviewed > p->now - SEED_HOUR_MS)
            s->reviewed = p->now - SEED_HOUR_MS;
        s->reply = seed__chance(r, s->rating <= 3 ? 0.5 : 0.15);
    }
    return true;
}

static void plan_products(struct seed_cat_plan *p, struct hset *slugs)
{
    double *cum = xcalloc(p->nsellers, sizeof(*cum));
    double acc = 0;

    for (size_t s = 0; s < p->nsellers; s++) {
        acc += p->sellers[s].appeal;
        cum[s] = acc;
    }
    for (size_t i = 0; i < p->nproducts; i++) {
        struct seed_cat_product *g = &p->products[i];
        struct seed_rng r = seed__stream(p->seed, SEED_S_PRODUCT, i);
        struct seed_rng vr = seed__stream(p->seed, SEED_S_VARIANT, i);
        struct seed_cat_seller *sel;
        const struct seed_craft *c;
        char base[SEED_TITLE_MAX];
        double x, age_days;

        g->seller = (int)alloc_seller(p, cum, i);
        sel = &p->sellers[g->seller];
        g->craft = seed__chance(&r, 0.7) ? sel->craft : pick_craft(&r, sel->family);
        c = &seed__crafts[g->craft];
        plan_title(&r, g, c);
        seed__slugify(g->title, base, sizeof(base) - 16);
        unique_slug(slugs, (uint64_t)g->seller + 1, base, g->slug, sizeof(g->slug));
        g->price = plan_price(&r, c);
        g->made_to_order = seed__chance(&r, c->made_to_order_pct / 100.0);
        g->stock = g->made_to_order ? 0 : seed__chance(&r, 0.08) ? 0 : (int)(1 + poisson(&r, 6));
        g->processing_days = (int)seed__between(&r, c->processing_min, c->processing_max);
        g->weight = (int)seed__between(&r, c->weight_min, c->weight_max);
        g->collective = seed__chance(&r, 0.08);
        g->question = c->question != NULL && seed__chance(&r, 0.12);
        x = seed__unif(&r);
        g->status = x < 0.02 ? SEED_CAT_DRAFT : x < 0.04 ? SEED_CAT_ARCHIVED : SEED_CAT_ACTIVE;
        g->created =
            sel->joined + SEED_DAY_MS + (int64_t)(seed__unif(&r) * (double)(p->now - sel->joined - 2 * SEED_DAY_MS));
        g->published = g->status == SEED_CAT_DRAFT ? 0 : g->created + seed__between(&r, 0, 48) * SEED_HOUR_MS;
        g->appeal = exp(gauss(&r));
        x = seed__unif(&r);
        g->quality = x < 0.7 ? 0 : x < 0.9 ? 1 : 2;
        seed__make_id(g->id, "prd", g->created, &r);
        plan_variants(p, &vr, g, c);

        /* Sales: listings sell in proportion to appeal and to how long they have been up. */
        if (g->published > 0) {
            struct seed_rng sr = seed__stream(p->seed, SEED_S_SALES, i);
            int64_t n;

            age_days = (double)(p->now - g->published) / (double)SEED_DAY_MS;
            n = poisson(&sr, 0.6 * g->appeal * (age_days < 180 ? age_days / 180 : 1));
            if (n > 400)
                n = 400;
            for (int64_t k = 0; k < n; k++) {
                if (p->nsales == p->capsales) {
                    p->capsales = p->capsales * 2 + 1024;
                    p->sales = xrealloc(p->sales, p->capsales * sizeof(*p->sales));
                }
                struct seed_cat_sale *s = &p->sales[p->nsales];
                if (!plan_sale(p, &sr, i, s))
                    continue;
                p->nsales++;
                g->sales += s->qty;
                if (s->rating > 0) {
                    g->rating_sum += s->rating;
                    g->rating_count++;
                }
            }
            struct seed_rng wr = seed__stream(p->seed, SEED_S_WISH, i);
            g->wishlists = poisson(&wr, 1.2 * g->appeal);
            if (g->wishlists > (int64_t)p->nbuyers)
                g->wishlists = (int64_t)p->nbuyers;
            g->views = (int64_t)(g->appeal * (double)seed__between(&wr, 20, 90)) + 15 * g->sales + g->wishlists * 3;
        }
        if (g->status == SEED_CAT_ACTIVE)
            p->nactive++;
        sel->rating_sum += g->rating_sum;
        sel->rating_count += g->rating_count;
        sel->sales += g->sales;
        p->nreviews += g->rating_count;
        p->nwishlists += g->wishlists;
    }
    free(cum);
}

static int by_paid(const void *a, const void *b)
{
    const struct seed_cat_sale *x = a, *y = b;

    if (x->paid != y->paid)
        return x->paid < y->paid ? -1 : 1;
    return x->product != y->product ? (x->product < y->product ? -1 : 1)
                                    : (x->buyer > y->buyer) - (x->buyer < y->buyer);
}

/*-----------------------------------------------------------------------------
 * Entry point
 */

enum catalog_q { Q_RUN_MARKER, Q_CATEGORY_BY_SLUG, Q_SHOP_COUNT, Q_SHOP_SLUGS, Q__COUNT };

static const char *const catalog_sql[Q__COUNT] = {
    [Q_RUN_MARKER] = "SELECT 1 FROM users WHERE email_normalized = $1",
    [Q_CATEGORY_BY_SLUG] = "SELECT id FROM categories WHERE slug = $1",
    [Q_SHOP_COUNT] = "SELECT count(*) FROM shops",
    [Q_SHOP_SLUGS] = "SELECT slug FROM shops",
};

struct catalog_job {
    const struct seed_catalog_opts *o;
    struct seed_catalog_stats *st;
    const char *hash;
};

/* Email domain of run k: catalog.example.com, catalog2.example.com, ... */
static void run_domain(int run, char *buf, size_t cap)
{
    if (run == 1)
        snprintf(buf, cap, "catalog.example.com");
    else
        snprintf(buf, cap, "catalog%d.example.com", run);
}

/* Run number of this catalogue: 1 on a database without one; 0 when refused (one exists, no append). */
static int find_run(struct db *db, bool append, int *run, struct db_error *err)
{
    for (int k = 1; k < 10000; k++) {
        char domain[48], email[96];
        struct db_stmt *st = db_prepare(db, catalog_sql[Q_RUN_MARKER], err);
        int rc;

        if (st == NULL)
            return -1;
        run_domain(k, domain, sizeof(domain));
        snprintf(email, sizeof(email), "seller1@%s", domain);
        db_bind(st, 1, DB_TEXT(email));
        rc = db_step(st, err);
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            *run = k;
            return 0;
        }
        if (!append) {
            *run = 0;
            return 0;
        }
    }
    *run = 0;
    return 0;
}

/* Ids of the leaf categories of the crafts, and the shop slugs already taken. */
static int load_existing(struct db *db, struct gen *g, struct db_error *err)
{
    struct db_stmt *st;
    int rc;

    APP_ASSERT(seed__ncrafts <= sizeof(g->plan.cat_ids) / sizeof(g->plan.cat_ids[0]));
    for (size_t c = 0; c < seed__ncrafts; c++) {
        if ((st = db_prepare(db, catalog_sql[Q_CATEGORY_BY_SLUG], err)) == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(seed__crafts[c].category));
        rc = db_step(st, err);
        if (rc == 1)
            snprintf(g->plan.cat_ids[c], sizeof(g->plan.cat_ids[c]), "%s", db_column_text(st, 0));
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            snprintf(err->msg, sizeof(err->msg), "category '%s' is missing", seed__crafts[c].category);
            err->kind = DB_E_OTHER;
            return -1;
        }
    }

    if ((st = db_prepare(db, catalog_sql[Q_SHOP_COUNT], err)) == NULL || db_step(st, err) != 1)
        return -1;
    int64_t shops = db_column_i64(st, 0);
    db_reset(st);
    hset_init(&g->slugs, (size_t)shops + g->plan.nsellers + g->plan.nproducts);
    if ((st = db_prepare(db, catalog_sql[Q_SHOP_SLUGS], err)) == NULL)
        return -1;
    while ((rc = db_step(st, err)) == 1)
        hset_add(&g->slugs, hash_str(0, db_column_text(st, 0)));
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/* The body of the transaction (db_tx callback): plan, write, index. */
static int catalog_tx(struct db *db, void *ctx, struct db_error *err)
{
    struct catalog_job *j = ctx;
    struct seed_catalog_stats *st = j->st;
    struct gen g;
    struct seed_cat_plan *p = &g.plan;
    int64_t indexed = 0;
    int rc = -1;

    memset(&g, 0, sizeof(g));
    if (find_run(db, j->o->append, &p->run, err) != 0)
        goto out;
    if (p->run == 0) {
        st->refused = true;
        err->kind = DB_E_OTHER;
        snprintf(err->msg, sizeof(err->msg),
                 "the database already holds a generated catalog (seller1@catalog.example.com); "
                 "use a fresh database, or --append to add another");
        goto out;
    }
    p->seed = j->o->seed;
    p->now = time_now_ms();
    run_domain(p->run, p->domain, sizeof(p->domain));
    snprintf(p->hash, sizeof(p->hash), "%s", j->hash);
    p->nproducts = (size_t)j->o->products;
    p->nsellers = (p->nproducts + 25) / 50 > 0 ? (p->nproducts + 25) / 50 : 1;
    p->nbuyers = p->nproducts / 4 > 20 ? p->nproducts / 4 : 20;
    p->sellers = xcalloc(p->nsellers, sizeof(*p->sellers));
    p->buyers = xcalloc(p->nbuyers, sizeof(*p->buyers));
    p->products = xcalloc(p->nproducts, sizeof(*p->products));

    if (seed__bulk_session(db, err) != 0)
        goto out;
    /* The demo tree (inserted when missing; bumps the "categories" version). */
    if (seed__categories(db, p->now, err) != 0 || load_existing(db, &g, err) != 0)
        goto out;
    plan_sellers(p, &g.slugs);
    plan_buyers(p);
    plan_products(p, &g.slugs);
    /* Orders in time order: their ids (time-ordered) then grow at the end of the indexes. */
    qsort(p->sales, p->nsales, sizeof(*p->sales), by_paid);
    if (seed__catalog_write(db, p, err) != 0)
        goto out;
    /* In the same transaction: the catalogue is searchable the moment it commits. */
    if (search_rebuild(db, &indexed, err) != 0)
        goto out;

    st->run = p->run;
    st->products = (int64_t)p->nproducts;
    st->active = p->nactive;
    st->sellers = (int64_t)p->nsellers;
    st->buyers = (int64_t)p->nbuyers;
    st->variants = (int64_t)p->nvariants;
    st->orders = (int64_t)p->nsales;
    st->reviews = p->nreviews;
    st->wishlists = p->nwishlists;
    st->tags = p->ntags;
    st->indexed = indexed;
    rc = 0;
out:
    gen_free(&g);
    return rc;
}

/** Generate the catalogue; see seed.h. Blocks on the database for up to a minute or so. */
int seed_catalog(struct db *db, const struct seed_catalog_opts *o, struct seed_catalog_stats *st, struct db_error *err)
{
    char hash[256];
    struct catalog_job job = {.o = o, .st = st, .hash = hash};
    int64_t t0 = time_mono_ns();
    int rc;

    memset(st, 0, sizeof(*st));
    memset(err, 0, sizeof(*err));
    if (o->products < 1 || o->products > SEED_CATALOG_MAX_PRODUCTS) {
        err->kind = DB_E_OTHER;
        snprintf(err->msg, sizeof(err->msg), "catalog size must be 1..%d", SEED_CATALOG_MAX_PRODUCTS);
        return -1;
    }
    /* One argon2id hash for every generated user: hashing each (~60 ms) would dominate the run. */
    if (sodium_init() < 0 || auth_password_hash(SEED_CATALOG_PASSWORD, hash, sizeof(hash)) != 0) {
        err->kind = DB_E_OTHER;
        snprintf(err->msg, sizeof(err->msg), "cannot hash the catalog password");
        return -1;
    }
    rc = db_tx(db, 2, catalog_tx, &job, err);
    st->seconds = (double)(time_mono_ns() - t0) / 1e9;
    return rc;
}
