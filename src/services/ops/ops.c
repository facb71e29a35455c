/*
 * ops.c — operations endpoints.
 *
 * /metrics is always mounted with ops so that every instance of a split
 * deployment can be scraped. Readiness checks the schema version, so a
 * load balancer never routes to an instance whose binary and database
 * disagree.
 *
 * Caveats: jobs counts come from a COUNT over the jobs table; it is
 * indexed by state, and scrapes are infrequent.
 */
#include "services/ops/ops.h"

#include <string.h>

#include "app.h"
#include "base/strbuf.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/metrics.h"
#include "http/openapi.h"
#include "platform/jobs.h"
#include "platform/redis.h"


static int ops_handle_healthz(struct request *req, struct app_error *err)
{
    (void)err;
    static const char body[] = "{\"status\":\"ok\"}";
    res_bytes(req, 200, "application/json", body, sizeof body - 1);
    return 0;
}

static int ops_handle_readyz(struct request *req, struct app_error *err)
{
    (void)err;
    struct db_error dberr = {0};
    struct migrate_status st;
    json_t *body = json_object();
    int status = 200;
    if (migrate_status(req->db, migrate_builtin, migrate_builtin_count, &st, &dberr) != 0) {
        json_object_set_new(body, "status", json_string("unavailable"));
        json_object_set_new(body, "database", json_string("unreachable"));
        status = 503;
    } else {
        bool current = st.pending == 0 && st.unknown == 0;
        json_object_set_new(body, "status", json_string(current ? "ok" : "unavailable"));
        json_object_set_new(body, "database", json_string("ok"));
        json_object_set_new(body, "schema_version", json_integer(st.db_version));
        json_object_set_new(body, "binary_schema_version", json_integer(st.binary_version));
        json_object_set_new(body, "migrations", json_string(current ? "current" : st.unknown ? "database newer" : "pending"));
        if (!current)
            status = 503;
    }
    json_object_set_new(body, "engine", json_string(db_engine(req->db) == DB_ENGINE_PG ? "postgresql" : "sqlite"));
    /* Redis down degrades (local delivery, open rate limits, cache misses) but does not make us unready. */
    if (redis_configured())
        json_object_set_new(body, "redis", json_string(redis_up() ? "ok" : "down"));
    if (status != 200)
        res_header(req, "Retry-After", "5");
    res_json(req, status, body);
    return 0;
}

static int ops_handle_metrics(struct request *req, struct app_error *err)
{
    (void)err;
    struct strbuf sb;
    strbuf_init(&sb, req->arena, 16384);
    metrics_render(&sb);
    /* The route needs no database, so a scrape still works when the database is down. */
    struct jobs_counts jc;
    struct db_error dberr = {0};
    strbuf_puts(&sb, "# HELP jobs Background jobs by state.\n# TYPE jobs gauge\n");
    struct db *db = req_db_optional(req);
    if (db != NULL && jobs_count(db, &jc, &dberr) == 0) {
        strbuf_printf(&sb, "jobs{state=\"queued\"} %lld\njobs{state=\"running\"} %lld\n", (long long)jc.queued,
                      (long long)jc.running);
        strbuf_printf(&sb, "jobs{state=\"succeeded\"} %lld\njobs{state=\"dead\"} %lld\n", (long long)jc.succeeded,
                      (long long)jc.dead);
    }
    res_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8", sb.data, sb.len);
    return 0;
}

static int ops_handle_openapi(struct request *req, struct app_error *err)
{
    (void)err;
    /* Built from the mounted modules' route tables: a split instance describes what it serves. */
    res_header(req, "Cache-Control", "public, max-age=300");
    res_json(req, 200, openapi_build(req->app->modules, req->app->nmodules, ARTISTRY_VERSION));
    return 0;
}

static const struct route ops_routes[] = {
    {HTTP_GET, "/healthz", ops_handle_healthz, AUTH_PUBLIC, NULL, NULL, ROUTE_READONLY | ROUTE_NO_DB,
     "Liveness: the process answers"},
    {HTTP_GET, "/readyz", ops_handle_readyz, AUTH_PUBLIC, NULL, NULL, ROUTE_READONLY,
     "Readiness: database reachable and schema current"},
    {HTTP_GET, "/metrics", ops_handle_metrics, AUTH_PUBLIC, NULL, NULL, ROUTE_READONLY | ROUTE_NO_DB,
     "Prometheus metrics"},
    {HTTP_GET, "/api/v1/openapi.json", ops_handle_openapi, AUTH_PUBLIC, NULL, NULL, ROUTE_READONLY | ROUTE_NO_DB,
     "OpenAPI description of this API"},
};

const struct service_module ops_module = {
    .name = "ops",
    .routes = ops_routes,
    .nroutes = sizeof ops_routes / sizeof ops_routes[0],
};
