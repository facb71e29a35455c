/*
 * catalog_wishlists.c — a buyer's wishlist: add, remove, list.
 *
 * POST /wishlist {product_id} is idempotent: the row is inserted with
 * ON CONFLICT DO NOTHING, and only a new row moves the product's
 * wishlist_count (and popularity, through the one formula
 * PRODUCTS_POPULARITY_SQL) in the same transaction, so the counter equals
 * the number of rows however often or concurrently the same product is
 * added. DELETE moves it back only when a row was deleted.
 *
 * The list is newest first with a keyset cursor on (added_at, product id)
 * and renders each entry as the products service's card
 * (products_write_cards) plus "added_at".
 *
 * Caveats: an entry whose product is no longer public (archived, removed,
 * back to draft, or its shop closed) is skipped in the list, not shown as
 * unavailable: the row is kept, so the entry comes back if the product is
 * published again, and DELETE still removes it. Only public products can
 * be added.
 */
#include <string.h>

#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/catalog/catalog.h"
#include "http/cursor.h"
#include "services/catalog/catalog_int.h"
#include "services/products/products.h"

/* Move the product's wishlist_count by delta and recompute its popularity. */
static int count_wish(struct db *db, const char *product_id, int64_t delta, struct db_error *dberr)
{
    struct db_param p[] = {DB_TEXT(product_id), DB_I64(delta)};
    if (db_exec(db, catalog__sql(CATALOG_Q_PRODUCT_WISHLIST_ADD), p, 2, dberr) < 0)
        return -1;
    return db_exec(db, catalog__sql(CATALOG_Q_PRODUCT_POPULARITY), p, 1, dberr) < 0 ? -1 : 0;
}

int catalog_wishlists_erase_user(struct db *db, const char *user_id, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(user_id)};
    if (db_exec(db, catalog__sql(CATALOG_Q_WISHLIST_ERASE_COUNTS), p, 1, err) < 0 ||
        db_exec(db, catalog__sql(CATALOG_Q_WISHLIST_ERASE_POPULARITY), p, 1, err) < 0)
        return -1;
    return db_exec(db, catalog__sql(CATALOG_Q_WISHLIST_ERASE), p, 1, err) < 0 ? -1 : 0;
}

/*-----------------------------------------------------------------------------
 * Add
 */
struct add_tx {
    struct request *req;
    const char *product_id;
    bool added; /* a new row */
    int64_t added_at;
    struct catalog_fail fail;
};

static int add_wish(struct db *db, void *arg, struct db_error *dberr)
{
    struct add_tx *t = arg;
    struct request *req = t->req;
    struct db_stmt *st = db_prepare(db, catalog__sql(CATALOG_Q_PRODUCT_ACTIVE), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->product_id));
    int rc = db_step(st, dberr);
    db_reset(st);
    if (rc == 0)
        t->fail = (struct catalog_fail){"not_found", "no such product"};
    if (rc <= 0)
        return -1;
    struct db_param p[] = {DB_TEXT(req->user_id), DB_TEXT(t->product_id), DB_I64(time_now_ms())};
    int64_t n = db_exec(db, catalog__sql(CATALOG_Q_WISHLIST_INSERT), p, 3, dberr);
    if (n < 0)
        return -1;
    t->added = n > 0;
    if (t->added && count_wish(db, t->product_id, 1, dberr) != 0)
        return -1;
    st = db_prepare(db, catalog__sql(CATALOG_Q_WISHLIST_ADDED_AT), dberr);
    if (st == NULL)
        return -1;
    db_bind_all(st, p, 2);
    rc = db_step(st, dberr);
    t->added_at = rc == 1 ? db_column_i64(st, 0) : 0;
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

int catalog_handle_add_wishlist(struct request *req, struct app_error *err)
{
    struct add_tx t = {.req = req, .product_id = json_string_value(json_object_get(req->json, "product_id"))};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, add_wish, &t, &dberr) != 0)
        return catalog__tx_error(req, &t.fail, &dberr, NULL, NULL, err);
    struct jsonw w;
    jw_init(&w, req->arena, 128);
    jw_obj(&w);
    jw_kstr(&w, "product_id", t.product_id);
    jw_kstr(&w, "added_at", req_time(req, t.added_at));
    jw_end(&w);
    if (t.added)
        res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/wishlist/%s", t.product_id));
    res_jsonw(req, t.added ? 201 : 200, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Remove
 */
struct remove_tx {
    struct request *req;
    const char *product_id;
    bool missing;
};

static int remove_wish(struct db *db, void *arg, struct db_error *dberr)
{
    struct remove_tx *t = arg;
    struct db_param p[] = {DB_TEXT(t->req->user_id), DB_TEXT(t->product_id)};
    int64_t n = db_exec(db, catalog__sql(CATALOG_Q_WISHLIST_DELETE), p, 2, dberr);
    if (n < 0)
        return -1;
    if (n == 0) {
        t->missing = true;
        return -1;
    }
    return count_wish(db, t->product_id, -1, dberr);
}

int catalog_handle_remove_wishlist(struct request *req, struct app_error *err)
{
    struct remove_tx t = {.req = req, .product_id = req_param(req, "id")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, remove_wish, &t, &dberr) != 0) {
        struct catalog_fail fail = {0};
        if (t.missing)
            fail = (struct catalog_fail){"not_found", "the product is not in your wishlist"};
        return catalog__tx_error(req, &fail, &dberr, NULL, NULL, err);
    }
    res_empty(req, 204);
    return 0;
}

/*-----------------------------------------------------------------------------
 * List
 */
static void write_added_at(struct jsonw *w, size_t i, void *ctx)
{
    const char *const *added = ctx;
    jw_kstr(w, "added_at", added[i]);
}

int catalog_handle_list_wishlist(struct request *req, struct app_error *err)
{
    int64_t key[1];
    const char *after_id = NULL;
    bool has_cursor;
    if (req_cursor(req, 1, key, "prd", &after_id, &has_cursor, err) != 0)
        return -1;
    int64_t limit = req_param_i64(req, "limit", 20);
    struct db_param p[] = {DB_TEXT(req->user_id), has_cursor ? DB_I64(key[0]) : DB_NULL, DB_TEXT(after_id),
                           DB_I64(limit + 1)};
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, catalog__sql(CATALOG_Q_WISHLIST_PAGE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind_all(st, p, 4);
    const char **ids = arena_array(req->arena, const char *, (size_t)limit + 1);
    const char **added = arena_array(req->arena, const char *, (size_t)limit + 1);
    int64_t *added_ms = arena_array(req->arena, int64_t, (size_t)limit + 1);
    size_t n = 0;
    int rc;
    while ((rc = db_step(st, &dberr)) == 1 && n < (size_t)limit + 1) {
        ids[n] = arena_strdup(req->arena, db_column_text(st, 0));
        added_ms[n] = db_column_i64(st, 1);
        added[n] = req_time(req, added_ms[n]);
        n++;
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    bool more = n > (size_t)limit;
    if (more)
        n = (size_t)limit;
    struct jsonw w;
    jw_init(&w, req->arena, 512 + n * 512);
    jw_obj(&w);
    jw_key(&w, "data");
    if (products_write_cards(req, &w, ids, n, write_added_at, added, err) != 0)
        return -1;
    jw_key(&w, "next_cursor");
    jw_str(&w, more ? req_cursor_make(req, 1, &added_ms[n - 1], ids[n - 1]) : NULL);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}
