/*
 * users_admin.c — admin tools: user search, suspension, seller application
 * review.
 *
 * Every state change runs in one transaction with its audit_log row, so an
 * action is recorded exactly when it happened. Suspension also revokes
 * every session through the auth service and moves tokens_valid_after, so
 * the user's access tokens stop working at once, not when they expire.
 *
 * Lists are newest first with keyset pagination on the id (ids are
 * time-ordered): next_cursor is the last id of the page.
 *
 * Caveats: the name search folds ASCII case only (SQLite's lower()); emails
 * are matched on their normalised form.
 */
#include <ctype.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/events.h"
#include "services/auth/auth.h"
#include "services/users/users_int.h"

#define ADMIN_USER_KINDS "ssssstts"
#define ADMIN_APPLICATION_KINDS "sssssjssstttss"

/* A LIKE pattern matching values that start with q (lower-cased), with '!' as the escape character. */
static const char *prefix_pattern(struct arena *a, const char *q)
{
    size_t n = strlen(q);
    char *p = arena_alloc(a, n * 2 + 2), *o = p;
    for (const char *s = q; *s; s++) {
        if (*s == '!' || *s == '%' || *s == '_')
            *o++ = '!';
        *o++ = (char)tolower((unsigned char)*s);
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

/* Reply {data, next_cursor} from query q; params[n-1] must be the limit (already +1). */
static int reply_page(struct request *req, enum users_query q, const struct db_param *params, int n, int64_t limit,
                      const char *kinds, struct app_error *err)
{
    json_t *rows = users__rows_json(req, q, params, n, kinds, err);
    if (rows == NULL)
        return -1;
    json_t *next = json_null();
    if ((int64_t)json_array_size(rows) > limit) {
        json_array_remove(rows, (size_t)limit);
        next = json_incref(json_object_get(json_array_get(rows, (size_t)limit - 1), "id"));
    }
    res_json(req, 200, json_pack("{s:o, s:o}", "data", rows, "next_cursor", next));
    return 0;
}

int users_handle_admin_list_users(struct request *req, struct app_error *err)
{
    const char *cursor;
    if (users__cursor(req, "usr", &cursor, err) != 0)
        return -1;
    const char *q = req_param(req, "q");
    int64_t limit = req_param_i64(req, "limit", 20);
    struct db_param p[] = {DB_TEXT(req_param(req, "role")), DB_TEXT(req_param(req, "status")),
                           DB_TEXT(q && *q ? prefix_pattern(req->arena, q) : NULL), DB_TEXT(cursor),
                           DB_I64(limit + 1)};
    return reply_page(req, USERS_Q_ADMIN_USERS, p, 5, limit, ADMIN_USER_KINDS, err);
}

int users_handle_admin_list_applications(struct request *req, struct app_error *err)
{
    const char *cursor;
    if (users__cursor(req, "sap", &cursor, err) != 0)
        return -1;
    int64_t limit = req_param_i64(req, "limit", 20);
    struct db_param p[] = {DB_TEXT(req_param(req, "status")), DB_TEXT(cursor), DB_I64(limit + 1)};
    return reply_page(req, USERS_Q_ADMIN_APPLICATIONS, p, 3, limit, ADMIN_APPLICATION_KINDS, err);
}

/*-----------------------------------------------------------------------------
 * Suspension
 */
struct status_tx {
    struct request *req;
    const char *id;
    bool suspend;
    struct users_fail fail;
};

static int change_status(struct db *db, void *arg, struct db_error *dberr)
{
    struct status_tx *t = arg;
    struct request *req = t->req;
    struct db_stmt *st = db_prepare(db, users__sql(USERS_Q_USER_ROLE_STATUS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->id));
    int rc = db_step(st, dberr);
    bool want = rc == 1 && strcmp(db_column_text(st, 1), t->suspend ? "active" : "suspended") == 0;
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        t->fail = (struct users_fail){"not_found", "no such user"};
        return -1;
    }
    if (!want) {
        t->fail = (struct users_fail){"invalid_state_transition",
                                      t->suspend ? "only an active account can be suspended"
                                                 : "only a suspended account can be reinstated"};
        return -1;
    }
    int64_t now = time_now_ms();
    const char *reason = json_string_value(json_object_get(req->json, "reason"));
    if (t->suspend) {
        struct db_param p[] = {DB_TEXT(t->id), DB_TEXT(reason), DB_I64(now)};
        if (db_exec(db, users__sql(USERS_Q_USER_SUSPEND), p, 3, dberr) < 0)
            return -1;
        if (auth_revoke_all_sessions(db, t->id, "suspended", dberr) != 0)
            return -1;
    } else {
        struct db_param p[] = {DB_TEXT(t->id), DB_I64(now)};
        if (db_exec(db, users__sql(USERS_Q_USER_REINSTATE), p, 2, dberr) < 0)
            return -1;
    }
    struct db_param sp[] = {DB_TEXT(t->id), DB_I64(now)};
    if (db_exec(db, users__sql(t->suspend ? USERS_Q_SHOP_SUSPEND : USERS_Q_SHOP_REINSTATE), sp, 2, dberr) < 0 ||
        users__sync_shop_search(db, t->id, dberr) != 0)
        return -1;
    json_t *data = reason ? json_pack("{s:s}", "reason", reason) : NULL;
    int r = users__audit(db, req, t->suspend ? "user.suspend" : "user.reinstate", "user", t->id, data, dberr);
    json_decref(data);
    return r;
}

static int set_status(struct request *req, bool suspend, struct app_error *err)
{
    const char *id = req_param(req, "id");
    if (suspend && strcmp(id, req->user_id) == 0)
        return app_error_set(err, req->arena, "conflict", "you cannot suspend your own account");
    struct status_tx t = {.req = req, .id = id, .suspend = suspend};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, change_status, &t, &dberr) != 0) {
        if (t.fail.code != NULL)
            return app_error_set(err, req->arena, t.fail.code, "%s", t.fail.msg);
        return req_db_error(req, &dberr, err);
    }
    struct db_param p[] = {DB_TEXT(id), DB_I64(1), DB_TEXT(req->user_id)};
    json_t *rows = users__rows_json(req, USERS_Q_USER_BY_ID, p, 3, USERS_USER_KINDS, err);
    if (rows == NULL)
        return -1;
    res_json(req, 200, json_incref(json_array_get(rows, 0)));
    json_decref(rows);
    return 0;
}

