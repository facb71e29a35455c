/*
 * test_notifications.c — notifications: the REST endpoints (list, unread
 * count, read, read-all, preferences, devices), notify_user's delivery rows
 * and the notify.deliver job (in-app, email to the outbox, SMS and push
 * skipped or failing without holding up the others), and the domain-event
 * subscriber (order placed/paid from a real order, seller application
 * decided, password changed, idempotent on a re-dispatched event).
 *
 * Jobs run in the server (--job-poll-ms 50); every wait polls the database
 * with a deadline.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "commerce_testlib.h"

TestSuite(notifications, .fini = api_cleanup_all, .timeout = 240);

static const char *const fast_args[] = {"--rate-limit-scale", "100", "--job-poll-ms", "50", NULL};

#define WAIT_MS 20000

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int sql_int(struct api_server *s, const char *sql, const char *const *p, int n)
{
    char buf[32];
    cr_assert_eq(api_sql_text(s, sql, p, n, buf, sizeof buf), 1, "%s", sql);
    return atoi(buf);
}

/* Wait until the query's integer is want. */
static void wait_int(struct api_server *s, const char *sql, const char *const *p, int n, int want)
{
    long long until = api_now_ms() + WAIT_MS;
    int got;
    while ((got = sql_int(s, sql, p, n)) != want) {
        if (api_now_ms() > until) {
            api_log_tail(s, 3000);
            cr_assert_fail("%s: %d, want %d", sql, got, want);
        }
        api_sleep_ms(50);
    }
}

static int notif_count(struct api_server *s, const char *user, const char *type)
{
    const char *p[] = {user, type};
    return sql_int(s, "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND type = $2", p, 2);
}

static void wait_notif(struct api_server *s, const char *user, const char *type, int want)
{
    const char *p[] = {user, type};
    wait_int(s, "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND type = $2", p, 2, want);
}

/* Status of user's delivery for (type, channel) into out (16 bytes); "" when there is none. */
static void delivery(struct api_server *s, const char *user, const char *type, const char *channel, char *out)
{
    const char *p[] = {user, type, channel};
    int rc = api_sql_text(s,
                          "SELECT d.status FROM notification_deliveries d JOIN notifications n "
                          "ON n.id = d.notification_id WHERE d.user_id = $1 AND n.type = $2 AND d.channel = $3",
                          p, 3, out, 16);
    cr_assert_neq(rc, -1);
    if (rc == 0)
        out[0] = '\0';
}

/* last_error of that delivery into out (256 bytes). */
static void delivery_error(struct api_server *s, const char *user, const char *type, const char *channel, char *out)
{
    const char *p[] = {user, type, channel};
    if (api_sql_text(s,
                     "SELECT d.last_error FROM notification_deliveries d JOIN notifications n "
                     "ON n.id = d.notification_id WHERE d.user_id = $1 AND n.type = $2 AND d.channel = $3",
                     p, 3, out, 256) != 1)
        out[0] = '\0';
}

/* Wait until that delivery is sent, failed or skipped; its status into out. */
static void wait_final(struct api_server *s, const char *user, const char *type, const char *channel, char *out)
{
    long long until = api_now_ms() + WAIT_MS;
    char why[256];
    for (;;) {
        delivery(s, user, type, channel, out);
        if (out[0] && strcmp(out, "pending") != 0)
            return;
        if (api_now_ms() > until) {
            delivery_error(s, user, type, channel, why);
            api_log_tail(s, 3000);
            cr_assert_fail("delivery %s/%s for %s still '%s' (%s)", type, channel, user, out, why);
        }
        api_sleep_ms(50);
    }
}

/* Wait until that delivery is final or has been tried at least once; its status into out. */
static void wait_delivery(struct api_server *s, const char *user, const char *type, const char *channel, char *out)
{
    const char *p[] = {user, type, channel};
    long long until = api_now_ms() + WAIT_MS;
    for (;;) {
        delivery(s, user, type, channel, out);
        if (out[0] && strcmp(out, "pending") != 0)
            return;
        if (out[0] && sql_int(s,
                              "SELECT COUNT(*) FROM notification_deliveries d JOIN notifications n "
                              "ON n.id = d.notification_id WHERE d.user_id = $1 AND n.type = $2 AND d.channel = $3 "
                              "AND d.attempts > 0",
                              p, 3) > 0) {
            delivery(s, user, type, channel, out); /* it may have finished meanwhile */
            return;
        }
        if (api_now_ms() > until) {
            api_log_tail(s, 3000);
            cr_assert_fail("delivery %s/%s for %s still '%s'", type, channel, user, out);
        }
        api_sleep_ms(50);
    }
}

