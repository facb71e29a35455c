/*
 * test_core.c — API tests for the server core: probes, metrics, the error
 * contract, request ids, security headers, CORS, access log, keep-alive,
 * the command line, graceful shutdown and job crash recovery.
 *
 * Every test starts its own server on a fresh database (api_client.h).
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/api_client.h"

TestSuite(core, .fini = api_cleanup_all, .timeout = 90);

/*-----------------------------------------------------------------------------
 * Helpers
 */

static void assert_header_has(const struct api_response *r, const char *name, const char *needle)
{
    const char *v = api_header(r, name);
    cr_assert(v != NULL, "response lacks %s", name);
    cr_assert(strcasestr(v, needle) != NULL, "%s is \"%s\", expected it to contain \"%s\"", name, v, needle);
}

static void assert_security_headers(const struct api_response *r, const char *what)
{
    const char *v;
    v = api_header(r, "X-Content-Type-Options");
    cr_assert(v && strcasecmp(v, "nosniff") == 0, "%s: X-Content-Type-Options is %s", what, v ? v : "(none)");
    v = api_header(r, "X-Frame-Options");
    cr_assert(v && strcasecmp(v, "DENY") == 0, "%s: X-Frame-Options is %s", what, v ? v : "(none)");
    v = api_header(r, "Referrer-Policy");
    cr_assert(v && *v, "%s: no Referrer-Policy", what);
    v = api_header(r, "Content-Security-Policy");
    cr_assert(v && strstr(v, "default-src 'none'"), "%s: Content-Security-Policy is %s", what, v ? v : "(none)");
}

/* Sum of the values of every sample of a metric family (name followed by '{' or ' '). */
static double metric_sum(const char *text, const char *name)
{
    size_t nl = strlen(name);
    double sum = 0;
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        if (strncmp(line, name, nl) == 0 && (line[nl] == '{' || line[nl] == ' ')) {
            const char *sp = end ? end : line + strlen(line);
            while (sp > line && sp[-1] != ' ')
                sp--;
            sum += strtod(sp, NULL);
        }
        line = end ? end + 1 : NULL;
    }
    return sum;
}

static void check_category_nodes(json_t *arr, int depth)
{
    size_t i;
    json_t *n;
    cr_assert(json_is_array(arr), "children is not an array");
    cr_assert(depth < 10, "category tree deeper than 10");
    json_array_foreach(arr, i, n) {
        cr_assert(json_is_object(n), "category node is not an object");
        cr_assert(json_is_string(json_object_get(n, "id")), "category node lacks id");
        cr_assert(json_is_string(json_object_get(n, "slug")), "category node lacks slug");
        cr_assert(json_is_string(json_object_get(n, "name")), "category node lacks name");
        cr_assert(json_is_array(json_object_get(n, "children")), "category node lacks children[]");
        check_category_nodes(json_object_get(n, "children"), depth + 1);
    }
}

static bool allow_has(const char *allow, const char *method)
{
    char buf[256];
    char *save = NULL;
    snprintf(buf, sizeof buf, "%s", allow);
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        if (strcasecmp(t, method) == 0)
            return true;
    return false;
}

static bool request_id_looks_generated(const char *id)
{
    size_t n;
    if (!id)
        return false;
    n = strlen(id);
    if (n < 8 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("-_.:", id[i]))
            return false;
    return true;
}

/*-----------------------------------------------------------------------------
 * Probes and metrics
 */

Test(core, healthz)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r = api_get(s, "/healthz");
    cr_assert_eq(r->status, 200, "GET /healthz: %ld %s", r->status, r->body);
    assert_header_has(r, "Content-Type", "application/json");
    cr_assert(json_is_object(r->json), "body is not JSON: %s", r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "status")), "ok", "body: %s", r->body);
    api_response_free(r);

    r = api_request(s, "HEAD", "/healthz", NULL, NULL, 0);
    cr_assert_eq(r->status, 200, "HEAD /healthz: %ld", r->status);
    cr_assert_eq(r->body_len, 0);
    api_response_free(r);
    api_stop(s);
}

Test(core, readyz)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r = api_get(s, "/readyz");
    cr_assert_eq(r->status, 200, "GET /readyz: %ld %s", r->status, r->body);
    api_response_free(r);
    api_stop(s);
}

/* A server that did not migrate its database is alive but not ready. */
Test(core, readyz_not_ready_without_migrations)
{
    const char *args[] = {"--migrate-on-start", "false", NULL};
    struct api_opts o = {.args = args, .ready_path = "/healthz"};
    struct api_server *s = api_start(&o);
    struct api_response *r = api_get(s, "/readyz");
    cr_assert_eq(r->status, 503, "GET /readyz on an unmigrated database: %ld %s", r->status, r->body);
    api_response_free(r);
    api_stop(s);
}

