/*
 * test_checkout_race.c — the done-when tests of checkout: no oversell under
 * a 200-way race, and no half-made order after kill -9 mid-checkout.
 *
 * Runs on SQLite, and on PostgreSQL when ARTISTRY_TEST_DATABASE_URL is set.
 * Buyers are made with api_accounts (one registration, the rest copied) so
 * 200 accounts cost 200 sign-ins, not 400 password hashes.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_client.h"
#include "api/commerce_testlib.h"

static const char *const race_args[] = {"--rate-limits", "false", NULL};

static long long sql_int(struct api_server *s, const char *sql, const char *const *p, int n)
{
    char buf[64];
    cr_assert_eq(api_sql_text(s, sql, p, n, buf, sizeof buf), 1, "%s", sql);
    return atoll(buf);
}

#define CHECKOUT_BODY                                                                                                 \
    "{\"shipping_address\":{\"full_name\":\"Racer\",\"line1\":\"1 Track Road\",\"city\":\"Leeds\","                  \
    "\"country\":\"GB\"}}"

/*-----------------------------------------------------------------------------
 * 200 buyers, 1 unit
 */
Test(checkout_race, two_hundred_buyers_one_unit, .timeout = 600)
{
    enum { N = 200 };
    struct api_opts o = {.args = race_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, *buyers = calloc(N, sizeof *buyers);
    char product[64];
    api_account(s, "seller", "race-seller", &seller);
    api_accounts(s, "buyer", "racer", N, buyers);
    api_product(s, &seller, 2500, 1, product);
    for (int i = 0; i < N; i++)
        api_cart_add(s, &buyers[i], product, 1);

    char *req[N], *reply[N];
    int status[N];
    for (int i = 0; i < N; i++)
        req[i] = api_raw_request("POST", "/api/v1/orders", &buyers[i], CHECKOUT_BODY);
    api_race(s, N, req, status, reply);

    int won = 0, sold_out = 0;
    for (int i = 0; i < N; i++) {
        if (status[i] == 201)
            won++;
        else if (status[i] == 409 && strstr(reply[i], "\"code\":\"out_of_stock\"") != NULL &&
                 strstr(reply[i], product) != NULL)
            sold_out++;
        else
            cr_log_error("buyer %d: %d %s", i, status[i], reply[i] ? reply[i] : "(no reply)");
        free(req[i]);
        free(reply[i]);
    }
    cr_expect_eq(won, 1, "exactly one checkout wins, got %d", won);
    cr_expect_eq(sold_out, N - 1, "the others are told out_of_stock, got %d", sold_out);

    const char *p[] = {product};
    cr_expect_eq(sql_int(s, "SELECT stock FROM products WHERE id = $1", p, 1), 0);
    cr_expect_eq(sql_int(s, "SELECT in_stock FROM products WHERE id = $1", p, 1), 0);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM orders", NULL, 0), 1);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM checkouts", NULL, 0), 1);
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM payment_intents", NULL, 0), 1);
    cr_expect_eq(sql_int(s, "SELECT COALESCE(SUM(quantity), 0) FROM stock_reservations WHERE released_at IS NULL",
                         NULL, 0),
                 1);
    /* The losers' carts are untouched; the winner's line is gone. */
    cr_expect_eq(sql_int(s, "SELECT COUNT(*) FROM cart_items WHERE product_id = $1", p, 1), N - 1);
    free(buyers);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * kill -9 in the middle of checkouts
 */
struct killer {
    struct api_server *s;
    int delay_ms;
};

static void *kill_later(void *arg)
{
    struct killer *k = arg;
    api_sleep_ms(k->delay_ms);
    api_kill9(k->s);
    return NULL;
}

