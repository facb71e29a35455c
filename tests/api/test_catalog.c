/*
 * test_catalog.c — categories: the tree, admin creation, and the rendering
 * cache that must never serve a stale tree (ETag / If-None-Match).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "api_client.h"

TestSuite(catalog, .fini = api_cleanup_all, .timeout = 120);

#define PASSWORD "quartz-meadow-lantern-7"

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

static void admin_token(struct api_server *s, char *token, size_t cap)
{
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"cat.admin.%lld@example.com\",\"password\":\"%s\",\"display_name\":\"A\"}",
             api_now_ms(), PASSWORD);
    struct api_response *r = api_post_json(s, "/api/v1/auth/register", body, NULL);
    cr_assert_eq(r->status, 201, "register: %ld %s", r->status, r->body);
    const char *id = json_string_value(json_object_get(json_object_get(r->json, "user"), "id"));
    snprintf(token, cap, "Authorization: Bearer %s", json_string_value(json_object_get(r->json, "access_token")));
    const char *p[] = {id};
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET role = 'admin' WHERE id = $1", p, 1), 0);
    api_response_free(r);
}

static int count_slug(const char *body, const char *slug)
{
    char needle[128];
    snprintf(needle, sizeof needle, "\"slug\":\"%s\"", slug);
    int n = 0;
    for (const char *p = body; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

Test(catalog, created_category_shows_at_once_and_etag_moves)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    api_seed_demo(s);
    char auth[2200];
    admin_token(s, auth, sizeof auth);

    /* Warm every server thread's rendering. */
    char etag1[64] = "";
    for (int i = 0; i < 8; i++) {
        struct api_response *r = api_get(s, "/api/v1/categories");
        cr_assert_eq(r->status, 200);
        cr_assert_eq(count_slug(r->body, "glass-art"), 0);
        snprintf(etag1, sizeof etag1, "%s", api_header(r, "ETag"));
        api_response_free(r);
    }
    cr_assert(etag1[0] == '"', "ETag: %s", etag1);

    /* Unchanged: 304 with no body. */
    char inm[128];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag1);
    const char *h304[] = {inm, NULL};
    struct api_response *r = api_request(s, "GET", "/api/v1/categories", h304, NULL, 0);
    cr_assert_eq(r->status, 304, "%ld", r->status);
    api_response_free(r);

    /* An admin adds a category under Home & Living. */
    const char *hadm[] = {auth, NULL};
    r = api_post_json(s, "/api/v1/categories",
                      "{\"name\":\"Glass art\",\"slug\":\"glass-art\",\"description\":\"Blown & fused <glass>\"}",
                      hadm);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    api_response_free(r);

    /* Every following read, on whichever thread, shows it: the rendering is never stale. */
    for (int i = 0; i < 8; i++) {
        r = api_get(s, "/api/v1/categories");
        cr_assert_eq(r->status, 200);
        cr_assert_eq(count_slug(r->body, "glass-art"), 1, "read %d missed the new category", i);
        cr_assert(strstr(r->body, "Blown & fused <glass>") != NULL, "text comes back exactly as given");
        cr_assert_str_neq(api_header(r, "ETag"), etag1);
        api_response_free(r);
    }
    r = api_request(s, "GET", "/api/v1/categories", h304, NULL, 0);
    cr_assert_eq(r->status, 200, "the old ETag no longer matches");
    api_response_free(r);

    /* Duplicate slug: 409, and the tree is unchanged. */
    r = api_post_json(s, "/api/v1/categories", "{\"name\":\"Again\",\"slug\":\"glass-art\"}", hadm);
    api_assert_problem(r, 409, "already_exists");
    api_response_free(r);
    /* Unknown parent: 422 naming the field. */
    r = api_post_json(s, "/api/v1/categories",
                      "{\"name\":\"Orphan\",\"slug\":\"orphan\",\"parent_id\":\"cat_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}",
                      hadm);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_get(s, "/api/v1/categories");
    cr_assert_eq(count_slug(r->body, "glass-art"), 1);
    cr_assert_eq(count_slug(r->body, "orphan"), 0);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Admin CRUD: one category, edit, move with the subtree, cycles, slugs, delete
 */

/* Create a category as admin (parent may be NULL); its id into out (64 bytes). */
static void make_category(struct api_server *s, const struct api_account *admin, const char *slug, const char *parent,
                          char *out)
{
    char body[256];
    if (parent != NULL)
        snprintf(body, sizeof body, "{\"name\":\"%s\",\"slug\":\"%s\",\"parent_id\":\"%s\"}", slug, slug, parent);
    else
        snprintf(body, sizeof body, "{\"name\":\"%s\",\"slug\":\"%s\"}", slug, slug);
    struct api_response *r = api_as(s, admin, "POST", "/api/v1/categories", body);
    cr_assert_eq(r->status, 201, "create %s: %ld %s", slug, r->status, r->body);
    snprintf(out, 64, "%s", json_string_value(json_object_get(r->json, "id")));
    api_response_free(r);
}

