/*
 * cursor.c — keyset cursors "<int>.<int>…<id>" (cursor.h).
 */
#include "http/cursor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/ids.h"
#include "base/strbuf.h"
#include "db/db.h"
#include "http/http.h"

#define CURSOR_MAX_INTS 4

int req_cursor(struct request *req, int nints, int64_t *ints, const char *id_prefix, const char **id, bool *present,
               struct app_error *err)
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

const char *req_cursor_make(struct request *req, int nints, const int64_t *ints, const char *id)
{
    struct strbuf b;
    strbuf_init(&b, req->arena, 64);
    for (int i = 0; i < nints; i++)
        strbuf_printf(&b, "%lld.", (long long)ints[i]);
    strbuf_puts(&b, id);
    return b.data;
}

int req_cursor_at(struct request *req, const char *id_prefix, int64_t *at, const char **id, struct app_error *err)
{
    bool present;
    *id = NULL;
    return req_cursor(req, 1, at, id_prefix, id, &present, err);
}

const char *req_cursor_at_make(struct request *req, int64_t at, const char *id)
{
    return req_cursor_make(req, 1, &at, id);
}

int req_page_at(struct request *req, struct db_stmt *st, int64_t limit, int at_col, int id_col, page_row_fn row_fn,
                void *ud, json_t **data, const char **next, struct db_error *dberr)
{
    json_t *items = json_array();
    int64_t n = 0, last_at = 0;
    const char *last_id = NULL;
    int rc;
    *next = NULL;
    while ((rc = db_step(st, dberr)) == 1) {
        if (n++ == limit) {
            *next = req_cursor_at_make(req, last_at, last_id);
            break;
        }
        last_at = db_column_i64(st, at_col);
        last_id = arena_strdup(req->arena, db_column_text(st, id_col));
        json_array_append_new(items, row_fn(req, st, ud));
    }
    db_reset(st);
    if (rc < 0) {
        json_decref(items);
        *data = NULL;
        *next = NULL;
        return -1;
    }
    *data = items;
    return 0;
}

void res_page(struct request *req, json_t *data, const char *next)
{
    res_json(req, 200, json_pack("{s:o, s:o}", "data", data, "next_cursor", next ? json_string(next) : json_null()));
}