/* The invariants that must hold whenever the server is not running a transaction. */
static void assert_whole(struct api_server *s, const char (*products)[64], int nproducts, long long initial)
{
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS "
                            "(SELECT 1 FROM order_items i WHERE i.order_id = o.id)", NULL, 0),
                 0, "an order without items");
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM order_items i WHERE NOT EXISTS "
                            "(SELECT 1 FROM stock_reservations r WHERE r.order_item_id = i.id)", NULL, 0),
                 0, "an order item without its reservation");
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM orders o WHERE o.checkout_id IS NULL OR NOT EXISTS "
                            "(SELECT 1 FROM checkouts c WHERE c.id = o.checkout_id)", NULL, 0),
                 0, "an order without its checkout");
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM checkouts c WHERE NOT EXISTS "
                            "(SELECT 1 FROM orders o WHERE o.checkout_id = c.id)", NULL, 0),
                 0, "a checkout without orders");
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM checkouts c WHERE c.payment_intent_id IS NULL OR NOT EXISTS "
                            "(SELECT 1 FROM payment_intents p WHERE p.id = c.payment_intent_id "
                            "AND p.checkout_id = c.id AND p.amount = c.total_amount)", NULL, 0),
                 0, "a checkout without its payment intent");
    for (int i = 0; i < nproducts; i++) {
        const char *p[] = {products[i]};
        long long stock = sql_int(s, "SELECT stock FROM products WHERE id = $1", p, 1);
        long long held = sql_int(s, "SELECT COALESCE(SUM(quantity), 0) FROM stock_reservations "
                                    "WHERE product_id = $1 AND released_at IS NULL", p, 1);
        cr_assert_eq(stock + held, initial, "%s: stock %lld + held %lld != %lld", products[i], stock, held, initial);
    }
    cr_assert_eq(sql_int(s, "SELECT COALESCE(SUM(CASE WHEN direction = 'debit' THEN amount ELSE -amount END), 0) "
                            "FROM ledger_entries", NULL, 0),
                 0, "the ledger does not balance");
}

Test(checkout_race, kill9_mid_checkout, .timeout = 900)
{
    enum { BUYERS = 30, PRODUCTS = 3, ROUNDS = 5 };
    const long long initial = 1000;
    struct api_opts o = {.args = race_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyers[BUYERS];
    char products[PRODUCTS][64];
    api_account(s, "seller", "k9-seller", &seller);
    api_accounts(s, "buyer", "k9-buyer", BUYERS, buyers);
    for (int i = 0; i < PRODUCTS; i++)
        api_product(s, &seller, 1000 + 100 * i, (int)initial, products[i]);
    srand((unsigned)api_now_ms());

    for (int round = 0; round < ROUNDS; round++) {
        char *req[BUYERS];
        int status[BUYERS];
        for (int b = 0; b < BUYERS; b++) {
            api_cart_add(s, &buyers[b], products[(b + round) % PRODUCTS], 1);
            api_cart_add(s, &buyers[b], products[(b + round + 1) % PRODUCTS], 2);
            req[b] = api_raw_request("POST", "/api/v1/orders", &buyers[b], CHECKOUT_BODY);
        }
        /* Even rounds: early (before or during the first commits); odd rounds: later, among the commits. */
        struct killer k = {s, round % 2 == 0 ? 2 + rand() % 50 : 50 + rand() % (api_pg() ? 600 : 150)};
        pthread_t t;
        cr_assert_eq(pthread_create(&t, NULL, kill_later, &k), 0);
        api_race(s, BUYERS, req, status, NULL);
        pthread_join(t, NULL);
        int done = 0;
        for (int b = 0; b < BUYERS; b++) {
            done += status[b] == 201;
            free(req[b]);
        }
        cr_log_info("round %d: killed after %d ms, %d checkouts answered 201", round, k.delay_ms, done);
        api_restart(s);
        assert_whole(s, products, PRODUCTS, initial);
    }

    /* One more checkout after the restarts, paid, so the ledger holds money; then expire all the others. */
    json_t *res = NULL;
    api_cart_add(s, &buyers[0], products[0], 1);
    cr_assert_eq(api_checkout(s, &buyers[0], NULL, &res), 201);
    cr_assert_eq(api_pay(s, &buyers[0], json_string_value(json_object_get(res, "payment_intent_id"))), 200);
    json_decref(res);
    cr_assert_eq(api_sql_exec(s, "UPDATE checkouts SET expires_at = 0 WHERE status = 'awaiting_payment'", NULL, 0),
                 0);
    long long left = 1;
    for (int i = 0; i < 100 && left > 0; i++) {
        api_sleep_ms(100);
        left = sql_int(s, "SELECT COUNT(*) FROM checkouts WHERE status = 'awaiting_payment'", NULL, 0);
    }
    cr_assert_eq(left, 0, "expiry did not run after the restart");
    assert_whole(s, products, PRODUCTS, initial);
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM stock_reservations WHERE released_at IS NULL "
                            "AND committed_at IS NULL", NULL, 0),
                 0, "an open reservation after expiry");
    long long sold = sql_int(s, "SELECT COALESCE(SUM(quantity), 0) FROM stock_reservations "
                                "WHERE committed_at IS NOT NULL", NULL, 0);
    long long stock = 0;
    for (int i = 0; i < PRODUCTS; i++) {
        const char *p[] = {products[i]};
        stock += sql_int(s, "SELECT stock FROM products WHERE id = $1", p, 1);
    }
    cr_assert_eq(stock + sold, initial * PRODUCTS, "expired stock did not all come back");
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM orders WHERE status = 'paid'", NULL, 0) > 0, 1);
    api_stop(s);
}
