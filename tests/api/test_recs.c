/*
 * test_recs.c — recommendations: similar (content), trending, for-me
 * (item-to-item CF from co-wishlists, co-purchases and co-views, trending
 * fill for cold start), the incremental model against a full recount, and
 * failure paths (401, 404, 400).
 *
 * Products are inserted directly into the test database (the products
 * service has its own suite), as are paid orders (the orders service has
 * its own); wishlists and views go through HTTP. The server runs the model
 * updater every 200 ms.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"

TestSuite(recs, .fini = api_cleanup_all, .timeout = 240);

static const char *const server_args[] = {"--rate-limit-scale", "100", "--recs-update-ms", "200", NULL};

static struct api_server *start(void)
{
    struct api_opts o = {.args = server_args};
    return api_start(&o);
}

/* An active product of seller in category cat with tags/materials (comma-separated, may be ""); id into out. */
static void product(struct api_server *s, const struct api_account *seller, const char *cat, long price,
                    const char *tags, const char *materials, char *out)
{
    char now[32], slug[80], pr[32];
    api_test_id(out, 64, "prd");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    snprintf(slug, sizeof slug, "item-%s", out + 4);
    snprintf(pr, sizeof pr, "%ld", price);
    const char *p[] = {out, seller->id, seller->shop_id, slug, cat, pr, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO products (id, seller_id, shop_id, slug, title, category_id, price_amount, "
                              "currency, status, stock, in_stock, created_at, updated_at, published_at) VALUES ($1, $2, "
                              "$3, $4, 'Test item', $5, CAST($6 AS BIGINT), 'USD', 'active', 5, 1, CAST($7 AS BIGINT), "
                              "CAST($7 AS BIGINT), CAST($7 AS BIGINT))",
                              p, 7),
                 0);
    for (int k = 0; k < 2; k++) {
        char buf[200];
        snprintf(buf, sizeof buf, "%s", k == 0 ? tags : materials);
        for (char *t = strtok(buf, ","); t != NULL; t = strtok(NULL, ",")) {
            const char *q[] = {out, t};
            cr_assert_eq(api_sql_exec(s,
                                      k == 0 ? "INSERT INTO product_tags (product_id, tag) VALUES ($1, $2)"
                                             : "INSERT INTO product_materials (product_id, material) VALUES ($1, $2)",
                                      q, 2),
                         0);
        }
    }
}

static void wish(struct api_server *s, const struct api_account *a, const char *product_id)
{
    char body[128];
    snprintf(body, sizeof body, "{\"product_id\":\"%s\"}", product_id);
    struct api_response *r = api_as(s, a, "POST", "/api/v1/wishlist", body);
    cr_assert(r->status == 201 || r->status == 200, "wishlist: %ld %s", r->status, r->body);
    api_response_free(r);
}

/* A paid order of buyer for product (the orders service's rows, minimal). */
static void paid_order(struct api_server *s, const struct api_account *buyer, const struct api_account *seller,
                       const char *product_id)
{
    char oid[64], iid[64], now[32];
    api_test_id(oid, sizeof oid, "ord");
    api_test_id(iid, sizeof iid, "oit");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *o[] = {oid, buyer->id, seller->id, seller->shop_id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO orders (id, buyer_id, seller_id, shop_id, status, subtotal_amount, "
                              "total_amount, currency, commission_bps, paid_at, created_at, updated_at) VALUES ($1, $2, "
                              "$3, $4, 'paid', 1000, 1000, 'USD', 1000, CAST($5 AS BIGINT), CAST($5 AS BIGINT), "
                              "CAST($5 AS BIGINT))",
                              o, 5),
                 0);
    const char *i[] = {iid, oid, product_id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO order_items (id, order_id, product_id, title, unit_price_amount, quantity, "
                              "line_total_amount, currency, created_at) VALUES ($1, $2, $3, 't', 1000, 1, 1000, 'USD', "
                              "CAST($4 AS BIGINT))",
                              i, 4),
                 0);
}

