/*
 * server.c — libmicrohttpd glue: daemon set-up, request lifecycle, response
 * headers, access log and metrics at completion, graceful stop.
 *
 * Lifecycle of one request:
 *   1. first callback: allocate the context, match the route, decide the
 *      body limit; requests that carry no body are dispatched at once;
 *   2. body callbacks: append to the body buffer up to the limit (a larger
 *      body is drained and answered 413);
 *   3. final callback: http__dispatch() runs the pipeline and queues the
 *      response (its bytes stay in the request arena, MHD sends them
 *      without a copy);
 *   4. completion notice: metrics, access-log line, free the context.
 *
 * Threads: MHD's epoll pool threads run everything above. Each keeps one
 * database connection in thread-local storage, because MHD owns the
 * threads and offers no per-thread context of its own; a pthread key
 * destructor closes it when MHD joins the thread.
 *
 * Caveats: libmicrohttpd percent-decodes the path before we see it.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/accesslog.h"
#include "http/hook.h"
#include "http/http_int.h"
#include "http/metrics.h"
#include "http/offload.h"
#include "http/ratelimit.h"

/*-----------------------------------------------------------------------------
 * Per-thread database connection
 */
static pthread_key_t db_key;
static pthread_once_t db_key_once = PTHREAD_ONCE_INIT;
static __thread struct db *thread_db;

static void close_thread_db(void *p)
{
    db_close(p);
}

static void make_db_key(void)
{
    pthread_key_create(&db_key, close_thread_db);
}

struct db *http__thread_db(struct http_server *srv)
{
    if (thread_db != NULL)
        return thread_db;
    pthread_once(&db_key_once, make_db_key);
    thread_db = app_db_open(srv->app);
    if (thread_db != NULL)
        pthread_setspecific(db_key, thread_db);
    return thread_db;
}

/*-----------------------------------------------------------------------------
 * Responses
 */
static bool valid_request_id(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        char ch = s[n];
        if (n >= 128 || !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                          ch == '-' || ch == '_' || ch == '.' || ch == ':'))
            return false;
    }
    return n > 0;
}

