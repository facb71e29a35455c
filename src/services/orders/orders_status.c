/*
 * orders_status.c — the order state machine: PATCH /orders/:id/status and
 * orders_carrier_delivered().
 *
 *   from             to           who
 *   pending_payment  cancelled    buyer (cancels the whole checkout: one payment covers it)
 *   paid             processing   seller
 *   paid             cancelled    buyer, seller (full refund through escrow_refund)
 *   processing       shipped      seller (carrier and tracking_number required; a shipment is recorded)
 *   processing       cancelled    seller (full refund)
 *   shipped          delivered    seller (or the carrier: orders_carrier_delivered)
 *   shipped          completed    buyer (confirms receipt: escrow_release)
 *   delivered        completed    buyer (or automatically after order_release_days)
 * Refund states (refunded, partially_refunded) are reached only through the
 * escrow hook (orders_money.c). An admin may make any move of the table.
 * Anything else is 409 invalid_state_transition listing the targets the
 * caller may choose from the current state (errors[].field "status",
 * code "allowed").
 *
 * Every move is a conditional UPDATE (WHERE status = from) plus a history
 * row in one transaction, with its side effects (shipment, escrow, stock).
 * A cancelled order's stock goes back (its reservations are released).
 */
#include <string.h>

#include "base/ids.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/escrow/escrow.h"
#include "services/orders/orders.h"
#include "services/orders/orders_int.h"
#include "services/payments/payments.h"
#include "services/shipping/shipping.h"

enum { WHO_BUYER = 1, WHO_SELLER = 2 };

static const struct transition {
    const char *from, *to;
    unsigned who;
} transitions[] = {
    {"pending_payment", "cancelled", WHO_BUYER},
    {"paid", "processing", WHO_SELLER},
    {"paid", "cancelled", WHO_BUYER | WHO_SELLER},
    {"processing", "shipped", WHO_SELLER},
    {"processing", "cancelled", WHO_SELLER},
    {"shipped", "delivered", WHO_SELLER},
    {"shipped", "completed", WHO_BUYER},
    {"delivered", "completed", WHO_BUYER},
};

#define NTRANSITIONS (sizeof transitions / sizeof transitions[0])

struct status_tx {
    struct request *req;
    const char *id, *to, *carrier, *tracking, *note;
    char from[24], buyer[ID_MAX_LEN], seller[ID_MAX_LEN], checkout[ID_MAX_LEN];
    int64_t total, refunded;
    unsigned who;
    struct orders_fail fail;
};

static int load(struct db *db, struct status_tx *t, struct db_error *dberr)
{
    struct request *req = t->req;
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_ORDER_FOR), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    db_bind(st, 3, DB_I64(orders__is_admin(req) ? 1 : 0));
    int rc = db_step(st, dberr);
    if (rc == 1) {
        snprintf(t->checkout, sizeof t->checkout, "%s", db_column_text(st, 1) ? db_column_text(st, 1) : "");
        snprintf(t->buyer, sizeof t->buyer, "%s", db_column_text(st, 2));
        snprintf(t->seller, sizeof t->seller, "%s", db_column_text(st, 3));
        snprintf(t->from, sizeof t->from, "%s", db_column_text(st, 5));
        t->total = db_column_i64(st, 9);
        t->refunded = db_column_i64(st, 10);
        t->who = orders__is_admin(req) ? (WHO_BUYER | WHO_SELLER) : 0;
        t->who |= strcmp(t->buyer, req->user_id) == 0 ? WHO_BUYER : 0;
        t->who |= strcmp(t->seller, req->user_id) == 0 ? WHO_SELLER : 0;
    }
    db_reset(st);
    if (rc == 0)
        t->fail = (struct orders_fail){.code = "not_found", .msg = "no such order"};
    return rc == 1 ? 0 : -1;
}

/* Is from → to allowed for who? If not, fill fail with the allowed targets. */
static int check_transition(struct status_tx *t)
{
    struct arena *a = t->req->arena;
    struct strbuf sb;
    strbuf_init(&sb, a, 64);
    for (size_t i = 0; i < NTRANSITIONS; i++) {
        if (strcmp(transitions[i].from, t->from) != 0 || (transitions[i].who & t->who) == 0)
            continue;
        if (strcmp(transitions[i].to, t->to) == 0)
            return 0;
        strbuf_printf(&sb, "%s%s", sb.len ? ", " : "", transitions[i].to);
        orders__fail_field(&t->fail, "status", "allowed", transitions[i].to);
    }
    t->fail.code = "invalid_state_transition";
    t->fail.msg = arena_sprintf(a, "an order cannot go from %s to %s", t->from, t->to);
    t->fail.detail = arena_sprintf(a, "allowed from %s: %s", t->from, sb.len ? sb.data : "none");
    return -1;
}

