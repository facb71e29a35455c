/*
 * webhooks_routes.c — the webhooks service's route table, specs and module.
 *
 * Every route is AUTH_SELLER: sellers and admins; buyers get 403 from the
 * guard. What a seller may see is decided in the handlers' statements.
 */
#include "services/webhooks/webhooks.h"

#include "app.h"
#include "services/webhooks/webhooks_int.h"

static const struct param_spec list_params[] = {
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {.name = "owner_id", .source = PARAM_QUERY, .type = VT_ID, .id_prefix = "usr"},
    {0},
};

static const struct param_spec endpoint_id[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = WH_ENDPOINT_PREFIX},
    {0},
};

static const struct param_spec rotate_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = WH_ENDPOINT_PREFIX},
    {.name = "grace_seconds", .source = PARAM_QUERY, .type = VT_INT, .min = 0, .max = 604800},
    {0},
};

static const char *const delivery_states[] = {"pending", "succeeded", "failed", "dead", NULL};

static const struct param_spec deliveries_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = WH_ENDPOINT_PREFIX},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {.name = "status", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = delivery_states},
    {0},
};

static const struct param_spec delivery_id[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = WH_DELIVERY_PREFIX},
    {0},
};

static const struct field_spec event_type_item[] = {
    {.name = "event_type", .type = VT_STRING, .min = 1, .max = 64},
    {0},
};

static const struct field_spec create_body[] = {
    {.name = "url", .type = VT_STRING, .required = true, .min = 1, .max = 2048},
    {.name = "event_types", .type = VT_ARRAY, .required = true, .min = 1, .max = 32, .fields = event_type_item},
    {.name = "description", .type = VT_STRING, .max = 500},
    {0},
};

static const char *const endpoint_states[] = {"active", "disabled", NULL};

static const struct field_spec update_body[] = {
    {.name = "url", .type = VT_STRING, .min = 1, .max = 2048},
    {.name = "event_types", .type = VT_ARRAY, .min = 1, .max = 32, .fields = event_type_item},
    {.name = "description", .type = VT_STRING, .max = 500},
    {.name = "status", .type = VT_ENUM, .enum_values = endpoint_states},
    {0},
};

#define EP "/api/v1/webhooks/endpoints"

static const struct route webhooks_routes[] = {
    {HTTP_POST, EP, webhooks_handle_create, AUTH_SELLER, NULL, create_body, ROUTE_BODY_JSON,
     "Register a webhook endpoint (the answer carries its signing secret, shown only here and at rotation)"},
    {HTTP_GET, EP, webhooks_handle_list, AUTH_SELLER, list_params, NULL, ROUTE_READONLY,
     "My webhook endpoints, newest first (admins: everyone's, or ?owner_id's)"},
    {HTTP_GET, EP "/:id", webhooks_handle_get, AUTH_SELLER, endpoint_id, NULL, ROUTE_READONLY, "A webhook endpoint"},
    {HTTP_PATCH, EP "/:id", webhooks_handle_update, AUTH_SELLER, endpoint_id, update_body, ROUTE_BODY_JSON,
     "Change a webhook endpoint's url, event types or description, or disable / re-enable it"},
    {HTTP_DELETE, EP "/:id", webhooks_handle_delete, AUTH_SELLER, endpoint_id, NULL, 0,
     "Delete a webhook endpoint and its deliveries"},
    {HTTP_POST, EP "/:id/rotate-secret", webhooks_handle_rotate, AUTH_SELLER, rotate_params, NULL, 0,
     "New signing secret; the old one also signs for ?grace_seconds (default 86400)"},
    {HTTP_POST, EP "/:id/test", webhooks_handle_test, AUTH_SELLER, endpoint_id, NULL, 0,
     "Send a webhook.test event to the endpoint"},
    {HTTP_GET, EP "/:id/deliveries", webhooks_handle_deliveries, AUTH_SELLER, deliveries_params, NULL, ROUTE_READONLY,
     "The endpoint's deliveries, newest first"},
    {HTTP_GET, "/api/v1/webhooks/deliveries/:id", webhooks_handle_delivery, AUTH_SELLER, delivery_id, NULL,
     ROUTE_READONLY, "A delivery with its payload and every attempt"},
    {HTTP_POST, "/api/v1/webhooks/deliveries/:id/retry", webhooks_handle_retry, AUTH_SELLER, delivery_id, NULL, 0,
     "Attempt a delivery again now"},
};

static int webhooks_init(struct app *app)
{
    const char *sql[WH_Q__COUNT];
    for (int q = 0; q < WH_Q__COUNT; q++)
        sql[q] = webhooks__sql((enum webhooks_query)q);
    if (app_check_sql(app, "webhooks", sql, WH_Q__COUNT) != 0)
        return -1;
    webhooks__register(app->jobs);
    webhooks__subscribe();
    return 0;
}

const struct service_module webhooks_module = {
    .name = "webhooks",
    .init = webhooks_init,
    .routes = webhooks_routes,
    .nroutes = sizeof webhooks_routes / sizeof webhooks_routes[0],
};
