/*
 * webhooks_jobs.c — the delivery job: one HTTP attempt of one delivery,
 * its record, the next attempt, and the endpoint's health.
 *
 * Every attempt is its own job (kind webhooks.deliver, payload
 * {delivery_id, due, manual}) whose run_at is the delivery's
 * next_attempt_at; the handler returns 0 whatever the receiver said (the
 * outcome lives in webhook_deliveries), and -1 only when the database
 * failed, so the job queue's own retries cover our storage, not the
 * receiver. A job whose "due" no longer equals the delivery's
 * next_attempt_at (a manual retry superseded it) or whose delivery is no
 * longer pending/failed does nothing.
 *
 * Delivery states: pending (queued, not attempted since the last change)
 * → succeeded (a 2xx) | failed (retry scheduled at next_attempt_at) |
 * dead (attempts exhausted, or the endpoint was disabled); failed →
 * succeeded | failed | dead; any state but pending → pending by a manual
 * retry (POST /webhooks/deliveries/:id/retry).
 *
 * Schedule: webhooks_retry_schedule (units of webhooks_retry_unit_ms)
 * gives the wait after attempt 1, 2, …; max attempts = entries + 1; each
 * wait gets up to +20% random jitter. Health: every failed attempt adds one
 * to consecutive_failures (a 2xx resets it); the endpoint is disabled when
 * it reaches webhooks_disable_after, or when a delivery goes dead while the
 * endpoint has been failing without a success for 24 h; its owner is then
 * notified (webhook.endpoint_disabled) in the same transaction.
 *
 * Caveats: at-least-once: a worker that dies after the POST and before the
 * record commits re-sends on the job's retry (receivers dedupe on
 * Artistry-Webhook-Id). The POST runs outside any transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/jobs.h"
#include "services/notifications/notifications.h"
#include "services/webhooks/webhooks_int.h"

#define DAY_MS INT64_C(86400000)
#define MAX_SCHEDULE 32
#define JOB_DB_ATTEMPTS 5

int webhooks__enqueue(struct db *tx, const char *delivery_id, int64_t due_ms, bool manual, struct db_error *err)
{
    json_t *payload =
        json_pack("{s:s, s:I, s:b}", "delivery_id", delivery_id, "due", (json_int_t)due_ms, "manual", manual);
    struct job_opts o = {.run_at_ms = due_ms};
    int rc = jobs_enqueue(tx, WEBHOOKS_JOB_DELIVER, payload, &o, NULL, err);
    json_decref(payload);
    return rc;
}

/* The configured waits in ms; returns how many (max attempts - 1). */
static int schedule(const struct config *cfg, int64_t *waits)
{
    int n = 0;
    const char *p = cfg->webhooks_retry_schedule ? cfg->webhooks_retry_schedule : "";
    while (*p != '\0' && n < MAX_SCHEDULE) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p)
            break;
        if (v > 0)
            waits[n++] = (int64_t)v * cfg->webhooks_retry_unit_ms;
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

static int64_t jitter(int64_t wait)
{
    uint32_t r;
    random_bytes(&r, sizeof r);
    return wait + (int64_t)((double)wait * 0.2 * ((double)r / 4294967295.0));
}

/*-----------------------------------------------------------------------------
 * Loading
 */
struct delivery {
    char id[ID_MAX_LEN], endpoint_id[ID_MAX_LEN], event_id[ID_MAX_LEN + 8];
    char status[16], ep_status[16];
    char *payload, *url, *secret, *previous; /* job arena */
    int attempts;
    int64_t next_attempt_at, previous_until;
};