/* GET /metrics, fail unless 200 text/plain; version=0.0.4. Caller frees. */
static struct api_response *get_metrics(struct api_server *s)
{
    struct api_response *r = api_get(s, "/metrics");
    cr_assert_eq(r->status, 200, "GET /metrics: %ld", r->status);
    assert_header_has(r, "Content-Type", "text/plain");
    assert_header_has(r, "Content-Type", "version=0.0.4");
    return r;
}

Test(core, metrics)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r;
    double before_total, before_count;
    long long deadline;
    static const char *const families[] = {
        "# TYPE http_requests_total counter",
        "# TYPE http_request_duration_seconds histogram",
        "# TYPE db_query_duration_seconds histogram",
        "http_requests_total{",
        "http_request_duration_seconds_bucket{",
        "http_request_duration_seconds_sum",
        "http_request_duration_seconds_count",
        "db_query_duration_seconds_bucket{",
        "db_query_duration_seconds_sum",
        "db_query_duration_seconds_count",
        "jobs{state=\"queued\"}",
        "jobs{state=\"running\"}",
        "jobs{state=\"succeeded\"}",
        "jobs{state=\"dead\"}",
        "process_resident_memory_bytes ",
        NULL,
    };

    /*
     * A request is counted when it completes, after its response went out,
     * so samples may lag the responses a client has seen: poll.
     */
    r = get_metrics(s);
    cr_assert_gt(metric_sum(r->body, "process_resident_memory_bytes"), 1e5, "implausible RSS");
    before_total = metric_sum(r->body, "http_requests_total");
    before_count = metric_sum(r->body, "http_request_duration_seconds_count");
    api_response_free(r);

    for (int i = 0; i < 5; i++) {
        r = api_get(s, "/api/v1/categories");
        cr_assert_eq(r->status, 200, "GET /api/v1/categories: %ld %s", r->status, r->body);
        api_response_free(r);
    }
    r = api_get(s, "/nope-not-here");
    api_response_free(r);

    deadline = api_now_ms() + 3000;
    for (;;) {
        r = get_metrics(s);
        if (metric_sum(r->body, "http_requests_total") - before_total >= 6 || api_now_ms() > deadline)
            break;
        api_response_free(r);
        api_sleep_ms(50);
    }
    for (int i = 0; families[i]; i++)
        cr_assert(strstr(r->body, families[i]) != NULL, "/metrics lacks %s", families[i]);
    cr_assert_geq(metric_sum(r->body, "http_requests_total") - before_total, 6, "http_requests_total did not move");
    cr_assert_geq(metric_sum(r->body, "http_request_duration_seconds_count") - before_count, 6,
                  "http_request_duration_seconds_count did not move");
    cr_assert_gt(metric_sum(r->body, "db_query_duration_seconds_count"), 0, "no database query observed");
    /* The route label is the pattern, so cardinality stays bounded. */
    cr_assert(strstr(r->body, "/api/v1/categories") != NULL, "no per-route sample for /api/v1/categories");
    cr_assert(strstr(r->body, "/nope-not-here") == NULL, "unknown paths must not become label values");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Categories (the first real route)
 */

Test(core, categories_tree_after_seed)
{
    struct api_opts o = {.seed_demo = true};
    struct api_server *s = api_start(&o);
    struct api_response *r = api_get(s, "/api/v1/categories");
    json_t *data;
    cr_assert_eq(r->status, 200, "GET /api/v1/categories: %ld %s", r->status, r->body);
    assert_header_has(r, "Content-Type", "application/json");
    cr_assert(json_is_object(r->json), "not JSON: %.300s", r->body);
    data = json_object_get(r->json, "data");
    cr_assert(json_is_array(data), "no data[]: %.300s", r->body);
    cr_assert_gt(json_array_size(data), 0, "demo seed produced no categories");
    check_category_nodes(data, 0);
    api_response_free(r);
    api_stop(s);
}

Test(core, categories_empty_before_seed)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r = api_get(s, "/api/v1/categories");
    cr_assert_eq(r->status, 200, "GET /api/v1/categories: %ld %s", r->status, r->body);
    cr_assert(json_is_array(json_object_get(r->json, "data")), "no data[]: %.300s", r->body);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * The error contract
 */

