/*
 * test_reviews.c — reviews: who may review (the eligibility rule), once per
 * order item (also when two requests race), the product and shop rating
 * aggregates against the published reviews, histogram and pages, seller
 * replies, and admin moderation.
 *
 * Orders do not exist as an API yet, so products, orders and order items
 * are inserted directly into the test database; everything else goes
 * through HTTP. After each change the aggregates are compared with sums
 * computed from the reviews table itself (aggregates_match).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"

TestSuite(reviews, .fini = api_cleanup_all, .timeout = 180);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

static struct api_server *start(void)
{
    struct api_opts o = {.args = scaled_args};
    return api_start(&o);
}

/*-----------------------------------------------------------------------------
 * Fixtures (direct SQL)
 */
static void now_text(char *buf, size_t cap)
{
    snprintf(buf, cap, "%lld", api_now_ms());
}

/* A product of seller's shop in the given status; its id into out (64 bytes). */
static void make_product(struct api_server *s, const struct api_account *seller, const char *status, char *out)
{
    char now[32], slug[80];
    api_test_id(out, 64, "prd");
    now_text(now, sizeof now);
    snprintf(slug, sizeof slug, "item-%s", out + 4);
    const char *p[] = {out, seller->id, seller->shop_id, slug, status, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO products (id, seller_id, shop_id, slug, title, price_amount, currency, "
                              "status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'Stoneware mug', 2400, 'USD', "
                              "$5, CAST($6 AS BIGINT), CAST($6 AS BIGINT))",
                              p, 6),
                 0);
}

/* A one-item order of buyer_id from seller in order_status; the order item id into out (64 bytes). */
static void make_item(struct api_server *s, const char *buyer_id, const struct api_account *seller,
                      const char *product_id, const char *order_status, char *out)
{
    char order_id[64], now[32];
    api_test_id(order_id, sizeof order_id, "ord");
    api_test_id(out, 64, "oit");
    now_text(now, sizeof now);
    const char *o[] = {order_id, buyer_id, seller->id, seller->shop_id, order_status, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO orders (id, buyer_id, seller_id, shop_id, status, subtotal_amount, "
                              "total_amount, currency, commission_bps, created_at, updated_at) VALUES ($1, $2, $3, "
                              "$4, $5, 2400, 2400, 'USD', 1000, CAST($6 AS BIGINT), CAST($6 AS BIGINT))",
                              o, 6),
                 0);
    const char *i[] = {out, order_id, product_id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO order_items (id, order_id, product_id, title, unit_price_amount, quantity, "
                              "line_total_amount, currency, created_at) VALUES ($1, $2, $3, 'Stoneware mug', 2400, 1, "
                              "2400, 'USD', CAST($4 AS BIGINT))",
                              i, 4),
                 0);
}

static struct api_response *post_review(struct api_server *s, const struct api_account *a, const char *product_id,
                                        const char *item_id, int rating, const char *extra)
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews", product_id);
    snprintf(body, sizeof body, "{\"order_item_id\":\"%s\",\"rating\":%d,\"body\":\"Lovely glaze\"%s}", item_id, rating,
             extra ? extra : "");
    return api_as(s, a, "POST", path, body);
}

/* Post a review that must succeed; its id into out (64 bytes). */
static void review_ok(struct api_server *s, const struct api_account *a, const char *product_id, const char *item_id,
                      int rating, char *out)
{
    struct api_response *r = post_review(s, a, product_id, item_id, rating, NULL);
    cr_assert_eq(r->status, 201, "review: %ld %s", r->status, r->body);
    snprintf(out, 64, "%s", json_string_value(json_object_get(r->json, "id")));
    api_response_free(r);
}

static void sql_text(struct api_server *s, const char *sql, const char *arg, char *buf, size_t cap)
{
    const char *p[] = {arg};
    cr_assert_eq(api_sql_text(s, sql, p, 1, buf, cap), 1, "no row: %s", sql);
}

