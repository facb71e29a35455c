/*
 * notifications_jobs.c — the notify.deliver job: one delivery row, one
 * channel.
 *
 *   in_app  rt_emit("user:<id>", "notification", <the REST object>)
 *   email   mailer_send_result (outbox, SMTP or SendGrid, by configuration)
 *   sms     sms_send to the user's verified phone
 *   push    push_send to each active device; a token the provider calls
 *           unregistered disables its device
 *
 * Outcome, written to the delivery row (attempts + 1 each run):
 *   sent                         status sent, provider_ref, sent_at
 *   permanent failure            status failed, last_error; job succeeds
 *   transient failure            last_error, next_attempt_at; the job
 *                                fails so the queue retries with backoff;
 *                                after its last attempt: failed
 *   nothing to send to any more  status skipped (phone or devices gone)
 * Only a 'pending' row is worked on, so a job re-run after a crash between
 * the send and the update cannot send twice once the update landed; one
 * that crashed before it may send twice (at-least-once, like every job;
 * email carries the delivery id as Message-ID for receivers to spot it).
 *
 * Caveats: push to several devices counts as sent when any device took it;
 * a retry (no device took it) sends to all of them again.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/jobs.h"
#include "platform/mailer.h"
#include "platform/push.h"
#include "platform/sms.h"
#include "realtime/realtime.h"
#include "services/notifications/notifications_int.h"

#define DELIVER_MAX_ATTEMPTS 8
#define PUSH_MAX_DEVICES 20

enum outcome { OUT_SENT, OUT_FAILED, OUT_SKIPPED, OUT_RETRY };

struct delivery {
    const char *id, *channel, *status, *user_id, *email, *phone;
    const char *notification_id, *type, *title, *body;
    json_t *notification; /* the REST object */
    enum outcome outcome;
    const char *ref, *error;
};

static const char *dup(struct arena *a, struct db_stmt *st, int col)
{
    const char *s = db_column_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

/* 1 loaded, 0 gone, -1 error. */
static int load(struct job *job, struct delivery *d, struct db_error *err)
{
    struct db_stmt *st = db_prepare(job->db, notif__sql(NQ_DELIVERY_LOAD), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(d->id));
    int rc = db_step(st, err);
    if (rc == 1) {
        d->channel = dup(job->arena, st, 0);
        d->status = dup(job->arena, st, 1);
        d->user_id = dup(job->arena, st, 3);
        d->email = dup(job->arena, st, 4);
        d->phone = db_column_is_null(st, 6) ? NULL : dup(job->arena, st, 5);
        d->notification_id = dup(job->arena, st, 7);
        d->type = dup(job->arena, st, 8);
        d->title = dup(job->arena, st, 9);
        d->body = dup(job->arena, st, 10);
        d->notification = notif__json(st, 7);
    }
    db_reset(st);
    return rc;
}

static void set(struct delivery *d, enum outcome o, const char *ref, const char *error)
{
    d->outcome = o;
    d->ref = ref;
    d->error = error;
}

/*-----------------------------------------------------------------------------
 * Channels
 */
static void send_in_app(struct job *job, struct delivery *d)
{
    const char *room = arena_sprintf(job->arena, "user:%s", d->user_id);
    if (rt_emit(room, "notification", d->notification, NULL) != 0)
        log_warn("notification delivered on this instance only", "delivery=%s", d->id);
    set(d, OUT_SENT, NULL, NULL);
}

static void send_email(struct job *job, struct delivery *d)
{
    const struct config *cfg = job->app->cfg;
    struct channel_result r = {0};
    const char *text = arena_sprintf(job->arena,
                                     "%s\n\n"
                                     "See it in Artistry Cart: %s/notifications\n\n"
                                     "Choose which emails you get: %s/settings/notifications\n",
                                     d->body[0] ? d->body : d->title, cfg->public_url, cfg->public_url);
    struct mail m = {.to = d->email, .subject = d->title, .text = text, .message_id = d->id};
    if (mailer_send_result(cfg, &m, &r) == 0)
        set(d, OUT_SENT, arena_strdup(job->arena, r.ref), NULL);
    else
        set(d, r.permanent ? OUT_FAILED : OUT_RETRY, NULL, arena_strdup(job->arena, r.error));
}

static void send_sms(struct job *job, struct delivery *d)
{
    struct channel_result r = {0};
    if (d->phone == NULL) {
        set(d, OUT_SKIPPED, NULL, "no verified phone number");
        return;
    }
    const char *text = arena_sprintf(job->arena, "Artistry Cart: %s%s%s", d->title, d->body[0] ? " - " : "",
                                     d->body);
    if (sms_send(job->app->cfg, d->phone, text, &r) == 0)
        set(d, OUT_SENT, arena_strdup(job->arena, r.ref), NULL);
    else
        set(d, r.permanent ? OUT_FAILED : OUT_RETRY, NULL, arena_strdup(job->arena, r.error));
}

/* Push data: string values only (FCM), the notification's id and type plus its data's scalars. */
static json_t *push_data(const struct delivery *d)
{
    json_t *out = json_pack("{s:s, s:s}", "notification_id", d->notification_id, "type", d->type);
    const char *k;
    json_t *v;
    char num[32];
    json_object_foreach(json_object_get(d->notification, "data"), k, v)
    {
        if (json_is_string(v)) {
            json_object_set(out, k, v);
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            json_object_set_new(out, k, json_string(num));
        }
    }
    return out;
}

static int send_push(struct job *job, struct delivery *d, struct db_error *err)
{
    const char *ids[PUSH_MAX_DEVICES], *tokens[PUSH_MAX_DEVICES];
    int n = 0, sent = 0, retry = 0, rc;
    struct db_stmt *st = db_prepare(job->db, notif__sql(NQ_ACTIVE_DEVICES), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(d->user_id));
    while (n < PUSH_MAX_DEVICES && (rc = db_step(st, err)) == 1) {
        ids[n] = dup(job->arena, st, 0);
        tokens[n++] = dup(job->arena, st, 1);
    }
    db_reset(st);
    if (n < PUSH_MAX_DEVICES && rc < 0)
        return -1;
    if (n == 0) {
        set(d, OUT_SKIPPED, NULL, "no active device");
        return 0;
    }
    json_t *data = push_data(d);
    const char *ref = NULL, *error = NULL;
    for (int i = 0; i < n; i++) {
        struct channel_result r = {0};
        if (push_send(job->app->cfg, tokens[i], d->title, d->body, data, &r) == 0) {
            sent++;
            if (ref == NULL)
                ref = arena_strdup(job->arena, r.ref);
            continue;
        }
        error = arena_sprintf(job->arena, "device %s: %s", ids[i], r.error);
        if (r.unregistered) {
            struct db_param p[] = {DB_TEXT(ids[i]), DB_I64(time_now_ms())};
            if (db_exec(job->db, notif__sql(NQ_DEVICE_DISABLE), p, 2, err) < 0) {
                json_decref(data);
                return -1;
            }
            log_info("push token unregistered: device disabled", "device=%s", ids[i]);
        } else if (!r.permanent) {
            retry++;
        }
    }
    json_decref(data);
    if (sent > 0)
        set(d, OUT_SENT, ref, NULL);
    else
        set(d, retry > 0 ? OUT_RETRY : OUT_FAILED, NULL, error);
    return 0;
}

/*-----------------------------------------------------------------------------
 * The job
 */
static int record(struct job *job, struct delivery *d, struct db_error *err)
{
    static const char *const status[] = {[OUT_SENT] = "sent", [OUT_FAILED] = "failed",
                                         [OUT_SKIPPED] = "skipped", [OUT_RETRY] = "pending"};
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(d->id),
                           DB_TEXT(status[d->outcome]),
                           DB_TEXT(d->ref && d->ref[0] ? d->ref : NULL),
                           DB_TEXT(d->error),
                           d->outcome == OUT_SENT ? DB_I64(now) : DB_NULL,
                           d->outcome == OUT_RETRY ? DB_I64(now + jobs_backoff_ms(job->attempt)) : DB_NULL,
                           DB_I64(now)};
    return db_exec(job->db, notif__sql(NQ_DELIVERY_UPDATE), p, 7, err) < 0 ? -1 : 0;
}

