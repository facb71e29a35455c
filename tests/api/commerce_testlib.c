/*
 * commerce_testlib.c — see commerce_testlib.h. Products, rate tables and
 * ledger rows are written straight into the server's database with
 * api_sql_exec (the SQL is portable between SQLite and PostgreSQL); carts,
 * checkout and payment go through the API.
 */
#include "api/commerce_testlib.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*-----------------------------------------------------------------------------
 * Products, carts, checkout and payment (orders helper)
 */

void api_product(struct api_server *s, const struct api_account *seller, long long price, int stock, char *id_out)
{
    char now[32], slug[96], price_s[32], stock_s[32], table[64];
    api_test_id(id_out, 64, "prd");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    snprintf(slug, sizeof slug, "item-%s", id_out + 4);
    snprintf(price_s, sizeof price_s, "%lld", price);
    snprintf(stock_s, sizeof stock_s, "%d", stock);
    const char *p[] = {id_out, seller->id, seller->shop_id, slug, price_s, stock_s, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO products (id, seller_id, shop_id, slug, title, price_amount, currency, "
                              "status, stock, in_stock, published_at, created_at, updated_at) VALUES ($1, $2, $3, $4, "
                              "'Hand-thrown bowl', CAST($5 AS BIGINT), 'USD', 'active', CAST($6 AS INTEGER), "
                              "CASE WHEN CAST($6 AS INTEGER) > 0 THEN 1 ELSE 0 END, CAST($7 AS BIGINT), "
                              "CAST($7 AS BIGINT), CAST($7 AS BIGINT))",
                              p, 7),
                 0);
    const char *ps[] = {seller->shop_id};
    char found[64];
    if (api_sql_text(s, "SELECT id FROM shipping_rate_tables WHERE shop_id = $1 LIMIT 1", ps, 1, found,
                     sizeof found) != 0)
        return;
    char rate[64];
    api_test_id(table, sizeof table, "srt");
    api_test_id(rate, sizeof rate, "srr");
    const char *pt[] = {table, seller->id, seller->shop_id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO shipping_rate_tables (id, seller_id, shop_id, name, basis, currency, "
                              "is_default, created_at, updated_at) VALUES ($1, $2, $3, 'Standard', 'flat', 'USD', 1, "
                              "CAST($4 AS BIGINT), CAST($4 AS BIGINT))",
                              pt, 4),
                 0);
    const char *pr[] = {rate, table, seller->id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO shipping_rates (id, table_id, seller_id, zone, amount, currency, min_days, "
                              "max_days, created_at, updated_at) VALUES ($1, $2, $3, 'everywhere', 0, 'USD', 2, 5, "
                              "CAST($4 AS BIGINT), CAST($4 AS BIGINT))",
                              pr, 4),
                 0);
}

void api_cart_add(struct api_server *s, const struct api_account *buyer, const char *product_id, int quantity)
{
    char body[200];
    snprintf(body, sizeof body, "{\"product_id\":\"%s\",\"quantity\":%d}", product_id, quantity);
    struct api_response *r = api_as(s, buyer, "POST", "/api/v1/cart/items", body);
    cr_assert(r->status == 200 || r->status == 201, "cart add %s: %ld %s", product_id, r->status, r->body);
    api_response_free(r);
}

/* The shipping address api_checkout sends when given no body. */
#define API_DEFAULT_CHECKOUT                                                                                          \
    "{\"shipping_address\":{\"full_name\":\"Ada Buyer\",\"line1\":\"1 Test Street\",\"city\":\"Springfield\","      \
    "\"postal_code\":\"12345\",\"country\":\"US\"}}"

long api_checkout(struct api_server *s, const struct api_account *buyer, json_t *body, json_t **res)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct api_response *r = api_as(s, buyer, "POST", "/api/v1/orders", text ? text : API_DEFAULT_CHECKOUT);
    free(text);
    long status = r->status;
    if (res != NULL)
        *res = r->json ? json_incref(r->json) : NULL;
    api_response_free(r);
    return status;
}

long api_pay(struct api_server *s, const struct api_account *buyer, const char *intent_id)
{
    char body[300];
    snprintf(body, sizeof body, "{\"payment_intent_id\":\"%s\"}", intent_id);
    struct api_response *r = api_as(s, buyer, "POST", "/api/v1/payments/create-intent", body);
    long status = r->status;
    if (status != 200 && status != 201)
        fprintf(stderr, "api_pay: create-intent %s: %ld %s\n", intent_id, status, r->body);
    api_response_free(r);
    if (status != 200 && status != 201)
        return 0;
    snprintf(body, sizeof body, "{\"payment_intent_id\":\"%s\",\"payment_method\":\"4242424242424242\"}", intent_id);
    r = api_as(s, buyer, "POST", "/api/v1/payments/confirm", body);
    status = r->status;
    if (status != 200)
        fprintf(stderr, "api_pay: confirm %s: %ld %s\n", intent_id, status, r->body);
    api_response_free(r);
    return status;
}

