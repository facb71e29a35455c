/*
 * search_routes.c — the search service's route table and module.
 */
#include "services/search/search.h"

#include "app.h"
#include "base/config.h"
#include "db/db.h"
#include "services/search/search_int.h"

static const struct param_spec search_params[] = {
    PRODUCTS_FILTER_PARAMS,
    {.name = "q", .source = PARAM_QUERY, .type = VT_STRING, .required = true, .min = 1, .max = 200},
    {0},
};

static const struct param_spec suggestion_params[] = {
    {.name = "q", .source = PARAM_QUERY, .type = VT_STRING, .required = true, .min = 1, .max = 100},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = SEARCH_SUGGEST_MAX},
    {0},
};

static const struct param_spec trending_params[] = {
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 50},
    {0},
};

static const struct route search_routes[] = {
    {HTTP_GET, "/api/v1/search", search_handle_search, AUTH_PUBLIC, search_params, NULL, ROUTE_READONLY,
     "Search active products: relevance, filters, facets, highlights, typo tolerance"},
    {HTTP_GET, "/api/v1/search/suggestions", search_handle_suggestions, AUTH_PUBLIC, suggestion_params, NULL,
     ROUTE_READONLY, "Complete a prefix among product titles, tags and shop names"},
    {HTTP_GET, "/api/v1/search/trending", search_handle_trending, AUTH_PUBLIC, trending_params, NULL, 0,
     "Queries searched most lately, decayed over time"},
    {HTTP_POST, "/api/v1/search/index", search_handle_rebuild, AUTH_ADMIN, NULL, NULL, 0,
     "Rebuild the search index (admin)"},
};

static int search_init(struct app *app)
{
    size_t n;
    const char *const *engine = search_sql_all(db_url_is_pg(app->cfg->database), &n);
    const char *own[SEARCH_Q__COUNT];
    for (int q = 0; q < SEARCH_Q__COUNT; q++)
        own[q] = search__sql_text((enum search_svc_query)q);
    if (app_check_sql(app, "search index", engine, n) != 0 || app_check_sql(app, "search", own, SEARCH_Q__COUNT) != 0)
        return -1;
    return search__log_start(app);
}

static void search_fini(struct app *app)
{
    (void)app;
    search__log_stop();
    search__cache_free();
    search__trees_free();
}

const struct service_module search_module = {
    .name = "search",
    .routes = search_routes,
    .nroutes = sizeof search_routes / sizeof search_routes[0],
    .init = search_init,
    .fini = search_fini,
};
