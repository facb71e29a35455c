/*
 * seed_catalog_rows.c — writes the rows of a generated catalogue plan
 * (seed_catalog.c) through multi-row INSERT batches (seed_bulk.c).
 *
 * The tables are written in passes, each pass flushed before the next, so
 * a batch never refers to a row still waiting in another batch (foreign
 * keys are checked at once on both engines): users; applications and
 * shops; rate tables; rates; products; their tags, materials, variants,
 * questions and view counters; orders; order items; status history and
 * reviews; wishlists.
 *
 * Text that is not in the plan (descriptions, tags, addresses) and the ids
 * of orders, items, reviews and history rows are drawn again in each pass
 * that needs them from the same per-entity stream, so passes agree without
 * keeping them in memory.
 *
 * Caveats: all SQL is static text here; the values are bound parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "cli/seed_int.h"
#include "db/db.h"

#define MAX_TAGS 10
#define MAX_MATS 4
#define WORD_MAX 64
#define COMPLETE_AFTER_MS (14 * SEED_DAY_MS) /* delivered orders become completed */

/*-----------------------------------------------------------------------------
 * SQL heads (VALUES lists are made by seed_bulk.c)
 */

static const char sql_users[] = "INSERT INTO users (id, email, email_normalized, password_hash, role, status,"
                                " email_verified_at, display_name, bio, location, preferences, created_at, updated_at)";
static const char sql_applications[] = "INSERT INTO seller_applications (id, user_id, shop_name, about, country,"
                                       " status, reviewed_at, created_at, updated_at)";
static const char sql_shops[] = "INSERT INTO shops (id, seller_id, slug, name, tagline, description, policies,"
                                " country, currency, status, vacation_mode, vacation_message, accepts_custom_orders,"
                                " rating_sum, rating_count, sales_count, created_at, updated_at)";
static const char sql_rate_tables[] = "INSERT INTO shipping_rate_tables (id, seller_id, shop_id, name, basis,"
                                      " currency, origin_country, is_default, created_at, updated_at)";
static const char sql_rates[] = "INSERT INTO shipping_rates (id, table_id, seller_id, zone, min_value, max_value,"
                                " amount, additional_item_amount, free_over_amount, currency, min_days, max_days,"
                                " created_at, updated_at)";
static const char sql_products[] =
    "INSERT INTO products (id, seller_id, shop_id, category_id, shipping_rate_table_id, slug, title, description,"
    " price_amount, currency, status, stock, made_to_order, processing_days, who_made, is_personalizable,"
    " weight_grams, tags, materials, rating_sum, rating_count, wishlist_count, view_count, sales_count,"
    " popularity, rating_avg, in_stock, published_at, created_at, updated_at)";
static const char sql_tags[] = "INSERT INTO product_tags (product_id, tag)";
static const char sql_materials[] = "INSERT INTO product_materials (product_id, material)";
static const char sql_variants[] = "INSERT INTO product_variants (id, product_id, name, sku, options,"
                                   " price_modifier_amount, stock, position, is_active, created_at, updated_at)";
static const char sql_questions[] = "INSERT INTO product_personalization_questions (id, product_id, position, prompt,"
                                    " kind, max_length, required, created_at, updated_at)";
static const char sql_views[] = "INSERT INTO product_views (product_id, day_at, view_count)";
static const char sql_orders[] =
    "INSERT INTO orders (id, buyer_id, seller_id, shop_id, status, subtotal_amount, shipping_amount, total_amount,"
    " fee_amount, currency, commission_bps, shipping_address, carrier, tracking_number, paid_at, shipped_at,"
    " delivered_at, completed_at, created_at, updated_at)";
static const char sql_items[] = "INSERT INTO order_items (id, order_id, product_id, variant_id, title, variant_name,"
                                " sku, unit_price_amount, quantity, line_total_amount, currency, personalization,"
                                " created_at)";
static const char sql_history[] = "INSERT INTO order_status_history (id, order_id, from_status, to_status, created_at)";
static const char sql_reviews[] = "INSERT INTO reviews (id, product_id, order_item_id, buyer_id, seller_id, shop_id,"
                                  " rating, body, status, seller_reply, reply_at, created_at, updated_at)";
static const char sql_wishlists[] = "INSERT INTO wishlists (user_id, product_id, created_at)";

static const char *const streets[] = {"Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St",
                                      "Lake Rd", "Hill St", "River Rd", "Park Ave", NULL};

/*-----------------------------------------------------------------------------
 * Helpers
 */