/* .eml files in the outbox addressed to `to` with this exact (ASCII) subject. */
static int mails(struct api_server *s, const char *to, const char *subject)
{
    char dir[400], path[800], toh[200], subj[200];
    snprintf(dir, sizeof dir, "%s/outbox", s->data_dir);
    snprintf(toh, sizeof toh, "\r\nTo: %s\r\n", to);
    snprintf(subj, sizeof subj, "\r\nSubject: %s\r\n", subject);
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int found = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".eml") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        char buf[16384];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        if (strstr(buf, toh) && strstr(buf, subj))
            found++;
    }
    closedir(d);
    return found;
}

/* Quoted-printable soft breaks and =XX escapes undone, in place. */
static void qp_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 2;
        } else if (p[0] == '=' && p[1] && p[2] && strchr("0123456789ABCDEF", p[1]) && strchr("0123456789ABCDEF", p[2])) {
            char hx[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(hx, NULL, 16);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

/* Wait for the password-reset mail to `to`; its 43-character token into tok (44 bytes). */
static void reset_token(struct api_server *s, const char *to, char *tok)
{
    char dir[400], path[800], toh[200];
    snprintf(dir, sizeof dir, "%s/outbox", s->data_dir);
    snprintf(toh, sizeof toh, "\r\nTo: %s\r\n", to);
    long long until = api_now_ms() + WAIT_MS;
    while (api_now_ms() < until) {
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d != NULL && (de = readdir(d)) != NULL) {
            size_t l = strlen(de->d_name);
            if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".eml") != 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            FILE *f = fopen(path, "rb");
            if (f == NULL)
                continue;
            char buf[16384];
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = '\0';
            qp_decode(buf);
            const char *t = strstr(buf, toh) ? strstr(buf, "reset-password?token=") : NULL;
            if (t != NULL) {
                snprintf(tok, 44, "%s", t + strlen("reset-password?token="));
                closedir(d);
                return;
            }
        }
        if (d != NULL)
            closedir(d);
        api_sleep_ms(50);
    }
    cr_assert_fail("no reset mail to %s", to);
}

/* Queue an events.dispatch job as events_emit would (type, data JSON text). */
static void dispatch(struct api_server *s, const char *type, const char *data)
{
    char id[64], payload[1024], now[32];
    api_test_id(id, sizeof id, "job");
    snprintf(payload, sizeof payload, "{\"type\":\"%s\",\"data\":%s,\"at\":0}", type, data);
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *p[] = {id, payload, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO jobs (id, kind, payload, state, run_at, attempts, created_at, updated_at) "
                              "VALUES ($1, 'events.dispatch', $2, 'queued', 0, 0, CAST($3 AS BIGINT), "
                              "CAST($3 AS BIGINT))",
                              p, 3),
                 0);
}

/*-----------------------------------------------------------------------------
 * Every endpoint: 401, 404, 400/422
 */
