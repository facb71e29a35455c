/*
 * shipping_quote.c — pricing a seller's items to a destination:
 * shipping_quote() (called by the cart and checkout) and POST /shipping/quote.
 *
 * A rate table is one shipping service of a shop ("Standard", "Express").
 * Pricing a set of items with a table:
 *   1. zone: of the table's rates, those whose zone matches the destination
 *      and is the most specific: the ISO code itself, then "domestic" (the
 *      table's origin_country, else the shop's country), then a region (the
 *      smaller region first), then "everywhere". Only that zone is used.
 *   2. band: the rate of that zone with min_value <= measure < max_value
 *      (max NULL: no upper bound); the measure is the number of items
 *      (basis quantity), their total grams (weight), or nothing (flat: the
 *      zone's lowest band). No band: the table does not ship this cart.
 *   3. price: amount + additional_item_amount x (items - 1); 0 ("free")
 *      when the seller subtotal of the whole cart group reaches
 *      free_over_amount.
 * Mixed carts: a product pinned to a table (products.shipping_rate_table_id)
 * ships only with it; unpinned products with any table of the shop. When
 * the pinned products name at most one table, every usable table is one
 * option pricing all the items. When they name several, the items are
 * split: each pinned table prices its own products, unpinned ones go with
 * the default table (else the first pinned one), and the one option
 * ("Combined shipping") is the sum; it exists only if every part ships.
 *
 * Caveats: products of another shop in items are priced as unpinned; items
 * whose weight is unknown weigh 0 g. Shippo rates are added only when
 * shippo_token is set, in the shop's currency only, and are estimates from
 * countries alone (no street address at quote time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/arena.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/shipping/shipping.h"
#include "services/shipping/shipping_int.h"

#define MAX_TABLES 32
#define MAX_RATES 512
#define MAX_ITEMS 200

/*-----------------------------------------------------------------------------
 * Zones
 */
struct region {
    const char *code;
    const char *members; /* ISO alpha-2 codes, space separated */
};

static const struct region regions[] = {
    {"EU", "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"},
    {"EEA", "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO"},
    {"NORTH_AMERICA", "US CA MX"},
    {"OCEANIA", "AU NZ"},
};

static const struct region *region_find(const char *code)
{
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        if (strcmp(regions[i].code, code) == 0)
            return &regions[i];
    return NULL;
}

bool shipping__country_valid(const char *s)
{
    return s != NULL && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] == '\0';
}

bool shipping__region_has(const char *region, const char *country)
{
    const struct region *r = region_find(region);
    if (r == NULL || !shipping__country_valid(country))
        return false;
    for (const char *p = r->members; *p; p += p[2] ? 3 : 2)
        if (p[0] == country[0] && p[1] == country[1])
            return true;
    return false;
}

bool shipping__zone_valid(const char *zone)
{
    return strcmp(zone, "domestic") == 0 || strcmp(zone, "everywhere") == 0 || region_find(zone) != NULL ||
           shipping__country_valid(zone);
}

/* How specific zone is for dest (0: does not match). */
static int zone_score(const char *zone, const char *dest, const char *origin)
{
    if (strcmp(zone, dest) == 0)
        return 1000;
    if (strcmp(zone, "domestic") == 0)
        return origin[0] && strcmp(origin, dest) == 0 ? 999 : 0;
    if (strcmp(zone, "everywhere") == 0)
        return 1;
    const struct region *r = region_find(zone);
    if (r == NULL || !shipping__region_has(zone, dest))
        return 0;
    return 500 - (int)(strlen(r->members) / 3);
}

/*-----------------------------------------------------------------------------
 * Loading a shop's tables
 */
struct qtable {
    char id[ID_MAX_LEN];
    char name[96];
    char basis[12];
    char currency[4];
    char origin[3];
    bool is_default;
};

struct qrate {
    int table;
    char zone[16];
    int64_t min, max;               /* max -1: none */
    int64_t amount, add, free_over; /* free_over -1: none */
    int min_days, max_days;         /* -1: unknown */
};