/* Wait until the query's first column equals want (the updater runs every 200 ms). */
static void wait_sql(struct api_server *s, const char *sql, const char *const *p, int n, const char *want)
{
    char got[256] = "";
    for (int i = 0; i < 100; i++) {
        if (api_sql_text(s, sql, p, n, got, sizeof got) == 1 && strcmp(got, want) == 0)
            return;
        api_sleep_ms(100);
    }
    cr_assert_fail("waited for %s = %s, got %s", sql, want, got);
}

static void wait_weight(struct api_server *s, const struct api_account *a, const char *product_id, const char *w)
{
    const char *p[] = {a->id, product_id};
    wait_sql(s, "SELECT CAST(weight AS TEXT) FROM recs_interactions WHERE user_id = $1 AND product_id = $2", p, 2, w);
}

/* GET path as acct; the ids of data[] into ids (up to 16), their count returned; body kept in *keep. */
static int get_ids(struct api_server *s, const struct api_account *a, const char *path, char ids[16][64],
                   struct api_response **keep)
{
    struct api_response *r = api_as(s, a, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s: %ld %s", path, r->status, r->body);
    json_t *data = json_object_get(r->json, "data");
    cr_assert(json_is_array(data));
    int n = 0;
    for (size_t i = 0; i < json_array_size(data) && n < 16; i++)
        snprintf(ids[n++], 64, "%s", json_string_value(json_object_get(json_array_get(data, i), "id")));
    *keep = r;
    return n;
}

static int index_of(char ids[16][64], int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return i;
    return -1;
}

/* The normalised score of a pair row pr with the stats sp (its product) and sq (the other). */
#define NB_SCORE "pr.co / sqrt(CAST(sp.total AS DOUBLE PRECISION) * sq.total)"

/* Each product's neighbour list is its 50 best pairs by score (ties by id), recounted from recs_pairs and
   recs_item_stats; nothing is left dirty; trending positions follow the scores. */
static void assert_neighbours_consistent(struct api_server *s)
{
    char bad[64];
    wait_sql(s, "SELECT CAST(COUNT(*) AS TEXT) FROM recs_dirty", NULL, 0, "0");
    cr_assert_eq(api_sql_text(s,
                              "SELECT CAST(COUNT(*) AS TEXT) FROM (SELECT product_id, other_id, score FROM (SELECT "
                              "pr.product_id, pr.other_id, " NB_SCORE " AS score, ROW_NUMBER() OVER (PARTITION BY "
                              "pr.product_id ORDER BY " NB_SCORE " DESC, pr.other_id) AS rn FROM recs_pairs pr JOIN "
                              "recs_item_stats sp ON sp.product_id = pr.product_id JOIN recs_item_stats sq ON "
                              "sq.product_id = pr.other_id) r WHERE rn <= 50) f FULL OUTER JOIN recs_neighbours n ON "
                              "n.product_id = f.product_id AND n.other_id = f.other_id WHERE f.score IS NULL OR "
                              "n.score IS NULL OR abs(f.score - n.score) > 1e-9",
                              NULL, 0, bad, sizeof bad),
                 1);
    cr_assert_str_eq(bad, "0", "%s neighbour rows differ from a recount", bad);
    cr_assert_eq(api_sql_text(s,
                              "SELECT CAST(COUNT(*) AS TEXT) FROM recs_trending a JOIN recs_trending b ON b.pos = a.pos "
                              "+ 1 WHERE a.score < b.score OR (a.score = b.score AND a.product_id < b.product_id)",
                              NULL, 0, bad, sizeof bad),
                 1);
    cr_assert_str_eq(bad, "0", "%s trending positions out of order", bad);
}

/* Every pair's co equals the sum over users of min(weights): the incremental model equals a recount. */
static void assert_model_consistent(struct api_server *s)
{
    char bad[64];
    cr_assert_eq(api_sql_text(s,
                              "SELECT CAST(COUNT(*) AS TEXT) FROM (SELECT a.product_id, b.product_id AS other_id, "
                              "SUM(CASE WHEN a.weight < b.weight THEN a.weight ELSE b.weight END) AS co FROM "
                              "recs_interactions a JOIN recs_interactions b ON b.user_id = a.user_id AND b.product_id "
                              "<> a.product_id GROUP BY a.product_id, b.product_id) f FULL OUTER JOIN recs_pairs p ON "
                              "p.product_id = f.product_id AND p.other_id = f.other_id WHERE f.co IS NULL OR p.co IS "
                              "NULL OR f.co <> p.co",
                              NULL, 0, bad, sizeof bad),
                 1);
    cr_assert_str_eq(bad, "0", "%s pairs differ from a recount", bad);
    cr_assert_eq(api_sql_text(s,
                              "SELECT CAST(COUNT(*) AS TEXT) FROM recs_item_stats st WHERE st.total <> (SELECT "
                              "COALESCE(SUM(weight), 0) FROM recs_interactions i WHERE i.product_id = st.product_id)",
                              NULL, 0, bad, sizeof bad),
                 1);
    cr_assert_str_eq(bad, "0", "%s item totals differ from a recount", bad);
    assert_neighbours_consistent(s);
}

/*-----------------------------------------------------------------------------
 * Similar
 */
Test(recs, similar_ranks_by_content_and_checks_input)
{
    struct api_server *s = start();
    struct api_account admin, seller;
    api_account(s, "admin", "recsadm", &admin);
    api_account(s, "seller", "recsell", &seller);
    char mugs[64], rugs[64], target[64], twin[64], cousin[64], far[64], other[64], draft[64];
    api_category(s, &admin, "mugs", NULL, mugs, sizeof mugs);
    api_category(s, &admin, "rugs", NULL, rugs, sizeof rugs);
    product(s, &seller, mugs, 3000, "rustic,blue", "stoneware", target);
    product(s, &seller, mugs, 3200, "rustic,blue", "stoneware", twin);   /* 3 + 2*2 + 2 + 1 = 10 */
    product(s, &seller, rugs, 2500, "blue", "", cousin);                 /* 2 + 1 = 3 */
    product(s, &seller, mugs, 90000, "", "", far);                       /* 3 */
    product(s, &seller, rugs, 3000, "modern", "wool", other);            /* no shared attribute: absent */

    char path[160], ids[16][64];
    struct api_response *r;
    snprintf(path, sizeof path, "/api/v1/products/%s/similar", target);
    int n = get_ids(s, NULL, path, ids, &r);
    cr_assert_eq(n, 3, "%s", r->body);
    cr_assert_str_eq(ids[0], twin);
    cr_assert_eq(index_of(ids, n, other), -1);
    cr_assert_eq(index_of(ids, n, target), -1);
    json_t *first = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_eq(json_number_value(json_object_get(first, "score")), 10);
    json_t *why = json_object_get(first, "reasons");
    cr_assert(json_is_true(json_object_get(why, "same_category")));
    cr_assert_eq(json_integer_value(json_object_get(why, "shared_tags")), 2);
    cr_assert_eq(json_integer_value(json_object_get(why, "shared_materials")), 1);
    cr_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    api_response_free(r);

    /* Pages: limit 1, then the cursor. */
    snprintf(path, sizeof path, "/api/v1/products/%s/similar?limit=1", target);
    n = get_ids(s, NULL, path, ids, &r);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "next_cursor")), "o1");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/products/%s/similar?limit=5&cursor=o1", target);
    n = get_ids(s, NULL, path, ids, &r);
    cr_assert_eq(n, 2);
    cr_assert_eq(index_of(ids, n, twin), -1);
    api_response_free(r);

    /* A product that is not public is 404, as is an unknown one; bad input is 400. */
    product(s, &seller, mugs, 3000, "rustic", "", draft);
    const char *p[] = {draft};
    cr_assert_eq(api_sql_exec(s, "UPDATE products SET status = 'draft' WHERE id = $1", p, 1), 0);
    snprintf(path, sizeof path, "/api/v1/products/%s/similar", draft);
    r = api_get(s, path);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/products/%s/similar", target);
    n = get_ids(s, NULL, path, ids, &r);
    cr_assert_eq(index_of(ids, n, draft), -1, "a draft is never recommended");
    api_response_free(r);

    /* The ranking is cached per (product, rev): a new match shows once the target's rev moves. */
    char twin2[64];
    product(s, &seller, mugs, 3100, "rustic,blue", "stoneware", twin2);
    n = get_ids(s, NULL, path, ids, &r);
    cr_assert_eq(index_of(ids, n, twin2), -1, "cached: %s", r->body);
    api_response_free(r);
    const char *t[] = {target};
    cr_assert_eq(api_sql_exec(s, "UPDATE products SET rev = rev + 1 WHERE id = $1", t, 1), 0);
    n = get_ids(s, NULL, path, ids, &r);
    cr_assert_neq(index_of(ids, n, twin2), -1, "after the rev moved: %s", r->body);
    api_response_free(r);
    r = api_get(s, "/api/v1/products/prd_00000000000000000000000000/similar");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_get(s, "/api/v1/products/usr_nope/similar");
    cr_assert_eq(r->status, 400);
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/products/%s/similar?cursor=abc", target);
    r = api_get(s, path);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/products/%s/similar?limit=500", target);
    r = api_get(s, path);
    cr_assert_eq(r->status, 400);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Trending and for-me
 */
