/*
 * products_cards.c — product cards: the compact form of a product used by
 * GET /products, GET /search and any other list of products.
 *
 * A card is read from one row (PRODUCTS__CARD_COLS: product, shop, primary
 * image) and written with the streaming JSON writer. products_write_cards()
 * fetches cards for a list of ids in batches of PRODUCTS__CARD_BATCH with
 * one statement per batch, never one query per id.
 *
 * purchasable = in stock and the shop is not on vacation (a shop on
 * vacation stays visible; its products cannot be bought until it returns).
 *
 * Caveats: tags and materials are JSON arrays written by this server and
 * copied into the output as they are; a value that does not look like an
 * array is written as [].
 */
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "http/jsonw.h"
#include "services/products/products_int.h"

static const char *col_dup(struct arena *a, struct db_stmt *st, int col)
{
    return arena_strdup(a, db_column_text(st, col));
}

void products__card_read(struct arena *a, struct db_stmt *st, struct products_card *c)
{
    c->id = col_dup(a, st, 0);
    c->title = col_dup(a, st, 1);
    c->slug = col_dup(a, st, 2);
    c->price_amount = db_column_i64(st, 3);
    c->currency = col_dup(a, st, 4);
    c->rating_avg = db_column_i64(st, 5);
    c->rating_count = db_column_i64(st, 6);
    c->in_stock = db_column_i64(st, 7) != 0;
    c->tags = col_dup(a, st, 8);
    c->materials = col_dup(a, st, 9);
    c->category_id = col_dup(a, st, 10);
    c->shop_id = col_dup(a, st, 11);
    c->shop_name = col_dup(a, st, 12);
    c->shop_slug = col_dup(a, st, 13);
    c->vacation = db_column_i64(st, 14) != 0;
    c->image_media_id = col_dup(a, st, 15);
    c->image_alt = col_dup(a, st, 16);
}

void products__write_rating(struct jsonw *w, int64_t hundredths)
{
    char buf[32];
    if (hundredths < 0)
        hundredths = 0;
    if (hundredths % 100 == 0)
        snprintf(buf, sizeof buf, "%lld", (long long)(hundredths / 100));
    else if (hundredths % 10 == 0)
        snprintf(buf, sizeof buf, "%lld.%lld", (long long)(hundredths / 100), (long long)(hundredths % 100 / 10));
    else
        snprintf(buf, sizeof buf, "%lld.%02lld", (long long)(hundredths / 100), (long long)(hundredths % 100));
    jw_raw(w, buf);
}

static void write_json_array(struct jsonw *w, const char *key, const char *json)
{
    jw_key(w, key);
    jw_raw(w, json != NULL && json[0] == '[' ? json : "[]");
}

void products__card_write(struct jsonw *w, const struct products_card *c)
{
    jw_kstr(w, "id", c->id);
    jw_kstr(w, "title", c->title);
    jw_kstr(w, "slug", c->slug);
    jw_kmoney(w, "price", c->price_amount, c->currency);
    jw_key(w, "image");
    if (c->image_media_id != NULL) {
        char url[80];
        snprintf(url, sizeof url, "/api/v1/media/%s", c->image_media_id);
        jw_obj(w);
        jw_kstr(w, "media_id", c->image_media_id);
        jw_kstr(w, "url", url);
        jw_kstr(w, "alt", c->image_alt);
        jw_end(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "rating");
    jw_obj(w);
    jw_key(w, "average");
    products__write_rating(w, c->rating_avg);
    jw_kint(w, "count", c->rating_count);
    jw_end(w);
    jw_key(w, "shop");
    jw_obj(w);
    jw_kstr(w, "id", c->shop_id);
    jw_kstr(w, "name", c->shop_name);
    jw_kstr(w, "slug", c->shop_slug);
    jw_kbool(w, "vacation_mode", c->vacation);
    jw_end(w);
    jw_kbool(w, "in_stock", c->in_stock);
    jw_kbool(w, "purchasable", c->in_stock && !c->vacation);
    write_json_array(w, "tags", c->tags);
    write_json_array(w, "materials", c->materials);
    jw_kstr(w, "category_id", c->category_id);
}

int products_write_cards(struct request *req, struct jsonw *w, const char *const *ids, size_t n,
                         void (*extra)(struct jsonw *w, size_t i, void *ctx), void *ctx, struct app_error *err)
{
    struct products_card *cards = n > 0 ? arena_array(req->arena, struct products_card, n) : NULL;
    bool *found = n > 0 ? arena_array(req->arena, bool, n) : NULL;
    struct db_error dberr = {0};
    for (size_t off = 0; off < n; off += PRODUCTS__CARD_BATCH) {
        struct db_stmt *st = db_prepare(req->db, products__sql(PRODUCTS_Q_CARDS), &dberr);
        if (st == NULL)
            return req_db_error(req, &dberr, err);
        size_t m = n - off < PRODUCTS__CARD_BATCH ? n - off : PRODUCTS__CARD_BATCH;
        for (size_t i = 0; i < PRODUCTS__CARD_BATCH; i++)
            db_bind(st, (int)i + 1, i < m ? DB_TEXT(ids[off + i]) : DB_NULL);
        int rc;
        while ((rc = db_step(st, &dberr)) == 1) {
            const char *id = db_column_text(st, 0);
            /* Place the row at every position that asked for it (a caller may repeat an id). */
            struct products_card *first = NULL;
            for (size_t i = off; i < off + m; i++) {
                if (found[i] || strcmp(ids[i], id) != 0)
                    continue;
                if (first == NULL) {
                    products__card_read(req->arena, st, &cards[i]);
                    first = &cards[i];
                } else {
                    cards[i] = *first;
                }
                found[i] = true;
            }
        }
        db_reset(st);
        if (rc < 0)
            return req_db_error(req, &dberr, err);
    }
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        if (!found[i])
            continue;
        jw_obj(w);
        products__card_write(w, &cards[i]);
        if (extra != NULL)
            extra(w, i, ctx);
        jw_end(w);
    }
    jw_end(w);
    return 0;
}