void api_paid_order(struct api_server *s, const struct api_account *buyer, const struct api_account *seller,
                    long long price, char *order_id, char *product_id)
{
    char pid[64];
    json_t *res = NULL;
    api_product(s, seller, price, 5, pid);
    api_cart_add(s, buyer, pid, 1);
    long st = api_checkout(s, buyer, NULL, &res);
    cr_assert_eq(st, 201, "checkout: %ld", st);
    const char *intent = json_string_value(json_object_get(res, "payment_intent_id"));
    json_t *orders = json_object_get(res, "orders");
    cr_assert(intent != NULL && json_array_size(orders) == 1, "checkout response");
    snprintf(order_id, 64, "%s", json_string_value(json_object_get(json_array_get(orders, 0), "id")));
    st = api_pay(s, buyer, intent);
    cr_assert_eq(st, 200, "pay %s: %ld", intent, st);
    json_decref(res);
    if (product_id != NULL)
        snprintf(product_id, 64, "%s", pid);
}

/*-----------------------------------------------------------------------------
 * Ledger fixtures and checks (payouts helper)
 */
static void ledger_account_row(struct api_server *s, const char *code, const char *type, const char *owner,
                               int may_go_negative)
{
    char id[64], now[32];
    api_test_id(id, sizeof id, "lac");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *p[] = {id, code, type, owner, may_go_negative ? "1" : "0", now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO ledger_accounts (id, code, type, currency, owner_id, may_go_negative, "
                              "balance, created_at) VALUES ($1, $2, $3, 'USD', NULLIF($4, ''), CAST($5 AS INTEGER), "
                              "0, CAST($6 AS BIGINT)) ON CONFLICT (code) DO NOTHING",
                              p, 6),
                 0);
}

static void ledger_entry_row(struct api_server *s, const char *txn, const char *code, const char *dir,
                             long long amount, long long delta)
{
    char id[64], amt[32], dl[32], now[32];
    api_test_id(id, sizeof id, "len");
    snprintf(amt, sizeof amt, "%lld", amount);
    snprintf(dl, sizeof dl, "%lld", delta);
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *p[] = {id, txn, code, dir, amt, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, currency, "
                              "created_at) SELECT $1, $2, id, $4, CAST($5 AS BIGINT), 'USD', CAST($6 AS BIGINT) "
                              "FROM ledger_accounts WHERE code = $3",
                              p, 6),
                 0);
    const char *q[] = {code, dl};
    cr_assert_eq(api_sql_exec(s, "UPDATE ledger_accounts SET balance = balance + CAST($2 AS BIGINT) WHERE code = $1",
                              q, 2),
                 0);
}

void api_ledger_adjust_seller(struct api_server *s, const char *seller_id, long long amount)
{
    char seller_code[128], txn[64], now[32];
    cr_assert(amount != 0);
    snprintf(seller_code, sizeof seller_code, "seller:%s:available:USD", seller_id);
    ledger_account_row(s, "platform:cash:USD", "asset", "", 0);
    ledger_account_row(s, seller_code, "liability", seller_id, 1);
    api_test_id(txn, sizeof txn, "ltx");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *p[] = {txn, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO ledger_transactions (id, kind, description, reference_type, reference_id, "
                              "idempotency_key, created_at) VALUES ($1, 'adjustment', 'test fixture', 'test', $1, "
                              "'test:' || $1, CAST($2 AS BIGINT))",
                              p, 2),
                 0);
    long long a = amount > 0 ? amount : -amount;
    /* amount > 0: Dr cash, Cr seller available. amount < 0: the reverse. */
    ledger_entry_row(s, txn, "platform:cash:USD", amount > 0 ? "debit" : "credit", a, amount);
    ledger_entry_row(s, txn, seller_code, amount > 0 ? "credit" : "debit", a, amount);
}

long long api_ledger_balance(struct api_server *s, const char *code)
{
    char buf[32] = "";
    const char *p[] = {code};
    int rc = api_sql_text(s, "SELECT CAST(balance AS TEXT) FROM ledger_accounts WHERE code = $1", p, 1, buf,
                          sizeof buf);
    cr_assert(rc >= 0);
    return rc == 1 ? atoll(buf) : 0;
}

void api_ledger_assert_consistent(struct api_server *s)
{
    static const char *const checks[][2] = {
        {"an unbalanced transaction",
         "SELECT CAST(COUNT(*) AS TEXT) FROM (SELECT transaction_id FROM ledger_entries GROUP BY transaction_id "
         "HAVING SUM(CASE WHEN direction = 'debit' THEN amount ELSE -amount END) <> 0) t"},
        {"SUM(debits) <> SUM(credits)",
         "SELECT CAST(COUNT(*) AS TEXT) FROM (SELECT currency FROM ledger_entries GROUP BY currency HAVING "
         "SUM(CASE WHEN direction = 'debit' THEN amount ELSE -amount END) <> 0) t"},
        {"a balance differs from its entries",
         "SELECT CAST(COUNT(*) AS TEXT) FROM ledger_accounts a WHERE a.balance <> COALESCE((SELECT SUM(CASE WHEN "
         "(e.direction = 'debit') = (a.type = 'asset') THEN e.amount ELSE -e.amount END) FROM ledger_entries e "
         "WHERE e.account_id = a.id), 0)"},
        {"a negative balance that may not be",
         "SELECT CAST(COUNT(*) AS TEXT) FROM ledger_accounts WHERE balance < 0 AND may_go_negative = 0"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char buf[32] = "";
        cr_assert_eq(api_sql_text(s, checks[i][1], NULL, 0, buf, sizeof buf), 1);
        cr_assert_str_eq(buf, "0", "ledger: %s (%s rows)", checks[i][0], buf);
    }
}