static int deliver_job(struct job *job, const char **errmsg)
{
    struct delivery d = {.id = json_string_value(json_object_get(job->payload, "delivery_id"))};
    struct db_error err = {0};
    int ret = -1;
    if (d.id == NULL) {
        log_error("notify.deliver without a delivery id", "job=%s", job->id);
        return 0; /* retrying a malformed payload cannot help */
    }
    int rc = load(job, &d, &err);
    if (rc <= 0) {
        *errmsg = rc == 0 ? NULL : arena_sprintf(job->arena, "load: %s", err.msg);
        return rc == 0 ? 0 : -1; /* gone: the user or notification was deleted */
    }
    if (strcmp(d.status, "pending") != 0) {
        ret = 0;
        goto out;
    }
    switch (notif__channel(d.channel)) {
    case NC_IN_APP:
        send_in_app(job, &d);
        break;
    case NC_EMAIL:
        send_email(job, &d);
        break;
    case NC_SMS:
        send_sms(job, &d);
        break;
    case NC_PUSH:
        if (send_push(job, &d, &err) != 0) {
            *errmsg = arena_sprintf(job->arena, "push: %s", err.msg);
            goto out;
        }
        break;
    default:
        set(&d, OUT_FAILED, NULL, "unknown channel");
    }
    if (d.outcome == OUT_RETRY && job->attempt >= job->max_attempts)
        d.outcome = OUT_FAILED;
    if (record(job, &d, &err) != 0) {
        *errmsg = arena_sprintf(job->arena, "record: %s", err.msg);
        goto out;
    }
    if (d.outcome == OUT_RETRY) {
        *errmsg = arena_sprintf(job->arena, "%s: %s", d.channel, d.error ? d.error : "failed");
        goto out;
    }
    if (d.outcome == OUT_FAILED)
        log_warn("notification delivery failed", "delivery=%s channel=%s", d.id, d.channel);
    ret = 0;
out:
    json_decref(d.notification);
    return ret;
}

void notif__register_jobs(struct job_registry *r)
{
    jobs_register(r, NOTIF_JOB_DELIVER, deliver_job, DELIVER_MAX_ATTEMPTS);
}
