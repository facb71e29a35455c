/*
 * notifications_core.c — notify_user: one notification row, one delivery
 * row per channel the user gets for its type, one notify.deliver job per
 * delivery that can run, all in the caller's transaction.
 *
 * The channels: the type's defaults (notifications_types.c), overridden by
 * the user's notification_preferences rows except where locked. A channel
 * the user cannot receive gets a 'skipped' delivery with the reason in
 * last_error (no verified phone for SMS, no active device for push, no
 * address or an inactive account for email), so support can see why
 * nothing arrived. No network call happens here: every send runs in the
 * job (notifications_jobs.c), one job per channel, so a failing channel
 * never holds up the others.
 *
 * Caveats: a type not in the table is notified in-app only (and logged);
 * a user that does not exist (deleted since the event) is skipped, not an
 * error, so an event about them does not fail its dispatch forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/jobs.h"
#include "services/notifications/notifications.h"
#include "services/notifications/notifications_int.h"

const char *notif__time(int64_t ms, char *buf, size_t cap)
{
    return time_format_rfc3339(ms, buf, cap);
}

json_t *notif__json(struct db_stmt *st, int col)
{
    char created[40], read[40];
    json_t *data = json_loads(db_column_text(st, col + 4) ? db_column_text(st, col + 4) : "{}", 0, NULL);
    if (!json_is_object(data)) {
        json_decref(data);
        data = json_object();
    }
    bool is_read = !db_column_is_null(st, col + 5);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:s}", "id", db_column_text(st, col), "type",
                     db_column_text(st, col + 1), "title", db_column_text(st, col + 2), "body",
                     db_column_text(st, col + 3) ? db_column_text(st, col + 3) : "", "data", data, "read", is_read,
                     "read_at",
                     is_read ? json_string(notif__time(db_column_i64(st, col + 5), read, sizeof read)) : json_null(),
                     "created_at", notif__time(db_column_i64(st, col + 6), created, sizeof created));
}

static int fail(struct db_error *err, const char *msg)
{
    err->kind = DB_E_OTHER;
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return -1;
}

/* The channels user_id gets for t: defaults, then overrides where not locked. */
static int effective_channels(struct db *tx, const char *user_id, const char *type, const struct notif_type *t,
                              unsigned *out, struct db_error *err)
{
    unsigned on = t->on;
    struct db_stmt *st = db_prepare(tx, notif__sql(NQ_PREFS_FOR_TYPE), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(user_id));
    db_bind(st, 2, DB_TEXT(type));
    int rc;
    while ((rc = db_step(st, err)) == 1) {
        int c = notif__channel(db_column_text(st, 0));
        if (c < 0 || (t->locked & (1u << c)))
            continue;
        if (db_column_i64(st, 1))
            on |= 1u << c;
        else
            on &= ~(1u << c);
    }
    db_reset(st);
    *out = on & ~t->external;
    return rc < 0 ? -1 : 0;
}

struct contact {
    bool found, has_email, active, has_phone;
};