static char *dup_col(struct arena *a, struct db_stmt *st, int col)
{
    const char *s = db_column_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

/* 1 found, 0 not, -1 error. */
static int load(struct job *job, const char *id, struct delivery *d, struct db_error *err)
{
    struct db_stmt *st = db_prepare(job->db, webhooks__sql(WH_Q_DLV_LOAD), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, err);
    if (rc == 1) {
        snprintf(d->id, sizeof d->id, "%s", db_column_text(st, 0));
        snprintf(d->endpoint_id, sizeof d->endpoint_id, "%s", db_column_text(st, 1));
        snprintf(d->event_id, sizeof d->event_id, "%s", db_column_text(st, 2));
        d->payload = dup_col(job->arena, st, 3);
        snprintf(d->status, sizeof d->status, "%s", db_column_text(st, 4));
        d->attempts = (int)db_column_i64(st, 5);
        d->next_attempt_at = db_column_is_null(st, 6) ? -1 : db_column_i64(st, 6);
        d->url = dup_col(job->arena, st, 7);
        d->secret = dup_col(job->arena, st, 8);
        d->previous = dup_col(job->arena, st, 9);
        d->previous_until = db_column_is_null(st, 10) ? 0 : db_column_i64(st, 10);
        snprintf(d->ep_status, sizeof d->ep_status, "%s", db_column_text(st, 11));
    }
    db_reset(st);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Recording an attempt
 */
struct record_tx {
    struct job *job;
    const struct delivery *d;
    const struct webhooks_http_result *r;
    bool manual;
    int64_t now;
};

static int disable(struct db *tx, const char *endpoint_id, const char *owner, const char *url, const char *reason,
                   int failures, int64_t now, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(endpoint_id), DB_I64(now), DB_TEXT(reason)};
    int64_t n = db_exec(tx, webhooks__sql(WH_Q_EP_DISABLE), p, 3, err);
    if (n <= 0)
        return (int)n;
    log_info("webhooks: endpoint disabled", "endpoint=%s reason=%s", endpoint_id, reason);
    json_t *data = json_pack("{s:s, s:s, s:s, s:i}", "endpoint_id", endpoint_id, "url", url, "reason", reason,
                             "consecutive_failures", failures);
    char body[512];
    snprintf(body, sizeof body,
             "Deliveries to %.300s kept failing (%d failed attempts in a row); re-enable it with "
             "PATCH /api/v1/webhooks/endpoints/%s once it answers 2xx.",
             url, failures, endpoint_id);
    int rc = notify_user(tx, owner, "webhook.endpoint_disabled", "Webhook endpoint disabled", body, data, err);
    json_decref(data);
    return rc;
}

/* A failed attempt's effect on the endpoint. */
static int count_failure(struct db *tx, const struct delivery *d, bool dead, int64_t now, const struct config *cfg,
                         struct db_error *err)
{
    struct db_stmt *st = db_prepare(tx, webhooks__sql(WH_Q_EP_FAILURE), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(d->endpoint_id));
    db_bind(st, 2, DB_I64(now));
    int rc = db_step(st, err);
    int failures = 0;
    int64_t since = now;
    char status[16] = "", owner[ID_MAX_LEN] = "", url[2100] = "";
    if (rc == 1) {
        failures = (int)db_column_i64(st, 0);
        since = db_column_is_null(st, 1) ? now : db_column_i64(st, 1);
        snprintf(status, sizeof status, "%s", db_column_text(st, 2));
        snprintf(owner, sizeof owner, "%s", db_column_text(st, 3));
        snprintf(url, sizeof url, "%s", db_column_text(st, 4));
    }
    db_reset(st);
    if (rc <= 0 || strcmp(status, "active") != 0)
        return rc < 0 ? -1 : 0;
    if (failures >= cfg->webhooks_disable_after)
        return disable(tx, d->endpoint_id, owner, url, "consecutive_failures", failures, now, err) < 0 ? -1 : 0;
    if (dead && since <= now - DAY_MS)
        return disable(tx, d->endpoint_id, owner, url, "failing_for_a_day", failures, now, err) < 0 ? -1 : 0;
    return 0;
}

static int record_tx_fn(struct db *tx, void *ctx, struct db_error *err)
{
    struct record_tx *t = ctx;
    const struct delivery *d = t->d;
    const struct webhooks_http_result *r = t->r;
    const struct config *cfg = t->job->app->cfg;
    bool ok = r->status >= 200 && r->status <= 299;
    int attempt = d->attempts + 1;
    int64_t waits[MAX_SCHEDULE];
    int nwaits = schedule(cfg, waits);
    bool dead = !ok && attempt >= nwaits + 1;
    int64_t next = ok || dead ? -1 : t->now + jitter(waits[attempt - 1 < nwaits ? attempt - 1 : nwaits - 1]);
    const char *status = ok ? "succeeded" : dead ? "dead" : "failed";
    char aid[ID_MAX_LEN];
    struct db_param res[] = {DB_TEXT(d->id),
                             DB_TEXT(status),
                             DB_I64(attempt),
                             next < 0 ? DB_NULL : DB_I64(next),
                             r->status ? DB_I64(r->status) : DB_NULL,
                             r->status ? DB_TEXT(r->excerpt) : DB_NULL,
                             ok ? DB_NULL : DB_TEXT(r->error),
                             ok ? DB_I64(t->now) : DB_NULL,
                             DB_I64(t->now)};
    int64_t n = db_exec(tx, webhooks__sql(WH_Q_DLV_RESULT), res, 9, err);
    if (n <= 0)
        return (int)n; /* another run recorded this attempt */
    struct db_param att[] = {DB_TEXT(id_generate(WH_ATTEMPT_PREFIX, aid, sizeof aid)),
                             DB_TEXT(d->id),
                             DB_I64(attempt),
                             DB_I64(t->manual ? 1 : 0),
                             DB_I64(ok ? 1 : 0),
                             r->status ? DB_I64(r->status) : DB_NULL,
                             r->status ? DB_TEXT(r->excerpt) : DB_NULL,
                             ok ? DB_NULL : DB_TEXT(r->error),
                             DB_I64(r->duration_ms),
                             DB_I64(t->now)};
    if (db_exec(tx, webhooks__sql(WH_Q_ATT_INSERT), att, 10, err) < 0)
        return -1;
    if (ok) {
        struct db_param p[] = {DB_TEXT(d->endpoint_id)};
        return db_exec(tx, webhooks__sql(WH_Q_EP_SUCCESS), p, 1, err) < 0 ? -1 : 0;
    }
    if (!dead && webhooks__enqueue(tx, d->id, next, false, err) != 0)
        return -1;
    return count_failure(tx, d, dead, t->now, cfg, err);
}

/*-----------------------------------------------------------------------------
 * The job
 */
static int skip(struct job *job, const struct delivery *d, const char *why, const char **errmsg)
{
    struct db_error err = {0};
    struct db_param p[] = {DB_TEXT(d->id), DB_TEXT(why), DB_I64(time_now_ms())};
    if (db_exec(job->db, webhooks__sql(WH_Q_DLV_SKIP), p, 3, &err) < 0) {
        *errmsg = arena_sprintf(job->arena, "skip: %s", err.msg);
        return -1;
    }
    return 0;
}

static int deliver_job(struct job *job, const char **errmsg)
{
    const char *id = json_string_value(json_object_get(job->payload, "delivery_id"));
    json_t *due = json_object_get(job->payload, "due");
    bool manual = json_is_true(json_object_get(job->payload, "manual"));
    struct delivery d = {0};
    struct db_error err = {0};
    if (id == NULL || !json_is_integer(due)) {
        *errmsg = "payload has no delivery_id/due";
        return 0; /* will not get better */
    }
    int rc = load(job, id, &d, &err);
    if (rc <= 0) {
        if (rc < 0)
            *errmsg = arena_sprintf(job->arena, "load: %s", err.msg);
        return rc; /* 0: deleted with its endpoint */
    }
    if ((strcmp(d.status, "pending") != 0 && strcmp(d.status, "failed") != 0) ||
        d.next_attempt_at != json_integer_value(due))
        return 0; /* superseded */
    if (strcmp(d.ep_status, "active") != 0)
        return skip(job, &d, "endpoint disabled", errmsg);

    int64_t now = time_now_ms(), t = now / 1000;
    char ts[32], sig[300], hid[96], hts[64], hsig[340];
    snprintf(ts, sizeof ts, "%lld", (long long)t);
    const char *prev = d.previous != NULL && d.previous_until > now ? d.previous : NULL;
    size_t len = strlen(d.payload);
    webhooks_signature_header(d.secret, prev, t, d.payload, len, sig, sizeof sig);
    snprintf(hid, sizeof hid, "Artistry-Webhook-Id: %s", d.event_id);
    snprintf(hts, sizeof hts, "Artistry-Webhook-Timestamp: %s", ts);
    snprintf(hsig, sizeof hsig, "Artistry-Signature: %s", sig);
    const char *headers[] = {"Content-Type: application/json", hid, hts, hsig, NULL};
    struct webhooks_http_result r;
    webhooks__post(job->app->cfg, d.url, headers, d.payload, len, &r);

    struct record_tx rt = {.job = job, .d = &d, .r = &r, .manual = manual, .now = time_now_ms()};
    if (db_tx(job->db, JOB_DB_ATTEMPTS, record_tx_fn, &rt, &err) != 0) {
        *errmsg = arena_sprintf(job->arena, "record: %s", err.msg);
        return -1;
    }
    return 0;
}

void webhooks__register(struct job_registry *r)
{
    jobs_register(r, WEBHOOKS_JOB_DELIVER, deliver_job, 3);
}
