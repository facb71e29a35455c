/*
 * test_orders.c — checkout and the order state machine
 * (src/services/orders): POST /orders errors and multi-seller totals,
 * Idempotency-Key replay, GET /orders and /orders/:id visibility, the
 * happy path to completion with the escrow released into the seller's
 * ledger balance, illegal transitions (409 listing the allowed targets),
 * cancellations with stock and money back, and expiry of unpaid checkouts.
 *
 * Payment goes through the real local processor (api_pay).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "commerce_testlib.h"

TestSuite(orders, .fini = api_cleanup_all, .timeout = 240);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

static long long sql_int(struct api_server *s, const char *text, const char *a)
{
    char buf[64];
    const char *p[] = {a};
    cr_assert_eq(api_sql_text(s, text, p, a ? 1 : 0, buf, sizeof buf), 1, "%s", text);
    return atoll(buf);
}

static void sql(struct api_server *s, const char *text, const char *a)
{
    const char *p[] = {a};
    cr_assert_eq(api_sql_exec(s, text, p, a ? 1 : 0), 0, "%s", text);
}

static long long amount(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(o, key), "amount"));
}

static void expect_problem(struct api_response *r, long status, const char *code)
{
    api_assert_problem(r, status, code);
    api_response_free(r);
}

static struct api_response *set_status(struct api_server *s, const struct api_account *a, const char *order,
                                       const char *json)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/orders/%s/status", order);
    return api_as(s, a, "PATCH", path, json);
}

/* Move order to status as a; fails the test unless 200 and the order now has it. */
static void move_ok(struct api_server *s, const struct api_account *a, const char *order, const char *status)
{
    char body[200];
    if (strcmp(status, "shipped") == 0)
        snprintf(body, sizeof body, "{\"status\":\"shipped\",\"carrier\":\"usps\",\"tracking_number\":\"9400111\"}");
    else
        snprintf(body, sizeof body, "{\"status\":\"%s\"}", status);
    struct api_response *r = set_status(s, a, order, body);
    cr_assert_eq(r->status, 200, "%s → %s: %ld %s", order, status, r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "status")), status);
    api_response_free(r);
}

/* 409 invalid_state_transition whose allowed targets are exactly allowed (comma-separated, "" for none). */
static void refused(struct api_server *s, const struct api_account *a, const char *order, const char *to,
                    const char *allowed)
{
    char body[200];
    snprintf(body, sizeof body, "{\"status\":\"%s\",\"carrier\":\"ups\",\"tracking_number\":\"1Z9\"}", to);
    struct api_response *r = set_status(s, a, order, body);
    api_assert_problem(r, 409, "invalid_state_transition");
    char got[128] = "";
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        cr_expect_str_eq(json_string_value(json_object_get(e, "field")), "status");
        cr_expect_str_eq(json_string_value(json_object_get(e, "code")), "allowed");
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? "," : "",
                 json_string_value(json_object_get(e, "message")));
    }
    cr_expect_str_eq(got, allowed, "→ %s: allowed %s, expected %s (%s)", to, got, allowed, r->body);
    const char *more = json_string_value(json_object_get(r->json, "more"));
    cr_expect(more != NULL && strstr(more, "allowed from") != NULL, "%s", r->body);
    api_response_free(r);
}

static json_t *get_order(struct api_server *s, const struct api_account *a, const char *order,
                         struct api_response **keep)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/orders/%s", order);
    *keep = api_as(s, a, "GET", path, NULL);
    cr_assert_eq((*keep)->status, 200, "GET %s: %ld %s", path, (*keep)->status, (*keep)->body);
    return (*keep)->json;
}

static const char *order_status(struct api_server *s, const char *order, char *buf)
{
    const char *p[] = {order};
    cr_assert_eq(api_sql_text(s, "SELECT status FROM orders WHERE id = $1", p, 1, buf, 32), 1);
    return buf;
}

static long long balance(struct api_server *s, const char *kind, const char *owner)
{
    char code[160];
    if (owner)
        snprintf(code, sizeof code, "seller:%s:%s:USD", owner, kind);
    else
        snprintf(code, sizeof code, "platform:%s:USD", kind);
    return api_ledger_balance(s, code);
}

