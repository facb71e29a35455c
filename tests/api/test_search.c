/*
 * test_search.c — API tests of the search service on whichever engine the
 * run uses (SQLite FTS5, or PostgreSQL tsvector + pg_trgm when
 * ARTISTRY_TEST_DATABASE_URL is set): relevance and field weights, filters
 * and sorts, facet counts against filtered totals, typo tolerance, the
 * index following product and shop changes (archive, rename), suggestions,
 * trending with decay, the admin rebuild, bad input and HTML escaping of
 * highlights.
 *
 * Products are created through the products API, so the index is kept by
 * the same transactions a seller's requests run. Counters that other
 * services keep (ratings, popularity) are set with SQL before the first
 * search of a test, since search results may be cached until the index
 * version moves.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"

TestSuite(search, .fini = api_cleanup_all, .timeout = 240);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

static struct api_server *start(void)
{
    struct api_opts o = {.args = scaled_args};
    return api_start(&o);
}

static struct api_response *req(struct api_server *s, const struct api_account *a, const char *method, const char *path,
                                const char *json, long status)
{
    struct api_response *r = api_as(s, a, method, path, json);
    cr_assert_eq(r->status, status, "%s %s: expected %ld, got %ld: %.1500s", method, path, status, r->status, r->body);
    return r;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static long long num(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* An active product with 5 in stock; tags and materials are JSON arrays ("[]" for none). Its id in out. */
static void product(struct api_server *s, const struct api_account *seller, const char *title, const char *desc,
                    const char *cat, long price, const char *tags, const char *mats, char *out, size_t cap)
{
    char body[4096];
    snprintf(body, sizeof body,
             "{\"title\":\"%s\",\"description\":\"%s\",\"price\":{\"amount\":%ld},\"category_id\":\"%s\","
             "\"tags\":%s,\"materials\":%s,\"stock\":5,\"status\":\"active\"}",
             title, desc, price, cat, tags, mats);
    struct api_response *r = req(s, seller, "POST", "/api/v1/products", body, 201);
    snprintf(out, cap, "%s", str(r->json, "id"));
    api_response_free(r);
}

static struct api_response *search(struct api_server *s, const char *query)
{
    char path[1200];
    snprintf(path, sizeof path, "/api/v1/search?%s", query);
    return req(s, NULL, "GET", path, NULL, 200);
}

/* Ids of data[], space-separated, in order. */
static void ids_of(struct api_response *r, char *out, size_t cap)
{
    out[0] = '\0';
    json_t *data = json_object_get(r->json, "data");
    cr_assert(json_is_array(data), "%s", r->body);
    size_t i;
    json_t *c;
    json_array_foreach(data, i, c)
    {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? " " : "", str(c, "id"));
    }
}

static long long total_of(struct api_server *s, const char *query)
{
    struct api_response *r = search(s, query);
    long long t = num(r->json, "total");
    api_response_free(r);
    return t;
}

static void sql(struct api_server *s, const char *text, const char *p1, const char *p2)
{
    const char *p[] = {p1, p2};
    cr_assert_eq(api_sql_exec(s, text, p, p2 ? 2 : p1 ? 1 : 0), 0, "%s", text);
}

#define DESC "Made by hand in a small studio, finished with care and packed well for the journey."

/*-----------------------------------------------------------------------------
 * Relevance
 */

