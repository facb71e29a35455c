/*
 * test_webhooks.c — outbound webhooks: endpoint CRUD and its refusals,
 * signed deliveries of real domain events to a local receiver, scoping,
 * retries, dead deliveries, manual retry, test events, secret rotation,
 * disabling with a notification, and the delivery-time address check.
 *
 * The receiver (webhook_receiver.c) is a fake_http server in the test process. Each endpoint
 * gets its own path; the receiver verifies every request's signature
 * itself (libsodium HMAC, not the product's code) with the secret the test
 * registered for that path, and answers what the test told it to for that
 * path (a status, or N failures then 200).
 *
 * Servers run with a tiny retry schedule (--webhooks-retry-schedule 1,1,1
 * in units of 100 ms: 4 attempts) so retries and dead deliveries happen in
 * well under a second; every wait polls with a deadline.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/fake_http.h"
#include "api/webhook_receiver.h"
#include "api_client.h"
#include "commerce_testlib.h"

TestSuite(webhooks, .fini = api_cleanup_all, .timeout = 240);

#define EP "/api/v1/webhooks/endpoints"

static const char *const fast_args[] = {"--rate-limit-scale",
                                        "100",
                                        "--job-poll-ms",
                                        "20",
                                        "--webhooks-allow-http",
                                        "true",
                                        "--webhooks-allow-private",
                                        "true",
                                        "--webhooks-retry-schedule",
                                        "1,1,1",
                                        "--webhooks-retry-unit-ms",
                                        "100",
                                        NULL};

/*-----------------------------------------------------------------------------
 * API helpers
 */
static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void url_of(struct whrx *r, const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", fake_http_url(r->h), path);
}

/* Create an endpoint; its id and secret into id/secret (80 bytes each). */
static void endpoint(struct api_server *s, const struct api_account *a, const char *url, const char *types, char *id,
                     char *secret)
{
    char body[600];
    snprintf(body, sizeof body, "{\"url\":\"%s\",\"event_types\":%s,\"description\":\"test\"}", url, types);
    struct api_response *r = api_as(s, a, "POST", EP, body);
    cr_assert_eq(r->status, 201, "create: %ld %s", r->status, r->body);
    snprintf(id, 80, "%s", str(r->json, "id"));
    snprintf(secret, 80, "%s", str(r->json, "secret"));
    cr_assert_eq(strncmp(secret, "whsec_", 6), 0);
    api_response_free(r);
}

/* Poll GET /webhooks/deliveries/:id until its status is want; returns the delivery JSON (caller decrefs). */
static json_t *wait_delivery(struct api_server *s, const struct api_account *a, const char *id, const char *want)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/webhooks/deliveries/%s", id);
    for (int i = 0; i < 400; i++) {
        struct api_response *r = api_as(s, a, "GET", path, NULL);
        cr_assert_eq(r->status, 200, "%s", r->body);
        if (strcmp(str(r->json, "status"), want) == 0) {
            json_t *d = json_incref(r->json);
            api_response_free(r);
            return d;
        }
        api_response_free(r);
        api_sleep_ms(25);
    }
    cr_assert_fail("delivery %s never became %s", id, want);
    return NULL;
}

/* POST /test on endpoint id; the delivery id into did (80 bytes). */
static void send_test(struct api_server *s, const struct api_account *a, const char *id, char *did)
{
    char path[160];
    snprintf(path, sizeof path, EP "/%s/test", id);
    struct api_response *r = api_as(s, a, "POST", path, NULL);
    cr_assert_eq(r->status, 202, "test: %ld %s", r->status, r->body);
    cr_assert_str_eq(str(r->json, "event_type"), "webhook.test");
    snprintf(did, 80, "%s", str(r->json, "id"));
    api_response_free(r);
}

static json_t *get_json(struct api_server *s, const struct api_account *a, const char *path, long want)
{
    struct api_response *r = api_as(s, a, "GET", path, NULL);
    cr_assert_eq(r->status, want, "GET %s: %ld %s", path, r->status, r->body);
    json_t *j = json_incref(r->json);
    api_response_free(r);
    return j;
}

static void expect_problem(struct api_server *s, const struct api_account *a, const char *method, const char *path,
                           const char *body, long status, const char *code)
{
    struct api_response *r = api_as(s, a, method, path, body);
    cr_expect_eq(r->status, status, "%s %s: want %ld, got %ld %s", method, path, status, r->status, r->body);
    if (r->status == status)
        api_assert_problem(r, status, code);
    api_response_free(r);
}

