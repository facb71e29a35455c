/*
 * test_cart.c — the cart (src/services/orders/orders_cart.c): GET /cart
 * grouped by shop with shipping options and totals, the per-line flags
 * (price_changed, out_of_stock, insufficient_stock, unavailable) as the
 * product and shop change under the cart, and POST/PATCH/DELETE
 * /cart/items: validation, stock limits, ownership, authentication.
 *
 * Products come from api_product (active, with a free "everywhere" rate
 * table per shop); changes under the cart are made in the database as the
 * products service or an admin would make them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "commerce_testlib.h"

TestSuite(cart, .fini = api_cleanup_all, .timeout = 180);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

static void sql(struct api_server *s, const char *text, const char *a, const char *b)
{
    const char *p[] = {a, b};
    cr_assert_eq(api_sql_exec(s, text, p, b ? 2 : 1), 0, "%s", text);
}

static struct api_response *add(struct api_server *s, const struct api_account *a, const char *product, int qty)
{
    char body[200];
    snprintf(body, sizeof body, "{\"product_id\":\"%s\",\"quantity\":%d}", product, qty);
    return api_as(s, a, "POST", "/api/v1/cart/items", body);
}

static void expect_problem(struct api_response *r, long status, const char *code)
{
    api_assert_problem(r, status, code);
    api_response_free(r);
}

static struct api_response *get_cart(struct api_server *s, const struct api_account *a, const char *query)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/cart%s", query ? query : "");
    struct api_response *r = api_as(s, a, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
    return r;
}

static long long amount(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(o, key), "amount"));
}

/* The group of shop_id in a GET /cart body (fails the test when absent). */
static json_t *group_of(json_t *cart, const char *shop_id)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(cart, "groups"), i, g)
    {
        if (strcmp(json_string_value(json_object_get(json_object_get(g, "shop"), "id")), shop_id) == 0)
            return g;
    }
    cr_assert_fail("no group for shop %s", shop_id);
    return NULL;
}

/* The line of product_id anywhere in the cart. */
static json_t *line_of(json_t *cart, const char *product_id)
{
    size_t i, k;
    json_t *g, *l;
    json_array_foreach(json_object_get(cart, "groups"), i, g)
    {
        json_array_foreach(json_object_get(g, "items"), k, l)
        {
            if (strcmp(json_string_value(json_object_get(l, "product_id")), product_id) == 0)
                return l;
        }
    }
    cr_assert_fail("no cart line for %s", product_id);
    return NULL;
}

static bool flag(json_t *line, const char *name)
{
    return json_is_true(json_object_get(json_object_get(line, "flags"), name));
}

/* Exactly one flag set (or none when name is NULL). */
static void expect_flags(json_t *cart, const char *product_id, const char *name, bool price_changed)
{
    static const char *const stock_flags[] = {"unavailable", "out_of_stock", "insufficient_stock"};
    json_t *l = line_of(cart, product_id);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(flag(l, stock_flags[i]), name != NULL && strcmp(name, stock_flags[i]) == 0, "%s: flag %s",
                     product_id, stock_flags[i]);
    cr_expect_eq(flag(l, "price_changed"), price_changed, "%s: price_changed", product_id);
}

