/*
 * products_detail.c — GET /api/v1/products/:id: one product with its
 * variants, images, category path, shop summary, rating and
 * personalization questions.
 *
 * The hottest read of the catalogue. The body is the same for every viewer
 * (who may see it is decided separately), so each request thread keeps
 * recent renderings in a small direct-mapped cache keyed by product id,
 * each with the "stamp" it was made at: products.rev and shops.rev (bumped
 * by every writer of the product, its children and its shop), the rating
 * and stock columns (kept by other services' writers), the statuses and the
 * category tree's version. A request reads the stamp — one indexed read of
 * product and shop — and reuses the rendering when it is unchanged, so an
 * edit is visible on the very next request while an unchanged product is
 * not rebuilt. The stamp is read before rendering: a write racing with the
 * render leaves the new body under the old stamp, which the next request
 * replaces; it can never leave an old body under a new stamp.
 *
 * Visibility: an active product of an active shop is public; anything else
 * is shown only to its seller and to admins, and is 404 (not 403) to
 * everyone else, so drafts do not leak their existence.
 *
 * Caveats: a writer outside this module that changes a variant's stock or
 * anything else shown here must bump products.rev (products_touch()); the
 * cache is per thread (PRODUCTS_DETAIL_CACHE_SLOTS entries), so memory is
 * bounded by threads × slots × body size.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "http/jsonw.h"
#include "services/products/products_int.h"

/*-----------------------------------------------------------------------------
 * Rendering
 */

static void write_json_text(struct jsonw *w, const char *key, const char *json, char open)
{
    jw_key(w, key);
    jw_raw(w, json != NULL && json[0] == open ? json : (open == '[' ? "[]" : "{}"));
}

static void write_time(struct request *req, struct jsonw *w, const char *key, struct db_stmt *st, int col)
{
    jw_key(w, key);
    if (db_column_is_null(st, col))
        jw_null(w);
    else
        jw_str(w, req_time(req, db_column_i64(st, col)));
}

static void write_rating_obj(struct jsonw *w, int64_t sum, int64_t count)
{
    jw_key(w, "rating");
    jw_obj(w);
    jw_key(w, "average");
    products__write_rating(w, count > 0 ? (sum * 100 + count / 2) / count : 0);
    jw_kint(w, "count", count);
    jw_end(w);
}

static int write_category_path(struct request *req, struct jsonw *w, const char *category_id, struct db_error *dberr)
{
    jw_key(w, "category_path");
    jw_arr(w);
    if (category_id != NULL) {
        struct db_stmt *st = db_prepare(req->db, products__sql(PRODUCTS_Q_CATEGORY_CHAIN), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(category_id));
        int rc;
        while ((rc = db_step(st, dberr)) == 1) {
            jw_obj(w);
            jw_kstr(w, "id", db_column_text(st, 0));
            jw_kstr(w, "slug", db_column_text(st, 1));
            jw_kstr(w, "name", db_column_text(st, 2));
            jw_end(w);
        }
        db_reset(st);
        if (rc < 0)
            return -1;
    }
    jw_end(w);
    return 0;
}

static int write_variants(struct request *req, struct jsonw *w, const char *id, int64_t price, const char *currency,
                          struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, products__sql(PRODUCTS_Q_DETAIL_VARIANTS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    jw_key(w, "variants");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        int64_t modifier = db_column_i64(st, 4);
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "name", db_column_text(st, 1));
        jw_kstr(w, "sku", db_column_text(st, 2));
        write_json_text(w, "options", db_column_text(st, 3), '{');
        jw_kmoney(w, "price_modifier", modifier, currency);
        jw_kmoney(w, "price", price + modifier, currency);
        jw_kint(w, "stock", db_column_i64(st, 5));
        jw_kint(w, "position", db_column_i64(st, 6));
        jw_end(w);
    }
    db_reset(st);
    jw_end(w);
    return rc < 0 ? -1 : 0;
}

static int write_images(struct request *req, struct jsonw *w, const char *id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, products__sql(PRODUCTS_Q_DETAIL_IMAGES), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    jw_key(w, "images");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        char url[80];
        snprintf(url, sizeof url, "/api/v1/media/%s", db_column_text(st, 1));
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "media_id", db_column_text(st, 1));
        jw_kstr(w, "url", url);
        jw_kint(w, "position", db_column_i64(st, 2));
        jw_kbool(w, "is_primary", db_column_i64(st, 3) != 0);
        jw_kstr(w, "alt", db_column_text(st, 4));
        jw_key(w, "width");
        if (db_column_is_null(st, 5))
            jw_null(w);
        else
            jw_int(w, db_column_i64(st, 5));
        jw_key(w, "height");
        if (db_column_is_null(st, 6))
            jw_null(w);
        else
            jw_int(w, db_column_i64(st, 6));
        jw_end(w);
    }
    db_reset(st);
    jw_end(w);
    return rc < 0 ? -1 : 0;
}

