/*
 * test_shipping_tracking.c — shipping with the Shippo adapter against
 * tests/api/fake_shippo.c (its rates in the quote, label purchase and its
 * failures), shipments of an order (manual ones made by the orders
 * service's "shipped" transition, labels), and the tracking webhook
 * (token, dedupe, out-of-order events, delivery moving the order).
 *
 * Orders are inserted directly into the test database, except in the last
 * test, which goes through cart, checkout and payment.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/fake_shippo.h"
#include "api_client.h"
#include "commerce_testlib.h"
#include "shipping_testlib.h"

TestSuite(shipping_tracking, .fini = api_cleanup_all, .timeout = 180);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

/*-----------------------------------------------------------------------------
 * Shippo: rates, labels, tracking
 */

/* An order of buyer with seller in status; its id into out (64 bytes). */
static void make_order(struct api_server *s, const struct api_account *buyer, const struct api_account *seller,
                       const char *status, char *out)
{
    char now[32];
    api_test_id(out, 64, "ord");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *p[] = {out, buyer->id, seller->id, seller->shop_id, status, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO orders (id, buyer_id, seller_id, shop_id, status, subtotal_amount, "
                              "total_amount, currency, commission_bps, shipping_address, created_at, updated_at) "
                              "VALUES ($1, $2, $3, $4, $5, 2500, 2500, 'USD', 1000, '{\"full_name\":\"Bea Buyer\","
                              "\"line1\":\"1 Main St\",\"city\":\"Springfield\",\"region\":\"IL\",\"postal_code\":"
                              "\"62701\",\"country\":\"US\"}', CAST($6 AS BIGINT), CAST($6 AS BIGINT))",
                              p, 6),
                 0);
}

static struct api_response *webhook(struct api_server *s, const char *token, const char *tracking, const char *status,
                                    const char *substatus, const char *date, const char *event_id)
{
    char path[128], body[2048];
    snprintf(path, sizeof path, "/api/v1/shipping/webhooks/shippo%s%s", token ? "?token=" : "", token ? token : "");
    snprintf(body, sizeof body,
             "{\"event\":\"track_updated\",\"test\":true,\"data\":{\"carrier\":\"usps\",\"tracking_number\":\"%s\","
             "\"tracking_status\":{\"object_id\":\"%s\",\"status\":\"%s\",\"substatus\":%s%s%s,"
             "\"status_details\":\"Update %s\",\"status_date\":\"%s\",\"location\":{\"city\":\"Memphis\","
             "\"state\":\"TN\",\"zip\":\"38118\",\"country\":\"US\"}},\"tracking_history\":[]}}",
             tracking, event_id, status, substatus ? "{\"code\":\"" : "null", substatus ? substatus : "",
             substatus ? "\"}" : "", status, date);
    return api_post_json(s, path, body, NULL);
}

static void shipment_status(struct api_server *s, const char *tracking, char *buf, size_t cap)
{
    const char *p[] = {tracking};
    cr_assert_eq(api_sql_text(s, "SELECT status FROM shipments WHERE tracking_number = $1", p, 1, buf, cap), 1);
}

static long count(struct api_server *s, const char *sql, const char *arg)
{
    char buf[32];
    const char *p[] = {arg};
    cr_assert_eq(api_sql_text(s, sql, p, arg ? 1 : 0, buf, sizeof buf), 1);
    return atol(buf);
}