static int64_t move(struct db *db, struct status_tx *t, const char *order_id, const char *from, const char *to,
                    int64_t now, struct db_error *dberr)
{
    bool cancel = strcmp(to, "cancelled") == 0;
    struct db_param p[] = {DB_TEXT(order_id), DB_TEXT(from), DB_TEXT(to), DB_I64(now),
                           DB_TEXT(t->carrier), DB_TEXT(t->tracking), DB_TEXT(cancel ? t->note : NULL)};
    int64_t n = db_exec(db, orders__sql(ORDERS_Q_ORDER_MOVE), p, 7, dberr);
    if (n == 0)
        t->fail = (struct orders_fail){.code = "conflict", .msg = "the order changed meanwhile: try again"};
    if (n != 1)
        return -1;
    return orders__history(db, order_id, from, to, t->req->user_id, t->note, now, dberr);
}

/* pending_payment → cancelled: the whole checkout goes (one intent pays for all its orders). */
static int cancel_unpaid(struct db *db, struct status_tx *t, int64_t now, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_CHECKOUT_INTENT), dberr);
    char intent[ID_MAX_LEN] = "";
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->checkout));
    int rc = db_step(st, dberr);
    if (rc == 1 && db_column_text(st, 0))
        snprintf(intent, sizeof intent, "%s", db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return -1;
    rc = intent[0] ? payments_intent_cancel(db, intent, dberr) : 0;
    if (rc == 1)
        t->fail = (struct orders_fail){.code = "conflict", .msg = "the payment went through meanwhile: reload"};
    if (rc != 0)
        return -1;
    struct db_param ck[] = {DB_TEXT(t->checkout), DB_TEXT("awaiting_payment"), DB_TEXT("cancelled"), DB_I64(now)};
    if (db_exec(db, orders__sql(ORDERS_Q_CHECKOUT_MARK), ck, 4, dberr) < 0)
        return -1;
    st = db_prepare(db, orders__sql(ORDERS_Q_CHECKOUT_ORDERS), dberr);
    if (st == NULL)
        return -1;
    char ids[32][ID_MAX_LEN], sellers[32][ID_MAX_LEN];
    int n = 0;
    db_bind(st, 1, DB_TEXT(t->checkout));
    while ((rc = db_step(st, dberr)) == 1 && n < 32) {
        snprintf(ids[n], ID_MAX_LEN, "%s", db_column_text(st, 0));
        snprintf(sellers[n++], ID_MAX_LEN, "%s", db_column_text(st, 2));
    }
    db_reset(st);
    for (int i = 0; rc == 0 && i < n; i++)
        if (move(db, t, ids[i], "pending_payment", "cancelled", now, dberr) != 0 ||
            orders__release_stock(db, ids[i], false, now, dberr) != 0 ||
            orders__event(db, "order.cancelled", ids[i], t->buyer, sellers[i], dberr) != 0)
            return -1;
    return rc < 0 ? -1 : 0;
}

/* paid/processing → cancelled: refund what is left in full, put the stock back. */
static int cancel_paid(struct db *db, struct status_tx *t, int64_t now, struct db_error *dberr)
{
    char escrow_id[ID_MAX_LEN];
    if (move(db, t, t->id, t->from, "cancelled", now, dberr) != 0)
        return -1;
    int rc = escrow_find(db, t->id, NULL, escrow_id, dberr);
    if (rc < 0)
        return -1;
    if (rc == 1 && t->total > t->refunded) {
        rc = escrow_refund(db, escrow_id, t->total - t->refunded, "requested_by_customer", NULL, t->req->user_id,
                           NULL, dberr);
        if (rc == 1)
            t->fail = (struct orders_fail){.code = "conflict", .msg = "the escrow cannot be refunded (disputed?)"};
        if (rc != 0)
            return -1;
    }
    if (orders__release_stock(db, t->id, true, now, dberr) != 0)
        return -1;
    return orders__event(db, "order.cancelled", t->id, t->buyer, t->seller, dberr);
}

