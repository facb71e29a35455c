/*
 * catalog_routes.c — the catalog service's route table.
 */
#include "services/catalog/catalog.h"

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

const struct service_module catalog_module = {
    .name = "catalog",
    .routes = catalog_routes,
    .nroutes = sizeof catalog_routes / sizeof catalog_routes[0],
};
