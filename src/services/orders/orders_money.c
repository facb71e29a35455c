/*
 * orders_money.c — where orders meet money: the payment hook of checkouts,
 * the escrow hook of orders, expiry of unpaid checkouts and the automatic
 * completion of delivered orders (one ticker).
 *
 * Paid (payments_on_succeeded "checkout", inside the transaction that
 * records the payment): if the checkout is still awaiting_payment it
 * becomes paid, each order pending_payment → paid, its reservations are
 * committed, sales counted, and its total held in escrow (escrow_hold, the
 * commission fixed at sale) — event order.paid. If the checkout expired
 * first (its stock went back), the money is given back: ledger
 * unallocated refund + payments_refund_request.
 *
 * Expiry (ticker, every ORDERS_TICK_MS): a checkout awaiting_payment past
 * expires_at is marked expired (conditional update), then its intent is
 * cancelled (payments_intent_cancel): 0 → its orders are cancelled and the
 * reserved stock put back; 1 → it was paid meanwhile: the transaction is
 * rolled back and the payment hook has done or will do the rest.
 *
 * Auto-completion (same ticker): delivered orders older than
 * order_release_days with no dispute are completed and their escrow
 * released (escrow_release).
 *
 * Caveats: the ticker runs in every serve process; the conditional updates
 * make concurrent runs harmless. Auto-completion skips orders whose escrow
 * is disputed by reading escrows (the escrow service's table) in its
 * selection query only.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/ledger.h"
#include "platform/search.h"
#include "platform/ticker.h"
#include "services/escrow/escrow.h"
#include "services/orders/orders_int.h"
#include "services/payments/payments.h"
#include "services/products/products.h"

#define ORDERS_TICK_MS 1000
#define MAX_ROWS 64

static struct ticker *tick;

struct order_row {
    char id[ID_MAX_LEN], buyer[ID_MAX_LEN], seller[ID_MAX_LEN], currency[4], status[24];
    int64_t total;
    int bps;
};

/* The orders of a checkout (at most MAX_ROWS). Returns how many, or -1. */
static int checkout_orders(struct db *db, const char *checkout_id, struct order_row *out, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_CHECKOUT_ORDERS), err);
    int rc, n = 0;
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(checkout_id));
    while ((rc = db_step(st, err)) == 1 && n < MAX_ROWS) {
        struct order_row *o = &out[n++];
        snprintf(o->id, sizeof o->id, "%s", db_column_text(st, 0));
        snprintf(o->buyer, sizeof o->buyer, "%s", db_column_text(st, 1));
        snprintf(o->seller, sizeof o->seller, "%s", db_column_text(st, 2));
        o->total = db_column_i64(st, 3);
        snprintf(o->currency, sizeof o->currency, "%s", db_column_text(st, 4));
        o->bps = (int)db_column_i64(st, 5);
        snprintf(o->status, sizeof o->status, "%s", db_column_text(st, 6));
    }
    db_reset(st);
    return rc < 0 ? -1 : n;
}

/* Conditional move of one order; returns rows changed (0 or 1) or -1. */
static int64_t move(struct db *db, const char *order_id, const char *from, const char *to, int64_t now,
                    const char *reason, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(order_id), DB_TEXT(from), DB_TEXT(to), DB_I64(now),
                           DB_NULL,           DB_NULL,      DB_TEXT(reason)};
    return db_exec(db, orders__sql(ORDERS_Q_ORDER_MOVE), p, 7, err);
}

/*-----------------------------------------------------------------------------
 * Stock back
 */
struct rsv {
    char id[ID_MAX_LEN], product[ID_MAX_LEN], variant[ID_MAX_LEN];
    int64_t qty;
};