/* Write and release a writer; 0 or -1. */
static int finish(struct seed_bulk *b, struct db_error *err)
{
    int rc = seed__bulk_flush(b, err);
    seed__bulk_free(b);
    return rc;
}

static void lower_copy(char *out, size_t cap, const char *s)
{
    size_t n = 0;

    for (; *s != '\0' && n + 1 < cap; s++)
        out[n++] = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
    out[n] = '\0';
}

static void json_array(struct strbuf *b, char (*items)[WORD_MAX], size_t n)
{
    b->len = 0;
    strbuf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(b, i > 0 ? ",\"" : "\"");
        strbuf_json_escape(b, items[i]);
        strbuf_putc(b, '"');
    }
    strbuf_putc(b, ']');
}

/* Add w to list (no duplicates, bounded). */
static void add_word(char (*list)[WORD_MAX], size_t *n, size_t max, const char *w)
{
    char low[WORD_MAX];

    lower_copy(low, sizeof(low), w);
    if (*n >= max || low[0] == '\0')
        return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i], low) == 0)
            return;
    snprintf(list[(*n)++], WORD_MAX, "%s", low);
}

/* A product's text: drawn from its own stream, the same in every pass. */
struct ptext {
    struct strbuf desc, tags_json, mats_json;
    char tags[MAX_TAGS][WORD_MAX];
    size_t ntags;
    char mats[MAX_MATS][WORD_MAX];
    size_t nmats;
};

static void product_text(const struct seed_cat_plan *p, size_t i, struct ptext *t)
{
    const struct seed_cat_product *g = &p->products[i];
    const struct seed_craft *c = &seed__crafts[g->craft];
    struct seed_rng r = seed__stream(p->seed, SEED_S_TEXT, i);
    char adj[WORD_MAX] = "", obj[WORD_MAX], mat[WORD_MAX];
    const char *first, *d1, *d2;

    if (g->adj >= 0)
        lower_copy(adj, sizeof(adj), c->adjectives[g->adj]);
    lower_copy(obj, sizeof(obj), c->objects[g->obj]);
    lower_copy(mat, sizeof(mat), c->materials[g->mat]);
    first = adj[0] != '\0' ? adj : obj;

    t->desc.len = 0;
    strbuf_printf(&t->desc, "%s %s%s%s in %s, %s.", strchr("aeiou", first[0]) != NULL ? "An" : "A", adj,
                  adj[0] != '\0' ? " " : "", obj, mat, seed__pick(&r, c->process));
    d1 = seed__pick(&r, c->details);
    strbuf_printf(&t->desc, " %s", d1);
    d2 = seed__pick(&r, c->details);
    if (d2 != d1 && seed__chance(&r, 0.5))
        strbuf_printf(&t->desc, " %s", d2);
    strbuf_printf(&t->desc, " %s", seed__pick(&r, seed__generic_sentences));
    if (c->care != NULL && seed__chance(&r, 0.6))
        strbuf_printf(&t->desc, " %s", c->care);

    t->ntags = 0;
    add_word(t->tags, &t->ntags, MAX_TAGS, obj);
    add_word(t->tags, &t->ntags, MAX_TAGS, mat);
    if (adj[0] != '\0' && seed__chance(&r, 0.6))
        add_word(t->tags, &t->ntags, MAX_TAGS, adj);
    for (int64_t k = seed__between(&r, 2, 4); k > 0; k--)
        add_word(t->tags, &t->ntags, MAX_TAGS, seed__pick(&r, c->tags));
    if (seed__chance(&r, 0.3))
        add_word(t->tags, &t->ntags, MAX_TAGS, "handmade");
    json_array(&t->tags_json, t->tags, t->ntags);

    t->nmats = 0;
    add_word(t->mats, &t->nmats, MAX_MATS, mat);
    for (int64_t k = seed__between(&r, 0, 2); k > 0; k--)
        add_word(t->mats, &t->nmats, MAX_MATS, seed__pick(&r, c->extra_materials));
    json_array(&t->mats_json, t->mats, t->nmats);
}

/* The ids of sale k's rows, the same in every pass. */
struct sale_ids {
    char order[SEED_GID], item[SEED_GID], review[SEED_GID], hist[5][SEED_GID];
    struct seed_rng r; /* continues after the ids: tracking number, texts */
};

