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
                      "{\"name\":\"Glass art\",\"slug\":\"glass-art\",\"description\":\"Blown & fused <glass>\"}", hadm);
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
                      "{\"name\":\"Orphan\",\"slug\":\"orphan\",\"parent_id\":\"cat_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}", hadm);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_get(s, "/api/v1/categories");
    cr_assert_eq(count_slug(r->body, "glass-art"), 1);
    cr_assert_eq(count_slug(r->body, "orphan"), 0);
    api_response_free(r);
    api_stop(s);
}