Test(recs, for_me_cf_trending_and_cold_start)
{
    struct api_server *s = start();
    struct api_account admin, seller, fans[3], me, newbie;
    api_account(s, "admin", "recsadm", &admin);
    api_account(s, "seller", "recsell", &seller);
    for (int i = 0; i < 3; i++)
        api_account(s, "buyer", "fan", &fans[i]);
    api_account(s, "buyer", "me", &me);
    api_account(s, "buyer", "newbie", &newbie);
    char cups[64], lamps[64], a[64], b[64], c[64], hot[64], lamp2[64];
    api_category(s, &admin, "cups", NULL, cups, sizeof cups);
    api_category(s, &admin, "lamps", NULL, lamps, sizeof lamps);
    product(s, &seller, cups, 1000, "", "", a);
    product(s, &seller, lamps, 5000, "", "", b);  /* bought and wishlisted with a */
    product(s, &seller, lamps, 4000, "", "", c);  /* only hot, never with a */
    product(s, &seller, cups, 1500, "", "", hot); /* most trending */
    product(s, &seller, lamps, 6000, "", "", lamp2);

    /* Anonymous for-me is 401. */
    struct api_response *r = api_get(s, "/api/v1/recommendations/for-me");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);

    for (int i = 0; i < 3; i++) {
        wish(s, &fans[i], a);
        paid_order(s, &fans[i], &seller, b);
        wish(s, &fans[i], hot);
    }
    wish(s, &fans[0], c);
    wish(s, &fans[1], lamp2);
    wish(s, &me, a);
    wait_weight(s, &me, a, "2");
    wait_weight(s, &fans[2], b, "3");

    /* Trending: b (3 units sold, 20 points each) > a (4 wishlists, 5 each) > hot (3) > c, lamp2 (1). */
    char ids[16][64];
    int n = get_ids(s, NULL, "/api/v1/recommendations/trending", ids, &r);
    cr_assert_eq(n, 5, "%s", r->body);
    cr_assert_str_eq(ids[0], b, "3 sales outweigh wishlists: %s", r->body);
    cr_assert_str_eq(ids[1], a);
    api_response_free(r);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/recommendations/trending?category=%s", lamps);
    n = get_ids(s, NULL, path, ids, &r);
    cr_assert_eq(n, 3, "%s", r->body);
    cr_assert_eq(index_of(ids, n, a), -1);
    api_response_free(r);

    /* For me (me wishlisted a): co(a, hot) = co(a, b) = 3 fans x 2, total(hot) 6 < total(b) 9, and hot
       shares a's category (x 2): hot, then b (cf 2*6/sqrt(8)/sqrt(9)), then c and lamp2 (one fan each);
       a itself (wishlisted) is left out. */
    n = get_ids(s, &me, "/api/v1/recommendations/for-me", ids, &r);
    cr_assert_eq(n, 4, "%s", r->body);
    cr_assert_str_eq(ids[0], hot, "%s", r->body);
    cr_assert_str_eq(ids[1], b, "%s", r->body);
    cr_assert_eq(index_of(ids, n, a), -1);
    json_t *first = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(first, "source")), "personal");
    api_response_free(r);

    /* Cold start: no history → trending, with source "trending". */
    n = get_ids(s, &newbie, "/api/v1/recommendations/for-me", ids, &r);
    cr_assert_eq(n, 5, "%s", r->body);
    cr_assert_str_eq(ids[0], b);
    first = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(first, "source")), "trending");
    api_response_free(r);
    /* Its favourite category first: one lamp wishlisted (before the model has seen it) puts lamps on top. */
    wish(s, &newbie, lamp2);
    n = get_ids(s, &newbie, "/api/v1/recommendations/for-me?limit=2", ids, &r);
    cr_assert_eq(n, 2, "%s", r->body);
    cr_assert(strcmp(ids[0], b) == 0 || strcmp(ids[0], c) == 0, "%s", r->body);
    cr_assert(strcmp(ids[1], b) == 0 || strcmp(ids[1], c) == 0, "%s", r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "next_cursor")), "o2");
    api_response_free(r);
    r = api_as(s, &newbie, "GET", "/api/v1/recommendations/for-me?cursor=o999", NULL);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);

    assert_model_consistent(s);
    api_stop(s);
}