/*-----------------------------------------------------------------------------
 * POST /orders
 */
Test(orders, checkout_refusals)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer;
    api_account(s, "seller", "potter", &seller);
    api_account(s, "buyer", "jan", &buyer);
    json_t *res = NULL;

    struct api_response *r = api_as(s, NULL, "POST", "/api/v1/orders", "{}");
    expect_problem(r, 401, "unauthenticated");
    r = api_as(s, &buyer, "POST", "/api/v1/orders", "{}");
    expect_problem(r, 422, "cart_empty");

    char bowl[64], cup[64];
    api_product(s, &seller, 1000, 5, bowl);
    api_product(s, &seller, 700, 2, cup);
    api_cart_add(s, &buyer, bowl, 1);
    api_cart_add(s, &buyer, cup, 2);

    /* No address given and none saved. */
    r = api_as(s, &buyer, "POST", "/api/v1/orders", "{}");
    expect_problem(r, 422, "validation_failed");

    /* The price moved: 409 naming the line; the next attempt is at the new price. */
    sql(s, "UPDATE products SET price_amount = 1100 WHERE id = $1", bowl);
    cr_assert_eq(api_checkout(s, &buyer, NULL, &res), 409);
    cr_assert_str_eq(json_string_value(json_object_get(res, "code")), "price_changed");
    json_t *e = json_array_get(json_object_get(res, "errors"), 0);
    cr_expect_eq(json_array_size(json_object_get(res, "errors")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(e, "code")), "price_changed");
    cr_expect(strncmp(json_string_value(json_object_get(e, "field")), "items.cit_", 10) == 0);
    json_decref(res);

    /* Someone bought a cup meanwhile: 409 out_of_stock naming the cup; nothing reserved or written. */
    sql(s, "UPDATE products SET stock = 1 WHERE id = $1", cup);
    cr_assert_eq(api_checkout(s, &buyer, NULL, &res), 409);
    cr_assert_str_eq(json_string_value(json_object_get(res, "code")), "out_of_stock");
    cr_expect_eq(json_array_size(json_object_get(res, "errors")), 1);
    char *text = json_dumps(res, 0);
    cr_expect(strstr(text, cup) != NULL && strstr(text, bowl) == NULL, "%s", text);
    free(text);
    json_decref(res);
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", bowl), 5, "the bowl's stock came back");
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM orders", NULL), 0);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM stock_reservations", NULL), 0);

    /* Archived product: 409 product_unavailable. */
    sql(s, "UPDATE products SET stock = 5, status = 'archived' WHERE id = $1", cup);
    cr_assert_eq(api_checkout(s, &buyer, NULL, &res), 409);
    cr_expect_str_eq(json_string_value(json_object_get(res, "code")), "product_unavailable");
    json_decref(res);
    sql(s, "UPDATE products SET status = 'active' WHERE id = $1", cup);

    /* Now it goes through at 1100. */
    cr_assert_eq(api_checkout(s, &buyer, NULL, &res), 201);
    cr_expect_eq(amount(res, "total"), 1100 + 1400);
    json_decref(res);
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", cup), 3);
    r = api_as(s, &buyer, "POST", "/api/v1/orders", "{}");
    expect_problem(r, 422, "cart_empty");
    api_stop(s);
}

