/*
 * test_seed.c — `artistry seed`: the generated catalogue (--catalog N) and
 * the columns the demo catalogue derives (popularity, rating_avg, in_stock).
 *
 * The generated catalogue is checked row by row in SQL: every counter a
 * product or shop carries must equal the rows behind it, every review must
 * stand on a delivered order item of its own buyer, and the same N and seed
 * must give the same catalogue. Then it is read back through the API as a
 * client would: listed, fetched, searched, signed in to.
 *
 * Caveats: sizes are kept small (500 products) so the suite stays quick
 * under the sanitizers; speed is measured by bench/run.sh, not here.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_client.h"
#include "cli/seed.h"
#include "services/products/products.h"

TestSuite(seed, .fini = api_cleanup_all, .timeout = 300);

/* Run `seed <args...> --database <db> --data-dir <dir>` for server s; returns the exit status, output in *out. */
static int run_seed(struct api_server *s, const char *const *args, struct api_cmd *out)
{
    const char *argv[16];
    size_t n = 0;

    argv[n++] = "seed";
    for (size_t i = 0; args[i] != NULL && n < 11; i++)
        argv[n++] = args[i];
    argv[n++] = "--database";
    argv[n++] = s->db_url;
    argv[n++] = "--data-dir";
    argv[n++] = s->data_dir;
    argv[n] = NULL;
    api_run(argv, s->opts.env, 240000, out);
    return out->status;
}

static void seed_ok(struct api_server *s, const char *const *args)
{
    struct api_cmd r;
    int status = run_seed(s, args, &r);
    bool summary = strstr(r.out, "catalog: ") != NULL || strstr(r.out, "demo catalog loaded") != NULL;

    if (status != 0)
        fprintf(stderr, "seed exited %d\nstdout: %s\nstderr: %s\n", status, r.out, r.err);

    api_cmd_free(&r);
    cr_assert_eq(status, 0, "seed failed");
    cr_assert(summary, "no summary line");
}

/* The first column of the first row of sql, as text (fails the test when there is no row). */
static void q1(struct api_server *s, const char *sql, char *buf, size_t cap)
{
    cr_assert_eq(api_sql_text(s, sql, NULL, 0, buf, cap), 1, "query failed: %s", sql);
}

static long long qnum(struct api_server *s, const char *sql)
{
    char buf[64];
    q1(s, sql, buf, sizeof buf);
    return atoll(buf);
}

static void assert_zero(struct api_server *s, const char *what, const char *sql)
{
    long long n = qnum(s, sql);
    cr_assert_eq(n, 0, "%s: %lld rows disagree (%s)", what, n, sql);
}

/*-----------------------------------------------------------------------------
 * The counters agree with the rows
 */

static void check_consistency(struct api_server *s)
{
    assert_zero(s, "products.rating_sum/count = their reviews",
                "SELECT count(*) FROM products p WHERE"
                " p.rating_sum <> (SELECT COALESCE(SUM(r.rating), 0) FROM reviews r WHERE r.product_id = p.id)"
                " OR p.rating_count <> (SELECT count(*) FROM reviews r WHERE r.product_id = p.id)");
    assert_zero(s, "shops.rating_sum/count = the reviews of their products",
                "SELECT count(*) FROM shops s WHERE"
                " s.rating_sum <> (SELECT COALESCE(SUM(r.rating), 0) FROM reviews r WHERE r.shop_id = s.id)"
                " OR s.rating_count <> (SELECT count(*) FROM reviews r WHERE r.shop_id = s.id)");
    assert_zero(s, "popularity = its formula",
                "SELECT count(*) FROM products WHERE popularity <> " PRODUCTS_POPULARITY_SQL);
    assert_zero(s, "rating_avg = round(100 * sum / count)",
                "SELECT count(*) FROM products WHERE rating_avg <>"
                " CASE WHEN rating_count > 0 THEN (rating_sum * 100 + rating_count / 2) / rating_count ELSE 0 END");
    assert_zero(s, "in_stock = made to order, or stock on the product or an active variant",
                "SELECT count(*) FROM products p WHERE in_stock <> CASE WHEN made_to_order = 1 OR stock > 0"
                " OR EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id AND v.is_active = 1"
                " AND v.stock > 0) THEN 1 ELSE 0 END");
}