static int load_contact(struct db *tx, const char *user_id, struct contact *c, struct db_error *err)
{
    memset(c, 0, sizeof *c);
    struct db_stmt *st = db_prepare(tx, notif__sql(NQ_USER_CONTACT), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(user_id));
    int rc = db_step(st, err);
    if (rc == 1) {
        const char *email = db_column_text(st, 0), *status = db_column_text(st, 3);
        c->found = true;
        c->has_email = email != NULL && strchr(email, '@') != NULL;
        c->active = status != NULL && strcmp(status, "active") == 0;
        c->has_phone = db_column_text(st, 1) != NULL && !db_column_is_null(st, 2);
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int has_device(struct db *tx, const char *user_id, bool *out, struct db_error *err)
{
    struct db_stmt *st = db_prepare(tx, notif__sql(NQ_ACTIVE_DEVICES), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(user_id));
    int rc = db_step(st, err);
    db_reset(st);
    *out = rc == 1;
    return rc < 0 ? -1 : 0;
}

/* Why user cannot receive channel c now, or NULL when they can. */
static int skip_reason(struct db *tx, const char *user_id, const struct contact *ct, enum notif_channel c,
                       const char **reason, struct db_error *err)
{
    bool dev = false;
    *reason = NULL;
    switch (c) {
    case NC_EMAIL:
        if (!ct->has_email || !ct->active)
            *reason = ct->has_email ? "account not active" : "no email address";
        break;
    case NC_SMS:
        if (!ct->has_phone)
            *reason = "no verified phone number";
        break;
    case NC_PUSH:
        if (has_device(tx, user_id, &dev, err) != 0)
            return -1;
        if (!dev)
            *reason = "no active device";
        break;
    default:
        break;
    }
    return 0;
}

static int add_delivery(struct db *tx, const char *notification_id, const char *user_id, enum notif_channel c,
                        const char *reason, int64_t now, struct db_error *err)
{
    char id[ID_MAX_LEN];
    id_generate("ndl", id, sizeof id);
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(notification_id), DB_TEXT(user_id),
                           DB_TEXT(notif__channel_name(c)), DB_TEXT(reason ? "skipped" : "pending"),
                           DB_TEXT(reason), DB_I64(now)};
    if (db_exec(tx, notif__sql(NQ_DELIVERY_INSERT), p, 7, err) < 0)
        return -1;
    if (reason != NULL)
        return 0;
    json_t *payload = json_pack("{s:s}", "delivery_id", id);
    int rc = jobs_enqueue(tx, NOTIF_JOB_DELIVER, payload, NULL, NULL, err);
    json_decref(payload);
    return rc;
}

int notif__notify(struct db *tx, const char *user_id, const char *type, const char *title, const char *body,
                  json_t *data, const char *dedupe_key, bool *created, struct db_error *err)
{
    static const struct notif_type in_app_only = {NULL, 1u << NC_IN_APP, 0, 0};
    if (created != NULL)
        *created = false;
    if (user_id == NULL || type == NULL || title == NULL)
        return fail(err, "notify_user: user_id, type and title are required");
    const struct notif_type *t = notif__type(type);
    if (t == NULL) {
        log_warn("notification of a type without defaults: in-app only", "type=%s", type);
        t = &in_app_only;
    }
    unsigned on;
    struct contact ct;
    if (load_contact(tx, user_id, &ct, err) != 0)
        return -1;
    if (!ct.found) {
        log_warn("notification for a user that does not exist: dropped", "type=%s", type);
        return 0;
    }
    if (effective_channels(tx, user_id, type, t, &on, err) != 0)
        return -1;
    char id[ID_MAX_LEN];
    id_generate("ntf", id, sizeof id);
    char *text = json_dumps(json_is_object(data) ? data : NULL, JSON_COMPACT);
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(id),   DB_TEXT(user_id),          DB_TEXT(type),
                           DB_TEXT(title), DB_TEXT(body ? body : ""), DB_TEXT(text ? text : "{}"),
                           DB_TEXT(dedupe_key), DB_I64(now)};
    int64_t n = db_exec(tx, notif__sql(NQ_INSERT), p, 8, err);
    free(text);
    if (n <= 0)
        return (int)n; /* 0: this user already has it (dedupe_key) */
    for (int c = 0; c < NC__COUNT; c++) {
        const char *reason;
        if (!(on & (1u << c)))
            continue;
        if (skip_reason(tx, user_id, &ct, (enum notif_channel)c, &reason, err) != 0 ||
            add_delivery(tx, id, user_id, (enum notif_channel)c, reason, now, err) != 0)
            return -1;
    }
    if (created != NULL)
        *created = true;
    return 0;
}

int notify_user(struct db *tx, const char *user_id, const char *type, const char *title, const char *body,
                json_t *data, struct db_error *err)
{
    return notif__notify(tx, user_id, type, title, body, data, NULL, NULL, err);
}