/*-----------------------------------------------------------------------------
 * CRUD and refusals (default configuration: https only, no private targets)
 */
Test(webhooks, crud_auth_validation_and_not_found)
{
    static const char *const args[] = {"--rate-limit-scale", "100", NULL};
    struct api_opts o = {.args = args};
    struct api_server *s = api_start(&o);
    struct api_account sa, sb, buyer, admin;
    api_account(s, "seller", "whA", &sa);
    api_account(s, "seller", "whB", &sb);
    api_account(s, "buyer", "whBuyer", &buyer);
    api_account(s, "admin", "whAdmin", &admin);
    const char *good = "{\"url\":\"https://hooks.example.com/a\",\"event_types\":[\"order.paid\"]}";

    /* 422s */
    static const char *const bad[] = {
        "{\"url\":\"http://hooks.example.com/a\",\"event_types\":[\"order.paid\"]}",
        "{\"url\":\"https://127.0.0.1/a\",\"event_types\":[\"order.paid\"]}",
        "{\"url\":\"https://localhost/a\",\"event_types\":[\"order.paid\"]}",
        "{\"url\":\"https://169.254.169.254/meta\",\"event_types\":[\"order.paid\"]}",
        "{\"url\":\"not a url\",\"event_types\":[\"order.paid\"]}",
        "{\"url\":\"https://hooks.example.com/a\",\"event_types\":[\"order.exploded\"]}",
        "{\"url\":\"https://hooks.example.com/a\",\"event_types\":[\"password.changed\"]}",
        "{\"url\":\"https://hooks.example.com/a\",\"event_types\":[]}",
        "{\"url\":\"https://hooks.example.com/a\",\"event_types\":[\"*\",\"order.paid\"]}",
        "{\"url\":\"https://hooks.example.com/a\"}",
        "{\"event_types\":[\"order.paid\"]}",
        NULL};
    for (int i = 0; bad[i]; i++)
        expect_problem(s, &sa, "POST", EP, bad[i], 422, "validation_failed");

    /* create, read, list */
    struct api_response *r = api_as(s, &sa, "POST", EP, good);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char id[80], secret[80], path[200];
    snprintf(id, sizeof id, "%s", str(r->json, "id"));
    snprintf(secret, sizeof secret, "%s", str(r->json, "secret"));
    cr_assert_eq(strncmp(secret, "whsec_", 6), 0);
    cr_assert_str_eq(str(r->json, "status"), "active");
    cr_assert_str_eq(str(r->json, "owner_id"), sa.id);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "event_types"), 0)), "order.paid");
    api_response_free(r);
    snprintf(path, sizeof path, EP "/%s", id);
    json_t *j = get_json(s, &sa, path, 200);
    cr_assert_null(json_object_get(j, "secret"), "the secret is shown only at creation and rotation");
    json_decref(j);
    j = get_json(s, &sa, EP, 200);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 1);
    json_decref(j);
    j = get_json(s, &sb, EP, 200);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 0, "seller B sees no endpoint of A");
    json_decref(j);
    char q[200];
    snprintf(q, sizeof q, EP "?owner_id=%s", sa.id);
    j = get_json(s, &admin, q, 200);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 1);
    json_decref(j);
    expect_problem(s, &sb, "GET", q, NULL, 403, "forbidden");
    j = get_json(s, &admin, path, 200);
    json_decref(j);

    /* 401 and 403 (buyer) on every route; 404 for another seller */
    char rot[260], tst[260], dls[260];
    snprintf(rot, sizeof rot, "%s/rotate-secret", path);
    snprintf(tst, sizeof tst, "%s/test", path);
    snprintf(dls, sizeof dls, "%s/deliveries", path);
    const char *dl = "/api/v1/webhooks/deliveries/whd_00000000000000000000000000";
    const char *dlr = "/api/v1/webhooks/deliveries/whd_00000000000000000000000000/retry";
    struct {
        const char *m, *p, *b;
    } routes[] = {
        {"POST", EP, good},     {"GET", EP, NULL},   {"GET", path, NULL}, {"PATCH", path, "{\"description\":\"x\"}"},
        {"DELETE", path, NULL}, {"POST", rot, NULL}, {"POST", tst, NULL}, {"GET", dls, NULL},
        {"GET", dl, NULL},      {"POST", dlr, NULL}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        expect_problem(s, NULL, routes[i].m, routes[i].p, routes[i].b, 401, "unauthenticated");
        expect_problem(s, &buyer, routes[i].m, routes[i].p, routes[i].b, 403, "forbidden");
        if (routes[i].p != dl && routes[i].p != dlr && strcmp(routes[i].p, EP) != 0)
            expect_problem(s, &sb, routes[i].m, routes[i].p, routes[i].b, 404, "not_found");
    }
    expect_problem(s, &sa, "GET", dl, NULL, 404, "not_found");
    expect_problem(s, &sa, "POST", dlr, NULL, 404, "not_found");
    expect_problem(s, &sa, "GET", EP "/whe_00000000000000000000000000", NULL, 404, "not_found");
    expect_problem(s, &sa, "GET", EP "/whe_00000000000000000000000000/deliveries", NULL, 404, "not_found");
    expect_problem(s, &sa, "PATCH", path, "{\"url\":\"http://hooks.example.com/\"}", 422, "validation_failed");
    expect_problem(s, &sa, "PATCH", path, "{\"event_types\":[\"nope\"]}", 422, "validation_failed");
    expect_problem(s, &sa, "PATCH", path, "{\"status\":\"paused\"}", 422, "validation_failed");

    /* update, disable, re-enable */
    r = api_as(s, &sa, "PATCH", path, "{\"description\":\"orders\",\"event_types\":[\"*\"],\"status\":\"disabled\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(str(r->json, "description"), "orders");
    cr_assert_str_eq(str(r->json, "status"), "disabled");
    cr_assert_str_eq(str(r->json, "disabled_reason"), "disabled_by_owner");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "event_types"), 0)), "*");
    api_response_free(r);
    expect_problem(s, &sa, "POST", tst, NULL, 409, "webhook_endpoint_disabled");
    r = api_as(s, &sa, "PATCH", path, "{\"status\":\"active\"}");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(str(r->json, "status"), "active");
    cr_assert(json_is_null(json_object_get(r->json, "disabled_reason")));
    api_response_free(r);

    /* rotation: new secret; with a grace period the old one's expiry is shown */
    r = api_as(s, &sa, "POST", rot, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_neq(str(r->json, "secret"), secret);
    cr_assert_str_eq(str(r->json, "previous_secret_expires_at") ? "set" : "null", "set");
    api_response_free(r);
    char q2[300];
    snprintf(q2, sizeof q2, "%s?grace_seconds=0", rot);
    r = api_as(s, &admin, "POST", q2, NULL);
    cr_assert_eq(r->status, 200, "admins manage every endpoint: %s", r->body);
    cr_assert(json_is_null(json_object_get(r->json, "previous_secret_expires_at")));
    api_response_free(r);

    /* delete */
    r = api_as(s, &sa, "DELETE", path, NULL);
    cr_assert_eq(r->status, 204);
    api_response_free(r);
    expect_problem(s, &sa, "GET", path, NULL, 404, "not_found");
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Real events: order.paid to the seller's and an admin's endpoints, scoping
 */
Test(webhooks, order_paid_is_delivered_signed_and_scoped)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct whrx *rx = whrx_start();
    struct api_account sa, sb, buyer, admin;
    api_account(s, "seller", "whpA", &sa);
    api_account(s, "seller", "whpB", &sb);
    api_account(s, "buyer", "whpBuyer", &buyer);
    api_account(s, "admin", "whpAdmin", &admin);
    char url[200], ida[80], seca[80], idb[80], secb[80], idm[80], secm[80];
    url_of(rx, "/a", url, sizeof url);
    endpoint(s, &sa, url, "[\"order.paid\"]", ida, seca);
    whrx_path(rx, "/a", seca, NULL, 200, 0);
    url_of(rx, "/b", url, sizeof url);
    endpoint(s, &sb, url, "[\"*\"]", idb, secb);
    whrx_path(rx, "/b", secb, NULL, 200, 0);
    url_of(rx, "/admin", url, sizeof url);
    endpoint(s, &admin, url, "[\"order.placed\",\"order.paid\"]", idm, secm);
    whrx_path(rx, "/admin", secm, NULL, 200, 0);

    char order[64];
    api_paid_order(s, &buyer, &sa, 2500, order, NULL);
    struct whrx_msg m;
    cr_assert_eq(whrx_wait(rx, "/a", "order.paid", 1, &m), 1, "seller A's endpoint got order.paid");
    cr_assert(m.sig_ok, "signature verifies with A's secret");
    cr_assert_eq(m.nv1, 1);
    cr_assert_eq(strncmp(m.id, "evt_", 4), 0);
    cr_assert_str_eq(m.hdr_id, m.id);
    cr_assert_eq(whrx_wait(rx, "/admin", "order.paid", 1, NULL), 1, "the admin's endpoint got order.paid");
    cr_assert_eq(whrx_wait(rx, "/admin", "order.placed", 1, NULL), 1, "and order.placed");
    struct whrx_msg am;
    whrx_count(rx, "/admin", "order.paid", &am);
    cr_assert(am.sig_ok);
    cr_assert_str_eq(am.id, m.id, "one event, one id for every endpoint");

    /* The stored delivery: succeeded on the first attempt, payload = the envelope. */
    char path[200];
    snprintf(path, sizeof path, EP "/%s/deliveries", ida);
    json_t *page = get_json(s, &sa, path, 200);
    json_t *data = json_object_get(page, "data");
    cr_assert_eq(json_array_size(data), 1, "A subscribed to order.paid only");
    json_t *d0 = json_array_get(data, 0);
    char did[80];
    snprintf(did, sizeof did, "%s", str(d0, "id"));
    json_decref(page);
    json_t *d = wait_delivery(s, &sa, did, "succeeded");
    cr_assert_eq(json_integer_value(json_object_get(d, "attempts")), 1);
    cr_assert_eq(json_integer_value(json_object_get(d, "response_status")), 200);
    json_t *payload = json_object_get(d, "payload");
    cr_assert_str_eq(str(payload, "type"), "order.paid");
    cr_assert_str_eq(str(payload, "id"), m.id);
    cr_assert_not_null(str(payload, "created_at"));
    json_t *pd = json_object_get(payload, "data");
    cr_assert_str_eq(str(pd, "order_id"), order);
    cr_assert_str_eq(str(pd, "seller_id"), sa.id);
    cr_assert_str_eq(str(pd, "buyer_id"), buyer.id);
    cr_assert_null(json_object_get(pd, "event_id"), "internal ids stay out of the payload");
    json_t *h = json_object_get(d, "history");
    cr_assert_eq(json_array_size(h), 1);
    cr_assert(json_is_true(json_object_get(json_array_get(h, 0), "succeeded")));
    json_decref(d);
    char dpath[200];
    snprintf(dpath, sizeof dpath, "/api/v1/webhooks/deliveries/%s", did);
    expect_problem(s, &sb, "GET", dpath, NULL, 404, "not_found");
    d = get_json(s, &admin, dpath, 200);
    json_decref(d);

    /* Seller B's "*" endpoint saw none of A's events. A test event to B proves B's endpoint works,
     * and by then the order's events (emitted earlier) have long been dispatched. */
    char tid[80];
    send_test(s, &sb, idb, tid);
    json_decref(wait_delivery(s, &sb, tid, "succeeded"));
    cr_assert_eq(whrx_wait(rx, "/b", "webhook.test", 1, &m), 1);
    cr_assert(m.sig_ok);
    cr_assert_eq(whrx_count(rx, "/b", NULL, NULL), 1, "seller B got only its test event");
    snprintf(path, sizeof path, EP "/%s/deliveries", idb);
    page = get_json(s, &sb, path, 200);
    cr_assert_eq(json_array_size(json_object_get(page, "data")), 1);
    json_decref(page);
    whrx_stop(rx);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Retries, dead, manual retry, pagination of deliveries
 */
Test(webhooks, retries_dead_and_manual_retry)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct whrx *rx = whrx_start();
    struct api_account sa;
    api_account(s, "seller", "whr", &sa);
    char url[200], id[80], secret[80], did[80];
    url_of(rx, "/flaky", url, sizeof url);
    endpoint(s, &sa, url, "[\"*\"]", id, secret);

    /* Two 500s, then 200: three attempts, recorded. */
    whrx_path(rx, "/flaky", secret, NULL, 200, 2);
    send_test(s, &sa, id, did);
    json_t *d = wait_delivery(s, &sa, did, "succeeded");
    cr_assert_eq(json_integer_value(json_object_get(d, "attempts")), 3);
    json_t *h = json_object_get(d, "history");
    cr_assert_eq(json_array_size(h), 3);
    json_t *a1 = json_array_get(h, 0);
    cr_assert_eq(json_integer_value(json_object_get(a1, "response_status")), 500);
    cr_assert_str_eq(str(a1, "error"), "HTTP 500");
    cr_assert_eq(strlen(str(a1, "response_excerpt")), 1023,
                 "the excerpt is capped at 1 KB, without the character the cap split");
    cr_assert_eq(str(a1, "response_excerpt")[10], '?', "an invalid UTF-8 byte is replaced");
    cr_assert(json_is_true(json_object_get(json_array_get(h, 2), "succeeded")));
    json_decref(d);
    struct whrx_msg m;
    cr_assert_eq(whrx_count(rx, "/flaky", "webhook.test", &m), 3);
    cr_assert(m.sig_ok);
    json_t *ep = get_json(s, &sa, EP, 200);
    cr_assert_eq(
        json_integer_value(json_object_get(json_array_get(json_object_get(ep, "data"), 0), "consecutive_failures")), 0,
        "a success resets the failure count");
    json_decref(ep);

    /* Always 503: four attempts (schedule of three waits), then dead. */
    whrx_path(rx, "/flaky", secret, NULL, 503, 0);
    char dead[80];
    send_test(s, &sa, id, dead);
    d = wait_delivery(s, &sa, dead, "dead");
    cr_assert_eq(json_integer_value(json_object_get(d, "attempts")), 4);
    cr_assert_str_eq(str(d, "last_error"), "HTTP 503");
    cr_assert(json_is_null(json_object_get(d, "next_attempt_at")));
    json_decref(d);

    /* The receiver recovers; a manual retry delivers. */
    whrx_path(rx, "/flaky", secret, NULL, 200, 0);
    char rpath[200];
    snprintf(rpath, sizeof rpath, "/api/v1/webhooks/deliveries/%s/retry", dead);
    struct api_response *r = api_as(s, &sa, "POST", rpath, NULL);
    cr_assert_eq(r->status, 202, "%s", r->body);
    api_response_free(r);
    d = wait_delivery(s, &sa, dead, "succeeded");
    h = json_object_get(d, "history");
    cr_assert_eq(json_array_size(h), 5);
    cr_assert(json_is_true(json_object_get(json_array_get(h, 4), "manual")));
    json_decref(d);

    /* Deliveries list: newest first, cursor pagination, status filter. */
    char path[200];
    snprintf(path, sizeof path, EP "/%s/deliveries?limit=1", id);
    json_t *p1 = get_json(s, &sa, path, 200);
    cr_assert_str_eq(str(json_array_get(json_object_get(p1, "data"), 0), "id"), dead);
    const char *cur = str(p1, "next_cursor");
    cr_assert_not_null(cur);
    snprintf(path, sizeof path, EP "/%s/deliveries?limit=1&cursor=%s", id, cur);
    json_t *p2 = get_json(s, &sa, path, 200);
    cr_assert_str_eq(str(json_array_get(json_object_get(p2, "data"), 0), "id"), did);
    cr_assert(json_is_null(json_object_get(p2, "next_cursor")));
    json_decref(p1);
    json_decref(p2);
    snprintf(path, sizeof path, EP "/%s/deliveries?status=dead", id);
    p1 = get_json(s, &sa, path, 200);
    cr_assert_eq(json_array_size(json_object_get(p1, "data")), 0);
    json_decref(p1);
    snprintf(path, sizeof path, EP "/%s/deliveries?cursor=garbage", id);
    expect_problem(s, &sa, "GET", path, NULL, 400, "invalid_cursor");
    whrx_stop(rx);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Disabling after consecutive failures, with the owner notified
 */
Test(webhooks, consecutive_failures_disable_and_notify)
{
    static const char *const args[] = {"--rate-limit-scale",
                                       "100",
                                       "--job-poll-ms",
                                       "20",
                                       "--webhooks-allow-http",
                                       "true",
                                       "--webhooks-allow-private",
                                       "true",
                                       "--webhooks-retry-schedule",
                                       "1,1,1",
                                       "--webhooks-retry-unit-ms",
                                       "100",
                                       "--webhooks-disable-after",
                                       "3",
                                       NULL};
    struct api_opts o = {.args = args};
    struct api_server *s = api_start(&o);
    struct whrx *rx = whrx_start();
    struct api_account sa;
    api_account(s, "seller", "whd", &sa);
    char url[200], id[80], secret[80], did[80], path[200];
    url_of(rx, "/down", url, sizeof url);
    endpoint(s, &sa, url, "[\"order.paid\"]", id, secret);
    whrx_path(rx, "/down", secret, NULL, 500, 0);
    send_test(s, &sa, id, did);
    snprintf(path, sizeof path, EP "/%s", id);
    json_t *ep = NULL;
    for (int i = 0; i < 400; i++) {
        json_decref(ep);
        ep = get_json(s, &sa, path, 200);
        if (strcmp(str(ep, "status"), "disabled") == 0)
            break;
        api_sleep_ms(25);
    }
    cr_assert_str_eq(str(ep, "status"), "disabled");
    cr_assert_str_eq(str(ep, "disabled_reason"), "consecutive_failures");
    cr_assert_eq(json_integer_value(json_object_get(ep, "consecutive_failures")), 3);
    json_decref(ep);
    /* The attempt after the third failure finds the endpoint disabled: dead without a fourth call. */
    json_t *d = wait_delivery(s, &sa, did, "dead");
    cr_assert_str_eq(str(d, "last_error"), "endpoint disabled");
    cr_assert_eq(json_integer_value(json_object_get(d, "attempts")), 3);
    json_decref(d);
    cr_assert_eq(whrx_count(rx, "/down", NULL, NULL), 3);

    char n[32];
    const char *p[] = {sa.id};
    cr_assert_eq(api_sql_text(s,
                              "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND "
                              "type = 'webhook.endpoint_disabled'",
                              p, 1, n, sizeof n),
                 1);
    cr_assert_str_eq(n, "1", "the owner is notified once");

    char tst[260], rpath[260];
    snprintf(tst, sizeof tst, "%s/test", path);
    expect_problem(s, &sa, "POST", tst, NULL, 409, "webhook_endpoint_disabled");
    snprintf(rpath, sizeof rpath, "/api/v1/webhooks/deliveries/%s/retry", did);
    expect_problem(s, &sa, "POST", rpath, NULL, 409, "webhook_endpoint_disabled");

    /* Re-enabled and fixed: the dead delivery can be retried. */
    whrx_path(rx, "/down", secret, NULL, 200, 0);
    struct api_response *r = api_as(s, &sa, "PATCH", path, "{\"status\":\"active\"}");
    cr_assert_eq(r->status, 200);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "consecutive_failures")), 0);
    api_response_free(r);
    r = api_as(s, &sa, "POST", rpath, NULL);
    cr_assert_eq(r->status, 202, "%s", r->body);
    api_response_free(r);
    json_decref(wait_delivery(s, &sa, did, "succeeded"));
    whrx_stop(rx);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Secret rotation: two v1 signatures during the grace period
 */