struct qshop {
    char currency[4];
    struct qtable tables[MAX_TABLES];
    int ntables;
    struct qrate rates[MAX_RATES];
    int nrates;
};

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static int table_index(const struct qshop *s, const char *id)
{
    for (int i = 0; id != NULL && i < s->ntables; i++)
        if (strcmp(s->tables[i].id, id) == 0)
            return i;
    return -1;
}

/* 0 loaded, 1 no such shop, -1 error. */
static int load_shop(struct db *db, const char *shop_id, struct qshop *s, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, shipping__sql(SHIP_Q_QUOTE_SHOP), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(shop_id));
    int rc = db_step(st, err);
    char country[3] = "";
    if (rc == 1) {
        copy(s->currency, sizeof s->currency, db_column_text(st, 0));
        copy(country, sizeof country, db_column_text(st, 1));
    }
    db_reset(st);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    if ((st = db_prepare(db, shipping__sql(SHIP_Q_QUOTE_TABLES), err)) == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(shop_id));
    while (s->ntables < MAX_TABLES && (rc = db_step(st, err)) == 1) {
        struct qtable *t = &s->tables[s->ntables++];
        copy(t->id, sizeof t->id, db_column_text(st, 0));
        copy(t->name, sizeof t->name, db_column_text(st, 1));
        copy(t->basis, sizeof t->basis, db_column_text(st, 2));
        copy(t->currency, sizeof t->currency, db_column_text(st, 3));
        copy(t->origin, sizeof t->origin, db_column_is_null(st, 4) ? country : db_column_text(st, 4));
        t->is_default = db_column_i64(st, 5) == 1;
    }
    db_reset(st);
    if (rc < 0 || (st = db_prepare(db, shipping__sql(SHIP_Q_QUOTE_RATES), err)) == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(shop_id));
    while (s->nrates < MAX_RATES && (rc = db_step(st, err)) == 1) {
        struct qrate *r = &s->rates[s->nrates];
        if ((r->table = table_index(s, db_column_text(st, 0))) < 0)
            continue;
        copy(r->zone, sizeof r->zone, db_column_text(st, 1));
        r->min = db_column_i64(st, 2);
        r->max = db_column_is_null(st, 3) ? -1 : db_column_i64(st, 3);
        r->amount = db_column_i64(st, 4);
        r->add = db_column_i64(st, 5);
        r->free_over = db_column_is_null(st, 6) ? -1 : db_column_i64(st, 6);
        r->min_days = db_column_is_null(st, 7) ? -1 : (int)db_column_i64(st, 7);
        r->max_days = db_column_is_null(st, 8) ? -1 : (int)db_column_i64(st, 8);
        s->nrates++;
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/*-----------------------------------------------------------------------------
 * Pricing
 */
struct qitem {
    int table; /* pinned table index, -1: any */
    int quantity;
    int64_t grams; /* per unit */
};

/* The measured set of items one table prices. */
struct qpart {
    int64_t quantity, grams;
};

struct qprice {
    int64_t amount;
    int min_days, max_days;
    bool free;
};

/* Price part with table t to dest; subtotal is the seller subtotal. false: the table does not ship it. */
static bool price_part(const struct qshop *s, int t, const struct qpart *part, const char *dest, int64_t subtotal,
                       struct qprice *out)
{
    const struct qtable *tb = &s->tables[t];
    int best = 0;
    const char *zone = NULL;
    for (int i = 0; i < s->nrates; i++) {
        int sc = s->rates[i].table == t ? zone_score(s->rates[i].zone, dest, tb->origin) : 0;
        if (sc > best) {
            best = sc;
            zone = s->rates[i].zone;
        }
    }
    if (zone == NULL || part->quantity <= 0)
        return false;
    bool flat = strcmp(tb->basis, "flat") == 0;
    int64_t m = strcmp(tb->basis, "weight") == 0 ? part->grams : part->quantity;
    const struct qrate *hit = NULL;
    for (int i = 0; i < s->nrates; i++) {
        const struct qrate *r = &s->rates[i];
        if (r->table != t || strcmp(r->zone, zone) != 0)
            continue;
        if (flat ? (hit == NULL || r->min < hit->min) : (r->min <= m && (r->max < 0 || m < r->max)))
            hit = r;
    }
    if (hit == NULL)
        return false;
    out->amount = hit->amount + hit->add * (part->quantity - 1);
    out->free = hit->free_over >= 0 && subtotal >= hit->free_over;
    if (out->free)
        out->amount = 0;
    out->min_days = hit->min_days;
    out->max_days = hit->max_days;
    return true;
}

static void option_set(struct shipping_option *o, const char *id, const char *name, const char *provider,
                       const char *currency, const struct qprice *p)
{
    memset(o, 0, sizeof *o);
    copy(o->id, sizeof o->id, id);
    copy(o->name, sizeof o->name, name);
    copy(o->provider, sizeof o->provider, provider);
    copy(o->currency, sizeof o->currency, currency);
    o->amount = p->amount;
    o->min_days = p->min_days;
    o->max_days = p->max_days;
    o->free = p->free ? 1 : 0;
}

/* Every pinned item names table t (or none is pinned): one option per usable table. */
static int quote_single(const struct qshop *s, int pinned, const struct qitem *it, int n, const char *dest,
                        int64_t subtotal, struct shipping_option *opts, int max)
{
    struct qpart all = {0};
    for (int i = 0; i < n; i++) {
        all.quantity += it[i].quantity;
        all.grams += it[i].grams * it[i].quantity;
    }
    int k = 0;
    for (int t = 0; t < s->ntables && k < max; t++) {
        struct qprice p;
        if ((pinned < 0 || t == pinned) && price_part(s, t, &all, dest, subtotal, &p))
            option_set(&opts[k++], s->tables[t].id, s->tables[t].name, "rate_table", s->tables[t].currency, &p);
    }
    return k;
}

/* Pinned items name several tables: one combined option, or none. */
static int quote_mixed(const struct qshop *s, const struct qitem *it, int n, const char *dest, int64_t subtotal,
                       struct shipping_option *opts, int max)
{
    struct qpart parts[MAX_TABLES] = {{0}};
    int host = -1;
    for (int t = 0; t < s->ntables && host < 0; t++)
        if (s->tables[t].is_default)
            host = t;
    if (host < 0) /* no default table: the first pinned table in table order */
        for (int i = 0; i < n; i++)
            if (it[i].table >= 0 && (host < 0 || it[i].table < host))
                host = it[i].table;
    for (int i = 0; i < n; i++) {
        int t = it[i].table >= 0 ? it[i].table : host;
        parts[t].quantity += it[i].quantity;
        parts[t].grams += it[i].grams * it[i].quantity;
    }
    struct qprice sum = {.free = true, .min_days = -1, .max_days = -1};
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the parts' table ids: a stable option id */
    for (int t = 0; t < s->ntables; t++) {
        if (parts[t].quantity == 0)
            continue;
        struct qprice p;
        if (!price_part(s, t, &parts[t], dest, subtotal, &p))
            return 0;
        sum.amount += p.amount;
        sum.free = sum.free && p.free;
        sum.min_days = p.min_days > sum.min_days ? p.min_days : sum.min_days;
        sum.max_days = p.max_days > sum.max_days ? p.max_days : sum.max_days;
        for (const char *c = s->tables[t].id; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    }
    if (max < 1)
        return 0;
    char id[64];
    snprintf(id, sizeof id, "mix_%016llx", (unsigned long long)h);
    option_set(&opts[0], id, "Combined shipping", "rate_table", s->currency, &sum);
    return 1;
}

/*-----------------------------------------------------------------------------
 * Shippo rates
 */
static int add_shippo(struct app *app, const struct qshop *s, const char *dest, int64_t grams,
                      struct shipping_option *opts, int k, int max)
{
    if (!shipping__shippo_enabled(app->cfg) || k >= max)
        return k;
    const char *origin = s->ntables > 0 ? s->tables[0].origin : "";
    struct arena a;
    arena_init(&a, 8192);
    struct shippo_address from = {.country = origin[0] ? origin : dest}, to = {.country = dest};
    struct shippo_parcel parcel = {.length = "10", .width = "8", .height = "4", .weight_grams = grams};
    struct shippo_rate rates[16];
    int n = 0;
    const char *msg = NULL;
    if (shipping__shippo_rates(app->cfg, &a, &from, &to, &parcel, rates, 16, &n, &msg) != 0) {
        log_warn("shippo rates failed", "%s", msg ? msg : "");
        n = 0;
    }
    for (int i = 0; i < n && k < max; i++) {
        if (strcmp(rates[i].currency, s->currency) != 0)
            continue;
        char name[96];
        snprintf(name, sizeof name, "%s %s", rates[i].provider, rates[i].service);
        struct qprice p = {.amount = rates[i].amount, .min_days = rates[i].days, .max_days = rates[i].days};
        option_set(&opts[k++], rates[i].object_id, name, "shippo", rates[i].currency, &p);
    }
    arena_destroy(&a);
    return k;
}

static void sort_options(struct shipping_option *o, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: stable, n is small */
        for (int j = i; j > 0 && o[j].amount < o[j - 1].amount; j--) {
            struct shipping_option t = o[j];
            o[j] = o[j - 1];
            o[j - 1] = t;
        }
}

/* Resolve the caller's items against the shop's products (pinned table, weight when unknown). */
static int load_items(struct db *db, const char *shop_id, const struct qshop *s, const struct shipping_item *items,
                      int n, struct qitem *it, struct db_error *err)
{
    for (int i = 0; i < n; i++) {
        it[i] = (struct qitem){.table = -1,
                               .quantity = items[i].quantity > 0 ? items[i].quantity : 0,
                               .grams = items[i].weight_grams > 0 ? items[i].weight_grams : 0};
        struct db_stmt *st = db_prepare(db, shipping__sql(SHIP_Q_QUOTE_PRODUCT), err);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(items[i].product_id));
        db_bind(st, 2, DB_TEXT(shop_id));
        int rc = db_step(st, err);
        if (rc == 1) {
            it[i].table = table_index(s, db_column_text(st, 0));
            if (it[i].grams == 0 && !db_column_is_null(st, 1))
                it[i].grams = db_column_i64(st, 1);
        }
        db_reset(st);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int shipping_quote(struct app *app, struct db *db, const char *shop_id, const char *country,
                   const struct shipping_item *items, int n, struct shipping_option *opts, int max, int *nout,
                   struct db_error *err)
{
    *nout = 0;
    if (n <= 0 || n > MAX_ITEMS || !shipping__country_valid(country))
        return 1;
    struct qshop *s = xcalloc(1, sizeof *s);
    struct qitem *it = xcalloc((size_t)n, sizeof *it);
    int rc = load_shop(db, shop_id, s, err);
    if (rc == 0)
        rc = load_items(db, shop_id, s, items, n, it, err);
    if (rc != 0)
        goto out;
    int64_t subtotal = 0, grams = 0;
    int pinned = -1;
    bool mixed = false;
    for (int i = 0; i < n; i++) {
        subtotal += items[i].line_amount;
        grams += it[i].grams * it[i].quantity;
        if (it[i].table >= 0 && pinned >= 0 && it[i].table != pinned)
            mixed = true;
        if (it[i].table >= 0)
            pinned = it[i].table;
    }
    int k = mixed ? quote_mixed(s, it, n, country, subtotal, opts, max)
                  : quote_single(s, pinned, it, n, country, subtotal, opts, max);
    k = add_shippo(app, s, country, grams, opts, k, max);
    sort_options(opts, k);
    *nout = k;
    rc = k > 0 ? 0 : 1;
out:
    free(it);
    free(s);
    return rc;
}

/*-----------------------------------------------------------------------------
 * POST /shipping/quote {country, items: [{product_id, quantity}]}
 */
struct quote_group {
    char shop_id[ID_MAX_LEN];
    char currency[4];
    struct shipping_item items[MAX_ITEMS];
    int n;
};

static void write_option(struct jsonw *w, const struct shipping_option *o)
{
    jw_obj(w);
    jw_kstr(w, "id", o->id);
    jw_kstr(w, "name", o->name);
    jw_kstr(w, "provider", o->provider);
    jw_kmoney(w, "amount", o->amount, o->currency);
    jw_key(w, "min_days");
    if (o->min_days >= 0)
        jw_int(w, o->min_days);
    else
        jw_null(w);
    jw_key(w, "max_days");
    if (o->max_days >= 0)
        jw_int(w, o->max_days);
    else
        jw_null(w);
    jw_kbool(w, "free", o->free != 0);
    jw_end(w);
}

/* Group the body's items by shop; 422 for a product that is not public. */
static int group_items(struct request *req, json_t *items, struct quote_group *g, int *ng, struct app_error *err)
{
    struct db_error dberr = {0};
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v)
    {
        const char *pid = json_string_value(json_object_get(v, "product_id"));
        struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_PRODUCT_PUBLIC), &dberr);
        if (st == NULL)
            return req_db_error(req, &dberr, err);
        db_bind(st, 1, DB_TEXT(pid));
        int rc = db_step(st, &dberr);
        if (rc == 1) {
            const char *shop = db_column_text(st, 0);
            int k = 0;
            while (k < *ng && strcmp(g[k].shop_id, shop) != 0)
                k++;
            if (k == *ng) {
                copy(g[k].shop_id, sizeof g[k].shop_id, shop);
                copy(g[k].currency, sizeof g[k].currency, db_column_text(st, 2));
                (*ng)++;
            }
            int q = (int)json_integer_value(json_object_get(v, "quantity"));
            g[k].items[g[k].n++] =
                (struct shipping_item){.product_id = pid, .quantity = q, .line_amount = db_column_i64(st, 1) * q};
        }
        db_reset(st);
        if (rc < 0)
            return req_db_error(req, &dberr, err);
        if (rc == 0)
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "items[%zu].product_id", i), "not_found",
                                "no such product for sale");
    }
    if (err->nfields > 0)
        return app_error_set(err, req->arena, "validation_failed", "some items cannot be quoted");
    return 0;
}

