/*
 * payouts_routes.c — the payouts service's route table, specs and module.

 */
#include "services/payouts/payouts.h"

#include "app.h"
#include "services/payouts/payouts_int.h"

static const struct param_spec list_params[] = {
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct field_spec request_body[] = {
    {.name = "amount", .type = VT_MONEY},
    {.name = "currency", .type = VT_STRING, .min = 3, .max = 3},
    {0},
};

static const struct param_spec analytics_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "usr"},
    {.name = "from", .source = PARAM_QUERY, .type = VT_TIME},
    {.name = "to", .source = PARAM_QUERY, .type = VT_TIME},
    {.name = "currency", .source = PARAM_QUERY, .type = VT_STRING, .min = 3, .max = 3},
    {0},
};

static const struct route payouts_routes[] = {
    {HTTP_GET, "/api/v1/payouts", payouts_handle_list, AUTH_SELLER, list_params, NULL, ROUTE_READONLY,
     "My balances (pending, available, in transit) and payouts, newest first"},
    {HTTP_POST, "/api/v1/payouts/request", payouts_handle_request, AUTH_SELLER, NULL, request_body,
     ROUTE_BODY_JSON | ROUTE_IDEMPOTENT, "Pay out from the available balance (default: all of it)"},
    {HTTP_GET, "/api/v1/sellers/:id/analytics", payouts_handle_analytics, AUTH_SELLER, analytics_params, NULL,
     ROUTE_READONLY, "Revenue, orders, average order value, conversion, top products and a daily series"},
};

static int payouts_init(struct app *app)
{
    const char *sql[PAYOUTS_Q__COUNT];
    for (int q = 0; q < PAYOUTS_Q__COUNT; q++)
        sql[q] = payouts__sql((enum payouts_query)q);
    if (app_check_sql(app, "payouts", sql, PAYOUTS_Q__COUNT) != 0)
        return -1;
    payouts__register(app->jobs);
    return 0;
}

const struct service_module payouts_module = {
    .name = "payouts",
    .init = payouts_init,
    .routes = payouts_routes,
    .nroutes = sizeof payouts_routes / sizeof payouts_routes[0],
};