Test(core, unknown_route_is_404_problem)
{
    struct api_server *s = api_start(NULL);
    static const char *const paths[] = {"/nope", "/api/v1/nope", "/api/v1/categories/extra/segments", "/%00", NULL};
    for (int i = 0; paths[i]; i++) {
        struct api_response *r = api_get(s, paths[i]);
        api_assert_problem(r, 404, "not_found");
        api_response_free(r);
        api_assert_alive(s);
    }
    api_stop(s);
}

Test(core, wrong_method_is_405_with_allow)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r = api_request(s, "DELETE", "/healthz", NULL, NULL, 0);
    const char *allow;
    api_assert_problem(r, 405, "method_not_allowed");
    allow = api_header(r, "Allow");
    cr_assert(allow && allow_has(allow, "GET"), "Allow for /healthz is %s", allow ? allow : "(none)");
    cr_assert(!allow_has(allow, "DELETE"), "Allow lists DELETE: %s", allow);
    api_response_free(r);
    api_assert_alive(s);

    r = api_request(s, "PUT", "/api/v1/categories", NULL, "{}", 2);
    api_assert_problem(r, 405, "method_not_allowed");
    allow = api_header(r, "Allow");
    cr_assert(allow && allow_has(allow, "GET") && allow_has(allow, "POST"), "Allow for /api/v1/categories is %s",
              allow ? allow : "(none)");
    api_response_free(r);
    api_assert_alive(s);
    api_stop(s);
}

Test(core, wrong_content_type_is_415)
{
    struct api_server *s = api_start(NULL);
    const char *h[] = {"Content-Type: text/plain", NULL};
    struct api_response *r = api_request(s, "POST", "/api/v1/categories", h, "name=x", 6);
    api_assert_problem(r, 415, "unsupported_media_type");
    api_response_free(r);
    api_assert_alive(s);

    /* No Content-Type at all is not JSON either. */
    r = api_request(s, "POST", "/api/v1/categories", NULL, "{\"name\":\"x\"}", 12);
    api_assert_problem(r, 415, "unsupported_media_type");
    api_response_free(r);
    api_assert_alive(s);
    api_stop(s);
}

Test(core, malformed_json_is_400_with_position)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r = api_post_json(s, "/api/v1/categories", "{\"name\": ", NULL);
    const char *detail;
    api_assert_problem(r, 400, "malformed_json");
    detail = json_string_value(json_object_get(r->json, "detail"));
    cr_assert(strcasestr(detail, "line") || strcasestr(detail, "column") || strcasestr(detail, "position"),
              "detail does not name the position: %s", detail);
    cr_assert(strpbrk(detail, "0123456789") != NULL, "detail has no number: %s", detail);
    api_response_free(r);
    api_assert_alive(s);

    /* application/json; charset=utf-8 is JSON too. */
    {
        const char *h[] = {"Content-Type: application/json; charset=utf-8", NULL};
        r = api_request(s, "POST", "/api/v1/categories", h, "[1,", 3);
        api_assert_problem(r, 400, "malformed_json");
        api_response_free(r);
    }
    api_assert_alive(s);
    api_stop(s);
}

Test(core, oversized_body_is_413)
{
    struct api_server *s = api_start(NULL);
    size_t n = 2u << 20;
    char *body = malloc(n + 1);
    struct api_response *r;
    cr_assert(body);
    memset(body, 'a', n);
    memcpy(body, "{\"name\":\"", 9);
    memcpy(body + n - 2, "\"}", 2);
    body[n] = '\0';
    {
        const char *h[] = {"Content-Type: application/json", NULL};
        r = api_request(s, "POST", "/api/v1/categories", h, body, n);
    }
    api_assert_problem(r, 413, "payload_too_large");
    api_response_free(r);
    api_assert_alive(s);

    /* The same without Expect: 100-continue: the server reads or discards the body. */
    {
        const char *h[] = {"Content-Type: application/json", "Expect:", NULL};
        r = api_request(s, "POST", "/api/v1/categories", h, body, n);
    }
    api_assert_problem(r, 413, "payload_too_large");
    api_response_free(r);
    free(body);
    api_assert_alive(s);
    api_stop(s);
}

