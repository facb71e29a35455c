/*
 * payments_routes.c — the payments service's route table, specs and module.
 *
 * Ids: payment intents "pin_…", payments "pay_…", refunds "rfd_…",
 * transfers "trf_…", inbound webhook rows "whe_…"; orders "ord_…".
 */
#include "services/payments/payments.h"

#include "app.h"
#include "services/payments/payments_int.h"

static const struct param_spec intent_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "pin"},
    {0},
};

static const struct field_spec create_body[] = {
    {.name = "payment_intent_id", .type = VT_ID, .required = true, .id_prefix = "pin"},
    {0},
};

static const struct field_spec confirm_body[] = {
    {.name = "payment_intent_id", .type = VT_ID, .required = true, .id_prefix = "pin"},
    {.name = "payment_method", .type = VT_STRING, .required = true, .min = 1, .max = 64},
    {.name = "return_url", .type = VT_STRING, .min = 1, .max = 2000},
    {0},
};

static const char *const auth_results[] = {"approve", "fail", NULL};

static const struct field_spec authenticate_body[] = {
    {.name = "result", .type = VT_ENUM, .required = true, .enum_values = auth_results},
    {0},
};

static const char *const refund_reasons[] = {"requested_by_customer", "duplicate", "fraudulent", "cancelled",
                                             "other", NULL};

static const struct field_spec refund_body[] = {
    {.name = "order_id", .type = VT_ID, .id_prefix = "ord"},
    {.name = "milestone_id", .type = VT_STRING, .min = 1, .max = 64},
    {.name = "amount", .type = VT_MONEY},
    {.name = "reason", .type = VT_ENUM, .enum_values = refund_reasons},
    {0},
};

static const struct route payments_routes[] = {
    {HTTP_POST, "/api/v1/payments/create-intent", payments_handle_create_intent, AUTH_USER, NULL, create_body,
     ROUTE_BODY_JSON | ROUTE_IDEMPOTENT, "Create the processor-side intent of my checkout or milestone payment"},
    {HTTP_POST, "/api/v1/payments/confirm", payments_handle_confirm, AUTH_USER, NULL, confirm_body,
     ROUTE_BODY_JSON | ROUTE_IDEMPOTENT, "Confirm my payment intent with a payment method (test card or pm_…)"},
    {HTTP_POST, "/api/v1/payments/:id/authenticate", payments_handle_authenticate, AUTH_USER, intent_id_param,
     authenticate_body, ROUTE_BODY_JSON | ROUTE_IDEMPOTENT,
     "The local processor's authentication step (approve or fail) of an intent in requires_action"},
    {HTTP_GET, "/api/v1/payments/:id", payments_handle_get, AUTH_USER, intent_id_param, NULL, ROUTE_READONLY,
     "One payment intent with its charges and refunds (buyer, sellers paid by it, admin)"},
    {HTTP_POST, "/api/v1/refunds", payments_handle_refund, AUTH_USER, NULL, refund_body,
     ROUTE_BODY_JSON | ROUTE_IDEMPOTENT, "Refund part or all of an order or milestone (its seller, or an admin)"},
    {HTTP_POST, "/api/v1/payments/webhooks/stripe", payments_handle_stripe_webhook, AUTH_PUBLIC, NULL, NULL,
     ROUTE_BODY_RAW, "Stripe events (Stripe-Signature verified, deduplicated by event id)"},
};

static int payments_init(struct app *app)
{
    payments__set_provider(payproc_get(app)->name);
    payments__register_jobs(app->jobs);
    const char *sql[PAY_Q__COUNT];
    for (int q = 0; q < PAY_Q__COUNT; q++)
        sql[q] = payments__sql((enum payments_query)q);
    return app_check_sql(app, "payments", sql, PAY_Q__COUNT);
}

const struct service_module payments_module = {
    .name = "payments",
    .init = payments_init,
    .routes = payments_routes,
    .nroutes = sizeof payments_routes / sizeof payments_routes[0],
};
