/*
 * products_routes.c — the products service's route table.
 */
#include "services/products/products.h"

#include "app.h"

static const struct route products_routes[] = {
    {0},
};

const struct service_module products_module = {
    .name = "products",
    .routes = products_routes,
    .nroutes = 0,
};
