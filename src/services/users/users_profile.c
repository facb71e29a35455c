/*
 * users_profile.c — the caller's profile, other users' profiles (self or
 * admin), public profiles and preferences.
 *
 * Preferences live in users.preferences as JSON holding only what the user
 * changed: {"notifications": {event: {channel: bool}}, "currency", "language"}.
 * Reads merge them over the defaults below, so adding an event type later
 * needs no migration. PATCH merges field by field; null resets a field to
 * its default. The read-modify-write runs in one transaction with the row
 * locked (FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite).
 *
 * Caveats: currency is checked for shape (three upper-case letters), not
 * against the ISO 4217 list; language is checked for BCP 47 shape only.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "db/db.h"
#include "services/users/users_int.h"



/* Load user `id` as the caller may see it into a JSON object; 0 (found), 1 (not found) or -1. */
static int load_user(struct request *req, const char *id, json_t **out, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, users__sql(USERS_Q_USER_BY_ID), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    struct db_param p[] = {DB_TEXT(id), DB_I64(users__is_admin(req) ? 1 : 0), DB_TEXT(req->user_id)};
    db_bind_all(st, p, 3);
    int rc = db_step(st, &dberr);
    if (rc == 1)
        *out = users__row_json(req, st, USERS_USER_KINDS);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    return rc == 1 ? 0 : 1;
}

static int reply_user(struct request *req, const char *id, int status, struct app_error *err)
{
    json_t *u = NULL;
    int rc = load_user(req, id, &u, err);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return app_error_set(err, req->arena, "not_found", "no user %s", id);
    res_json(req, status, u);
    return 0;
}

int users_handle_get_me(struct request *req, struct app_error *err)
{
    return reply_user(req, req->user_id, 200, err);
}

int users_handle_get_user(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    /* Refuse before reading: whether the id exists is none of the caller's business. */
    if (!users__is_admin(req) && strcmp(id, req->user_id) != 0)
        return app_error_set(err, req->arena, "forbidden", "you may only read your own account");
    return reply_user(req, id, 200, err);
}

int users_handle_patch_me(struct request *req, struct app_error *err)
{
    json_t *b = req->json;
    json_t *loc = json_object_get(b, "location");
    json_t *avatar = json_object_get(b, "avatar_media_id");
    struct db_error dberr = {0};
    const char *avatar_id = json_string_value(avatar);
    if (avatar_id != NULL) {
        struct db_param mp[] = {DB_TEXT(avatar_id), DB_TEXT(req->user_id)};
        struct db_stmt *st = db_prepare(req->db, users__sql(USERS_Q_MEDIA_OWNED), &dberr);
        if (st == NULL)
            return req_db_error(req, &dberr, err);
        db_bind_all(st, mp, 2);
        int rc = db_step(st, &dberr);
        db_reset(st);
        if (rc < 0)
            return req_db_error(req, &dberr, err);
        if (rc == 0) {
            app_error_add_field(err, req->arena, "avatar_media_id", "not_found", "is not a media object of yours");
            return app_error_set(err, req->arena, "validation_failed", "field 'avatar_media_id' is not yours");
        }
    }
    struct db_param p[] = {DB_TEXT(req->user_id),
                           DB_TEXT(json_string_value(json_object_get(b, "display_name"))),
                           DB_TEXT(json_string_value(json_object_get(b, "bio"))),
                           DB_I64(loc != NULL),
                           DB_TEXT(json_string_value(loc)),
                           DB_I64(avatar != NULL),
                           DB_TEXT(avatar_id),
                           DB_I64(time_now_ms())};
    int64_t n = db_exec(req->db, users__sql(USERS_Q_USER_UPDATE_PROFILE), p, 8, &dberr);
    if (n < 0)
        return req_db_error(req, &dberr, err);
    if (n == 0)
        return app_error_set(err, req->arena, "not_found", "your account is not active");
    return reply_user(req, req->user_id, 200, err);
}

/*-----------------------------------------------------------------------------
 * Public profile
 */