/*
 * The stored aggregates equal the sums over the published reviews, for the
 * product (sum/count/avg) and its shop (sum/count). Returns the product's
 * "sum/count/avg" into out for exact checks.
 */
static void aggregates_match(struct api_server *s, const char *product_id, const char *shop_id, char *out, size_t cap)
{
    char stored[128], derived[128];
    sql_text(s,
             "SELECT CAST(rating_sum AS TEXT) || '/' || CAST(rating_count AS TEXT) || '/' || "
             "CAST(rating_avg AS TEXT) FROM products WHERE id = $1",
             product_id, stored, sizeof stored);
    sql_text(s,
             "SELECT CAST(COALESCE(SUM(rating), 0) AS TEXT) || '/' || CAST(COUNT(*) AS TEXT) || '/' || "
             "CAST(CASE WHEN COUNT(*) > 0 THEN (SUM(rating) * 100 + COUNT(*) / 2) / COUNT(*) ELSE 0 END AS TEXT) "
             "FROM reviews WHERE product_id = $1 AND status = 'published'",
             product_id, derived, sizeof derived);
    cr_assert_str_eq(stored, derived, "product aggregates %s differ from the published reviews %s", stored, derived);
    sql_text(s, "SELECT CAST(rating_sum AS TEXT) || '/' || CAST(rating_count AS TEXT) FROM shops WHERE id = $1",
             shop_id, stored, sizeof stored);
    sql_text(s,
             "SELECT CAST(COALESCE(SUM(rating), 0) AS TEXT) || '/' || CAST(COUNT(*) AS TEXT) FROM reviews "
             "WHERE shop_id = $1 AND status = 'published'",
             shop_id, derived, sizeof derived);
    cr_assert_str_eq(stored, derived, "shop aggregates %s differ from the published reviews %s", stored, derived);
    if (out != NULL)
        sql_text(s,
                 "SELECT CAST(rating_sum AS TEXT) || '/' || CAST(rating_count AS TEXT) || '/' || "
                 "CAST(rating_avg AS TEXT) FROM products WHERE id = $1",
                 product_id, out, cap);
}

static json_t *get_json(struct api_server *s, const char *path, struct api_response **keep)
{
    struct api_response *r = api_get(s, path);
    cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
    *keep = r;
    return r->json;
}

static long long hist(json_t *list, const char *star)
{
    return json_integer_value(json_object_get(json_object_get(json_object_get(list, "rating"), "histogram"), star));
}

/*-----------------------------------------------------------------------------
 * Eligibility
 */