Test(notifications, auth_not_found_and_validation)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct api_account a[2];
    api_accounts(s, "buyer", "nina", 2, a);

    static const char *const routes[][2] = {
        {"GET", "/api/v1/notifications"},
        {"GET", "/api/v1/notifications/unread-count"},
        {"PATCH", "/api/v1/notifications/read-all"},
        {"PATCH", "/api/v1/notifications/ntf_01JDQ8V7R3X1W9ZK4M2N5P6Q7R/read"},
        {"GET", "/api/v1/notifications/preferences"},
        {"PATCH", "/api/v1/notifications/preferences"},
        {"POST", "/api/v1/notifications/devices"},
        {"GET", "/api/v1/notifications/devices"},
        {"DELETE", "/api/v1/notifications/devices/dev_01JDQ8V7R3X1W9ZK4M2N5P6Q7R"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        struct api_response *r = api_as(s, NULL, routes[i][0], routes[i][1], NULL);
        api_assert_problem(r, 401, "unauthenticated");
        api_response_free(r);
    }

    /* Not found: unknown ids, and another user's notification. */
    struct api_response *r =
        api_as(s, &a[0], "PATCH", "/api/v1/notifications/ntf_01JDQ8V7R3X1W9ZK4M2N5P6Q7R/read", NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &a[0], "DELETE", "/api/v1/notifications/devices/dev_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &a[0], "PATCH", "/api/v1/notifications/nonsense/read", NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    api_response_free(r);

    dispatch(s, "password.changed", "{\"user_id\":\"placeholder\"}"); /* unknown user: nothing, no crash */
    char body[200];
    snprintf(body, sizeof body, "{\"user_id\":\"%s\"}", a[1].id);
    dispatch(s, "password.changed", body);
    wait_notif(s, a[1].id, "password.changed", 1);
    r = api_as(s, &a[1], "GET", "/api/v1/notifications", NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    const char *theirs = str(json_array_get(json_object_get(r->json, "data"), 0), "id");
    char path[200];
    snprintf(path, sizeof path, "/api/v1/notifications/%.100s/read", theirs);
    api_response_free(r);
    r = api_as(s, &a[0], "PATCH", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    /* Validation. */
    r = api_as(s, &a[0], "GET", "/api/v1/notifications?cursor=nonsense", NULL);
    api_assert_problem(r, 400, "invalid_cursor");
    api_response_free(r);
    r = api_as(s, &a[0], "GET", "/api/v1/notifications?limit=0", NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    api_response_free(r);
    static const char *const bad_prefs[] = {
        "{}",
        "{\"preferences\":[]}",
        "{\"preferences\":[{\"event_type\":\"order.nope\",\"channel\":\"email\",\"enabled\":false}]}",
        "{\"preferences\":[{\"event_type\":\"order.paid\",\"channel\":\"fax\",\"enabled\":false}]}",
        "{\"preferences\":[{\"event_type\":\"order.paid\",\"channel\":\"email\"}]}",
        "{\"preferences\":[{\"event_type\":\"order.paid\",\"channel\":\"email\",\"enabled\":\"no\"}]}",
        "{\"preferences\":[{\"event_type\":\"password.changed\",\"channel\":\"email\",\"enabled\":false}]}",
        "{\"preferences\":[{\"event_type\":\"order.paid\",\"channel\":\"email\",\"enabled\":false},"
        "{\"event_type\":\"password.changed\",\"channel\":\"in_app\",\"enabled\":false}]}",
    };
    for (size_t i = 0; i < sizeof bad_prefs / sizeof bad_prefs[0]; i++) {
        r = api_as(s, &a[0], "PATCH", "/api/v1/notifications/preferences", bad_prefs[i]);
        api_assert_problem(r, 422, "validation_failed");
        api_response_free(r);
    }
    /* A refused batch changed nothing (order.paid email was in the last one). */
    const char *p[] = {a[0].id};
    cr_assert_eq(sql_int(s, "SELECT COUNT(*) FROM notification_preferences WHERE user_id = $1", p, 1), 0);
    static const char *const bad_devices[] = {
        "{\"platform\":\"symbian\",\"push_token\":\"tok-123456789\"}",
        "{\"platform\":\"ios\"}",
        "{\"platform\":\"ios\",\"push_token\":\"short\"}",
        "{\"platform\":\"ios\",\"push_token\":\"tok-123456789\",\"extra\":1}",
    };
    for (size_t i = 0; i < sizeof bad_devices / sizeof bad_devices[0]; i++) {
        r = api_as(s, &a[0], "POST", "/api/v1/notifications/devices", bad_devices[i]);
        api_assert_problem(r, 422, "validation_failed");
        api_response_free(r);
    }
    api_assert_alive(s);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * A real order: order.placed (seller), order.paid (buyer and seller)
 */
Test(notifications, order_flow_list_read_and_read_all)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct api_account buyer, seller;
    api_account(s, "buyer", "olga", &buyer);
    api_account(s, "seller", "pablo", &seller);
    char order[64];
    api_paid_order(s, &buyer, &seller, 2500, order, NULL);

    wait_notif(s, seller.id, "order.placed", 1);
    wait_notif(s, seller.id, "order.paid", 1);
    wait_notif(s, buyer.id, "order.paid", 1);
    cr_assert_eq(notif_count(s, buyer.id, "order.placed"), 0);

    char st[16];
    wait_final(s, buyer.id, "order.paid", "in_app", st);
    cr_assert_str_eq(st, "sent");
    wait_final(s, buyer.id, "order.paid", "email", st);
    cr_assert_str_eq(st, "sent");
    wait_final(s, seller.id, "order.paid", "email", st);
    cr_assert_str_eq(st, "sent");
    delivery(s, buyer.id, "order.paid", "sms", st);
    cr_assert_str_eq(st, "", "sms is off by default for order.paid");
    delivery(s, buyer.id, "order.paid", "push", st);
    cr_assert_str_eq(st, "skipped", "no device");
    const char *pb[] = {buyer.id};
    char reason[64];
    cr_assert_eq(api_sql_text(s, "SELECT last_error FROM notification_deliveries WHERE user_id = $1 AND channel = 'push'",
                              pb, 1, reason, sizeof reason),
                 1);
    cr_assert_str_eq(reason, "no active device");
    cr_assert_eq(mails(s, buyer.email, "Payment received"), 1);
    cr_assert_eq(mails(s, seller.email, "Order paid"), 1);
    cr_assert_eq(mails(s, seller.email, "New order"), 1);

    /* The seller's list: newest first, with data ids and the unread count. */
    struct api_response *r = api_as(s, &seller, "GET", "/api/v1/notifications", NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *data = json_object_get(r->json, "data");
    cr_assert_eq(json_array_size(data), 2, "%s", r->body);
    cr_assert_str_eq(str(json_array_get(data, 0), "type"), "order.paid");
    cr_assert_str_eq(str(json_array_get(data, 1), "type"), "order.placed");
    json_t *first = json_array_get(data, 0);
    cr_assert_str_eq(str(json_object_get(first, "data"), "order_id"), order);
    cr_assert_null(json_object_get(json_object_get(first, "data"), "event_id"));
    cr_assert_str_eq(str(first, "title"), "Order paid");
    cr_assert(strstr(str(first, "body"), order) != NULL);
    cr_assert(json_is_false(json_object_get(first, "read")));
    cr_assert(json_is_null(json_object_get(first, "read_at")));
    cr_assert_eq(json_integer_value(json_object_get(r->json, "unread_count")), 2);
    cr_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    char newest[64], oldest[64];
    snprintf(newest, sizeof newest, "%.60s", str(first, "id"));
    snprintf(oldest, sizeof oldest, "%.60s", str(json_array_get(data, 1), "id"));
    api_response_free(r);

    /* Keyset pages of one. */
    r = api_as(s, &seller, "GET", "/api/v1/notifications?limit=1", NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "id"), newest);
    char path[300];
    snprintf(path, sizeof path, "/api/v1/notifications?limit=1&cursor=%.200s", str(r->json, "next_cursor"));
    api_response_free(r);
    r = api_as(s, &seller, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "id"), oldest);
    cr_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    api_response_free(r);

    /* Read one, twice: same read_at; the unread filter and count follow. */
    snprintf(path, sizeof path, "/api/v1/notifications/%s/read", newest);
    r = api_as(s, &seller, "PATCH", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(json_is_true(json_object_get(r->json, "read")));
    char read_at[64];
    snprintf(read_at, sizeof read_at, "%.60s", str(r->json, "read_at"));
    api_response_free(r);
    api_sleep_ms(5);
    r = api_as(s, &seller, "PATCH", path, "{}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(str(r->json, "read_at"), read_at);
    api_response_free(r);
    r = api_as(s, &seller, "GET", "/api/v1/notifications?unread=true", NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "id"), oldest);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "unread_count")), 1);
    api_response_free(r);
    r = api_as(s, &seller, "GET", "/api/v1/notifications/unread-count", NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "unread_count")), 1);
    api_response_free(r);

    /* Read all: how many changed; again: none. The buyer's are untouched. */
    r = api_as(s, &seller, "PATCH", "/api/v1/notifications/read-all", NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "updated")), 1);
    api_response_free(r);
    r = api_as(s, &seller, "PATCH", "/api/v1/notifications/read-all", NULL);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "updated")), 0);
    api_response_free(r);
    r = api_as(s, &seller, "GET", "/api/v1/notifications/unread-count", NULL);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "unread_count")), 0);
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/notifications/unread-count", NULL);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "unread_count")), 1);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Preferences
 */