/* Views by a signed-in buyer reach the model (batched by the view flusher); the model survives a re-scan. */
Test(recs, co_views_and_rescan_are_idempotent)
{
    struct api_server *s = start();
    struct api_account admin, seller, viewer, other;
    api_account(s, "admin", "recsadm", &admin);
    api_account(s, "seller", "recsell", &seller);
    api_account(s, "buyer", "viewer", &viewer);
    api_account(s, "buyer", "other", &other);
    char cat[64], x[64], y[64];
    api_category(s, &admin, "bowls", NULL, cat, sizeof cat);
    product(s, &seller, cat, 1000, "", "", x);
    product(s, &seller, cat, 1200, "", "", y);
    char path[160];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/api/v1/products/%s", i == 0 ? x : y);
        for (int k = 0; k < 3; k++) {
            struct api_response *r = api_as(s, &viewer, "GET", path, NULL);
            cr_assert_eq(r->status, 200, "%s", r->body);
            api_response_free(r);
        }
    }
    /* One row per (user, product) with the count, written by the flusher (every 5 s). */
    const char *p[] = {viewer.id, x};
    wait_sql(s, "SELECT CAST(view_count AS TEXT) FROM product_user_views WHERE user_id = $1 AND product_id = $2", p,
             2, "3");
    wait_weight(s, &viewer, y, "1");
    const char *q[] = {x, y};
    wait_sql(s, "SELECT CAST(co AS TEXT) FROM recs_pairs WHERE product_id = $1 AND other_id = $2", q, 2, "1");

    /* A purchase raises the weight; the pair's co stays min(1, 3) = 1. */
    paid_order(s, &viewer, &seller, x);
    wait_weight(s, &viewer, x, "3");
    wait_sql(s, "SELECT CAST(co AS TEXT) FROM recs_pairs WHERE product_id = $1 AND other_id = $2", q, 2, "1");

    /* Re-scan everything from the start: nothing is counted twice. */
    cr_assert_eq(api_sql_exec(s, "UPDATE recs_state SET value = 0 WHERE name <> 'lock'", NULL, 0), 0);
    wait_sql(s, "SELECT CASE WHEN value > 0 THEN 'done' ELSE 'waiting' END FROM recs_state WHERE name = 'orders'", NULL,
             0, "done");
    api_sleep_ms(300);
    wait_sql(s, "SELECT CAST(co AS TEXT) FROM recs_pairs WHERE product_id = $1 AND other_id = $2", q, 2, "1");
    assert_model_consistent(s);

    /* y was only viewed, so it stays recommendable to the viewer; x (bought) does not. */
    char ids[16][64];
    struct api_response *r;
    wish(s, &other, x);
    int n = get_ids(s, &viewer, "/api/v1/recommendations/for-me", ids, &r);
    cr_assert_eq(index_of(ids, n, x), -1, "%s", r->body);
    cr_assert_neq(index_of(ids, n, y), -1, "%s", r->body);
    api_response_free(r);
    api_stop(s);
}