int users_handle_admin_suspend(struct request *req, struct app_error *err)
{
    return set_status(req, true, err);
}

int users_handle_admin_reinstate(struct request *req, struct app_error *err)
{
    return set_status(req, false, err);
}

/*-----------------------------------------------------------------------------
 * Seller applications
 */
struct decide_tx {
    struct request *req;
    const char *id;
    bool approve;
    const char *user_id; /* the applicant (request arena) */
    const char *shop_id;
    struct users_fail fail;
};

static const char *slugify(struct arena *a, const char *name, const char *shop_id)
{
    size_t n = strlen(name);
    char *s = arena_alloc(a, n + 40), *o = s;
    bool dash = false;
    for (const char *p = name; *p && o - s < 48; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isalnum(ch) && ch < 0x80) {
            if (dash && o > s)
                *o++ = '-';
            *o++ = (char)tolower(ch);
            dash = false;
        } else {
            dash = true;
        }
    }
    if (o == s) {
        memcpy(o, "shop", 4);
        o += 4;
    }
    /* The id's random tail makes the slug unique without a retry loop. */
    size_t idn = strlen(shop_id);
    *o++ = '-';
    for (const char *p = shop_id + idn - 6; *p; p++)
        *o++ = (char)tolower((unsigned char)*p);
    *o = '\0';
    return s;
}

