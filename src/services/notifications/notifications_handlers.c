/*
 * notifications_handlers.c — a user's notifications and preferences:
 * GET /notifications, GET /notifications/unread-count,
 * PATCH /notifications/:id/read, PATCH /notifications/read-all,
 * GET and PATCH /notifications/preferences.
 *
 * Every query names the caller in its WHERE clause, so another user's
 * notification is simply not found (404). Marking read keeps the first
 * read_at, so repeating it changes nothing (idempotent).
 *
 * Preferences: GET returns the whole matrix (every notifiable type × every
 * channel) with the effective value and whether it is the default and
 * whether it is locked; PATCH takes {"preferences": [{event_type, channel,
 * enabled}, …]}, refuses the whole batch (422) when one item names an
 * unknown type or tries to change a locked channel, and applies the rest in
 * one transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/cursor.h"
#include "services/notifications/notifications_int.h"

/*-----------------------------------------------------------------------------
 * GET /notifications
 */
static int unread_count(struct request *req, int64_t *out, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, notif__sql(NQ_UNREAD_COUNT), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(req->user_id));
    int rc = db_step(st, dberr);
    *out = rc == 1 ? db_column_i64(st, 0) : 0;
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static json_t *notif_item(struct request *req, struct db_stmt *st, void *ud)
{
    (void)req;
    (void)ud;
    return notif__json(st, 0);
}

int notifications_handle_list(struct request *req, struct app_error *err)
{
    int64_t limit = req_param_i64(req, "limit", 20), at = 0, unread = 0;
    bool only_unread = req_param_bool(req, "unread", false);
    const char *after = NULL, *next = NULL;
    struct db_error dberr = {0};
    json_t *data = NULL;
    if (req_cursor_at(req, "ntf", &at, &after, err) != 0)
        goto fail;
    struct db_stmt *st = db_prepare(req->db, notif__sql(NQ_PAGE), &dberr);
    if (st == NULL)
        goto dbfail;
    db_bind(st, 1, DB_TEXT(req->user_id));
    db_bind(st, 2, after ? DB_I64(at) : DB_NULL);
    db_bind(st, 3, DB_TEXT(after));
    db_bind(st, 4, DB_I64(limit + 1));
    db_bind(st, 5, DB_I64(only_unread ? 1 : 0));
    if (req_page_at(req, st, limit, 6, 0, notif_item, NULL, &data, &next, &dberr) != 0 ||
        unread_count(req, &unread, &dberr) != 0)
        goto dbfail;
    res_json(req, 200,
             json_pack("{s:o, s:o, s:I}", "data", data, "next_cursor", next ? json_string(next) : json_null(),
                       "unread_count", (json_int_t)unread));
    return 0;
dbfail:
    req_db_error(req, &dberr, err);
fail:
    json_decref(data);
    return -1;
}

