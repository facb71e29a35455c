/*
 * orders_read.c — GET /orders (buyer: mine; ?role=seller: orders to fulfil)
 * and GET /orders/:id (buyer, seller or admin) with items, status history,
 * shipments, the payment intent and the escrow.
 *
 * Lists are newest first with a keyset cursor "<created_at>.<order id>".
 * The visibility rule is in the SQL (buyer_id = me OR seller_id = me), so a
 * stranger's order is 404, never 403.
 *
 * Caveats: escrow details are the escrow service's (GET /escrow/:id); the
 * order shows its escrow id only.
 */
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "db/db.h"
#include "http/cursor.h"
#include "http/jsonw.h"
#include "services/escrow/escrow.h"
#include "services/orders/orders_int.h"

#define DEFAULT_LIMIT 20

static void ktime(struct request *req, struct jsonw *w, struct db_stmt *st, const char *key, int col)
{
    if (db_column_is_null(st, col))
        jw_kstr(w, key, NULL);
    else
        jw_kstr(w, key, req_time(req, db_column_i64(st, col)));
}

/* The order's own fields (ORDER_COLS), without closing the object. */
static void write_order_fields(struct request *req, struct jsonw *w, struct db_stmt *st)
{
    const char *cur = db_column_text(st, 12);
    jw_kstr(w, "id", db_column_text(st, 0));
    jw_kstr(w, "checkout_id", db_column_text(st, 1));
    jw_kstr(w, "buyer_id", db_column_text(st, 2));
    jw_kstr(w, "seller_id", db_column_text(st, 3));
    jw_kstr(w, "shop_id", db_column_text(st, 4));
    jw_kstr(w, "status", db_column_text(st, 5));
    jw_kmoney(w, "subtotal", db_column_i64(st, 6), cur);
    jw_kmoney(w, "shipping", db_column_i64(st, 7), cur);
    jw_kmoney(w, "tax", db_column_i64(st, 8), cur);
    jw_kmoney(w, "total", db_column_i64(st, 9), cur);
    jw_kmoney(w, "refunded", db_column_i64(st, 10), cur);
    jw_kmoney(w, "fee", db_column_i64(st, 11), cur);
    jw_kint(w, "commission_bps", db_column_i64(st, 13));
    jw_key(w, "shipping_address");
    jw_raw(w, db_column_text(st, 14));
    jw_kstr(w, "note", db_column_text(st, 15));
    jw_kstr(w, "carrier", db_column_text(st, 16));
    jw_kstr(w, "tracking_number", db_column_text(st, 17));
    ktime(req, w, st, "paid_at", 18);
    ktime(req, w, st, "shipped_at", 19);
    ktime(req, w, st, "delivered_at", 20);
    ktime(req, w, st, "completed_at", 21);
    ktime(req, w, st, "cancelled_at", 22);
    ktime(req, w, st, "created_at", 23);
    ktime(req, w, st, "updated_at", 24);
}

/*-----------------------------------------------------------------------------
 * GET /orders
 */