Test(cart, grouped_by_shop_with_shipping_and_totals)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account potter, weaver, buyer;
    api_account(s, "seller", "potter", &potter);
    api_account(s, "seller", "weaver", &weaver);
    api_account(s, "buyer", "carla", &buyer);
    char bowl[64], cup[64], rug[64];
    api_product(s, &potter, 1000, 5, bowl);
    api_product(s, &potter, 500, 3, cup);
    api_product(s, &weaver, 2000, 2, rug);
    sql(s, "UPDATE shipping_rates SET amount = 700 WHERE seller_id = $1", weaver.id, NULL);

    struct api_response *r = api_as(s, NULL, "GET", "/api/v1/cart", NULL);
    expect_problem(r, 401, "unauthenticated");

    /* Empty. */
    r = get_cart(s, &buyer, NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "groups")), 0, "%s", r->body);
    json_t *t = json_object_get(r->json, "totals");
    cr_assert_eq(json_integer_value(json_object_get(t, "items")), 0);
    cr_assert_eq(amount(t, "total"), 0);
    api_response_free(r);

    /* New line 201 with Location; the same product again adds to the line (200). */
    r = add(s, &buyer, bowl, 2);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    cr_assert_not_null(api_header(r, "Location"));
    char line[64];
    snprintf(line, sizeof line, "%s", json_string_value(json_object_get(r->json, "id")));
    api_response_free(r);
    r = add(s, &buyer, bowl, 1);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "id")), line);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "quantity")), 3);
    api_response_free(r);
    api_cart_add(s, &buyer, cup, 1);
    api_cart_add(s, &buyer, rug, 1);

    /* To the US: two groups, each with its options; totals include the cheapest shipping. */
    r = get_cart(s, &buyer, "?country=US");
    json_t *cart = r->json;
    cr_assert_str_eq(json_string_value(json_object_get(cart, "country")), "US");
    cr_assert_eq(json_array_size(json_object_get(cart, "groups")), 2, "%s", r->body);
    json_t *gp = group_of(cart, potter.shop_id), *gw = group_of(cart, weaver.shop_id);
    cr_expect_str_eq(json_string_value(json_object_get(gp, "seller_id")), potter.id);
    cr_expect_eq(json_array_size(json_object_get(gp, "items")), 2);
    cr_expect_eq(json_array_size(json_object_get(gw, "items")), 1);
    cr_expect_eq(amount(gp, "subtotal"), 3500);
    cr_expect_eq(amount(gw, "subtotal"), 2000);
    cr_expect(json_is_true(json_object_get(gp, "ships_to_country")));
    json_t *opt = json_array_get(json_object_get(gw, "shipping_options"), 0);
    cr_assert_not_null(opt, "%s", r->body);
    cr_expect_eq(amount(opt, "price"), 700);
    cr_expect(json_is_string(json_object_get(opt, "id")));
    cr_expect_eq(amount(json_array_get(json_object_get(gp, "shipping_options"), 0), "price"), 0);
    json_t *l = line_of(cart, bowl);
    cr_expect_eq(json_integer_value(json_object_get(l, "quantity")), 3);
    cr_expect_eq(amount(l, "unit_price"), 1000);
    cr_expect_eq(amount(l, "line_total"), 3000);
    cr_expect_eq(amount(l, "added_price"), 1000);
    cr_expect_eq(json_integer_value(json_object_get(l, "stock")), 5);
    expect_flags(cart, bowl, NULL, false);
    t = json_object_get(cart, "totals");
    cr_expect_eq(json_integer_value(json_object_get(t, "items")), 5);
    cr_expect_eq(amount(t, "subtotal"), 5500);
    cr_expect_eq(amount(t, "shipping"), 700);
    cr_expect(json_is_true(json_object_get(t, "shipping_known")));
    cr_expect_eq(amount(t, "total"), 6200);
    api_response_free(r);

    /* No country and no default address: no options, shipping unknown. */
    r = get_cart(s, &buyer, NULL);
    cr_expect(json_is_null(json_object_get(r->json, "country")), "%s", r->body);
    gw = group_of(r->json, weaver.shop_id);
    cr_expect_eq(json_array_size(json_object_get(gw, "shipping_options")), 0);
    t = json_object_get(r->json, "totals");
    cr_expect(json_is_false(json_object_get(t, "shipping_known")));
    cr_expect_eq(amount(t, "total"), 5500);
    api_response_free(r);

    /* A bad ?country= is refused. */
    r = api_as(s, &buyer, "GET", "/api/v1/cart?country=USA", NULL);
    cr_expect(r->status == 400 || r->status == 422, "%ld %s", r->status, r->body);
    api_response_free(r);

    /* Another buyer's cart is their own. */
    struct api_account other;
    api_account(s, "buyer", "dora", &other);
    r = get_cart(s, &other, NULL);
    cr_expect_eq(json_array_size(json_object_get(r->json, "groups")), 0);
    api_response_free(r);
    api_stop(s);
}