Test(core, valid_json_without_token_is_401)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r = api_post_json(s, "/api/v1/categories", "{\"name\":\"Prints\",\"slug\":\"prints\"}", NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    api_assert_alive(s);

    {
        const char *h[] = {"Authorization: Bearer not.a.jwt", NULL};
        r = api_post_json(s, "/api/v1/categories", "{\"name\":\"Prints\",\"slug\":\"prints\"}", h);
        /* A token that does not verify may have its own code. */
        api_assert_problem(r, 401, json_string_value(json_object_get(r->json, "code")));
        cr_assert(strcmp(json_string_value(json_object_get(r->json, "code")), "unauthenticated") == 0 ||
                      strcmp(json_string_value(json_object_get(r->json, "code")), "invalid_token") == 0,
                  "bad token: %s", r->body);
        api_response_free(r);
    }
    api_assert_alive(s);
    api_stop(s);
}

Test(core, undeclared_query_parameter_is_400)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r = api_get(s, "/api/v1/categories?bogus=1");
    api_assert_problem(r, 400, "invalid_parameter");
    cr_assert(strstr(r->body, "bogus") != NULL, "the problem does not name the parameter: %s", r->body);
    api_response_free(r);
    api_assert_alive(s);
    api_stop(s);
}

/* Requests libcurl will not send: the server answers 4xx or closes, and lives. */
Test(core, malformed_requests_do_not_crash)
{
    struct api_server *s = api_start(NULL);
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
        "GET\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "POST /api/v1/categories HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
        NULL,
    };
    for (int i = 0; bad[i]; i++) {
        size_t len;
        char *reply = api_raw(s, bad[i], strlen(bad[i]), 2000, &len);
        int st = api_raw_status(reply);
        cr_assert(reply != NULL, "could not connect");
        cr_assert(st == 0 || (st >= 400 && st < 600), "request %d got %d:\n%.300s", i, st, reply);
        free(reply);
        api_assert_alive(s);
    }
    /* A 64 KiB header. */
    {
        size_t n = 70000;
        char *req = malloc(n + 128);
        int len, st;
        char *reply;
        cr_assert(req);
        len = snprintf(req, 128, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
        memset(req + len, 'b', n);
        memcpy(req + len + n, "\r\n\r\n", 5);
        reply = api_raw(s, req, (size_t)len + n + 4, 3000, NULL);
        st = api_raw_status(reply);
        cr_assert(st == 0 || st == 400 || st == 413 || st == 431, "huge header got %d", st);
        free(reply);
        free(req);
    }
    api_assert_alive(s);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Request ids, security headers, CORS
 */

Test(core, request_id)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r;
    const char *id;
    char big[300], hdr[400];

    {
        const char *h[] = {"X-Request-Id: 3f2a9c1e-7b4d-4e8a-9f00-1234567890ab", NULL};
        r = api_request(s, "GET", "/healthz", h, NULL, 0);
        cr_assert_str_eq(api_header(r, "X-Request-Id"), "3f2a9c1e-7b4d-4e8a-9f00-1234567890ab");
        api_response_free(r);
    }

    r = api_get(s, "/healthz");
    id = api_header(r, "X-Request-Id");
    cr_assert(request_id_looks_generated(id), "generated X-Request-Id is %s", id ? id : "(none)");
    {
        char first[256];
        snprintf(first, sizeof first, "%s", id);
        api_response_free(r);
        r = api_get(s, "/healthz");
        cr_assert(api_header(r, "X-Request-Id") && strcmp(first, api_header(r, "X-Request-Id")) != 0,
                  "two requests got the same generated id");
        api_response_free(r);
    }

    memset(big, 'a', 200);
    big[200] = '\0';
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", big);
    {
        const char *h[] = {hdr, NULL};
        r = api_request(s, "GET", "/healthz", h, NULL, 0);
        id = api_header(r, "X-Request-Id");
        cr_assert(request_id_looks_generated(id) && strcmp(id, big) != 0, "over-long id not replaced: %s",
                  id ? id : "(none)");
        api_response_free(r);
    }
    {
        const char *h[] = {"X-Request-Id: <script>alert(1)</script>", NULL};
        r = api_request(s, "GET", "/healthz", h, NULL, 0);
        id = api_header(r, "X-Request-Id");
        cr_assert(request_id_looks_generated(id), "weird id not replaced: %s", id ? id : "(none)");
        api_response_free(r);
    }
    {
        /* A control character in the value, sent raw. */
        static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                  "X-Request-Id: abc\x01" "def\r\n\r\n";
        char *reply = api_raw(s, req, sizeof req - 1, 2000, NULL);
        cr_assert(reply);
        cr_assert(strstr(reply, "abc\x01") == NULL, "control character echoed: %s", reply);
        free(reply);
    }

    /* Problem bodies carry the same id as the header. */
    {
        const char *h[] = {"X-Request-Id: req-404-check", NULL};
        r = api_request(s, "GET", "/nope", h, NULL, 0);
        cr_assert_str_eq(api_header(r, "X-Request-Id"), "req-404-check");
        cr_assert_str_eq(json_string_value(json_object_get(r->json, "request_id")), "req-404-check", "body: %s",
                         r->body);
        api_response_free(r);
    }
    api_stop(s);
}