int orders_handle_list(struct request *req, struct app_error *err)
{
    const char *role = req_param(req, "role");
    bool seller = role != NULL && strcmp(role, "seller") == 0;
    int64_t limit = req_param_i64(req, "limit", DEFAULT_LIMIT), at = -1;
    const char *after = NULL;
    if (req_cursor_at(req, "ord", &at, &after, err) != 0)
        return -1;
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, orders__sql(seller ? ORDERS_Q_LIST_SELLER : ORDERS_Q_LIST_BUYER), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    struct db_param p[] = {DB_TEXT(req->user_id), DB_TEXT(req_param(req, "status")), after ? DB_I64(at) : DB_NULL,
                           DB_TEXT(after), DB_I64(limit + 1)};
    db_bind_all(st, p, 5);
    struct jsonw w;
    jw_init(&w, req->arena, 4096);
    jw_obj(&w);
    jw_key(&w, "data");
    jw_arr(&w);
    int rc, n = 0;
    const char *next = NULL;
    while ((rc = db_step(st, &dberr)) == 1) {
        if (n == limit) {
            next = req_cursor_at_make(req, at, after);
            break;
        }
        jw_obj(&w);
        write_order_fields(req, &w, st);
        jw_end(&w);
        at = db_column_i64(st, 23);
        after = arena_strdup(req->arena, db_column_text(st, 0));
        n++;
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    jw_end(&w);
    jw_kstr(&w, "next_cursor", next);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * GET /orders/:id
 */
static int write_items(struct request *req, struct jsonw *w, const char *id, const char *cur, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, orders__sql(ORDERS_Q_ORDER_ITEMS), dberr);
    int rc;
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    jw_key(w, "items");
    jw_arr(w);
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "product_id", db_column_text(st, 1));
        jw_kstr(w, "variant_id", db_column_text(st, 2));
        jw_kstr(w, "title", db_column_text(st, 3));
        jw_kstr(w, "variant_name", db_column_text(st, 4));
        jw_kstr(w, "sku", db_column_text(st, 5));
        jw_kmoney(w, "unit_price", db_column_i64(st, 6), cur);
        jw_kint(w, "quantity", db_column_i64(st, 7));
        jw_kmoney(w, "line_total", db_column_i64(st, 8), cur);
        jw_key(w, "personalization");
        jw_raw(w, db_column_text(st, 9));
        jw_end(w);
    }
    jw_end(w);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int write_history(struct request *req, struct jsonw *w, const char *id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, orders__sql(ORDERS_Q_ORDER_HISTORY), dberr);
    int rc;
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    jw_key(w, "history");
    jw_arr(w);
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "from", db_column_text(st, 0));
        jw_kstr(w, "to", db_column_text(st, 1));
        jw_kstr(w, "actor_id", db_column_text(st, 2));
        jw_kstr(w, "note", db_column_text(st, 3));
        ktime(req, w, st, "at", 4);
        jw_end(w);
    }
    jw_end(w);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int write_shipments(struct request *req, struct jsonw *w, const char *id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, orders__sql(ORDERS_Q_ORDER_SHIPMENTS), dberr);
    int rc;
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    jw_key(w, "shipments");
    jw_arr(w);
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "carrier", db_column_text(st, 1));
        jw_kstr(w, "tracking_number", db_column_text(st, 2));
        jw_kstr(w, "status", db_column_text(st, 3));
        ktime(req, w, st, "shipped_at", 4);
        ktime(req, w, st, "delivered_at", 5);
        jw_end(w);
    }
    jw_end(w);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int write_money_refs(struct request *req, struct jsonw *w, const char *id, const char *checkout_id,
                            struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, orders__sql(ORDERS_Q_CHECKOUT_INTENT), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(checkout_id));
    int rc = db_step(st, dberr);
    jw_kstr(w, "payment_intent_id", rc == 1 ? db_column_text(st, 0) : NULL);
    jw_kstr(w, "checkout_status", rc == 1 ? db_column_text(st, 1) : NULL);
    db_reset(st);
    if (rc < 0)
        return -1;
    char escrow_id[ID_MAX_LEN];
    rc = escrow_find(req->db, id, NULL, escrow_id, dberr);
    jw_kstr(w, "escrow_id", rc == 1 ? escrow_id : NULL);
    return 0; /* an escrow lookup failure only hides the id */
}

int orders_handle_get(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, orders__sql(ORDERS_Q_ORDER_FOR), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    db_bind(st, 3, DB_I64(orders__is_admin(req) ? 1 : 0));
    int rc = db_step(st, &dberr);
    struct jsonw w;
    jw_init(&w, req->arena, 4096);
    char cur[4] = "", checkout[ID_MAX_LEN] = "";
    if (rc == 1) {
        jw_obj(&w);
        write_order_fields(req, &w, st);
        snprintf(cur, sizeof cur, "%s", db_column_text(st, 12));
        snprintf(checkout, sizeof checkout, "%s", db_column_text(st, 1) ? db_column_text(st, 1) : "");
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no such order");
    if (write_items(req, &w, id, cur, &dberr) != 0 || write_history(req, &w, id, &dberr) != 0 ||
        write_shipments(req, &w, id, &dberr) != 0 || write_money_refs(req, &w, id, checkout, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}
