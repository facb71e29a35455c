/*
 * shipping_testlib.c — fixtures shared by the shipping suites
 * (test_shipping.c, test_shipping_tracking.c).
 */
#include "shipping_testlib.h"

#include <criterion/criterion.h>
#include <stdio.h>

/* An active product of seller's shop; its id into out (64 bytes). weight 0: unknown. */
void ship_make_product(struct api_server *s, const struct api_account *seller, long price, long weight, char *out)
{
    char now[32], slug[80], pr[32], w[32];
    api_test_id(out, 64, "prd");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    snprintf(slug, sizeof slug, "item-%s", out + 4);
    snprintf(pr, sizeof pr, "%ld", price);
    snprintf(w, sizeof w, "%ld", weight);
    const char *p[] = {out, seller->id, seller->shop_id, slug, pr, now, w};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO products (id, seller_id, shop_id, slug, title, price_amount, currency, "
                              "status, stock, weight_grams, created_at, updated_at) VALUES ($1, $2, $3, $4, 'Thing', "
                              "CAST($5 AS BIGINT), 'USD', 'active', 10, NULLIF(CAST($7 AS INTEGER), 0), "
                              "CAST($6 AS BIGINT), CAST($6 AS BIGINT))",
                              p, 7),
                 0);
}

void ship_shop_country(struct api_server *s, const struct api_account *seller, const char *country)
{
    const char *p[] = {seller->shop_id, country};
    cr_assert_eq(api_sql_exec(s, "UPDATE shops SET country = $2, currency = 'USD' WHERE id = $1", p, 2), 0);
}

/* POST a rate table; returns its id in out (64 bytes); asserts 201. */
void ship_make_table(struct api_server *s, const struct api_account *seller, const char *json, char *out)
{
    struct api_response *r = api_as(s, seller, "POST", "/api/v1/shipping/rate-tables", json);
    cr_assert_eq(r->status, 201, "create table: %ld %s", r->status, r->body);
    snprintf(out, 64, "%s", json_string_value(json_object_get(r->json, "id")));
    api_response_free(r);
}

/* POST /shipping/quote; the options of the first shop (a borrowed array inside *keep). */
json_t *ship_quote(struct api_server *s, const char *country, const char *items, struct api_response **keep)
{
    char body[2048];
    snprintf(body, sizeof body, "{\"country\":\"%s\",\"items\":%s}", country, items);
    struct api_response *r = api_as(s, NULL, "POST", "/api/v1/shipping/quote", body);
    cr_assert_eq(r->status, 200, "quote: %ld %s", r->status, r->body);
    *keep = r;
    return json_object_get(json_array_get(json_object_get(r->json, "shops"), 0), "options");
}

long ship_opt_amount(json_t *opts, size_t i)
{
    return (long)json_integer_value(json_object_get(json_object_get(json_array_get(opts, i), "amount"), "amount"));
}

const char *ship_opt_str(json_t *opts, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(opts, i), key));
}
