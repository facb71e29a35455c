/*
 * seed.c — the demo catalogue loaded by `artistry seed --demo`.
 *
 * The data are static tables in seed_demo_data.c (users, shops, categories,
 * products, variants, personalisation questions, reviews); rows refer to
 * each other by a short key (category slug, product key) or an index, and
 * get fixed ids made from a per-table number (seed__demo_id), so a second
 * run finds the same ids.
 * All SQL sits in seed_sql[], parameters only, every INSERT is
 * ON CONFLICT DO NOTHING (accepted by SQLite and PostgreSQL alike).
 *
 * Reviews need an order item (one review per order item), so each review
 * comes with a completed one-item order. Product and shop counters
 * (rating_sum, rating_count, sales_count) and the derived catalogue columns
 * (popularity, rating_avg, in_stock: formulas in 0005_catalog.sql) are
 * computed from those reviews, orders and variants before the rows are
 * written, so they agree with the data. The search index is rebuilt at the
 * end of the same transaction, so the demo catalogue is searchable at once.
 *
 * Caveats:
 *   - The demo orders have no payment, escrow or ledger rows: they show up
 *     in order histories and carry reviews, nothing more.
 *   - Products have no images (no media files ship with the binary).
 *   - Demo users have password_hash NULL. Logging in as them is for the
 *     identity module to provide (e.g. a password reset).
 */
#include "cli/seed.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/timeutil.h"
#include "cli/seed_int.h"
#include "db/db.h"
#include "platform/search.h"
#include "platform/versions.h"

#define JSON_BUF 1024

/*-----------------------------------------------------------------------------
 * SQL
 */

enum seed_q {
    Q_MARKER,
    Q_USER,
    Q_APPLICATION,
    Q_SHOP,
    Q_RATE_TABLE,
    Q_RATE,
    Q_CATEGORY,
    Q_PRODUCT,
    Q_PRODUCT_TAG,
    Q_PRODUCT_MATERIAL,
    Q_VARIANT,
    Q_QUESTION,
    Q_ORDER,
    Q_ORDER_ITEM,
    Q_ORDER_HISTORY,
    Q_REVIEW,
    Q__COUNT
};