enum MHD_Result http__send(struct req_ctx *c)
{
    struct request *req = &c->req;
    struct MHD_Response *res =
        MHD_create_response_from_buffer(req->res_len, (void *)(uintptr_t)req->res_body, MHD_RESPMEM_PERSISTENT);
    if (res == NULL)
        return MHD_NO;
    if (req->content_type != NULL)
        MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    MHD_add_response_header(res, "X-Request-Id", req->request_id);
    MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(res, "X-Frame-Options", "DENY");
    MHD_add_response_header(res, "Referrer-Policy", "no-referrer");
    bool has_csp = false, has_cache = false;
    for (struct extra_header *h = c->headers; h != NULL; h = h->next) {
        MHD_add_response_header(res, h->name, h->value);
        has_csp |= strcasecmp(h->name, "Content-Security-Policy") == 0;
        has_cache |= strcasecmp(h->name, "Cache-Control") == 0;
    }
    if (!has_csp)
        MHD_add_response_header(res, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    if (!has_cache)
        MHD_add_response_header(res, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result r = MHD_queue_response(c->conn, (unsigned)req->status, res);
    MHD_destroy_response(res);
    c->responded = true;
    return r;
}

/*-----------------------------------------------------------------------------
 * Request lifecycle
 */
static struct req_ctx *ctx_new(struct http_server *srv, struct MHD_Connection *conn, const char *url,
                               const char *method)
{
    struct req_ctx *c = xcalloc(1, sizeof *c);
    c->kind = CTX_ROUTE;
    arena_init(&c->arena, 8192);
    c->srv = srv;
    c->conn = conn;
    c->t0_ns = time_mono_ns();
    c->method_name = method;
    struct request *req = &c->req;
    req->_impl = c;
    req->arena = &c->arena;
    req->app = srv->app;
    req->method = http_method_parse(method);
    req->path = url;
    req->status = 500;
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    req->request_id = rid != NULL && valid_request_id(rid) ? rid : id_new(&c->arena, "req");
    router_match(srv->router, req->method, url, c->scratch, sizeof c->scratch, &c->match);
    req->route = c->match.route;
    const struct route *rt = c->match.route;
    c->body_limit = (size_t)(rt != NULL && (rt->flags & ROUTE_BIG_BODY) ? srv->max_upload : srv->max_body);
    atomic_fetch_add(&srv->in_flight, 1);
    return c;
}

static void ctx_free(struct req_ctx *c)
{
    if (c->req.json != NULL)
        json_decref(c->req.json);
    free(c->body);
    arena_destroy(&c->arena);
    free(c);
}

static bool has_body(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL)
        return strcmp(cl, "0") != 0;
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

/* A request under the hook's prefix (http/hook.h): small, no arena, no route. */
struct hook_ctx {
    enum ctx_kind kind; /* CTX_HOOK; must stay first */
    const struct http_hook *hook;
    void *state;
};

void http_server_set_hook(struct http_server *srv, const struct http_hook *hook)
{
    atomic_store(&srv->hook, hook);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    if (*con_cls == NULL) {
        const struct http_hook *hk = atomic_load(&srv->hook);
        if (hk != NULL && strncmp(url, hk->prefix, strlen(hk->prefix)) == 0) {
            struct hook_ctx *h = xcalloc(1, sizeof *h);
            h->kind = CTX_HOOK;
            h->hook = hk;
            *con_cls = h;
            atomic_fetch_add(&srv->in_flight, 1);
        }
    }
    if (*con_cls != NULL && *(const enum ctx_kind *)*con_cls == CTX_HOOK) {
        struct hook_ctx *h = *con_cls;
        return h->hook->handle(h->hook->ud, conn, url, method, upload_data, upload_data_size, &h->state);
    }
    struct req_ctx *c = *con_cls;
    if (c != NULL && c->offloaded) {
        /* Called again after MHD_resume_connection: the slow pool has answered. */
        if (!atomic_load(&c->offload_done))
            return MHD_YES;
        c->offloaded = false;
        return http__finish(c);
    }
    if (c == NULL) {
        c = ctx_new(srv, conn, url, method);
        *con_cls = c;
        if (c->req.method == 0) {
            http__fail(c, "not_implemented", "method %s is not supported", method);
            return http__send(c);
        }
        c->expects_body = has_body(conn);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > c->body_limit) {
            /* Answer before reading: the client need not upload what will be refused. */
            c->too_large = true;
        }
        /*
         * Refusals that need no body (404/405/413 by Content-Length) are sent
         * now; libmicrohttpd then closes the connection, so the client need
         * not upload a body that would be thrown away. Everything else is
         * answered on a later call, which keeps the connection alive.
         */
        if (c->expects_body && (c->too_large || c->match.route == NULL))
            return http__dispatch(c);
        return MHD_YES;
    }
    if (c->responded) {
        *upload_data_size = 0; /* drain whatever the client still sends */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (c->too_large || c->body_len + n > c->body_limit) {
            c->too_large = true;
            return MHD_YES;
        }
        if (c->body_len + n + 1 > c->body_cap) {
            size_t cap = c->body_cap ? c->body_cap : 4096;
            while (cap < c->body_len + n + 1)
                cap *= 2;
            c->body = xrealloc(c->body, cap);
            c->body_cap = cap;
        }
        memcpy(c->body + c->body_len, upload_data, n);
        c->body_len += n;
        c->body[c->body_len] = '\0';
        return MHD_YES;
    }
    return http__dispatch(c);
}

static void log_access(struct req_ctx *c, double seconds)
{
    struct request *req = &c->req;
    char line[2048];
    char ts[40];
    size_t len;
    time_format_rfc3339(time_now_ms(), ts, sizeof ts);
    len = (size_t)snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"method\":\"", ts);
    log_json_escape(line, 600, &len, c->method_name ? c->method_name : "?");
    len += (size_t)snprintf(line + len, sizeof line - len, "\",\"route\":\"%s\",\"path\":\"",
                            req->route ? req->route->path : "");
    log_json_escape(line, 1200, &len, req->path ? req->path : "");
    len += (size_t)snprintf(line + len, sizeof line - len,
                            "\",\"status\":%d,\"duration_ms\":%.3f,\"bytes\":%zu,\"request_id\":\"%s\"", req->status,
                            seconds * 1e3, req->res_len, req->request_id);
    if (req->user_id != NULL)
        len += (size_t)snprintf(line + len, sizeof line - len, ",\"user_id\":\"%.64s\"", req->user_id);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[INET6_ADDRSTRLEN] = "";
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip, sizeof ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip, sizeof ip);
    }
    len += (size_t)snprintf(line + len, sizeof line - len, ",\"ip\":\"%s\"}\n", ip);
    if (len >= sizeof line)
        len = sizeof line - 1;
    accesslog_append(line, len);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct http_server *srv = cls;
    struct req_ctx *c = *con_cls;
    if (c == NULL)
        return;
    *con_cls = NULL;
    if (c->kind == CTX_HOOK) {
        struct hook_ctx *h = (struct hook_ctx *)(void *)c;
        h->hook->done(h->hook->ud, h->state);
        free(h);
        atomic_fetch_sub(&srv->in_flight, 1);
        return;
    }
    double seconds = (double)(time_mono_ns() - c->t0_ns) / 1e9;
    if (!c->responded)
        c->req.status = 499; /* client went away before we answered */
    metrics_observe_request(c->match.route_index, c->req.method, c->req.status, seconds);
    if (srv->access_log)
        log_access(c, seconds);
    ctx_free(c);
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* Accept policy: refuse every new connection once shutdown has begun. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    const struct http_server *srv = cls;
    return atomic_load(&srv->stopping) ? MHD_NO : MHD_YES;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    log_warn("http", "%s", buf);
}

