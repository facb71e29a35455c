/*
 * catalog_reviews.c — product reviews: the eligibility rule, writing a
 * review, the seller's one reply, moderation, and the public lists with
 * their rating summary.
 *
 * Aggregates: products.rating_sum / rating_count / rating_avg and
 * shops.rating_sum / rating_count always equal the sums over the
 * *published* reviews. Every change of that set (a new review, a
 * moderation that hides, removes or restores one) adjusts both rows with
 * exact integer increments in the same transaction as the change, so no
 * reader ever sees a review without its rating or the reverse. Increments
 * (never read-modify-write) keep concurrent reviews of one product correct
 * on PostgreSQL under READ COMMITTED too.
 *
 * One review per order item: the eligibility query refuses an item that
 * already has one, and the UNIQUE (order_item_id) constraint backs it when
 * two requests race (the loser's insert fails: 409, nothing counted).
 *
 * Moderation: published <-> hidden, and either -> removed, which is final.
 *
 * Caveats:
 *   - Reviews of a product that is no longer active are kept and still
 *     count for the shop, but only an active product's reviews are listed
 *     and only an active product can be reviewed.
 *   - The list's histogram is counted at read time (one grouped scan of
 *     the product's published reviews); average and count come from the
 *     product row. Both describe the same set by the invariant above.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "platform/events.h"
#include "services/catalog/catalog.h"
#include "http/cursor.h"
#include "services/catalog/catalog_int.h"

int catalog_review_eligible(struct db *db, const char *buyer_id, const char *product_id, const char *order_item_id,
                            struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, catalog__sql(CATALOG_Q_REVIEW_ELIGIBLE), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(order_item_id));
    db_bind(st, 2, DB_TEXT(product_id));
    db_bind(st, 3, DB_TEXT(buyer_id));
    int rc = db_step(st, err);
    db_reset(st);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Rendering
 */

/* One review from a row in REVIEW_COLS order (catalog_sql.c). */
static void write_review(struct request *req, struct jsonw *w, struct db_stmt *st)
{
    jw_obj(w);
    jw_kstr(w, "id", db_column_text(st, 0));
    jw_kstr(w, "product_id", db_column_text(st, 1));
    jw_kint(w, "rating", db_column_i64(st, 2));
    jw_kstr(w, "body", db_column_text(st, 3));
    jw_key(w, "media_ids");
    jw_raw(w, db_column_text(st, 4)); /* a JSON array written by this service */
    jw_kstr(w, "status", db_column_text(st, 5));
    jw_key(w, "buyer");
    jw_obj(w);
    jw_kstr(w, "id", db_column_text(st, 10));
    jw_kstr(w, "display_name", db_column_text(st, 11));
    jw_end(w);
    jw_key(w, "reply");
    if (db_column_is_null(st, 6)) {
        jw_null(w);
    } else {
        jw_obj(w);
        jw_kstr(w, "body", db_column_text(st, 6));
        jw_kstr(w, "created_at", req_time(req, db_column_i64(st, 7)));
        jw_end(w);
    }
    jw_kstr(w, "created_at", req_time(req, db_column_i64(st, 8)));
    jw_kstr(w, "updated_at", req_time(req, db_column_i64(st, 9)));
    jw_end(w);
}

/* Reply with review id (any status when all is set, else a published review of an active product). */
static int reply_review(struct request *req, int status, const char *id, bool all, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, catalog__sql(CATALOG_Q_REVIEW_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_I64(all));
    int rc = db_step(st, &dberr);
    struct jsonw w;
    jw_init(&w, req->arena, 1024);
    if (rc == 1)
        write_review(req, &w, st);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no review %s", id);
    res_jsonw(req, status, &w);
    return 0;
}

