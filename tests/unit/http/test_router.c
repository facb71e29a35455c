/*
 * test_router.c — the segment-trie router.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "http/http.h"
#include "http/router.h"

static int h(struct request *req, struct app_error *err)
{
    (void)req;
    (void)err;
    return 0;
}

static const struct route routes[] = {
    {HTTP_GET, "/api/v1/products", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
    {HTTP_POST, "/api/v1/products", h, AUTH_SELLER, NULL, NULL, 0, NULL},
    {HTTP_GET, "/api/v1/products/:id", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
    {HTTP_PATCH, "/api/v1/products/:id", h, AUTH_SELLER, NULL, NULL, 0, NULL},
    {HTTP_GET, "/api/v1/products/featured", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
    {HTTP_GET, "/api/v1/products/:id/reviews", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
    {HTTP_GET, "/api/v1/products/featured/top", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
    {HTTP_DELETE, "/api/v1/conversations/:id/messages/:mid", h, AUTH_USER, NULL, NULL, 0, NULL},
    {HTTP_GET, "/", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
};

static struct router *r;

static void setup(void)
{
    char eb[256];
    r = router_new();
    cr_assert_eq(router_add(r, routes, sizeof routes / sizeof routes[0], eb, sizeof eb), 0, "%s", eb);
}

static void teardown(void)
{
    router_free(r);
}

TestSuite(router, .init = setup, .fini = teardown);

static int match(unsigned method, const char *path, struct route_match *m)
{
    static char scratch[512];
    return router_match(r, method, path, scratch, sizeof scratch, m);
}

Test(router, literal_and_methods)
{
    struct route_match m;
    cr_assert_eq(match(HTTP_GET, "/api/v1/products", &m), 0);
    cr_assert_eq(m.route, &routes[0]);
    cr_assert_eq(m.route_index, 0);
    cr_assert_eq(match(HTTP_POST, "/api/v1/products", &m), 0);
    cr_assert_eq(m.route, &routes[1]);
    cr_assert_eq(m.allowed, HTTP_GET | HTTP_HEAD | HTTP_POST);
}

Test(router, params_captured)
{
    struct route_match m;
    cr_assert_eq(match(HTTP_GET, "/api/v1/products/prd_123/reviews", &m), 0);
    cr_assert_eq(m.route, &routes[5]);
    cr_assert_eq(m.nparams, 1);
    cr_assert_str_eq(m.param_names[0], "id");
    cr_assert_str_eq(m.param_values[0], "prd_123");
    cr_assert_eq(match(HTTP_DELETE, "/api/v1/conversations/c1/messages/m2", &m), 0);
    cr_assert_eq(m.nparams, 2);
    cr_assert_str_eq(m.param_values[0], "c1");
    cr_assert_str_eq(m.param_values[1], "m2");
}

Test(router, literal_beats_param_and_backtracks)
{
    struct route_match m;
    cr_assert_eq(match(HTTP_GET, "/api/v1/products/featured", &m), 0);
    cr_assert_eq(m.route, &routes[4]);
    cr_assert_eq(m.nparams, 0);
    /* "featured" literal branch has no /reviews: must fall back to :id. */
    cr_assert_eq(match(HTTP_GET, "/api/v1/products/featured/reviews", &m), 0);
    cr_assert_eq(m.route, &routes[5]);
    cr_assert_str_eq(m.param_values[0], "featured");
    cr_assert_eq(match(HTTP_GET, "/api/v1/products/featured/top", &m), 0);
    cr_assert_eq(m.route, &routes[6]);
}

Test(router, method_not_allowed_reports_allowed)
{
    struct route_match m;
    cr_assert_eq(match(HTTP_DELETE, "/api/v1/products/x", &m), 0);
    cr_assert_null(m.route);
    cr_assert_eq(m.allowed, HTTP_GET | HTTP_HEAD | HTTP_PATCH);
    char buf[64];
    http_methods_format(m.allowed, buf, sizeof buf);
    cr_assert_str_eq(buf, "GET, HEAD, PATCH");
}

Test(router, head_uses_get)
{
    struct route_match m;
    cr_assert_eq(match(HTTP_HEAD, "/api/v1/products", &m), 0);
    cr_assert_eq(m.route, &routes[0]);
}

Test(router, unknown_paths)
{
    struct route_match m;
    cr_assert_eq(match(HTTP_GET, "/api/v1/nothing", &m), -1);
    cr_assert_eq(match(HTTP_GET, "/api/v1/products/", &m), -1, "trailing slash is another path");
    cr_assert_eq(match(HTTP_GET, "/api/v1//products", &m), -1, "empty segment never matches");
    cr_assert_eq(match(HTTP_GET, "api/v1/products", &m), -1);
    cr_assert_eq(match(HTTP_GET, "", &m), -1);
    cr_assert_eq(match(HTTP_GET, "/", &m), 0);
    cr_assert_eq(m.route, &routes[8]);
}

Test(router, oversized_param_does_not_overflow)
{
    struct route_match m;
    char path[2048] = "/api/v1/products/";
    memset(path + strlen(path), 'x', 1500);
    char scratch[64];
    cr_assert_eq(router_match(r, HTTP_GET, path, scratch, sizeof scratch, &m), -1);
}

Test(router, rejects_duplicates_and_conflicting_params)
{
    char eb[256];
    struct router *r2 = router_new();
    static const struct route dup[] = {
        {HTTP_GET, "/a/:id", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
        {HTTP_GET, "/a/:id", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
    };
    cr_assert_eq(router_add(r2, dup, 2, eb, sizeof eb), -1);
    cr_assert(strstr(eb, "twice") != NULL, "%s", eb);
    router_free(r2);
    r2 = router_new();
    static const struct route conflict[] = {
        {HTTP_GET, "/a/:id", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
        {HTTP_GET, "/a/:slug/b", h, AUTH_PUBLIC, NULL, NULL, 0, NULL},
    };
    cr_assert_eq(router_add(r2, conflict, 2, eb, sizeof eb), -1);
    router_free(r2);
    r2 = router_new();
    static const struct route bad[] = {{HTTP_GET, "a/b", h, AUTH_PUBLIC, NULL, NULL, 0, NULL}};
    cr_assert_eq(router_add(r2, bad, 1, eb, sizeof eb), -1);
    router_free(r2);
}

Test(router, method_names)
{
    cr_assert_eq(http_method_parse("PATCH"), HTTP_PATCH);
    cr_assert_eq(http_method_parse("patch"), 0);
    cr_assert_eq(http_method_parse("BREW"), 0);
    cr_assert_str_eq(http_method_name(HTTP_DELETE), "DELETE");
}