/*-----------------------------------------------------------------------------
 * Start and stop
 */
static char **split_list(const char *s, bool *any)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    char **out = xcalloc(n + 1, sizeof *out);
    size_t k = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        if (t > p) {
            out[k] = xmalloc((size_t)(t - p) + 1);
            memcpy(out[k], p, (size_t)(t - p));
            out[k][t - p] = '\0';
            if (strcmp(out[k], "*") == 0)
                *any = true;
            k++;
        }
        p = e;
    }
    return out;
}

static void free_list(char **l)
{
    for (char **p = l; p != NULL && *p != NULL; p++)
        free(*p);
    free(l);
}

static int resolve_listen(const char *host, int port, struct sockaddr_storage *ss)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || res == NULL) {
        log_error("cannot resolve listen address", "%s: %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

struct http_server *http_server_start(struct app *app)
{
    const struct config *cfg = app->cfg;
    struct http_server *srv = xcalloc(1, sizeof *srv);
    srv->app = app;
    srv->access_log = cfg->access_log;
    srv->max_body = cfg->max_body;
    srv->max_upload = cfg->max_upload;
    if (cfg->cors_origins != NULL && *cfg->cors_origins != '\0')
        srv->cors_origins = split_list(cfg->cors_origins, &srv->cors_any);
    srv->router = router_new();
    char eb[256];
    for (size_t i = 0; i < app->nmodules; i++) {
        const struct service_module *m = app->modules[i];
        if (router_add(srv->router, m->routes, m->nroutes, eb, sizeof eb) != 0) {
            log_error("bad route table", "module %s: %s", m->name, eb);
            goto fail;
        }
    }
    srv->rl = ratelimit_new(app);
    if (srv->rl == NULL)
        goto fail;
    metrics_init(srv->router);
    db_set_observer(metrics_observe_db);

    struct sockaddr_storage ss;
    if (resolve_listen(cfg->listen_host, cfg->listen_port, &ss) != 0)
        goto fail;
    unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE; /* upgrade: WebSockets under http/hook.h */
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(flags, (uint16_t)cfg->listen_port, accept_policy, srv, on_request, srv,
                                   MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                   MHD_OPTION_THREAD_POOL_SIZE, threads,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout,
                                   /* Request line + headers must fit: larger gets 431. An upgraded
                                    * WebSocket keeps this pool for its lifetime (about 4/5 of it is
                                    * touched), so it is most of the memory per idle socket. */
                                   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->connection_memory,
                                   MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                   MHD_OPTION_END);
    if (srv->daemon == NULL) {
        log_error("cannot start HTTP server", "%s:%d: %s", cfg->listen_host, cfg->listen_port, strerror(errno));
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : cfg->listen_port;
    srv->slow = offload_start(cfg->slow_workers, cfg->slow_queue);
    if (srv->slow == NULL) {
        log_error("cannot start the slow-work pool", NULL);
        MHD_stop_daemon(srv->daemon);
        goto fail;
    }
    if (srv->access_log)
        accesslog_start();
    log_info("listening", "http://%s:%d threads=%u", cfg->listen_host, srv->port, threads);
    return srv;
fail:
    ratelimit_free(srv->rl);
    router_free(srv->router);
    free_list(srv->cors_origins);
    free(srv);
    return NULL;
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

void http_server_stop(struct http_server *srv, int grace_ms)
{
    if (srv == NULL)
        return;
    /*
     * Stop taking connections through the accept policy, not
     * MHD_quiesce_daemon(): on an epoll daemon with its own threads, quiesce
     * races with the workers' own removal of the listen socket from their
     * epoll sets and libmicrohttpd aborts ("Failed to remove listen FD from
     * epoll set", seen in CI on about 1 stop in 100). From here on a new
     * connection is closed as soon as it is accepted.
     */
    atomic_store(&srv->stopping, true);
    int64_t deadline = time_mono_ns() + (int64_t)grace_ms * 1000000;
    while (atomic_load(&srv->in_flight) > 0 && time_mono_ns() < deadline)
        usleep(10 * 1000);
    int left = atomic_load(&srv->in_flight);
    if (left > 0)
        log_warn("stopping with requests in flight", "%d", left);
    /* Slow tasks finish first: the daemon may only stop once no connection is suspended. */
    offload_stop(srv->slow);
    MHD_stop_daemon(srv->daemon);
    accesslog_stop();
    metrics_fini();
    ratelimit_free(srv->rl);
    router_free(srv->router);
    free_list(srv->cors_origins);
    free(srv);
}