int users_handle_public_profile(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, users__sql(USERS_Q_PUBLIC_PROFILE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, &dberr);
    json_t *o = NULL;
    if (rc == 1) {
        o = json_object();
        json_object_set_new(o, "id", json_string(db_column_text(st, 0)));
        json_object_set_new(o, "display_name", json_string(db_column_text(st, 1)));
        json_object_set_new(o, "avatar_media_id",
                            db_column_is_null(st, 2) ? json_null() : json_string(db_column_text(st, 2)));
        json_object_set_new(o, "bio", json_string(db_column_text(st, 3)));
        json_object_set_new(o, "location", db_column_is_null(st, 4) ? json_null() : json_string(db_column_text(st, 4)));
        json_object_set_new(o, "member_since", json_string(req_time(req, db_column_i64(st, 5))));
        const char *role = db_column_text(st, 6);
        bool seller = strcmp(role, "seller") == 0 || strcmp(role, "admin") == 0;
        json_object_set_new(o, "is_seller", json_boolean(seller && !db_column_is_null(st, 7)));
        if (seller && !db_column_is_null(st, 7)) {
            int64_t sum = db_column_i64(st, 11), cnt = db_column_i64(st, 12);
            json_object_set_new(
                o, "shop",
                json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:b, s:b}", "id", db_column_text(st, 7), "slug",
                          db_column_text(st, 8), "name", db_column_text(st, 9), "tagline", db_column_text(st, 10),
                          "rating_average", cnt > 0 ? json_real((double)sum / (double)cnt) : json_null(),
                          "rating_count", (json_int_t)cnt, "sales_count", (json_int_t)db_column_i64(st, 13),
                          "accepts_custom_orders", (int)db_column_i64(st, 14), "vacation_mode",
                          (int)db_column_i64(st, 15)));
        } else {
            json_object_set_new(o, "shop", json_null());
        }
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no user %s", id);
    res_json(req, 200, o);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Preferences
 */
static const char *const event_types[] = {"order_updates", "messages", "reviews", "custom_orders",
                                          "payouts",       "security", "marketing", NULL};
static const char *const channels[] = {"in_app", "email", "sms", "push", NULL};

static const struct field_spec channel_fields[] = {
    {.name = "in_app", .type = VT_BOOL, .nullable = true},
    {.name = "email", .type = VT_BOOL, .nullable = true},
    {.name = "sms", .type = VT_BOOL, .nullable = true},
    {.name = "push", .type = VT_BOOL, .nullable = true},
    {0},
};

static const struct field_spec notification_fields[] = {
    {.name = "order_updates", .type = VT_OBJECT, .fields = channel_fields, .nullable = true},
    {.name = "messages", .type = VT_OBJECT, .fields = channel_fields, .nullable = true},
    {.name = "reviews", .type = VT_OBJECT, .fields = channel_fields, .nullable = true},
    {.name = "custom_orders", .type = VT_OBJECT, .fields = channel_fields, .nullable = true},
    {.name = "payouts", .type = VT_OBJECT, .fields = channel_fields, .nullable = true},
    {.name = "security", .type = VT_OBJECT, .fields = channel_fields, .nullable = true},
    {.name = "marketing", .type = VT_OBJECT, .fields = channel_fields, .nullable = true},
    {0},
};

const struct field_spec users_prefs_patch_body[] = {
    {.name = "notifications", .type = VT_OBJECT, .fields = notification_fields, .nullable = true},
    {.name = "currency", .type = VT_STRING, .min = 3, .max = 3, .nullable = true},
    {.name = "language", .type = VT_STRING, .min = 2, .max = 35, .nullable = true},
    {0},
};

static bool channel_default(const char *event, const char *channel)
{
    if (strcmp(event, "marketing") == 0)
        return false;
    return strcmp(channel, "sms") != 0;
}

/* The effective preferences: stored overrides over the defaults. Caller owns the result. */
static json_t *effective_prefs(json_t *stored)
{
    json_t *notif = json_object();
    json_t *snotif = json_object_get(stored, "notifications");
    for (const char *const *e = event_types; *e; e++) {
        json_t *ev = json_object();
        json_t *sev = json_object_get(snotif, *e);
        for (const char *const *c = channels; *c; c++) {
            json_t *v = json_object_get(sev, *c);
            json_object_set_new(ev, *c, json_boolean(json_is_boolean(v) ? json_is_true(v) : channel_default(*e, *c)));
        }
        json_object_set_new(notif, *e, ev);
    }
    const char *cur = json_string_value(json_object_get(stored, "currency"));
    const char *lang = json_string_value(json_object_get(stored, "language"));
    return json_pack("{s:o, s:s, s:s}", "notifications", notif, "currency", cur ? cur : "USD", "language",
                     lang ? lang : "en");
}

