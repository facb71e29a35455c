/*
 * app.h — the application context passed to every module.
 *
 * There are no hidden globals: configuration, the module table, the job
 * registry and the HTTP server hang off struct app, which main() builds and
 * hands to each service module's init function.
 */
#ifndef ARTISTRY_APP_H
#define ARTISTRY_APP_H

#include <stdbool.h>
#include <stddef.h>

/** The product version, reported by `artistry version` and the OpenAPI document. */
#define ARTISTRY_VERSION "0.1.0"

struct config;
struct db;
struct http_server;
struct request;
struct app_error;
struct job_registry;
struct ratelimit_store;
struct service_module;

struct app {
    const struct config *cfg;
    const struct service_module *const *modules; /* mounted modules */
    size_t nmodules;
    struct job_registry *jobs;
    struct http_server *server;
    long long started_at_ms;
    int schema_version; /* highest migration compiled in */
    /**
     * Verify a bearer credential (the whole Authorization header value) and
     * fill req->user_id/role/session_id; 0 or -1 with err set. Installed by
     * the identity module's init; NULL when it is not mounted.
     * Callable outside an HTTP request with a struct request holding only
     * arena, app and db (the realtime layer verifies a socket's token so).
     */
    int (*authenticate)(struct request *req, const char *authorization, struct app_error *err);
    /**
     * A new rate-limit bucket store shared by every instance (Redis), or
     * NULL: each limiter keeps its buckets in process. Installed by serve
     * when redis_url is set; the HTTP limiter and the chat send limit use it.
     */
    struct ratelimit_store *(*shared_ratelimit_store)(const struct app *app);
};

/** The table of every service module, in init order (src/services/modules.c). */
extern const struct service_module *const app_all_modules[];
extern const size_t app_all_modules_count;

/** Find a module by name, or NULL. */
const struct service_module *app_find_module(const char *name);

/**
 * Open a connection to the configured database for the calling thread
 * (the HTTP and job threads each keep one). Returns NULL on failure (logged).
 */
struct db *app_db_open(const struct app *app);

/**
 * Prepare every statement in sql[0..n-1] once at start-up so a broken query
 * stops the server from starting (STYLE.md §5). When the database schema is
 * not current (migrations pending, e.g. --migrate-on-start false) the check
 * is skipped with a warning: the statements would fail for that reason
 * alone, and /readyz already reports the instance as not ready.
 * Returns 0, or -1 (logged, naming the module and statement).
 */
int app_check_sql(const struct app *app, const char *module, const char *const *sql, size_t n);

#endif
