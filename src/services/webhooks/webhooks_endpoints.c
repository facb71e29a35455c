/*
 * webhooks_endpoints.c — POST/GET/PATCH/DELETE /webhooks/endpoints and
 * POST /webhooks/endpoints/:id/rotate-secret.
 *
 * Sellers manage their own endpoints, admins every endpoint (the route
 * guard refuses buyers: 403). Another user's endpoint is 404, never 403,
 * and the check is part of each statement. The secret appears in a
 * response twice in an endpoint's life: at creation and at a rotation.
 *
 * Validation (422 validation_failed, one entry per bad field): url as in
 * webhooks__check_url; event_types a non-empty array of known types, or
 * exactly ["*"]; description at most 500 characters.
 *
 * Caveats: a PATCH that changes the url does not re-test it; deliveries
 * already queued go to the new url.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/cursor.h"
#include "services/webhooks/webhooks_int.h"

bool webhooks__is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}

static json_t *time_or_null(struct request *req, struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? json_null() : json_string(req_time(req, db_column_i64(st, col)));
}

static json_t *text_or_null(struct db_stmt *st, int col)
{
    const char *s = db_column_text(st, col);
    return s ? json_string(s) : json_null();
}

json_t *webhooks__endpoint_json(struct request *req, struct db_stmt *st)
{
    json_t *types = json_loads(db_column_text(st, 3), 0, NULL);
    if (!json_is_array(types)) {
        json_decref(types);
        types = json_array();
    }
    bool rotating = !db_column_is_null(st, 9) && db_column_i64(st, 9) > time_now_ms();
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:o, s:o, s:o, s:s, s:s}", "id", db_column_text(st, 0),
                     "owner_id", db_column_text(st, 1), "url", db_column_text(st, 2), "event_types", types,
                     "description", db_column_text(st, 4), "status", db_column_text(st, 5), "consecutive_failures",
                     (json_int_t)db_column_i64(st, 6), "disabled_at", time_or_null(req, st, 7), "disabled_reason",
                     text_or_null(st, 8), "previous_secret_expires_at",
                     rotating ? time_or_null(req, st, 9) : json_null(), "created_at",
                     req_time(req, db_column_i64(st, 10)), "updated_at", req_time(req, db_column_i64(st, 11)));
}

/*-----------------------------------------------------------------------------
 * Validation
 */

/* event_types as stored (a JSON array text in the arena), or NULL with a field error added. */
static const char *check_types(struct request *req, json_t *arr, struct app_error *err)
{
    size_t i;
    json_t *v;
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        app_error_add_field(err, req->arena, "event_types", "required", "must list at least one event type, or \"*\"");
        return NULL;
    }
    json_t *out = json_array();
    bool star = false, bad = false;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (s != NULL && strcmp(s, "*") == 0) {
            star = true;
        } else if (s == NULL || !webhooks__known_type(s)) {
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "event_types[%zu]", i), "unknown_event_type",
                                "is not an event type webhooks deliver (see docs/WEBHOOKS.md)");
            bad = true;
        } else {
            bool dup = false;
            size_t j;
            json_t *w;
            json_array_foreach(out, j, w) dup = dup || strcmp(json_string_value(w), s) == 0;
            if (!dup)
                json_array_append_new(out, json_string(s));
        }
    }
    if (star && json_array_size(arr) != 1) {
        app_error_add_field(err, req->arena, "event_types", "invalid", "\"*\" must be the only entry");
        bad = true;
    }
    if (star && !bad)
        json_array_append_new(out, json_string("*"));
    char *text = bad ? NULL : json_dumps(out, JSON_COMPACT);
    json_decref(out);
    const char *r = text ? arena_strdup(req->arena, text) : NULL;
    free(text);
    return r;
}

/* Check the body's url/event_types (each when present or required); 0, or -1 with err set. */
static int check_body(struct request *req, bool create, const char **url, const char **types, struct app_error *err)
{
    json_t *b = req->json;
    json_t *u = json_object_get(b, "url"), *t = json_object_get(b, "event_types");
    *url = json_string_value(u);
    *types = NULL;
    bool bad = false;
    if (*url != NULL) {
        const char *why = webhooks__check_url(req->app->cfg, *url);
        if (why != NULL) {
            app_error_add_field(err, req->arena, "url", "invalid_url", why);
            bad = true;
        }
    } else if (create) {
        app_error_add_field(err, req->arena, "url", "required", "is required");
        bad = true;
    }
    if (t != NULL || create) {
        *types = check_types(req, t, err);
        bad = bad || *types == NULL;
    }
    if (bad)
        return app_error_set(err, req->arena, "validation_failed", "the endpoint is not valid");
    return 0;
}