Test(core, security_headers_everywhere)
{
    struct api_server *s = api_start(NULL);
    struct {
        const char *method, *path;
    } reqs[] = {
        {"GET", "/healthz"}, {"GET", "/readyz"}, {"GET", "/metrics"}, {"GET", "/api/v1/categories"},
        {"GET", "/nope"},    {"DELETE", "/healthz"}, {"POST", "/api/v1/categories"},
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        char what[128];
        struct api_response *r = api_request(s, reqs[i].method, reqs[i].path, NULL, NULL, 0);
        snprintf(what, sizeof what, "%s %s (%ld)", reqs[i].method, reqs[i].path, r->status);
        cr_assert(r->status > 0, "%s: %s", what, r->curl_error);
        assert_security_headers(r, what);
        api_response_free(r);
    }
    api_stop(s);
}

Test(core, cors)
{
    const char *args[] = {"--cors-origins", "https://shop.example", NULL};
    struct api_opts o = {.args = args};
    struct api_server *s = api_start(&o);
    struct api_response *r;
    const char *v;

    {
        const char *h[] = {"Origin: https://shop.example", "Access-Control-Request-Method: POST",
                           "Access-Control-Request-Headers: content-type, authorization", NULL};
        r = api_request(s, "OPTIONS", "/api/v1/categories", h, NULL, 0);
        cr_assert_eq(r->status, 204, "preflight: %ld %s", r->status, r->body);
        v = api_header(r, "Access-Control-Allow-Origin");
        cr_assert(v && strcmp(v, "https://shop.example") == 0, "ACAO is %s", v ? v : "(none)");
        v = api_header(r, "Access-Control-Allow-Methods");
        cr_assert(v && allow_has(v, "POST") && allow_has(v, "GET"), "ACAM is %s", v ? v : "(none)");
        v = api_header(r, "Access-Control-Allow-Headers");
        cr_assert(v && strcasestr(v, "content-type") && strcasestr(v, "authorization"), "ACAH is %s",
                  v ? v : "(none)");
        assert_header_has(r, "Vary", "Origin");
        api_response_free(r);
    }
    {
        const char *h[] = {"Origin: https://evil.example", "Access-Control-Request-Method: POST", NULL};
        r = api_request(s, "OPTIONS", "/api/v1/categories", h, NULL, 0);
        cr_assert_null(api_header(r, "Access-Control-Allow-Origin"), "ACAO sent to another origin");
        api_response_free(r);
    }
    {
        const char *h[] = {"Origin: https://shop.example", NULL};
        r = api_request(s, "GET", "/api/v1/categories", h, NULL, 0);
        cr_assert_eq(r->status, 200);
        v = api_header(r, "Access-Control-Allow-Origin");
        cr_assert(v && strcmp(v, "https://shop.example") == 0, "ACAO on GET is %s", v ? v : "(none)");
        api_response_free(r);
    }
    {
        const char *h[] = {"Origin: https://evil.example", NULL};
        r = api_request(s, "GET", "/api/v1/categories", h, NULL, 0);
        cr_assert_eq(r->status, 200);
        cr_assert_null(api_header(r, "Access-Control-Allow-Origin"), "ACAO on GET for another origin");
        api_response_free(r);
    }
    api_stop(s);
}