Test(reviews, only_a_delivered_item_of_the_buyer_for_this_product_once)
{
    struct api_server *s = start();
    struct api_account seller, buyer, other;
    api_account(s, "seller", "potter", &seller);
    api_account(s, "buyer", "alice", &buyer);
    api_account(s, "buyer", "bob", &other);
    char mug[64], bowl[64], draft[64];
    make_product(s, &seller, "active", mug);
    make_product(s, &seller, "active", bowl);
    make_product(s, &seller, "draft", draft);

    char item[64], others_item[64], shipped_item[64], bowl_item[64], completed_item[64], draft_item[64], none[64];
    make_item(s, buyer.id, &seller, mug, "delivered", item);
    make_item(s, other.id, &seller, mug, "delivered", others_item);
    make_item(s, buyer.id, &seller, mug, "shipped", shipped_item);
    make_item(s, buyer.id, &seller, bowl, "delivered", bowl_item);
    make_item(s, buyer.id, &seller, mug, "completed", completed_item);
    make_item(s, buyer.id, &seller, draft, "delivered", draft_item);
    api_test_id(none, sizeof none, "oit");

    /* Not signed in. */
    struct api_response *r = post_review(s, NULL, mug, item, 5, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);

    /* No such order item; another buyer's; not delivered yet; an item of another product. */
    const char *refused[] = {none, others_item, shipped_item, bowl_item};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        r = post_review(s, &buyer, mug, refused[i], 5, NULL);
        api_assert_problem(r, 403, "forbidden");
        api_response_free(r);
    }
    /* The seller cannot review a sale of their own either. */
    r = post_review(s, &seller, mug, item, 5, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);

    /* A product that is not public, or does not exist: 404; a malformed id: 400. */
    r = post_review(s, &buyer, draft, draft_item, 5, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    char ghost[64];
    api_test_id(ghost, sizeof ghost, "prd");
    r = post_review(s, &buyer, ghost, item, 5, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = post_review(s, &buyer, "prd_nope", item, 5, NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);

    /* Validation: rating out of range, missing item, a malformed or foreign media id. */
    r = post_review(s, &buyer, mug, item, 0, NULL);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = post_review(s, &buyer, mug, item, 6, NULL);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews", mug);
    r = api_as(s, &buyer, "POST", path, "{\"rating\":4}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = post_review(s, &buyer, mug, item, 4, ",\"media_ids\":[\"nope\"]");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    char media[64], extra[128], now[32];
    api_test_id(media, sizeof media, "med");
    now_text(now, sizeof now);
    const char *mp[] = {media, other.id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO media_objects (id, owner_id, kind, mime, bytes, storage_key, status, "
                              "created_at, updated_at) VALUES ($1, $2, 'review_image', 'image/png', 10, $1, 'ready', "
                              "CAST($3 AS BIGINT), CAST($3 AS BIGINT))",
                              mp, 3),
                 0);
    snprintf(extra, sizeof extra, ",\"media_ids\":[\"%s\"]", media);
    r = post_review(s, &buyer, mug, item, 4, extra);
    api_assert_problem(r, 422, "validation_failed");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "field")),
                     "media_ids[0]");
    api_response_free(r);
    char zero[64];
    aggregates_match(s, mug, seller.shop_id, zero, sizeof zero);
    cr_assert_str_eq(zero, "0/0/0", "refused attempts counted nothing");

    /* Delivered, own, this product: 201. */
    r = post_review(s, &buyer, mug, item, 4, NULL);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    const char *id = json_string_value(json_object_get(r->json, "id"));
    cr_assert(id != NULL && strncmp(id, "rev_", 4) == 0);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "rating")), 4);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "status")), "published");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "buyer"), "id")), buyer.id);
    cr_assert(json_is_null(json_object_get(r->json, "reply")));
    char location[128];
    snprintf(location, sizeof location, "/api/v1/reviews/%s", id);
    cr_assert_str_eq(api_header(r, "Location"), location);
    api_response_free(r);

    /* The same item again: 409, however the body differs. */
    r = post_review(s, &buyer, mug, item, 1, NULL);
    api_assert_problem(r, 409, "already_exists");
    api_response_free(r);

    /* A 'completed' order counts as delivered; a second item of the same product is a second review. */
    r = post_review(s, &buyer, mug, completed_item, 5, NULL);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    api_response_free(r);

    char agg[64];
    aggregates_match(s, mug, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "9/2/450");
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Aggregates, histogram, pages
 */
