/*
 * test_retention.c — housekeeping: rows whose purpose has passed are
 * deleted by the retention ticker, and rows still in use are kept.
 *
 * Rows are inserted directly into the server's database (their own
 * services have their own suites); the ticker runs every 200 ms here.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"

TestSuite(retention, .fini = api_cleanup_all, .timeout = 120);

static const char *const fast_args[] = {"--retention-interval-ms", "200", NULL};

static void exec(struct api_server *s, const char *sql)
{
    cr_assert_eq(api_sql_exec(s, sql, NULL, 0), 0, "%s", sql);
}

static int count(struct api_server *s, const char *sql)
{
    char buf[32];
    cr_assert_eq(api_sql_text(s, sql, NULL, 0, buf, sizeof buf), 1, "%s", sql);
    return atoi(buf);
}

/* Wait until the expired rows are gone (or 10 s): the count query's result. */
static int wait_for(struct api_server *s, const char *sql, int want)
{
    int n = -1;
    for (int i = 0; i < 100 && (n = count(s, sql)) != want; i++)
        api_sleep_ms(100);
    return n;
}

Test(retention, expired_rows_go_live_rows_stay)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    long long now = api_now_ms(), day = 24LL * 3600 * 1000;
    char sql[1024];

    snprintf(sql, sizeof sql,
             "INSERT INTO revoked_tokens (jti, expires_at, created_at) VALUES "
             "('jti-old', %lld, %lld), ('jti-live', %lld, %lld)",
             now - 1000, now - 2000, now + 600000, now);
    exec(s, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO oauth_states (state, provider, nonce, pkce_verifier, created_at, expires_at) VALUES "
             "('st-old', 'google', 'n', 'v', %lld, %lld), ('st-live', 'google', 'n', 'v', %lld, %lld)",
             now - 700000, now - 100000, now, now + 600000);
    exec(s, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO jobs (id, kind, payload, state, run_at, attempts, created_at, updated_at, finished_at) "
             "VALUES ('job-old-ok', 'x.y', '{}', 'succeeded', 0, 1, 0, 0, %lld), "
             "('job-new-ok', 'x.y', '{}', 'succeeded', 0, 1, 0, 0, %lld), "
             "('job-old-dead', 'x.y', '{}', 'dead', 0, 3, 0, 0, %lld), "
             "('job-young-dead', 'x.y', '{}', 'dead', 0, 3, 0, 0, %lld)",
             now - 8 * day, now - day, now - 31 * day, now - 8 * day);
    exec(s, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO webhook_events_in (id, provider, event_id, type, payload, status, received_at) VALUES "
             "('whi-old', 'stripe', 'evt_old', 't', '{}', 'processed', %lld), "
             "('whi-old-failed', 'stripe', 'evt_fail', 't', '{}', 'failed', %lld), "
             "('whi-new', 'stripe', 'evt_new', 't', '{}', 'processed', %lld)",
             now - 31 * day, now - 31 * day, now - day);
    exec(s, sql);

    cr_expect_eq(wait_for(s, "SELECT count(*) FROM revoked_tokens", 1), 1);
    cr_expect_eq(count(s, "SELECT count(*) FROM revoked_tokens WHERE jti = 'jti-live'"), 1);
    cr_expect_eq(wait_for(s, "SELECT count(*) FROM oauth_states", 1), 1);
    cr_expect_eq(count(s, "SELECT count(*) FROM oauth_states WHERE state = 'st-live'"), 1);
    cr_expect_eq(wait_for(s, "SELECT count(*) FROM jobs WHERE id LIKE 'job-%'", 2), 2);
    cr_expect_eq(count(s, "SELECT count(*) FROM jobs WHERE id IN ('job-new-ok', 'job-young-dead')"), 2);
    /* A failed webhook event stays for an operator to look at, however old. */
    cr_expect_eq(wait_for(s, "SELECT count(*) FROM webhook_events_in", 2), 2);
    cr_expect_eq(count(s, "SELECT count(*) FROM webhook_events_in WHERE id = 'whi-old'"), 0);
    api_stop(s);
}

Test(retention, finished_webhook_deliveries_and_old_read_notifications)
{
    struct api_opts o = {.args = fast_args};
    struct api_server *s = api_start(&o);
    struct api_account u;
    api_account(s, "seller", "ret", &u);
    long long now = api_now_ms(), day = 24LL * 3600 * 1000;
    char sql[2048];

    snprintf(sql, sizeof sql,
             "INSERT INTO webhook_endpoints (id, owner_id, url, secret, created_at, updated_at) "
             "VALUES ('whe-ret', '%s', 'https://example.com/hook', 'whsec_x', %lld, %lld)",
             u.id, now, now);
    exec(s, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, "
             "created_at, updated_at) VALUES "
             "('whd-old-ok', 'whe-ret', 'e1', 'order.paid', '{}', 'succeeded', %lld, %lld), "
             "('whd-old-dead', 'whe-ret', 'e2', 'order.paid', '{}', 'dead', %lld, %lld), "
             "('whd-old-pending', 'whe-ret', 'e3', 'order.paid', '{}', 'pending', %lld, %lld), "
             "('whd-new-ok', 'whe-ret', 'e4', 'order.paid', '{}', 'succeeded', %lld, %lld)",
             now - 31 * day, now - 31 * day, now - 31 * day, now - 31 * day, now - 31 * day, now - 31 * day,
             now - day, now - day);
    exec(s, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO webhook_delivery_attempts (id, delivery_id, attempt, succeeded, duration_ms, created_at) "
             "VALUES ('wha-old', 'whd-old-ok', 1, 1, 12, %lld)",
             now - 31 * day);
    exec(s, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO notifications (id, user_id, type, title, read_at, created_at) VALUES "
             "('ntf-old-read', '%s', 'order.paid', 't', %lld, %lld), "
             "('ntf-old-unread', '%s', 'order.paid', 't', NULL, %lld), "
             "('ntf-new-read', '%s', 'order.paid', 't', %lld, %lld)",
             u.id, now - 181 * day, now - 181 * day, u.id, now - 181 * day, u.id, now - day, now - day);
    exec(s, sql);

    /* Finished and old: gone with their attempts. Pending (however old) and young: kept. */
    cr_expect_eq(wait_for(s, "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = 'whe-ret'", 2), 2);
    cr_expect_eq(count(s, "SELECT count(*) FROM webhook_deliveries WHERE id IN ('whd-old-pending', 'whd-new-ok')"), 2);
    cr_expect_eq(count(s, "SELECT count(*) FROM webhook_delivery_attempts WHERE id = 'wha-old'"), 0);
    /* Read and old: gone. Unread (however old) and young: kept. */
    cr_expect_eq(wait_for(s, "SELECT count(*) FROM notifications WHERE id LIKE 'ntf-%'", 2), 2);
    cr_expect_eq(count(s, "SELECT count(*) FROM notifications WHERE id IN ('ntf-old-unread', 'ntf-new-read')"), 2);
    api_stop(s);
}