static json_t *cell(json_t *prefs, const char *type, const char *channel)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(prefs, "event_types"), i, t) if (strcmp(str(t, "event_type"), type) == 0)
        return json_object_get(json_object_get(t, "channels"), channel);
    cr_assert_fail("no %s in the matrix", type);
    return NULL;
}

Test(notifications, preferences_matrix_and_overrides)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct api_account buyer, seller;
    api_account(s, "buyer", "quinn", &buyer);
    api_account(s, "seller", "rosa", &seller);

    struct api_response *r = api_as(s, &buyer, "GET", "/api/v1/notifications/preferences", NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    static const char *const types[] = {"message.new", "order.placed", "order.paid", "order.shipped",
                                        "order.delivered", "proposal.received", "proposal.accepted",
                                        "milestone.funded", "milestone.released", "payout.sent",
                                        "seller_application.decided", "password.changed",
                                        "webhook.endpoint_disabled"};
    static const char *const chans[] = {"in_app", "email", "sms", "push"};
    cr_assert_eq(json_array_size(json_object_get(r->json, "event_types")), sizeof types / sizeof types[0]);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        for (size_t c = 0; c < 4; c++) {
            json_t *x = cell(r->json, types[i], chans[c]);
            cr_assert(json_is_boolean(json_object_get(x, "enabled")), "%s/%s", types[i], chans[c]);
            cr_assert(json_is_boolean(json_object_get(x, "locked")));
            cr_assert(json_is_false(json_object_get(x, "overridden")));
        }
    cr_assert(json_is_true(json_object_get(cell(r->json, "order.paid", "email"), "enabled")));
    cr_assert(json_is_false(json_object_get(cell(r->json, "order.paid", "email"), "locked")));
    cr_assert(json_is_false(json_object_get(cell(r->json, "order.paid", "sms"), "enabled")));
    cr_assert(json_is_true(json_object_get(cell(r->json, "order.shipped", "sms"), "enabled")));
    cr_assert(json_is_true(json_object_get(cell(r->json, "password.changed", "email"), "locked")));
    cr_assert(json_is_true(json_object_get(cell(r->json, "password.changed", "email"), "enabled")));
    api_response_free(r);

    /* Buyer: no email for order.paid, push off for order.placed; re-sending a locked value as it is is fine. */
    r = api_as(s, &buyer, "PATCH", "/api/v1/notifications/preferences",
               "{\"preferences\":[{\"event_type\":\"order.paid\",\"channel\":\"email\",\"enabled\":false},"
               "{\"event_type\":\"order.delivered\",\"channel\":\"sms\",\"enabled\":true},"
               "{\"event_type\":\"password.changed\",\"channel\":\"email\",\"enabled\":true}]}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(json_is_false(json_object_get(cell(r->json, "order.paid", "email"), "enabled")));
    cr_assert(json_is_true(json_object_get(cell(r->json, "order.paid", "email"), "overridden")));
    cr_assert(json_is_true(json_object_get(cell(r->json, "order.paid", "email"), "default")));
    cr_assert(json_is_true(json_object_get(cell(r->json, "order.delivered", "sms"), "enabled")));
    cr_assert(json_is_true(json_object_get(cell(r->json, "order.paid", "in_app"), "enabled")));
    api_response_free(r);
    r = api_as(s, &buyer, "GET", "/api/v1/notifications/preferences", NULL);
    cr_assert(json_is_false(json_object_get(cell(r->json, "order.paid", "email"), "enabled")));
    api_response_free(r);
    /* Another user's matrix is their own. */
    r = api_as(s, &seller, "GET", "/api/v1/notifications/preferences", NULL);
    cr_assert(json_is_true(json_object_get(cell(r->json, "order.paid", "email"), "enabled")));
    api_response_free(r);

    char order[64];
    api_paid_order(s, &buyer, &seller, 1800, order, NULL);
    wait_notif(s, buyer.id, "order.paid", 1);
    wait_notif(s, seller.id, "order.paid", 1);
    char st[16];
    wait_final(s, buyer.id, "order.paid", "in_app", st);
    cr_assert_str_eq(st, "sent");
    wait_final(s, seller.id, "order.paid", "email", st);
    cr_assert_str_eq(st, "sent");
    delivery(s, buyer.id, "order.paid", "email", st);
    cr_assert_str_eq(st, "", "email disabled: no delivery row");
    cr_assert_eq(mails(s, buyer.email, "Payment received"), 0);
    cr_assert_eq(mails(s, seller.email, "Order paid"), 1);

    /* Turning it back on is an override too. */
    r = api_as(s, &buyer, "PATCH", "/api/v1/notifications/preferences",
               "{\"preferences\":[{\"event_type\":\"order.paid\",\"channel\":\"email\",\"enabled\":true}]}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(json_is_true(json_object_get(cell(r->json, "order.paid", "email"), "enabled")));
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Devices
 */
Test(notifications, devices_upsert_reown_and_delete)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct api_account a[2];
    api_accounts(s, "buyer", "sami", 2, a);

    const char *body = "{\"platform\":\"android\",\"push_token\":\"fcm-token-aaaaaaaa\",\"app_version\":\"1.2.0\"}";
    struct api_response *r = api_as(s, &a[0], "POST", "/api/v1/notifications/devices", body);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char id[64];
    snprintf(id, sizeof id, "%.60s", str(r->json, "id"));
    cr_assert_str_eq(str(r->json, "platform"), "android");
    cr_assert_str_eq(str(r->json, "app_version"), "1.2.0");
    cr_assert(json_is_true(json_object_get(r->json, "active")));
    api_response_free(r);

    /* Again: the same device, updated. */
    r = api_as(s, &a[0], "POST", "/api/v1/notifications/devices",
               "{\"platform\":\"android\",\"push_token\":\"fcm-token-aaaaaaaa\",\"app_version\":\"1.3.0\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(str(r->json, "id"), id);
    cr_assert_str_eq(str(r->json, "app_version"), "1.3.0");
    api_response_free(r);
    r = api_as(s, &a[0], "POST", "/api/v1/notifications/devices",
               "{\"platform\":\"web\",\"push_token\":\"web-token-bbbbbbbb\"}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert(json_is_null(json_object_get(r->json, "app_version")));
    api_response_free(r);
    r = api_as(s, &a[0], "GET", "/api/v1/notifications/devices", NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 2);
    api_response_free(r);

    /* A disabled token registered again is live again, and now the second user's. */
    const char *pid[] = {id};
    cr_assert_eq(api_sql_exec(s, "UPDATE devices SET disabled_at = 1 WHERE id = $1", pid, 1), 0);
    r = api_as(s, &a[1], "POST", "/api/v1/notifications/devices", body);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(str(r->json, "id"), id);
    cr_assert(json_is_true(json_object_get(r->json, "active")));
    api_response_free(r);
    r = api_as(s, &a[0], "GET", "/api/v1/notifications/devices", NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 1);
    cr_assert_str_eq(str(json_array_get(json_object_get(r->json, "data"), 0), "platform"), "web");
    api_response_free(r);

    /* Delete: only the owner; then gone. */
    char path[200];
    snprintf(path, sizeof path, "/api/v1/notifications/devices/%s", id);
    r = api_as(s, &a[0], "DELETE", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &a[1], "DELETE", path, NULL);
    cr_assert_eq(r->status, 204, "%s", r->body);
    api_response_free(r);
    r = api_as(s, &a[1], "DELETE", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &a[1], "GET", "/api/v1/notifications/devices", NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "data")), 0);
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Channels: SMS skipped without a phone; failing SMS and push do not hold
 * up in-app and email.
 */
static void enable_all(struct api_server *s, const struct api_account *a, const char *type)
{
    char body[600];
    snprintf(body, sizeof body,
             "{\"preferences\":[{\"event_type\":\"%s\",\"channel\":\"sms\",\"enabled\":true},"
             "{\"event_type\":\"%s\",\"channel\":\"push\",\"enabled\":true}]}",
             type, type);
    struct api_response *r = api_as(s, a, "PATCH", "/api/v1/notifications/preferences", body);
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
}

Test(notifications, failing_channels_do_not_block_others)
{
    char twilio[80], fcm[80];
    int closed = api_free_port(); /* nothing listens there */
    snprintf(twilio, sizeof twilio, "ARTISTRY_TWILIO_API_BASE=http://127.0.0.1:%d", closed);
    snprintf(fcm, sizeof fcm, "ARTISTRY_FCM_API_BASE=http://127.0.0.1:%d", closed);
    const char *env[] = {"ARTISTRY_SMS_PROVIDER=twilio", twilio, "ARTISTRY_TWILIO_ACCOUNT_SID=AC0000",
                         "ARTISTRY_TWILIO_AUTH_TOKEN=secret", "ARTISTRY_TWILIO_FROM=+15005550006",
                         "ARTISTRY_PUSH_PROVIDER=fcm", fcm, "ARTISTRY_FCM_PROJECT_ID=artistry-test", NULL};
    struct api_opts o = {.args = fast_args, .env = env};
    struct api_server *s = api_start(&o);
    struct api_account a[2];
    api_accounts(s, "buyer", "tara", 2, a);
    enable_all(s, &a[0], "seller_application.decided");
    enable_all(s, &a[1], "seller_application.decided");

    /* a[0]: a verified phone and a device; a[1]: neither. */
    const char *p0[] = {a[0].id};
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET phone_e164 = '+15005550006', phone_verified_at = 1 WHERE id = $1",
                              p0, 1),
                 0);
    struct api_response *r = api_as(s, &a[0], "POST", "/api/v1/notifications/devices",
                                    "{\"platform\":\"ios\",\"push_token\":\"apns-token-cccccccc\"}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    api_response_free(r);

    char body[300];
    for (int i = 0; i < 2; i++) {
        snprintf(body, sizeof body,
                 "{\"user_id\":\"%.63s\",\"application_id\":\"sap_x\",\"decision\":\"rejected\",\"reason\":\"r\"}",
                 a[i].id);
        dispatch(s, "seller_application.decided", body);
        wait_notif(s, a[i].id, "seller_application.decided", 1);
    }
    char st[16];
    for (int i = 0; i < 2; i++) {
        wait_final(s, a[i].id, "seller_application.decided", "in_app", st);
        cr_assert_str_eq(st, "sent");
        wait_final(s, a[i].id, "seller_application.decided", "email", st);
        cr_assert_str_eq(st, "sent");
        cr_assert_eq(mails(s, a[i].email, "Your seller application was not approved"), 1);
    }
    /* No phone, no device: skipped with the reason, never tried. */
    const char *p1[] = {a[1].id};
    delivery(s, a[1].id, "seller_application.decided", "sms", st);
    cr_assert_str_eq(st, "skipped");
    char why[64];
    cr_assert_eq(api_sql_text(s, "SELECT last_error FROM notification_deliveries WHERE user_id = $1 AND channel = 'sms'",
                              p1, 1, why, sizeof why),
                 1);
    cr_assert_str_eq(why, "no verified phone number");
    delivery(s, a[1].id, "seller_application.decided", "push", st);
    cr_assert_str_eq(st, "skipped");
    /* Phone and device, unreachable providers: tried, not sent, the error kept. */
    wait_delivery(s, a[0].id, "seller_application.decided", "sms", st);
    cr_assert_neq(strcmp(st, "sent"), 0);
    wait_delivery(s, a[0].id, "seller_application.decided", "push", st);
    cr_assert_neq(strcmp(st, "sent"), 0);
    cr_assert_eq(api_sql_text(s,
                              "SELECT last_error FROM notification_deliveries WHERE user_id = $1 AND channel = 'sms' "
                              "AND attempts > 0 AND last_error IS NOT NULL",
                              p0, 1, why, sizeof why),
                 1);
    api_assert_alive(s);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Events: the same event twice notifies once; events emitted by users and auth
 */
Test(notifications, idempotent_subscriber)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct api_account a;
    api_account(s, "seller", "uma", &a);

    /* Two dispatches of one event (same event_id), as a retried dispatch job would be. */
    char body[300];
    snprintf(body, sizeof body,
             "{\"event_id\":\"job_same\",\"payout_id\":\"pyo_1\",\"seller_id\":\"%s\","
             "\"amount\":{\"amount\":12345,\"currency\":\"USD\"}}",
             a.id);
    dispatch(s, "payout.sent", body);
    dispatch(s, "payout.sent", body);
    const char *pk[] = {"events.dispatch"};
    wait_int(s, "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state <> 'succeeded'", pk, 1, 0);
    cr_assert_eq(notif_count(s, a.id, "payout.sent"), 1);
    /* Re-running a finished dispatch job (its id is the event id) adds nothing either. */
    const char *pa[] = {a.id};
    cr_assert_eq(api_sql_exec(s,
                              "UPDATE jobs SET state = 'queued', run_at = 0, attempts = 0 WHERE kind = "
                              "'events.dispatch' AND payload LIKE '%' || CAST($1 AS TEXT) || '%'",
                              pa, 1),
                 0);
    wait_int(s, "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state <> 'succeeded'", pk, 1, 0);
    cr_assert_eq(notif_count(s, a.id, "payout.sent"), 1);

    struct api_response *r = api_as(s, &a, "GET", "/api/v1/notifications", NULL);
    json_t *n = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_str_eq(str(n, "title"), "Payout sent");
    cr_assert(strstr(str(n, "body"), "123.45 USD") != NULL, "%s", str(n, "body"));
    cr_assert_str_eq(str(json_object_get(n, "data"), "payout_id"), "pyo_1");
    api_response_free(r);

    /* A different event of the same type is a new notification. */
    snprintf(body, sizeof body, "{\"payout_id\":\"pyo_2\",\"seller_id\":\"%s\",\"amount\":{\"amount\":1,"
                                "\"currency\":\"USD\"}}",
             a.id);
    dispatch(s, "payout.sent", body);
    wait_notif(s, a.id, "payout.sent", 2);
    api_stop(s);
}

Test(notifications, application_decided_and_password_changed)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct api_account buyer, admin;
    api_account(s, "buyer", "vera", &buyer);
    api_account(s, "admin", "wes", &admin);

    struct api_response *r = api_as(s, &buyer, "POST", "/api/v1/sellers/apply", "{\"shop_name\":\"Vera Weaves\"}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/admin/seller-applications/%.100s/reject", str(r->json, "id"));
    api_response_free(r);
    r = api_as(s, &admin, "POST", path, "{\"reason\":\"Please add photos of your work.\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    wait_notif(s, buyer.id, "seller_application.decided", 1);
    r = api_as(s, &buyer, "GET", "/api/v1/notifications", NULL);
    json_t *n = json_array_get(json_object_get(r->json, "data"), 0);
    cr_assert_str_eq(str(n, "title"), "Your seller application was not approved");
    cr_assert(strstr(str(n, "body"), "Please add photos") != NULL);
    cr_assert_str_eq(str(json_object_get(n, "data"), "decision"), "rejected");
    api_response_free(r);

    /* A password reset emits password.changed: in-app here; auth sends its own security mail, so no email
     * delivery row and exactly one mail. */
    char body[200], tok[44];
    snprintf(body, sizeof body, "{\"email\":\"%s\"}", buyer.email);
    r = api_as(s, NULL, "POST", "/api/v1/auth/forgot-password", body);
    cr_assert_eq(r->status, 202, "%s", r->body);
    api_response_free(r);
    reset_token(s, buyer.email, tok);
    snprintf(body, sizeof body, "{\"token\":\"%s\",\"password\":\"amber-harbor-violin-93\"}", tok);
    r = api_as(s, NULL, "POST", "/api/v1/auth/reset-password", body);
    cr_assert_eq(r->status, 204, "%s", r->body);
    api_response_free(r);
    wait_notif(s, buyer.id, "password.changed", 1);
    char st[16];
    wait_final(s, buyer.id, "password.changed", "in_app", st);
    cr_assert_str_eq(st, "sent");
    delivery(s, buyer.id, "password.changed", "email", st);
    cr_assert_str_eq(st, "");
    cr_assert_eq(mails(s, buyer.email, "Your Artistry Cart password was changed"), 1);
    snprintf(body, sizeof body, "{\"user_id\":\"%s\"}", buyer.id);
    dispatch(s, "password.changed", body); /* another change, another notice */
    wait_notif(s, buyer.id, "password.changed", 2);
    api_stop(s);
}

/* Each event type reaches the right people, with its facts in the text. */
Test(notifications, every_event_type_reaches_its_recipients)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct api_account buyer, seller;
    api_account(s, "buyer", "xena", &buyer);
    api_account(s, "seller", "yuri", &seller);
    static const struct {
        const char *type, *extra;
        int to_buyer, to_seller;
        const char *needle;
    } cases[] = {
        {"order.placed", "\"order_id\":\"ord_1\"", 0, 1, "ord_1"},
        {"order.shipped", "\"order_id\":\"ord_2\",\"carrier\":\"UPS\",\"tracking_number\":\"1Z999\"", 1, 0,
         "with UPS, tracking number 1Z999"},
        {"order.delivered", "\"order_id\":\"ord_3\"", 1, 0, "ord_3"},
        {"order.cancelled", "\"order_id\":\"ord_4\"", 0, 0, NULL},
        {"proposal.received", "\"custom_order_id\":\"cor_1\",\"proposal_id\":\"prp_1\"", 1, 0, "cor_1"},
        {"proposal.accepted", "\"custom_order_id\":\"cor_2\",\"proposal_id\":\"prp_2\"", 0, 1, "cor_2"},
        {"milestone.funded", "\"custom_order_id\":\"cor_3\",\"milestone_id\":\"mst_1\",\"amount\":5000,"
                             "\"currency\":\"EUR\"", 0, 1, "50.00 EUR"},
        {"milestone.released", "\"custom_order_id\":\"cor_4\",\"milestone_id\":\"mst_2\",\"amount\":4250,"
                               "\"currency\":\"USD\"", 0, 1, "42.50 USD"},
    };
    char body[600];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(body, sizeof body, "{\"buyer_id\":\"%.63s\",\"seller_id\":\"%.63s\",%s}", buyer.id, seller.id,
                 cases[i].extra);
        dispatch(s, cases[i].type, body);
    }
    const char *pk[] = {"events.dispatch"};
    wait_int(s, "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state <> 'succeeded'", pk, 1, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(notif_count(s, buyer.id, cases[i].type), cases[i].to_buyer, "%s", cases[i].type);
        cr_assert_eq(notif_count(s, seller.id, cases[i].type), cases[i].to_seller, "%s", cases[i].type);
        if (cases[i].needle == NULL)
            continue;
        const char *p[] = {cases[i].to_buyer ? buyer.id : seller.id, cases[i].type};
        char text[400];
        cr_assert_eq(api_sql_text(s, "SELECT body FROM notifications WHERE user_id = $1 AND type = $2", p, 2, text,
                                  sizeof text),
                     1);
        cr_assert(strstr(text, cases[i].needle) != NULL, "%s: %s", cases[i].type, text);
    }
    char st[16];
    wait_final(s, buyer.id, "order.shipped", "sms", st);
    cr_assert_str_eq(st, "skipped", "order.shipped texts by default, but there is no phone");
    api_stop(s);
}