static void check_generated(struct api_server *s)
{
    check_consistency(s);
    assert_zero(s, "wishlist_count = wishlist rows",
                "SELECT count(*) FROM products p WHERE p.wishlist_count <>"
                " (SELECT count(*) FROM wishlists w WHERE w.product_id = p.id)");
    assert_zero(s, "sales_count = units in delivered or completed orders",
                "SELECT count(*) FROM products p WHERE p.sales_count <> (SELECT COALESCE(SUM(oi.quantity), 0)"
                " FROM order_items oi JOIN orders o ON o.id = oi.order_id"
                " WHERE oi.product_id = p.id AND o.status IN ('delivered', 'completed'))");
    assert_zero(s, "shops.sales_count = their products' sales",
                "SELECT count(*) FROM shops s WHERE s.sales_count <>"
                " (SELECT COALESCE(SUM(p.sales_count), 0) FROM products p WHERE p.shop_id = s.id)");
    assert_zero(s, "view_count = the daily counters",
                "SELECT count(*) FROM products p WHERE p.view_count <>"
                " (SELECT COALESCE(SUM(v.view_count), 0) FROM product_views v WHERE v.product_id = p.id)");
    assert_zero(s, "every review stands on a delivered order item of its buyer, product, shop and seller",
                "SELECT count(*) FROM reviews r JOIN order_items oi ON oi.id = r.order_item_id"
                " JOIN orders o ON o.id = oi.order_id WHERE NOT (o.status IN ('delivered', 'completed')"
                " AND o.delivered_at IS NOT NULL AND o.delivered_at <= r.created_at AND o.buyer_id = r.buyer_id"
                " AND oi.product_id = r.product_id AND o.shop_id = r.shop_id AND o.seller_id = r.seller_id)");
    assert_zero(s, "orders add up",
                "SELECT count(*) FROM orders o WHERE o.subtotal_amount <>"
                " (SELECT SUM(oi.line_total_amount) FROM order_items oi WHERE oi.order_id = o.id)");
    assert_zero(s, "published_at is set exactly on listings that went live",
                "SELECT count(*) FROM products WHERE (published_at IS NULL) <> (status = 'draft')");
    assert_zero(s, "tag rows are lowercase and in the JSON array",
                "SELECT count(*) FROM product_tags t JOIN products p ON p.id = t.product_id"
                " WHERE t.tag <> lower(t.tag) OR p.tags NOT LIKE '%\"' || t.tag || '\"%'");
    assert_zero(s, "material rows are lowercase and in the JSON array",
                "SELECT count(*) FROM product_materials m JOIN products p ON p.id = m.product_id"
                " WHERE m.material <> lower(m.material) OR p.materials NOT LIKE '%\"' || m.material || '\"%'");
    assert_zero(s, "a variant's price stays >= 0",
                "SELECT count(*) FROM product_variants v JOIN products p ON p.id = v.product_id"
                " WHERE p.price_amount + v.price_modifier_amount < 0");
}

/* Does searching the title of the product that sql selects return that product? */
static bool search_finds(struct api_server *s, const char *sql)
{
    char id[64], title[256], path[512], *q;
    bool found = false;

    q1(s, sql, id, sizeof id);
    const char *p[] = {id};
    cr_assert_eq(api_sql_text(s, "SELECT title FROM products WHERE id = $1", p, 1, title, sizeof title), 1);
    q = curl_easy_escape(NULL, title, 0);
    snprintf(path, sizeof path, "/api/v1/search?q=%s&limit=100", q);
    curl_free(q);
    struct api_response *r = api_get(s, path);
    cr_assert_eq(r->status, 200, "%s: %ld %s", path, r->status, r->body);
    json_t *data = json_object_get(r->json, "data");
    for (size_t i = 0; i < json_array_size(data); i++)
        found |= strcmp(json_string_value(json_object_get(json_array_get(data, i), "id")), id) == 0;
    api_response_free(r);
    return found;
}

