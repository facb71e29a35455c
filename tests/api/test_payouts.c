/*
 * test_payouts.c — seller balances and payouts (GET /payouts, POST
 * /payouts/request, the payouts.process job on the local processor), seller
 * analytics, and kill -9 while payouts run.
 *
 * A seller's available balance comes from api_ledger_adjust_seller (a
 * balanced posting written in the database, standing in for released and
 * transferred sales; test_money_flow.c earns it through the real flow).
 * The local processor pays every payout at once, except amounts ending in
 * 13 cents, which fail with account_closed (payproc.h).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "commerce_testlib.h"

TestSuite(payouts, .fini = api_cleanup_all, .timeout = 240);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", "--job-poll-ms", "50", NULL};

static struct api_response *post_request(struct api_server *s, const struct api_account *a, const char *body)
{
    return api_as(s, a, "POST", "/api/v1/payouts/request", body);
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long long amount_of(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(json_object_get(o, k), "amount"));
}

/* Wait until the payout left requested/processing; its status into out (16 bytes). */
static void wait_settled(struct api_server *s, const char *id, char *out)
{
    const char *p[] = {id};
    for (int i = 0; i < 300; i++) {
        cr_assert_eq(api_sql_text(s, "SELECT status FROM payouts WHERE id = $1", p, 1, out, 16), 1);
        if (strcmp(out, "paid") == 0 || strcmp(out, "failed") == 0)
            return;
        api_sleep_ms(50);
    }
    cr_assert_fail("payout %s still %s", id, out);
}

static long long available(struct api_server *s, const struct api_account *seller)
{
    char code[128];
    snprintf(code, sizeof code, "seller:%.63s:available:USD", seller->id);
    return api_ledger_balance(s, code);
}

static int count(struct api_server *s, const char *sql, const char *arg)
{
    char buf[32];
    const char *p[] = {arg};
    cr_assert_eq(api_sql_text(s, sql, p, arg ? 1 : 0, buf, sizeof buf), 1);
    return atoi(buf);
}

/* The USD entry of GET /payouts balances. */
static json_t *usd_balance(json_t *page)
{
    json_t *b;
    size_t i;
    json_array_foreach(json_object_get(page, "balances"), i, b) if (strcmp(str(b, "currency"), "USD") == 0) return b;
    cr_assert_fail("no USD balance");
    return NULL;
}

Test(payouts, auth_validation_and_limits)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer;
    api_account(s, "seller", "potter", &seller);
    api_account(s, "buyer", "bea", &buyer);

    struct api_response *r = api_as(s, NULL, "GET", "/api/v1/payouts", NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/payouts", NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = post_request(s, NULL, "{}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = post_request(s, &buyer, "{}");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);

    /* Empty: zero balances, no payouts. */
    r = api_as(s, &seller, "GET", "/api/v1/payouts", NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *b = usd_balance(r->json);
    cr_assert_eq(json_integer_value(json_object_get(b, "available")), 0);
    cr_assert_eq(json_integer_value(json_object_get(b, "pending")), 0);
    cr_assert_eq(json_integer_value(json_object_get(b, "in_transit")), 0);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    cr_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    api_response_free(r);

    /* Validation. */
    const char *bad[] = {"{\"amount\":\"12\"}", "{\"amount\":-5}", "{\"amount\":0}", "{\"currency\":\"US\"}",
                         "{\"amount\":2000,\"to\":\"me\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = post_request(s, &seller, bad[i]);
        api_assert_problem(r, 422, "validation_failed");
        api_response_free(r);
    }
    r = api_as(s, &seller, "GET", "/api/v1/payouts?cursor=nonsense", NULL);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);
    r = api_as(s, &seller, "GET", "/api/v1/payouts?limit=0", NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);

    /* Nothing available. */
    r = post_request(s, &seller, "{\"amount\":2000}");
    api_assert_problem(r, 409, "insufficient_balance");
    api_response_free(r);
    r = post_request(s, &seller, "{}");
    api_assert_problem(r, 409, "insufficient_balance");
    api_response_free(r);

    /* Below the minimum (default 1000) and above the balance. */
    api_ledger_adjust_seller(s, seller.id, 10000);
    r = post_request(s, &seller, "{\"amount\":999}");
    api_assert_problem(r, 422, "payout_below_minimum");
    api_response_free(r);
    r = post_request(s, &seller, "{\"amount\":10001}");
    api_assert_problem(r, 409, "insufficient_balance");
    api_response_free(r);
    cr_assert_eq(count(s, "SELECT CAST(COUNT(*) AS TEXT) FROM payouts", NULL), 0);
    cr_assert_eq(available(s, &seller), 10000);
    api_ledger_assert_consistent(s);
    api_stop(s);
}

