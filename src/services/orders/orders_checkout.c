/*
 * orders_checkout.c — POST /orders: the cart becomes one checkout, one
 * order per seller, and one payment intent for the total.
 *
 * Order of work (money flow 1 in README.md):
 *   1. outside any transaction: read the cart, resolve the address, quote
 *      shipping per shop (shipping_quote may call Shippo) and pick the
 *      option the body names or the cheapest;
 *   2. one transaction (db_tx, retried on busy/serialization): read the
 *      cart again and refuse if it changed since step 1 (409 conflict);
 *      refuse unavailable lines (409 product_unavailable), lines whose
 *      price moved since they were added (409 price_changed: the new prices
 *      are then recorded on the lines, so a second attempt goes through
 *      at the price the buyer has now been shown); take stock with one
 *      conditional UPDATE per line, naming every line that fails
 *      (409 out_of_stock); insert the checkout (awaiting_payment, expires
 *      after checkout_hold_minutes), per seller an order (pending_payment,
 *      commission fixed now: the shop's commission_bps or the platform's,
 *      fee_amount = ledger_fee(total, bps)), its items (snapshots), their
 *      stock reservations and the first history row; the payment intent
 *      (payments_intent_create); and remove the cart lines bought.
 * Nothing is written unless all of it is.
 *
 * Made-to-order lines take no stock and get no reservation.
 *
 * Caveats: taxes are 0 (no tax engine); all lines must share one currency
 * (422 currency_mismatch otherwise).
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "platform/ledger.h"
#include "platform/search.h"
#include "services/orders/orders_int.h"
#include "services/payments/payments.h"
#include "services/products/products.h"
#include "services/shipping/shipping.h"

#define QUOTE_MAX 8
#define MAX_SHOPS 32

/* One seller's part of the checkout. */
struct part {
    int from, to; /* lines [from, to) */
    char option_id[64];
    int64_t shipping, subtotal, total, fee;
    int bps;
    char order_id[ID_MAX_LEN];
};

struct checkout {
    struct request *req;
    const char *address_json, *country, *note;
    struct orders_line *l; /* as read before the transaction */
    int n;
    struct part parts[MAX_SHOPS];
    int nparts;
    const char *currency;
    int64_t subtotal, shipping, total, expires_at, now;
    char checkout_id[ID_MAX_LEN], intent_id[ID_MAX_LEN];
    struct orders_fail fail;
    bool prices_moved;
};

/*-----------------------------------------------------------------------------
 * Step 1: address and shipping, outside the transaction
 */
static const char *address_from_row(struct request *req, struct db_stmt *st, const char **country)
{
    static const char *const keys[] = {"full_name", "line1", "line2", "city", "region", "postal_code", "country",
                                       "phone"};
    json_t *o = json_object();
    for (int i = 0; i < 8; i++)
        if (!db_column_is_null(st, i))
            json_object_set_new(o, keys[i], json_string(db_column_text(st, i)));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    const char *out = arena_strdup(req->arena, s);
    *country = arena_strdup(req->arena, db_column_text(st, 6));
    free(s);
    json_decref(o);
    return out;
}

static int resolve_address(struct checkout *c, struct app_error *err)
{
    struct request *req = c->req;
    json_t *given = json_object_get(req->json, "shipping_address");
    const char *address_id = json_string_value(json_object_get(req->json, "address_id"));
    if (given != NULL) {
        char *s = json_dumps(given, JSON_COMPACT | JSON_SORT_KEYS);
        c->address_json = arena_strdup(req->arena, s);
        free(s);
        c->country = json_string_value(json_object_get(given, "country"));
        return 0;
    }
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, orders__sql(address_id ? ORDERS_Q_ADDRESS_BY_ID : ORDERS_Q_DEFAULT_ADDRESS),
                                    &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(address_id ? address_id : req->user_id));
    if (address_id)
        db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    if (rc == 1)
        c->address_json = address_from_row(req, st, &c->country);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 1)
        return 0;
    app_error_add_field(err, req->arena, address_id ? "address_id" : "shipping_address",
                        address_id ? "not_found" : "required",
                        address_id ? "no such address of yours" : "give a shipping address or save a default one");
    return app_error_set(err, req->arena, "validation_failed", "a shipping address is needed");
}