Test(reviews, aggregates_histogram_sorts_and_pages)
{
    struct api_server *s = start();
    struct api_account seller, buyer;
    api_account(s, "seller", "weaver", &seller);
    api_account(s, "buyer", "carol", &buyer);
    char rug[64];
    make_product(s, &seller, "active", rug);

    /* Ratings 5, 4, 4, 1, 5 written in this order, then dated one hour apart so "newest" is exact. */
    const int ratings[] = {5, 4, 4, 1, 5};
    char ids[5][64];
    for (int i = 0; i < 5; i++) {
        char item[64];
        make_item(s, buyer.id, &seller, rug, "delivered", item);
        review_ok(s, &buyer, rug, item, ratings[i], ids[i]);
        char at[32];
        snprintf(at, sizeof at, "%lld", 1700000000000LL + i * 3600000LL);
        const char *p[] = {ids[i], at};
        cr_assert_eq(api_sql_exec(s, "UPDATE reviews SET created_at = CAST($2 AS BIGINT) WHERE id = $1", p, 2), 0);
    }
    char agg[64];
    aggregates_match(s, rug, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "19/5/380"); /* 19 / 5 = 3.8 */

    char path[512];
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews", rug);
    struct api_response *r;
    json_t *j = get_json(s, path, &r);
    json_t *rating = json_object_get(j, "rating");
    cr_assert_eq(json_integer_value(json_object_get(rating, "count")), 5);
    cr_assert(json_is_real(json_object_get(rating, "average")), "%s", r->body);
    cr_assert_float_eq(json_real_value(json_object_get(rating, "average")), 3.8, 1e-9);
    cr_assert_eq(hist(j, "1"), 1);
    cr_assert_eq(hist(j, "2"), 0);
    cr_assert_eq(hist(j, "3"), 0);
    cr_assert_eq(hist(j, "4"), 2);
    cr_assert_eq(hist(j, "5"), 2);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 5);
    cr_assert(json_is_null(json_object_get(j, "next_cursor")));
    for (int i = 0; i < 5; i++) /* newest first */
        cr_assert_str_eq(
            json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), (size_t)i), "id")),
            ids[4 - i]);
    api_response_free(r);

    /* Newest first, two per page: 4 3 | 2 1 | 0. */
    char cursor[256] = "";
    int seen = 0;
    for (int page = 0; page < 3; page++) {
        snprintf(path, sizeof path, "/api/v1/products/%s/reviews?limit=2%s%s", rug, cursor[0] ? "&cursor=" : "",
                 cursor);
        j = get_json(s, path, &r);
        json_t *data = json_object_get(j, "data");
        for (size_t i = 0; i < json_array_size(data); i++, seen++)
            cr_assert_str_eq(json_string_value(json_object_get(json_array_get(data, i), "id")), ids[4 - seen]);
        json_t *next = json_object_get(j, "next_cursor");
        if (page < 2) {
            cr_assert(json_is_string(next), "page %d: %s", page, r->body);
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        } else {
            cr_assert(json_is_null(next));
        }
        api_response_free(r);
    }
    cr_assert_eq(seen, 5);

    /* Best first (ties newest first): 4(5) 0(5) 2(4) | 1(4) 3(1). */
    const int best[] = {4, 0, 2, 1, 3};
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews?sort=rating_desc&limit=3", rug);
    j = get_json(s, path, &r);
    for (size_t i = 0; i < 3; i++)
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), i), "id")),
                         ids[best[i]]);
    snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(j, "next_cursor")));
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews?sort=rating_desc&limit=3&cursor=%s", rug, cursor);
    j = get_json(s, path, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 2);
    for (size_t i = 0; i < 2; i++)
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), i), "id")),
                         ids[best[3 + i]]);
    cr_assert(json_is_null(json_object_get(j, "next_cursor")));
    api_response_free(r);

    /* Worst first: 3(1) 2(4) 1(4) 4(5) 0(5). */
    const int worst[] = {3, 2, 1, 4, 0};
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews?sort=rating_asc&limit=2", rug);
    j = get_json(s, path, &r);
    snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(j, "next_cursor")));
    for (size_t i = 0; i < 2; i++)
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), i), "id")),
                         ids[worst[i]]);
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews?sort=rating_asc&limit=2&cursor=%s", rug, cursor);
    j = get_json(s, path, &r);
    for (size_t i = 0; i < 2; i++)
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), i), "id")),
                         ids[worst[2 + i]]);
    api_response_free(r);

    /* A cursor of another sort, garbage, or a bad sort: 400. */
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews?sort=newest&cursor=%s", rug, cursor);
    r = api_get(s, path);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews?cursor=12.rev_zz", rug);
    r = api_get(s, path);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews?sort=loudest", rug);
    r = api_get(s, path);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);

    /* The shop's list carries the shop's totals. */
    snprintf(path, sizeof path, "/api/v1/shops/%s/reviews?limit=1", seller.shop_id);
    j = get_json(s, path, &r);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "rating"), "count")), 5);
    cr_assert_eq(hist(j, "4"), 2);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), 0), "id")), ids[4]);
    api_response_free(r);

    /* Not public or not there: 404. */
    char draft[64], ghost_shop[64];
    make_product(s, &seller, "draft", draft);
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews", draft);
    r = api_get(s, path);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    api_test_id(ghost_shop, sizeof ghost_shop, "shp");
    snprintf(path, sizeof path, "/api/v1/shops/%s/reviews", ghost_shop);
    r = api_get(s, path);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    /* Archiving the product hides its reviews. */
    const char *ap[] = {rug};
    cr_assert_eq(api_sql_exec(s, "UPDATE products SET status = 'archived' WHERE id = $1", ap, 1), 0);
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews", rug);
    r = api_get(s, path);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/reviews/%s", ids[0]);
    r = api_get(s, path);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Moderation
 */
