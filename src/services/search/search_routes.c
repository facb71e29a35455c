/*
 * search_routes.c — the search service's route table.
 */
#include "services/search/search.h"

#include "app.h"

static const struct route search_routes[] = {
    {0},
};

const struct service_module search_module = {
    .name = "search",
    .routes = search_routes,
    .nroutes = 0,
};
