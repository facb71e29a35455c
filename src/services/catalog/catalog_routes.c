/*
 * catalog_routes.c — the catalog service's route table.
 */
#include "services/catalog/catalog.h"

#include "app.h"
#include "services/catalog/catalog_int.h"


static const struct field_spec category_create_body[] = {
    {.name = "name", .type = VT_STRING, .required = true, .min = 1, .max = 80},
    {.name = "slug", .type = VT_STRING, .required = true, .min = 1, .max = 80},
    {.name = "parent_id", .type = VT_ID, .id_prefix = "cat", .nullable = true},
    {.name = "description", .type = VT_STRING, .max = 2000},
    {.name = "position", .type = VT_INT, .min = 0, .max = 100000},
    {0},
};

static const struct route catalog_routes[] = {
    {HTTP_GET, "/api/v1/categories", catalog_handle_list_categories, AUTH_PUBLIC, NULL, NULL, ROUTE_READONLY,
     "The category tree"},
    {HTTP_POST, "/api/v1/categories", catalog_handle_create_category, AUTH_ADMIN, NULL, category_create_body,
     ROUTE_BODY_JSON, "Create a category (admin)"},
};

static int catalog_init(struct app *app)
{
    const char *sql[CATALOG_Q__COUNT];
    for (int q = 0; q < CATALOG_Q__COUNT; q++)
        sql[q] = catalog__sql((enum catalog_query)q);
    return app_check_sql(app, "catalog", sql, CATALOG_Q__COUNT);
}

const struct service_module catalog_module = {
    .name = "catalog",
    .init = catalog_init,
    .routes = catalog_routes,
    .nroutes = sizeof catalog_routes / sizeof catalog_routes[0],
};
