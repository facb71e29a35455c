/*
 * http.h — what a service module sees of the HTTP layer.
 *
 * A service declares a static route table (see struct route) and exposes an
 * init function that receives the struct app. The HTTP layer does, in order,
 * before a handler runs: route match (404/405), body size cap (413), content
 * type (415), JSON parse (400 naming the position), path and query parameter
 * validation against the route's param specs (400, undeclared query
 * parameters refused), body validation against the route's field specs (422
 * listing every bad field), and the auth guard (401/403). The handler then
 * either fills the response and returns 0, or fills *err and returns -1, and
 * the layer renders an RFC 9457 problem+json body from it.
 *
 * Memory: everything hanging off a request lives in req->arena and is freed
 * after the response is sent. Jansson values set as response bodies are
 * owned by the request from then on.
 *
 * Threads: handlers run on the server's pool threads and must not block on
 * anything slow (outside services, password hashing): see DESIGN.md §1.
 */
#ifndef ARTISTRY_HTTP_HTTP_H
#define ARTISTRY_HTTP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"

struct app;
struct db;
struct db_error;
struct request;

enum http_method {
    HTTP_GET = 1 << 0,
    HTTP_HEAD = 1 << 1,
    HTTP_POST = 1 << 2,
    HTTP_PUT = 1 << 3,
    HTTP_PATCH = 1 << 4,
    HTTP_DELETE = 1 << 5,
    HTTP_OPTIONS = 1 << 6,
};

/** Who may call a route. */
enum auth_level {
    AUTH_PUBLIC = 0, /* anyone */
    AUTH_OPTIONAL,   /* anyone; the user is known when a valid token is sent */
    AUTH_USER,       /* any signed-in user */
    AUTH_SELLER,     /* an approved seller (or admin) */
    AUTH_ADMIN,      /* an admin */
};

/*-----------------------------------------------------------------------------
 * Parameter and body specs
 */
enum param_source { PARAM_PATH, PARAM_QUERY };
enum value_type {
    VT_STRING, /* text with min/max length (in code points) */
    VT_INT,    /* integer with min/max */
    VT_BOOL,   /* true/false (query: "true"/"false"/"1"/"0") */
    VT_ID,     /* an id with the given prefix (base/ids.h) */
    VT_ENUM,   /* one of enum_values */
    VT_EMAIL,  /* an email address */
    VT_OBJECT, /* JSON object (body only), validated by `fields` when set */
    VT_ARRAY,  /* JSON array (body only); max = max items */
    VT_MONEY,  /* integer minor units >= 0 */
    VT_TIME,   /* RFC 3339 timestamp */
    VT_ANY,    /* any JSON value (body only) */
};

/** A path or query parameter. */
struct param_spec {
    const char *name;
    enum param_source source;
    enum value_type type;
    bool required;
    int64_t min, max;              /* VT_INT range / VT_STRING length; both 0 = unbounded */
    const char *id_prefix;         /* VT_ID */
    const char *const *enum_values; /* VT_ENUM, NULL-terminated */
};

/** A JSON body field. Unknown fields are refused. */
struct field_spec {
    const char *name;
    enum value_type type;
    bool required;
    int64_t min, max;
    const char *id_prefix;
    const char *const *enum_values;
    const struct field_spec *fields; /* VT_OBJECT: nested fields (NULL-name terminated); VT_ARRAY: item object spec */
    bool nullable;
};

/*-----------------------------------------------------------------------------
 * Routes and modules
 */
typedef int (*route_handler)(struct request *req, struct app_error *err);

enum route_flags {
    ROUTE_BODY_JSON = 1 << 0, /* expects application/json */
    ROUTE_BODY_RAW = 1 << 1,  /* takes the raw body (content types checked by the handler) */
    ROUTE_READONLY = 1 << 2,  /* no writes (GET/HEAD) */
    ROUTE_IDEMPOTENT = 1 << 3, /* honours Idempotency-Key */
    ROUTE_NO_LOG = 1 << 4,    /* keep out of the access log (probes) */
    ROUTE_BIG_BODY = 1 << 5,  /* body cap is the upload limit, not the JSON limit */
    ROUTE_NO_DB = 1 << 6,     /* the handler needs no database connection (liveness, metrics) */
};