static const char *const seed_sql[Q__COUNT] = {
    [Q_MARKER] = "SELECT 1 FROM users WHERE id = $1",
    [Q_USER] = "INSERT INTO users (id, email, email_normalized, display_name, role, status, email_verified_at,"
               " bio, location, preferences, created_at, updated_at)"
               " VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, '{}', $6, $6)"
               " ON CONFLICT DO NOTHING",
    [Q_APPLICATION] = "INSERT INTO seller_applications (id, user_id, shop_name, about, country, status,"
                      " reviewed_by, reviewed_at, created_at, updated_at)"
                      " VALUES ($1, $2, $3, $4, $5, 'approved', $6, $7, $8, $7)"
                      " ON CONFLICT DO NOTHING",
    [Q_SHOP] = "INSERT INTO shops (id, seller_id, slug, name, tagline, description, policies, country, currency,"
               " status, accepts_custom_orders, rating_sum, rating_count, sales_count, created_at, updated_at)"
               " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $11, $12, $13, $14, $14)"
               " ON CONFLICT DO NOTHING",
    [Q_RATE_TABLE] = "INSERT INTO shipping_rate_tables (id, seller_id, shop_id, name, basis, currency, origin_country,"
                     " is_default, created_at, updated_at)"
                     " VALUES ($1, $2, $3, 'Standard shipping', 'quantity', $4, $5, 1, $6, $6)"
                     " ON CONFLICT DO NOTHING",
    [Q_RATE] = "INSERT INTO shipping_rates (id, table_id, seller_id, zone, min_value, max_value, amount,"
               " additional_item_amount, free_over_amount, currency, min_days, max_days, created_at, updated_at)"
               " VALUES ($1, $2, $3, $4, 1, NULL, $5, $6, $7, $8, $9, $10, $11, $11)"
               " ON CONFLICT DO NOTHING",
    [Q_CATEGORY] = "INSERT INTO categories (id, parent_id, slug, path, name, description, depth, position,"
                   " is_active, created_at, updated_at)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)"
                   " ON CONFLICT DO NOTHING",
    [Q_PRODUCT] = "INSERT INTO products (id, seller_id, shop_id, category_id, shipping_rate_table_id, slug, title,"
                  " description, price_amount, currency, status, stock, made_to_order, processing_days, who_made,"
                  " is_personalizable, weight_grams, tags, materials, rating_sum, rating_count, wishlist_count,"
                  " view_count, sales_count, popularity, rating_avg, in_stock, published_at, created_at, updated_at)"
                  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $12, $13, 'i_did', $14, $15,"
                  " $16, $17, $18, $19, 0, $20, $21, $23, $24, $25, $22, $22, $22)"
                  " ON CONFLICT DO NOTHING",
    [Q_PRODUCT_TAG] = "INSERT INTO product_tags (product_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [Q_PRODUCT_MATERIAL] = "INSERT INTO product_materials (product_id, material) VALUES ($1, $2)"
                           " ON CONFLICT DO NOTHING",
    [Q_VARIANT] = "INSERT INTO product_variants (id, product_id, name, sku, options, price_modifier_amount, stock,"
                  " position, is_active, created_at, updated_at)"
                  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)"
                  " ON CONFLICT DO NOTHING",
    [Q_QUESTION] = "INSERT INTO product_personalization_questions (id, product_id, position, prompt, kind,"
                   " max_length, required, created_at, updated_at)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
                   " ON CONFLICT DO NOTHING",
    [Q_ORDER] = "INSERT INTO orders (id, checkout_id, buyer_id, seller_id, shop_id, status, subtotal_amount,"
                " shipping_amount, tax_amount, discount_amount, total_amount, refunded_amount, fee_amount, currency,"
                " commission_bps, shipping_address, carrier, tracking_number, paid_at, shipped_at, delivered_at,"
                " completed_at, created_at, updated_at)"
                " VALUES ($1, NULL, $2, $3, $4, 'completed', $5, 0, 0, 0, $5, 0, $6, $7, $8, $9, 'USPS', $10,"
                " $11, $12, $13, $14, $11, $14)"
                " ON CONFLICT DO NOTHING",
    [Q_ORDER_ITEM] = "INSERT INTO order_items (id, order_id, product_id, variant_id, title, variant_name, sku,"
                     " unit_price_amount, quantity, line_total_amount, currency, personalization, created_at)"
                     " VALUES ($1, $2, $3, NULL, $4, NULL, NULL, $5, 1, $5, $6, '{}', $7)"
                     " ON CONFLICT DO NOTHING",
    [Q_ORDER_HISTORY] = "INSERT INTO order_status_history (id, order_id, from_status, to_status, actor_id, note,"
                        " created_at)"
                        " VALUES ($1, $2, $3, $4, NULL, NULL, $5)"
                        " ON CONFLICT DO NOTHING",
    [Q_REVIEW] = "INSERT INTO reviews (id, product_id, order_item_id, buyer_id, seller_id, shop_id, rating, body,"
                 " media_ids, status, seller_reply, reply_at, created_at, updated_at)"
                 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', 'published', $9, $10, $11, $11)"
                 " ON CONFLICT DO NOTHING",
};

/*-----------------------------------------------------------------------------
 * Helpers
 */

struct seed_ctx {
    int64_t now;
};

/*
 * DB_TEXT() as a function: the macro tests its argument for NULL, which
 * -Waddress rejects when the argument is a char array (our id buffers).
 */
static struct db_param txt(const char *s)
{
    return DB_TEXT(s);
}

/*
 * Fixed id for row n of a table: "<prefix>_01J0000000DEM0000000" followed by
 * n in six Crockford base32 digits (26 characters after the underscore, as
 * id_valid() wants).
 */
void seed__demo_id(char *buf, size_t cap, const char *prefix, unsigned n)
{
    static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char tail[7];

    for (int i = 5; i >= 0; i--) {
        tail[i] = b32[n & 31u];
        n >>= 5;
    }
    tail[6] = '\0';
    snprintf(buf, cap, "%s_01J0000000DEM0000000%s", prefix, tail);
}

/* URL slug of a title: lowercase letters and digits, runs of anything else become one '-'. */
void seed__slugify(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    bool dash = false;

    APP_ASSERT(cap > 0);
    for (; *s != '\0' && n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c)) {
            if (dash && n > 0 && n + 2 < cap)
                out[n++] = '-';
            dash = false;
            out[n++] = (char)tolower(c);
        } else {
            dash = true;
        }
    }
    out[n] = '\0';
}

