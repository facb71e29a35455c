/*
 * catalog_common.c — helpers shared by the catalog's handlers: keyset
 * cursors, audit rows, turning a failed transaction into an app error.
 *
 * Lists page by keyset, never by offset: the cursor carries the sort key
 * of the last row shown ("<int>.<int>.<id>"), so a page is one index range
 * scan however deep, and rows inserted meanwhile neither repeat nor vanish.
 *
 * Caveats: cursors are readable text, not signed. A forged one can only
 * move the start of a page of rows the caller may read anyway.
 */
#include <errno.h>
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

#define CURSOR_MAX_INTS 4

int catalog__cursor_parse(struct request *req, int nints, int64_t *ints, const char *id_prefix, const char **id,
                          bool *present, struct app_error *err)
{
    const char *c = req_param(req, "cursor");
    *present = false;
    if (c == NULL || *c == '\0')
        return 0;
    int64_t v[CURSOR_MAX_INTS];
    const char *p = c;
    for (int i = 0; i < nints && i < CURSOR_MAX_INTS; i++) {
        char *end;
        errno = 0;
        long long n = strtoll(p, &end, 10);
        /* Digits only (strtoll would take spaces and signs), then the separator. */
        if (end == p || *p < '0' || *p > '9' || errno != 0 || *end != '.')
            goto bad;
        v[i] = n;
        p = end + 1;
    }
    if (nints > CURSOR_MAX_INTS || !id_valid(p, id_prefix))
        goto bad;
    memcpy(ints, v, (size_t)nints * sizeof *ints);
    *id = p;
    *present = true;
    return 0;
bad:
    return app_error_set(err, req->arena, "invalid_cursor", "the cursor is not one this endpoint returned");
}

const char *catalog__cursor_make(struct request *req, int nints, const int64_t *ints, const char *id)
{
    struct strbuf b;
    strbuf_init(&b, req->arena, 64);
    for (int i = 0; i < nints; i++)
        strbuf_printf(&b, "%lld.", (long long)ints[i]);
    strbuf_puts(&b, id);
    return b.data;
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