static struct api_response *moderate(struct api_server *s, const struct api_account *a, const char *id,
                                     const char *status)
{
    char path[128], body[64];
    snprintf(path, sizeof path, "/api/v1/reviews/%s", id);
    snprintf(body, sizeof body, "{\"status\":\"%s\"}", status);
    return api_as(s, a, "PATCH", path, body);
}

Test(reviews, moderation_takes_reviews_out_of_the_aggregates)
{
    struct api_server *s = start();
    struct api_account seller, buyer, admin;
    api_account(s, "seller", "smith", &seller);
    api_account(s, "buyer", "dave", &buyer);
    api_account(s, "admin", "mod", &admin);
    char knife[64], item1[64], item2[64], keep[64], bad[64];
    make_product(s, &seller, "active", knife);
    make_item(s, buyer.id, &seller, knife, "delivered", item1);
    make_item(s, buyer.id, &seller, knife, "delivered", item2);
    review_ok(s, &buyer, knife, item1, 5, keep);
    review_ok(s, &buyer, knife, item2, 1, bad);
    char agg[64];
    aggregates_match(s, knife, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "6/2/300");

    /* Only admins. */
    struct api_response *r = moderate(s, NULL, bad, "hidden");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = moderate(s, &seller, bad, "hidden");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = moderate(s, &admin, bad, "shouting");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    char ghost[64];
    api_test_id(ghost, sizeof ghost, "rev");
    r = moderate(s, &admin, ghost, "hidden");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    /* Hidden: out of the aggregates, the list and the histogram; the public cannot fetch it, the admin can. */
    r = moderate(s, &admin, bad, "hidden");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "status")), "hidden");
    api_response_free(r);
    aggregates_match(s, knife, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "5/1/500");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews", knife);
    json_t *j = get_json(s, path, &r);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 1);
    cr_assert_eq(hist(j, "1"), 0);
    cr_assert_eq(hist(j, "5"), 1);
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/reviews/%s", bad);
    r = api_get(s, path);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &admin, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    api_response_free(r);

    /* Hiding twice changes nothing; publishing again counts it once. */
    r = moderate(s, &admin, bad, "hidden");
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    aggregates_match(s, knife, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "5/1/500");
    r = moderate(s, &admin, bad, "published");
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    aggregates_match(s, knife, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "6/2/300");

    /* Removed is final. */
    r = moderate(s, &admin, bad, "removed");
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    aggregates_match(s, knife, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "5/1/500");
    r = moderate(s, &admin, bad, "published");
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    aggregates_match(s, knife, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "5/1/500");
    /* A removed review still blocks a second review of its order item. */
    r = post_review(s, &buyer, knife, item2, 3, NULL);
    api_assert_problem(r, 409, "already_exists");
    api_response_free(r);

    /* The moderation is in the audit log. */
    char n[16];
    sql_text(s, "SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'review.moderate' AND target_id = $1", bad,
             n, sizeof n);
    cr_assert_str_eq(n, "3");
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Seller reply
 */