Test(shipping_tracking, shippo_rates_labels_and_tracking)
{
    struct fake_shippo *f = fake_shippo_start("shippo_test_abc");
    char base[128];
    snprintf(base, sizeof base, "ARTISTRY_SHIPPO_API_BASE=%s", fake_shippo_url(f));
    const char *env[] = {base, "ARTISTRY_SHIPPO_TOKEN=shippo_test_abc", "ARTISTRY_SHIPPO_WEBHOOK_TOKEN=hook-secret-1",
                         NULL};
    struct api_opts o = {.args = scaled_args, .env = env};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer, stranger;
    api_account(s, "seller", "shipper", &seller);
    api_account(s, "buyer", "bob", &buyer);
    api_account(s, "buyer", "eve", &stranger);
    ship_shop_country(s, &seller, "US");
    char std[64], pid[64];
    ship_make_table(s, &seller, "{\"name\":\"Standard\",\"rates\":[{\"zone\":\"domestic\",\"amount\":650}]}", std);
    ship_make_product(s, &seller, 2500, 700, pid);

    /* The quote adds Shippo's USD rates (the EUR one is dropped), cheapest first. */
    char items[256];
    snprintf(items, sizeof items, "[{\"product_id\":\"%s\",\"quantity\":2}]", pid);
    struct api_response *r;
    json_t *opts = ship_quote(s, "US", items, &r);
    cr_assert_eq(json_array_size(opts), 3, "%s", r->body);
    cr_assert_eq(ship_opt_amount(opts, 0), 510);
    cr_assert_str_eq(ship_opt_str(opts, 0, "provider"), "shippo");
    cr_assert_str_eq(ship_opt_str(opts, 0, "name"), "USPS Ground Advantage");
    cr_assert_eq(ship_opt_amount(opts, 1), 650);
    cr_assert_eq(ship_opt_amount(opts, 2), 785);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(opts, 2), "max_days")), 2);
    api_response_free(r);
    char *sent = fake_shippo_last_shipment(f);
    json_t *sj = json_loads(sent, 0, NULL);
    free(sent);
    json_t *parcel = json_array_get(json_object_get(sj, "parcels"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(parcel, "weight")), "1400");
    cr_assert_str_eq(json_string_value(json_object_get(parcel, "mass_unit")), "g");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(sj, "address_to"), "country")), "US");
    json_decref(sj);

    /* Labels: seller of a paid order only. */
    char order[64], unpaid[64], lpath[128], spath[128];
    make_order(s, &buyer, &seller, "paid", order);
    make_order(s, &buyer, &seller, "pending_payment", unpaid);
    snprintf(lpath, sizeof lpath, "/api/v1/orders/%s/shipments/label", order);
    snprintf(spath, sizeof spath, "/api/v1/orders/%s/shipments", order);
    const char *label_body = "{\"address_from\":{\"name\":\"Shipper\",\"street1\":\"5 Kiln Rd\",\"city\":\"Austin\","
                             "\"state\":\"TX\",\"zip\":\"78701\",\"country\":\"US\"},\"parcel\":{\"weight_grams\":900},"
                             "\"servicelevel_token\":\"usps_priority\"}";
    r = api_as(s, NULL, "POST", lpath, label_body);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &buyer, "POST", lpath, label_body);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    struct api_account other_seller;
    api_account(s, "seller", "rival", &other_seller);
    r = api_as(s, &other_seller, "POST", lpath, label_body);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    char upath[128];
    snprintf(upath, sizeof upath, "/api/v1/orders/%s/shipments/label", unpaid);
    r = api_as(s, &seller, "POST", upath, label_body);
    api_assert_problem(r, 409, "order_not_shippable");
    api_response_free(r);
    r = api_as(s, &seller, "POST", lpath, "{}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    int txn_before = fake_shippo_transaction_calls(f);
    r = api_as(s, &seller, "POST", lpath, "{\"address_from\":{\"name\":\"x\"}}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    cr_assert_eq(fake_shippo_transaction_calls(f), txn_before, "nothing bought on bad input");

    /* Shippo says ERROR: 502, nothing recorded. */
    fake_shippo_fail_labels(f, true);
    r = api_as(s, &seller, "POST", lpath, label_body);
    api_assert_problem(r, 502, "label_purchase_failed");
    api_response_free(r);
    cr_assert_eq(count(s, "SELECT CAST(COUNT(*) AS TEXT) FROM shipments WHERE order_id = $1", order), 0);
    fake_shippo_fail_labels(f, false);

    r = api_as(s, &seller, "POST", lpath, label_body);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char tracking[64];
    snprintf(tracking, sizeof tracking, "%s", json_string_value(json_object_get(r->json, "tracking_number")));
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "status")), "label_created");
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "carrier")), "USPS");
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "service")), "Priority Mail");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r->json, "cost"), "amount")), 785);
    cr_assert(strstr(json_string_value(json_object_get(r->json, "label_url")), ".pdf") != NULL);
    api_response_free(r);
    sent = fake_shippo_last_shipment(f);
    cr_assert(strstr(sent, "\"zip\":\"62701\"") != NULL, "address_to from the order: %s", sent);
    cr_assert(strstr(sent, "\"weight\":\"900\"") != NULL, "%s", sent);
    free(sent);

    /* A known rate id buys directly. */
    r = api_as(s, &seller, "POST", lpath, "{\"rate_id\":\"rate_1_usps_ground\"}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &seller, "POST", lpath, "{\"rate_id\":\"rate_nope\"}");
    api_assert_problem(r, 502, "upstream_error");
    api_response_free(r);

    /* Shipments: buyer, seller, admin see them; others 404. */
    r = api_as(s, &buyer, "GET", spath, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 2);
    api_response_free(r);
    r = api_as(s, &stranger, "GET", spath, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, NULL, "GET", spath, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);

    /* Webhook: token required. */
    r = webhook(s, NULL, tracking, "TRANSIT", NULL, "2030-03-01T10:00:00Z", "ev1");
    api_assert_problem(r, 401, "invalid_webhook_token");
    api_response_free(r);
    r = webhook(s, "wrong", tracking, "TRANSIT", NULL, "2030-03-01T10:00:00Z", "ev1");
    api_assert_problem(r, 401, "invalid_webhook_token");
    api_response_free(r);
    r = api_post_json(s, "/api/v1/shipping/webhooks/shippo?token=hook-secret-1", "{not json", NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    api_response_free(r);
    char buf[32];
    shipment_status(s, tracking, buf, sizeof buf);
    cr_assert_str_eq(buf, "label_created");

    long events0 = count(s,
                         "SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE kind = 'events.dispatch' "
                         "AND payload LIKE '%shipment.updated%'",
                         NULL);
    r = webhook(s, "hook-secret-1", tracking, "TRANSIT", NULL, "2030-03-01T10:00:00Z", "ev1");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(json_is_true(json_object_get(r->json, "matched")));
    api_response_free(r);
    shipment_status(s, tracking, buf, sizeof buf);
    cr_assert_str_eq(buf, "in_transit");
    /* Re-delivered: nothing new. */
    r = webhook(s, "hook-secret-1", tracking, "TRANSIT", NULL, "2030-03-01T10:00:00Z", "ev1");
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    /* Out for delivery, then a late PRE_TRANSIT that must not move it back. */
    r = webhook(s, "hook-secret-1", tracking, "TRANSIT", "out_for_delivery", "2030-03-02T08:00:00Z", "ev2");
    api_response_free(r);
    r = webhook(s, "hook-secret-1", tracking, "PRE_TRANSIT", NULL, "2030-02-28T09:00:00Z", "ev0");
    api_response_free(r);
    shipment_status(s, tracking, buf, sizeof buf);
    cr_assert_str_eq(buf, "out_for_delivery");
    cr_assert_eq(count(s,
                       "SELECT CAST(COUNT(*) AS TEXT) FROM shipment_events e JOIN shipments sh ON sh.id = "
                       "e.shipment_id WHERE sh.tracking_number = $1",
                       tracking),
                 4, "label_created plus three distinct tracking events");
    /* Delivered: the order (marked shipped) follows. */
    const char *op[] = {order};
    cr_assert_eq(api_sql_exec(s, "UPDATE orders SET status = 'shipped' WHERE id = $1", op, 1), 0);
    r = webhook(s, "hook-secret-1", tracking, "DELIVERED", NULL, "2030-03-02T15:30:00Z", "ev3");
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    shipment_status(s, tracking, buf, sizeof buf);
    cr_assert_str_eq(buf, "delivered");
    long events1 = count(s,
                         "SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE kind = 'events.dispatch' "
                         "AND payload LIKE '%shipment.updated%'",
                         NULL);
    cr_assert_eq(events1 - events0, 3, "one shipment.updated per status change (%ld)", events1 - events0);
    r = api_as(s, &buyer, "GET", spath, NULL);
    json_t *sh = NULL;
    for (size_t i = 0; i < json_array_size(json_object_get(r->json, "data")); i++) {
        json_t *x = json_array_get(json_object_get(r->json, "data"), i);
        if (strcmp(json_string_value(json_object_get(x, "tracking_number")), tracking) == 0)
            sh = x;
    }
    cr_assert_not_null(sh, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(sh, "events")), 5, "%s", r->body);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(sh, "events"), 0), "status")),
                     "label_created");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(sh, "events"), 4), "location")),
                     "Memphis, TN, US");
    cr_assert_not_null(json_string_value(json_object_get(sh, "delivered_at")));
    api_response_free(r);
    cr_assert_eq(api_sql_text(s, "SELECT status FROM orders WHERE id = $1", op, 1, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, "delivered", "orders_carrier_delivered moved the order");

    /* Unknown tracking numbers are acknowledged, not matched. */
    r = webhook(s, "hook-secret-1", "NOPE123", "TRANSIT", NULL, "2030-03-01T10:00:00Z", "evx");
    cr_assert_eq(r->status, 200);
    cr_assert(json_is_false(json_object_get(r->json, "matched")));
    api_response_free(r);
    api_stop(s);
    fake_shippo_stop(f);
}