Test(core, no_cors_by_default)
{
    struct api_server *s = api_start(NULL);
    const char *h[] = {"Origin: https://shop.example", "Access-Control-Request-Method: GET", NULL};
    struct api_response *r = api_request(s, "OPTIONS", "/api/v1/categories", h, NULL, 0);
    cr_assert_null(api_header(r, "Access-Control-Allow-Origin"), "ACAO without --cors-origins");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Access log and keep-alive
 */

Test(core, access_log_json_line)
{
    struct api_server *s = api_start(NULL);
    const char *h[] = {"X-Request-Id: acclog-7d1e0c55", NULL};
    struct api_response *r = api_request(s, "GET", "/api/v1/categories", h, NULL, 0);
    const char *needles[] = {"acclog-7d1e0c55", NULL};
    char *line;
    json_t *j, *dur = NULL;
    const char *key;
    json_t *val;

    cr_assert_eq(r->status, 200);
    api_response_free(r);
    line = api_log_wait_line(s, needles, 3000);
    if (!line)
        api_log_tail(s, 3000);
    cr_assert(line != NULL, "no access log line with the request id");
    j = json_loads(line, 0, NULL);
    cr_assert(json_is_object(j), "access log line is not one JSON object: %s", line);
    cr_assert_str_eq(json_string_value(json_object_get(j, "method")), "GET", "%s", line);
    cr_assert_str_eq(json_string_value(json_object_get(j, "route")), "/api/v1/categories", "%s", line);
    cr_assert_eq(json_integer_value(json_object_get(j, "status")), 200, "%s", line);
    cr_assert_str_eq(json_string_value(json_object_get(j, "request_id")), "acclog-7d1e0c55", "%s", line);
    json_object_foreach(j, key, val) {
        if (strncmp(key, "duration", 8) == 0)
            dur = val;
    }
    cr_assert(dur && json_is_number(dur) && json_number_value(dur) >= 0, "no numeric duration: %s", line);
    json_decref(j);
    free(line);

    /* An error is logged too, with its status. */
    {
        const char *h2[] = {"X-Request-Id: acclog-404-1", NULL};
        const char *n2[] = {"acclog-404-1", NULL};
        r = api_request(s, "GET", "/nope", h2, NULL, 0);
        api_response_free(r);
        line = api_log_wait_line(s, n2, 3000);
        cr_assert(line != NULL, "no access log line for a 404");
        j = json_loads(line, 0, NULL);
        cr_assert(json_is_object(j), "%s", line);
        cr_assert_eq(json_integer_value(json_object_get(j, "status")), 404, "%s", line);
        json_decref(j);
        free(line);
    }
    api_stop(s);
}

Test(core, access_log_can_be_disabled)
{
    const char *args[] = {"--access-log", "false", NULL};
    struct api_opts o = {.args = args};
    struct api_server *s = api_start(&o);
    const char *h[] = {"X-Request-Id: nolog-5e2f", NULL};
    const char *needles[] = {"nolog-5e2f", NULL};
    struct api_response *r = api_request(s, "GET", "/api/v1/categories", h, NULL, 0);
    char *line;
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    line = api_log_wait_line(s, needles, 500);
    cr_assert_null(line, "logged with --access-log false: %s", line);
    api_stop(s);
}

Test(core, keep_alive)
{
    struct api_server *s = api_start(NULL);
    for (int i = 0; i < 6; i++) {
        const char *path = i % 2 ? "/api/v1/categories" : "/healthz";
        struct api_response *r = api_get(s, path);
        cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->curl_error);
        if (i == 0)
            cr_assert_eq(r->num_connects, 1, "first request opened %ld connections", r->num_connects);
        else
            cr_assert_eq(r->num_connects, 0, "request %d opened a new connection", i);
        api_response_free(r);
    }
    /* Errors keep the connection too. */
    {
        struct api_response *r = api_get(s, "/nope");
        cr_assert_eq(r->status, 404);
        api_response_free(r);
        r = api_get(s, "/healthz");
        cr_assert_eq(r->num_connects, 0, "a 404 closed the connection");
        api_response_free(r);
    }
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Command line
 */

Test(core, cli_bad_flags_exit_2)
{
    struct api_cmd c;
    {
        const char *args[] = {"serve", "--bogus", NULL};
        api_run(args, NULL, 10000, &c);
        cr_assert_eq(c.status, 2, "serve --bogus exited %d; stderr: %s", c.status, c.err);
        cr_assert(strstr(c.err, "bogus") != NULL, "stderr does not name the flag: %s", c.err);
        api_cmd_free(&c);
    }
    {
        const char *args[] = {"serve", "--threads", "abc", NULL};
        api_run(args, NULL, 10000, &c);
        cr_assert_eq(c.status, 2, "serve --threads abc exited %d; stderr: %s", c.status, c.err);
        cr_assert(strstr(c.err, "threads") != NULL, "stderr does not name the option: %s", c.err);
        api_cmd_free(&c);
    }
    {
        const char *args[] = {"no-such-command", NULL};
        api_run(args, NULL, 10000, &c);
        cr_assert_eq(c.status, 2, "an unknown command exited %d; stderr: %s", c.status, c.err);
        api_cmd_free(&c);
    }
    {
        const char *env[] = {"ARTISTRY_THREADS=lots", NULL};
        const char *args[] = {"serve", NULL};
        api_run(args, env, 10000, &c);
        cr_assert_eq(c.status, 2, "ARTISTRY_THREADS=lots exited %d; stderr: %s", c.status, c.err);
        cr_assert(strstr(c.err, "ARTISTRY_THREADS") || strstr(c.err, "threads"), "stderr: %s", c.err);
        api_cmd_free(&c);
    }
}

Test(core, cli_version)
{
    struct api_cmd c;
    const char *args[] = {"version", NULL};
    api_run(args, NULL, 10000, &c);
    cr_assert_eq(c.status, 0, "version exited %d: %s", c.status, c.err);
    cr_assert(strpbrk(c.out, "0123456789") && strchr(c.out, '.'), "version printed: %s", c.out);
    api_cmd_free(&c);
}

Test(core, cli_migrate_twice)
{
    struct api_server *s = api_start(NULL);
    char url[1024];
    struct api_cmd c;
    api_scratch_db(s, "mig", url, sizeof url);
    for (int i = 0; i < 2; i++) {
        const char *args[] = {"migrate", "--database", url, "--data-dir", s->data_dir, NULL};
        api_run(args, NULL, 60000, &c);
        cr_assert_eq(c.status, 0, "migrate run %d exited %d:\n%s%s", i + 1, c.status, c.out, c.err);
        api_cmd_free(&c);
    }
    /* And on the server's own (already migrated) database while it runs. */
    {
        const char *args[] = {"migrate", "--database", s->db_url, "--data-dir", s->data_dir, NULL};
        api_run(args, NULL, 60000, &c);
        cr_assert_eq(c.status, 0, "migrate on a current database exited %d:\n%s%s", c.status, c.out, c.err);
        api_cmd_free(&c);
    }
    api_stop(s);
}

/* flags > environment > --config file > defaults, observed by the port the server listens on. */
Test(core, config_precedence)
{
    char cfg[] = "/tmp/artistry-cfg-XXXXXX";
    int fd = mkstemp(cfg);
    int p_file = api_free_port(), p_env = api_free_port(), p_flag = api_free_port();
    char line[128], env_listen[64], flag_listen[64];
    FILE *f;

    cr_assert(fd >= 0);
    while (p_env == p_file)
        p_env = api_free_port();
    while (p_flag == p_file || p_flag == p_env)
        p_flag = api_free_port();
    f = fdopen(fd, "w");
    snprintf(line, sizeof line, "# test config\nlisten = 127.0.0.1:%d\naccess_log = false\n", p_file);
    fputs(line, f);
    fclose(f);
    snprintf(env_listen, sizeof env_listen, "ARTISTRY_LISTEN=127.0.0.1:%d", p_env);
    snprintf(flag_listen, sizeof flag_listen, "127.0.0.1:%d", p_flag);

    {
        const char *args[] = {"--config", cfg, NULL};
        struct api_opts o = {.args = args, .no_listen_flag = true, .port = p_file};
        struct api_server *s = api_start(&o);
        api_stop(s);
    }
    {
        const char *args[] = {"--config", cfg, NULL};
        const char *env[] = {env_listen, NULL};
        struct api_opts o = {.args = args, .env = env, .no_listen_flag = true, .port = p_env};
        struct api_server *s = api_start(&o);
        api_stop(s);
    }
    {
        const char *args[] = {"--config", cfg, "--listen", flag_listen, NULL};
        const char *env[] = {env_listen, NULL};
        struct api_opts o = {.args = args, .env = env, .no_listen_flag = true, .port = p_flag};
        struct api_server *s = api_start(&o);
        api_stop(s);
    }
    {
        /* ARTISTRY_CONFIG names the file too. */
        char env_cfg[128];
        const char *env[2] = {env_cfg, NULL};
        snprintf(env_cfg, sizeof env_cfg, "ARTISTRY_CONFIG=%s", cfg);
        struct api_opts o = {.env = env, .no_listen_flag = true, .port = p_file};
        struct api_server *s = api_start(&o);
        api_stop(s);
    }
    {
        /* A bad config file is an error naming the file, exit 2. */
        struct api_cmd c;
        const char *args[] = {"serve", "--config", cfg, NULL};
        f = fopen(cfg, "w");
        fputs("no_such_key = 1\n", f);
        fclose(f);
        api_run(args, NULL, 10000, &c);
        cr_assert_eq(c.status, 2, "unknown config key exited %d: %s", c.status, c.err);
        cr_assert(strstr(c.err, "no_such_key") != NULL, "stderr: %s", c.err);
        api_cmd_free(&c);
    }
    unlink(cfg);
}

/*-----------------------------------------------------------------------------
 * Shutdown and jobs
 */

Test(core, sigterm_exits_0_promptly)
{
    struct api_server *s = api_start(NULL);
    struct api_response *r = api_get(s, "/api/v1/categories");
    long long t0;
    int st;
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    t0 = api_now_ms();
    st = api_terminate(s, 10000);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status after SIGTERM: 0x%x", st);
    cr_assert_lt(api_now_ms() - t0, 5000, "shutdown took %lld ms", api_now_ms() - t0);
    api_stop(s);
}

static char *job_field(struct api_server *s, const char *id, const char *col, char *buf, size_t cap)
{
    char sql[128];
    const char *p[] = {id};
    snprintf(sql, sizeof sql, "SELECT %s FROM jobs WHERE id = $1", col);
    cr_assert_eq(api_sql_text(s, sql, p, 1, buf, cap), 1, "job %s not found", id);
    return buf;
}

/* Wait until the job's state is `state`; returns false on timeout. */
static bool wait_job_state(struct api_server *s, const char *id, const char *state, int timeout_ms)
{
    long long deadline = api_now_ms() + timeout_ms;
    char buf[64];
    while (api_now_ms() < deadline) {
        if (strcmp(job_field(s, id, "state", buf, sizeof buf), state) == 0)
            return true;
        api_sleep_ms(50);
    }
    return false;
}

static void insert_job(struct api_server *s, const char *id, const char *kind, const char *payload,
                       const char *max_attempts)
{
    char now[32];
    const char *p[] = {id, kind, payload, now, max_attempts};
    snprintf(now, sizeof now, "%lld", api_now_ms());
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO jobs (id, kind, payload, state, run_at, attempts, max_attempts, "
                              "created_at, updated_at) VALUES ($1, $2, $3, 'queued', $4, 0, $5, $4, $4)",
                              p, 5),
                 0, "cannot insert job");
}

