/*
 * escrow_routes.c — the escrow service's route table, specs and module.
 *
 * Path ids: escrows "esc_…", disputes "dsp_…". Every money write honours
 * Idempotency-Key (ROUTE_IDEMPOTENT).
 */
#include "services/escrow/escrow.h"

#include "app.h"
#include "services/escrow/escrow_int.h"

static const struct param_spec escrow_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "esc"},
    {0},
};

static const struct param_spec dispute_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "dsp"},
    {0},
};

static const char *const dispute_reasons[] = {"not_received", "not_as_described", "damaged", "late",
                                              "quality",      "other",            NULL};
static const char *const dispute_statuses[] = {"open", "under_review", "resolved", "cancelled", NULL};
static const char *const resolutions[] = {"release_seller", "refund_buyer", "split", NULL};

static const struct field_spec create_body[] = {
    {.name = "milestone_id", .type = VT_ID, .required = true, .id_prefix = "mls"},
    {0},
};

static const struct field_spec dispute_body[] = {
    {.name = "reason", .type = VT_ENUM, .required = true, .enum_values = dispute_reasons},
    {.name = "description", .type = VT_STRING, .max = 5000},
    {0},
};

static const struct field_spec resolve_body[] = {
    {.name = "resolution", .type = VT_ENUM, .required = true, .enum_values = resolutions},
    {.name = "buyer_amount", .type = VT_MONEY},
    {.name = "note", .type = VT_STRING, .max = 5000},
    {0},
};

static const struct param_spec list_params[] = {
    {.name = "status", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = dispute_statuses},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct route escrow_routes[] = {
    {HTTP_POST, "/api/v1/escrow/create", escrow_handle_create, AUTH_USER, NULL, create_body,
     ROUTE_BODY_JSON | ROUTE_IDEMPOTENT,
     "Fund a milestone: its payment intent (201 new, 200 the one already waiting for payment)"},
    {HTTP_GET, "/api/v1/escrow/:id", escrow_handle_get, AUTH_USER, escrow_id_param, NULL, ROUTE_READONLY,
     "One escrow with its amounts and history (buyer, seller, admin)"},
    {HTTP_POST, "/api/v1/escrow/:id/release", escrow_handle_release, AUTH_USER, escrow_id_param, NULL,
     ROUTE_IDEMPOTENT, "The buyer approves a milestone: its escrow goes to the seller, less the commission"},
    {HTTP_POST, "/api/v1/escrow/:id/dispute", escrow_handle_dispute, AUTH_USER, escrow_id_param, dispute_body,
     ROUTE_BODY_JSON | ROUTE_IDEMPOTENT, "The buyer or the seller opens a dispute; the money stays held"},
    {HTTP_GET, "/api/v1/disputes", escrow_handle_list_disputes, AUTH_USER, list_params, NULL, ROUTE_READONLY,
     "Disputes (admin: all; others: those they are a party to), newest first"},
    {HTTP_POST, "/api/v1/disputes/:id/resolve", escrow_handle_resolve_dispute, AUTH_ADMIN, dispute_id_param,
     resolve_body, ROUTE_BODY_JSON | ROUTE_IDEMPOTENT,
     "Resolve a dispute (admin): release to the seller, refund the buyer, or split"},
};

static int escrow_init(struct app *app)
{
    const char *sql[ESCROW_Q__COUNT];
    for (int q = 0; q < ESCROW_Q__COUNT; q++)
        sql[q] = escrow__sql((enum escrow_query)q);
    return app_check_sql(app, "escrow", sql, ESCROW_Q__COUNT);
}

const struct service_module escrow_module = {
    .name = "escrow",
    .init = escrow_init,
    .routes = escrow_routes,
    .nroutes = sizeof escrow_routes / sizeof escrow_routes[0],
};
