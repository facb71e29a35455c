/*
 * test_wishlists.c — wishlists: add (idempotent, public products only),
 * remove, list as product cards newest first with a cursor, and the
 * product's wishlist_count and popularity kept in step with the rows.
 *
 * Products are inserted directly into the test database (the products
 * service has its own suite); the wishlist goes through HTTP.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"

TestSuite(wishlists, .fini = api_cleanup_all, .timeout = 180);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

/* A product of seller's shop in the given status; its id into out (64 bytes). */
static void make_product(struct api_server *s, const struct api_account *seller, const char *status, const char *title,
                         char *out)
{
    char now[32], slug[80];
    api_test_id(out, 64, "prd");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    snprintf(slug, sizeof slug, "item-%s", out + 4);
    const char *p[] = {out, seller->id, seller->shop_id, slug, title, status, now};
    cr_assert_eq(
        api_sql_exec(s,
                     "INSERT INTO products (id, seller_id, shop_id, slug, title, price_amount, currency, "
                     "status, sales_count, view_count, popularity, created_at, updated_at) VALUES ($1, $2, $3, $4, "
                     "$5, 1800, 'USD', $6, 2, 7, 47, CAST($7 AS BIGINT), CAST($7 AS BIGINT))",
                     p, 7),
        0);
}

static struct api_response *add(struct api_server *s, const struct api_account *a, const char *product_id)
{
    char body[128];
    snprintf(body, sizeof body, "{\"product_id\":\"%s\"}", product_id);
    return api_as(s, a, "POST", "/api/v1/wishlist", body);
}

static struct api_response *del(struct api_server *s, const struct api_account *a, const char *product_id)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/wishlist/%s", product_id);
    return api_as(s, a, "DELETE", path, NULL);
}

/* wishlist_count of the product, checked against the rows and popularity against the one formula. */
static long long wish_count(struct api_server *s, const char *product_id)
{
    const char *p[] = {product_id};
    char stored[32], rows[32], pop[64];
    cr_assert_eq(
        api_sql_text(s, "SELECT CAST(wishlist_count AS TEXT) FROM products WHERE id = $1", p, 1, stored, sizeof stored),
        1);
    cr_assert_eq(
        api_sql_text(s, "SELECT CAST(COUNT(*) AS TEXT) FROM wishlists WHERE product_id = $1", p, 1, rows, sizeof rows),
        1);
    cr_assert_str_eq(stored, rows, "wishlist_count %s but %s rows", stored, rows);
    /* sales_count 2 and view_count 7 from make_product: 20 * 2 + 5 * wishes + 7. */
    cr_assert_eq(api_sql_text(s,
                              "SELECT CAST(popularity AS TEXT) || '=' || CAST(20 * sales_count + 5 * wishlist_count "
                              "+ view_count AS TEXT) FROM products WHERE id = $1",
                              p, 1, pop, sizeof pop),
                 1);
    long long n = atoll(stored);
    char want[64];
    snprintf(want, sizeof want, "%lld=%lld", 47 + 5 * n, 47 + 5 * n);
    cr_assert_str_eq(pop, want, "popularity: %s", pop);
    return n;
}

static json_t *list(struct api_server *s, const struct api_account *a, const char *query, struct api_response **keep)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/wishlist%s", query ? query : "");
    struct api_response *r = api_as(s, a, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
    *keep = r;
    return r->json;
}

static const char *item_id(json_t *page, size_t i)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(page, "data"), i), "id"));
}

