/*
 * test_shipping.c — shipping: seller rate tables (CRUD, validation,
 * ownership), quotes (zones, bands, additional items, free thresholds,
 * weight and quantity bases, pinned products and mixed carts). Shippo,
 * labels, shipments and tracking are in test_shipping_tracking.c.
 *
 * Products are inserted directly into the test database (their
 * services have their own suites); shipping goes through HTTP.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "shipping_testlib.h"

TestSuite(shipping, .fini = api_cleanup_all, .timeout = 180);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

/* Quote one product (qty) to country and return the cheapest amount, or -1 when nothing ships. */
static long cheapest(struct api_server *s, const char *country, const char *pid, int qty)
{
    char items[256];
    snprintf(items, sizeof items, "[{\"product_id\":\"%s\",\"quantity\":%d}]", pid, qty);
    struct api_response *r;
    json_t *o = ship_quote(s, country, items, &r);
    long v = json_array_size(o) > 0 ? ship_opt_amount(o, 0) : -1;
    api_response_free(r);
    return v;
}

/*-----------------------------------------------------------------------------
 * Rate tables
 */
#define STD_RATES                                                                                                      \
    "[{\"zone\":\"domestic\",\"min_value\":0,\"max_value\":1000,\"amount\":500,\"additional_item_amount\":100,"        \
    "\"min_days\":2,\"max_days\":4},"                                                                                  \
    "{\"zone\":\"domestic\",\"min_value\":1000,\"amount\":900},"                                                       \
    "{\"zone\":\"fr\",\"amount\":1500},"                                                                               \
    "{\"zone\":\"EU\",\"amount\":2000},"                                                                               \
    "{\"zone\":\"everywhere\",\"amount\":3000,\"free_over_amount\":10000}]"