/* Group lines by shop and pick each shop's shipping option. */
static int quote_parts(struct checkout *c, struct app_error *err)
{
    struct request *req = c->req;
    json_t *choices = json_object_get(req->json, "shipping");
    for (int i = 0; i < c->n;) {
        int j = i;
        while (j < c->n && strcmp(c->l[j].shop_id, c->l[i].shop_id) == 0)
            j++;
        if (c->nparts == MAX_SHOPS)
            return app_error_set(err, req->arena, "validation_failed", "too many shops in one checkout");
        struct part *p = &c->parts[c->nparts++];
        *p = (struct part){.from = i, .to = j};
        struct shipping_item items[100];
        for (int k = i; k < j; k++)
            items[k - i] = (struct shipping_item){c->l[k].product_id, c->l[k].quantity, c->l[k].weight_grams,
                                                  c->l[k].unit_price * c->l[k].quantity};
        struct shipping_option opts[QUOTE_MAX];
        int nopts = 0;
        struct db_error dberr = {0};
        int rc = shipping_quote(req->app, req->db, c->l[i].shop_id, c->country, items, j - i, opts, QUOTE_MAX,
                                &nopts, &dberr);
        const char *want = json_string_value(json_object_get(choices, c->l[i].shop_id));
        int pick = -1; /* -1: no option at all, -2: not the one asked for */
        if (rc == 0 && nopts > 0) {
            pick = want != NULL ? -2 : 0;
            for (int k = 0; want != NULL && k < nopts; k++)
                if (strcmp(opts[k].id, want) == 0)
                    pick = k;
        }
        if (rc < 0 && dberr.kind != DB_E_NONE)
            return req_db_error(req, &dberr, err);
        if (pick == -1) {
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "shipping.%s", c->l[i].shop_id),
                                "no_option", arena_sprintf(req->arena, "%s does not ship to %s", c->l[i].shop_name,
                                                           c->country));
            return app_error_set(err, req->arena, "shipping_unavailable", "a shop in the cart does not ship there");
        }
        if (pick == -2) {
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "shipping.%s", c->l[i].shop_id),
                                "not_found", "no such shipping option for this shop and destination");
            return app_error_set(err, req->arena, "validation_failed", "unknown shipping option");
        }
        snprintf(p->option_id, sizeof p->option_id, "%.63s", opts[pick].id);
        p->shipping = opts[pick].amount;
        i = j;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Step 2: the transaction
 */
static bool same_cart(const struct checkout *c, const struct orders_line *l, int n)
{
    if (n != c->n)
        return false;
    for (int i = 0; i < n; i++)
        if (strcmp(l[i].item_id, c->l[i].item_id) != 0 || l[i].quantity != c->l[i].quantity)
            return false;
    return true;
}

/* Unavailable lines, moved prices, mixed currencies: fill c->fail and return -1. */
static int check_lines(struct checkout *c, const struct orders_line *l, int n)
{
    struct arena *a = c->req->arena;
    for (int i = 0; i < n; i++)
        if (l[i].flag != NULL && strcmp(l[i].flag, "unavailable") == 0)
            orders__fail_field(&c->fail, arena_sprintf(a, "items.%s", l[i].item_id), "unavailable",
                               arena_sprintf(a, "%s (%s) can no longer be bought", l[i].title, l[i].product_id));
    if (c->fail.nfields > 0) {
        c->fail.code = "product_unavailable";
        c->fail.msg = "some items can no longer be bought: remove them from the cart";
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(l[i].currency, l[0].currency) != 0) {
            c->fail = (struct orders_fail){.code = "currency_mismatch", .msg = "the cart mixes currencies"};
            return -1;
        }
        if (l[i].price_changed)
            orders__fail_field(&c->fail, arena_sprintf(a, "items.%s", l[i].item_id), "price_changed",
                               arena_sprintf(a, "%s: %lld, was %lld", l[i].title, (long long)l[i].unit_price,
                                             (long long)l[i].added_price));
    }
    if (c->fail.nfields > 0) {
        c->fail.code = "price_changed";
        c->fail.msg = "prices changed since these items were added: review the cart and check out again";
        c->prices_moved = true;
        return -1;
    }
    return 0;
}