static int write_questions(struct request *req, struct jsonw *w, const char *id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, products__sql(PRODUCTS_Q_DETAIL_QUESTIONS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    jw_key(w, "personalization_questions");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kint(w, "position", db_column_i64(st, 1));
        jw_kstr(w, "prompt", db_column_text(st, 2));
        jw_kstr(w, "kind", db_column_text(st, 3));
        jw_key(w, "max_length");
        if (db_column_is_null(st, 4))
            jw_null(w);
        else
            jw_int(w, db_column_i64(st, 4));
        jw_kbool(w, "required", db_column_i64(st, 5) != 0);
        jw_end(w);
    }
    db_reset(st);
    jw_end(w);
    return rc < 0 ? -1 : 0;
}

int products__render_detail(struct request *req, const char *id, struct jsonw *w, bool *found, struct app_error *err)
{
    struct db_error dberr = {0};
    *found = false;
    struct db_stmt *st = db_prepare(req->db, products__sql(PRODUCTS_Q_DETAIL_PRODUCT), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, &dberr);
    if (rc <= 0) {
        db_reset(st);
        return rc < 0 ? req_db_error(req, &dberr, err) : 0;
    }
    *found = true;
    /* Values needed after this statement is reset. */
    const char *category_id = arena_strdup(req->arena, db_column_text(st, 2));
    const char *currency = arena_strdup(req->arena, db_column_text(st, 7));
    int64_t price = db_column_i64(st, 6);
    bool in_stock = db_column_i64(st, 20) != 0;
    bool vacation = db_column_i64(st, 29) != 0;

    jw_init(w, req->arena, 4096);
    jw_obj(w);
    jw_kstr(w, "id", db_column_text(st, 0));
    jw_kstr(w, "seller_id", db_column_text(st, 1));
    jw_kstr(w, "slug", db_column_text(st, 3));
    jw_kstr(w, "title", db_column_text(st, 4));
    jw_kstr(w, "description", db_column_text(st, 5));
    jw_kmoney(w, "price", price, currency);
    jw_kstr(w, "status", db_column_text(st, 8));
    jw_kstr(w, "removed_reason", db_column_text(st, 9));
    jw_kint(w, "stock", db_column_i64(st, 10));
    jw_kbool(w, "in_stock", in_stock);
    jw_kbool(w, "purchasable",
             in_stock && !vacation && strcmp(db_column_text(st, 8), "active") == 0 &&
                 strcmp(db_column_text(st, 33), "active") == 0);
    jw_key(w, "handmade");
    jw_obj(w);
    jw_kbool(w, "made_to_order", db_column_i64(st, 11) != 0);
    jw_kint(w, "processing_days", db_column_i64(st, 12));
    jw_kstr(w, "who_made", db_column_text(st, 13));
    jw_end(w);
    jw_kbool(w, "is_personalizable", db_column_i64(st, 14) != 0);
    jw_key(w, "weight_grams");
    if (db_column_is_null(st, 15))
        jw_null(w);
    else
        jw_int(w, db_column_i64(st, 15));
    write_json_text(w, "tags", db_column_text(st, 16), '[');
    write_json_text(w, "materials", db_column_text(st, 17), '[');
    jw_key(w, "rating");
    jw_obj(w);
    jw_key(w, "average");
    products__write_rating(w, db_column_i64(st, 18));
    jw_kint(w, "count", db_column_i64(st, 19));
    jw_end(w);
    write_time(req, w, "published_at", st, 21);
    write_time(req, w, "created_at", st, 22);
    write_time(req, w, "updated_at", st, 23);
    jw_key(w, "shop");
    jw_obj(w);
    jw_kstr(w, "id", db_column_text(st, 24));
    jw_kstr(w, "seller_id", db_column_text(st, 1));
    jw_kstr(w, "name", db_column_text(st, 25));
    jw_kstr(w, "slug", db_column_text(st, 26));
    jw_kstr(w, "status", db_column_text(st, 33));
    jw_kstr(w, "logo_media_id", db_column_text(st, 34));
    jw_kstr(w, "country", db_column_text(st, 35));
    write_rating_obj(w, db_column_i64(st, 27), db_column_i64(st, 28));
    jw_kbool(w, "vacation_mode", vacation);
    jw_kstr(w, "vacation_message", vacation ? db_column_text(st, 30) : NULL);
    jw_kbool(w, "accepts_custom_orders", db_column_i64(st, 31) != 0);
    write_json_text(w, "policies", db_column_text(st, 32), '{');
    jw_end(w);
    jw_kstr(w, "category_id", category_id);
    db_reset(st);

    if (write_category_path(req, w, category_id, &dberr) != 0 ||
        write_variants(req, w, id, price, currency, &dberr) != 0 || write_images(req, w, id, &dberr) != 0 ||
        write_questions(req, w, id, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    jw_end(w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Per-thread render cache
 */

#define STAMP_INTS 9

struct stamp {
    int64_t v[STAMP_INTS]; /* p.rev, p.rating_sum, p.rating_count, p.stock, p.in_stock, s.rev, s.rating_sum,
                              s.rating_count, categories version */
    char product_status[12];
    char shop_status[12];
};

struct cache_slot {
    char id[48];
    struct stamp stamp;
    char *body;
    size_t len;
};

struct detail_cache {
    struct cache_slot slots[PRODUCTS_DETAIL_CACHE_SLOTS];
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void free_cache(void *p)
{
    struct detail_cache *c = p;
    for (size_t i = 0; i < PRODUCTS_DETAIL_CACHE_SLOTS; i++)
        free(c->slots[i].body);
    free(c);
}

static void make_cache_key(void)
{
    pthread_key_create(&cache_key, free_cache);
}

static struct cache_slot *cache_slot(const char *id)
{
    pthread_once(&cache_once, make_cache_key);
    struct detail_cache *c = pthread_getspecific(cache_key);
    if (c == NULL) {
        c = xcalloc(1, sizeof *c);
        pthread_setspecific(cache_key, c);
    }
    uint32_t h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &c->slots[h % PRODUCTS_DETAIL_CACHE_SLOTS];
}

static void copy_status(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/* Who is asking: the product's seller, an admin, or anyone else. */
static bool may_see(const struct request *req, const struct stamp *s, const char *seller_id)
{
    if (strcmp(s->product_status, "active") == 0 && strcmp(s->shop_status, "active") == 0)
        return true;
    if (req->user_id == NULL)
        return false;
    return strcmp(req->user_id, seller_id) == 0 || (req->role != NULL && strcmp(req->role, "admin") == 0);
}

int products_handle_get(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, products__sql(PRODUCTS_Q_DETAIL_STAMP), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, &dberr);
    struct stamp now = {{0}};
    char seller_id[48] = "";
    if (rc == 1) {
        now.v[0] = db_column_i64(st, 0);
        copy_status(now.product_status, sizeof now.product_status, db_column_text(st, 1));
        copy_status(seller_id, sizeof seller_id, db_column_text(st, 2));
        now.v[1] = db_column_i64(st, 3);
        now.v[2] = db_column_i64(st, 4);
        now.v[3] = db_column_i64(st, 5);
        now.v[4] = db_column_i64(st, 6);
        now.v[5] = db_column_i64(st, 7);
        copy_status(now.shop_status, sizeof now.shop_status, db_column_text(st, 8));
        now.v[6] = db_column_i64(st, 9);
        now.v[7] = db_column_i64(st, 10);
        now.v[8] = db_column_i64(st, 11);
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0 || !may_see(req, &now, seller_id))
        return app_error_set(err, req->arena, "not_found", "no product %s", id);

    /* Count a view of a public product by anyone but its seller. */
    if (strcmp(now.product_status, "active") == 0 && (req->user_id == NULL || strcmp(req->user_id, seller_id) != 0))
        products__view_record(id, req->user_id);

    struct cache_slot *slot = cache_slot(id);
    if (slot->body == NULL || strcmp(slot->id, id) != 0 || memcmp(&slot->stamp, &now, sizeof now) != 0) {
        struct jsonw w;
        bool found;
        if (products__render_detail(req, id, &w, &found, err) != 0)
            return -1;
        if (!found)
            return app_error_set(err, req->arena, "not_found", "no product %s", id);
        free(slot->body);
        slot->body = xmalloc(w.sb.len);
        memcpy(slot->body, w.sb.data, w.sb.len);
        slot->len = w.sb.len;
        slot->stamp = now;
        copy_status(slot->id, sizeof slot->id, id);
    }
    res_bytes(req, 200, "application/json", slot->body, slot->len);
    return 0;
}