Test(cart, flags_follow_price_stock_product_and_shop)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account potter, weaver, buyer;
    api_account(s, "seller", "potter", &potter);
    api_account(s, "seller", "weaver", &weaver);
    api_account(s, "buyer", "eve", &buyer);
    char bowl[64], cup[64], vase[64], rug[64];
    api_product(s, &potter, 1000, 5, bowl);
    api_product(s, &potter, 500, 3, cup);
    api_product(s, &potter, 4200, 4, vase);
    api_product(s, &weaver, 2000, 2, rug);
    api_cart_add(s, &buyer, bowl, 1);
    api_cart_add(s, &buyer, cup, 1);
    api_cart_add(s, &buyer, vase, 3);
    api_cart_add(s, &buyer, rug, 1);

    sql(s, "UPDATE products SET price_amount = 1200 WHERE id = $1", bowl, NULL);
    sql(s, "UPDATE products SET stock = 0, in_stock = 0 WHERE id = $1", cup, NULL);
    sql(s, "UPDATE products SET stock = 2 WHERE id = $1", vase, NULL);
    struct api_response *r = get_cart(s, &buyer, "?country=US");
    expect_flags(r->json, bowl, NULL, true);
    json_t *l = line_of(r->json, bowl);
    cr_expect_eq(amount(l, "unit_price"), 1200);
    cr_expect_eq(amount(l, "added_price"), 1000);
    expect_flags(r->json, cup, "out_of_stock", false);
    expect_flags(r->json, vase, "insufficient_stock", false);
    expect_flags(r->json, rug, NULL, false);
    api_response_free(r);

    /* Archived product, suspended shop, shop on vacation: unavailable. */
    sql(s, "UPDATE products SET status = 'archived' WHERE id = $1", vase, NULL);
    sql(s, "UPDATE shops SET status = 'suspended' WHERE id = $1", weaver.shop_id, NULL);
    r = get_cart(s, &buyer, NULL);
    expect_flags(r->json, vase, "unavailable", false);
    expect_flags(r->json, rug, "unavailable", false);
    expect_flags(r->json, cup, "out_of_stock", false);
    api_response_free(r);
    sql(s, "UPDATE shops SET status = 'active', vacation_mode = 1 WHERE id = $1", weaver.shop_id, NULL);
    r = get_cart(s, &buyer, NULL);
    expect_flags(r->json, rug, "unavailable", false);
    api_response_free(r);

    /* Adding from an unavailable shop or an archived product is refused. */
    r = add(s, &buyer, rug, 1);
    expect_problem(r, 409, "product_unavailable");
    r = add(s, &buyer, vase, 1);
    expect_problem(r, 404, "not_found");

    /* Back to normal: the flags clear (the price change stays flagged). */
    sql(s, "UPDATE shops SET vacation_mode = 0 WHERE id = $1", weaver.shop_id, NULL);
    sql(s, "UPDATE products SET status = 'active', stock = 9 WHERE id = $1", vase, NULL);
    r = get_cart(s, &buyer, NULL);
    expect_flags(r->json, rug, NULL, false);
    expect_flags(r->json, vase, NULL, false);
    expect_flags(r->json, bowl, NULL, true);
    api_response_free(r);
    api_stop(s);
}

Test(cart, add_validation_and_stock_limits)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account potter, buyer;
    api_account(s, "seller", "potter", &potter);
    api_account(s, "buyer", "fay", &buyer);
    char bowl[64], ghost[64], commission[64];
    api_product(s, &potter, 1000, 3, bowl);
    api_product(s, &potter, 9000, 0, commission);
    sql(s, "UPDATE products SET made_to_order = 1 WHERE id = $1", commission, NULL);
    api_test_id(ghost, sizeof ghost, "prd");
    char body[200];
    snprintf(body, sizeof body, "{\"product_id\":\"%s\"}", bowl);

    expect_problem(api_as(s, NULL, "POST", "/api/v1/cart/items", body), 401, "unauthenticated");
    expect_problem(api_as(s, &buyer, "POST", "/api/v1/cart/items", "{}"), 422, "validation_failed");
    expect_problem(api_as(s, &buyer, "POST", "/api/v1/cart/items", "{\"product_id\":\"usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}"),
                   422, "validation_failed");
    expect_problem(api_as(s, &buyer, "POST", "/api/v1/cart/items", "{\"product_id\":12}"), 422, "validation_failed");
    expect_problem(add(s, &buyer, bowl, 0), 422, "validation_failed");
    expect_problem(add(s, &buyer, bowl, -2), 422, "validation_failed");
    expect_problem(add(s, &buyer, bowl, 101), 422, "validation_failed");
    expect_problem(add(s, &buyer, ghost, 1), 404, "not_found");
    snprintf(body, sizeof body, "{\"product_id\":\"%s\",\"variant_id\":\"var_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}", bowl);
    expect_problem(api_as(s, &buyer, "POST", "/api/v1/cart/items", body), 422, "validation_failed");

    /* More than in stock: 409 naming what is left; the line keeps its quantity. */
    struct api_response *r = add(s, &buyer, bowl, 4);
    cr_assert_eq(r->status, 409, "%ld %s", r->status, r->body);
    api_assert_problem(r, 409, "out_of_stock");
    api_response_free(r);
    api_cart_add(s, &buyer, bowl, 2);
    r = add(s, &buyer, bowl, 2);
    expect_problem(r, 409, "out_of_stock");
    r = get_cart(s, &buyer, NULL);
    cr_expect_eq(json_integer_value(json_object_get(line_of(r->json, bowl), "quantity")), 2, "%s", r->body);
    api_response_free(r);

    /* Made to order: no stock limit, stock shown as null. */
    r = add(s, &buyer, commission, 50);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    api_response_free(r);
    r = get_cart(s, &buyer, NULL);
    json_t *l = line_of(r->json, commission);
    cr_expect(json_is_null(json_object_get(l, "stock")));
    expect_flags(r->json, commission, NULL, false);
    api_response_free(r);

    /* No stock at all. */
    sql(s, "UPDATE products SET stock = 0 WHERE id = $1", bowl, NULL);
    struct api_account late;
    api_account(s, "buyer", "gus", &late);
    expect_problem(add(s, &late, bowl, 1), 409, "out_of_stock");
    api_stop(s);
}