/* Take every line's stock; name each line that cannot be served. */
static int take_stock(struct checkout *c, struct db *db, const struct orders_line *l, int n, struct db_error *dberr)
{
    struct arena *a = c->req->arena;
    for (int i = 0; i < n; i++) {
        if (l[i].made_to_order)
            continue;
        bool variant = l[i].variant_id != NULL;
        struct db_stmt *st = db_prepare(db, orders__sql(variant ? ORDERS_Q_VARIANT_TAKE : ORDERS_Q_PRODUCT_TAKE),
                                        dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(variant ? l[i].variant_id : l[i].product_id));
        db_bind(st, 2, DB_I64(l[i].quantity));
        db_bind(st, 3, DB_I64(c->now));
        int rc = db_step(st, dberr);
        int64_t left = rc == 1 ? db_column_i64(st, 0) : -1;
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            orders__fail_field(&c->fail, arena_sprintf(a, "items.%s", l[i].item_id),
                               l[i].stock > 0 ? "insufficient_stock" : "out_of_stock",
                               arena_sprintf(a, "%s (%s): not enough left", l[i].title, l[i].product_id));
            continue;
        }
        if (products_refresh_stock(db, l[i].product_id, dberr) != 0 ||
            (left == 0 && search_sync_product(db, l[i].product_id, dberr) != 0))
            return -1;
    }
    if (c->fail.nfields == 0)
        return 0;
    c->fail.code = "out_of_stock";
    c->fail.msg = "some items are out of stock";
    return -1;
}

static int insert_items(struct checkout *c, struct db *db, const struct orders_line *l, const struct part *p,
                        struct db_error *dberr)
{
    for (int i = p->from; i < p->to; i++) {
        char item_id[ID_MAX_LEN], rsv_id[ID_MAX_LEN];
        id_generate("oit", item_id, sizeof item_id);
        struct db_param it[] = {DB_TEXT(item_id),          DB_TEXT(p->order_id),          DB_TEXT(l[i].product_id),
                                DB_TEXT(l[i].variant_id),  DB_TEXT(l[i].title),           DB_TEXT(l[i].variant_name),
                                DB_TEXT(l[i].sku),         DB_I64(l[i].unit_price),       DB_I64(l[i].quantity),
                                DB_I64(l[i].unit_price * l[i].quantity), DB_TEXT(c->currency),
                                DB_TEXT(l[i].personalization), DB_I64(c->now)};
        if (db_exec(db, orders__sql(ORDERS_Q_ITEM_INSERT), it, 13, dberr) < 0)
            return -1;
        if (l[i].made_to_order)
            continue;
        id_generate("rsv", rsv_id, sizeof rsv_id);
        struct db_param r[] = {DB_TEXT(rsv_id),           DB_TEXT(item_id),       DB_TEXT(l[i].product_id),
                               DB_TEXT(l[i].variant_id),  DB_I64(l[i].quantity),  DB_I64(c->expires_at),
                               DB_I64(c->now)};
        if (db_exec(db, orders__sql(ORDERS_Q_RESERVATION_INSERT), r, 7, dberr) < 0)
            return -1;
    }
    return 0;
}