/*
 * Copy the next comma-separated item of *csv into out (trimmed) and advance
 * *csv. Returns false when the list is exhausted.
 */
static bool csv_next(const char **csv, char *out, size_t cap)
{
    const char *p = *csv, *end;
    size_t len;

    while (*p == ' ' || *p == ',')
        p++;
    if (*p == '\0')
        return false;
    end = strchr(p, ',');
    if (end == NULL)
        end = p + strlen(p);
    *csv = end;
    while (end > p && end[-1] == ' ')
        end--;
    len = (size_t)(end - p);
    APP_ASSERT(len < cap);
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

/* JSON array of strings from a comma-separated list (static data: quote and backslash escaped). */
static void csv_to_json(const char *csv, char *out, size_t cap)
{
    char item[128];
    size_t n = 0;
    bool first = true;

    out[n++] = '[';
    while (csv_next(&csv, item, sizeof(item))) {
        APP_ASSERT(n + 2 * strlen(item) + 4 < cap);
        if (!first)
            out[n++] = ',';
        first = false;
        out[n++] = '"';
        for (const char *c = item; *c != '\0'; c++) {
            if (*c == '"' || *c == '\\')
                out[n++] = '\\';
            out[n++] = *c;
        }
        out[n++] = '"';
    }
    APP_ASSERT(n + 2 <= cap);
    out[n++] = ']';
    out[n] = '\0';
}

static int category_index(const char *slug)
{
    for (size_t i = 0; i < SEED_DEMO_NCATEGORIES; i++)
        if (strcmp(seed__demo_categories[i].slug, slug) == 0)
            return (int)i;
    APP_PANIC("seed: unknown category slug");
}

static int product_index(const char *key)
{
    for (size_t i = 0; i < SEED_DEMO_NPRODUCTS; i++)
        if (strcmp(seed__demo_products[i].key, key) == 0)
            return (int)i;
    APP_PANIC("seed: unknown product key");
}

static int64_t review_at(const struct seed_ctx *c, const struct seed_demo_review *r)
{
    return c->now - (int64_t)r->days_ago * SEED_DAY_MS;
}

/* Shipping address of a demo order: the buyer's, as JSON. */
static const char *buyer_address(int buyer)
{
    const char *a = seed__demo_users[buyer].address_json;
    return a != NULL ? a : "{}";
}

/*-----------------------------------------------------------------------------
 * Loaders, one per table group. Each returns 0 or -1 (err filled).
 */

static int seed_users(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    char id[SEED_ID_BUF];

    for (size_t i = 0; i < SEED_DEMO_NUSERS; i++) {
        const struct seed_demo_user *u = &seed__demo_users[i];
        char norm[128];
        int64_t at = c->now - (int64_t)(120 - i) * SEED_DAY_MS;
        size_t k;

        for (k = 0; u->email[k] != '\0' && k + 1 < sizeof(norm); k++)
            norm[k] = (char)tolower((unsigned char)u->email[k]);
        norm[k] = '\0';
        seed__demo_id(id, sizeof(id), "usr", (unsigned)i + 1);
        struct db_param p[] = {txt(id),      txt(u->email), txt(norm),   txt(u->name),
                               txt(u->role), DB_I64(at),    txt(u->bio), txt(u->location)};
        if (db_exec(db, seed_sql[Q_USER], p, 8, err) < 0)
            return -1;
    }
    return 0;
}

static int seed_shops(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    char id[SEED_ID_BUF], seller_id[SEED_ID_BUF], admin_id[SEED_ID_BUF], table_id[SEED_ID_BUF], rate_id[SEED_ID_BUF];

    seed__demo_id(admin_id, sizeof(admin_id), "usr", SEED_U_ADMIN + 1);
    for (size_t s = 0; s < SEED_DEMO_NSHOPS; s++) {
        const struct seed_demo_shop *sh = &seed__demo_shops[s];
        int64_t applied = c->now - (int64_t)(100 - 2 * s) * SEED_DAY_MS;
        int64_t opened = applied + SEED_DAY_MS;
        int64_t rating_sum = 0, rating_count = 0;

        /* The shop aggregates the reviews (and demo sales) of its products. */
        for (size_t r = 0; r < SEED_DEMO_NREVIEWS; r++) {
            if (seed__demo_products[product_index(seed__demo_reviews[r].product)].shop == (int)s) {
                rating_sum += seed__demo_reviews[r].rating;
                rating_count++;
            }
        }

        seed__demo_id(seller_id, sizeof(seller_id), "usr", (unsigned)sh->seller + 1);
        seed__demo_id(id, sizeof(id), "sap", (unsigned)s + 1);
        struct db_param ap[] = {txt(id),   txt(seller_id), txt(sh->name),  txt(sh->description),
                                txt("US"), txt(admin_id),  DB_I64(opened), DB_I64(applied)};
        if (db_exec(db, seed_sql[Q_APPLICATION], ap, 8, err) < 0)
            return -1;

        seed__demo_id(id, sizeof(id), "shp", (unsigned)s + 1);
        struct db_param sp[] = {txt(id),
                                txt(seller_id),
                                txt(sh->slug),
                                txt(sh->name),
                                txt(sh->tagline),
                                txt(sh->description),
                                txt(sh->policies_json),
                                txt("US"),
                                txt(SEED_CURRENCY),
                                DB_I64(sh->accepts_custom_orders),
                                DB_I64(rating_sum),
                                DB_I64(rating_count),
                                DB_I64(rating_count),
                                DB_I64(opened)};
        if (db_exec(db, seed_sql[Q_SHOP], sp, 14, err) < 0)
            return -1;

        /* One default rate table per shop: domestic with free shipping over $75, and everywhere else. */
        seed__demo_id(table_id, sizeof(table_id), "srt", (unsigned)s + 1);
        struct db_param tp[] = {txt(table_id), txt(seller_id), txt(id), txt(SEED_CURRENCY), txt("US"), DB_I64(opened)};
        if (db_exec(db, seed_sql[Q_RATE_TABLE], tp, 6, err) < 0)
            return -1;

        seed__demo_id(rate_id, sizeof(rate_id), "srr", (unsigned)(2 * s) + 1);
        struct db_param dp[] = {txt(rate_id), txt(table_id), txt(seller_id), txt("domestic"),
                                DB_I64(595),  DB_I64(150),   DB_I64(7500),   txt(SEED_CURRENCY),
                                DB_I64(3),    DB_I64(5),     DB_I64(opened)};
        if (db_exec(db, seed_sql[Q_RATE], dp, 11, err) < 0)
            return -1;
        seed__demo_id(rate_id, sizeof(rate_id), "srr", (unsigned)(2 * s) + 2);
        struct db_param ep[] = {txt(rate_id), txt(table_id), txt(seller_id), txt("everywhere"),
                                DB_I64(1895), DB_I64(400),   DB_NULL,        txt(SEED_CURRENCY),
                                DB_I64(7),    DB_I64(21),    DB_I64(opened)};
        if (db_exec(db, seed_sql[Q_RATE], ep, 11, err) < 0)
            return -1;
    }
    return 0;
}

/* The tree is shared with the generated catalogue (seed_catalog.c). */
int seed__categories(struct db *db, int64_t now, struct db_error *err)
{
    char id[SEED_ID_BUF], parent_id[SEED_ID_BUF];
    char paths[SEED_DEMO_NCATEGORIES][128];
    int depth[SEED_DEMO_NCATEGORIES];
    int position[SEED_DEMO_NCATEGORIES];

    for (size_t i = 0; i < SEED_DEMO_NCATEGORIES; i++) {
        const struct seed_demo_category *cat = &seed__demo_categories[i];
        int parent = cat->parent != NULL ? category_index(cat->parent) : -1;
        int pos = 0;

        APP_ASSERT(parent < (int)i); /* parents are listed first */
        for (size_t j = 0; j < i; j++) {
            bool same = (cat->parent == NULL && seed__demo_categories[j].parent == NULL) ||
                        (cat->parent != NULL && seed__demo_categories[j].parent != NULL &&
                         strcmp(cat->parent, seed__demo_categories[j].parent) == 0);
            if (same)
                pos++;
        }
        position[i] = pos;
        depth[i] = parent < 0 ? 0 : depth[parent] + 1;
        if (parent < 0)
            snprintf(paths[i], sizeof(paths[i]), "%s", cat->slug);
        else
            snprintf(paths[i], sizeof(paths[i]), "%s/%s", paths[parent], cat->slug);

        seed__demo_id(id, sizeof(id), "cat", (unsigned)i + 1);
        if (parent >= 0)
            seed__demo_id(parent_id, sizeof(parent_id), "cat", (unsigned)parent + 1);
        struct db_param p[] = {txt(id),
                               parent >= 0 ? txt(parent_id) : DB_NULL,
                               txt(cat->slug),
                               txt(paths[i]),
                               txt(cat->name),
                               txt(cat->description),
                               DB_I64(depth[i]),
                               DB_I64(position[i]),
                               DB_I64(now - 130 * SEED_DAY_MS)};
        if (db_exec(db, seed_sql[Q_CATEGORY], p, 9, err) < 0)
            return -1;
    }
    /* Readers reuse their rendering of the tree until this counter moves. */
    return versions_bump(db, "categories", err);
}

static int seed_products(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    char id[SEED_ID_BUF], seller_id[SEED_ID_BUF], shop_id[SEED_ID_BUF], cat_id[SEED_ID_BUF], table_id[SEED_ID_BUF];
    char slug[160], tags[JSON_BUF], materials[JSON_BUF], item[128];

    for (size_t i = 0; i < SEED_DEMO_NPRODUCTS; i++) {
        const struct seed_demo_product *pr = &seed__demo_products[i];
        const struct seed_demo_shop *sh = &seed__demo_shops[pr->shop];
        /* Newest last: the catalogue was listed over the past ~80 days, a couple of days apart. */
        int64_t listed =
            c->now - (int64_t)(SEED_DEMO_NPRODUCTS - i) * 2 * SEED_DAY_MS - (int64_t)(i % 7) * SEED_HOUR_MS;
        int64_t rating_sum = 0, rating_count = 0;
        int personalizable = 0;
        /* in_stock: made to order, or stock on the product or on one of its (all active) variants. */
        int in_stock = pr->made_to_order || pr->stock > 0;
        const char *list;

        for (size_t r = 0; r < SEED_DEMO_NREVIEWS; r++) {
            if (strcmp(seed__demo_reviews[r].product, pr->key) == 0) {
                rating_sum += seed__demo_reviews[r].rating;
                rating_count++;
            }
        }
        for (size_t q = 0; q < SEED_DEMO_NQUESTIONS; q++)
            if (strcmp(seed__demo_questions[q].product, pr->key) == 0)
                personalizable = 1;
        for (size_t v = 0; v < SEED_DEMO_NVARIANTS; v++)
            if (strcmp(seed__demo_variants[v].product, pr->key) == 0 && seed__demo_variants[v].stock > 0)
                in_stock = 1;

        seed__demo_id(id, sizeof(id), "prd", (unsigned)i + 1);
        seed__demo_id(seller_id, sizeof(seller_id), "usr", (unsigned)sh->seller + 1);
        seed__demo_id(shop_id, sizeof(shop_id), "shp", (unsigned)pr->shop + 1);
        seed__demo_id(cat_id, sizeof(cat_id), "cat", (unsigned)category_index(pr->category) + 1);
        seed__demo_id(table_id, sizeof(table_id), "srt", (unsigned)pr->shop + 1);
        seed__slugify(pr->title, slug, sizeof(slug));
        csv_to_json(pr->tags, tags, sizeof(tags));
        csv_to_json(pr->materials, materials, sizeof(materials));

        struct db_param p[] = {txt(id),
                               txt(seller_id),
                               txt(shop_id),
                               txt(cat_id),
                               txt(table_id),
                               txt(slug),
                               txt(pr->title),
                               txt(pr->description),
                               DB_I64(pr->price),
                               txt(SEED_CURRENCY),
                               DB_I64(pr->stock),
                               DB_I64(pr->made_to_order),
                               DB_I64(pr->processing_days),
                               DB_I64(personalizable),
                               DB_I64(pr->weight_grams),
                               txt(tags),
                               txt(materials),
                               DB_I64(rating_sum),
                               DB_I64(rating_count),
                               DB_I64(pr->views),
                               DB_I64(rating_count), /* sales: the demo orders behind the reviews */
                               DB_I64(listed),
                               DB_I64(seed__popularity(rating_count, 0, pr->views)),
                               DB_I64(seed__rating_avg(rating_sum, rating_count)),
                               DB_I64(in_stock)};
        if (db_exec(db, seed_sql[Q_PRODUCT], p, 25, err) < 0)
            return -1;

        list = pr->tags;
        while (csv_next(&list, item, sizeof(item))) {
            struct db_param tp[] = {txt(id), txt(item)};
            if (db_exec(db, seed_sql[Q_PRODUCT_TAG], tp, 2, err) < 0)
                return -1;
        }
        list = pr->materials;
        while (csv_next(&list, item, sizeof(item))) {
            struct db_param mp[] = {txt(id), txt(item)};
            if (db_exec(db, seed_sql[Q_PRODUCT_MATERIAL], mp, 2, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int seed_variants_and_questions(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    char id[SEED_ID_BUF], product_id[SEED_ID_BUF];

    for (size_t i = 0; i < SEED_DEMO_NVARIANTS; i++) {
        const struct seed_demo_variant *v = &seed__demo_variants[i];
        int pi = product_index(v->product);
        int position = 0;

        APP_ASSERT(seed__demo_products[pi].price + v->modifier >= 0);
        for (size_t j = 0; j < i; j++)
            if (strcmp(seed__demo_variants[j].product, v->product) == 0)
                position++;
        seed__demo_id(id, sizeof(id), "var", (unsigned)i + 1);
        seed__demo_id(product_id, sizeof(product_id), "prd", (unsigned)pi + 1);
        struct db_param p[] = {txt(id),          txt(product_id),      txt(v->name),
                               txt(v->sku),      txt(v->options_json), DB_I64(v->modifier),
                               DB_I64(v->stock), DB_I64(position),     DB_I64(c->now - 60 * SEED_DAY_MS)};
        if (db_exec(db, seed_sql[Q_VARIANT], p, 9, err) < 0)
            return -1;
    }

    for (size_t i = 0; i < SEED_DEMO_NQUESTIONS; i++) {
        const struct seed_demo_question *q = &seed__demo_questions[i];

        seed__demo_id(id, sizeof(id), "ppq", (unsigned)i + 1);
        seed__demo_id(product_id, sizeof(product_id), "prd", (unsigned)product_index(q->product) + 1);
        struct db_param p[] = {txt(id),
                               txt(product_id),
                               DB_I64(q->position),
                               txt(q->prompt),
                               txt(q->kind),
                               q->max_length > 0 ? DB_I64(q->max_length) : DB_NULL,
                               DB_I64(q->required),
                               DB_I64(c->now - 60 * SEED_DAY_MS)};
        if (db_exec(db, seed_sql[Q_QUESTION], p, 8, err) < 0)
            return -1;
    }
    return 0;
}

/* Each review: a completed one-item order (with its status history), then the review. */
static int seed_reviews(struct db *db, const struct seed_ctx *c, struct db_error *err)
{
    static const char *const steps[] = {"pending_payment", "paid", "shipped", "delivered", "completed"};
    char order_id[SEED_ID_BUF], item_id[SEED_ID_BUF], review_id[SEED_ID_BUF], hist_id[SEED_ID_BUF];
    char buyer_id[SEED_ID_BUF], seller_id[SEED_ID_BUF], shop_id[SEED_ID_BUF], product_id[SEED_ID_BUF], tracking[32];

    for (size_t i = 0; i < SEED_DEMO_NREVIEWS; i++) {
        const struct seed_demo_review *r = &seed__demo_reviews[i];
        int pi = product_index(r->product);
        const struct seed_demo_product *pr = &seed__demo_products[pi];
        int64_t reviewed = review_at(c, r);
        int64_t completed = reviewed - 2 * SEED_HOUR_MS;
        int64_t delivered = completed - 3 * SEED_DAY_MS;
        int64_t shipped = delivered - 4 * SEED_DAY_MS;
        int64_t paid = shipped - (int64_t)pr->processing_days * SEED_DAY_MS;
        int64_t created = paid - 5 * 60 * 1000;
        int64_t step_at[] = {created, paid, shipped, delivered, completed};
        int64_t fee = pr->price * SEED_COMMISSION_BPS / 10000;

        APP_ASSERT(r->rating >= 1 && r->rating <= 5);
        seed__demo_id(order_id, sizeof(order_id), "ord", (unsigned)i + 1);
        seed__demo_id(item_id, sizeof(item_id), "oit", (unsigned)i + 1);
        seed__demo_id(review_id, sizeof(review_id), "rev", (unsigned)i + 1);
        seed__demo_id(buyer_id, sizeof(buyer_id), "usr", (unsigned)r->buyer + 1);
        seed__demo_id(seller_id, sizeof(seller_id), "usr", (unsigned)seed__demo_shops[pr->shop].seller + 1);
        seed__demo_id(shop_id, sizeof(shop_id), "shp", (unsigned)pr->shop + 1);
        seed__demo_id(product_id, sizeof(product_id), "prd", (unsigned)pi + 1);
        snprintf(tracking, sizeof(tracking), "9400100000000000%06zu", 4201 + i * 37);

        struct db_param op[] = {txt(order_id),
                                txt(buyer_id),
                                txt(seller_id),
                                txt(shop_id),
                                DB_I64(pr->price),
                                DB_I64(fee),
                                txt(SEED_CURRENCY),
                                DB_I64(SEED_COMMISSION_BPS),
                                txt(buyer_address(r->buyer)),
                                txt(tracking),
                                DB_I64(paid),
                                DB_I64(shipped),
                                DB_I64(delivered),
                                DB_I64(completed)};
        if (db_exec(db, seed_sql[Q_ORDER], op, 14, err) < 0)
            return -1;

        struct db_param ip[] = {txt(item_id),      txt(order_id),      txt(product_id), txt(pr->title),
                                DB_I64(pr->price), txt(SEED_CURRENCY), DB_I64(created)};
        if (db_exec(db, seed_sql[Q_ORDER_ITEM], ip, 7, err) < 0)
            return -1;

        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            seed__demo_id(hist_id, sizeof(hist_id), "osh", (unsigned)(i * 8 + s) + 1);
            struct db_param hp[] = {txt(hist_id), txt(order_id), s > 0 ? txt(steps[s - 1]) : DB_NULL, txt(steps[s]),
                                    DB_I64(step_at[s])};
            if (db_exec(db, seed_sql[Q_ORDER_HISTORY], hp, 5, err) < 0)
                return -1;
        }

        struct db_param rp[] = {txt(review_id),    txt(product_id),
                                txt(item_id),      txt(buyer_id),
                                txt(seller_id),    txt(shop_id),
                                DB_I64(r->rating), txt(r->body),
                                txt(r->reply),     r->reply != NULL ? DB_I64(reviewed + SEED_DAY_MS / 2) : DB_NULL,
                                DB_I64(reviewed)};
        if (db_exec(db, seed_sql[Q_REVIEW], rp, 11, err) < 0)
            return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Entry point
 */

/* The body of the seeding transaction (db_tx callback). */
static int seed_all(struct db *db, void *ctx, struct db_error *err)
{
    const struct seed_ctx *c = ctx;
    char admin_id[SEED_ID_BUF];
    struct db_stmt *st;
    int rc;

    seed__demo_id(admin_id, sizeof(admin_id), "usr", SEED_U_ADMIN + 1);
    st = db_prepare(db, seed_sql[Q_MARKER], err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, txt(admin_id));
    rc = db_step(st, err);
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        log_info("seed: demo data already present", NULL);
        return 0;
    }

    if (seed_users(db, c, err) != 0 || seed_shops(db, c, err) != 0 || seed__categories(db, c->now, err) != 0 ||
        seed_products(db, c, err) != 0 || seed_variants_and_questions(db, c, err) != 0 || seed_reviews(db, c, err) != 0)
        return -1;
    /* In the same transaction: the demo catalogue is searchable the moment it commits. */
    if (search_rebuild(db, NULL, err) != 0)
        return -1;
    log_info("seed: demo data loaded", "users=%d shops=%d categories=%d products=%d reviews=%d", SEED_DEMO_NUSERS,
             SEED_DEMO_NSHOPS, SEED_DEMO_NCATEGORIES, SEED_DEMO_NPRODUCTS, SEED_DEMO_NREVIEWS);
    return 0;
}

/** Load the demo catalogue; see seed.h. Blocks on the database. */
int seed_demo(struct db *db, struct db_error *err)
{
    struct seed_ctx c = {.now = time_now_ms()};

    return db_tx(db, 3, seed_all, &c, err);
}
