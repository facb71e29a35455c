/*
 * shipping_routes.c — the shipping service's route table, specs and module.
 *
 * Path ids: rate tables "srt_…", orders "ord_…". Path parameters are all
 * named "id", as the router requires of routes sharing a prefix with the
 * orders service's /orders/:id.
 */
#include "services/shipping/shipping.h"

#include "app.h"
#include "services/shipping/shipping_int.h"

static const char *const bases[] = {"flat", "weight", "quantity", NULL};

static const struct param_spec table_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "srt"},
    {0},
};

static const struct param_spec order_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "ord"},
    {0},
};

static const struct param_spec list_params[] = {
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct param_spec webhook_params[] = {
    {.name = "token", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 200},
    {0},
};

static const struct field_spec rate_fields[] = {
    {.name = "zone", .type = VT_STRING, .required = true, .min = 2, .max = 16},
    {.name = "min_value", .type = VT_INT, .min = 0, .max = 1000000000},
    {.name = "max_value", .type = VT_INT, .min = 1, .max = 1000000000, .nullable = true},
    {.name = "amount", .type = VT_MONEY, .required = true, .max = 100000000},
    {.name = "additional_item_amount", .type = VT_MONEY, .max = 100000000},
    {.name = "free_over_amount", .type = VT_MONEY, .max = 100000000000, .nullable = true},
    {.name = "min_days", .type = VT_INT, .min = 0, .max = 365, .nullable = true},
    {.name = "max_days", .type = VT_INT, .min = 0, .max = 365, .nullable = true},
    {0},
};

static const struct field_spec rate_item[] = {
    {.name = "rate", .type = VT_OBJECT, .fields = rate_fields},
    {0},
};

static const struct field_spec table_create_body[] = {
    {.name = "name", .type = VT_STRING, .required = true, .min = 1, .max = 80},
    {.name = "basis", .type = VT_ENUM, .enum_values = bases},
    {.name = "currency", .type = VT_STRING, .min = 3, .max = 3},
    {.name = "origin_country", .type = VT_STRING, .min = 2, .max = 2, .nullable = true},
    {.name = "is_default", .type = VT_BOOL},
    {.name = "rates", .type = VT_ARRAY, .required = true, .min = 1, .max = 100, .fields = rate_item},
    {0},
};

static const struct field_spec table_patch_body[] = {
    {.name = "name", .type = VT_STRING, .min = 1, .max = 80},
    {.name = "basis", .type = VT_ENUM, .enum_values = bases},
    {.name = "currency", .type = VT_STRING, .min = 3, .max = 3},
    {.name = "origin_country", .type = VT_STRING, .min = 2, .max = 2, .nullable = true},
    {.name = "is_default", .type = VT_BOOL},
    {.name = "rates", .type = VT_ARRAY, .min = 1, .max = 100, .fields = rate_item},
    {0},
};

static const struct field_spec product_id_item[] = {
    {.name = "id", .type = VT_ID, .id_prefix = "prd"},
    {0},
};

static const struct field_spec pin_body[] = {
    {.name = "product_ids", .type = VT_ARRAY, .required = true, .max = 500, .fields = product_id_item},
    {0},
};

static const struct field_spec quote_item_fields[] = {
    {.name = "product_id", .type = VT_ID, .required = true, .id_prefix = "prd"},
    {.name = "quantity", .type = VT_INT, .required = true, .min = 1, .max = 1000},
    {0},
};

static const struct field_spec quote_item[] = {
    {.name = "item", .type = VT_OBJECT, .fields = quote_item_fields},
    {0},
};

static const struct field_spec quote_body[] = {
    {.name = "country", .type = VT_STRING, .required = true, .min = 2, .max = 2},
    {.name = "items", .type = VT_ARRAY, .required = true, .min = 1, .max = 100, .fields = quote_item},
    {0},
};

static const struct field_spec address_fields[] = {
    {.name = "name", .type = VT_STRING, .required = true, .min = 1, .max = 200},
    {.name = "street1", .type = VT_STRING, .required = true, .min = 1, .max = 200},
    {.name = "street2", .type = VT_STRING, .max = 200},
    {.name = "city", .type = VT_STRING, .required = true, .min = 1, .max = 100},
    {.name = "state", .type = VT_STRING, .max = 100},
    {.name = "zip", .type = VT_STRING, .max = 20},
    {.name = "country", .type = VT_STRING, .required = true, .min = 2, .max = 2},
    {.name = "phone", .type = VT_STRING, .max = 40},
    {.name = "email", .type = VT_EMAIL},
    {0},
};

static const struct field_spec parcel_fields[] = {
    {.name = "length", .type = VT_STRING, .min = 1, .max = 10},
    {.name = "width", .type = VT_STRING, .min = 1, .max = 10},
    {.name = "height", .type = VT_STRING, .min = 1, .max = 10},
    {.name = "weight_grams", .type = VT_INT, .required = true, .min = 1, .max = 1000000},
    {0},
};

static const struct field_spec label_body[] = {
    {.name = "rate_id", .type = VT_STRING, .min = 1, .max = 63},
    {.name = "address_from", .type = VT_OBJECT, .fields = address_fields},
    {.name = "parcel", .type = VT_OBJECT, .fields = parcel_fields},
    {.name = "servicelevel_token", .type = VT_STRING, .min = 1, .max = 63},
    {0},
};

static const struct route shipping_routes[] = {
    {HTTP_GET, "/api/v1/shipping/rate-tables", shipping_handle_list_tables, AUTH_SELLER, list_params, NULL,
     ROUTE_READONLY, "My shipping rate tables with their rates"},
    {HTTP_POST, "/api/v1/shipping/rate-tables", shipping_handle_create_table, AUTH_SELLER, NULL, table_create_body,
     ROUTE_BODY_JSON, "Create a rate table (the shop's first becomes its default)"},
    {HTTP_GET, "/api/v1/shipping/rate-tables/:id", shipping_handle_get_table, AUTH_SELLER, table_id_param, NULL,
     ROUTE_READONLY, "One of my rate tables with its rates and pinned products"},
    {HTTP_PATCH, "/api/v1/shipping/rate-tables/:id", shipping_handle_patch_table, AUTH_SELLER, table_id_param,
     table_patch_body, ROUTE_BODY_JSON, "Edit a rate table (rates, when given, replace the old ones)"},
    {HTTP_DELETE, "/api/v1/shipping/rate-tables/:id", shipping_handle_delete_table, AUTH_SELLER, table_id_param, NULL,
     0, "Delete a rate table (its pinned products fall back to the shop's tables)"},
    {HTTP_PUT, "/api/v1/shipping/rate-tables/:id/products", shipping_handle_pin_products, AUTH_SELLER, table_id_param,
     pin_body, ROUTE_BODY_JSON, "Pin exactly these products of mine to the table"},
    {HTTP_POST, "/api/v1/shipping/quote", shipping_handle_quote, AUTH_OPTIONAL, NULL, quote_body,
     ROUTE_BODY_JSON | ROUTE_READONLY, "Shipping options per shop for items to a country"},
    {HTTP_GET, "/api/v1/orders/:id/shipments", shipping_handle_list_shipments, AUTH_USER, order_id_param, NULL,
     ROUTE_READONLY, "Shipments of an order with their tracking history (buyer, seller, admin)"},
    {HTTP_POST, "/api/v1/orders/:id/shipments/label", shipping_handle_buy_label, AUTH_SELLER, order_id_param,
     label_body, ROUTE_BODY_JSON | ROUTE_IDEMPOTENT, "Buy a shipping label through Shippo (seller)"},
    {HTTP_POST, "/api/v1/shipping/webhooks/shippo", shipping_handle_shippo_webhook, AUTH_PUBLIC, webhook_params, NULL,
     ROUTE_BODY_RAW, "Shippo track_updated events (?token= secret)"},
};

static int shipping_init(struct app *app)
{
    const char *sql[SHIP_Q__COUNT];
    for (int q = 0; q < SHIP_Q__COUNT; q++)
        sql[q] = shipping__sql((enum shipping_query)q);
    return app_check_sql(app, "shipping", sql, SHIP_Q__COUNT);
}

const struct service_module shipping_module = {
    .name = "shipping",
    .init = shipping_init,
    .routes = shipping_routes,
    .nroutes = sizeof shipping_routes / sizeof shipping_routes[0],
};