static void sale_ids(const struct seed_cat_plan *p, size_t k, struct sale_ids *s)
{
    const struct seed_cat_sale *sa = &p->sales[k];

    s->r = seed__stream(p->seed, SEED_S_ROWS, k);
    seed__make_id(s->order, "ord", sa->paid, &s->r);
    seed__make_id(s->item, "oit", sa->paid, &s->r);
    seed__make_id(s->review, "rev", sa->rating > 0 ? sa->reviewed : sa->paid, &s->r);
    for (int h = 0; h < 5; h++)
        seed__make_id(s->hist[h], "osh", sa->paid, &s->r);
}

static int64_t unit_price(const struct seed_cat_plan *p, const struct seed_cat_sale *sa)
{
    int64_t price = p->products[sa->product].price;

    if (sa->variant >= 0)
        price += p->variants[sa->variant].modifier;
    return price < 0 ? 0 : price;
}

/*-----------------------------------------------------------------------------
 * People and shops
 */

static int write_users(struct db *db, const struct seed_cat_plan *p, struct db_error *err)
{
    struct seed_bulk *b = seed__bulk_new(db, sql_users, 13, "");
    char email[96];

    for (size_t i = 0; i < p->nsellers + p->nbuyers; i++) {
        bool seller = i < p->nsellers;
        size_t n = seller ? i : i - p->nsellers;
        const char *id = seller ? p->sellers[n].id : p->buyers[n].id;
        int64_t joined = seller ? p->sellers[n].joined : p->buyers[n].joined;
        int city = seller ? p->sellers[n].city : p->buyers[n].city;
        struct seed_rng r = seed__stream(p->seed, seller ? SEED_S_SELLER : SEED_S_BUYER, n + (UINT64_C(1) << 40));

        snprintf(email, sizeof(email), "%s%zu@%s", seller ? "seller" : "buyer", n + 1, p->domain);
        seed__bulk_text(b, id);
        seed__bulk_text(b, email);
        seed__bulk_text(b, email); /* already lowercase */
        seed__bulk_text(b, p->hash);
        seed__bulk_text(b, seller ? "seller" : "buyer");
        seed__bulk_text(b, "active");
        seed__bulk_i64(b, joined + 10 * 60 * 1000);
        seed__bulk_text(b, seller ? p->sellers[n].name : p->buyers[n].name);
        seed__bulk_text(b, seller ? seed__pick(&r, seed__families[p->sellers[n].family].bios)
                                  : seed__pick(&r, seed__buyer_bios));
        seed__bulk_text(b, seed__cities[city]);
        seed__bulk_text(b, "{}");
        seed__bulk_i64(b, joined);
        seed__bulk_i64(b, joined);
        if (seed__bulk_row(b, err) != 0)
            goto fail;
    }
    return finish(b, err);
fail:
    seed__bulk_free(b);
    return -1;
}

static int write_shops(struct db *db, const struct seed_cat_plan *p, struct db_error *err)
{
    struct seed_bulk *apps = seed__bulk_new(db, sql_applications, 9, "");
    struct seed_bulk *shops = seed__bulk_new(db, sql_shops, 18, "");
    struct strbuf policies, desc;
    char app_id[SEED_GID];
    int rc = -1;

    strbuf_init(&policies, NULL, 512);
    strbuf_init(&desc, NULL, 512);
    for (size_t i = 0; i < p->nsellers; i++) {
        const struct seed_cat_seller *s = &p->sellers[i];
        const struct seed_family *f = &seed__families[s->family];
        struct seed_rng r = seed__stream(p->seed, SEED_S_SELLER, i + (UINT64_C(2) << 40));
        const char *tagline = seed__pick(&r, f->taglines);
        int64_t opened = s->joined + SEED_DAY_MS;

        desc.len = 0;
        strbuf_printf(&desc, "%s is the studio of %s in %s. %s.", s->shop_name, s->name, seed__cities[s->city],
                      tagline);
        policies.len = 0;
        strbuf_puts(&policies, "{\"returns\":\"");
        strbuf_json_escape(&policies, seed__pick(&r, f->returns));
        strbuf_puts(&policies, "\",\"processing\":\"");
        strbuf_json_escape(&policies, seed__pick(&r, seed__processing_policies));
        strbuf_puts(&policies, "\",\"shipping\":\"");
        strbuf_json_escape(&policies, seed__pick(&r, seed__shipping_policies));
        strbuf_puts(&policies, "\"}");

        seed__make_id(app_id, "sap", s->joined, &r);
        seed__bulk_text(apps, app_id);
        seed__bulk_text(apps, s->id);
        seed__bulk_text(apps, s->shop_name);
        seed__bulk_text(apps, desc.data);
        seed__bulk_text(apps, "US");
        seed__bulk_text(apps, "approved");
        seed__bulk_i64(apps, opened);
        seed__bulk_i64(apps, s->joined);
        seed__bulk_i64(apps, opened);
        if (seed__bulk_row(apps, err) != 0)
            goto out;

        seed__bulk_text(shops, s->shop_id);
        seed__bulk_text(shops, s->id);
        seed__bulk_text(shops, s->slug);
        seed__bulk_text(shops, s->shop_name);
        seed__bulk_text(shops, tagline);
        seed__bulk_text(shops, desc.data);
        seed__bulk_text(shops, policies.data);
        seed__bulk_text(shops, "US");
        seed__bulk_text(shops, SEED_CURRENCY);
        seed__bulk_text(shops, "active");
        seed__bulk_i64(shops, s->vacation);
        seed__bulk_text(shops, s->vacation ? seed__pick(&r, seed__vacation_messages) : NULL);
        seed__bulk_i64(shops, s->custom);
        seed__bulk_i64(shops, s->rating_sum);
        seed__bulk_i64(shops, s->rating_count);
        seed__bulk_i64(shops, s->sales);
        seed__bulk_i64(shops, opened);
        seed__bulk_i64(shops, opened);
        if (seed__bulk_row(shops, err) != 0)
            goto out;
    }
    rc = seed__bulk_flush(apps, err) == 0 && seed__bulk_flush(shops, err) == 0 ? 0 : -1;
out:
    seed__bulk_free(apps);
    seed__bulk_free(shops);
    strbuf_free(&policies);
    strbuf_free(&desc);
    return rc;
}

