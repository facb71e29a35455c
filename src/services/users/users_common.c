/*
 * users_common.c — helpers shared by the users service's handlers: rows to
 * JSON, audit rows, cursors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/search.h"
#include "services/users/users_int.h"

json_t *users__row_json(struct request *req, struct db_stmt *st, const char *kinds)
{
    json_t *o = json_object();
    int n = db_column_count(st);
    for (int i = 0; i < n && kinds[i] != '\0'; i++) {
        const char *name = db_column_name(st, i);
        json_t *v;
        if (db_column_is_null(st, i)) {
            v = json_null();
        } else {
            switch (kinds[i]) {
            case 'i':
                v = json_integer(db_column_i64(st, i));
                break;
            case 't':
                v = json_string(req_time(req, db_column_i64(st, i)));
                break;
            case 'b':
                v = json_boolean(db_column_i64(st, i) != 0);
                break;
            case 'j': {
                const char *text = db_column_text(st, i);
                v = json_loads(text, JSON_DECODE_ANY, NULL);
                if (v == NULL)
                    v = json_string(text);
                break;
            }
            default:
                v = json_string(db_column_text(st, i));
                break;
            }
        }
        json_object_set_new(o, name, v ? v : json_null());
    }
    return o;
}

json_t *users__rows_json(struct request *req, enum users_query q, const struct db_param *params, int n,
                         const char *kinds, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, users__sql(q), &dberr);
    if (st == NULL) {
        req_db_error(req, &dberr, err);
        return NULL;
    }
    db_bind_all(st, params, n);
    json_t *arr = json_array();
    int rc;
    while ((rc = db_step(st, &dberr)) == 1)
        json_array_append_new(arr, users__row_json(req, st, kinds));
    db_reset(st);
    if (rc < 0) {
        json_decref(arr);
        req_db_error(req, &dberr, err);
        return NULL;
    }
    return arr;
}

int users__audit(struct db *db, struct request *req, const char *action, const char *target_type,
                 const char *target_id, json_t *data, struct db_error *dberr)
{
    const char *copy = "{}";
    if (data != NULL) {
        char *text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
        copy = arena_strdup(req->arena, text ? text : "{}");
        free(text);
    }
    struct db_param p[] = {DB_TEXT(id_new(req->arena, "aud")), DB_TEXT(req->user_id), DB_TEXT(action),
                           DB_TEXT(target_type),  DB_TEXT(target_id), DB_TEXT(copy),
                           DB_TEXT(req->client_ip), DB_TEXT(req->request_id), DB_I64(time_now_ms())};
    return db_exec(db, users__sql(USERS_Q_AUDIT_INSERT), p, 9, dberr) < 0 ? -1 : 0;
}

int users__cursor(struct request *req, const char *prefix, const char **out, struct app_error *err)
{
    const char *c = req_param(req, "cursor");
    *out = NULL;
    if (c == NULL || *c == '\0')
        return 0;
    if (!id_valid(c, prefix))
        return app_error_set(err, req->arena, "invalid_cursor", "the cursor is not one this endpoint returned");
    *out = c;
    return 0;
}

bool users__is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}

int users__sync_shop_search(struct db *db, const char *seller_id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, users__sql(USERS_Q_SHOP_ID_OF_SELLER), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(seller_id));
    char shop_id[64] = "";
    int rc = db_step(st, dberr);
    if (rc == 1)
        snprintf(shop_id, sizeof shop_id, "%s", db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return -1;
    return rc == 0 ? 0 : search_sync_shop(db, shop_id, dberr);
}