static const char *const job_env[] = {"ARTISTRY_JOB_DIAGNOSTICS=true", "ARTISTRY_JOB_LEASE_MS=1500",
                                      "ARTISTRY_JOB_POLL_MS=100", NULL};

Test(core, job_survives_kill9, .timeout = 120)
{
    struct api_opts o = {.env = job_env};
    struct api_server *s = api_start(&o);
    const char *id = "job_01JCRASHTEST0000000000001";
    char buf[64];

    insert_job(s, id, "ops.sleep", "{\"ms\":4000}", "5");
    if (!wait_job_state(s, id, "running", 15000))
        api_log_tail(s, 3000);
    cr_assert_str_eq(job_field(s, id, "state", buf, sizeof buf), "running", "the job never started");
    api_kill9(s);
    cr_assert_str_eq(job_field(s, id, "state", buf, sizeof buf), "running");
    cr_assert_str_eq(job_field(s, id, "attempts", buf, sizeof buf), "1");

    api_restart(s);
    if (!wait_job_state(s, id, "succeeded", 30000))
        api_log_tail(s, 3000);
    cr_assert_str_eq(job_field(s, id, "state", buf, sizeof buf), "succeeded", "job not retried after kill -9");
    cr_assert_str_eq(job_field(s, id, "attempts", buf, sizeof buf), "2");
    api_stop(s);
}