static int quote_run(struct request *req, struct app_error *err)
{
    json_t *items = json_object_get(req->json, "items");
    char country[3];
    copy(country, sizeof country, json_string_value(json_object_get(req->json, "country")));
    country[0] = (char)(country[0] >= 'a' && country[0] <= 'z' ? country[0] - 32 : country[0]);
    country[1] = (char)(country[1] >= 'a' && country[1] <= 'z' ? country[1] - 32 : country[1]);
    if (!shipping__country_valid(country)) {
        app_error_add_field(err, req->arena, "country", "invalid_format", "must be an ISO 3166-1 alpha-2 code");
        return app_error_set(err, req->arena, "validation_failed", "invalid country");
    }
    struct quote_group *g = arena_array(req->arena, struct quote_group, json_array_size(items));
    int ng = 0;
    if (group_items(req, items, g, &ng, err) != 0)
        return -1;
    struct jsonw w;
    jw_init(&w, req->arena, 1024);
    jw_obj(&w);
    jw_kstr(&w, "country", country);
    jw_key(&w, "shops");
    jw_arr(&w);
    for (int k = 0; k < ng; k++) {
        struct shipping_option opts[24];
        int n = 0;
        struct db_error dberr = {0};
        if (shipping_quote(req->app, req->db, g[k].shop_id, country, g[k].items, g[k].n, opts, 24, &n, &dberr) < 0)
            return req_db_error(req, &dberr, err);
        jw_obj(&w);
        jw_kstr(&w, "shop_id", g[k].shop_id);
        jw_kbool(&w, "ships", n > 0);
        jw_key(&w, "options");
        jw_arr(&w);
        for (int i = 0; i < n; i++)
            write_option(&w, &opts[i]);
        jw_end(&w);
        jw_end(&w);
    }
    jw_end(&w);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}

int shipping_handle_quote(struct request *req, struct app_error *err)
{
    /* Shippo is a network call: off the request thread. */
    if (shipping__shippo_enabled(req->app->cfg))
        return req_offload(req, quote_run, err);
    return quote_run(req, err);
}