Test(seed, catalog_500_is_consistent_and_usable)
{
    static const char *const args[] = {"--rate-limit-scale", "100", NULL};
    struct api_opts o = {.args = args};
    struct api_server *s = api_start(&o);
    char buf[512], path[256], id[64], title[256];

    seed_ok(s, (const char *const[]){"--catalog", "500", "--seed", "7", NULL});

    /* Shape: N products over about N/50 sellers, each with one shop; buyers, orders, reviews, variants. */
    cr_assert_eq(qnum(s, "SELECT count(*) FROM products"), 500);
    cr_assert_eq(qnum(s, "SELECT count(*) FROM users WHERE role = 'seller'"), 10);
    cr_assert_eq(qnum(s, "SELECT count(*) FROM shops"), 10);
    cr_assert_eq(qnum(s, "SELECT count(DISTINCT shop_id) FROM products"), 10, "every shop has listings");
    cr_assert_eq(qnum(s, "SELECT count(*) FROM users WHERE role = 'buyer'"), 125);
    cr_assert_gt(qnum(s, "SELECT count(*) FROM reviews"), 50);
    cr_assert_gt(qnum(s, "SELECT count(*) FROM product_variants"), 20);
    cr_assert_gt(qnum(s, "SELECT count(*) FROM wishlists"), 50);
    cr_assert_gt(qnum(s, "SELECT count(*) FROM products WHERE stock = 0 AND made_to_order = 0"), 0, "some sold out");
    cr_assert_gt(qnum(s, "SELECT count(*) FROM products WHERE made_to_order = 1"), 0, "some made to order");
    cr_assert_gt(qnum(s, "SELECT count(*) FROM products WHERE status = 'active'"), 450);
    cr_assert_gt(qnum(s, "SELECT count(DISTINCT rating) FROM reviews"), 3, "ratings are spread");
    cr_assert_gt(qnum(s, "SELECT count(*) FROM reviews WHERE rating = 5"), qnum(s, "SELECT count(*) FROM reviews"
                                                                                   " WHERE rating = 1"));
    cr_assert_gt(qnum(s, "SELECT MAX(price_amount) FROM products"),
                 4 * qnum(s, "SELECT MIN(price_amount) FROM products"), "prices are spread");
    cr_assert_eq(qnum(s, "SELECT count(DISTINCT password_hash) FROM users"), 1, "one shared password hash");
    check_generated(s);

    /* Through the API: listed, fetched, filtered by category, searched. */
    struct api_response *r = api_get(s, "/api/v1/products?limit=5");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 5);
    api_response_free(r);

    q1(s, "SELECT id FROM products WHERE status = 'active' ORDER BY popularity DESC, id LIMIT 1", id, sizeof id);
    q1(s, "SELECT title FROM products WHERE status = 'active' ORDER BY popularity DESC, id LIMIT 1", title,
       sizeof title);
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    r = api_get(s, path);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "title")), title);
    api_response_free(r);

    q1(s, "SELECT id FROM products WHERE status = 'draft' ORDER BY id LIMIT 1", id, sizeof id);
    snprintf(path, sizeof path, "/api/v1/products/%s", id);
    r = api_get(s, path);
    cr_assert_eq(r->status, 404, "a draft is not public: %ld", r->status);
    api_response_free(r);

    q1(s,
       "SELECT category_id FROM products WHERE status = 'active' GROUP BY category_id ORDER BY count(*) DESC,"
       " category_id LIMIT 1",
       id, sizeof id);
    snprintf(path, sizeof path, "/api/v1/products?category=%s&limit=100", id);
    r = api_get(s, path);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_gt(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);

    /* Searchable at once: a listing's own title finds it; a draft's or an archived one's does not. */
    cr_assert(search_finds(s, "SELECT id FROM products WHERE status = 'active' ORDER BY popularity DESC, id LIMIT 1"));
    cr_assert(!search_finds(s, "SELECT id FROM products WHERE status = 'draft' ORDER BY id LIMIT 1"));
    cr_assert(!search_finds(s, "SELECT id FROM products WHERE status = 'archived' ORDER BY id LIMIT 1"));

    /* Every generated user signs in with the documented password. */
    snprintf(buf, sizeof buf, "{\"email\":\"seller1@catalog.example.com\",\"password\":\"%s\"}", SEED_CATALOG_PASSWORD);
    r = api_post_json(s, "/api/v1/auth/login", buf, NULL);
    cr_assert_eq(r->status, 200, "seller login: %ld %s", r->status, r->body);
    api_response_free(r);
    snprintf(buf, sizeof buf, "{\"email\":\"buyer7@catalog.example.com\",\"password\":\"%s\"}", SEED_CATALOG_PASSWORD);
    r = api_post_json(s, "/api/v1/auth/login", buf, NULL);
    cr_assert_eq(r->status, 200, "buyer login: %ld %s", r->status, r->body);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Determinism, refusal, append
 */

/* A fingerprint of a catalogue's words and numbers that ids and dates do not enter. */
static void fingerprint(struct api_server *s, char *out, size_t cap)
{
    static const char *const sql[] = {
        "SELECT count(*) FROM products",
        "SELECT SUM(price_amount) FROM products",
        "SELECT SUM(rating_sum) FROM products",
        "SELECT SUM(wishlist_count) FROM products",
        "SELECT count(*) FROM product_variants",
        "SELECT MIN(title) FROM products",
        "SELECT MAX(title) FROM products",
        "SELECT MIN(name) FROM shops",
        "SELECT MAX(name) FROM shops",
        "SELECT title FROM products ORDER BY title, price_amount LIMIT 1 OFFSET 100",
        "SELECT title FROM products ORDER BY title, price_amount LIMIT 1 OFFSET 250",
        "SELECT description FROM products ORDER BY title, price_amount LIMIT 1 OFFSET 50",
    };
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        char buf[1024];
        q1(s, sql[i], buf, sizeof buf);
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s|", buf);
    }
    cr_assert_lt(n, cap);
}