Test(core, failing_job_goes_dead, .timeout = 120)
{
    struct api_opts o = {.env = job_env};
    struct api_server *s = api_start(&o);
    const char *id = "job_01JFAILTEST00000000000001";
    long long deadline = api_now_ms() + 30000;
    char state[64], attempts[16], err[512];

    insert_job(s, id, "ops.fail", "{}", "2");
    while (api_now_ms() < deadline) {
        job_field(s, id, "state", state, sizeof state);
        if (strcmp(state, "dead") == 0)
            break;
        /* Skip the retry backoff. */
        if (strcmp(state, "queued") == 0 && strcmp(job_field(s, id, "attempts", attempts, sizeof attempts), "0")) {
            char now[32];
            const char *p[] = {now, id};
            snprintf(now, sizeof now, "%lld", api_now_ms());
            api_sql_exec(s, "UPDATE jobs SET run_at = $1 WHERE id = $2 AND state = 'queued'", p, 2);
        }
        api_sleep_ms(50);
    }
    if (strcmp(state, "dead") != 0)
        api_log_tail(s, 3000);
    cr_assert_str_eq(state, "dead", "ops.fail did not end dead");
    cr_assert_str_eq(job_field(s, id, "attempts", attempts, sizeof attempts), "2");
    cr_assert(job_field(s, id, "last_error", err, sizeof err)[0] != '\0', "last_error is empty");
    api_stop(s);
}
