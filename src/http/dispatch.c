/*
 * dispatch.c — the request pipeline, run once the body is complete.
 *
 * Order: CORS preflight → 404/405 → rate limit per client IP (429) → 413 →
 * 415 → 400 malformed JSON → auth (401/403) → rate limit per user (429) →
 * parameters (400) → body fields (422) → Idempotency-Key (http/idempotency.h:
 * replay or 409) → handler. Size and
 * syntax come before auth so that a client learns about a broken request
 * without credentials, and field-level validation comes after auth so that
 * the schema is not disclosed to anonymous callers.
 *
 * Caveats: the authenticator is supplied by the identity module through
 * app->authenticate; without it, every route that needs a user answers 401.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "base/log.h"
#include "http/errors.h"
#include "http/http_int.h"
#include "http/idempotency.h"
#include "http/offload.h"
#include "http/ratelimit.h"
#include "http/validate.h"

void http__problem(struct req_ctx *c, const struct app_error *err)
{
    struct request *req = &c->req;
    int status = err->status ? err->status : http_error_status(err->code);
    if (status >= 500 && err->log_detail != NULL)
        log_error("request failed", "%s %s: %s (%s)", c->method_name, req->path, err->code ? err->code : "?",
                  err->log_detail);
    if (err->retry_after > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%ld", err->retry_after);
        res_header(req, "Retry-After", ra);
    }
    req->content_type = "application/problem+json";
    res_json(req, status, http_problem_json(err, status, req->path, req->request_id));
}

void http__fail(struct req_ctx *c, const char *code, const char *fmt, ...)
{
    struct app_error err = {0};
    va_list ap;
    va_start(ap, fmt);
    err.code = code;
    err.msg = arena_vsprintf(&c->arena, fmt, ap);
    va_end(ap);
    http__problem(c, &err);
}

/* Content-Type is application/json, optionally with parameters (charset=utf-8). */
static bool is_json_type(const char *ct)
{
    if (ct == NULL)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/*-----------------------------------------------------------------------------
 * CORS
 */
static const char *allowed_origin(struct req_ctx *c)
{
    struct http_server *srv = c->srv;
    const char *origin = req_header(&c->req, "Origin");
    if (origin == NULL || srv->cors_origins == NULL)
        return NULL;
    if (srv->cors_any)
        return origin;
    for (char **o = srv->cors_origins; *o != NULL; o++)
        if (strcmp(*o, origin) == 0)
            return origin;
    return NULL;
}

static void add_cors(struct req_ctx *c)
{
    const char *origin = allowed_origin(c);
    if (origin == NULL)
        return;
    res_header(&c->req, "Access-Control-Allow-Origin", origin);
    res_header(&c->req, "Vary", "Origin");
    res_header(&c->req, "Access-Control-Expose-Headers",
               "X-Request-Id, Retry-After, RateLimit, RateLimit-Policy, Location, ETag");
    if (!c->srv->cors_any)
        res_header(&c->req, "Access-Control-Allow-Credentials", "true");
}

static void preflight(struct req_ctx *c)
{
    struct request *req = &c->req;
    const char *origin = allowed_origin(c);
    if (origin != NULL) {
        char methods[96];
        http_methods_format(c->match.allowed | HTTP_OPTIONS, methods, sizeof methods);
        res_header(req, "Access-Control-Allow-Methods", methods);
        res_header(req, "Access-Control-Allow-Headers",
                   "Authorization, Content-Type, Idempotency-Key, X-Request-Id");
        res_header(req, "Access-Control-Max-Age", "600");
    }
    res_empty(req, 204);
}

/*-----------------------------------------------------------------------------
 * Parameters
 */
struct query_check {
    struct req_ctx *c;
    struct app_error *err;
    int bad;
};

static const struct param_spec *find_param(const struct route *rt, const char *name, enum param_source src)
{
    for (const struct param_spec *p = rt->params; p != NULL && p->name != NULL; p++)
        if (p->source == src && strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

static enum MHD_Result check_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct query_check *q = cls;
    struct arena *a = &q->c->arena;
    const struct param_spec *p = find_param(q->c->req.route, key, PARAM_QUERY);
    if (p == NULL) {
        if (!utf8_valid(key, strlen(key)))
            key = "(invalid UTF-8)";
        app_error_add_field(q->err, a, key, "unknown_parameter", "is not a parameter of this endpoint");
        q->bad = 1;
    } else if (validate_param(p, value ? value : "", q->err, a) != 0) {
        q->bad = 1;
    }
    return MHD_YES;
}

static int check_params(struct req_ctx *c, struct app_error *err)
{
    const struct route *rt = c->req.route;
    struct query_check q = {c, err, 0};
    for (int i = 0; i < c->match.nparams; i++) {
        const struct param_spec *p = find_param(rt, c->match.param_names[i], PARAM_PATH);
        if (p != NULL && validate_param(p, c->match.param_values[i], err, &c->arena) != 0)
            q.bad = 1;
    }
    MHD_get_connection_values(c->conn, MHD_GET_ARGUMENT_KIND, check_query_arg, &q);
    for (const struct param_spec *p = rt->params; p != NULL && p->name != NULL; p++)
        if (p->source == PARAM_QUERY && p->required &&
            MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, p->name) == NULL) {
            app_error_add_field(err, &c->arena, p->name, "required", "is required");
            q.bad = 1;
        }
    if (q.bad) {
        err->code = "invalid_parameter";
        err->msg = err->nfields == 1 ? arena_sprintf(&c->arena, "parameter '%s' %s", err->fields[0].field,
                                                     err->fields[0].message)
                                     : "some parameters are invalid; see errors";
        return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Auth guard
 */
static int check_auth(struct req_ctx *c, struct app_error *err)
{
    struct request *req = &c->req;
    enum auth_level level = req->route->auth;
    if (level == AUTH_PUBLIC)
        return 0;
    const char *authz = req_header(req, "Authorization");
    if (authz == NULL) {
        if (level == AUTH_OPTIONAL)
            return 0;
        res_header(req, "WWW-Authenticate", "Bearer realm=\"artistry\"");
        return app_error_set(err, req->arena, "unauthenticated", "this endpoint requires a bearer token");
    }
    if (req->app->authenticate == NULL) {
        res_header(req, "WWW-Authenticate", "Bearer realm=\"artistry\", error=\"invalid_token\"");
        return app_error_set(err, req->arena, "invalid_token", "no authenticator is mounted on this instance");
    }
    if (req->app->authenticate(req, authz, err) != 0) {
        if (err->code == NULL)
            app_error_set(err, req->arena, "invalid_token", "the access token is invalid or expired");
        if (strcmp(err->code, "invalid_token") == 0)
            res_header(req, "WWW-Authenticate", "Bearer realm=\"artistry\", error=\"invalid_token\"");
        return -1;
    }
    const char *role = req->role ? req->role : "";
    bool ok = level == AUTH_OPTIONAL || level == AUTH_USER ||
              (level == AUTH_SELLER && (strcmp(role, "seller") == 0 || strcmp(role, "admin") == 0)) ||
              (level == AUTH_ADMIN && strcmp(role, "admin") == 0);
    if (!ok)
        return app_error_set(err, req->arena, "forbidden", "your role may not call this endpoint");
    return 0;
}

/*-----------------------------------------------------------------------------
 * Slow work
 */
static void run_offloaded(void *arg)
{
    struct req_ctx *c = arg;
    struct request *req = &c->req;
    struct app_error err = {0};
    req->db = http__thread_db(c->srv);
    if (req->db == NULL) {
        err.retry_after = 1;
        app_error_set(&err, req->arena, "service_unavailable", "the database is unavailable");
        http__problem(c, &err);
    } else if (c->offload_fn(req, &err) != 0) {
        if (err.code == NULL)
            err.code = "internal_error";
        http__problem(c, &err);
    } else if (!c->responded) {
        res_empty(req, 204);
    }
    atomic_store(&c->offload_done, true);
    MHD_resume_connection(c->conn);
}

/*
 * Suspend first, then queue: the pool may finish before this function
 * returns, and resuming requires a suspended connection. A full queue is
 * answered through the same resume path.
 */
static void start_offload(struct req_ctx *c)
{
    c->offloaded = true;
    MHD_suspend_connection(c->conn);
    if (offload_submit(c->srv->slow, run_offloaded, c) != 0) {
        struct app_error err = {0};
        err.retry_after = 1;
        app_error_set(&err, &c->arena, "service_unavailable", "the server is busy; retry shortly");
        http__problem(c, &err);
        atomic_store(&c->offload_done, true);
        MHD_resume_connection(c->conn);
    }
}

enum MHD_Result http__finish(struct req_ctx *c)
{
    if (c->idem_claimed)
        idempotency_finish(c);
    add_cors(c);
    return http__send(c);
}

/*-----------------------------------------------------------------------------
 * The pipeline
 */
enum MHD_Result http__dispatch(struct req_ctx *c)
{
    struct request *req = &c->req;
    const struct route *rt = c->match.route;
    struct app_error err = {0};

    if (c->responded)
        goto send;
    if (req->method == HTTP_OPTIONS && c->match.allowed != 0 && rt == NULL) {
        preflight(c);
        goto send;
    }
    if (c->match.allowed == 0) {
        http__fail(c, "not_found", "no resource at %s", req->path);
        goto send;
    }
    if (rt == NULL) {
        char allow[96];
        http_methods_format(c->match.allowed, allow, sizeof allow);
        res_header(req, "Allow", allow);
        http__fail(c, "method_not_allowed", "%s is not allowed on %s; allowed: %s", c->method_name, req->path,
                   allow);
        goto send;
    }
    if (http__ratelimit(c, RL_BY_IP) != 0)
        goto send;
    if (c->too_large) {
        http__fail(c, "payload_too_large", "the request body exceeds the limit of %zu bytes", c->body_limit);
        goto send;
    }
    req->body = c->body;
    req->body_len = c->body_len;
    if (rt->flags & ROUTE_BODY_JSON) {
        const char *ct = req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (c->body_len > 0 && !is_json_type(ct)) {
            http__fail(c, "unsupported_media_type", "expected Content-Type application/json, got %s",
                       ct ? ct : "none");
            goto send;
        }
        if (c->body_len == 0) {
            req->json = json_object();
        } else {
            json_error_t jerr;
            req->json = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &jerr);
            if (req->json == NULL) {
                http__fail(c, "malformed_json", "invalid JSON at line %d, column %d (byte %d): %s", jerr.line,
                           jerr.column, jerr.position, jerr.text);
                goto send;
            }
        }
    } else if (!(rt->flags & ROUTE_BODY_RAW) && c->body_len > 0) {
        http__fail(c, "unsupported_media_type", "%s %s takes no request body", c->method_name, rt->path);
        goto send;
    }
    if (check_auth(c, &err) != 0) {
        http__problem(c, &err);
        goto send;
    }
    if (http__ratelimit(c, RL_BY_USER) != 0)
        goto send;
    if (check_params(c, &err) != 0) {
        http__problem(c, &err);
        goto send;
    }
    if (rt->body != NULL && req->json != NULL && validate_body(rt->body, req->json, "", &err, &c->arena) != 0) {
        err.code = "validation_failed";
        err.msg = err.nfields == 1
                      ? arena_sprintf(&c->arena, "field '%s' %s", err.fields[0].field, err.fields[0].message)
                      : arena_sprintf(&c->arena, "%zu fields are invalid; see errors", err.nfields);
        http__problem(c, &err);
        goto send;
    }
    req->db = (rt->flags & ROUTE_NO_DB) ? NULL : http__thread_db(c->srv);
    if (req->db == NULL && !(rt->flags & ROUTE_NO_DB)) {
        err.retry_after = 1;
        app_error_set(&err, req->arena, "service_unavailable", "the database is unavailable");
        http__problem(c, &err);
        goto send;
    }
    if (idempotency_begin(c) == IDEM_ANSWERED)
        goto send;
    if (rt->handler(req, &err) != 0) {
        if (err.code == NULL)
            err.code = "internal_error";
        http__problem(c, &err);
    } else if (c->offload_fn != NULL) {
        start_offload(c);
        return MHD_YES; /* answered when the connection resumes */
    } else if (!c->responded) {
        res_empty(req, 204);
    }
send:
    return http__finish(c);
}