Test(orders, multi_seller_totals_fees_and_idempotent_replay)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account potter, weaver, buyer;
    api_account(s, "seller", "potter", &potter);
    api_account(s, "seller", "weaver", &weaver);
    api_account(s, "buyer", "kim", &buyer);
    char bowl[64], cup[64], rug[64];
    api_product(s, &potter, 1999, 5, bowl);
    api_product(s, &potter, 333, 5, cup);
    api_product(s, &weaver, 4999, 1, rug);
    sql(s, "UPDATE shops SET commission_bps = 1250 WHERE id = $1", potter.shop_id);
    sql(s, "UPDATE shipping_rates SET amount = 450 WHERE seller_id = $1", potter.id);
    api_cart_add(s, &buyer, bowl, 2);
    api_cart_add(s, &buyer, cup, 1);
    api_cart_add(s, &buyer, rug, 1);

    static const char body[] = "{\"shipping_address\":{\"full_name\":\"Kim\",\"line1\":\"2 Elm\",\"city\":\"Austin\","
                               "\"country\":\"US\"},\"note\":\"gift\"}";
    const char *h[] = {buyer.auth, "Content-Type: application/json", "Idempotency-Key: chk-kim-1", NULL};
    struct api_response *r = api_request(s, "POST", "/api/v1/orders", h, body, strlen(body));
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    json_t *c = r->json;
    char checkout[64];
    snprintf(checkout, sizeof checkout, "%s", json_string_value(json_object_get(c, "id")));
    cr_expect_str_eq(json_string_value(json_object_get(c, "status")), "awaiting_payment");
    cr_expect_eq(amount(c, "subtotal"), 3998 + 333 + 4999);
    cr_expect_eq(amount(c, "shipping"), 450);
    cr_expect_eq(amount(c, "total"), 3998 + 333 + 4999 + 450);
    json_t *orders = json_object_get(c, "orders");
    cr_assert_eq(json_array_size(orders), 2, "%s", r->body);
    for (size_t i = 0; i < 2; i++) {
        json_t *ord = json_array_get(orders, i);
        bool pot = strcmp(json_string_value(json_object_get(ord, "seller_id")), potter.id) == 0;
        long long total = pot ? 3998 + 333 + 450 : 4999;
        int bps = pot ? 1250 : 1000;
        cr_expect_eq(amount(ord, "total"), total);
        cr_expect_eq(amount(ord, "shipping"), pot ? 450 : 0);
        cr_expect_eq(json_integer_value(json_object_get(ord, "commission_bps")), bps);
        cr_expect_eq(json_integer_value(json_object_get(ord, "items")), pot ? 2 : 1);
        const char *id = json_string_value(json_object_get(ord, "id"));
        /* fee = floor(total * bps / 10000): 4781 * 12.5% = 597.6 → 597; 4999 * 10% = 499.9 → 499. */
        cr_expect_eq(sql_int(s, "SELECT fee_amount FROM orders WHERE id = $1", id), total * bps / 10000);
        cr_expect_eq(sql_int(s, "SELECT fee_amount FROM orders WHERE id = $1", id), pot ? 597 : 499);
        struct api_response *g;
        json_t *full = get_order(s, &buyer, id, &g);
        cr_expect_str_eq(json_string_value(json_object_get(full, "status")), "pending_payment");
        cr_expect_str_eq(json_string_value(json_object_get(full, "note")), "gift");
        cr_expect_eq(json_array_size(json_object_get(full, "items")), pot ? 2 : 1);
        cr_expect_str_eq(json_string_value(json_object_get(full, "checkout_id")), checkout);
        api_response_free(g);
    }
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", rug), 0);
    cr_expect_eq(sql_int(s, "SELECT amount FROM payment_intents WHERE checkout_id = $1", checkout),
                 3998 + 333 + 4999 + 450);

    /* Replay: same response, nothing new. */
    struct api_response *again = api_request(s, "POST", "/api/v1/orders", h, body, strlen(body));
    cr_assert_eq(again->status, 201, "%ld %s", again->status, again->body);
    cr_expect_str_eq(json_string_value(json_object_get(again->json, "id")), checkout);
    const char *replayed = api_header(again, "Idempotent-Replayed");
    cr_expect(replayed != NULL && strcmp(replayed, "true") == 0);
    api_response_free(again);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM checkouts", NULL), 1);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM orders", NULL), 2);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM cart_items", NULL), 0, "the bought lines are gone");
    /* A new key on the now-empty cart is a new request. */
    const char *h2[] = {buyer.auth, "Content-Type: application/json", "Idempotency-Key: chk-kim-2", NULL};
    again = api_request(s, "POST", "/api/v1/orders", h2, body, strlen(body));
    api_assert_problem(again, 422, "cart_empty");
    api_response_free(again);

    /* Paying moves both orders to paid, each held in escrow. */
    cr_assert_eq(api_pay(s, &buyer, json_string_value(json_object_get(c, "payment_intent_id"))), 200);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM orders WHERE status = 'paid'", NULL), 2);
    cr_expect_eq(balance(s, "escrow", NULL), 3998 + 333 + 4999 + 450);
    api_ledger_assert_consistent(s);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Reading orders
 */