Test(webhooks, rotation_signs_with_both_secrets)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct whrx *rx = whrx_start();
    struct api_account sa;
    api_account(s, "seller", "whrot", &sa);
    char url[200], id[80], old[80], did[80], path[200], fresh[80];
    url_of(rx, "/rot", url, sizeof url);
    endpoint(s, &sa, url, "[\"*\"]", id, old);
    snprintf(path, sizeof path, EP "/%s/rotate-secret", id);
    struct api_response *r = api_as(s, &sa, "POST", path, NULL);
    cr_assert_eq(r->status, 200);
    snprintf(fresh, sizeof fresh, "%s", str(r->json, "secret"));
    api_response_free(r);
    whrx_path(rx, "/rot", fresh, old, 200, 0);
    send_test(s, &sa, id, did);
    json_decref(wait_delivery(s, &sa, did, "succeeded"));
    struct whrx_msg m;
    cr_assert_eq(whrx_count(rx, "/rot", NULL, &m), 1);
    cr_assert_eq(m.nv1, 2);
    cr_assert(m.sig_ok, "one v1 is the new secret's");
    cr_assert(m.prev_ok, "the other the old secret's");

    /* Rotating with no grace: only the newest secret signs. */
    snprintf(path, sizeof path, EP "/%s/rotate-secret?grace_seconds=0", id);
    r = api_as(s, &sa, "POST", path, NULL);
    cr_assert_eq(r->status, 200);
    char newest[80];
    snprintf(newest, sizeof newest, "%s", str(r->json, "secret"));
    api_response_free(r);
    whrx_path(rx, "/rot", newest, fresh, 200, 0);
    send_test(s, &sa, id, did);
    json_decref(wait_delivery(s, &sa, did, "succeeded"));
    cr_assert_eq(whrx_count(rx, "/rot", NULL, &m), 2);
    cr_assert_eq(m.nv1, 1);
    cr_assert(m.sig_ok);
    cr_assert(!m.prev_ok);
    whrx_stop(rx);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * SSRF: a name that resolves to loopback is refused at delivery time
 */