static struct api_response *patch_category(struct api_server *s, const struct api_account *a, const char *id,
                                           const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/categories/%s", id);
    return api_as(s, a, "PATCH", path, body);
}

/* "path|depth" of a category straight from the database. */
static void stored_path(struct api_server *s, const char *id, char *buf, size_t cap)
{
    const char *p[] = {id};
    cr_assert_eq(
        api_sql_text(s, "SELECT path || '|' || CAST(depth AS TEXT) FROM categories WHERE id = $1", p, 1, buf, cap), 1);
}

static void expect_path(struct api_server *s, const char *id, const char *want)
{
    char got[256];
    stored_path(s, id, got, sizeof got);
    cr_assert_str_eq(got, want);
}

Test(catalog, get_one_category_with_ancestors_and_children)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account admin;
    api_account(s, "admin", "catadmin", &admin);
    char home[64], ceramics[64], vases[64], mugs[64];
    make_category(s, &admin, "home", NULL, home);
    make_category(s, &admin, "ceramics", home, ceramics);
    make_category(s, &admin, "vases", ceramics, vases);
    make_category(s, &admin, "mugs", ceramics, mugs);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/categories/%s", ceramics);
    struct api_response *r = api_get(s, path);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "path")), "home/ceramics");
    cr_assert_eq(json_integer_value(json_object_get(r->json, "depth")), 1);
    json_t *anc = json_object_get(r->json, "ancestors");
    cr_assert_eq(json_array_size(anc), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(anc, 0), "id")), home);
    cr_assert_eq(json_array_size(json_object_get(r->json, "children")), 2);
    api_response_free(r);

    /* Not there: 404; not an id: 400. */
    r = api_get(s, "/api/v1/categories/cat_01JDQ8V7R3X1W9ZK4M2N5P6Q7R");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_get(s, "/api/v1/categories/ceramics");
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);

    /* Deactivated: hidden from the public with its subtree, still visible to admins. */
    r = patch_category(s, &admin, ceramics, "{\"is_active\":false}");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert(json_is_false(json_object_get(r->json, "is_active")));
    api_response_free(r);
    r = api_get(s, path);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    char vpath[128];
    snprintf(vpath, sizeof vpath, "/api/v1/categories/%s", vases);
    r = api_get(s, vpath);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &admin, "GET", path, NULL);
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    r = api_get(s, "/api/v1/categories");
    cr_assert_eq(count_slug(r->body, "ceramics"), 0);
    cr_assert_eq(count_slug(r->body, "vases"), 0);
    cr_assert_eq(count_slug(r->body, "home"), 1);
    api_response_free(r);
    api_stop(s);
}