static json_t *parse_prefs(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        j = json_object();
    }
    return j;
}

int users_handle_get_preferences(struct request *req, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, users__sql(USERS_Q_PREFS_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    json_t *stored = rc == 1 ? parse_prefs(db_column_text(st, 0)) : NULL;
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "your account no longer exists");
    res_json(req, 200, effective_prefs(stored));
    json_decref(stored);
    return 0;
}

static bool valid_language(const char *s)
{
    /* BCP 47 shape: a 2–3 (or 4–8) letter primary subtag, then -subtags of 1–8 letters or digits. */
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    if (n < 2 || n > 8)
        return false;
    s += n;
    while (*s == '-') {
        s++;
        n = 0;
        while (isalnum((unsigned char)s[n]))
            n++;
        if (n < 1 || n > 8)
            return false;
        s += n;
    }
    return *s == '\0';
}

struct prefs_tx {
    struct request *req;
    json_t *patch;
    json_t *result; /* stored value after the merge */
    bool missing;
};

static int merge_prefs(struct db *db, void *arg, struct db_error *dberr)
{
    struct prefs_tx *t = arg;
    struct db_stmt *st = db_prepare(db, users__sql(USERS_Q_PREFS_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->req->user_id));
    int rc = db_step(st, dberr);
    json_t *stored = rc == 1 ? parse_prefs(db_column_text(st, 0)) : NULL;
    db_reset(st);
    if (rc <= 0) {
        t->missing = rc == 0;
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(t->patch, key, v) {
        if (strcmp(key, "notifications") != 0) {
            if (json_is_null(v))
                json_object_del(stored, key);
            else
                json_object_set(stored, key, v);
            continue;
        }
        json_t *snotif = json_object_get(stored, "notifications");
        if (json_is_null(v)) {
            json_object_del(stored, "notifications");
            continue;
        }
        if (!json_is_object(snotif)) {
            snotif = json_object();
            json_object_set_new(stored, "notifications", snotif);
        }
        const char *ev;
        json_t *chans;
        json_object_foreach(v, ev, chans) {
            if (json_is_null(chans)) {
                json_object_del(snotif, ev);
                continue;
            }
            json_t *sev = json_object_get(snotif, ev);
            if (!json_is_object(sev)) {
                sev = json_object();
                json_object_set_new(snotif, ev, sev);
            }
            const char *ch;
            json_t *on;
            json_object_foreach(chans, ch, on) {
                if (json_is_null(on))
                    json_object_del(sev, ch);
                else
                    json_object_set(sev, ch, on);
            }
        }
    }
    char *text = json_dumps(stored, JSON_COMPACT | JSON_SORT_KEYS);
    struct db_param p[] = {DB_TEXT(t->req->user_id), DB_TEXT(text), DB_I64(time_now_ms())};
    int64_t n = db_exec(db, users__sql(USERS_Q_PREFS_SET), p, 3, dberr);
    free(text);
    if (n < 0) {
        json_decref(stored);
        return -1;
    }
    t->result = stored;
    return 0;
}

int users_handle_patch_preferences(struct request *req, struct app_error *err)
{
    json_t *b = req->json;
    const char *cur = json_string_value(json_object_get(b, "currency"));
    const char *lang = json_string_value(json_object_get(b, "language"));
    if (cur != NULL && !(isupper((unsigned char)cur[0]) && isupper((unsigned char)cur[1]) &&
                         isupper((unsigned char)cur[2]) && cur[3] == '\0'))
        app_error_add_field(err, req->arena, "currency", "invalid_format",
                            "must be an ISO 4217 code: three upper-case letters");
    if (lang != NULL && !valid_language(lang))
        app_error_add_field(err, req->arena, "language", "invalid_format", "must be a BCP 47 language tag");
    if (err->nfields > 0)
        return app_error_set(err, req->arena, "validation_failed",
                             err->nfields == 1 ? "field '%s' is invalid" : "%s and other fields are invalid",
                             err->fields[0].field);
    struct prefs_tx t = {.req = req, .patch = b};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, merge_prefs, &t, &dberr) != 0) {
        if (t.missing)
            return app_error_set(err, req->arena, "not_found", "your account is not active");
        return req_db_error(req, &dberr, err);
    }
    res_json(req, 200, effective_prefs(t.result));
    json_decref(t.result);
    return 0;
}