/* "rating": {average, count, histogram} over the published reviews of one product or shop. */
static int write_summary(struct request *req, struct jsonw *w, enum catalog_query histogram_q, const char *scope_id,
                         int64_t avg_hundredths, int64_t count, struct app_error *err)
{
    struct db_error dberr = {0};
    int64_t hist[6] = {0};
    struct db_stmt *st = db_prepare(req->db, catalog__sql(histogram_q), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(scope_id));
    int rc;
    while ((rc = db_step(st, &dberr)) == 1) {
        int64_t r = db_column_i64(st, 0);
        if (r >= 1 && r <= 5)
            hist[r] = db_column_i64(st, 1);
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    jw_key(w, "rating");
    jw_obj(w);
    /* An exact decimal from integer hundredths (4, 4.5, 4.33), never a binary float on the way; the same
       form as the rating of a product card. 0 when unrated. */
    char num[32];
    int64_t whole = avg_hundredths / 100, frac = avg_hundredths % 100;
    if (frac == 0)
        snprintf(num, sizeof num, "%lld", (long long)whole);
    else if (frac % 10 == 0)
        snprintf(num, sizeof num, "%lld.%lld", (long long)whole, (long long)(frac / 10));
    else
        snprintf(num, sizeof num, "%lld.%02lld", (long long)whole, (long long)frac);
    jw_key(w, "average");
    jw_raw(w, num);
    jw_kint(w, "count", count);
    jw_key(w, "histogram");
    jw_obj(w);
    for (int i = 1; i <= 5; i++) {
        char k[2] = {(char)('0' + i), '\0'};
        jw_kint(w, k, hist[i]);
    }
    jw_end(w);
    jw_end(w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Lists
 */
enum review_sort { SORT_NEWEST, SORT_RATING_DESC, SORT_RATING_ASC };

struct review_list {
    enum catalog_query q;           /* the page query */
    enum catalog_query histogram_q; /* the summary's histogram */
    const char *scope_id;           /* product or shop id ($1) */
    enum review_sort sort;
    int64_t avg_hundredths, count;
};

static int reply_list(struct request *req, const struct review_list *l, struct app_error *err)
{
    int nints = l->sort == SORT_NEWEST ? 1 : 2; /* cursor: [rating.]created_at.id */
    int64_t key[2];
    const char *after_id = NULL;
    bool has_cursor;
    if (req_cursor(req, nints, key, "rev", &after_id, &has_cursor, err) != 0)
        return -1;
    int64_t limit = req_param_i64(req, "limit", 20);
    struct db_param p[5];
    int n = 0;
    p[n++] = DB_TEXT(l->scope_id);
    for (int i = 0; i < nints; i++)
        p[n++] = has_cursor ? DB_I64(key[i]) : DB_NULL;
    p[n++] = DB_TEXT(after_id);
    p[n++] = DB_I64(limit + 1);

    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, catalog__sql(l->q), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind_all(st, p, n);
    struct jsonw w;
    jw_init(&w, req->arena, 4096);
    jw_obj(&w);
    jw_key(&w, "data");
    jw_arr(&w);
    int64_t rows = 0, last[2] = {0, 0};
    const char *last_id = NULL;
    int rc;
    while ((rc = db_step(st, &dberr)) == 1) {
        if (++rows > limit)
            break; /* the extra row only says that another page exists */
        write_review(req, &w, st);
        last[0] = l->sort == SORT_NEWEST ? db_column_i64(st, 8) : db_column_i64(st, 2);
        last[1] = db_column_i64(st, 8);
        last_id = arena_strdup(req->arena, db_column_text(st, 0));
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    jw_end(&w);
    jw_key(&w, "next_cursor");
    jw_str(&w, rows > limit ? req_cursor_make(req, nints, last, last_id) : NULL);
    if (write_summary(req, &w, l->histogram_q, l->scope_id, l->avg_hundredths, l->count, err) != 0)
        return -1;
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}

int catalog_handle_list_reviews(struct request *req, struct app_error *err)
{
    const char *product_id = req_param(req, "id");
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, catalog__sql(CATALOG_Q_PRODUCT_ACTIVE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(product_id));
    int rc = db_step(st, &dberr);
    struct review_list l = {
        .q = CATALOG_Q_REVIEWS_NEWEST, .histogram_q = CATALOG_Q_REVIEW_HISTOGRAM, .scope_id = product_id};
    if (rc == 1) {
        l.count = db_column_i64(st, 3);
        l.avg_hundredths = db_column_i64(st, 4);
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no product %s", product_id);
    const char *sort = req_param(req, "sort");
    if (sort != NULL && strcmp(sort, "rating_desc") == 0) {
        l.sort = SORT_RATING_DESC;
        l.q = CATALOG_Q_REVIEWS_RATING_DESC;
    } else if (sort != NULL && strcmp(sort, "rating_asc") == 0) {
        l.sort = SORT_RATING_ASC;
        l.q = CATALOG_Q_REVIEWS_RATING_ASC;
    }
    return reply_list(req, &l, err);
}

int catalog_handle_list_shop_reviews(struct request *req, struct app_error *err)
{
    const char *shop_id = req_param(req, "id");
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, catalog__sql(CATALOG_Q_SHOP_ACTIVE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(shop_id));
    int rc = db_step(st, &dberr);
    struct review_list l = {
        .q = CATALOG_Q_SHOP_REVIEWS_NEWEST, .histogram_q = CATALOG_Q_SHOP_REVIEW_HISTOGRAM, .scope_id = shop_id};
    if (rc == 1) {
        int64_t sum = db_column_i64(st, 0);
        l.count = db_column_i64(st, 1);
        /* The products' rounding (migrations/0005_catalog.sql), for the shop's totals. */
        l.avg_hundredths = l.count > 0 ? (sum * 100 + l.count / 2) / l.count : 0;
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no shop %s", shop_id);
    return reply_list(req, &l, err);
}

int catalog_handle_get_review(struct request *req, struct app_error *err)
{
    return reply_review(req, 200, req_param(req, "id"), catalog__is_admin(req), err);
}

/*-----------------------------------------------------------------------------
 * Writing a review
 */
struct create_tx {
    struct request *req;
    const char *id, *product_id, *item_id, *body, *media_text;
    int64_t rating;
    struct catalog_fail fail;
};

/* Adjust the product's and the shop's rating totals by (sum, count). */
static int add_rating(struct db *db, const char *product_id, const char *shop_id, int64_t sum, int64_t count,
                      struct db_error *dberr)
{
    struct db_param pp[] = {DB_TEXT(product_id), DB_I64(sum), DB_I64(count)};
    if (db_exec(db, catalog__sql(CATALOG_Q_PRODUCT_RATING_ADD), pp, 3, dberr) < 0)
        return -1;
    struct db_param sp[] = {DB_TEXT(shop_id), DB_I64(sum), DB_I64(count)};
    return db_exec(db, catalog__sql(CATALOG_Q_SHOP_RATING_ADD), sp, 3, dberr) < 0 ? -1 : 0;
}

/* 1 when query q with ($1, $2) returns a row, 0 when not, -1 on error. */
static int exists2(struct db *db, enum catalog_query q, const char *a, const char *b, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, catalog__sql(q), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(a));
    db_bind(st, 2, DB_TEXT(b));
    int rc = db_step(st, dberr);
    db_reset(st);
    return rc;
}

static int create_review(struct db *db, void *arg, struct db_error *dberr)
{
    struct create_tx *t = arg;
    struct request *req = t->req;
    struct db_stmt *st = db_prepare(db, catalog__sql(CATALOG_Q_PRODUCT_ACTIVE), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->product_id));
    int rc = db_step(st, dberr);
    const char *seller_id = NULL, *shop_id = NULL;
    if (rc == 1) {
        seller_id = arena_strdup(req->arena, db_column_text(st, 0));
        shop_id = arena_strdup(req->arena, db_column_text(st, 1));
    }
    db_reset(st);
    if (rc == 0)
        t->fail = (struct catalog_fail){"not_found", "no such product"};
    if (rc <= 0)
        return -1;

    rc = catalog_review_eligible(db, req->user_id, t->product_id, t->item_id, dberr);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        /* Not eligible; say 409 rather than 403 when the reason is the caller's own earlier review. */
        rc = exists2(db, CATALOG_Q_REVIEW_OF_ITEM_BY, t->item_id, req->user_id, dberr);
        if (rc == 1)
            t->fail = (struct catalog_fail){"already_exists", "you have already reviewed this order item"};
        else if (rc == 0)
            t->fail = (struct catalog_fail){"forbidden", "only the buyer of a delivered order item of this product "
                                                         "may review it, once per order item"};
        return -1;
    }

    json_t *media = json_object_get(req->json, "media_ids");
    size_t i;
    json_t *m;
    json_array_foreach(media, i, m)
    {
        rc = exists2(db, CATALOG_Q_MEDIA_OWNED, json_string_value(m), req->user_id, dberr);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            t->fail = (struct catalog_fail){"validation_failed", "is not a media object of yours",
                                            arena_sprintf(req->arena, "media_ids[%zu]", i), "not_found"};
            return -1;
        }
    }

    struct db_param p[] = {DB_TEXT(t->id),         DB_TEXT(t->product_id), DB_TEXT(t->item_id), DB_TEXT(req->user_id),
                           DB_TEXT(seller_id),     DB_TEXT(shop_id),       DB_I64(t->rating),   DB_TEXT(t->body),
                           DB_TEXT(t->media_text), DB_I64(time_now_ms())};
    if (db_exec(db, catalog__sql(CATALOG_Q_REVIEW_INSERT), p, 10, dberr) < 0)
        return -1;
    if (add_rating(db, t->product_id, shop_id, t->rating, 1, dberr) != 0)
        return -1;
    /* review.posted for outbound webhooks, in the review's transaction. */
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "review_id", t->id, "product_id", t->product_id,
                           "seller_id", seller_id, "shop_id", shop_id, "buyer_id", req->user_id, "rating",
                           (json_int_t)t->rating);
    rc = events_emit(db, "review.posted", ev, dberr);
    json_decref(ev);
    return rc;
}

int catalog_handle_create_review(struct request *req, struct app_error *err)
{
    json_t *b = req->json;
    json_t *media = json_object_get(b, "media_ids");
    const char *body = json_string_value(json_object_get(b, "body"));
    char *media_text = media ? json_dumps(media, JSON_COMPACT) : NULL;
    struct create_tx t = {.req = req,
                          .id = id_new(req->arena, "rev"),
                          .product_id = req_param(req, "id"),
                          .item_id = json_string_value(json_object_get(b, "order_item_id")),
                          .body = body ? body : "",
                          .media_text = arena_strdup(req->arena, media_text ? media_text : "[]"),
                          .rating = json_integer_value(json_object_get(b, "rating"))};
    free(media_text);
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, create_review, &t, &dberr) != 0)
        return catalog__tx_error(req, &t.fail, &dberr, "already_exists", "this order item has already been reviewed",
                                 err);
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/reviews/%s", t.id));
    return reply_review(req, 201, t.id, true, err);
}

