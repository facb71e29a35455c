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