Test(orders, list_filter_cursor_and_visibility)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, other_seller, buyer, stranger, admin;
    api_account(s, "seller", "potter", &seller);
    api_account(s, "seller", "smith", &other_seller);
    api_account(s, "buyer", "lou", &buyer);
    api_account(s, "buyer", "max", &stranger);
    api_account(s, "admin", "root", &admin);
    char paid[3][64], pending[64];
    for (int i = 0; i < 3; i++)
        api_paid_order(s, &buyer, &seller, 1000 + i, paid[i], NULL);
    char pid[64];
    json_t *res;
    api_product(s, &other_seller, 800, 3, pid);
    api_cart_add(s, &buyer, pid, 1);
    cr_assert_eq(api_checkout(s, &buyer, NULL, &res), 201);
    snprintf(pending, sizeof pending, "%s",
             json_string_value(json_object_get(json_array_get(json_object_get(res, "orders"), 0), "id")));
    json_decref(res);

    expect_problem(api_as(s, NULL, "GET", "/api/v1/orders", NULL), 401, "unauthenticated");
    struct api_response *r = api_as(s, &buyer, "GET", "/api/v1/orders", NULL);
    cr_assert_eq(r->status, 200);
    cr_expect_eq(json_array_size(json_object_get(r->json, "data")), 4, "%s", r->body);
    cr_expect(json_is_null(json_object_get(r->json, "next_cursor")));
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/orders?status=paid", NULL);
    cr_expect_eq(json_array_size(json_object_get(r->json, "data")), 3, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/orders?status=pending_payment", NULL);
    cr_expect_eq(json_array_size(json_object_get(r->json, "data")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "data"), 0), "id")),
                     pending);
    api_response_free(r);
    expect_problem(api_as(s, &buyer, "GET", "/api/v1/orders?status=lost", NULL), 400, "invalid_parameter");
    expect_problem(api_as(s, &buyer, "GET", "/api/v1/orders?cursor=yesterday", NULL), 400, "invalid_cursor");
    expect_problem(api_as(s, &buyer, "GET", "/api/v1/orders?limit=0", NULL), 400, "invalid_parameter");

    /* Pages of 3 then 1, no order twice. */
    r = api_as(s, &buyer, "GET", "/api/v1/orders?limit=3", NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 3);
    const char *cursor = json_string_value(json_object_get(r->json, "next_cursor"));
    cr_assert_not_null(cursor, "%s", r->body);
    char path[256], seen[4][64];
    snprintf(path, sizeof path, "/api/v1/orders?limit=3&cursor=%s", cursor);
    for (int i = 0; i < 3; i++)
        snprintf(seen[i], 64, "%s",
                 json_string_value(json_object_get(json_array_get(json_object_get(r->json, "data"), i), "id")));
    api_response_free(r);
    r = api_as(s, &buyer, "GET", path, NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1, "%s", r->body);
    snprintf(seen[3], 64, "%s",
             json_string_value(json_object_get(json_array_get(json_object_get(r->json, "data"), 0), "id")));
    cr_expect(json_is_null(json_object_get(r->json, "next_cursor")));
    api_response_free(r);
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            cr_expect_str_neq(seen[i], seen[j]);

    /* Seller view: only its orders; as a buyer it has none. */
    r = api_as(s, &seller, "GET", "/api/v1/orders?role=seller", NULL);
    cr_expect_eq(json_array_size(json_object_get(r->json, "data")), 3, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &other_seller, "GET", "/api/v1/orders?role=seller&status=paid", NULL);
    cr_expect_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);
    r = api_as(s, &seller, "GET", "/api/v1/orders", NULL);
    cr_expect_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);
    r = api_as(s, &stranger, "GET", "/api/v1/orders", NULL);
    cr_expect_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);

    /* One order: buyer, seller, admin; not a stranger nor the other seller. */
    const struct api_account *may[] = {&buyer, &seller, &admin};
    for (int i = 0; i < 3; i++) {
        json_t *ord = get_order(s, may[i], paid[0], &r);
        cr_expect_str_eq(json_string_value(json_object_get(ord, "status")), "paid");
        cr_expect_eq(amount(ord, "total"), 1000);
        cr_expect_eq(json_array_size(json_object_get(ord, "items")), 1);
        cr_expect_eq(json_array_size(json_object_get(ord, "history")), 2, "%s", r->body);
        cr_expect(json_is_string(json_object_get(ord, "payment_intent_id")));
        cr_expect(json_is_string(json_object_get(ord, "escrow_id")), "%s", r->body);
        api_response_free(r);
    }
    snprintf(path, sizeof path, "/api/v1/orders/%s", paid[0]);
    expect_problem(api_as(s, &stranger, "GET", path, NULL), 404, "not_found");
    expect_problem(api_as(s, &other_seller, "GET", path, NULL), 404, "not_found");
    expect_problem(api_as(s, NULL, "GET", path, NULL), 401, "unauthenticated");
    expect_problem(api_as(s, &stranger, "PATCH", "/api/v1/orders/ord_01JDQ8V7R3X1W9ZK4M2N5P6Q7R/status",
                          "{\"status\":\"cancelled\"}"),
                   404, "not_found");
    r = set_status(s, &stranger, paid[0], "{\"status\":\"cancelled\"}");
    expect_problem(r, 404, "not_found");
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * The state machine
 */