Test(payouts, paid_and_failed_payouts_move_the_ledger)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller;
    api_account(s, "seller", "weaver", &seller);
    api_ledger_adjust_seller(s, seller.id, 10000);
    long long cash0 = api_ledger_balance(s, "platform:cash:USD");

    /* A payout that the processor pays. */
    struct api_response *r = post_request(s, &seller, "{\"amount\":3000,\"currency\":\"USD\"}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    char id[64], st[16];
    snprintf(id, sizeof id, "%s", str(r->json, "id"));
    cr_assert_str_eq(str(r->json, "status"), "requested");
    cr_assert_eq(amount_of(r->json, "amount"), 3000);
    cr_assert_str_eq(str(r->json, "provider"), "local");
    api_response_free(r);
    cr_assert_eq(available(s, &seller), 7000, "the request takes the money at once");
    wait_settled(s, id, st);
    cr_assert_str_eq(st, "paid");
    cr_assert_eq(available(s, &seller), 7000);
    cr_assert_eq(api_ledger_balance(s, "platform:payouts:USD"), 0);
    cr_assert_eq(api_ledger_balance(s, "platform:cash:USD"), cash0 - 3000);
    char key[96];
    snprintf(key, sizeof key, "payout:%s", id);
    cr_assert_eq(count(s, "SELECT CAST(COUNT(*) AS TEXT) FROM ledger_transactions WHERE idempotency_key = $1", key),
                 1);
    snprintf(key, sizeof key, "payout_paid:%s", id);
    cr_assert_eq(count(s, "SELECT CAST(COUNT(*) AS TEXT) FROM ledger_transactions WHERE idempotency_key = $1", key),
                 1);
    cr_assert_eq(count(s,
                       "SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE kind = 'events.dispatch' AND payload LIKE "
                       "'%payout.sent%' AND payload LIKE '%' || $1 || '%'",
                       id),
                 1, "one payout.sent event");

    /* A payout the bank refuses (amount ending in 13): the money comes back. */
    r = post_request(s, &seller, "{\"amount\":1013}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(id, sizeof id, "%s", str(r->json, "id"));
    api_response_free(r);
    wait_settled(s, id, st);
    cr_assert_str_eq(st, "failed");
    cr_assert_eq(available(s, &seller), 7000);
    cr_assert_eq(api_ledger_balance(s, "platform:payouts:USD"), 0);
    cr_assert_eq(count(s, "SELECT CAST(COUNT(*) AS TEXT) FROM payouts WHERE id = $1 AND failure_reason = "
                          "'account_closed'", id),
                 1);
    cr_assert_eq(count(s,
                       "SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE kind = 'events.dispatch' AND payload LIKE "
                       "'%payout.failed%' AND payload LIKE '%' || $1 || '%'",
                       id),
                 1, "one payout.failed event");

    /* No amount: everything available. */
    r = post_request(s, &seller, "{}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_eq(amount_of(r->json, "amount"), 7000);
    snprintf(id, sizeof id, "%s", str(r->json, "id"));
    api_response_free(r);
    r = api_as(s, &seller, "GET", "/api/v1/payouts", NULL);
    cr_assert_eq(r->status, 200);
    long long in_transit = json_integer_value(json_object_get(usd_balance(r->json), "in_transit"));
    cr_assert(in_transit == 7000 || in_transit == 0, "in transit %lld", in_transit);
    api_response_free(r);
    wait_settled(s, id, st);
    cr_assert_eq(available(s, &seller), 0);

    /* The list: newest first, with a cursor. */
    r = api_as(s, &seller, "GET", "/api/v1/payouts?limit=2", NULL);
    cr_assert_eq(r->status, 200);
    json_t *data = json_object_get(r->json, "data");
    cr_assert_eq(json_array_size(data), 2);
    cr_assert_str_eq(str(json_array_get(data, 0), "id"), id);
    cr_assert_str_eq(str(json_array_get(data, 1), "status"), "failed");
    const char *next = str(r->json, "next_cursor");
    cr_assert_not_null(next);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/payouts?limit=2&cursor=%s", next);
    api_response_free(r);
    r = api_as(s, &seller, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    data = json_object_get(r->json, "data");
    cr_assert_eq(json_array_size(data), 1);
    cr_assert_str_eq(str(json_array_get(data, 0), "status"), "paid");
    cr_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    json_t *b = usd_balance(r->json);
    cr_assert_eq(json_integer_value(json_object_get(b, "available")), 0);
    cr_assert_eq(json_integer_value(json_object_get(b, "in_transit")), 0);
    api_response_free(r);
    api_ledger_assert_consistent(s);
    api_stop(s);
}

Test(payouts, negative_available_is_carried)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, other;
    api_account(s, "seller", "glazier", &seller);
    api_account(s, "seller", "turner", &other);
    api_ledger_adjust_seller(s, other.id, 5000); /* the platform holds other sellers' money too */
    /* A refund after the transfer reversed 2500 the seller no longer had. */
    api_ledger_adjust_seller(s, seller.id, 1000);
    api_ledger_adjust_seller(s, seller.id, -2500);
    cr_assert_eq(available(s, &seller), -1500);
    struct api_response *r = post_request(s, &seller, "{}");
    api_assert_problem(r, 409, "insufficient_balance");
    api_response_free(r);
    r = post_request(s, &seller, "{\"amount\":1000}");
    api_assert_problem(r, 409, "insufficient_balance");
    api_response_free(r);
    r = api_as(s, &seller, "GET", "/api/v1/payouts", NULL);
    cr_assert_eq(json_integer_value(json_object_get(usd_balance(r->json), "available")), -1500);
    api_response_free(r);
    /* New sales cover the shortfall first. */
    api_ledger_adjust_seller(s, seller.id, 4000);
    r = post_request(s, &seller, "{}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_eq(amount_of(r->json, "amount"), 2500);
    char id[64], st[16];
    snprintf(id, sizeof id, "%s", str(r->json, "id"));
    api_response_free(r);
    wait_settled(s, id, st);
    cr_assert_str_eq(st, "paid");
    cr_assert_eq(available(s, &seller), 0);
    api_ledger_assert_consistent(s);
    api_stop(s);
}

/* Concurrent requests from one seller never pay out more than available. */
Test(payouts, concurrent_requests_never_overdraw)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller;
    api_account(s, "seller", "smith", &seller);
    api_ledger_adjust_seller(s, seller.id, 5000);
    enum { N = 12 };
    char *reqs[N];
    int status[N];
    for (int i = 0; i < N; i++)
        reqs[i] = api_raw_request("POST", "/api/v1/payouts/request", &seller, "{\"amount\":1000}");
    api_race(s, N, reqs, status, NULL);
    int created = 0;
    for (int i = 0; i < N; i++) {
        cr_assert(status[i] == 201 || status[i] == 409 || status[i] == 503, "status %d", status[i]);
        created += status[i] == 201;
        free(reqs[i]);
    }
    cr_assert_eq(created, 5, "%d payouts of 1000 from 5000", created);
    cr_assert_eq(count(s, "SELECT CAST(COUNT(*) AS TEXT) FROM payouts WHERE seller_id = $1", seller.id), 5);
    cr_assert_eq(available(s, &seller), 0);
    api_ledger_assert_consistent(s);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Analytics
 */
static void insert_order(struct api_server *s, const struct api_account *buyer, const struct api_account *seller,
                         const char *product, long long total, long long refunded, long long paid_at)
{
    char oid[64], iid[64], tot[32], ref[32], at[32];
    api_test_id(oid, sizeof oid, "ord");
    api_test_id(iid, sizeof iid, "oit");
    snprintf(tot, sizeof tot, "%lld", total);
    snprintf(ref, sizeof ref, "%lld", refunded);
    snprintf(at, sizeof at, "%lld", paid_at);
    const char *p[] = {oid, buyer->id, seller->id, seller->shop_id, tot, ref, at};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO orders (id, buyer_id, seller_id, shop_id, status, subtotal_amount, "
                              "total_amount, refunded_amount, currency, commission_bps, paid_at, created_at, "
                              "updated_at) VALUES ($1, $2, $3, $4, 'paid', CAST($5 AS BIGINT), CAST($5 AS BIGINT), "
                              "CAST($6 AS BIGINT), 'USD', 1000, CAST($7 AS BIGINT), CAST($7 AS BIGINT), "
                              "CAST($7 AS BIGINT))",
                              p, 7),
                 0);
    const char *q[] = {iid, oid, product, tot, at};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO order_items (id, order_id, product_id, title, unit_price_amount, quantity, "
                              "line_total_amount, currency, created_at) SELECT $1, $2, $3, title, CAST($4 AS BIGINT), "
                              "1, CAST($4 AS BIGINT), 'USD', CAST($5 AS BIGINT) FROM products WHERE id = $3",
                              q, 5),
                 0);
}

static void insert_product(struct api_server *s, const struct api_account *seller, const char *title, char *out)
{
    char now[32], slug[80];
    api_test_id(out, 64, "prd");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    snprintf(slug, sizeof slug, "item-%s", out + 4);
    const char *p[] = {out, seller->id, seller->shop_id, slug, title, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO products (id, seller_id, shop_id, slug, title, price_amount, currency, "
                              "status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1000, 'USD', 'active', "
                              "CAST($6 AS BIGINT), CAST($6 AS BIGINT))",
                              p, 6),
                 0);
}

Test(payouts, seller_analytics)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, other, buyer, admin;
    api_account(s, "seller", "carver", &seller);
    api_account(s, "seller", "rival", &other);
    api_account(s, "buyer", "cliff", &buyer);
    api_account(s, "admin", "ada", &admin);
    char bowl[64], spoon[64], theirs[64];
    insert_product(s, &seller, "Walnut bowl", bowl);
    insert_product(s, &seller, "Cherry spoon", spoon);
    insert_product(s, &other, "Not mine", theirs);
    /* 2026-03-10 and 2026-03-11 UTC, plus one order outside the range and one of another seller. */
    long long d10 = 1773100800000LL, d11 = d10 + 86400000LL;
    insert_order(s, &buyer, &seller, bowl, 5000, 0, d10 + 3600000);
    insert_order(s, &buyer, &seller, bowl, 5000, 2000, d10 + 7200000);
    insert_order(s, &buyer, &seller, spoon, 1500, 0, d11 + 60000);
    insert_order(s, &buyer, &seller, spoon, 9999, 0, d10 - 86400000LL * 40);
    insert_order(s, &buyer, &other, theirs, 7777, 0, d10 + 60000);
    char day[32], d2[32];
    snprintf(day, sizeof day, "%lld", d10);
    snprintf(d2, sizeof d2, "%lld", d11);
    const char *v1[] = {bowl, day}, *v2[] = {spoon, d2}, *v3[] = {theirs, day};
    const char *vsql = "INSERT INTO product_views (product_id, day_at, view_count) VALUES ($1, CAST($2 AS BIGINT), 50)";
    cr_assert_eq(api_sql_exec(s, vsql, v1, 2), 0);
    cr_assert_eq(api_sql_exec(s, vsql, v2, 2), 0);
    cr_assert_eq(api_sql_exec(s, vsql, v3, 2), 0);

    char path[256];
    snprintf(path, sizeof path, "/api/v1/sellers/%s/analytics?from=2026-03-01T00:00:00Z&to=2026-03-31T00:00:00Z",
             seller.id);
    struct api_response *r = api_as(s, &seller, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *j = r->json;
    cr_assert_eq(json_integer_value(json_object_get(j, "order_count")), 3);
    cr_assert_eq(amount_of(j, "gross"), 11500);
    cr_assert_eq(amount_of(j, "refunded"), 2000);
    cr_assert_eq(amount_of(j, "revenue"), 9500);
    cr_assert_eq(amount_of(j, "average_order_value"), 3167); /* 9500 / 3 rounded half up */
    cr_assert_eq(json_integer_value(json_object_get(j, "views")), 100);
    cr_assert_float_eq(json_real_value(json_object_get(j, "conversion")), 0.03, 1e-9);
    json_t *top = json_object_get(j, "top_products");
    cr_assert_eq(json_array_size(top), 2);
    cr_assert_str_eq(str(json_array_get(top, 0), "product_id"), bowl);
    cr_assert_eq(amount_of(json_array_get(top, 0), "revenue"), 10000);
    cr_assert_str_eq(str(json_array_get(top, 1), "title"), "Cherry spoon");
    json_t *days = json_object_get(j, "by_day");
    cr_assert_eq(json_array_size(days), 2);
    cr_assert_str_eq(str(json_array_get(days, 0), "date"), "2026-03-10");
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(days, 0), "orders")), 2);
    cr_assert_eq(amount_of(json_array_get(days, 0), "revenue"), 8000);
    cr_assert_eq(amount_of(json_array_get(days, 1), "revenue"), 1500);
    api_response_free(r);

    /* An admin may look; another seller may not (404: not theirs); a buyer is no seller (403). */
    r = api_as(s, &admin, "GET", path, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "order_count")), 3);
    api_response_free(r);
    r = api_as(s, &other, "GET", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &buyer, "GET", path, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(s, NULL, "GET", path, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    /* Bad ranges and unknown sellers. */
    snprintf(path, sizeof path, "/api/v1/sellers/%s/analytics?from=2026-03-31T00:00:00Z&to=2026-03-01T00:00:00Z",
             seller.id);
    r = api_as(s, &seller, "GET", path, NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/sellers/%s/analytics?from=yesterday", seller.id);
    r = api_as(s, &seller, "GET", path, NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);
    r = api_as(s, &admin, "GET", "/api/v1/sellers/usr_00000000000000000000000000/analytics", NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    /* Default range (the last 30 days): none of these orders. */
    snprintf(path, sizeof path, "/api/v1/sellers/%s/analytics", seller.id);
    r = api_as(s, &seller, "GET", path, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "order_count")), 0);
    cr_assert(json_is_null(json_object_get(r->json, "average_order_value")));
    cr_assert(json_is_null(json_object_get(r->json, "conversion")));
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * kill -9 while payout requests and jobs run
 */
struct fire {
    struct api_server *s;
    int n;
    char **reqs;
    int *status;
};

static void *fire_all(void *arg)
{
    struct fire *f = arg;
    api_race(f->s, f->n, f->reqs, f->status, NULL);
    return NULL;
}

static void assert_no_half_payout(struct api_server *s)
{
    static const char *const checks[][2] = {
        {"a payout without its ledger start",
         "SELECT CAST(COUNT(*) AS TEXT) FROM payouts p WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t "
         "WHERE t.idempotency_key = 'payout:' || p.id)"},
        {"a ledger start without its payout",
         "SELECT CAST(COUNT(*) AS TEXT) FROM ledger_transactions t WHERE t.reference_type = 'payout' AND "
         "NOT EXISTS (SELECT 1 FROM payouts p WHERE p.id = t.reference_id)"},
        {"a paid payout without its paid posting (or a posting without the status)",
         "SELECT CAST(COUNT(*) AS TEXT) FROM payouts p WHERE (p.status = 'paid') <> EXISTS (SELECT 1 FROM "
         "ledger_transactions t WHERE t.idempotency_key = 'payout_paid:' || p.id)"},
        {"a failed payout without its return posting (or a posting without the status)",
         "SELECT CAST(COUNT(*) AS TEXT) FROM payouts p WHERE (p.status = 'failed') <> EXISTS (SELECT 1 FROM "
         "ledger_transactions t WHERE t.idempotency_key = 'payout_failed:' || p.id)"},
        {"a payout without its job",
         "SELECT CAST(COUNT(*) AS TEXT) FROM payouts p WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = "
         "'payouts.process' AND j.payload LIKE '%' || p.id || '%')"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char buf[32] = "";
        cr_assert_eq(api_sql_text(s, checks[i][1], NULL, 0, buf, sizeof buf), 1);
        cr_assert_str_eq(buf, "0", "%s (%s)", checks[i][0], buf);
    }
    api_ledger_assert_consistent(s);
}

static void wait_all_settled(struct api_server *s)
{
    char buf[32] = "";
    for (int i = 0; i < 600; i++) {
        cr_assert_eq(api_sql_text(s,
                                  "SELECT CAST(COUNT(*) AS TEXT) FROM payouts WHERE status IN ('requested', "
                                  "'processing')",
                                  NULL, 0, buf, sizeof buf),
                     1);
        if (strcmp(buf, "0") == 0)
            return;
        api_sleep_ms(50);
    }
    cr_assert_fail("%s payouts never settled after the restart", buf);
}

Test(payouts, kill9_during_payouts)
{
    static const char *const args[] = {"--rate-limit-scale", "100", "--job-poll-ms", "20", "--job-lease-ms", "500",
                                       "--job-workers", "2", NULL};
    struct api_opts o = {.args = args};
    struct api_server *s = api_start(&o);
    enum { SELLERS = 4, N = 24, ROUNDS = 4, FUNDS = 30000 };
    struct api_account sellers[SELLERS];
    for (int i = 0; i < SELLERS; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "k%d", i);
        api_account(s, "seller", tag, &sellers[i]);
        api_ledger_adjust_seller(s, sellers[i].id, FUNDS);
    }
    srand((unsigned)api_now_ms());
    for (int round = 0; round < ROUNDS; round++) {
        char *reqs[N];
        int status[N];
        for (int i = 0; i < N; i++) {
            char body[64];
            /* Amounts ending in 13 fail at the bank: their money must come back. */
            snprintf(body, sizeof body, "{\"amount\":%d}", i % 5 == 0 ? 1013 : 1000 + 100 * (rand() % 10));
            reqs[i] = api_raw_request("POST", "/api/v1/payouts/request", &sellers[i % SELLERS], body);
        }
        struct fire f = {s, N, reqs, status};
        pthread_t th;
        cr_assert_eq(pthread_create(&th, NULL, fire_all, &f), 0);
        api_sleep_ms(rand() % 120);
        api_kill9(s);
        pthread_join(th, NULL);
        for (int i = 0; i < N; i++)
            free(reqs[i]);
        api_restart(s);
        assert_no_half_payout(s);
        wait_all_settled(s);
        assert_no_half_payout(s);
    }
    cr_assert_eq(api_ledger_balance(s, "platform:payouts:USD"), 0, "every payout settled");
    cr_assert(count(s, "SELECT CAST(COUNT(*) AS TEXT) FROM payouts", NULL) > 0, "some payouts were made");
    for (int i = 0; i < SELLERS; i++) {
        char buf[32];
        const char *p[] = {sellers[i].id};
        cr_assert_eq(api_sql_text(s,
                                  "SELECT CAST(COALESCE(SUM(amount), 0) AS TEXT) FROM payouts WHERE seller_id = $1 "
                                  "AND status = 'paid'",
                                  p, 1, buf, sizeof buf),
                     1);
        cr_assert_eq(available(s, &sellers[i]) + atoll(buf), FUNDS, "seller %d: available + paid out = funded", i);
    }
    api_stop(s);
}