int notifications_handle_unread_count(struct request *req, struct app_error *err)
{
    struct db_error dberr = {0};
    int64_t n;
    if (unread_count(req, &n, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    res_json(req, 200, json_pack("{s:I}", "unread_count", (json_int_t)n));
    return 0;
}

/*-----------------------------------------------------------------------------
 * PATCH /notifications/:id/read, /notifications/read-all
 */
int notifications_handle_read(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    struct db_error dberr = {0};
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(req->user_id), DB_I64(time_now_ms())};
    int64_t n = db_exec(req->db, notif__sql(NQ_MARK_READ), p, 3, &dberr);
    if (n < 0)
        return req_db_error(req, &dberr, err);
    if (n == 0)
        return app_error_set(err, req->arena, "not_found", "no such notification");
    struct db_stmt *st = db_prepare(req->db, notif__sql(NQ_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    json_t *out = rc == 1 ? notif__json(st, 0) : NULL;
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (out == NULL)
        return app_error_set(err, req->arena, "not_found", "no such notification");
    res_json(req, 200, out);
    return 0;
}

int notifications_handle_read_all(struct request *req, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_param p[] = {DB_TEXT(req->user_id), DB_I64(time_now_ms())};
    int64_t n = db_exec(req->db, notif__sql(NQ_READ_ALL), p, 2, &dberr);
    if (n < 0)
        return req_db_error(req, &dberr, err);
    res_json(req, 200, json_pack("{s:I, s:I}", "updated", (json_int_t)n, "unread_count", (json_int_t)0));
    return 0;
}

/*-----------------------------------------------------------------------------
 * GET /notifications/preferences
 */

/* Overrides: bit per channel of rows present (set) and their values (on), per type index. */
struct overrides {
    unsigned set[64], on[64];
};

static int load_overrides(struct request *req, struct overrides *o, struct db_error *dberr)
{
    memset(o, 0, sizeof *o);
    struct db_stmt *st = db_prepare(req->db, notif__sql(NQ_PREFS_ALL), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(req->user_id));
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        const struct notif_type *t = notif__type(db_column_text(st, 0));
        int c = notif__channel(db_column_text(st, 1));
        if (t == NULL || c < 0)
            continue; /* a type that is no longer notifiable */
        size_t i = (size_t)(t - notif_types);
        o->set[i] |= 1u << c;
        if (db_column_i64(st, 2))
            o->on[i] |= 1u << c;
    }
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static json_t *matrix(const struct overrides *o)
{
    json_t *types = json_array();
    for (size_t i = 0; notif_types[i].type != NULL; i++) {
        const struct notif_type *t = &notif_types[i];
        json_t *channels = json_object();
        for (int c = 0; c < NC__COUNT; c++) {
            unsigned bit = 1u << c;
            bool locked = (t->locked & bit) != 0, overridden = !locked && (o->set[i] & bit);
            bool enabled = overridden ? (o->on[i] & bit) != 0 : (t->on & bit) != 0;
            json_object_set_new(channels, notif__channel_name((enum notif_channel)c),
                                json_pack("{s:b, s:b, s:b, s:b}", "enabled", enabled, "default", (t->on & bit) != 0,
                                          "locked", locked, "overridden", overridden));
        }
        json_array_append_new(types, json_pack("{s:s, s:o}", "event_type", t->type, "channels", channels));
    }
    return types;
}

static int reply_matrix(struct request *req, int status, struct app_error *err)
{
    struct overrides o;
    struct db_error dberr = {0};
    if (load_overrides(req, &o, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    json_t *channels = json_array();
    for (int c = 0; c < NC__COUNT; c++)
        json_array_append_new(channels, json_string(notif__channel_name((enum notif_channel)c)));
    res_json(req, status, json_pack("{s:o, s:o}", "channels", channels, "event_types", matrix(&o)));
    return 0;
}

int notifications_handle_get_prefs(struct request *req, struct app_error *err)
{
    return reply_matrix(req, 200, err);
}

/*-----------------------------------------------------------------------------
 * PATCH /notifications/preferences
 */
struct prefs_tx {
    struct request *req;
    json_t *items;
};

static int prefs_tx_fn(struct db *tx, void *ctx, struct db_error *dberr)
{
    struct prefs_tx *t = ctx;
    int64_t now = time_now_ms();
    size_t i;
    json_t *it;
    json_array_foreach(t->items, i, it)
    {
        struct db_param p[] = {DB_TEXT(t->req->user_id),
                               DB_TEXT(json_string_value(json_object_get(it, "event_type"))),
                               DB_TEXT(json_string_value(json_object_get(it, "channel"))),
                               DB_I64(json_is_true(json_object_get(it, "enabled")) ? 1 : 0), DB_I64(now)};
        if (db_exec(tx, notif__sql(NQ_PREF_UPSERT), p, 5, dberr) < 0)
            return -1;
    }
    return 0;
}

int notifications_handle_patch_prefs(struct request *req, struct app_error *err)
{
    json_t *items = json_object_get(req->json, "preferences");
    size_t i;
    json_t *it;
    int bad = 0;
    json_array_foreach(items, i, it)
    {
        const char *type = json_string_value(json_object_get(it, "event_type"));
        const char *field = arena_sprintf(req->arena, "preferences[%zu]", i);
        const struct notif_type *t = notif__type(type);
        int c = notif__channel(json_string_value(json_object_get(it, "channel")));
        if (t == NULL) {
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "%s.event_type", field), "invalid_value",
                                "not a notifiable event type");
            bad++;
        } else if (c >= 0 && (t->locked & (1u << c)) &&
                   json_is_true(json_object_get(it, "enabled")) != ((t->on & (1u << c)) != 0)) {
            app_error_add_field(err, req->arena, field, "locked",
                                "this channel cannot be changed for this event type (security notice)");
            bad++;
        }
    }
    if (bad > 0)
        return app_error_set(err, req->arena, "validation_failed", "%d preference%s cannot be set", bad,
                             bad == 1 ? "" : "s");
    struct prefs_tx t = {.req = req, .items = items};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, prefs_tx_fn, &t, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    return reply_matrix(req, 200, err);
}