/* One default rate table per shop: domestic (free over $75) and everywhere else. */
static int write_rates(struct db *db, const struct seed_cat_plan *p, struct db_error *err)
{
    struct seed_bulk *tables = seed__bulk_new(db, sql_rate_tables, 10, "");
    struct seed_bulk *rates;
    char id[SEED_GID];

    for (size_t i = 0; i < p->nsellers; i++) {
        const struct seed_cat_seller *s = &p->sellers[i];
        int64_t at = s->joined + SEED_DAY_MS;

        seed__bulk_text(tables, s->table_id);
        seed__bulk_text(tables, s->id);
        seed__bulk_text(tables, s->shop_id);
        seed__bulk_text(tables, "Standard shipping");
        seed__bulk_text(tables, "quantity");
        seed__bulk_text(tables, SEED_CURRENCY);
        seed__bulk_text(tables, "US");
        seed__bulk_i64(tables, 1);
        seed__bulk_i64(tables, at);
        seed__bulk_i64(tables, at);
        if (seed__bulk_row(tables, err) != 0) {
            seed__bulk_free(tables);
            return -1;
        }
    }
    if (finish(tables, err) != 0)
        return -1;

    rates = seed__bulk_new(db, sql_rates, 14, "");
    for (size_t i = 0; i < p->nsellers; i++) {
        const struct seed_cat_seller *s = &p->sellers[i];
        struct seed_rng r = seed__stream(p->seed, SEED_S_SELLER, i + (UINT64_C(3) << 40));
        int64_t at = s->joined + SEED_DAY_MS;

        for (int zone = 0; zone < 2; zone++) {
            seed__make_id(id, "srr", at, &r);
            seed__bulk_text(rates, id);
            seed__bulk_text(rates, s->table_id);
            seed__bulk_text(rates, s->id);
            seed__bulk_text(rates, zone == 0 ? "domestic" : "everywhere");
            seed__bulk_i64(rates, 1);
            seed__bulk_null(rates);
            seed__bulk_i64(rates, zone == 0 ? 495 + 100 * seed__between(&r, 0, 4) : 1895);
            seed__bulk_i64(rates, zone == 0 ? 150 : 400);
            if (zone == 0)
                seed__bulk_i64(rates, 7500);
            else
                seed__bulk_null(rates);
            seed__bulk_text(rates, SEED_CURRENCY);
            seed__bulk_i64(rates, zone == 0 ? 3 : 7);
            seed__bulk_i64(rates, zone == 0 ? 5 : 21);
            seed__bulk_i64(rates, at);
            seed__bulk_i64(rates, at);
            if (seed__bulk_row(rates, err) != 0) {
                seed__bulk_free(rates);
                return -1;
            }
        }
    }
    return finish(rates, err);
}

/*-----------------------------------------------------------------------------
 * Products
 */

static bool product_in_stock(const struct seed_cat_plan *p, const struct seed_cat_product *g)
{
    if (g->made_to_order || g->stock > 0)
        return true;
    for (int v = 0; v < g->nvariants; v++)
        if (p->variants[g->first_variant + v].stock > 0)
            return true;
    return false;
}