static int insert_orders(struct checkout *c, struct db *db, const struct orders_line *l, struct db_error *dberr)
{
    const char *buyer = c->req->user_id;
    for (int k = 0; k < c->nparts; k++) {
        struct part *p = &c->parts[k];
        const struct orders_line *first = &l[p->from];
        id_generate("ord", p->order_id, sizeof p->order_id);
        struct db_param o[] = {DB_TEXT(p->order_id),   DB_TEXT(c->checkout_id), DB_TEXT(buyer),
                               DB_TEXT(first->seller_id), DB_TEXT(first->shop_id), DB_I64(p->subtotal),
                               DB_I64(p->shipping),    DB_I64(p->total),        DB_I64(p->fee),
                               DB_TEXT(c->currency),   DB_I64(p->bps),          DB_TEXT(c->address_json),
                               DB_TEXT(c->note),       DB_I64(c->now)};
        if (db_exec(db, orders__sql(ORDERS_Q_ORDER_INSERT), o, 14, dberr) < 0 ||
            insert_items(c, db, l, p, dberr) != 0 ||
            orders__history(db, p->order_id, NULL, "pending_payment", buyer, NULL, c->now, dberr) != 0 ||
            orders__event(db, "order.placed", p->order_id, buyer, first->seller_id, dberr) != 0)
            return -1;
    }
    return 0;
}

/* Totals per part from the lines read inside the transaction. */
static void price_parts(struct checkout *c, const struct orders_line *l)
{
    int dflt = c->req->app->cfg->commission_bps;
    c->currency = l[0].currency;
    c->subtotal = c->shipping = 0;
    for (int k = 0; k < c->nparts; k++) {
        struct part *p = &c->parts[k];
        p->subtotal = 0;
        for (int i = p->from; i < p->to; i++)
            p->subtotal += l[i].unit_price * l[i].quantity;
        p->total = p->subtotal + p->shipping;
        p->bps = l[p->from].commission_bps >= 0 ? l[p->from].commission_bps : dflt;
        p->fee = ledger_fee(p->total, p->bps);
        c->subtotal += p->subtotal;
        c->shipping += p->shipping;
    }
    c->total = c->subtotal + c->shipping;
}

static int remove_lines(struct checkout *c, struct db *db, const struct orders_line *l, int n,
                        struct db_error *dberr)
{
    for (int i = 0; i < n; i++) {
        struct db_param p[] = {DB_TEXT(l[i].item_id), DB_TEXT(c->req->user_id)};
        if (db_exec(db, orders__sql(ORDERS_Q_CART_ITEM_DELETE), p, 2, dberr) < 0)
            return -1;
    }
    return 0;
}

static int checkout_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct checkout *c = arg;
    struct request *req = c->req;
    struct orders_line *l;
    int n;
    c->fail = (struct orders_fail){0};
    c->prices_moved = false;
    c->now = time_now_ms();
    c->expires_at = c->now + (int64_t)req->app->cfg->checkout_hold_minutes * 60000;
    if (orders__cart_lines(db, req->arena, req->user_id, &l, &n, dberr) != 0)
        return -1;
    if (!same_cart(c, l, n)) {
        c->fail = (struct orders_fail){.code = "conflict", .msg = "the cart changed during checkout: try again"};
        return -1;
    }
    if (check_lines(c, l, n) != 0 || take_stock(c, db, l, n, dberr) != 0)
        return -1;
    price_parts(c, l);
    id_generate("chk", c->checkout_id, sizeof c->checkout_id);
    struct db_param ck[] = {DB_TEXT(c->checkout_id), DB_TEXT(req->user_id), DB_NULL,
                            DB_I64(c->subtotal),     DB_I64(c->shipping),   DB_I64(c->total),
                            DB_TEXT(c->currency),    DB_TEXT(c->address_json), DB_I64(c->expires_at),
                            DB_I64(c->now)};
    if (db_exec(db, orders__sql(ORDERS_Q_CHECKOUT_INSERT), ck, 10, dberr) < 0 || insert_orders(c, db, l, dberr) != 0)
        return -1;
    struct payments_intent_req in = {req->user_id, "checkout", c->checkout_id, c->total, c->currency};
    if (payments_intent_create(db, &in, c->intent_id, dberr) != 0)
        return -1;
    struct db_param si[] = {DB_TEXT(c->checkout_id), DB_TEXT(c->intent_id)};
    if (db_exec(db, orders__sql(ORDERS_Q_CHECKOUT_SET_INTENT), si, 2, dberr) < 0)
        return -1;
    return remove_lines(c, db, l, n, dberr);
}