static int put_back(struct db *db, const struct rsv *r, int64_t now, struct db_error *err)
{
    struct db_param rel[] = {DB_TEXT(r->id), DB_I64(now)};
    int64_t n = db_exec(db, orders__sql(ORDERS_Q_RESERVATION_RELEASE), rel, 2, err);
    if (n <= 0)
        return (int)n;
    bool variant = r->variant[0] != '\0';
    struct db_stmt *st = db_prepare(db, orders__sql(variant ? ORDERS_Q_VARIANT_PUT_BACK : ORDERS_Q_PRODUCT_PUT_BACK),
                                    err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(variant ? r->variant : r->product));
    db_bind(st, 2, DB_I64(r->qty));
    db_bind(st, 3, DB_I64(now));
    int rc = db_step(st, err);
    int64_t stock = rc == 1 ? db_column_i64(st, 0) : -1;
    db_reset(st);
    if (rc < 0 || products_refresh_stock(db, r->product, err) != 0)
        return -1;
    return stock == r->qty ? search_sync_product(db, r->product, err) : 0;
}

int orders__release_stock(struct db *db, const char *order_id, bool committed_too, int64_t now,
                          struct db_error *err)
{
    struct rsv rs[MAX_ROWS];
    int n = 0, rc;
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_OPEN_RESERVATIONS), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(order_id));
    db_bind(st, 2, DB_I64(committed_too ? 1 : 0));
    while ((rc = db_step(st, err)) == 1 && n < MAX_ROWS) {
        const char *v = db_column_text(st, 2);
        snprintf(rs[n].id, sizeof rs[n].id, "%s", db_column_text(st, 0));
        snprintf(rs[n].product, sizeof rs[n].product, "%s", db_column_text(st, 1));
        snprintf(rs[n].variant, sizeof rs[n].variant, "%s", v ? v : "");
        rs[n++].qty = db_column_i64(st, 3);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (put_back(db, &rs[i], now, err) < 0)
            return -1;
    return 0;
}

/*-----------------------------------------------------------------------------
 * The payment hook
 */
static int count_sales(struct db *db, const char *order_id, struct db_error *err)
{
    char products[MAX_ROWS][ID_MAX_LEN];
    int64_t qty[MAX_ROWS];
    int n = 0, rc;
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_ORDER_ITEMS_QTY), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(order_id));
    while ((rc = db_step(st, err)) == 1 && n < MAX_ROWS) {
        snprintf(products[n], ID_MAX_LEN, "%s", db_column_text(st, 0));
        qty[n++] = db_column_i64(st, 1);
    }
    db_reset(st);
    for (int i = 0; rc == 0 && i < n; i++) {
        struct db_param p[] = {DB_TEXT(products[i]), DB_I64(qty[i])};
        if (db_exec(db, orders__sql(ORDERS_Q_PRODUCT_SALES_ADD), p, 2, err) < 0 ||
            db_exec(db, orders__sql(ORDERS_Q_PRODUCT_POPULARITY), p, 1, err) < 0)
            return -1;
    }
    return rc < 0 ? -1 : 0;
}

static int hold_order(struct db *db, const struct payments_succeeded *s, const struct order_row *o, int64_t now,
                      struct db_error *err)
{
    int64_t n = move(db, o->id, "pending_payment", "paid", now, NULL, err);
    if (n <= 0)
        return (int)n;
    struct db_param c[] = {DB_TEXT(o->id), DB_I64(now)};
    if (db_exec(db, orders__sql(ORDERS_Q_ORDER_RESERVATIONS_COMMIT), c, 2, err) < 0 ||
        orders__history(db, o->id, "pending_payment", "paid", NULL, NULL, now, err) != 0 ||
        count_sales(db, o->id, err) != 0)
        return -1;
    struct escrow_hold_req h = {.order_id = o->id,
                                .payment_intent_id = s->intent_id,
                                .payment_id = s->payment_id,
                                .buyer_id = o->buyer,
                                .seller_id = o->seller,
                                .amount = o->total,
                                .currency = o->currency,
                                .commission_bps = o->bps,
                                .transfer_group = s->ref_id};
    char escrow_id[ID_MAX_LEN];
    if (escrow_hold(db, &h, escrow_id, err) != 0)
        return -1;
    return orders__event(db, "order.paid", o->id, o->buyer, o->seller, err);
}