Test(shipping, rate_tables_crud_validation_and_ownership)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, other, buyer;
    api_account(s, "seller", "potter", &seller);
    api_account(s, "seller", "weaver", &other);
    api_account(s, "buyer", "bea", &buyer);
    ship_shop_country(s, &seller, "US");

    const char *body = "{\"name\":\"Standard\",\"basis\":\"weight\",\"rates\":" STD_RATES "}";
    struct api_response *r = api_as(s, NULL, "POST", "/api/v1/shipping/rate-tables", body);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &buyer, "POST", "/api/v1/shipping/rate-tables", body);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);

    /* Validation: each bad field is named. */
    r = api_as(s, &seller, "POST", "/api/v1/shipping/rate-tables",
               "{\"name\":\"Bad\",\"basis\":\"weight\",\"currency\":\"EUR\",\"rates\":["
               "{\"zone\":\"MARS\",\"amount\":1},"
               "{\"zone\":\"US\",\"min_value\":0,\"max_value\":500,\"amount\":1},"
               "{\"zone\":\"US\",\"min_value\":400,\"amount\":1},"
               "{\"zone\":\"DE\",\"min_value\":10,\"max_value\":10,\"amount\":1},"
               "{\"zone\":\"FR\",\"amount\":1,\"min_days\":5,\"max_days\":2}]}");
    api_assert_problem(r, 422, "validation_failed");
    const char *want[] = {"currency", "rates[0].zone", "rates[2].min_value", "rates[3].max_value", "rates[4].max_days"};
    json_t *errs = json_object_get(r->json, "errors");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        bool seen = false;
        for (size_t k = 0; k < json_array_size(errs); k++)
            seen = seen || strcmp(json_string_value(json_object_get(json_array_get(errs, k), "field")), want[i]) == 0;
        cr_assert(seen, "no error for %s in %s", want[i], r->body);
    }
    api_response_free(r);
    r = api_as(s, &seller, "POST", "/api/v1/shipping/rate-tables",
               "{\"name\":\"Flat\",\"basis\":\"flat\",\"rates\":[{\"zone\":\"US\",\"amount\":1},"
               "{\"zone\":\"US\",\"min_value\":5,\"amount\":2}]}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(s, &seller, "POST", "/api/v1/shipping/rate-tables", "{\"name\":\"None\",\"rates\":[]}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(s, &seller, "POST", "/api/v1/shipping/rate-tables",
               "{\"name\":\"Neg\",\"rates\":[{\"zone\":\"US\",\"amount\":-5}]}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);

    /* The first table becomes the default; a second default replaces it. */
    char std[64], exp[64];
    ship_make_table(s, &seller, body, std);
    ship_make_table(s, &seller,
               "{\"name\":\"Express\",\"is_default\":true,\"rates\":[{\"zone\":\"domestic\",\"amount\":1500}]}", exp);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/shipping/rate-tables/%s", std);
    r = api_as(s, &seller, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(json_is_false(json_object_get(r->json, "is_default")));
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "basis")), "weight");
    json_t *rates = json_object_get(r->json, "rates");
    cr_assert_eq(json_array_size(rates), 5);
    bool fr = false;
    for (size_t i = 0; i < 5; i++)
        fr = fr || strcmp(json_string_value(json_object_get(json_array_get(rates, i), "zone")), "FR") == 0;
    cr_assert(fr, "zones are upper-cased: %s", r->body);
    api_response_free(r);

    /* Another seller's table is 404 to read, edit, delete and pin. */
    r = api_as(s, &other, "GET", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &other, "PATCH", path, "{\"name\":\"Mine now\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &other, "DELETE", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &seller, "GET", "/api/v1/shipping/rate-tables/srt_nope", NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);

    /* List with a cursor. */
    r = api_as(s, &seller, "GET", "/api/v1/shipping/rate-tables?limit=1", NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    char next[128];
    snprintf(next, sizeof next, "/api/v1/shipping/rate-tables?limit=1&cursor=%s",
             json_string_value(json_object_get(r->json, "next_cursor")));
    api_response_free(r);
    r = api_as(s, &seller, "GET", next, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    cr_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    api_response_free(r);
    r = api_as(s, &other, "GET", "/api/v1/shipping/rate-tables", NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);

    /* PATCH replaces the rates and can make it the default again. */
    r = api_as(s, &seller, "PATCH", path,
               "{\"name\":\"Standard post\",\"is_default\":true,\"rates\":[{\"zone\":\"everywhere\",\"amount\":700}]}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "rates")), 1);
    cr_assert(json_is_true(json_object_get(r->json, "is_default")));
    api_response_free(r);
    r = api_as(s, &seller, "PATCH", path, "{\"rates\":[{\"zone\":\"XX1\",\"amount\":700}]}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    const char *ep[] = {exp};
    char buf[16];
    api_sql_text(s, "SELECT CAST(is_default AS TEXT) FROM shipping_rate_tables WHERE id = $1", ep, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "0");

    r = api_as(s, &seller, "DELETE", path, NULL);
    cr_assert_eq(r->status, 204, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &seller, "GET", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Quotes
 */
Test(shipping, quote_zones_bands_and_free_threshold)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller;
    api_account(s, "seller", "smith", &seller);
    ship_shop_country(s, &seller, "US");
    char std[64], light[64], heavy[64], unknown[64];
    ship_make_table(s, &seller, "{\"name\":\"Standard\",\"basis\":\"weight\",\"rates\":" STD_RATES "}", std);
    ship_make_product(s, &seller, 2500, 400, light);
    ship_make_product(s, &seller, 4000, 1200, heavy);
    ship_make_product(s, &seller, 1000, 0, unknown);

    /* Domestic, weight bands: 400 g → first band; 2 x 400 g → 500 + 100 for the second item. */
    cr_assert_eq(cheapest(s, "US", light, 1), 500);
    cr_assert_eq(cheapest(s, "US", light, 2), 600);
    cr_assert_eq(cheapest(s, "US", light, 3), 900, "1200 g is in the second band");
    cr_assert_eq(cheapest(s, "US", heavy, 1), 900);
    cr_assert_eq(cheapest(s, "US", unknown, 1), 500, "unknown weight counts as 0 g");
    /* ISO beats region beats everywhere. */
    cr_assert_eq(cheapest(s, "FR", light, 1), 1500);
    cr_assert_eq(cheapest(s, "DE", light, 1), 2000);
    cr_assert_eq(cheapest(s, "JP", light, 1), 3000);
    /* Free over 100.00 seller subtotal (4 x 25.00). */
    struct api_response *r;
    char items[256];
    snprintf(items, sizeof items, "[{\"product_id\":\"%s\",\"quantity\":4}]", light);
    json_t *opts = ship_quote(s, "jp", items, &r);
    cr_assert_eq(json_array_size(opts), 1, "%s", r->body);
    cr_assert_eq(ship_opt_amount(opts, 0), 0);
    cr_assert(json_is_true(json_object_get(json_array_get(opts, 0), "free")));
    cr_assert_str_eq(ship_opt_str(opts, 0, "id"), std);
    cr_assert_str_eq(ship_opt_str(opts, 0, "name"), "Standard");
    cr_assert_str_eq(ship_opt_str(opts, 0, "provider"), "rate_table");
    api_response_free(r);
    /* Days come from the band. */
    snprintf(items, sizeof items, "[{\"product_id\":\"%s\",\"quantity\":1}]", light);
    opts = ship_quote(s, "US", items, &r);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(opts, 0), "min_days")), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(opts, 0), "max_days")), 4);
    api_response_free(r);

    /* A table without a zone for the destination ships nothing there. */
    char std2[64];
    struct api_account local;
    api_account(s, "seller", "localonly", &local);
    ship_shop_country(s, &local, "US");
    ship_make_table(s, &local, "{\"name\":\"Local\",\"rates\":[{\"zone\":\"domestic\",\"amount\":300}]}", std2);
    char lp[64];
    ship_make_product(s, &local, 1000, 100, lp);
    snprintf(items, sizeof items, "[{\"product_id\":\"%s\",\"quantity\":1}]", lp);
    r = api_as(
        s, NULL, "POST", "/api/v1/shipping/quote",
        (snprintf(items, sizeof items, "{\"country\":\"CA\",\"items\":[{\"product_id\":\"%s\",\"quantity\":1}]}", lp),
         items));
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *shop = json_array_get(json_object_get(r->json, "shops"), 0);
    cr_assert(json_is_false(json_object_get(shop, "ships")), "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(shop, "options")), 0);
    api_response_free(r);

    /* Validation: unknown product, bad country, bad quantity. */
    r = api_as(s, NULL, "POST", "/api/v1/shipping/quote",
               "{\"country\":\"US\",\"items\":[{\"product_id\":\"prd_00000000000000000000000000\",\"quantity\":1}]}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    snprintf(items, sizeof items, "{\"country\":\"U1\",\"items\":[{\"product_id\":\"%s\",\"quantity\":1}]}", light);
    r = api_as(s, NULL, "POST", "/api/v1/shipping/quote", items);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    snprintf(items, sizeof items, "{\"country\":\"US\",\"items\":[{\"product_id\":\"%s\",\"quantity\":0}]}", light);
    r = api_as(s, NULL, "POST", "/api/v1/shipping/quote", items);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    api_stop(s);
}

Test(shipping, quote_quantity_basis_pinned_and_mixed_carts)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller;
    api_account(s, "seller", "glass", &seller);
    ship_shop_country(s, &seller, "GB");
    char std[64], exp[64], a[64], b[64];
    ship_make_table(
        s, &seller,
        "{\"name\":\"Standard\",\"rates\":[{\"zone\":\"domestic\",\"min_value\":1,\"max_value\":4,"
        "\"amount\":400,\"additional_item_amount\":50},{\"zone\":\"domestic\",\"min_value\":4,\"amount\":1000}]}",
        std);
    ship_make_table(s, &seller,
               "{\"name\":\"Express\",\"basis\":\"flat\",\"rates\":[{\"zone\":\"domestic\",\"amount\":1200}]}", exp);
    ship_make_product(s, &seller, 1000, 100, a);
    ship_make_product(s, &seller, 1000, 100, b);

    /* Unpinned: both services, cheapest first; quantity bands. */
    char items[512];
    snprintf(items, sizeof items, "[{\"product_id\":\"%s\",\"quantity\":2}]", a);
    struct api_response *r;
    json_t *opts = ship_quote(s, "GB", items, &r);
    cr_assert_eq(json_array_size(opts), 2, "%s", r->body);
    cr_assert_eq(ship_opt_amount(opts, 0), 450);
    cr_assert_str_eq(ship_opt_str(opts, 0, "id"), std);
    cr_assert_eq(ship_opt_amount(opts, 1), 1200);
    cr_assert_str_eq(ship_opt_str(opts, 1, "id"), exp);
    api_response_free(r);
    cr_assert_eq(cheapest(s, "GB", a, 5), 1000, "5 items: second band, no per-item extra");

    /* Pin b to Express: b alone ships only by Express. */
    char path[160], body[160];
    snprintf(path, sizeof path, "/api/v1/shipping/rate-tables/%s/products", exp);
    snprintf(body, sizeof body, "{\"product_ids\":[\"%s\"]}", b);
    r = api_as(s, &seller, "PUT", path, body);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "product_ids"), 0)), b);
    api_response_free(r);
    snprintf(items, sizeof items, "[{\"product_id\":\"%s\",\"quantity\":1}]", b);
    opts = ship_quote(s, "GB", items, &r);
    cr_assert_eq(json_array_size(opts), 1, "%s", r->body);
    cr_assert_str_eq(ship_opt_str(opts, 0, "id"), exp);
    api_response_free(r);

    /* a unpinned + b pinned to Express: everything by Express. */
    snprintf(items, sizeof items, "[{\"product_id\":\"%s\",\"quantity\":1},{\"product_id\":\"%s\",\"quantity\":1}]", a,
             b);
    opts = ship_quote(s, "GB", items, &r);
    cr_assert_eq(json_array_size(opts), 1, "%s", r->body);
    cr_assert_eq(ship_opt_amount(opts, 0), 1200);
    api_response_free(r);

    /* Pin a to Standard: a mixed cart is priced per table and summed. */
    snprintf(path, sizeof path, "/api/v1/shipping/rate-tables/%s/products", std);
    snprintf(body, sizeof body, "{\"product_ids\":[\"%s\"]}", a);
    r = api_as(s, &seller, "PUT", path, body);
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    opts = ship_quote(s, "GB", items, &r);
    cr_assert_eq(json_array_size(opts), 1, "%s", r->body);
    cr_assert_eq(ship_opt_amount(opts, 0), 400 + 1200);
    cr_assert_str_eq(ship_opt_str(opts, 0, "name"), "Combined shipping");
    cr_assert_eq(strncmp(ship_opt_str(opts, 0, "id"), "mix_", 4), 0);
    char mix_id[64];
    snprintf(mix_id, sizeof mix_id, "%s", ship_opt_str(opts, 0, "id"));
    api_response_free(r);
    opts = ship_quote(s, "GB", items, &r);
    cr_assert_str_eq(ship_opt_str(opts, 0, "id"), mix_id, "the option id is stable");
    api_response_free(r);
    /* Express does not ship abroad: the mixed cart does not either. */
    opts = ship_quote(s, "FR", items, &r);
    cr_assert_eq(json_array_size(opts), 0, "%s", r->body);
    api_response_free(r);

    /* Pinning: only my products; an empty list unpins. */
    struct api_account other;
    api_account(s, "seller", "thief", &other);
    char theirs[64];
    ship_make_product(s, &other, 1000, 100, theirs);
    snprintf(body, sizeof body, "{\"product_ids\":[\"%s\"]}", theirs);
    r = api_as(s, &seller, "PUT", path, body);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(s, &other, "PUT", path, "{\"product_ids\":[]}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &seller, "PUT", path, "{\"product_ids\":[]}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "product_ids")), 0);
    api_response_free(r);
    /* Deleting Express unpins b. */
    snprintf(path, sizeof path, "/api/v1/shipping/rate-tables/%s", exp);
    r = api_as(s, &seller, "DELETE", path, NULL);
    cr_assert_eq(r->status, 204, "%s", r->body);
    api_response_free(r);
    cr_assert_eq(cheapest(s, "GB", b, 1), 400);
    api_stop(s);
}