/* Reply with the endpoint id as caller sees it, plus its secret when with_secret. */
static int reply_endpoint(struct request *req, int status, const char *id, bool with_secret, struct app_error *err)
{
    struct db_error dberr = {0};
    bool admin = webhooks__is_admin(req);
    struct db_stmt *st = db_prepare(req->db, webhooks__sql(WH_Q_EP_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    db_bind(st, 3, DB_I64(admin));
    int rc = db_step(st, &dberr);
    json_t *ep = rc == 1 ? webhooks__endpoint_json(req, st) : NULL;
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no webhook endpoint %s", id);
    if (with_secret) {
        st = db_prepare(req->db, webhooks__sql(WH_Q_EP_SECRET), &dberr);
        if (st == NULL) {
            json_decref(ep);
            return req_db_error(req, &dberr, err);
        }
        db_bind(st, 1, DB_TEXT(id));
        if (db_step(st, &dberr) == 1)
            json_object_set_new(ep, "secret", json_string(db_column_text(st, 0)));
        db_reset(st);
    }
    res_json(req, status, ep);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Handlers
 */
int webhooks_handle_create(struct request *req, struct app_error *err)
{
    const char *url, *types;
    if (check_body(req, true, &url, &types, err) != 0)
        return -1;
    const char *desc = json_string_value(json_object_get(req->json, "description"));
    char id[ID_MAX_LEN], secret[80];
    id_generate(WH_ENDPOINT_PREFIX, id, sizeof id);
    webhooks__new_secret(secret, sizeof secret);
    struct db_param p[] = {DB_TEXT(id),    DB_TEXT(req->user_id),     DB_TEXT(url),         DB_TEXT(secret),
                           DB_TEXT(types), DB_TEXT(desc ? desc : ""), DB_I64(time_now_ms())};
    struct db_error dberr = {0};
    if (db_exec(req->db, webhooks__sql(WH_Q_EP_INSERT), p, 7, &dberr) < 0)
        return req_db_error(req, &dberr, err);
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/webhooks/endpoints/%s", id));
    return reply_endpoint(req, 201, id, true, err);
}

static json_t *endpoint_item(struct request *req, struct db_stmt *st, void *ud)
{
    (void)ud;
    return webhooks__endpoint_json(req, st);
}

int webhooks_handle_list(struct request *req, struct app_error *err)
{
    int64_t limit = req_param_i64(req, "limit", 20), at = 0;
    const char *after = NULL, *owner = req_param(req, "owner_id"), *next = NULL;
    if (!webhooks__is_admin(req)) {
        if (owner != NULL && strcmp(owner, req->user_id) != 0)
            return app_error_set(err, req->arena, "forbidden", "only admins may list other users' endpoints");
        owner = req->user_id;
    }
    if (req_cursor_at(req, WH_ENDPOINT_PREFIX, &at, &after, err) != 0)
        return -1;
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, webhooks__sql(WH_Q_EP_PAGE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(owner));
    db_bind(st, 2, after ? DB_I64(at) : DB_NULL);
    db_bind(st, 3, DB_TEXT(after));
    db_bind(st, 4, DB_I64(limit + 1));
    json_t *data;
    if (req_page_at(req, st, limit, 10, 0, endpoint_item, NULL, &data, &next, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    res_page(req, data, next);
    return 0;
}

int webhooks_handle_get(struct request *req, struct app_error *err)
{
    return reply_endpoint(req, 200, req_param(req, "id"), false, err);
}

int webhooks_handle_update(struct request *req, struct app_error *err)
{
    const char *url, *types, *id = req_param(req, "id");
    if (check_body(req, false, &url, &types, err) != 0)
        return -1;
    json_t *b = req->json;
    struct db_param p[] = {DB_TEXT(id),
                           DB_TEXT(req->user_id),
                           DB_I64(webhooks__is_admin(req)),
                           DB_TEXT(url),
                           DB_TEXT(types),
                           DB_TEXT(json_string_value(json_object_get(b, "description"))),
                           DB_TEXT(json_string_value(json_object_get(b, "status"))),
                           DB_I64(time_now_ms())};
    struct db_error dberr = {0};
    int64_t n = db_exec(req->db, webhooks__sql(WH_Q_EP_UPDATE), p, 8, &dberr);
    if (n < 0)
        return req_db_error(req, &dberr, err);
    if (n == 0)
        return app_error_set(err, req->arena, "not_found", "no webhook endpoint %s", id);
    return reply_endpoint(req, 200, id, false, err);
}

int webhooks_handle_delete(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(req->user_id), DB_I64(webhooks__is_admin(req))};
    struct db_error dberr = {0};
    int64_t n = db_exec(req->db, webhooks__sql(WH_Q_EP_DELETE), p, 3, &dberr);
    if (n < 0)
        return req_db_error(req, &dberr, err);
    if (n == 0)
        return app_error_set(err, req->arena, "not_found", "no webhook endpoint %s", id);
    res_empty(req, 204);
    return 0;
}

int webhooks_handle_rotate(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    int64_t grace = req_param_i64(req, "grace_seconds", WH_ROTATION_GRACE_S), now = time_now_ms();
    char secret[80];
    webhooks__new_secret(secret, sizeof secret);
    struct db_param p[] = {DB_TEXT(id),
                           DB_TEXT(req->user_id),
                           DB_I64(webhooks__is_admin(req)),
                           DB_TEXT(secret),
                           grace > 0 ? DB_I64(now + grace * 1000) : DB_NULL,
                           DB_I64(now)};
    struct db_error dberr = {0};
    int64_t n = db_exec(req->db, webhooks__sql(WH_Q_EP_ROTATE), p, 6, &dberr);
    if (n < 0)
        return req_db_error(req, &dberr, err);
    if (n == 0)
        return app_error_set(err, req->arena, "not_found", "no webhook endpoint %s", id);
    return reply_endpoint(req, 200, id, true, err);
}