/* The checkout is no longer waiting (expired or cancelled): the money goes back. */
static int give_back(struct db *db, const struct payments_succeeded *s, struct db_error *err)
{
    char idem[80];
    snprintf(idem, sizeof idem, "unallocated:%s", s->intent_id);
    struct ledger_ref ref = {.ref_type = "checkout", .ref_id = s->ref_id, .idem_key = idem,
                             .description = "payment arrived after the checkout expired", .currency = s->currency};
    int rc = ledger_refund_unallocated(db, &ref, s->buyer_id, s->amount, err);
    if (rc == LEDGER_DUPLICATE)
        return 0;
    if (rc != LEDGER_OK)
        return -1;
    struct payments_refund_req r = {.payment_id = s->payment_id, .amount = s->amount, .currency = s->currency,
                                    .reason = "requested_by_customer"};
    char refund_id[ID_MAX_LEN];
    return payments_refund_request(db, &r, refund_id, err) < 0 ? -1 : 0;
}

static int on_checkout_paid(struct db *db, const struct payments_succeeded *s, struct db_error *err)
{
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(s->ref_id), DB_TEXT("awaiting_payment"), DB_TEXT("paid"), DB_I64(now)};
    int64_t n = db_exec(db, orders__sql(ORDERS_Q_CHECKOUT_MARK), p, 4, err);
    if (n < 0)
        return -1;
    if (n == 0)
        return give_back(db, s, err);
    struct order_row os[MAX_ROWS];
    int k = checkout_orders(db, s->ref_id, os, err);
    for (int i = 0; i < k; i++)
        if (hold_order(db, s, &os[i], now, err) < 0)
            return -1;
    return k < 0 ? -1 : 0;
}

/*-----------------------------------------------------------------------------
 * The escrow hook
 */
static int on_escrow(struct db *db, const struct escrow_event *ev, struct db_error *err)
{
    if (ev->order_id == NULL)
        return 0;
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_ORDER_FOR), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(ev->order_id));
    db_bind(st, 2, DB_TEXT(""));
    db_bind(st, 3, DB_I64(1));
    int rc = db_step(st, err);
    char status[24] = "", buyer[ID_MAX_LEN] = "", seller[ID_MAX_LEN] = "";
    int64_t total = 0;
    if (rc == 1) {
        snprintf(status, sizeof status, "%s", db_column_text(st, 5));
        snprintf(buyer, sizeof buyer, "%s", db_column_text(st, 2));
        snprintf(seller, sizeof seller, "%s", db_column_text(st, 3));
        total = db_column_i64(st, 9);
    }
    db_reset(st);
    if (rc <= 0)
        return rc < 0 ? -1 : 0;
    int64_t now = time_now_ms();
    const char *to = NULL;
    if (strcmp(ev->what, "refunded") == 0 || (strcmp(ev->what, "resolved") == 0 && ev->refunded_total > 0)) {
        struct db_param p[] = {DB_TEXT(ev->order_id), DB_I64(ev->refunded_total), DB_I64(now)};
        if (db_exec(db, orders__sql(ORDERS_Q_ORDER_SET_REFUNDED), p, 3, err) < 0)
            return -1;
        if (strcmp(status, "cancelled") != 0)
            to = ev->refunded_total >= total ? "refunded" : "partially_refunded";
    } else if (strcmp(ev->what, "released") == 0 || strcmp(ev->what, "resolved") == 0) {
        if (strcmp(status, "shipped") == 0 || strcmp(status, "delivered") == 0)
            to = "completed";
    }
    if (to == NULL || strcmp(to, status) == 0)
        return 0;
    if (move(db, ev->order_id, status, to, now, NULL, err) < 0 ||
        orders__history(db, ev->order_id, status, to, ev->actor_id, ev->what, now, err) != 0)
        return -1;
    return strcmp(to, "completed") == 0 ? 0 : orders__event(db, "order.refunded", ev->order_id, buyer, seller, err);
}

/*-----------------------------------------------------------------------------
 * The ticker: expiry and auto-completion
 */
struct expire_ctx {
    const char *checkout_id;
    bool paid;
};

