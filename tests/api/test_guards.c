/*
 * test_guards.c — every route of every module against its declared auth
 * level, on the real server.
 *
 * The table comes from app_all_modules (the harness links the server
 * library), so a module added later is covered without touching this file:
 *   - AUTH_USER and above answer 401 without a token;
 *   - AUTH_SELLER answers 403 to a buyer;
 *   - AUTH_ADMIN answers 403 to a buyer and to a seller;
 *   - AUTH_PUBLIC and AUTH_OPTIONAL never answer the guard's 401 (code
 *     "unauthenticated") without a token; a handler may still answer 401
 *     for a bad credential in the body (login, refresh).
 * Path parameters are replaced with syntactically valid values from the
 * route's param specs (an id of the right prefix, the first enum value...),
 * so a 400 for the path cannot hide the guard. Requests that carry a token
 * go only to routes the token may not call, so nothing is changed.
 * Rate limits are off: the test calls the tight auth routes too.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "api/api_client.h"
#include "app.h"
#include "base/ids.h"
#include "http/http.h"

TestSuite(guards, .fini = api_cleanup_all, .timeout = 180);

#define PASSWORD "plum-lantern-orbit-42"

static const char *method_name(unsigned m)
{
    switch (m) {
    case HTTP_GET: return "GET";
    case HTTP_HEAD: return "HEAD";
    case HTTP_POST: return "POST";
    case HTTP_PUT: return "PUT";
    case HTTP_PATCH: return "PATCH";
    case HTTP_DELETE: return "DELETE";
    case HTTP_OPTIONS: return "OPTIONS";
    default: return "GET";
    }
}

/* A valid value for path parameter `name` of rt. */
static void param_value(const struct route *rt, const char *name, char *out, size_t cap)
{
    for (const struct param_spec *p = rt->params; p != NULL && p->name != NULL; p++) {
        if (p->source != PARAM_PATH || strcmp(p->name, name) != 0)
            continue;
        switch (p->type) {
        case VT_ID: {
            char id[ID_MAX_LEN];
            id_generate(p->id_prefix ? p->id_prefix : "xyz", id, sizeof id);
            snprintf(out, cap, "%s", id);
            return;
        }
        case VT_ENUM:
            snprintf(out, cap, "%s", p->enum_values[0]);
            return;
        case VT_INT:
            snprintf(out, cap, "%lld", (long long)(p->min > 0 ? p->min : 1));
            return;
        case VT_BOOL:
            snprintf(out, cap, "true");
            return;
        default:
            snprintf(out, cap, "%s", p->min > 4 ? "abcdefghijklmnopqrstuvwxyz" : "abcd");
            return;
        }
    }
    snprintf(out, cap, "abcd");
}

static void concrete_path(const struct route *rt, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = rt->path; *p && n + 1 < cap;) {
        if (*p == ':') {
            char name[64];
            size_t k = 0;
            p++;
            while (*p && *p != '/' && k + 1 < sizeof name)
                name[k++] = *p++;
            name[k] = '\0';
            char v[128];
            param_value(rt, name, v, sizeof v);
            n += (size_t)snprintf(out + n, cap - n, "%s", v);
        } else {
            out[n++] = *p++;
            out[n] = '\0';
        }
    }
}

static struct api_response *send_route(struct api_server *s, const struct route *rt, const char *path, const char *token)
{
    char auth[2200];
    const char *headers[3] = {NULL, NULL, NULL};
    int h = 0;
    if (token != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        headers[h++] = auth;
    }
    const char *body = NULL;
    if (rt->flags & ROUTE_BODY_JSON) {
        headers[h++] = "Content-Type: application/json";
        body = "{}";
    }
    return api_request(s, method_name(rt->method), path, headers, body, body ? strlen(body) : 0);
}

static void token_for(struct api_server *s, const char *name, const char *role, char *token, size_t cap)
{
    char body[512], email[128];
    snprintf(email, sizeof email, "%s.%lld@example.com", name, api_now_ms());
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"display_name\":\"%s\"}", email, PASSWORD,
             name);
    const char *hdr[] = {"Content-Type: application/json", NULL};
    struct api_response *r = api_request(s, "POST", "/api/v1/auth/register", hdr, body, strlen(body));
    cr_assert_eq(r->status, 201, "register %s: %ld %s", name, r->status, r->body);
    char id[64];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(json_object_get(r->json, "user"), "id")));
    api_response_free(r);
    const char *p[] = {id, role};
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET role = $2 WHERE id = $1", p, 2), 0);
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD);
    r = api_request(s, "POST", "/api/v1/auth/login", hdr, body, strlen(body));
    cr_assert_eq(r->status, 200, "login %s: %ld %s", name, r->status, r->body);
    snprintf(token, cap, "%s", json_string_value(json_object_get(r->json, "access_token")));
    api_response_free(r);
}

static void expect(struct api_response *r, const struct route *rt, const char *path, const char *who, long want)
{
    const char *code = json_string_value(json_object_get(r->json, "code"));
    const char *want_code = want == 401 ? "unauthenticated" : "forbidden";
    cr_expect(code != NULL && strcmp(code, want_code) == 0, "%s %s as %s: code %s, expected %s", method_name(rt->method),
              path, who, code ? code : "(none)", want_code);
    cr_expect_eq(r->status, want, "%s %s (%s) as %s: expected %ld, got %ld: %s", method_name(rt->method), path,
                 rt->path, who, want, r->status, r->body ? r->body : "");
}

Test(guards, every_route_enforces_its_auth_level)
{
    static const char *const off[] = {"--rate-limits", "false", NULL};
    struct api_opts o = {.args = off};
    struct api_server *s = api_start(&o);
    static char buyer[2048], seller[2048];
    token_for(s, "buyer", "buyer", buyer, sizeof buyer);
    token_for(s, "seller", "seller", seller, sizeof seller);
    int checked = 0;
    for (size_t m = 0; m < app_all_modules_count; m++) {
        const struct service_module *mod = app_all_modules[m];
        for (size_t i = 0; i < mod->nroutes; i++) {
            const struct route *rt = &mod->routes[i];
            char path[512];
            concrete_path(rt, path, sizeof path);
            struct api_response *r = send_route(s, rt, path, NULL);
            cr_assert_neq(r->status, 0, "%s %s: %s", method_name(rt->method), path, r->curl_error);
            if (rt->auth >= AUTH_USER) {
                expect(r, rt, path, "anonymous", 401);
            } else {
                /* A handler may answer 401 for a bad credential in the body (refresh, login); the guard may not. */
                const char *code = json_string_value(json_object_get(r->json, "code"));
                cr_expect(!(r->status == 401 && (code == NULL || strcmp(code, "unauthenticated") == 0)),
                          "public route %s %s answered the guard's 401: %s", method_name(rt->method), path,
                          r->body ? r->body : "");
            }
            api_response_free(r);
            if (rt->auth == AUTH_SELLER || rt->auth == AUTH_ADMIN) {
                r = send_route(s, rt, path, buyer);
                expect(r, rt, path, "buyer", 403);
                api_response_free(r);
            }
            if (rt->auth == AUTH_ADMIN) {
                r = send_route(s, rt, path, seller);
                expect(r, rt, path, "seller", 403);
                api_response_free(r);
            }
            checked++;
        }
    }
    cr_assert(checked > 20, "only %d routes checked", checked);
    api_assert_alive(s);
    api_stop(s);
}
