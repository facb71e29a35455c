/*
 * request.c — what handlers call: parameters, headers, responses.
 *
 * Response bodies live in the request arena (or, for JSON, a jansson value
 * released at completion), so MHD can send them without copying.
 */
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "base/log.h"
#include "http/http_int.h"
#include "http/jsonw.h"

static struct req_ctx *ctx_of(struct request *req)
{
    return req->_impl;
}

const char *req_param(struct request *req, const char *name)
{
    struct req_ctx *c = ctx_of(req);
    for (int i = 0; i < c->match.nparams; i++)
        if (strcmp(c->match.param_names[i], name) == 0)
            return c->match.param_values[i];
    return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, name);
}

int64_t req_param_i64(struct request *req, const char *name, int64_t dflt)
{
    const char *v = req_param(req, name);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end;
    long long n = strtoll(v, &end, 10);
    return *end == '\0' ? (int64_t)n : dflt;
}

bool req_param_bool(struct request *req, const char *name, bool dflt)
{
    const char *v = req_param(req, name);
    if (v == NULL)
        return dflt;
    return strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

int req_offload(struct request *req, route_handler fn, struct app_error *err)
{
    struct req_ctx *c = ctx_of(req);
    c->offload_fn = fn;
    (void)err;
    return 0;
}

struct db *req_db_optional(struct request *req)
{
    return http__thread_db(ctx_of(req)->srv);
}

const char *req_header(struct request *req, const char *name)
{
    return MHD_lookup_connection_value(ctx_of(req)->conn, MHD_HEADER_KIND, name);
}

static int dump_cb(const char *buf, size_t size, void *data)
{
    strbuf_append(data, buf, size);
    return 0;
}

void res_json(struct request *req, int status, json_t *body)
{
    struct req_ctx *c = ctx_of(req);
    struct strbuf sb;
    strbuf_init(&sb, req->arena, 512);
    json_dump_callback(body, dump_cb, &sb, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(body);
    req->status = status;
    req->res_body = sb.data;
    req->res_len = sb.len;
    if (req->content_type == NULL || strcmp(req->content_type, "application/problem+json") != 0)
        req->content_type = "application/json";
    c->responded = true;
}

void res_jsonw(struct request *req, int status, const struct jsonw *w)
{
    APP_ASSERT(w->depth == 0);
    req->status = status;
    req->res_body = w->sb.data;
    req->res_len = w->sb.len;
    req->content_type = "application/json";
    ctx_of(req)->responded = true;
}

void res_bytes(struct request *req, int status, const char *content_type, const void *data, size_t len)
{
    char *copy = arena_alloc(req->arena, len + 1);
    memcpy(copy, data, len);
    req->status = status;
    req->res_body = copy;
    req->res_len = len;
    req->content_type = arena_strdup(req->arena, content_type);
    ctx_of(req)->responded = true;
}

void res_empty(struct request *req, int status)
{
    req->status = status;
    req->res_body = NULL;
    req->res_len = 0;
    req->content_type = NULL;
    ctx_of(req)->responded = true;
}

void res_header(struct request *req, const char *name, const char *value)
{
    struct req_ctx *c = ctx_of(req);
    struct extra_header *h = arena_new(req->arena, struct extra_header);
    h->name = arena_strdup(req->arena, name);
    h->value = arena_strdup(req->arena, value);
    h->next = c->headers;
    c->headers = h;
}

const char *req_time(struct request *req, int64_t ms)
{
    char *buf = arena_alloc(req->arena, 32);
    return time_format_rfc3339(ms, buf, 32);
}

int req_db_error(struct request *req, const struct db_error *dberr, struct app_error *err)
{
    err->log_detail = arena_sprintf(req->arena, "%s: %s", db_errkind_name(dberr->kind), dberr->msg);
    switch (dberr->kind) {
    case DB_E_UNIQUE:
        return app_error_set(err, req->arena, "already_exists", "a resource with these values already exists");
    case DB_E_FOREIGN:
        return app_error_set(err, req->arena, "validation_failed", "a referenced resource does not exist");
    case DB_E_RETRY:
        err->retry_after = 1;
        return app_error_set(err, req->arena, "database_busy", "the database is busy; retry shortly");
    case DB_E_CONN:
        err->retry_after = 1;
        return app_error_set(err, req->arena, "service_unavailable", "the database is unavailable");
    default:
        return app_error_set(err, req->arena, "internal_error", "an internal error occurred");
    }
}