Test(orders, happy_path_releases_escrow_to_seller)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer;
    api_account(s, "seller", "potter", &seller);
    api_account(s, "buyer", "ned", &buyer);
    char order[64], product[64];
    api_paid_order(s, &buyer, &seller, 5000, order, product);
    cr_expect_eq(balance(s, "escrow", NULL), 5000);
    cr_expect_eq(sql_int(s, "SELECT sales_count FROM products WHERE id = $1", product), 1);

    move_ok(s, &seller, order, "processing");
    expect_problem(set_status(s, &seller, order, "{\"status\":\"shipped\"}"), 422, "validation_failed");
    expect_problem(set_status(s, &seller, order, "{\"status\":\"shipped\",\"carrier\":\"usps\"}"), 422,
                   "validation_failed");
    expect_problem(set_status(s, &seller, order, "{\"status\":\"shipped\",\"tracking_number\":\"94\"}"), 422,
                   "validation_failed");
    expect_problem(set_status(s, &seller, order, "{\"status\":\"teleported\"}"), 422, "validation_failed");
    expect_problem(set_status(s, &seller, order, "{}"), 422, "validation_failed");
    expect_problem(set_status(s, NULL, order, "{\"status\":\"shipped\"}"), 401, "unauthenticated");
    move_ok(s, &seller, order, "shipped");
    move_ok(s, &seller, order, "delivered");
    cr_expect_eq(balance(s, "pending", seller.id) + balance(s, "available", seller.id), 0, "nothing released yet");
    move_ok(s, &buyer, order, "completed");

    /* Released: 5000 - 10% fee to the seller (pending, then available once transferred). */
    cr_expect_eq(balance(s, "escrow", NULL), 0);
    cr_expect_eq(balance(s, "fees", NULL), 500);
    long long got = 0;
    for (int i = 0; i < 100 && (got = balance(s, "available", seller.id)) != 4500; i++)
        api_sleep_ms(100);
    cr_expect_eq(got + balance(s, "pending", seller.id), 4500, "seller got %lld", got);
    cr_expect_eq(got, 4500, "the transfer job moved pending to available");
    api_ledger_assert_consistent(s);

    struct api_response *r;
    json_t *ord = get_order(s, &buyer, order, &r);
    cr_expect_str_eq(json_string_value(json_object_get(ord, "carrier")), "usps");
    cr_expect_str_eq(json_string_value(json_object_get(ord, "tracking_number")), "9400111");
    cr_expect(json_is_string(json_object_get(ord, "completed_at")));
    cr_expect(json_is_string(json_object_get(ord, "shipped_at")));
    cr_expect_eq(json_array_size(json_object_get(ord, "shipments")), 1, "%s", r->body);
    static const char *const path[] = {"pending_payment", "paid", "processing", "shipped", "delivered", "completed"};
    json_t *hist = json_object_get(ord, "history");
    cr_assert_eq(json_array_size(hist), 6, "%s", r->body);
    for (size_t i = 0; i < 6; i++)
        cr_expect_str_eq(json_string_value(json_object_get(json_array_get(hist, i), "to")), path[i]);
    api_response_free(r);
    refused(s, &buyer, order, "cancelled", "");
    refused(s, &seller, order, "processing", "");
    api_stop(s);
}