Test(search, relevance_orders_by_field_weight)
{
    struct api_server *s = start();
    struct api_account admin, a, walnut_shop;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    api_account(s, "seller", "walnut", &walnut_shop); /* shop name "walnut shop N" */
    char cat[64], t[64], g[64], m[64], sh[64], d[64];
    api_category(s, &admin, "kitchen", NULL, cat, sizeof cat);
    /* The same description length everywhere, so only where "walnut" appears differs. */
    product(s, &a, "Kitchen tray", "Walnut veneer. " DESC, cat, 3000, "[]", "[]", d, sizeof d);
    product(s, &walnut_shop, "Cutting board", "Sturdy grain. " DESC, cat, 3000, "[]", "[]", sh, sizeof sh);
    product(s, &a, "Maple spoon", "Sturdy grain. " DESC, cat, 3000, "[]", "[\"walnut\"]", m, sizeof m);
    product(s, &a, "Oak board", "Sturdy grain. " DESC, cat, 3000, "[\"walnut\"]", "[]", g, sizeof g);
    product(s, &a, "Walnut bowl", "Sturdy grain. " DESC, cat, 3000, "[]", "[]", t, sizeof t);

    struct api_response *r = search(s, "q=walnut");
    char ids[2048];
    ids_of(r, ids, sizeof ids);
    cr_assert_eq(num(r->json, "total"), 5, "%s", r->body);
    /* Title first, description-only last; tags before materials and the shop name. */
    const char *pt = strstr(ids, t), *pg = strstr(ids, g), *pm = strstr(ids, m), *ps = strstr(ids, sh),
               *pd = strstr(ids, d);
    cr_assert(pt && pg && pm && ps && pd, "%s", ids);
    cr_assert(pt == ids, "title match first: %s", ids);
    cr_assert(pg < pm && pg < ps, "tags before materials and shop name: %s", ids);
    cr_assert(pd > pm && pd > ps, "description-only match last: %s", ids);
    if (!api_pg()) /* PostgreSQL has four weights: materials and shop name share C */
        cr_assert(pm < ps, "materials before shop name: %s", ids);
    /* Scores fall along the list. */
    json_t *data = json_object_get(r->json, "data");
    for (size_t i = 1; i < json_array_size(data); i++)
        cr_assert(json_number_value(json_object_get(json_array_get(data, i - 1), "score")) >=
                      json_number_value(json_object_get(json_array_get(data, i), "score")),
                  "%s", r->body);
    api_response_free(r);

    /* All words must match: a word no product has leaves nothing. */
    cr_assert_eq(total_of(s, "q=walnut%20zebra"), 0);
    cr_assert_eq(total_of(s, "q=walnut%20bowl"), 1);
    /* Plurals meet their singulars. */
    cr_assert_eq(total_of(s, "q=bowls"), 1);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Filters, sorts and pages
 */

Test(search, filters_sorts_and_pages)
{
    struct api_server *s = start();
    struct api_account admin, a, b;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    api_account(s, "seller", "birch", &b);
    char home[64], vases[64], other[64];
    api_category(s, &admin, "home", NULL, home, sizeof home);
    api_category(s, &admin, "vases", home, vases, sizeof vases);
    api_category(s, &admin, "prints", NULL, other, sizeof other);
    char p1[64], p2[64], p3[64], p4[64], p5[64], x[64];
    product(s, &a, "Blue glazed vase", DESC, vases, 1500, "[\"blue\"]", "[\"stoneware\"]", p1, sizeof p1);
    product(s, &a, "Green glazed vase", DESC, vases, 4500, "[\"green\"]", "[\"porcelain\"]", p2, sizeof p2);
    product(s, &b, "Glazed bowl", DESC, home, 2500, "[\"blue\"]", "[\"stoneware\",\"glaze\"]", p3, sizeof p3);
    product(s, &b, "Glazed tile print", DESC, other, 9000, "[]", "[\"paper\"]", p4, sizeof p4);
    product(s, &b, "Tiny glazed cup", DESC, home, 900, "[]", "[\"stoneware\"]", p5, sizeof p5);
    product(s, &a, "Unrelated scarf", DESC, other, 1000, "[]", "[]", x, sizeof x);
    /* Counters other services keep, set before the first search. */
    sql(s, "UPDATE products SET rating_avg = 450, rating_count = 4, popularity = 10 WHERE id = $1", p1, NULL);
    sql(s, "UPDATE products SET rating_avg = 300, rating_count = 2, popularity = 50 WHERE id = $1", p2, NULL);
    sql(s, "UPDATE products SET rating_avg = 480, rating_count = 9, popularity = 5 WHERE id = $1", p3, NULL);
    sql(s, "UPDATE products SET published_at = published_at + 1000 WHERE id = $1", p5, NULL);
    sql(s, "UPDATE products SET stock = 0, in_stock = 0 WHERE id = $1", p4, NULL);

    cr_assert_eq(total_of(s, "q=glazed"), 5);
    char q[400];
    /* Category takes its subtree. */
    snprintf(q, sizeof q, "q=glazed&category=%s", home);
    cr_assert_eq(total_of(s, q), 4);
    snprintf(q, sizeof q, "q=glazed&category=%s", vases);
    cr_assert_eq(total_of(s, q), 2);
    snprintf(q, sizeof q, "q=glazed&seller=%s", b.id);
    cr_assert_eq(total_of(s, q), 3);
    cr_assert_eq(total_of(s, "q=glazed&price_min=1000&price_max=4500"), 3);
    cr_assert_eq(total_of(s, "q=glazed&min_rating=4.5"), 2);
    cr_assert_eq(total_of(s, "q=glazed&in_stock=true"), 4);
    cr_assert_eq(total_of(s, "q=glazed&tags=blue"), 2);
    cr_assert_eq(total_of(s, "q=glazed&materials=stoneware"), 3);
    cr_assert_eq(total_of(s, "q=glazed&materials=stoneware,glaze"), 1);
    cr_assert_eq(total_of(s, "q=glazed&materials=unobtainium"), 0);

    /* Sorts as /products. */
    char ids[2048], want[1024];
    struct api_response *r = search(s, "q=glazed&sort=price_asc");
    ids_of(r, ids, sizeof ids);
    snprintf(want, sizeof want, "%s %s %s %s %s", p5, p1, p3, p2, p4);
    cr_assert_str_eq(ids, want);
    api_response_free(r);
    r = search(s, "q=glazed&sort=price_desc");
    ids_of(r, ids, sizeof ids);
    snprintf(want, sizeof want, "%s %s %s %s %s", p4, p2, p3, p1, p5);
    cr_assert_str_eq(ids, want);
    api_response_free(r);
    r = search(s, "q=glazed&sort=rating&limit=3");
    ids_of(r, ids, sizeof ids);
    snprintf(want, sizeof want, "%s %s %s", p3, p1, p2);
    cr_assert_str_eq(ids, want);
    api_response_free(r);
    r = search(s, "q=glazed&sort=popularity&limit=2");
    ids_of(r, ids, sizeof ids);
    snprintf(want, sizeof want, "%s %s", p2, p1);
    cr_assert_str_eq(ids, want);
    api_response_free(r);
    r = search(s, "q=glazed&sort=newest&limit=1");
    ids_of(r, ids, sizeof ids);
    cr_assert_str_eq(ids, p5);
    api_response_free(r);

    /* Pages: every result once, in one order, then no cursor. */
    char seen[2048] = "", path[600];
    const char *cursor = NULL;
    char cur[256];
    int pages = 0;
    do {
        if (cursor != NULL)
            snprintf(path, sizeof path, "q=glazed&sort=price_asc&limit=2&cursor=%s", cursor);
        else
            snprintf(path, sizeof path, "q=glazed&sort=price_asc&limit=2");
        r = search(s, path);
        cr_assert_eq(num(r->json, "total"), 5);
        ids_of(r, ids, sizeof ids);
        size_t used = strlen(seen), add = strlen(ids);
        cr_assert(used + add + 2 < sizeof seen);
        if (used > 0)
            seen[used++] = ' ';
        memcpy(seen + used, ids, add + 1);
        cursor = str(r->json, "next_cursor");
        if (cursor != NULL)
            snprintf(cur, sizeof cur, "%s", cursor), cursor = cur;
        api_response_free(r);
        pages++;
    } while (cursor != NULL && pages < 10);
    snprintf(want, sizeof want, "%s %s %s %s %s", p5, p1, p3, p2, p4);
    cr_assert_str_eq(seen, want);
    cr_assert_eq(pages, 3);
    /* A cursor of one query is refused by another, and garbage is refused. */
    r = search(s, "q=glazed&sort=price_asc&limit=2");
    snprintf(cur, sizeof cur, "%s", str(r->json, "next_cursor"));
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/search?q=glazed&sort=price_desc&limit=2&cursor=%s", cur);
    api_assert_problem(r = api_get(s, path), 400, "invalid_cursor");
    api_response_free(r);
    api_assert_problem(r = api_get(s, "/api/v1/search?q=glazed&cursor=bm90LWEtY3Vyc29y"), 400, "invalid_cursor");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Facets
 */

/*
 * The disjunctive facet rule, checked value by value: with filters cat,
 * price, rating (each "" or "&name=value") and materials (comma-separated or
 * ""), the count of a category, price bucket or rating is the total when
 * that value replaces its group's filter; the count of a material is the
 * total when it joins the chosen materials.
 */
static void check_facets(struct api_server *s, const char *cat, const char *price, const char *rating, const char *mats)
{
    char base[600], q[900], m[300];
    snprintf(m, sizeof m, "%s%s", mats[0] ? "&materials=" : "", mats);
    snprintf(base, sizeof base, "q=speckled%s%s%s%s", cat, price, rating, m);
    struct api_response *r = search(s, base);
    json_t *facets = json_object_get(r->json, "facets");
    size_t i;
    json_t *v;
    int checked = 0;
    json_array_foreach(json_object_get(facets, "category"), i, v)
    {
        snprintf(q, sizeof q, "q=speckled&category=%s%s%s%s", str(v, "id"), price, rating, m);
        cr_assert_eq(total_of(s, q), num(v, "count"), "category %s of %s: %s", str(v, "name"), base, r->body);
        checked++;
    }
    json_array_foreach(json_object_get(facets, "price"), i, v)
    {
        char p[100];
        if (json_is_null(json_object_get(v, "max")))
            snprintf(p, sizeof p, "&price_min=%lld", num(v, "min"));
        else
            snprintf(p, sizeof p, "&price_min=%lld&price_max=%lld", num(v, "min"), num(v, "max"));
        snprintf(q, sizeof q, "q=speckled%s%s%s%s", cat, p, rating, m);
        cr_assert_eq(total_of(s, q), num(v, "count"), "price %lld of %s: %s", num(v, "min"), base, r->body);
        checked++;
    }
    json_array_foreach(json_object_get(facets, "rating"), i, v)
    {
        snprintf(q, sizeof q, "q=speckled%s%s&min_rating=%lld%s", cat, price, num(v, "min"), m);
        cr_assert_eq(total_of(s, q), num(v, "count"), "rating %lld of %s: %s", num(v, "min"), base, r->body);
        checked++;
    }
    json_array_foreach(json_object_get(facets, "materials"), i, v)
    {
        snprintf(q, sizeof q, "q=speckled%s%s%s&materials=%s%s%s", cat, price, rating, mats, mats[0] ? "," : "",
                 str(v, "value"));
        cr_assert_eq(total_of(s, q), num(v, "count"), "material %s of %s: %s", str(v, "value"), base, r->body);
        checked++;
    }
    cr_assert(checked >= 13, "%s", r->body);
    api_response_free(r);
}

Test(search, facet_counts_equal_filtered_totals)
{
    struct api_server *s = start();
    struct api_account admin, a;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    char home[64], mugs[64], bowls[64], art[64], id[64];
    api_category(s, &admin, "home", NULL, home, sizeof home);
    api_category(s, &admin, "mugs", home, mugs, sizeof mugs);
    api_category(s, &admin, "bowls", home, bowls, sizeof bowls);
    api_category(s, &admin, "art", NULL, art, sizeof art);
    const struct {
        const char *title, *cat, *mats;
        long price;
        const char *rating;
    } rows[] = {
        {"Speckled mug", mugs, "[\"stoneware\"]", 1800, "420"},
        {"Tall speckled mug", mugs, "[\"stoneware\",\"glaze\"]", 2600, "350"},
        {"Speckled espresso cup", mugs, "[\"porcelain\"]", 900, "0"},
        {"Speckled serving bowl", bowls, "[\"stoneware\"]", 5400, "480"},
        {"Speckled noodle bowl", bowls, "[\"stoneware\",\"glaze\"]", 3200, "250"},
        {"Speckled vase", home, "[\"porcelain\",\"glaze\"]", 12000, "500"},
        {"Speckled print", art, "[\"paper\"]", 2500, "120"},
        {"Speckled large print", art, "[\"paper\"]", 60000, "390"},
        {"Plain mug", mugs, "[\"stoneware\"]", 1500, "400"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        product(s, &a, rows[i].title, DESC, rows[i].cat, rows[i].price, "[]", rows[i].mats, id, sizeof id);
        sql(s, "UPDATE products SET rating_avg = CAST($1 AS INTEGER), rating_count = 1 WHERE id = $2", rows[i].rating,
            id);
    }
    struct api_response *r = search(s, "q=speckled");
    cr_assert_eq(num(r->json, "total"), 8);
    json_t *facets = json_object_get(r->json, "facets");
    /* Home counts its subtree: 2 mugs... 3 mugs, 2 bowls and the vase. */
    json_t *c0 = json_array_get(json_object_get(facets, "category"), 0);
    cr_assert_str_eq(str(c0, "id"), home, "%s", r->body);
    cr_assert_eq(num(c0, "count"), 6);
    cr_assert_eq(json_array_size(json_object_get(facets, "price")), 7);
    json_t *m0 = json_array_get(json_object_get(facets, "materials"), 0);
    cr_assert_str_eq(str(m0, "value"), "stoneware");
    cr_assert_eq(num(m0, "count"), 4);
    api_response_free(r);

    /* Every facet value against the total with it chosen: alone, and next to other filters. */
    char in_home[100];
    snprintf(in_home, sizeof in_home, "&category=%s", home);
    check_facets(s, "", "", "", "");
    check_facets(s, "", "&price_max=6000", "", "");
    check_facets(s, "", "", "", "glaze");
    check_facets(s, in_home, "", "&min_rating=3", "");
    check_facets(s, in_home, "&price_min=1000&price_max=2499", "&min_rating=1", "stoneware");
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Typo tolerance
 */

Test(search, typo_tolerance)
{
    struct api_server *s = start();
    struct api_account admin, a;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    char cat[64], v1[64], v2[64], bowl[64];
    api_category(s, &admin, "home", NULL, cat, sizeof cat);
    product(s, &a, "Ceramic vase", DESC, cat, 3000, "[]", "[]", v1, sizeof v1);
    product(s, &a, "Tall vase", "A ceramic piece. " DESC, cat, 3000, "[]", "[]", v2, sizeof v2);
    product(s, &a, "Ceramic bowl", DESC, cat, 3000, "[]", "[]", bowl, sizeof bowl);

    /* A missing letter, a transposition, an extra letter, a wrong letter: all find the ceramic vases. */
    const char *typos[] = {"ceramc%20vase", "cearmic%20vase", "ceramicc%20vase", "ceranic%20vase"};
    for (size_t i = 0; i < sizeof typos / sizeof typos[0]; i++) {
        char q[100], ids[1024];
        snprintf(q, sizeof q, "q=%s", typos[i]);
        struct api_response *r = search(s, q);
        ids_of(r, ids, sizeof ids);
        cr_assert_eq(num(r->json, "total"), 2, "%s: %s", typos[i], r->body);
        cr_assert(strstr(ids, v1) == ids, "title match first for %s: %s", typos[i], ids);
        json_t *corr = json_array_get(json_object_get(json_object_get(r->json, "query"), "corrected"), 0);
        cr_assert_str_eq(json_string_value(json_array_get(json_object_get(corr, "to"), 0)), "ceramic", "%s", r->body);
        /* The highlight marks the word the correction matched. */
        json_t *h = json_object_get(json_array_get(json_object_get(r->json, "data"), 0), "highlights");
        cr_assert_str_eq(str(h, "title"), "<mark>Ceramic</mark> <mark>vase</mark>");
        api_response_free(r);
    }
    /* Two edits away, or a short word (under 5 letters) one edit away: no correction. */
    cr_assert_eq(total_of(s, "q=cerxmxc%20vase"), 0);
    cr_assert_eq(total_of(s, "q=ceramic%20vaze"), 0);
    /* A known word is never corrected. */
    struct api_response *r = search(s, "q=bowl");
    cr_assert_eq(num(r->json, "total"), 1);
    cr_assert_eq(json_array_size(json_object_get(json_object_get(r->json, "query"), "corrected")), 0);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * The index follows products and shops
 */

Test(search, archived_product_leaves_search_at_once)
{
    struct api_server *s = start();
    struct api_account admin, a, other;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    api_account(s, "seller", "birch", &other);
    char cat[64], id[64], keep[64], path[128];
    api_category(s, &admin, "home", NULL, cat, sizeof cat);
    product(s, &a, "Lantern of beaten copper", DESC, cat, 5000, "[\"lantern\"]", "[\"copper\"]", id, sizeof id);
    product(s, &a, "Copper lantern hook", DESC, cat, 900, "[]", "[\"copper\"]", keep, sizeof keep);
    cr_assert_eq(total_of(s, "q=copper%20lantern"), 2);
    struct api_response *r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=lantern", NULL, 200);
    cr_assert(strstr(r->body, "Lantern of beaten copper") != NULL, "%s", r->body);
    api_response_free(r);

    /* Another seller cannot archive it (404), and search is unchanged. */
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    api_response_free(req(s, &other, "DELETE", path, NULL, 404));
    cr_assert_eq(total_of(s, "q=copper%20lantern"), 2);

    /* Archived: gone from the very next search (the same query, so a cached result must not survive). */
    api_response_free(req(s, &a, "DELETE", path, NULL, 204));
    char ids[512];
    r = search(s, "q=copper%20lantern");
    ids_of(r, ids, sizeof ids);
    cr_assert_str_eq(ids, keep);
    cr_assert_eq(num(r->json, "total"), 1);
    api_response_free(r);
    r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=lantern", NULL, 200);
    cr_assert(strstr(r->body, "Lantern of beaten copper") == NULL, "%s", r->body);
    api_response_free(r);

    /* Back to active: found again. A draft is never found. */
    api_response_free(req(s, &a, "PATCH", path, "{\"status\":\"active\"}", 200));
    cr_assert_eq(total_of(s, "q=copper%20lantern"), 2);
    char draft[64];
    r = req(s, &a, "POST", "/api/v1/products", "{\"title\":\"Copper lantern draft\"}", 201);
    snprintf(draft, sizeof draft, "%s", str(r->json, "id"));
    api_response_free(r);
    cr_assert_eq(total_of(s, "q=copper%20lantern"), 2);
    cr_assert_eq(total_of(s, "q=draft"), 0);

    /* An edit of the title is searchable at once; the old word is gone. */
    api_response_free(req(s, &a, "PATCH", path, "{\"title\":\"Hammered copper lamp\"}", 200));
    cr_assert_eq(total_of(s, "q=beaten"), 0);
    cr_assert_eq(total_of(s, "q=hammered%20lamp"), 1);
    api_stop(s);
}

Test(search, shop_rename_is_reflected)
{
    struct api_server *s = start();
    struct api_account admin, a;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    char cat[64], id[64], path[160];
    api_category(s, &admin, "home", NULL, cat, sizeof cat);
    product(s, &a, "Linen napkins", DESC, cat, 2000, "[]", "[]", id, sizeof id);
    cr_assert_eq(total_of(s, "q=alder%20napkins"), 1);
    cr_assert_eq(total_of(s, "q=marigold%20napkins"), 0);
    snprintf(path, sizeof path, "/api/v1/sellers/%s/shop", a.id);
    api_response_free(req(s, &a, "PATCH", path, "{\"name\":\"Marigold Linens\"}", 200));
    cr_assert_eq(total_of(s, "q=alder%20napkins"), 0);
    struct api_response *r = search(s, "q=marigold%20napkins");
    cr_assert_eq(num(r->json, "total"), 1, "%s", r->body);
    cr_assert_str_eq(str(json_object_get(json_array_get(json_object_get(r->json, "data"), 0), "shop"), "name"),
                     "Marigold Linens");
    api_response_free(r);
    r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=marig", NULL, 200);
    cr_assert(strstr(r->body, "\"text\":\"Marigold Linens\",\"kind\":\"shop\"") != NULL, "%s", r->body);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Suggestions
 */

Test(search, suggestions_complete_prefixes_by_frequency)
{
    struct api_server *s = start();
    struct api_account admin, a;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    char cat[64], id[64];
    api_category(s, &admin, "home", NULL, cat, sizeof cat);
    product(s, &a, "Candle holder in brass", DESC, cat, 2000, "[\"candles\",\"brass\"]", "[]", id, sizeof id);
    product(s, &a, "Beeswax candle", DESC, cat, 900, "[\"candles\"]", "[]", id, sizeof id);
    product(s, &a, "Soy candle", DESC, cat, 900, "[\"candles\",\"candle gift\"]", "[]", id, sizeof id);
    product(s, &a, "Candelabra", DESC, cat, 9000, "[]", "[]", id, sizeof id);

    struct api_response *r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=Cand", NULL, 200);
    json_t *data = json_object_get(r->json, "data");
    cr_assert_eq(json_array_size(data), 4, "%s", r->body);
    /* The tag on three products first; the rest each carried by one. */
    cr_assert_str_eq(str(json_array_get(data, 0), "text"), "candles");
    cr_assert_str_eq(str(json_array_get(data, 0), "kind"), "tag");
    cr_assert_eq(num(json_array_get(data, 0), "count"), 3);
    cr_assert(strstr(r->body, "\"Candle holder in brass\"") && strstr(r->body, "\"Candelabra\"") &&
                  strstr(r->body, "\"candle gift\""),
              "%s", r->body);
    api_response_free(r);
    /* limit, a longer prefix (past the indexed prefix length), and nothing to complete. */
    r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=cand&limit=1", NULL, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    api_response_free(r);
    r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=candle%20holder%20in%20br", NULL, 200);
    data = json_object_get(r->json, "data");
    cr_assert_eq(json_array_size(data), 1, "%s", r->body);
    cr_assert_str_eq(str(json_array_get(data, 0), "text"), "Candle holder in brass");
    api_response_free(r);
    r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=%21%21", NULL, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);
    r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=zzz", NULL, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);
    /* Bad input. */
    api_assert_problem(r = api_get(s, "/api/v1/search/suggestions"), 400, "invalid_parameter");
    api_response_free(r);
    api_assert_problem(r = api_get(s, "/api/v1/search/suggestions?q=ca&limit=11"), 400, "invalid_parameter");
    api_response_free(r);
    api_assert_problem(r = api_get(s, "/api/v1/search/suggestions?q=ca&bogus=1"), 400, "invalid_parameter");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Trending
 */

Test(search, trending_decays_over_time)
{
    struct api_server *s = start();
    struct api_account admin, a;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    char cat[64], id[64];
    api_category(s, &admin, "home", NULL, cat, sizeof cat);
    product(s, &a, "Walnut bowl", DESC, cat, 3000, "[]", "[]", id, sizeof id);

    /* Yesterday-ish and a week ago, written directly: 300 searches 7 days ago weigh less than 100 today. */
    long long now = api_now_ms(), day = 86400000LL, today = now - now % day;
    char d0[32], d7[32], d30[32], at[32];
    snprintf(d0, sizeof d0, "%lld", today);
    snprintf(d7, sizeof d7, "%lld", today - 7 * day);
    snprintf(d30, sizeof d30, "%lld", today - 30 * day);
    snprintf(at, sizeof at, "%lld", now);
    const char *rows[][3] = {{"old favourite", d7, "300"}, {"fresh thing", d0, "100"}, {"ancient hit", d30, "9000"}};
    for (size_t i = 0; i < 3; i++) {
        const char *p[] = {rows[i][0], rows[i][1], rows[i][2], at};
        cr_assert_eq(api_sql_exec(s,
                                  "INSERT INTO search_queries (query_normalized, day_at, query_count, "
                                  "last_result_count, last_at) VALUES ($1, CAST($2 AS BIGINT), CAST($3 AS BIGINT), "
                                  "1, CAST($4 AS BIGINT))",
                                  p, 4),
                     0);
    }
    /* Searches through the API: logged in memory, written in batches (the trending call flushes first). */
    struct api_response *r;
    for (int i = 0; i < 3; i++)
        api_response_free(search(s, "q=Walnut%20%20Bowl"));
    api_assert_problem(r = api_get(s, "/api/v1/search?q=walnut&cursor=x"), 400, "invalid_cursor");
    api_response_free(r);
    api_response_free(search(s, "q=nothingmatches")); /* no results: not logged */

    r = req(s, NULL, "GET", "/api/v1/search/trending", NULL, 200);
    json_t *data = json_object_get(r->json, "data");
    cr_assert_eq(json_array_size(data), 3, "%s", r->body);
    cr_assert_str_eq(str(json_array_get(data, 0), "query"), "fresh thing", "%s", r->body);
    cr_assert_str_eq(str(json_array_get(data, 1), "query"), "old favourite", "%s", r->body);
    cr_assert_str_eq(str(json_array_get(data, 2), "query"), "walnut bowl", "%s", r->body);
    cr_assert_eq(num(json_array_get(data, 2), "searches"), 3);
    cr_assert(strstr(r->body, "ancient hit") == NULL, "outside the window: %s", r->body);
    cr_assert(strstr(r->body, "nothingmatches") == NULL, "%s", r->body);
    double fresh = json_number_value(json_object_get(json_array_get(data, 0), "score"));
    double old = json_number_value(json_object_get(json_array_get(data, 1), "score"));
    cr_assert(fresh > 50 && fresh <= 100.001, "%f", fresh);
    cr_assert(old > 300 * 0.15 && old < 300 * 0.25, "7 days at a 3-day half-life: about 300 / 5: %f", old);
    api_response_free(r);
    r = req(s, NULL, "GET", "/api/v1/search/trending?limit=1", NULL, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    api_response_free(r);
    api_assert_problem(r = api_get(s, "/api/v1/search/trending?limit=0"), 400, "invalid_parameter");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Rebuild
 */

Test(search, rebuild_is_admin_only_and_reindexes)
{
    struct api_server *s = start();
    struct api_account admin, a, buyer;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    api_account(s, "buyer", "buyer", &buyer);
    char cat[64], id[64];
    api_category(s, &admin, "home", NULL, cat, sizeof cat);
    product(s, &a, "Walnut bowl", DESC, cat, 3000, "[]", "[]", id, sizeof id);
    product(s, &a, "Walnut spoon", DESC, cat, 900, "[]", "[]", id, sizeof id);
    /* A product written behind the index's back: not searchable until a rebuild. */
    const char *p[] = {a.id, a.shop_id, cat};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO products (id, seller_id, shop_id, category_id, slug, title, price_amount, "
                              "currency, status, stock, in_stock, published_at, created_at, updated_at) VALUES "
                              "('prd_01J00000000000000000000099', $1, $2, $3, 'walnut-tray', 'Walnut tray', 100, "
                              "'USD', 'active', 1, 1, 1, 1, 1)",
                              p, 3),
                 0);
    cr_assert_eq(total_of(s, "q=walnut"), 2);

    struct api_response *r;
    api_assert_problem(r = api_as(s, NULL, "POST", "/api/v1/search/index", NULL), 401, "unauthenticated");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &buyer, "POST", "/api/v1/search/index", NULL), 403, "forbidden");
    api_response_free(r);
    api_assert_problem(r = api_as(s, &a, "POST", "/api/v1/search/index", NULL), 403, "forbidden");
    api_response_free(r);
    cr_assert_eq(total_of(s, "q=walnut"), 2);
    r = req(s, &admin, "POST", "/api/v1/search/index", NULL, 200);
    cr_assert_eq(num(r->json, "indexed"), 3, "%s", r->body);
    api_response_free(r);
    cr_assert_eq(total_of(s, "q=walnut"), 3);
    cr_assert_eq(total_of(s, "q=tray"), 1);
    /* The suggestions and vocabulary came back too. */
    r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=walnut%20t", NULL, 200);
    cr_assert(strstr(r->body, "Walnut tray") != NULL, "%s", r->body);
    api_response_free(r);
    cr_assert_eq(total_of(s, "q=walnutt"), 3);
    /* Twice in a row is the same index. */
    api_response_free(req(s, &admin, "POST", "/api/v1/search/index", NULL, 200));
    cr_assert_eq(total_of(s, "q=walnut"), 3);
    api_response_free(req(s, &admin, "GET", "/api/v1/search/index", NULL, 405));
    api_response_free(req(s, NULL, "GET", "/api/v1/search/nope", NULL, 404));
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Bad input and escaping
 */

Test(search, bad_input_is_refused)
{
    struct api_server *s = start();
    struct {
        const char *path;
        const char *code;
    } bad[] = {
        {"/api/v1/search", "invalid_parameter"},
        {"/api/v1/search?q=", "invalid_parameter"},
        {"/api/v1/search?q=the%20of%20and", "empty_query"},
        {"/api/v1/search?q=%21%40%23", "empty_query"},
        {"/api/v1/search?q=a%20b%20c", "empty_query"},
        {"/api/v1/search?q=vase&sort=cheapest", "invalid_parameter"},
        {"/api/v1/search?q=vase&price_min=500&price_max=100", "invalid_parameter"},
        {"/api/v1/search?q=vase&min_rating=7", "invalid_parameter"},
        {"/api/v1/search?q=vase&limit=0", "invalid_parameter"},
        {"/api/v1/search?q=vase&limit=101", "invalid_parameter"},
        {"/api/v1/search?q=vase&category=prd_01J00000000000000000000099", "invalid_parameter"},
        {"/api/v1/search?q=vase&color=red", "invalid_parameter"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct api_response *r = api_get(s, bad[i].path);
        api_assert_problem(r, 400, bad[i].code);
        api_response_free(r);
    }
    char longq[400] = "/api/v1/search?q=";
    memset(longq + strlen(longq), 'x', 201);
    struct api_response *r = api_get(s, longq);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);
    /* Odd but valid input answers, and the server lives. */
    r = search(s, "q=%E2%9C%A8%20caf%C3%A9%20%F0%9F%8F%BA");
    api_response_free(r);
    r = api_get(s, "/api/v1/search?q=%FF%FEvase%C3");
    cr_assert(r->status == 200 || r->status == 400, "%ld %s", r->status, r->body);
    api_response_free(r);
    r = search(s, "q=%22vase%22%20AND%20(OR%20NEAR%20*%20%27");
    cr_assert_eq(num(r->json, "total"), 0);
    api_response_free(r);
    api_assert_alive(s);
    api_stop(s);
}

Test(search, highlights_escape_product_text)
{
    struct api_server *s = start();
    struct api_account admin, a;
    api_account(s, "admin", "admin", &admin);
    api_account(s, "seller", "alder", &a);
    char cat[64], id[64];
    api_category(s, &admin, "home", NULL, cat, sizeof cat);
    product(s, &a, "Vase <script>alert(1)</script> & \\\"co\\\"",
            "Long text before the match, so the snippet starts later: one two three four five six seven eight nine "
            "ten eleven twelve thirteen fourteen fifteen sixteen seventeen. A <b>vase</b> for 'you' & me, with "
            "more words after it to cut: alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi.",
            cat, 3000, "[]", "[]", id, sizeof id);
    struct api_response *r = search(s, "q=vase");
    json_t *h = json_object_get(json_array_get(json_object_get(r->json, "data"), 0), "highlights");
    cr_assert_str_eq(str(h, "title"), "<mark>Vase</mark> &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;",
                     "%s", r->body);
    const char *d = str(h, "description");
    cr_assert(strstr(d, "A &lt;b&gt;<mark>vase</mark>&lt;/b&gt; for &#39;you&#39; &amp; me") != NULL, "%s", d);
    cr_assert(strncmp(d, "\xE2\x80\xA6", 3) == 0 && strstr(d, "Long text") == NULL, "snippet around the match: %s", d);
    cr_assert(strstr(d, "<b>") == NULL && strstr(d, "<script") == NULL, "%s", d);
    api_response_free(r);
    api_stop(s);
}

Test(search, demo_catalog_is_searchable_at_once)
{
    struct api_opts o = {.args = scaled_args, .seed_demo = true};
    struct api_server *s = api_start(&o);
    struct api_response *r = search(s, "q=vase");
    cr_assert(num(r->json, "total") >= 2, "%s", r->body);
    api_response_free(r);
    r = req(s, NULL, "GET", "/api/v1/search/suggestions?q=s", NULL, 200);
    cr_assert(json_array_size(json_object_get(r->json, "data")) > 0, "%s", r->body);
    api_response_free(r);
    api_stop(s);
}
