/*
 * http_int.h — declarations shared by the files of src/http only.
 */
#ifndef ARTISTRY_HTTP_HTTP_INT_H
#define ARTISTRY_HTTP_HTTP_INT_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "http/http.h"
#include "http/router.h"

struct extra_header {
    struct extra_header *next;
    const char *name, *value;
};

/* What *con_cls points to: a routed request or a hooked one (http/hook.h); both start with kind. */
enum ctx_kind { CTX_ROUTE = 1, CTX_HOOK };

/** Per-request state, from the first MHD callback to the completion notice. */
struct req_ctx {
    enum ctx_kind kind; /* CTX_ROUTE; must stay first */
    struct request req;
    struct arena arena;
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct route_match match;
    int64_t t0_ns;
    char *body;
    size_t body_len, body_cap, body_limit;
    bool too_large;
    bool responded;
    bool expects_body;
    const char *method_name;
    struct extra_header *headers;
    json_t *res_json; /* decref'd at completion */
    route_handler offload_fn; /* set by req_offload: run on the slow pool */
    bool offloaded;           /* suspended, waiting for the slow pool */
    atomic_bool offload_done; /* the slow pool finished; send on resume */
    bool idem_claimed;        /* owns an Idempotency-Key (http/idempotency.c): finish stores the response */
    char scratch[1024];
};

struct http_server {
    struct MHD_Daemon *daemon;
    struct app *app;
    struct router *router;
    int port;
    atomic_int in_flight;
    atomic_bool stopping; /* refuse new connections (graceful stop) */
    bool access_log;
    int64_t max_body, max_upload;
    char **cors_origins; /* NULL-terminated; "*" allows any */
    bool cors_any;
    struct offload_pool *slow;
    struct ratelimiter *rl; /* http/ratelimit.h */
    _Atomic(const struct http_hook *) hook; /* http/hook.h: a path prefix served by another layer */
};

/** Run the request pipeline for a request whose body is complete, and queue the response. */
enum MHD_Result http__dispatch(struct req_ctx *c);

/** Queue the response built in c->req. */
enum MHD_Result http__send(struct req_ctx *c);

/** Fill c->req's response with a problem+json body for err. */
void http__problem(struct req_ctx *c, const struct app_error *err);

/** Shorthand: problem with a code and message. */
void http__fail(struct req_ctx *c, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** After the handler: run the pipeline's tail (CORS, send). */
enum MHD_Result http__finish(struct req_ctx *c);

/** This thread's database connection (opened on first use), or NULL if it cannot be opened. */
struct db *http__thread_db(struct http_server *srv);

#endif