/* After a price_changed refusal: the buyer has now seen the new prices. */
static void acknowledge_prices(struct checkout *c)
{
    struct db_error dberr = {0};
    for (int i = 0; i < c->n; i++) {
        if (!c->l[i].price_changed)
            continue;
        struct db_param p[] = {DB_TEXT(c->l[i].item_id), DB_TEXT(c->req->user_id), DB_I64(c->l[i].unit_price),
                               DB_I64(time_now_ms())};
        db_exec(c->req->db, orders__sql(ORDERS_Q_CART_ITEM_SET_PRICE), p, 4, &dberr);
    }
}

/*-----------------------------------------------------------------------------
 * Response
 */
static void write_checkout(struct checkout *c)
{
    struct request *req = c->req;
    struct jsonw w;
    jw_init(&w, req->arena, 1024);
    jw_obj(&w);
    jw_kstr(&w, "id", c->checkout_id);
    jw_kstr(&w, "status", "awaiting_payment");
    jw_kstr(&w, "payment_intent_id", c->intent_id);
    jw_kmoney(&w, "subtotal", c->subtotal, c->currency);
    jw_kmoney(&w, "shipping", c->shipping, c->currency);
    jw_kmoney(&w, "total", c->total, c->currency);
    jw_kstr(&w, "expires_at", req_time(req, c->expires_at));
    jw_key(&w, "orders");
    jw_arr(&w);
    for (int k = 0; k < c->nparts; k++) {
        const struct part *p = &c->parts[k];
        jw_obj(&w);
        jw_kstr(&w, "id", p->order_id);
        jw_kstr(&w, "shop_id", c->l[p->from].shop_id);
        jw_kstr(&w, "seller_id", c->l[p->from].seller_id);
        jw_kstr(&w, "status", "pending_payment");
        jw_kstr(&w, "shipping_option_id", p->option_id);
        jw_kmoney(&w, "subtotal", p->subtotal, c->currency);
        jw_kmoney(&w, "shipping", p->shipping, c->currency);
        jw_kmoney(&w, "total", p->total, c->currency);
        jw_kint(&w, "commission_bps", p->bps);
        jw_kint(&w, "items", p->to - p->from);
        jw_end(&w);
    }
    jw_end(&w);
    jw_end(&w);
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/orders?checkout=%s", c->checkout_id));
    res_jsonw(req, 201, &w);
}

static int checkout(struct request *req, struct app_error *err)
{
    struct checkout *c = arena_new(req->arena, struct checkout);
    memset(c, 0, sizeof *c);
    c->req = req;
    c->note = json_string_value(json_object_get(req->json, "note"));
    struct db_error dberr = {0};
    if (orders__cart_lines(req->db, req->arena, req->user_id, &c->l, &c->n, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (c->n == 0)
        return app_error_set(err, req->arena, "cart_empty", "the cart is empty");
    if (resolve_address(c, err) != 0 || quote_parts(c, err) != 0)
        return -1;
    if (db_tx(req->db, 5, checkout_tx, c, &dberr) != 0) {
        if (c->prices_moved)
            acknowledge_prices(c);
        return orders__tx_error(req, &c->fail, &dberr, err);
    }
    write_checkout(c);
    return 0;
}

int orders_handle_checkout(struct request *req, struct app_error *err)
{
    const char *token = req->app->cfg->shippo_token;
    if (token != NULL && *token != '\0')
        return req_offload(req, checkout, err);
    return checkout(req, err);
}
