/*
 * commissions_routes.c — the custom commissions service's route table,
 * specs and module.
 *
 * Path ids: custom orders "cus_…", proposals "prp_…", milestones "mls_…".
 * Money in bodies is {"amount": minor units, "currency": "USD"} (currency
 * optional where the request's currency applies).
 */
#include "services/commissions/commissions.h"

#include "app.h"
#include "services/commissions/commissions_int.h"

#define MAX_AMOUNT INT64_C(100000000000)

static const struct param_spec order_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "cus"},
    {0},
};

static const struct param_spec deliver_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "cus"},
    {.name = "mid", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "mls"},
    {0},
};

static const char *const visibilities[] = {"public", "invited", NULL};
static const char *const statuses[] = {"open", "accepted", "in_progress", "completed", "cancelled", "disputed", NULL};
static const char *const roles[] = {"buyer", "seller", NULL};

static const struct field_spec budget_fields[] = {
    {.name = "amount", .type = VT_MONEY, .required = true, .max = MAX_AMOUNT},
    {.name = "currency", .type = VT_STRING, .min = 3, .max = 3},
    {0},
};

static const struct field_spec positive_money_fields[] = {
    {.name = "amount", .type = VT_MONEY, .required = true, .min = 1, .max = MAX_AMOUNT},
    {.name = "currency", .type = VT_STRING, .min = 3, .max = 3},
    {0},
};

static const struct field_spec seller_id_item[] = {
    {.name = "id", .type = VT_ID, .id_prefix = "usr"},
    {0},
};

static const struct field_spec media_id_item[] = {
    {.name = "id", .type = VT_ID, .id_prefix = "med"},
    {0},
};

static const struct field_spec create_body[] = {
    {.name = "title", .type = VT_STRING, .required = true, .min = 1, .max = 200},
    {.name = "description", .type = VT_STRING, .required = true, .min = 1, .max = 10000},
    {.name = "concept_id", .type = VT_ID},
    {.name = "category_id", .type = VT_ID, .id_prefix = "cat"},
    {.name = "budget", .type = VT_OBJECT, .fields = budget_fields},
    {.name = "deadline", .type = VT_TIME},
    {.name = "visibility", .type = VT_ENUM, .enum_values = visibilities},
    {.name = "invited_seller_ids", .type = VT_ARRAY, .max = 20, .fields = seller_id_item},
    {0},
};

static const struct field_spec milestone_fields[] = {
    {.name = "title", .type = VT_STRING, .required = true, .min = 1, .max = 200},
    {.name = "amount", .type = VT_OBJECT, .required = true, .fields = positive_money_fields},
    {.name = "description", .type = VT_STRING, .max = 5000},
    {.name = "due_at", .type = VT_TIME},
    {0},
};

static const struct field_spec milestone_item[] = {
    {.name = "milestone", .type = VT_OBJECT, .fields = milestone_fields},
    {0},
};

static const struct field_spec proposal_body[] = {
    {.name = "price", .type = VT_OBJECT, .required = true, .fields = positive_money_fields},
    {.name = "timeline_days", .type = VT_INT, .required = true, .min = 1, .max = 3650},
    {.name = "message", .type = VT_STRING, .max = 10000},
    {.name = "milestones", .type = VT_ARRAY, .required = true, .min = 1, .max = 20, .fields = milestone_item},
    {0},
};

static const struct field_spec accept_body[] = {
    {.name = "proposal_id", .type = VT_ID, .required = true, .id_prefix = "prp"},
    {0},
};

static const struct field_spec deliver_body[] = {
    {.name = "note", .type = VT_STRING, .max = 10000},
    {.name = "media_ids", .type = VT_ARRAY, .max = 20, .fields = media_id_item},
    {0},
};

static const struct param_spec list_params[] = {
    {.name = "role", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = roles},
    {.name = "status", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = statuses},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct route commissions_routes[] = {
    {HTTP_POST, "/api/v1/custom-orders", commissions_handle_create, AUTH_USER, NULL, create_body,
     ROUTE_BODY_JSON | ROUTE_IDEMPOTENT, "Request a custom piece (buyer): public, or invited sellers only"},
    {HTTP_GET, "/api/v1/custom-orders", commissions_handle_list, AUTH_USER, list_params, NULL, ROUTE_READONLY,
     "Custom orders: mine as buyer, or (?role=seller) those I am invited to or may propose on"},
    {HTTP_GET, "/api/v1/custom-orders/:id", commissions_handle_get, AUTH_USER, order_id_param, NULL, ROUTE_READONLY,
     "One custom order with the proposals and milestones the caller may see"},
    {HTTP_PATCH, "/api/v1/custom-orders/:id/proposal", commissions_handle_proposal, AUTH_SELLER, order_id_param,
     proposal_body, ROUTE_BODY_JSON, "Create or revise my pending proposal (milestones sum to the price)"},
    {HTTP_POST, "/api/v1/custom-orders/:id/accept", commissions_handle_accept, AUTH_USER, order_id_param,
     accept_body, ROUTE_BODY_JSON | ROUTE_IDEMPOTENT, "Accept one proposal (buyer); the others are declined"},
    {HTTP_POST, "/api/v1/custom-orders/:id/cancel", commissions_handle_cancel, AUTH_USER, order_id_param, NULL,
     ROUTE_IDEMPOTENT, "Cancel my custom order (buyer) before any milestone is funded"},
    {HTTP_POST, "/api/v1/custom-orders/:id/milestones/:mid/deliver", commissions_handle_deliver, AUTH_SELLER,
     deliver_params, deliver_body, ROUTE_BODY_JSON,
     "Deliver a funded milestone (seller); the buyer approves, or it auto-approves after the deadline"},
};

static int commissions_init(struct app *app)
{
    const char *sql[CQ__COUNT];
    for (int q = 0; q < CQ__COUNT; q++)
        sql[q] = commissions__sql((enum commissions_query)q);
    if (app_check_sql(app, "commissions", sql, CQ__COUNT) != 0)
        return -1;
    commissions__register_hooks();
    return commissions__sweep_start(app);
}

static void commissions_fini(struct app *app)
{
    (void)app;
    commissions__sweep_stop();
}

const struct service_module commissions_module = {
    .name = "commissions",
    .init = commissions_init,
    .fini = commissions_fini,
    .routes = commissions_routes,
    .nroutes = sizeof commissions_routes / sizeof commissions_routes[0],
};