/*-----------------------------------------------------------------------------
 * Seller reply
 */
int catalog_handle_reply_review(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(req->user_id),
                           DB_TEXT(json_string_value(json_object_get(req->json, "body"))), DB_I64(now)};
    struct db_error dberr = {0};
    int64_t n = db_exec(req->db, catalog__sql(CATALOG_Q_REVIEW_REPLY), p, 4, &dberr);
    if (n < 0)
        return req_db_error(req, &dberr, err);
    if (n == 0) {
        /* Nothing written: say why (the statement itself enforced ownership and "once"). */
        struct db_stmt *st = db_prepare(req->db, catalog__sql(CATALOG_Q_REVIEW_REPLY_STATE), &dberr);
        if (st == NULL)
            return req_db_error(req, &dberr, err);
        db_bind(st, 1, DB_TEXT(id));
        int rc = db_step(st, &dberr);
        bool mine = rc == 1 && strcmp(db_column_text(st, 0), req->user_id) == 0;
        bool replied = rc == 1 && db_column_i64(st, 1) != 0;
        bool removed = rc == 1 && strcmp(db_column_text(st, 2), "removed") == 0;
        db_reset(st);
        if (rc < 0)
            return req_db_error(req, &dberr, err);
        if (rc == 0 || removed)
            return app_error_set(err, req->arena, "not_found", "no review %s", id);
        if (!mine)
            return app_error_set(err, req->arena, "forbidden", "only the seller of the product may reply");
        if (replied)
            return app_error_set(err, req->arena, "already_exists", "the review already has a reply");
        return app_error_set(err, req->arena, "conflict", "the review changed meanwhile; retry");
    }
    return reply_review(req, 200, id, true, err);
}

