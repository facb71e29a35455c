/*
 * catalog_common.c — helpers shared by the catalog's handlers: audit rows,
 * turning a failed transaction into an app error. (Keyset cursors: http/cursor.h.)
 */
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "services/catalog/catalog_int.h"

int catalog__tx_error(struct request *req, const struct catalog_fail *fail, const struct db_error *dberr,
                      const char *unique_code, const char *unique_msg, struct app_error *err)
{
    if (fail->code != NULL) {
        if (fail->field != NULL)
            app_error_add_field(err, req->arena, fail->field, fail->field_code ? fail->field_code : "invalid",
                                fail->msg);
        return app_error_set(err, req->arena, fail->code, "%s", fail->msg);
    }
    if (dberr->kind == DB_E_UNIQUE && unique_code != NULL) {
        err->log_detail = arena_sprintf(req->arena, "unique_violation: %s", dberr->msg);
        return app_error_set(err, req->arena, unique_code, "%s", unique_msg ? unique_msg : "already exists");
    }
    return req_db_error(req, dberr, err);
}

int catalog__audit(struct db *db, struct request *req, const char *action, const char *target_type,
                   const char *target_id, const char *data_json, struct db_error *dberr)
{
    struct db_param p[] = {DB_TEXT(id_new(req->arena, "aud")),
                           DB_TEXT(req->user_id),
                           DB_TEXT(action),
                           DB_TEXT(target_type),
                           DB_TEXT(target_id),
                           DB_TEXT(data_json ? data_json : "{}"),
                           DB_TEXT(req->client_ip),
                           DB_TEXT(req->request_id),
                           DB_I64(time_now_ms())};
    return db_exec(db, catalog__sql(CATALOG_Q_AUDIT_INSERT), p, 9, dberr) < 0 ? -1 : 0;
}

bool catalog__is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}
