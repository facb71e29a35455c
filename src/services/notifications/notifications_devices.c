/*
 * notifications_devices.c — push devices: POST /notifications/devices
 * (register or refresh a token), GET /notifications/devices,
 * DELETE /notifications/devices/:id.
 *
 * A push token identifies one app install, so registering a token is an
 * upsert on the token: the caller becomes its owner (a phone that signs in
 * as someone else stops getting the previous user's notifications) and a
 * token the provider had reported dead is enabled again (the app just
 * obtained it, so it is live). 201 when the token is new, 200 otherwise.
 *
 * Caveats: the token is returned to its owner; it is not a secret from
 * them, and clients use it to find their own device in the list.
 */
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "services/notifications/notifications_int.h"

static json_t *time_or_null(struct request *req, struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? json_null() : json_string(req_time(req, db_column_i64(st, col)));
}

static json_t *device_json(struct request *req, struct db_stmt *st)
{
    const char *ver = db_column_text(st, 3);
    return json_pack("{s:s, s:s, s:s, s:o, s:b, s:o, s:o, s:s, s:s}", "id", db_column_text(st, 0), "platform",
                     db_column_text(st, 1), "push_token", db_column_text(st, 2), "app_version",
                     ver ? json_string(ver) : json_null(), "active", db_column_is_null(st, 5), "last_seen_at",
                     time_or_null(req, st, 4), "disabled_at", time_or_null(req, st, 5), "created_at",
                     req_time(req, db_column_i64(st, 6)), "updated_at", req_time(req, db_column_i64(st, 7)));
}

int notifications_handle_device_put(struct request *req, struct app_error *err)
{
    const char *token = json_string_value(json_object_get(req->json, "push_token"));
    char id[ID_MAX_LEN];
    struct db_error dberr = {0};
    id_generate("dev", id, sizeof id);
    struct db_param p[] = {DB_TEXT(id),
                           DB_TEXT(req->user_id),
                           DB_TEXT(json_string_value(json_object_get(req->json, "platform"))),
                           DB_TEXT(token),
                           DB_TEXT(json_string_value(json_object_get(req->json, "app_version"))),
                           DB_I64(time_now_ms())};
    if (db_exec(req->db, notif__sql(NQ_DEVICE_UPSERT), p, 6, &dberr) < 0)
        return req_db_error(req, &dberr, err);
    struct db_stmt *st = db_prepare(req->db, notif__sql(NQ_DEVICE_BY_TOKEN), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(token));
    int rc = db_step(st, &dberr);
    json_t *out = rc == 1 ? device_json(req, st) : NULL;
    bool created = rc == 1 && strcmp(db_column_text(st, 0), id) == 0;
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (out == NULL) /* deleted between the two statements */
        return app_error_set(err, req->arena, "conflict", "the device was removed meanwhile; register it again");
    res_json(req, created ? 201 : 200, out);
    return 0;
}

int notifications_handle_device_list(struct request *req, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, notif__sql(NQ_DEVICES_LIST), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(req->user_id));
    json_t *data = json_array();
    int rc;
    while ((rc = db_step(st, &dberr)) == 1)
        json_array_append_new(data, device_json(req, st));
    db_reset(st);
    if (rc < 0) {
        json_decref(data);
        return req_db_error(req, &dberr, err);
    }
    res_json(req, 200, json_pack("{s:o}", "data", data));
    return 0;
}

int notifications_handle_device_delete(struct request *req, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_param p[] = {DB_TEXT(req_param(req, "id")), DB_TEXT(req->user_id)};
    int64_t n = db_exec(req->db, notif__sql(NQ_DEVICE_DELETE), p, 2, &dberr);
    if (n < 0)
        return req_db_error(req, &dberr, err);
    if (n == 0)
        return app_error_set(err, req->arena, "not_found", "no such device");
    res_empty(req, 204);
    return 0;
}