static int write_products(struct db *db, const struct seed_cat_plan *p, const size_t *order, struct ptext *t,
                          struct db_error *err)
{
    static const char *const status_names[] = {
        [SEED_CAT_ACTIVE] = "active", [SEED_CAT_DRAFT] = "draft", [SEED_CAT_ARCHIVED] = "archived"};
    struct seed_bulk *b = seed__bulk_new(db, sql_products, 30, "");

    for (size_t o = 0; o < p->nproducts; o++) {
        size_t i = order[o];
        const struct seed_cat_product *g = &p->products[i];
        const struct seed_cat_seller *s = &p->sellers[g->seller];
        int64_t updated = g->published > 0 ? g->published : g->created;

        /* Archived listings were taken down lately, after their last sale. */
        if (g->status == SEED_CAT_ARCHIVED && p->now - SEED_HOUR_MS > updated)
            updated = p->now - SEED_HOUR_MS;

        product_text(p, i, t);
        seed__bulk_text(b, g->id);
        seed__bulk_text(b, s->id);
        seed__bulk_text(b, s->shop_id);
        seed__bulk_text(b, p->cat_ids[g->craft]);
        seed__bulk_text(b, s->table_id);
        seed__bulk_text(b, g->slug);
        seed__bulk_text(b, g->title);
        seed__bulk_text(b, t->desc.data);
        seed__bulk_i64(b, g->price);
        seed__bulk_text(b, SEED_CURRENCY);
        seed__bulk_text(b, status_names[g->status]);
        seed__bulk_i64(b, g->stock);
        seed__bulk_i64(b, g->made_to_order);
        seed__bulk_i64(b, g->processing_days);
        seed__bulk_text(b, g->collective ? "collective" : "i_did");
        seed__bulk_i64(b, g->question);
        seed__bulk_i64(b, g->weight);
        seed__bulk_text(b, t->tags_json.data);
        seed__bulk_text(b, t->mats_json.data);
        seed__bulk_i64(b, g->rating_sum);
        seed__bulk_i64(b, g->rating_count);
        seed__bulk_i64(b, g->wishlists);
        seed__bulk_i64(b, g->views);
        seed__bulk_i64(b, g->sales);
        seed__bulk_i64(b, seed__popularity(g->sales, g->wishlists, g->views));
        seed__bulk_i64(b, seed__rating_avg(g->rating_sum, g->rating_count));
        seed__bulk_i64(b, product_in_stock(p, g));
        if (g->published > 0)
            seed__bulk_i64(b, g->published);
        else
            seed__bulk_null(b);
        seed__bulk_i64(b, g->created);
        seed__bulk_i64(b, updated);
        if (seed__bulk_row(b, err) != 0) {
            seed__bulk_free(b);
            return -1;
        }
    }
    return finish(b, err);
}

/* Tags, materials, variants, questions and view counters: rows that hang off products. */
static int write_product_rows(struct db *db, struct seed_cat_plan *p, const size_t *order, struct ptext *t,
                              struct db_error *err)
{
    struct seed_bulk *tags = seed__bulk_new(db, sql_tags, 2, "");
    struct seed_bulk *mats = seed__bulk_new(db, sql_materials, 2, "");
    struct seed_bulk *vars = seed__bulk_new(db, sql_variants, 11, "");
    struct seed_bulk *qs = seed__bulk_new(db, sql_questions, 9, "");
    struct seed_bulk *views = seed__bulk_new(db, sql_views, 3, "");
    char sku[48], options[160], qid[SEED_GID];
    int64_t today = p->now / SEED_DAY_MS * SEED_DAY_MS;
    int rc = -1;