static int expire_tx(struct db *db, void *arg, struct db_error *err)
{
    struct expire_ctx *x = arg;
    int64_t now = time_now_ms();
    char intent[ID_MAX_LEN] = "";
    struct db_param p[] = {DB_TEXT(x->checkout_id), DB_TEXT("awaiting_payment"), DB_TEXT("expired"), DB_I64(now)};
    int64_t n = db_exec(db, orders__sql(ORDERS_Q_CHECKOUT_MARK), p, 4, err);
    if (n <= 0)
        return (int)n;
    struct db_stmt *st = db_prepare(db, orders__sql(ORDERS_Q_CHECKOUT_INTENT), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(x->checkout_id));
    int rc = db_step(st, err);
    if (rc == 1 && db_column_text(st, 0) != NULL)
        snprintf(intent, sizeof intent, "%s", db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return -1;
    rc = intent[0] ? payments_intent_cancel(db, intent, err) : 0;
    if (rc != 0) {
        x->paid = rc == 1;
        return -1;
    }
    struct order_row os[MAX_ROWS];
    int k = checkout_orders(db, x->checkout_id, os, err);
    for (int i = 0; i < k; i++) {
        if (move(db, os[i].id, "pending_payment", "cancelled", now, "checkout expired", err) < 0 ||
            orders__history(db, os[i].id, "pending_payment", "cancelled", NULL, "checkout expired", now, err) != 0 ||
            orders__release_stock(db, os[i].id, false, now, err) != 0 ||
            orders__event(db, "order.cancelled", os[i].id, os[i].buyer, os[i].seller, err) != 0)
            return -1;
    }
    return k < 0 ? -1 : 0;
}

static int complete_tx(struct db *db, void *arg, struct db_error *err)
{
    const char *order_id = arg;
    int64_t now = time_now_ms();
    int64_t n = move(db, order_id, "delivered", "completed", now, NULL, err);
    if (n <= 0)
        return (int)n;
    char escrow_id[ID_MAX_LEN];
    int rc = escrow_find(db, order_id, NULL, escrow_id, err);
    if (rc < 0 || (rc == 1 && escrow_release(db, escrow_id, NULL, err) != 0))
        return -1;
    return orders__history(db, order_id, "delivered", "completed", NULL, "released automatically", now, err);
}

/* Ids from a one-column query with one time parameter (at most MAX_ROWS). */
static int due_ids(struct db *db, enum orders_query q, int64_t before, char ids[][ID_MAX_LEN])
{
    struct db_error err = {0};
    struct db_stmt *st = db_prepare(db, orders__sql(q), &err);
    int n = 0, rc;
    if (st == NULL)
        return 0;
    db_bind(st, 1, DB_I64(before));
    while ((rc = db_step(st, &err)) == 1 && n < MAX_ROWS)
        snprintf(ids[n++], ID_MAX_LEN, "%s", db_column_text(st, 0));
    db_reset(st);
    return n;
}

static void on_tick(struct db *db, void *ctx)
{
    const struct app *app = ctx;
    char ids[MAX_ROWS][ID_MAX_LEN];
    if (db == NULL)
        return;
    int64_t now = time_now_ms();
    int n = due_ids(db, ORDERS_Q_CHECKOUTS_EXPIRED, now, ids);
    for (int i = 0; i < n; i++) {
        struct expire_ctx x = {ids[i], false};
        struct db_error err = {0};
        if (db_tx(db, 3, expire_tx, &x, &err) != 0 && !x.paid)
            log_warn("checkout expiry failed", "checkout=%s error=%s", ids[i], err.msg);
    }
    n = due_ids(db, ORDERS_Q_ORDERS_TO_COMPLETE, now - (int64_t)app->cfg->order_release_days * 86400000, ids);
    for (int i = 0; i < n; i++) {
        struct db_error err = {0};
        if (db_tx(db, 3, complete_tx, ids[i], &err) != 0)
            log_warn("order auto-completion failed", "order=%s error=%s", ids[i], err.msg);
    }
}

int orders__money_start(struct app *app)
{
    payments_on_succeeded("checkout", on_checkout_paid);
    escrow_on_event("order", on_escrow);
    tick = ticker_start(app, "orders", ORDERS_TICK_MS, on_tick, app);
    return tick != NULL ? 0 : -1;
}

void orders__money_stop(struct app *app)
{
    (void)app;
    ticker_stop(tick);
    tick = NULL;
}