Test(orders, illegal_transitions_list_allowed_targets)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer, admin;
    api_account(s, "seller", "potter", &seller);
    api_account(s, "buyer", "olga", &buyer);
    api_account(s, "admin", "root", &admin);
    char order[64];
    api_paid_order(s, &buyer, &seller, 2500, order, NULL);

    /* paid */
    refused(s, &buyer, order, "processing", "cancelled");
    refused(s, &buyer, order, "completed", "cancelled");
    refused(s, &seller, order, "shipped", "processing,cancelled");
    refused(s, &seller, order, "delivered", "processing,cancelled");
    refused(s, &seller, order, "completed", "processing,cancelled");
    move_ok(s, &seller, order, "processing");
    /* processing */
    refused(s, &buyer, order, "cancelled", "");
    refused(s, &buyer, order, "shipped", "");
    refused(s, &seller, order, "delivered", "shipped,cancelled");
    refused(s, &seller, order, "processing", "shipped,cancelled");
    move_ok(s, &seller, order, "shipped");
    /* shipped: the buyer cannot cancel any more */
    refused(s, &buyer, order, "cancelled", "completed");
    refused(s, &seller, order, "cancelled", "delivered");
    refused(s, &seller, order, "completed", "delivered");
    move_ok(s, &seller, order, "delivered");
    /* delivered */
    refused(s, &seller, order, "completed", "");
    refused(s, &buyer, order, "delivered", "completed");
    /* An admin may make any move of the table. */
    move_ok(s, &admin, order, "completed");
    refused(s, &admin, order, "cancelled", "");
    char st[32];
    cr_expect_str_eq(order_status(s, order, st), "completed");
    api_ledger_assert_consistent(s);
    api_stop(s);
}