/* A product with more than 50 partners keeps the best 50 (by normalised score); lists follow later events
   (a partner's total changing re-ranks the lists it is in); for-me reads them. */
Test(recs, neighbour_lists_keep_the_best_and_follow_updates)
{
    struct api_server *s = start();
    struct api_account admin, seller, wide, fan, me;
    api_account(s, "admin", "recsadm", &admin);
    api_account(s, "seller", "recsell", &seller);
    api_account(s, "buyer", "wide", &wide);
    api_account(s, "buyer", "fan", &fan);
    api_account(s, "buyer", "me", &me);
    char cat[64], hub[64], many[56][64];
    api_category(s, &admin, "vases", NULL, cat, sizeof cat);
    product(s, &seller, cat, 1000, "", "", hub);
    /* wide views hub and 56 others (one view each: the flusher's rows, written here directly). */
    char now[32];
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *v[] = {wide.id, hub, now};
    const char *view_sql = "INSERT INTO product_user_views (user_id, product_id, view_count, last_at) VALUES ($1, "
                           "$2, 1, CAST($3 AS BIGINT))";
    cr_assert_eq(api_sql_exec(s, view_sql, v, 3), 0);
    for (int i = 0; i < 56; i++) {
        product(s, &seller, cat, 1000 + i, "", "", many[i]);
        const char *w[] = {wide.id, many[i], now};
        cr_assert_eq(api_sql_exec(s, view_sql, w, 3), 0);
    }
    const char *h[] = {hub};
    wait_sql(s, "SELECT CAST(COUNT(*) AS TEXT) FROM recs_pairs WHERE product_id = $1", h, 1, "56");
    wait_sql(s, "SELECT CAST(COUNT(*) AS TEXT) FROM recs_neighbours WHERE product_id = $1", h, 1, "50");
    assert_model_consistent(s);

    /* fan wishlists hub and the last three: co(hub, those) rises to 1 + 2, so they lead hub's list. */
    wish(s, &fan, hub);
    for (int i = 53; i < 56; i++)
        wish(s, &fan, many[i]);
    wait_weight(s, &fan, many[55], "2");
    wait_sql(s, "SELECT CAST(COUNT(*) AS TEXT) FROM recs_dirty", NULL, 0, "0");
    char top[256];
    cr_assert_eq(api_sql_text(s, "SELECT other_id FROM recs_neighbours WHERE product_id = $1 ORDER BY score DESC, "
                                 "other_id LIMIT 1", h, 1, top, sizeof top),
                 1);
    cr_assert(strcmp(top, many[53]) == 0 || strcmp(top, many[54]) == 0 || strcmp(top, many[55]) == 0, "%s", top);
    assert_model_consistent(s);

    /* me wishlists hub: for-me ranks the three co-wishlisted first, from hub's list, then the rest. */
    wish(s, &me, hub);
    wait_weight(s, &me, hub, "2");
    char ids[16][64];
    struct api_response *r;
    int n = get_ids(s, &me, "/api/v1/recommendations/for-me?limit=10", ids, &r);
    cr_assert_eq(n, 10, "%s", r->body);
    for (int i = 53; i < 56; i++)
        cr_assert(index_of(ids, 3, many[i]) >= 0, "%s among the first three: %s", many[i], r->body);
    cr_assert_eq(index_of(ids, n, hub), -1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "data"), 9),
                                                       "source")),
                     "personal");
    api_response_free(r);
    /* A neighbour that stopped being public is skipped; the page is still full. */
    const char *gone[] = {many[55]};
    cr_assert_eq(api_sql_exec(s, "UPDATE products SET status = 'archived' WHERE id = $1", gone, 1), 0);
    n = get_ids(s, &me, "/api/v1/recommendations/for-me?limit=10", ids, &r);
    cr_assert_eq(n, 10, "%s", r->body);
    cr_assert_eq(index_of(ids, n, many[55]), -1, "%s", r->body);
    api_response_free(r);
    api_stop(s);
}
