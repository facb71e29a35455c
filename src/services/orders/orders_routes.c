/*
 * orders_routes.c — the orders service's route table, specs and module.
 *
 * Path ids: cart lines "cit_…", orders "ord_…". Checkout is POST /orders
 * (ROUTE_IDEMPOTENT: Idempotency-Key honoured by the HTTP layer).
 */
#include "services/orders/orders.h"

#include "app.h"
#include "services/orders/orders_int.h"

static const char *const statuses[] = {"pending_payment", "paid", "processing", "shipped", "delivered",
                                       "completed", "cancelled", "refunded", "partially_refunded", NULL};
static const char *const targets[] = {"processing", "shipped", "delivered", "completed", "cancelled", NULL};
static const char *const roles[] = {"buyer", "seller", NULL};

static const struct param_spec cart_params[] = {
    {.name = "country", .source = PARAM_QUERY, .type = VT_STRING, .min = 2, .max = 2},
    {0},
};

static const struct param_spec item_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "cit"},
    {0},
};

static const struct param_spec order_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "ord"},
    {0},
};

static const struct param_spec list_params[] = {
    {.name = "role", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = roles},
    {.name = "status", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = statuses},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct field_spec add_body[] = {
    {.name = "product_id", .type = VT_ID, .required = true, .id_prefix = "prd"},
    {.name = "variant_id", .type = VT_ID, .id_prefix = "var", .nullable = true},
    {.name = "quantity", .type = VT_INT, .min = 1, .max = 100},
    {.name = "personalization", .type = VT_OBJECT},
    {0},
};

static const struct field_spec patch_body[] = {
    {.name = "quantity", .type = VT_INT, .required = true, .min = 1, .max = 100},
    {0},
};

static const struct field_spec address_fields[] = {
    {.name = "full_name", .type = VT_STRING, .required = true, .min = 1, .max = 200},
    {.name = "line1", .type = VT_STRING, .required = true, .min = 1, .max = 200},
    {.name = "line2", .type = VT_STRING, .max = 200, .nullable = true},
    {.name = "city", .type = VT_STRING, .required = true, .min = 1, .max = 100},
    {.name = "region", .type = VT_STRING, .max = 100, .nullable = true},
    {.name = "postal_code", .type = VT_STRING, .max = 20, .nullable = true},
    {.name = "country", .type = VT_STRING, .required = true, .min = 2, .max = 2},
    {.name = "phone", .type = VT_STRING, .max = 32, .nullable = true},
    {0},
};

/* shipping: {"shp_…": "<option id>"} per shop; absent shops get their cheapest option. */
static const struct field_spec checkout_body[] = {
    {.name = "shipping_address", .type = VT_OBJECT, .fields = address_fields},
    {.name = "address_id", .type = VT_ID, .id_prefix = "adr"},
    {.name = "shipping", .type = VT_OBJECT},
    {.name = "note", .type = VT_STRING, .max = 1000},
    {0},
};

static const struct field_spec status_body[] = {
    {.name = "status", .type = VT_ENUM, .required = true, .enum_values = targets},
    {.name = "carrier", .type = VT_STRING, .min = 1, .max = 60},
    {.name = "tracking_number", .type = VT_STRING, .min = 1, .max = 100},
    {.name = "note", .type = VT_STRING, .max = 1000},
    {0},
};

static const struct route orders_routes[] = {
    {HTTP_GET, "/api/v1/cart", orders_handle_get_cart, AUTH_USER, cart_params, NULL, ROUTE_READONLY,
     "My cart: current prices and stock, flags, grouped by shop with shipping options (?country=)"},
    {HTTP_POST, "/api/v1/cart/items", orders_handle_add_item, AUTH_USER, NULL, add_body, ROUTE_BODY_JSON,
     "Add a product (variant, quantity, personalization); 201 new line, 200 quantity added to a line"},
    {HTTP_PATCH, "/api/v1/cart/items/:id", orders_handle_patch_item, AUTH_USER, item_id_param, patch_body,
     ROUTE_BODY_JSON, "Change a cart line's quantity"},
    {HTTP_DELETE, "/api/v1/cart/items/:id", orders_handle_delete_item, AUTH_USER, item_id_param, NULL, 0,
     "Remove a cart line"},
    {HTTP_POST, "/api/v1/orders", orders_handle_checkout, AUTH_USER, NULL, checkout_body,
     ROUTE_BODY_JSON | ROUTE_IDEMPOTENT,
     "Check out the cart: one order per seller, stock reserved, one payment intent (Idempotency-Key)"},
    {HTTP_GET, "/api/v1/orders", orders_handle_list, AUTH_USER, list_params, NULL, ROUTE_READONLY,
     "My orders (?role=seller: orders to fulfil), newest first, ?status="},
    {HTTP_GET, "/api/v1/orders/:id", orders_handle_get, AUTH_USER, order_id_param, NULL, ROUTE_READONLY,
     "One order (buyer, seller, admin): items, history, shipments, payment and escrow ids"},
    {HTTP_PATCH, "/api/v1/orders/:id/status", orders_handle_set_status, AUTH_USER, order_id_param, status_body,
     ROUTE_BODY_JSON, "Move an order through its state machine (409 lists the allowed targets)"},
};

static int orders_init(struct app *app)
{
    const char *sql[ORDERS_Q__COUNT];
    for (int q = 0; q < ORDERS_Q__COUNT; q++)
        sql[q] = orders__sql((enum orders_query)q);
    if (app_check_sql(app, "orders", sql, ORDERS_Q__COUNT) != 0)
        return -1;
    return orders__money_start(app);
}

const struct service_module orders_module = {
    .name = "orders",
    .init = orders_init,
    .fini = orders__money_stop,
    .routes = orders_routes,
    .nroutes = sizeof orders_routes / sizeof orders_routes[0],
};