static int complete(struct db *db, struct status_tx *t, int64_t now, struct db_error *dberr)
{
    char escrow_id[ID_MAX_LEN];
    if (move(db, t, t->id, t->from, "completed", now, dberr) != 0)
        return -1;
    int rc = escrow_find(db, t->id, NULL, escrow_id, dberr);
    if (rc == 1)
        rc = escrow_release(db, escrow_id, t->req->user_id, dberr) == 0 ? 0 : -2;
    if (rc == -2 && dberr->kind == DB_E_NONE)
        t->fail = (struct orders_fail){.code = "conflict", .msg = "the escrow is disputed: it cannot be released"};
    return rc < 0 ? -1 : 0;
}

static int status_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct status_tx *t = arg;
    int64_t now = time_now_ms();
    t->fail = (struct orders_fail){0};
    if (load(db, t, dberr) != 0 || check_transition(t) != 0)
        return -1;
    if (strcmp(t->to, "cancelled") == 0)
        return strcmp(t->from, "pending_payment") == 0 ? cancel_unpaid(db, t, now, dberr)
                                                       : cancel_paid(db, t, now, dberr);
    if (strcmp(t->to, "completed") == 0)
        return complete(db, t, now, dberr);
    if (move(db, t, t->id, t->from, t->to, now, dberr) != 0)
        return -1;
    if (strcmp(t->to, "shipped") == 0) {
        char shipment[ID_MAX_LEN];
        if (shipping_shipment_create(db, t->id, t->carrier, t->tracking, shipment, dberr) != 0)
            return -1;
        return orders__event(db, "order.shipped", t->id, t->buyer, t->seller, dberr);
    }
    if (strcmp(t->to, "delivered") == 0)
        return orders__event(db, "order.delivered", t->id, t->buyer, t->seller, dberr);
    return 0;
}

int orders_handle_set_status(struct request *req, struct app_error *err)
{
    json_t *b = req->json;
    struct status_tx t = {.req = req,
                          .id = req_param(req, "id"),
                          .to = json_string_value(json_object_get(b, "status")),
                          .carrier = json_string_value(json_object_get(b, "carrier")),
                          .tracking = json_string_value(json_object_get(b, "tracking_number")),
                          .note = json_string_value(json_object_get(b, "note"))};
    if (strcmp(t.to, "shipped") == 0 && (t.carrier == NULL || t.tracking == NULL)) {
        if (t.carrier == NULL)
            app_error_add_field(err, req->arena, "carrier", "required", "the carrier is needed to ship");
        if (t.tracking == NULL)
            app_error_add_field(err, req->arena, "tracking_number", "required", "the tracking number is needed");
        return app_error_set(err, req->arena, "validation_failed", "shipping needs a carrier and a tracking number");
    }
    if (strcmp(t.to, "shipped") != 0)
        t.carrier = t.tracking = NULL;
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, status_tx, &t, &dberr) != 0)
        return orders__tx_error(req, &t.fail, &dberr, err);
    return orders_handle_get(req, err);
}

/*-----------------------------------------------------------------------------
 * The carrier's word
 */
int orders_carrier_delivered(struct db *tx, const char *order_id, struct db_error *err)
{
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(order_id), DB_TEXT("shipped"), DB_TEXT("delivered"), DB_I64(now),
                           DB_NULL,           DB_NULL,           DB_NULL};
    int64_t n = db_exec(tx, orders__sql(ORDERS_Q_ORDER_MOVE), p, 7, err);
    if (n <= 0)
        return (int)n;
    struct db_stmt *st = db_prepare(tx, orders__sql(ORDERS_Q_ORDER_FOR), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(order_id));
    db_bind(st, 2, DB_TEXT(""));
    db_bind(st, 3, DB_I64(1));
    int rc = db_step(st, err);
    char buyer[ID_MAX_LEN] = "", seller[ID_MAX_LEN] = "";
    if (rc == 1) {
        snprintf(buyer, sizeof buyer, "%s", db_column_text(st, 2));
        snprintf(seller, sizeof seller, "%s", db_column_text(st, 3));
    }
    db_reset(st);
    if (rc != 1 || orders__history(tx, order_id, "shipped", "delivered", NULL, "carrier reported delivery", now, err))
        return -1;
    return orders__event(tx, "order.delivered", order_id, buyer, seller, err);
}
