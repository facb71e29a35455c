/*
 * test_escrow.c — escrows of orders: held at payment with the order's
 * commission, readable by its parties only, not releasable through the
 * escrow endpoint (the order's own confirm-receipt does that), not
 * disputable before shipping; input and auth failures.
 *
 * The order comes from the real checkout and payment (api_paid_order); the
 * escrow id is read from the database, the one thing the API does not list
 * for an order here.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "commerce_testlib.h"

TestSuite(escrow, .fini = api_cleanup_all, .timeout = 180);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

Test(escrow, order_escrow_rules)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account buyer, seller, other, admin;
    api_account(s, "buyer", "ebuyer", &buyer);
    api_account(s, "seller", "eseller", &seller);
    api_account(s, "seller", "eother", &other);
    api_account(s, "admin", "eadmin", &admin);
    char order[64], esc[64], path[160];
    api_paid_order(s, &buyer, &seller, 2599, order, NULL);
    const char *p[] = {order};
    cr_assert_eq(api_sql_text(s, "SELECT id FROM escrows WHERE order_id = $1", p, 1, esc, sizeof esc), 1);

    snprintf(path, sizeof path, "/api/v1/escrow/%s", esc);
    struct api_response *r = api_as(s, NULL, "GET", path, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &other, "GET", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/escrow/not-an-id", NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &admin, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &seller, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *j = r->json;
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "held");
    cr_assert_str_eq(json_string_value(json_object_get(j, "order_id")), order);
    long long amount = json_integer_value(json_object_get(json_object_get(j, "amount"), "amount"));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "held_amount"), "amount")), amount);
    cr_assert_eq(json_integer_value(json_object_get(j, "commission_bps")), 1000);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "history"), 0), "action")),
                     "held");
    api_response_free(r);

    /* Release through the escrow endpoint: refused for orders (and only the buyer may try). */
    snprintf(path, sizeof path, "/api/v1/escrow/%s/release", esc);
    r = api_as(s, &seller, "POST", path, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(s, &buyer, "POST", path, NULL);
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);

    /* A paid, unshipped order cannot be disputed yet. */
    snprintf(path, sizeof path, "/api/v1/escrow/%s/dispute", esc);
    r = api_as(s, &buyer, "POST", path, "{\"reason\":\"late\"}");
    api_assert_problem(r, 409, "invalid_state_transition");
    cr_assert(strstr(r->body, "order status: paid") != NULL, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &buyer, "POST", path, "{}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);

    /* Disputes: none; resolving a missing one is 404; bad cursor 400. */
    r = api_as(s, &buyer, "GET", "/api/v1/disputes", NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/disputes?cursor=zzz", NULL);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);
    r = api_as(s, &admin, "POST", "/api/v1/disputes/dsp_00000000000000000000000000/resolve",
               "{\"resolution\":\"refund_buyer\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    api_stop(s);
}