static int decide(struct db *db, void *arg, struct db_error *dberr)
{
    struct decide_tx *t = arg;
    struct request *req = t->req;
    struct db_stmt *st = db_prepare(db, users__sql(USERS_Q_APPLICATION_BY_ID), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->id));
    int rc = db_step(st, dberr);
    const char *user_id = NULL, *shop_name = NULL, *about = NULL, *country = NULL;
    bool pending = false;
    if (rc == 1) {
        user_id = arena_strdup(req->arena, db_column_text(st, 1));
        shop_name = arena_strdup(req->arena, db_column_text(st, 2));
        about = arena_strdup(req->arena, db_column_text(st, 3));
        country = arena_strdup(req->arena, db_column_text(st, 4));
        pending = strcmp(db_column_text(st, 6), "pending") == 0;
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        t->fail = (struct users_fail){"not_found", "no such seller application"};
        return -1;
    }
    if (!pending) {
        t->fail = (struct users_fail){"invalid_state_transition", "the application has already been decided"};
        return -1;
    }
    t->user_id = user_id;
    int64_t now = time_now_ms();
    const char *reason = json_string_value(json_object_get(req->json, "reason"));
    struct db_param dp[] = {DB_TEXT(t->id), DB_TEXT(t->approve ? "approved" : "rejected"), DB_TEXT(reason),
                            DB_TEXT(req->user_id), DB_I64(now)};
    if (db_exec(db, users__sql(USERS_Q_APPLICATION_DECIDE), dp, 5, dberr) < 0)
        return -1;
    if (t->approve) {
        st = db_prepare(db, users__sql(USERS_Q_USER_ROLE_STATUS), dberr);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(user_id));
        rc = db_step(st, dberr);
        bool active = rc == 1 && strcmp(db_column_text(st, 1), "active") == 0;
        db_reset(st);
        if (rc < 0)
            return -1;
        if (!active) {
            t->fail = (struct users_fail){"conflict", "the applicant's account is not active"};
            return -1;
        }
        struct db_param up[] = {DB_TEXT(user_id), DB_I64(now)};
        if (db_exec(db, users__sql(USERS_Q_USER_MAKE_SELLER), up, 2, dberr) < 0)
            return -1;
        t->shop_id = id_new(req->arena, "shp");
        struct db_param sp[] = {DB_TEXT(t->shop_id), DB_TEXT(user_id),
                                DB_TEXT(slugify(req->arena, shop_name, t->shop_id)), DB_TEXT(shop_name),
                                DB_TEXT(about), DB_TEXT(country), DB_I64(now)};
        if (db_exec(db, users__sql(USERS_Q_SHOP_INSERT), sp, 7, dberr) < 0) {
            if (dberr->kind == DB_E_UNIQUE)
                t->fail = (struct users_fail){"conflict", "the applicant already has a shop"};
            return -1;
        }
    }
    json_t *data = json_pack("{s:s, s:s?, s:s?}", "user_id", user_id, "reason", reason, "shop_id", t->shop_id);
    int r = users__audit(db, req, t->approve ? "seller_application.approve" : "seller_application.reject",
                         "seller_application", t->id, data, dberr);
    json_decref(data);
    if (r != 0)
        return r;
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s?}", "user_id", user_id, "application_id", t->id, "decision",
                           t->approve ? "approved" : "rejected", "reason", reason);
    r = events_emit(db, "seller_application.decided", ev, dberr);
    json_decref(ev);
    return r;
}

static int decide_application(struct request *req, bool approve, struct app_error *err)
{
    struct decide_tx t = {.req = req, .id = req_param(req, "id"), .approve = approve};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, decide, &t, &dberr) != 0) {
        if (t.fail.code != NULL)
            return app_error_set(err, req->arena, t.fail.code, "%s", t.fail.msg);
        return req_db_error(req, &dberr, err);
    }
    struct db_param ap[] = {DB_TEXT(t.id)};
    json_t *apps = users__rows_json(req, USERS_Q_APPLICATION_BY_ID, ap, 1, USERS_APPLICATION_KINDS, err);
    if (apps == NULL)
        return -1;
    json_t *out = json_pack("{s:O?, s:n}", "application", json_array_get(apps, 0), "shop");
    json_decref(apps);
    if (approve) {
        struct db_param sp[] = {DB_TEXT(t.user_id), DB_TEXT(t.user_id)};
        json_t *shops = users__rows_json(req, USERS_Q_SHOP_OWN, sp, 2, USERS_SHOP_KINDS, err);
        if (shops == NULL) {
            json_decref(out);
            return -1;
        }
        json_object_set(out, "shop", json_array_get(shops, 0));
        json_decref(shops);
    }
    res_json(req, 200, out);
    return 0;
}

int users_handle_admin_approve(struct request *req, struct app_error *err)
{
    return decide_application(req, true, err);
}

int users_handle_admin_reject(struct request *req, struct app_error *err)
{
    return decide_application(req, false, err);
}