Test(shipping_tracking, labels_need_shippo_and_webhook_needs_a_token)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer;
    api_account(s, "seller", "noshippo", &seller);
    api_account(s, "buyer", "nb", &buyer);
    char order[64], path[128];
    make_order(s, &buyer, &seller, "paid", order);
    snprintf(path, sizeof path, "/api/v1/orders/%s/shipments/label", order);
    struct api_response *r = api_as(s, &seller, "POST", path, "{\"rate_id\":\"rate_1\"}");
    api_assert_problem(r, 409, "shipping_labels_unavailable");
    api_response_free(r);
    /* No webhook token configured: every call is refused. */
    r = webhook(s, "", "X", "TRANSIT", NULL, "2030-03-01T10:00:00Z", "e");
    cr_assert(r->status == 401 || r->status == 400, "%ld %s", r->status, r->body);
    api_response_free(r);
    r = webhook(s, "anything", "X", "TRANSIT", NULL, "2030-03-01T10:00:00Z", "e");
    api_assert_problem(r, 401, "invalid_webhook_token");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Through the orders service: checkout prices shipping with the rate table,
 * marking the order shipped records a manual shipment, the carrier's
 * webhook (with a tracking history) delivers it.
 */
Test(shipping_tracking, manual_shipment_from_orders_and_tracking_history)
{
    const char *env[] = {"ARTISTRY_SHIPPO_WEBHOOK_TOKEN=hook-secret-2", NULL};
    struct api_opts o = {.args = scaled_args, .env = env};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer;
    api_account(s, "seller", "manual", &seller);
    api_account(s, "buyer", "mia", &buyer);
    ship_shop_country(s, &seller, "US");
    char table[64], order[64], path[160];
    ship_make_table(s, &seller, "{\"name\":\"Standard\",\"rates\":[{\"zone\":\"domestic\",\"amount\":725}]}", table);
    api_paid_order(s, &buyer, &seller, 3000, order, NULL);
    const char *op[] = {order};
    char buf[64];
    cr_assert_eq(
        api_sql_text(s, "SELECT CAST(shipping_amount AS TEXT) FROM orders WHERE id = $1", op, 1, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, "725", "checkout priced shipping with the rate table");

    snprintf(path, sizeof path, "/api/v1/orders/%s/status", order);
    struct api_response *r = api_as(s, &seller, "PATCH", path, "{\"status\":\"processing\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &seller, "PATCH", path,
               "{\"status\":\"shipped\",\"carrier\":\"USPS\",\"tracking_number\":\"EZ4000\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/orders/%s/shipments", order);
    r = api_as(s, &buyer, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *sh = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1, "%s", r->body);
    cr_assert_str_eq(json_string_value(json_object_get(sh, "provider")), "manual");
    cr_assert_str_eq(json_string_value(json_object_get(sh, "status")), "in_transit");
    cr_assert_str_eq(json_string_value(json_object_get(sh, "tracking_number")), "EZ4000");
    cr_assert_not_null(json_string_value(json_object_get(sh, "shipped_at")));
    api_response_free(r);

    /* Shippo's carrier token is lower case; the history rides along. */
    const char *body =
        "{\"event\":\"track_updated\",\"test\":false,\"data\":{\"carrier\":\"usps\",\"tracking_number\":\"EZ4000\","
        "\"tracking_status\":{\"object_id\":\"h3\",\"status\":\"DELIVERED\",\"status_details\":\"Delivered\","
        "\"status_date\":\"2030-05-03T12:00:00Z\",\"location\":null},\"tracking_history\":["
        "{\"object_id\":\"h1\",\"status\":\"PRE_TRANSIT\",\"status_details\":\"Label\",\"status_date\":"
        "\"2030-05-01T09:00:00Z\"},{\"object_id\":\"h2\",\"status\":\"TRANSIT\",\"status_details\":\"Departed\","
        "\"status_date\":\"2030-05-02T09:00:00Z\",\"location\":{\"city\":\"Reno\",\"state\":\"NV\"}},"
        "{\"object_id\":\"h3\",\"status\":\"DELIVERED\",\"status_details\":\"Delivered\",\"status_date\":"
        "\"2030-05-03T12:00:00Z\"}]}}";
    r = api_post_json(s, "/api/v1/shipping/webhooks/shippo?token=hook-secret-2", body, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(json_is_true(json_object_get(r->json, "matched")), "%s", r->body);
    api_response_free(r);
    r = api_post_json(s, "/api/v1/shipping/webhooks/shippo?token=hook-secret-2", body, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &seller, "GET", path, NULL);
    sh = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(sh, "status")), "delivered", "%s", r->body);
    json_t *ev = json_object_get(sh, "events");
    cr_assert_eq(json_array_size(ev), 3, "history once, however often delivered: %s", r->body);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ev, 1), "location")), "Reno, NV");
    api_response_free(r);
    cr_assert_eq(api_sql_text(s, "SELECT status FROM orders WHERE id = $1", op, 1, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, "delivered");
    api_stop(s);
}