Test(reviews, only_the_products_seller_replies_and_only_once)
{
    struct api_server *s = start();
    struct api_account seller, rival, buyer;
    api_account(s, "seller", "glass", &seller);
    api_account(s, "seller", "rival", &rival);
    api_account(s, "buyer", "erin", &buyer);
    char vase[64], item[64], id[64];
    make_product(s, &seller, "active", vase);
    make_item(s, buyer.id, &seller, vase, "delivered", item);
    review_ok(s, &buyer, vase, item, 3, id);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/reviews/%s/reply", id);
    const char *body = "{\"body\":\"Thank you! A replacement is on its way.\"}";
    struct api_response *r = api_as(s, NULL, "POST", path, body);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &buyer, "POST", path, body); /* not a seller at all */
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(s, &rival, "POST", path, body); /* a seller, but not this product's */
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(s, &seller, "POST", path, "{\"body\":\"\"}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    char ghost[64], ghost_path[128];
    api_test_id(ghost, sizeof ghost, "rev");
    snprintf(ghost_path, sizeof ghost_path, "/api/v1/reviews/%s/reply", ghost);
    r = api_as(s, &seller, "POST", ghost_path, body);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    r = api_as(s, &seller, "POST", path, body);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "reply"), "body")),
                     "Thank you! A replacement is on its way.");
    api_response_free(r);
    r = api_as(s, &seller, "POST", path, "{\"body\":\"Second thoughts\"}");
    api_assert_problem(r, 409, "already_exists");
    api_response_free(r);

    /* The public list shows the first reply, unchanged. */
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews", vase);
    json_t *j = get_json(s, path, &r);
    json_t *reply = json_object_get(json_array_get(json_object_get(j, "data"), 0), "reply");
    cr_assert_str_eq(json_string_value(json_object_get(reply, "body")), "Thank you! A replacement is on its way.");
    cr_assert(json_is_string(json_object_get(reply, "created_at")));
    api_response_free(r);
    /* One review, publicly: with its reply; malformed ids are 400 on every review path. */
    snprintf(path, sizeof path, "/api/v1/reviews/%s", id);
    r = api_get(s, path);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "id")), id);
    cr_assert(json_is_object(json_object_get(r->json, "reply")));
    api_response_free(r);
    const char *malformed[] = {"/api/v1/reviews/rev_x", "/api/v1/products/mug/reviews", "/api/v1/shops/shop/reviews"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        r = api_get(s, malformed[i]);
        api_assert_problem(r, 400, "invalid_parameter");
        api_response_free(r);
    }
    /* A reply is not a rating. */
    char agg[64];
    aggregates_match(s, vase, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "3/1/300");
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Concurrency
 */
Test(reviews, racing_reviews_of_one_item_count_once)
{
    struct api_server *s = start();
    struct api_account seller, buyer;
    api_account(s, "seller", "carver", &seller);
    api_account(s, "buyer", "frank", &buyer);
    char spoon[64];
    make_product(s, &seller, "active", spoon);
    for (int round = 0; round < 5; round++) {
        char item[64], body[160], path[128];
        make_item(s, buyer.id, &seller, spoon, "delivered", item);
        snprintf(body, sizeof body, "{\"order_item_id\":\"%s\",\"rating\":4}", item);
        snprintf(path, sizeof path, "/api/v1/products/%s/reviews", spoon);
        int st[2];
        api_as_twice(s, &buyer, "POST", path, body, st);
        cr_assert((st[0] == 201 && st[1] == 409) || (st[0] == 409 && st[1] == 201), "round %d: statuses %d and %d",
                  round, st[0], st[1]);
    }
    char agg[64];
    aggregates_match(s, spoon, seller.shop_id, agg, sizeof agg);
    cr_assert_str_eq(agg, "20/5/400");
    api_stop(s);
}