Test(cart, patch_and_delete_lines)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account potter, buyer, other;
    api_account(s, "seller", "potter", &potter);
    api_account(s, "buyer", "hal", &buyer);
    api_account(s, "buyer", "ivy", &other);
    char bowl[64], cup[64];
    api_product(s, &potter, 1000, 5, bowl);
    api_product(s, &potter, 300, 10, cup);
    struct api_response *r = add(s, &buyer, bowl, 1);
    cr_assert_eq(r->status, 201);
    char path[128], ghost[64];
    snprintf(path, sizeof path, "/api/v1/cart/items/%s", json_string_value(json_object_get(r->json, "id")));
    api_response_free(r);
    api_cart_add(s, &buyer, cup, 2);
    api_test_id(ghost, sizeof ghost, "cit");
    char ghost_path[128];
    snprintf(ghost_path, sizeof ghost_path, "/api/v1/cart/items/%s", ghost);

    /* PATCH: auth, validation, limits, ownership. */
    expect_problem(api_as(s, NULL, "PATCH", path, "{\"quantity\":2}"), 401, "unauthenticated");
    expect_problem(api_as(s, &buyer, "PATCH", path, "{}"), 422, "validation_failed");
    expect_problem(api_as(s, &buyer, "PATCH", path, "{\"quantity\":0}"), 422, "validation_failed");
    expect_problem(api_as(s, &buyer, "PATCH", path, "{\"quantity\":101}"), 422, "validation_failed");
    expect_problem(api_as(s, &buyer, "PATCH", path, "{\"quantity\":\"3\"}"), 422, "validation_failed");
    expect_problem(api_as(s, &buyer, "PATCH", path, "{\"quantity\":6}"), 409, "out_of_stock");
    expect_problem(api_as(s, &other, "PATCH", path, "{\"quantity\":2}"), 404, "not_found");
    expect_problem(api_as(s, &buyer, "PATCH", ghost_path, "{\"quantity\":2}"), 404, "not_found");
    r = api_as(s, &buyer, "PATCH", "/api/v1/cart/items/prd_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", "{\"quantity\":2}");
    cr_expect(r->status == 400 || r->status == 404, "wrong id prefix: %ld", r->status);
    api_response_free(r);

    r = api_as(s, &buyer, "PATCH", path, "{\"quantity\":5}");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_expect_eq(json_integer_value(json_object_get(r->json, "quantity")), 5);
    cr_expect_str_eq(json_string_value(json_object_get(r->json, "product_id")), bowl);
    api_response_free(r);
    r = get_cart(s, &buyer, NULL);
    cr_expect_eq(json_integer_value(json_object_get(line_of(r->json, bowl), "quantity")), 5);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(r->json, "totals"), "items")), 7);
    api_response_free(r);

    /* DELETE: auth, ownership, then gone. */
    expect_problem(api_as(s, NULL, "DELETE", path, NULL), 401, "unauthenticated");
    expect_problem(api_as(s, &other, "DELETE", path, NULL), 404, "not_found");
    expect_problem(api_as(s, &buyer, "DELETE", ghost_path, NULL), 404, "not_found");
    r = api_as(s, &buyer, "DELETE", path, NULL);
    cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
    api_response_free(r);
    expect_problem(api_as(s, &buyer, "DELETE", path, NULL), 404, "not_found");
    expect_problem(api_as(s, &buyer, "PATCH", path, "{\"quantity\":1}"), 404, "not_found");
    r = get_cart(s, &buyer, NULL);
    json_t *g = json_array_get(json_object_get(r->json, "groups"), 0);
    cr_expect_eq(json_array_size(json_object_get(g, "items")), 1, "%s", r->body);
    cr_expect_eq(amount(json_object_get(r->json, "totals"), "subtotal"), 600);
    api_response_free(r);
    api_stop(s);
}