/*-----------------------------------------------------------------------------
 * Moderation (admin)
 */
struct moderate_tx {
    struct request *req;
    const char *id, *status;
    struct catalog_fail fail;
};

static int moderate_review(struct db *db, void *arg, struct db_error *dberr)
{
    struct moderate_tx *t = arg;
    struct request *req = t->req;
    struct db_stmt *st = db_prepare(db, catalog__sql(CATALOG_Q_REVIEW_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->id));
    int rc = db_step(st, dberr);
    const char *product_id = NULL, *shop_id = NULL, *old = NULL;
    int64_t rating = 0;
    if (rc == 1) {
        product_id = arena_strdup(req->arena, db_column_text(st, 0));
        shop_id = arena_strdup(req->arena, db_column_text(st, 1));
        rating = db_column_i64(st, 2);
        old = arena_strdup(req->arena, db_column_text(st, 3));
    }
    db_reset(st);
    if (rc == 0)
        t->fail = (struct catalog_fail){"not_found", "no such review"};
    if (rc <= 0)
        return -1;
    if (strcmp(old, t->status) == 0)
        return 0; /* already so: nothing to count again */
    if (strcmp(old, "removed") == 0) {
        t->fail = (struct catalog_fail){"invalid_state_transition", "a removed review stays removed"};
        return -1;
    }
    struct db_param p[] = {DB_TEXT(t->id), DB_TEXT(t->status), DB_I64(time_now_ms())};
    if (db_exec(db, catalog__sql(CATALOG_Q_REVIEW_SET_STATUS), p, 3, dberr) < 0)
        return -1;
    bool was = strcmp(old, "published") == 0, is = strcmp(t->status, "published") == 0;
    if (was != is && add_rating(db, product_id, shop_id, is ? rating : -rating, is ? 1 : -1, dberr) != 0)
        return -1;
    const char *data = arena_sprintf(req->arena, "{\"from\":\"%s\",\"to\":\"%s\"}", old, t->status);
    return catalog__audit(db, req, "review.moderate", "review", t->id, data, dberr);
}

int catalog_handle_moderate_review(struct request *req, struct app_error *err)
{
    struct moderate_tx t = {
        .req = req, .id = req_param(req, "id"), .status = json_string_value(json_object_get(req->json, "status"))};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, moderate_review, &t, &dberr) != 0)
        return catalog__tx_error(req, &t.fail, &dberr, NULL, NULL, err);
    return reply_review(req, 200, t.id, true, err);
}