/* A host name (not localhost) that resolves to a loopback address here (/etc/hosts), or NULL. */
static const char *loopback_name(void)
{
    static const char *const names[] = {"ip6-localhost", "ip6-loopback", "vm", "runsc", NULL};
    for (int i = 0; names[i]; i++) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        if (getaddrinfo(names[i], NULL, &hints, &res) != 0 || res == NULL)
            continue;
        bool loop = ntohl(((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr.s_addr) >> 24 == 127;
        freeaddrinfo(res);
        if (loop)
            return names[i];
    }
    return NULL;
}
Test(webhooks, delivery_refuses_a_name_resolving_to_loopback)
{
    static const char *const args[] = {"--rate-limit-scale",
                                       "100",
                                       "--job-poll-ms",
                                       "20",
                                       "--webhooks-allow-http",
                                       "true",
                                       "--webhooks-retry-schedule",
                                       "1",
                                       "--webhooks-retry-unit-ms",
                                       "100",
                                       NULL};
    struct api_opts o = {.args = args};
    struct api_server *s = api_start(&o);
    struct whrx *rx = whrx_start();
    struct api_account sa;
    api_account(s, "seller", "whssrf", &sa);
    /* "localhost" and 127.0.0.1 are refused at registration ... */
    char url[200], id[80], secret[80], did[80], body[300];
    int port = atoi(strrchr(fake_http_url(rx->h), ':') + 1);
    snprintf(body, sizeof body, "{\"url\":\"http://127.0.0.1:%d/x\",\"event_types\":[\"*\"]}", port);
    expect_problem(s, &sa, "POST", EP, body, 422, "validation_failed");
    /* ... but a name is only resolved when delivering: use one this machine maps to loopback. */
    const char *name = loopback_name();
    if (name == NULL) {
        whrx_stop(rx);
        api_stop(s);
        cr_skip_test("no non-localhost name resolves to loopback here");
    }
    snprintf(url, sizeof url, "http://%s:%d/ssrf", name, port);
    snprintf(body, sizeof body, "{\"url\":\"%s\",\"event_types\":[\"*\"]}", url);
    struct api_response *r = api_as(s, &sa, "POST", EP, body);
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(id, sizeof id, "%s", str(r->json, "id"));
    snprintf(secret, sizeof secret, "%s", str(r->json, "secret"));
    api_response_free(r);
    whrx_path(rx, "/ssrf", secret, NULL, 200, 0);
    send_test(s, &sa, id, did);
    json_t *d = wait_delivery(s, &sa, did, "dead");
    cr_assert_not_null(strstr(str(d, "last_error"), "blocked"), "%s", str(d, "last_error"));
    json_decref(d);
    cr_assert_eq(whrx_count(rx, "/ssrf", NULL, NULL), 0, "nothing reached the loopback receiver");
    whrx_stop(rx);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * review.posted (emitted by the catalog in the review's transaction)
 */
Test(webhooks, review_posted_reaches_the_products_seller)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct whrx *rx = whrx_start();
    struct api_account seller, buyer;
    api_account(s, "seller", "whrev", &seller);
    api_account(s, "buyer", "whrevBuyer", &buyer);
    char url[200], id[80], secret[80], product[64], order[64], item[64], now[32];
    url_of(rx, "/rv", url, sizeof url);
    endpoint(s, &seller, url, "[\"review.posted\"]", id, secret);
    whrx_path(rx, "/rv", secret, NULL, 200, 0);
    api_product(s, &seller, 2400, 3, product);
    /* A delivered one-item order of the product (written directly, as test_reviews.c does). */
    api_test_id(order, sizeof order, "ord");
    api_test_id(item, sizeof item, "oit");
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *op[] = {order, buyer.id, seller.id, seller.shop_id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO orders (id, buyer_id, seller_id, shop_id, status, subtotal_amount, "
                              "total_amount, currency, commission_bps, created_at, updated_at) VALUES ($1, $2, $3, "
                              "$4, 'delivered', 2400, 2400, 'USD', 1000, CAST($5 AS BIGINT), CAST($5 AS BIGINT))",
                              op, 5),
                 0);
    const char *ip[] = {item, order, product, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO order_items (id, order_id, product_id, title, unit_price_amount, quantity, "
                              "line_total_amount, currency, created_at) VALUES ($1, $2, $3, 'Mug', 2400, 1, 2400, "
                              "'USD', CAST($4 AS BIGINT))",
                              ip, 4),
                 0);
    char path[160], body[200];
    snprintf(path, sizeof path, "/api/v1/products/%s/reviews", product);
    snprintf(body, sizeof body, "{\"order_item_id\":\"%s\",\"rating\":4,\"body\":\"Lovely glaze\"}", item);
    struct api_response *r = api_as(s, &buyer, "POST", path, body);
    cr_assert_eq(r->status, 201, "review: %ld %s", r->status, r->body);
    char review[64];
    snprintf(review, sizeof review, "%s", str(r->json, "id"));
    api_response_free(r);
    struct whrx_msg m;
    cr_assert_eq(whrx_wait(rx, "/rv", "review.posted", 1, &m), 1);
    cr_assert(m.sig_ok);
    snprintf(path, sizeof path, EP "/%s/deliveries", id);
    json_t *page = get_json(s, &seller, path, 200);
    json_t *d = wait_delivery(s, &seller, str(json_array_get(json_object_get(page, "data"), 0), "id"), "succeeded");
    json_t *data = json_object_get(json_object_get(d, "payload"), "data");
    cr_assert_str_eq(str(data, "review_id"), review);
    cr_assert_str_eq(str(data, "product_id"), product);
    cr_assert_str_eq(str(data, "seller_id"), seller.id);
    cr_assert_str_eq(str(data, "buyer_id"), buyer.id);
    cr_assert_eq(json_integer_value(json_object_get(data, "rating")), 4);
    json_decref(d);
    json_decref(page);
    whrx_stop(rx);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * A dispatch that runs twice for one event (a retried events.dispatch job)
 * creates one delivery: two dispatch jobs carrying the same event_id.
 */
Test(webhooks, dispatch_twice_delivers_once)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct whrx *rx = whrx_start();
    struct api_account sa;
    api_account(s, "seller", "whidem", &sa);
    char url[200], id[80], secret[80], now[32], payload[600], jid[64], evt[80], n[64];
    url_of(rx, "/idem", url, sizeof url);
    endpoint(s, &sa, url, "[\"order.shipped\"]", id, secret);
    whrx_path(rx, "/idem", secret, NULL, 200, 0);
    char event_job[64];
    api_test_id(event_job, sizeof event_job, "job");
    snprintf(evt, sizeof evt, "evt_%s", event_job + 4);
    snprintf(now, sizeof now, "%lld", api_now_ms());
    snprintf(payload, sizeof payload,
             "{\"type\":\"order.shipped\",\"data\":{\"order_id\":\"ord_x\",\"buyer_id\":\"usr_b\",\"seller_id\":\"%s\","
             "\"event_id\":\"%s\"},\"at\":%s}",
             sa.id, event_job, now);
    for (int i = 0; i < 2; i++) {
        api_test_id(jid, sizeof jid, "job");
        const char *p[] = {jid, payload, now};
        cr_assert_eq(api_sql_exec(s,
                                  "INSERT INTO jobs (id, kind, payload, state, run_at, attempts, created_at, "
                                  "updated_at) VALUES ($1, 'events.dispatch', $2, 'queued', CAST($3 AS BIGINT), 0, "
                                  "CAST($3 AS BIGINT), CAST($3 AS BIGINT))",
                                  p, 3),
                     0);
        const char *q[] = {jid};
        for (int k = 0; k < 400; k++) {
            cr_assert_eq(api_sql_text(s, "SELECT state FROM jobs WHERE id = $1", q, 1, n, sizeof n), 1);
            if (strcmp(n, "succeeded") == 0)
                break;
            api_sleep_ms(25);
        }
        cr_assert_str_eq(n, "succeeded");
    }
    const char *q[] = {id, evt};
    cr_assert_eq(api_sql_text(s, "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND event_id = $2", q,
                              2, n, sizeof n),
                 1);
    cr_assert_str_eq(n, "1");
    struct whrx_msg m;
    cr_assert_eq(whrx_wait(rx, "/idem", "order.shipped", 1, &m), 1);
    cr_assert_str_eq(m.id, evt);
    cr_assert_eq(api_sql_text(s, "SELECT id FROM webhook_deliveries WHERE endpoint_id = $1", q, 1, n, sizeof n), 1);
    json_decref(wait_delivery(s, &sa, n, "succeeded"));
    cr_assert_eq(whrx_count(rx, "/idem", NULL, NULL), 1, "one delivery, one successful POST");
    whrx_stop(rx);
    api_stop(s);
}