struct route {
    unsigned method;  /* one enum http_method */
    const char *path; /* "/api/v1/products/:id" */
    route_handler handler;
    enum auth_level auth;
    const struct param_spec *params; /* terminated by a NULL name; may be NULL */
    const struct field_spec *body;   /* terminated by a NULL name; may be NULL */
    unsigned flags;
    const char *summary; /* one line for docs */
    const char *rate_policy; /* named rate-limit policy (src/http/ratelimit.c); NULL: "default" */
};

/** A service module: one folder under src/services plus one line in the module table. */
struct service_module {
    const char *name;
    const struct route *routes;
    size_t nroutes;
    /** Called once at start-up (may register jobs, check SQL); 0 or -1. NULL: nothing to do. */
    int (*init)(struct app *app);
    /** Called at shutdown; NULL: nothing to do. */
    void (*fini)(struct app *app);
};

/*-----------------------------------------------------------------------------
 * Request access (valid during the handler)
 */
struct request {
    struct arena *arena;
    struct app *app;
    struct db *db; /* this thread's connection */
    unsigned method;
    const char *path;
    const struct route *route;
    const char *request_id;
    const char *client_ip;
    json_t *json; /* parsed body for ROUTE_BODY_JSON (owned by the request) */
    const char *body;
    size_t body_len;
    /* Identity, filled by the auth guard. */
    const char *user_id;
    const char *role;
    const char *session_id;
    /* Response being built. */
    int status;
    const char *content_type;
    const char *res_body;
    size_t res_len;
    void *_impl;
};

/** Path or query parameter value (validated), or NULL if absent. */
const char *req_param(struct request *req, const char *name);
/** Integer parameter, or dflt if absent. */
int64_t req_param_i64(struct request *req, const char *name, int64_t dflt);
/** Boolean parameter, or dflt if absent. */
bool req_param_bool(struct request *req, const char *name, bool dflt);
/**
 * This thread's database connection for a ROUTE_NO_DB handler that can use
 * one when it is available (metrics); NULL if the database cannot be opened.
 */
struct db *req_db_optional(struct request *req);
/** Request header (case-insensitive), or NULL. */
const char *req_header(struct request *req, const char *name);

/** Reply with a JSON value; takes ownership of body (steals the reference). */
void res_json(struct request *req, int status, json_t *body);
/**
 * Finish this request on the slow-work pool: the connection is suspended,
 * fn(req, err) runs on a pool thread (with that thread's own req->db), and
 * its response is sent when it returns. A handler calls it as its last act:
 * `return req_offload(req, slow_fn, err);`. When the pool's queue is full,
 * returns -1 with err set to service_unavailable (503, Retry-After).
 */
int req_offload(struct request *req, route_handler fn, struct app_error *err);

/** Reply with the JSON written by a struct jsonw (its buffer is in the request arena: no copy). */
struct jsonw;
void res_jsonw(struct request *req, int status, const struct jsonw *w);
/** Reply with bytes copied into the request arena. */
void res_bytes(struct request *req, int status, const char *content_type, const void *data, size_t len);
/** Reply with no body (204 etc.). */
void res_empty(struct request *req, int status);
/** Add a response header (both strings copied). */
void res_header(struct request *req, const char *name, const char *value);

/*-----------------------------------------------------------------------------
 * Helpers for handlers
 */

/** RFC 3339 string for epoch ms, in the request arena. */
const char *req_time(struct request *req, int64_t ms);

/** Map a database error to an app error: unique → conflict, retry → unavailable, else internal. Returns -1. */
int req_db_error(struct request *req, const struct db_error *dberr, struct app_error *err);

#endif