Test(catalog, edit_move_and_refuse_cycles)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account admin, buyer;
    api_account(s, "admin", "catadmin", &admin);
    api_account(s, "buyer", "catbuyer", &buyer);
    /* art / prints / posters, and craft */
    char art[64], prints[64], posters[64], craft[64];
    make_category(s, &admin, "art", NULL, art);
    make_category(s, &admin, "prints", art, prints);
    make_category(s, &admin, "posters", prints, posters);
    make_category(s, &admin, "craft", NULL, craft);
    expect_path(s, posters, "art/prints/posters|2");

    /* Warm the cached tree on both threads. */
    for (int i = 0; i < 4; i++) {
        struct api_response *r = api_get(s, "/api/v1/categories");
        api_response_free(r);
    }

    /* Who may: admins only. */
    struct api_response *r = patch_category(s, NULL, prints, "{\"name\":\"Prints\"}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = patch_category(s, &buyer, prints, "{\"name\":\"Prints\"}");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = patch_category(s, &admin, "cat_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", "{\"name\":\"Prints\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    /* Validation: a slug that is not a URL segment, unknown fields, a parent that does not exist. */
    const char *bad[] = {"{\"slug\":\"Prints\"}", "{\"slug\":\"a/b\"}",
                         "{\"slug\":\"-x\"}",     "{\"slug\":\"x--y\"}",
                         "{\"slug\":\"\"}",       "{\"colour\":\"red\"}",
                         "{\"position\":-1}",     "{\"parent_id\":\"cat_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = patch_category(s, &admin, prints, bad[i]);
        api_assert_problem(r, 422, "validation_failed");
        api_response_free(r);
    }
    /* A slug another category has: 409, nothing changed. */
    r = patch_category(s, &admin, prints, "{\"slug\":\"craft\",\"name\":\"Renamed\"}");
    api_assert_problem(r, 409, "already_exists");
    api_response_free(r);
    expect_path(s, posters, "art/prints/posters|2");

    /* Cycles: under itself, under its own descendant. */
    char body[160];
    snprintf(body, sizeof body, "{\"parent_id\":\"%s\"}", prints);
    r = patch_category(s, &admin, prints, body);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    snprintf(body, sizeof body, "{\"parent_id\":\"%s\"}", posters);
    r = patch_category(s, &admin, art, body);
    api_assert_problem(r, 422, "validation_failed");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "code")),
                     "cycle");
    api_response_free(r);
    expect_path(s, art, "art|0");

    /* Rename the slug: the subtree's paths follow. */
    r = patch_category(s, &admin, prints, "{\"slug\":\"printmaking\",\"name\":\"Printmaking\",\"position\":3}");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "path")), "art/printmaking");
    cr_assert_eq(json_integer_value(json_object_get(r->json, "position")), 3);
    api_response_free(r);
    expect_path(s, posters, "art/printmaking/posters|2");

    /* Move under craft: path and depth of the whole subtree. */
    snprintf(body, sizeof body, "{\"parent_id\":\"%s\"}", craft);
    r = patch_category(s, &admin, prints, body);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "parent_id")), craft);
    api_response_free(r);
    expect_path(s, prints, "craft/printmaking|1");
    expect_path(s, posters, "craft/printmaking/posters|2");
    expect_path(s, art, "art|0");

    /* The cached tree shows it on the very next read, on every thread. */
    for (int i = 0; i < 4; i++) {
        r = api_get(s, "/api/v1/categories");
        cr_assert(strstr(r->body, "\"path\":\"craft/printmaking/posters\"") != NULL, "read %d: %s", i, r->body);
        cr_assert(strstr(r->body, "art/printmaking") == NULL);
        api_response_free(r);
    }

    /* Move to the root: depth 0, grandchild depth 1. */
    r = patch_category(s, &admin, prints, "{\"parent_id\":null}");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert(json_is_null(json_object_get(r->json, "parent_id")));
    api_response_free(r);
    expect_path(s, prints, "printmaking|0");
    expect_path(s, posters, "printmaking/posters|1");
    /* And under a sibling's child, two levels down. */
    char tools[64];
    make_category(s, &admin, "tools", craft, tools);
    snprintf(body, sizeof body, "{\"parent_id\":\"%s\"}", tools);
    r = patch_category(s, &admin, prints, body);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    api_response_free(r);
    expect_path(s, posters, "craft/tools/printmaking/posters|3");

    /* A rename alone shows at once too. */
    r = patch_category(s, &admin, posters, "{\"name\":\"Posters & <prints>\"}");
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    for (int i = 0; i < 4; i++) {
        r = api_get(s, "/api/v1/categories");
        cr_assert(strstr(r->body, "Posters & <prints>") != NULL, "read %d", i);
        api_response_free(r);
    }
    char n[16];
    const char *ap[] = {prints};
    cr_assert_eq(api_sql_text(s,
                              "SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'category.update' "
                              "AND target_id = $1",
                              ap, 1, n, sizeof n),
                 1);
    cr_assert_str_eq(n, "4");
    api_stop(s);
}

Test(catalog, delete_only_empty_categories)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    struct api_account admin, seller;
    api_account(s, "admin", "catadmin", &admin);
    api_account(s, "seller", "catseller", &seller);
    char jewelry[64], rings[64], empty[64];
    make_category(s, &admin, "jewelry", NULL, jewelry);
    make_category(s, &admin, "rings", jewelry, rings);
    make_category(s, &admin, "empty-shelf", NULL, empty);
    /* A product filed under rings. */
    char now[32];
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *pp[] = {"prd_00000000000000000000000077", seller.id, seller.shop_id, rings, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO products (id, seller_id, shop_id, category_id, slug, title, price_amount, "
                              "currency, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'ring', 'Ring', 900, "
                              "'USD', 'active', CAST($5 AS BIGINT), CAST($5 AS BIGINT))",
                              pp, 5),
                 0);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/categories/%s", empty);
    struct api_response *r = api_as(s, NULL, "DELETE", path, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &seller, "DELETE", path, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(s, &admin, "DELETE", "/api/v1/categories/cat_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &admin, "DELETE", "/api/v1/categories/empty-shelf", NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);

    /* Has children: 409. Has products: 409. */
    snprintf(path, sizeof path, "/api/v1/categories/%s", jewelry);
    r = api_as(s, &admin, "DELETE", path, NULL);
    api_assert_problem(r, 409, "conflict");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/categories/%s", rings);
    r = api_as(s, &admin, "DELETE", path, NULL);
    api_assert_problem(r, 409, "conflict");
    api_response_free(r);

    /* Empty: 204, gone from the cached tree and from GET at once. */
    r = api_get(s, "/api/v1/categories");
    cr_assert_eq(count_slug(r->body, "empty-shelf"), 1);
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/categories/%s", empty);
    r = api_as(s, &admin, "DELETE", path, NULL);
    cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
    api_response_free(r);
    for (int i = 0; i < 4; i++) {
        r = api_get(s, "/api/v1/categories");
        cr_assert_eq(count_slug(r->body, "empty-shelf"), 0);
        api_response_free(r);
    }
    r = api_get(s, path);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &admin, "DELETE", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    /* Its slug is free again. */
    char again[64];
    make_category(s, &admin, "empty-shelf", NULL, again);
    api_stop(s);
}