    for (size_t o = 0; o < p->nproducts; o++) {
        size_t i = order[o];
        const struct seed_cat_product *g = &p->products[i];
        const struct seed_craft *c = &seed__crafts[g->craft];

        product_text(p, i, t);
        for (size_t k = 0; k < t->ntags; k++) {
            seed__bulk_text(tags, g->id);
            seed__bulk_text(tags, t->tags[k]);
            if (seed__bulk_row(tags, err) != 0)
                goto out;
        }
        p->ntags += (int64_t)t->ntags;
        for (size_t k = 0; k < t->nmats; k++) {
            seed__bulk_text(mats, g->id);
            seed__bulk_text(mats, t->mats[k]);
            if (seed__bulk_row(mats, err) != 0)
                goto out;
        }
        for (int k = 0; k < g->nvariants; k++) {
            const struct seed_cat_variant *v = &p->variants[g->first_variant + k];
            const char *value = c->variant_values[v->value];

            snprintf(sku, sizeof(sku), "G%zu-%d", i + 1, k + 1);
            snprintf(options, sizeof(options), "{\"%s\":\"%s\"}", c->variant_key, value); /* static words */
            seed__bulk_text(vars, v->id);
            seed__bulk_text(vars, g->id);
            seed__bulk_text(vars, value);
            seed__bulk_text(vars, sku);
            seed__bulk_text(vars, options);
            seed__bulk_i64(vars, v->modifier);
            seed__bulk_i64(vars, v->stock);
            seed__bulk_i64(vars, k);
            seed__bulk_i64(vars, 1);
            seed__bulk_i64(vars, g->created);
            seed__bulk_i64(vars, g->created);
            if (seed__bulk_row(vars, err) != 0)
                goto out;
        }
        if (g->question) {
            struct seed_rng r = seed__stream(p->seed, SEED_S_VARIANT, i + (UINT64_C(1) << 40));

            seed__make_id(qid, "ppq", g->created, &r);
            seed__bulk_text(qs, qid);
            seed__bulk_text(qs, g->id);
            seed__bulk_i64(qs, 1);
            seed__bulk_text(qs, c->question);
            seed__bulk_text(qs, c->question_max > 0 ? "text" : "file");
            if (c->question_max > 0)
                seed__bulk_i64(qs, c->question_max);
            else
                seed__bulk_null(qs);
            seed__bulk_i64(qs, 1);
            seed__bulk_i64(qs, g->created);
            seed__bulk_i64(qs, g->created);
            if (seed__bulk_row(qs, err) != 0)
                goto out;
        }
        /* products.view_count is the sum of the daily counters: one row holds it all. */
        if (g->views > 0) {
            seed__bulk_text(views, g->id);
            seed__bulk_i64(views, today);
            seed__bulk_i64(views, g->views);
            if (seed__bulk_row(views, err) != 0)
                goto out;
        }
    }
    if (seed__bulk_flush(tags, err) == 0 && seed__bulk_flush(mats, err) == 0 && seed__bulk_flush(vars, err) == 0 &&
        seed__bulk_flush(qs, err) == 0 && seed__bulk_flush(views, err) == 0)
        rc = 0;
out:
    seed__bulk_free(tags);
    seed__bulk_free(mats);
    seed__bulk_free(vars);
    seed__bulk_free(qs);
    seed__bulk_free(views);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Orders, reviews, wishlists
 */

static int write_orders(struct db *db, const struct seed_cat_plan *p, struct db_error *err)
{
    struct seed_bulk *b = seed__bulk_new(db, sql_orders, 20, "");
    struct strbuf addr;
    struct sale_ids ids;
    char tracking[32], city[64];
    int rc = -1;

    strbuf_init(&addr, NULL, 256);
    for (size_t k = 0; k < p->nsales; k++) {
        const struct seed_cat_sale *sa = &p->sales[k];
        const struct seed_cat_product *g = &p->products[sa->product];
        const struct seed_cat_seller *s = &p->sellers[g->seller];
        const struct seed_cat_buyer *by = &p->buyers[sa->buyer];
        int64_t subtotal = unit_price(p, sa) * sa->qty;
        int64_t shipping = subtotal >= 7500 ? 0 : 595;
        bool completed = sa->delivered + COMPLETE_AFTER_MS < p->now;
        const char *comma;

        sale_ids(p, k, &ids);
        snprintf(tracking, sizeof(tracking), "9400%018llu",
                 (unsigned long long)(seed__rnd(&ids.r) % UINT64_C(1000000000000000000)));
        snprintf(city, sizeof(city), "%s", seed__cities[by->city]);
        comma = strchr(seed__cities[by->city], ',');
        if (comma != NULL)
            city[comma - seed__cities[by->city]] = '\0';
        addr.len = 0;
        strbuf_puts(&addr, "{\"name\":\"");
        strbuf_json_escape(&addr, by->name);
        strbuf_printf(&addr, "\",\"line1\":\"%d %s\",\"city\":\"", (int)seed__between(&ids.r, 10, 9999),
                      seed__pick(&ids.r, streets));
        strbuf_json_escape(&addr, city);
        strbuf_printf(&addr, "\",\"region\":\"%s\",\"postal_code\":\"%05d\",\"country\":\"US\"}",
                      comma != NULL ? comma + 2 : "", (int)seed__between(&ids.r, 1001, 99950));

        seed__bulk_text(b, ids.order);
        seed__bulk_text(b, by->id);
        seed__bulk_text(b, s->id);
        seed__bulk_text(b, s->shop_id);
        seed__bulk_text(b, completed ? "completed" : "delivered");
        seed__bulk_i64(b, subtotal);
        seed__bulk_i64(b, shipping);
        seed__bulk_i64(b, subtotal + shipping);
        seed__bulk_i64(b, subtotal * SEED_COMMISSION_BPS / 10000);
        seed__bulk_text(b, SEED_CURRENCY);
        seed__bulk_i64(b, SEED_COMMISSION_BPS);
        seed__bulk_text(b, addr.data);
        seed__bulk_text(b, "USPS");
        seed__bulk_text(b, tracking);
        seed__bulk_i64(b, sa->paid);
        seed__bulk_i64(b, sa->shipped);
        seed__bulk_i64(b, sa->delivered);
        if (completed)
            seed__bulk_i64(b, sa->delivered + COMPLETE_AFTER_MS);
        else
            seed__bulk_null(b);
        seed__bulk_i64(b, sa->paid - 5 * 60 * 1000);
        seed__bulk_i64(b, completed ? sa->delivered + COMPLETE_AFTER_MS : sa->delivered);
        if (seed__bulk_row(b, err) != 0)
            goto out;
    }
    rc = seed__bulk_flush(b, err);
out:
    seed__bulk_free(b);
    strbuf_free(&addr);
    return rc;
}

static int write_items(struct db *db, const struct seed_cat_plan *p, struct db_error *err)
{
    struct seed_bulk *b = seed__bulk_new(db, sql_items, 13, "");
    struct sale_ids ids;
    char sku[48];

    for (size_t k = 0; k < p->nsales; k++) {
        const struct seed_cat_sale *sa = &p->sales[k];
        const struct seed_cat_product *g = &p->products[sa->product];
        int64_t unit = unit_price(p, sa);

        sale_ids(p, k, &ids);
        seed__bulk_text(b, ids.item);
        seed__bulk_text(b, ids.order);
        seed__bulk_text(b, g->id);
        if (sa->variant >= 0) {
            const struct seed_cat_variant *v = &p->variants[sa->variant];
            snprintf(sku, sizeof(sku), "G%d-%d", sa->product + 1, sa->variant - g->first_variant + 1);
            seed__bulk_text(b, v->id);
            seed__bulk_text(b, g->title);
            seed__bulk_text(b, seed__crafts[g->craft].variant_values[v->value]);
            seed__bulk_text(b, sku);
        } else {
            seed__bulk_null(b);
            seed__bulk_text(b, g->title);
            seed__bulk_null(b);
            seed__bulk_null(b);
        }
        seed__bulk_i64(b, unit);
        seed__bulk_i64(b, sa->qty);
        seed__bulk_i64(b, unit * sa->qty);
        seed__bulk_text(b, SEED_CURRENCY);
        seed__bulk_text(b, "{}");
        seed__bulk_i64(b, sa->paid - 5 * 60 * 1000);
        if (seed__bulk_row(b, err) != 0) {
            seed__bulk_free(b);
            return -1;
        }
    }
    return finish(b, err);
}

/* Status history (pending_payment -> paid -> shipped -> delivered [-> completed]) and reviews. */
static int write_history_reviews(struct db *db, const struct seed_cat_plan *p, struct db_error *err)
{
    static const char *const steps[] = {"pending_payment", "paid", "shipped", "delivered", "completed"};
    struct seed_bulk *hist = seed__bulk_new(db, sql_history, 5, "");
    struct seed_bulk *revs = seed__bulk_new(db, sql_reviews, 13, "");
    struct sale_ids ids;
    int rc = -1;

    for (size_t k = 0; k < p->nsales; k++) {
        const struct seed_cat_sale *sa = &p->sales[k];
        const struct seed_cat_product *g = &p->products[sa->product];
        const struct seed_cat_seller *s = &p->sellers[g->seller];
        bool completed = sa->delivered + COMPLETE_AFTER_MS < p->now;
        int64_t at[] = {sa->paid - 5 * 60 * 1000, sa->paid, sa->shipped, sa->delivered,
                        sa->delivered + COMPLETE_AFTER_MS};

        sale_ids(p, k, &ids);
        for (int h = 0; h < (completed ? 5 : 4); h++) {
            seed__bulk_text(hist, ids.hist[h]);
            seed__bulk_text(hist, ids.order);
            seed__bulk_text(hist, h > 0 ? steps[h - 1] : NULL);
            seed__bulk_text(hist, steps[h]);
            seed__bulk_i64(hist, at[h]);
            if (seed__bulk_row(hist, err) != 0)
                goto out;
        }
        if (sa->rating == 0)
            continue;
        /* The stream continues past the order's own draws (tracking, address) with the review's. */
        struct seed_rng r = seed__stream(p->seed, SEED_S_ROWS, k + (UINT64_C(1) << 40));
        int64_t reply_at = sa->reviewed + seed__between(&r, 2 * SEED_HOUR_MS, 3 * SEED_DAY_MS);
        bool reply = sa->reply && reply_at < p->now;

        seed__bulk_text(revs, ids.review);
        seed__bulk_text(revs, g->id);
        seed__bulk_text(revs, ids.item);
        seed__bulk_text(revs, p->buyers[sa->buyer].id);
        seed__bulk_text(revs, s->id);
        seed__bulk_text(revs, s->shop_id);
        seed__bulk_i64(revs, sa->rating);
        seed__bulk_text(revs, seed__pick(&r, seed__review_bodies[sa->rating - 1]));
        seed__bulk_text(revs, "published");
        seed__bulk_text(revs, reply ? seed__pick(&r, seed__seller_replies) : NULL);
        if (reply)
            seed__bulk_i64(revs, reply_at);
        else
            seed__bulk_null(revs);
        seed__bulk_i64(revs, sa->reviewed);
        seed__bulk_i64(revs, reply ? reply_at : sa->reviewed);
        if (seed__bulk_row(revs, err) != 0)
            goto out;
    }
    if (seed__bulk_flush(hist, err) == 0 && seed__bulk_flush(revs, err) == 0)
        rc = 0;
out:
    seed__bulk_free(hist);
    seed__bulk_free(revs);
    return rc;
}

/* Wishlist rows of each product: consecutive buyers from a random start, so they are distinct. */
static int write_wishlists(struct db *db, const struct seed_cat_plan *p, struct db_error *err)
{
    struct seed_bulk *b = seed__bulk_new(db, sql_wishlists, 3, "");

    for (size_t i = 0; i < p->nproducts; i++) {
        const struct seed_cat_product *g = &p->products[i];
        struct seed_rng r = seed__stream(p->seed, SEED_S_WISH, i + (UINT64_C(1) << 40));
        size_t start = seed__below(&r, p->nbuyers);

        for (int64_t w = 0; w < g->wishlists; w++) {
            const struct seed_cat_buyer *by = &p->buyers[(start + (size_t)w) % p->nbuyers];
            int64_t lo = g->published > by->joined ? g->published : by->joined;

            seed__bulk_text(b, by->id);
            seed__bulk_text(b, g->id);
            seed__bulk_i64(b, seed__between(&r, lo, p->now - 1000));
            if (seed__bulk_row(b, err) != 0) {
                seed__bulk_free(b);
                return -1;
            }
        }
    }
    return finish(b, err);
}

/*-----------------------------------------------------------------------------
 * Entry point
 */

/* Products by id (time order), so the primary keys of products and of the rows keyed by them grow at the end. */
static int by_id(const void *a, const void *b, void *ctx)
{
    const struct seed_cat_plan *p = ctx;

    return strcmp(p->products[*(const size_t *)a].id, p->products[*(const size_t *)b].id);
}

int seed__catalog_write(struct db *db, struct seed_cat_plan *p, struct db_error *err)
{
    size_t *order = xcalloc(p->nproducts, sizeof(*order));
    struct ptext t;
    int rc;

    for (size_t i = 0; i < p->nproducts; i++)
        order[i] = i;
    qsort_r(order, p->nproducts, sizeof(*order), by_id, p);
    memset(&t, 0, sizeof(t));
    strbuf_init(&t.desc, NULL, 1024);
    strbuf_init(&t.tags_json, NULL, 512);
    strbuf_init(&t.mats_json, NULL, 256);
    rc = write_users(db, p, err) != 0 || write_shops(db, p, err) != 0 || write_rates(db, p, err) != 0 ||
                 write_products(db, p, order, &t, err) != 0 || write_product_rows(db, p, order, &t, err) != 0 ||
                 write_orders(db, p, err) != 0 || write_items(db, p, err) != 0 ||
                 write_history_reviews(db, p, err) != 0 || write_wishlists(db, p, err) != 0
             ? -1
             : 0;
    strbuf_free(&t.desc);
    strbuf_free(&t.tags_json);
    strbuf_free(&t.mats_json);
    free(order);
    return rc;
}