Test(orders, cancellations_return_stock_and_money)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer;
    api_account(s, "seller", "potter", &seller);
    api_account(s, "buyer", "pia", &buyer);
    char st[32];
    json_t *res;

    /* Unpaid: only the buyer cancels; the stock comes back; the intent is cancelled. */
    char bowl[64], unpaid[64];
    api_product(s, &seller, 1200, 4, bowl);
    api_cart_add(s, &buyer, bowl, 3);
    cr_assert_eq(api_checkout(s, &buyer, NULL, &res), 201);
    snprintf(unpaid, sizeof unpaid, "%s",
             json_string_value(json_object_get(json_array_get(json_object_get(res, "orders"), 0), "id")));
    json_decref(res);
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", bowl), 1);
    refused(s, &seller, unpaid, "cancelled", "");
    refused(s, &buyer, unpaid, "processing", "cancelled");
    move_ok(s, &buyer, unpaid, "cancelled");
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", bowl), 4);
    cr_expect_eq(sql_int(s, "SELECT in_stock FROM products WHERE id = $1", bowl), 1);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM checkouts WHERE status = 'cancelled'", NULL), 1);
    refused(s, &buyer, unpaid, "cancelled", "");

    /* Paid, cancelled by the buyer: full refund, stock back, ledger consistent. */
    char paid[64], product[64];
    api_paid_order(s, &buyer, &seller, 3000, paid, product);
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", product), 4);
    move_ok(s, &buyer, paid, "cancelled");
    cr_expect_eq(sql_int(s, "SELECT refunded_amount FROM orders WHERE id = $1", paid), 3000);
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", product), 5);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM stock_reservations r JOIN order_items i ON i.id = "
                            "r.order_item_id WHERE i.order_id = $1 AND r.released_at IS NULL", paid),
                 0);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM refunds WHERE order_id = $1", paid), 1);
    cr_expect_eq(balance(s, "escrow", NULL), 0);
    cr_expect_eq(balance(s, "fees", NULL), 0);
    cr_expect(strcmp(order_status(s, paid, st), "cancelled") == 0 || strcmp(st, "refunded") == 0, "%s", st);
    api_ledger_assert_consistent(s);
    refused(s, &seller, paid, "processing", "");

    /* Seller cancels while processing. */
    char proc[64];
    api_paid_order(s, &buyer, &seller, 4100, proc, product);
    move_ok(s, &seller, proc, "processing");
    move_ok(s, &seller, proc, "cancelled");
    cr_expect_eq(sql_int(s, "SELECT refunded_amount FROM orders WHERE id = $1", proc), 4100);
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", product), 5);
    cr_expect_eq(balance(s, "escrow", NULL), 0);
    api_ledger_assert_consistent(s);

    /* Shipped: nobody cancels. */
    char shipped[64];
    api_paid_order(s, &buyer, &seller, 999, shipped, NULL);
    move_ok(s, &seller, shipped, "processing");
    move_ok(s, &seller, shipped, "shipped");
    refused(s, &buyer, shipped, "cancelled", "completed");
    cr_expect_str_eq(order_status(s, shipped, st), "shipped");
    cr_expect_eq(balance(s, "escrow", NULL), 999);
    api_stop(s);
}

Test(orders, unpaid_checkout_expires_and_returns_stock)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account potter, weaver, buyer;
    api_account(s, "seller", "potter", &potter);
    api_account(s, "seller", "weaver", &weaver);
    api_account(s, "buyer", "quinn", &buyer);
    char bowl[64], rug[64];
    api_product(s, &potter, 1500, 3, bowl);
    api_product(s, &weaver, 2500, 1, rug);
    api_cart_add(s, &buyer, bowl, 2);
    api_cart_add(s, &buyer, rug, 1);
    json_t *res;
    cr_assert_eq(api_checkout(s, &buyer, NULL, &res), 201);
    char checkout[64], intent[64];
    snprintf(checkout, sizeof checkout, "%s", json_string_value(json_object_get(res, "id")));
    snprintf(intent, sizeof intent, "%s", json_string_value(json_object_get(res, "payment_intent_id")));
    json_decref(res);
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", bowl), 1);
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", rug), 0);

    sql(s, "UPDATE checkouts SET expires_at = 0 WHERE id = $1", checkout);
    char status[32] = "";
    const char *p[] = {checkout};
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(api_sql_text(s, "SELECT status FROM checkouts WHERE id = $1", p, 1, status, sizeof status), 1);
        if (strcmp(status, "expired") == 0)
            break;
        api_sleep_ms(100);
    }
    cr_assert_str_eq(status, "expired", "the ticker did not expire the checkout");
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", bowl), 3);
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", rug), 1);
    cr_expect_eq(sql_int(s, "SELECT in_stock FROM products WHERE id = $1", rug), 1);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM orders WHERE checkout_id = $1 AND status = 'cancelled'", checkout),
                 2);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM stock_reservations WHERE released_at IS NULL", NULL), 0);

    /* Paying the expired checkout now is refused (the intent was cancelled); nothing was captured. */
    long st = api_pay(s, &buyer, intent);
    cr_expect_neq(st, 200, "an expired checkout cannot be paid");
    cr_expect_eq(balance(s, "escrow", NULL), 0);
    api_ledger_assert_consistent(s);
    api_stop(s);
}