Test(seed, same_seed_same_catalog_and_refusal)
{
    struct api_server *a = api_start(NULL);
    struct api_server *b = api_start(NULL);
    struct api_server *c = api_start(NULL);
    char fa[8192], fb[8192], fc[8192];
    struct api_cmd r;

    seed_ok(a, (const char *const[]){"--catalog", "300", "--seed", "42", NULL});
    seed_ok(b, (const char *const[]){"--seed=42", "--catalog=300", NULL});
    seed_ok(c, (const char *const[]){"--catalog", "300", "--seed", "43", NULL});
    fingerprint(a, fa, sizeof fa);
    fingerprint(b, fb, sizeof fb);
    fingerprint(c, fc, sizeof fc);
    cr_assert_str_eq(fa, fb, "same seed, same catalogue");
    cr_assert_str_neq(fa, fc, "another seed, another catalogue");
    api_stop(c);
    api_stop(b);

    /* A second catalogue is refused: exit 1, a message, nothing written. */
    int status = run_seed(a, (const char *const[]){"--catalog", "20", NULL}, &r);
    cr_assert_eq(status, 1);
    cr_assert(strstr(r.err, "already holds a generated catalog") != NULL, "stderr: %s", r.err);
    api_cmd_free(&r);
    cr_assert_eq(qnum(a, "SELECT count(*) FROM products"), 300);

    /* --append adds one under new emails, and the counters still agree. */
    seed_ok(a, (const char *const[]){"--catalog", "20", "--append", NULL});
    cr_assert_eq(qnum(a, "SELECT count(*) FROM products"), 320);
    cr_assert_eq(qnum(a, "SELECT count(*) FROM users WHERE email_normalized = 'seller1@catalog2.example.com'"), 1);
    check_generated(a);
    api_stop(a);
}

Test(seed, bad_arguments_exit_2)
{
    static const char *const bad[][4] = {
        {"--catalog", "0", NULL},        {"--catalog", "-5", NULL},
        {"--catalog", "abc", NULL},      {"--catalog", "12x", NULL},
        {"--catalog", "", NULL},         {"--catalog", NULL},
        {"--catalog=99999999999", NULL}, {"--catalog", "10", "--seed", "-1"},
        {"--seed", "5", NULL},           {NULL},
    };
    char db[256];

    snprintf(db, sizeof db, "/tmp/artistry-seed-bad-%d/never.db", (int)getpid());
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[10];
        size_t n = 0;
        struct api_cmd r;

        argv[n++] = "seed";
        for (size_t k = 0; k < 4 && bad[i][k] != NULL; k++)
            argv[n++] = bad[i][k];
        argv[n++] = "--database";
        argv[n++] = db;
        argv[n] = NULL;
        api_run(argv, NULL, 30000, &r);
        cr_assert_eq(r.status, 2, "case %zu: exit %d, stderr %s", i, r.status, r.err);
        cr_assert(strstr(r.err, "artistry seed:") != NULL, "case %zu: no message: %s", i, r.err);
        api_cmd_free(&r);
    }
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/artistry-seed-bad-%d", (int)getpid());
    cr_assert_eq(access(dir, F_OK), -1, "bad usage must not create anything");

    /* --help names the password of the generated users. */
    struct api_cmd h;
    api_run((const char *const[]){"seed", "--help", NULL}, NULL, 30000, &h);
    cr_assert_eq(h.status, 0);
    cr_assert(strstr(h.out, SEED_CATALOG_PASSWORD) != NULL, "%s", h.out);
    api_cmd_free(&h);
}

/*-----------------------------------------------------------------------------
 * The demo catalogue
 */

Test(seed, demo_derives_catalogue_columns_and_is_searchable)
{
    struct api_opts o = {.seed_demo = true};
    struct api_server *s = api_start(&o);

    check_consistency(s);
    cr_assert_gt(qnum(s, "SELECT count(*) FROM products WHERE popularity > 0"), 30);
    cr_assert_gt(qnum(s, "SELECT count(*) FROM products WHERE rating_avg > 0"), 5);
    cr_assert_eq(qnum(s, "SELECT count(*) FROM products WHERE in_stock = 1"), 40);
    cr_assert_gt(qnum(s, "SELECT version FROM cache_versions WHERE name = 'categories'"), 1);

    /* The demo is searchable the moment seed --demo returns. */
    struct api_response *r = api_get(s, "/api/v1/search?q=mug");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_gt(json_array_size(json_object_get(r->json, "data")), 0, "%s", r->body);
    api_response_free(r);

    /* Seeding again is a no-op. */
    api_seed_demo(s);
    cr_assert_eq(qnum(s, "SELECT count(*) FROM products"), 40);
    check_consistency(s);
    api_stop(s);
}