Test(wishlists, add_remove_list_and_counts)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer, other;
    api_account(s, "seller", "knitter", &seller);
    api_account(s, "buyer", "gina", &buyer);
    api_account(s, "buyer", "hank", &other);
    char scarf[64], hat[64], mitts[64], draft[64], ghost[64];
    make_product(s, &seller, "active", "Merino scarf", scarf);
    make_product(s, &seller, "active", "Cable hat", hat);
    make_product(s, &seller, "active", "Fingerless mitts", mitts);
    make_product(s, &seller, "draft", "Unfinished", draft);
    api_test_id(ghost, sizeof ghost, "prd");

    /* Signed in only. */
    struct api_response *r = add(s, NULL, scarf);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, NULL, "GET", "/api/v1/wishlist", NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = del(s, NULL, scarf);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);

    /* Validation and visibility. */
    r = api_as(s, &buyer, "POST", "/api/v1/wishlist", "{}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(s, &buyer, "POST", "/api/v1/wishlist", "{\"product_id\":\"usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = add(s, &buyer, draft);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = add(s, &buyer, ghost);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    cr_assert_eq(wish_count(s, draft), 0);

    /* Add: 201, again: 200 and still one row. */
    r = add(s, &buyer, scarf);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "product_id")), scarf);
    char first_added[64];
    snprintf(first_added, sizeof first_added, "%s", json_string_value(json_object_get(r->json, "added_at")));
    api_response_free(r);
    r = add(s, &buyer, scarf);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "added_at")), first_added, "the first add stands");
    api_response_free(r);
    cr_assert_eq(wish_count(s, scarf), 1);
    r = add(s, &other, scarf);
    cr_assert_eq(r->status, 201);
    api_response_free(r);
    cr_assert_eq(wish_count(s, scarf), 2);

    /* Three entries dated apart so the order is exact: mitts (newest), hat, scarf. */
    r = add(s, &buyer, hat);
    cr_assert_eq(r->status, 201);
    api_response_free(r);
    r = add(s, &buyer, mitts);
    cr_assert_eq(r->status, 201);
    api_response_free(r);
    const char *dated[][2] = {{scarf, "1700000000000"}, {hat, "1700000100000"}, {mitts, "1700000200000"}};
    for (int i = 0; i < 3; i++) {
        const char *p[] = {buyer.id, dated[i][0], dated[i][1]};
        cr_assert_eq(api_sql_exec(s,
                                  "UPDATE wishlists SET created_at = CAST($3 AS BIGINT) "
                                  "WHERE user_id = $1 AND product_id = $2",
                                  p, 3),
                     0);
    }
    json_t *j = list(s, &buyer, NULL, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 3, "%s", r->body);
    cr_assert_str_eq(item_id(j, 0), mitts);
    cr_assert_str_eq(item_id(j, 1), hat);
    cr_assert_str_eq(item_id(j, 2), scarf);
    json_t *card = json_array_get(json_object_get(j, "data"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(card, "title")), "Fingerless mitts");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(card, "price"), "amount")), 1800);
    cr_assert(json_is_string(json_object_get(card, "added_at")));
    cr_assert(json_is_null(json_object_get(j, "next_cursor")));
    api_response_free(r);

    /* Two per page. */
    j = list(s, &buyer, "?limit=2", &r);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 2);
    cr_assert_str_eq(item_id(j, 1), hat);
    char q[200];
    snprintf(q, sizeof q, "?limit=2&cursor=%s", json_string_value(json_object_get(j, "next_cursor")));
    api_response_free(r);
    j = list(s, &buyer, q, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 1);
    cr_assert_str_eq(item_id(j, 0), scarf);
    cr_assert(json_is_null(json_object_get(j, "next_cursor")));
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/wishlist?cursor=yesterday", NULL);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/wishlist?limit=500", NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);

    /* Someone else's list is their own. */
    j = list(s, &other, NULL, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 1);
    cr_assert_str_eq(item_id(j, 0), scarf);
    api_response_free(r);

    /* An archived product drops out of the list but keeps its row and count; it can still be removed. */
    const char *ap[] = {hat};
    cr_assert_eq(api_sql_exec(s, "UPDATE products SET status = 'archived' WHERE id = $1", ap, 1), 0);
    j = list(s, &buyer, NULL, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 2);
    cr_assert_str_eq(item_id(j, 0), mitts);
    cr_assert_str_eq(item_id(j, 1), scarf);
    api_response_free(r);
    cr_assert_eq(wish_count(s, hat), 1);
    r = add(s, &buyer, hat); /* not public now: cannot be added, even though it is listed */
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = del(s, &buyer, hat);
    cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
    api_response_free(r);
    cr_assert_eq(wish_count(s, hat), 0);

    /* Remove: only one's own entry; a second remove is 404. */
    r = del(s, &other, mitts);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    cr_assert_eq(wish_count(s, mitts), 1);
    r = del(s, &buyer, scarf);
    cr_assert_eq(r->status, 204);
    api_response_free(r);
    r = del(s, &buyer, scarf);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    cr_assert_eq(wish_count(s, scarf), 1, "the other buyer's entry stays");
    r = del(s, &buyer, "prd_bad");
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Concurrency: the counter equals the rows however the requests interleave.
 */
Test(wishlists, racing_adds_and_removes_keep_the_count)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account seller, buyer;
    api_account(s, "seller", "turner", &seller);
    api_account(s, "buyer", "ivy", &buyer);
    char bowl[64], body[128], path[128];
    make_product(s, &seller, "active", "Walnut bowl", bowl);
    snprintf(body, sizeof body, "{\"product_id\":\"%s\"}", bowl);
    snprintf(path, sizeof path, "/api/v1/wishlist/%s", bowl);
    for (int round = 0; round < 4; round++) {
        int st[2];
        api_as_twice(s, &buyer, "POST", "/api/v1/wishlist", body, st);
        cr_assert((st[0] == 201 && st[1] == 200) || (st[0] == 200 && st[1] == 201), "adds: %d and %d", st[0], st[1]);
        cr_assert_eq(wish_count(s, bowl), 1);
        api_as_twice(s, &buyer, "DELETE", path, NULL, st);
        cr_assert((st[0] == 204 && st[1] == 404) || (st[0] == 404 && st[1] == 204), "removes: %d and %d", st[0],
                  st[1]);
        cr_assert_eq(wish_count(s, bowl), 0);
    }
    api_stop(s);
}
