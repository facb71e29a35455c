/*
 * recs_routes.c — the recommendations service's routes, module and the
 * ticker that keeps the model current.
 *
 * The updater runs every recs_update_ms on its own thread and connection
 * (platform/ticker.h) in every instance that mounts the module; its batches
 * serialise on the lock row, so several instances are safe (the later one
 * finds little left to do).
 *
 * Caveats: the for-me and trending answers lag the events by up to one
 * interval (10 s by default).
 */
#include "services/recs/recs.h"

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/ticker.h"
#include "services/recs/recs_int.h"

static const struct param_spec similar_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "prd"},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 50},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 16},
    {0},
};

static const struct param_spec for_me_params[] = {
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 50},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 16},
    {0},
};

static const struct param_spec trending_params[] = {
    {.name = "category", .source = PARAM_QUERY, .type = VT_ID, .id_prefix = "cat"},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 50},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 16},
    {0},
};

static const struct route recs_routes[] = {
    {HTTP_GET, "/api/v1/products/:id/similar", recs_handle_similar, AUTH_PUBLIC, similar_params, NULL,
     ROUTE_READONLY, "Products like this one: same category, shared tags and materials, price band"},
    {HTTP_GET, "/api/v1/recommendations/for-me", recs_handle_for_me, AUTH_USER, for_me_params, NULL, ROUTE_READONLY,
     "Personal recommendations: co-purchases, co-wishlists and co-views blended with categories; trending fill"},
    {HTTP_GET, "/api/v1/recommendations/trending", recs_handle_trending, AUTH_PUBLIC, trending_params, NULL,
     ROUTE_READONLY, "Products with the most recent activity (7-day linear decay), optionally in a category subtree"},
};

static struct ticker *updater;

static void update_tick(struct db *db, void *ctx)
{
    (void)ctx;
    if (db == NULL)
        return;
    struct recs_update_stats st;
    struct db_error dberr = {0};
    if (recs_update(db, time_now_ms(), &st, &dberr) != 0)
        log_warn("recommendations not updated", "%s", dberr.msg);
}

static int recs_init(struct app *app)
{
    const char *sql[RECS_Q__COUNT];
    for (int q = 0; q < RECS_Q__COUNT; q++)
        sql[q] = recs__sql((enum recs_query)q);
    if (app_check_sql(app, "recs", sql, RECS_Q__COUNT) != 0)
        return -1;
    updater = ticker_start(app, "recommendations", app->cfg->recs_update_ms, update_tick, NULL);
    return updater != NULL ? 0 : -1;
}

static void recs_fini(struct app *app)
{
    (void)app;
    ticker_stop(updater);
    updater = NULL;
    recs__cache_clear();
}

const struct service_module recs_module = {
    .name = "recs",
    .init = recs_init,
    .routes = recs_routes,
    .nroutes = sizeof recs_routes / sizeof recs_routes[0],
    .fini = recs_fini,
};
