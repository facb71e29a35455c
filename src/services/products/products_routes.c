/*
 * products_routes.c — the products service's route table and module.
 */
#include "services/products/products.h"

#include "app.h"
#include "services/products/products_int.h"

static const struct param_spec list_params[] = {
    PRODUCTS_FILTER_PARAMS,
    {.name = "status", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = products__statuses},
    {0},
};

static const struct param_spec id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "prd"},
    {0},
};

static const struct param_spec delete_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "prd"},
    {.name = "reason", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 1000},
    {0},
};

static const char *const who_made[] = {"i_did", "collective", "someone_else", NULL};
static const char *const question_kinds[] = {"text", "file", NULL};

static const struct field_spec money_fields[] = {
    {.name = "amount", .type = VT_MONEY, .required = true, .max = INT64_C(100000000000)},
    {.name = "currency", .type = VT_STRING, .min = 3, .max = 3},
    {0},
};

/* A modifier may be negative (a smaller size); the unit price is checked by the handler. */
static const struct field_spec modifier_fields[] = {
    {.name = "amount", .type = VT_INT, .required = true, .min = -INT64_C(100000000000), .max = INT64_C(100000000000)},
    {.name = "currency", .type = VT_STRING, .min = 3, .max = 3},
    {0},
};

/* Etsy's limits: 13 tags of at most 20 characters, 13 materials of at most 45. */
static const struct field_spec tag_item[] = {{.name = "tag", .type = VT_STRING, .min = 1, .max = 20}, {0}};
static const struct field_spec material_item[] = {{.name = "material", .type = VT_STRING, .min = 1, .max = 45}, {0}};

static const struct field_spec variant_fields[] = {
    {.name = "id", .type = VT_ID, .id_prefix = "var"},
    {.name = "name", .type = VT_STRING, .required = true, .min = 1, .max = 80},
    {.name = "sku", .type = VT_STRING, .min = 1, .max = 64, .nullable = true},
    {.name = "options", .type = VT_OBJECT},
    {.name = "price_modifier", .type = VT_OBJECT, .fields = modifier_fields},
    {.name = "stock", .type = VT_INT, .min = 0, .max = 1000000},
    {.name = "position", .type = VT_INT, .min = 0, .max = 1000},
    {0},
};
static const struct field_spec variant_item[] = {{.name = "variant", .type = VT_OBJECT, .fields = variant_fields}, {0}};

static const struct field_spec image_fields[] = {
    {.name = "media_id", .type = VT_ID, .required = true, .id_prefix = "med"},
    {.name = "position", .type = VT_INT, .min = 0, .max = 100},
    {.name = "is_primary", .type = VT_BOOL},
    {.name = "alt", .type = VT_STRING, .max = 250, .nullable = true},
    {0},
};
static const struct field_spec image_item[] = {{.name = "image", .type = VT_OBJECT, .fields = image_fields}, {0}};

static const struct field_spec question_fields[] = {
    {.name = "prompt", .type = VT_STRING, .required = true, .min = 1, .max = 500},
    {.name = "kind", .type = VT_ENUM, .enum_values = question_kinds},
    {.name = "max_length", .type = VT_INT, .min = 1, .max = 5000, .nullable = true},
    {.name = "required", .type = VT_BOOL},
    {0},
};
static const struct field_spec question_item[] = {{.name = "question", .type = VT_OBJECT, .fields = question_fields},
                                                  {0}};

/* POST and PATCH share the fields; POST requires title (checked by the handler). Arrays replace the whole set. */
static const struct field_spec product_body[] = {
    {.name = "title", .type = VT_STRING, .min = 1, .max = 140},
    {.name = "description", .type = VT_STRING, .max = 20000},
    {.name = "price", .type = VT_OBJECT, .fields = money_fields},
    {.name = "category_id", .type = VT_ID, .id_prefix = "cat", .nullable = true},
    {.name = "tags", .type = VT_ARRAY, .max = 13, .fields = tag_item},
    {.name = "materials", .type = VT_ARRAY, .max = 13, .fields = material_item},
    {.name = "made_to_order", .type = VT_BOOL},
    {.name = "processing_days", .type = VT_INT, .min = 0, .max = 120},
    {.name = "who_made", .type = VT_ENUM, .enum_values = who_made},
    {.name = "weight_grams", .type = VT_INT, .min = 1, .max = 1000000, .nullable = true},
    {.name = "stock", .type = VT_INT, .min = 0, .max = 1000000},
    {.name = "variants", .type = VT_ARRAY, .max = 30, .fields = variant_item},
    {.name = "images", .type = VT_ARRAY, .max = 10, .fields = image_item},
    {.name = "personalization_questions", .type = VT_ARRAY, .max = 5, .fields = question_item},
    {.name = "status", .type = VT_ENUM, .enum_values = products__statuses},
    {.name = "removed_reason", .type = VT_STRING, .min = 1, .max = 1000},
    {0},
};

static const struct route products_routes[] = {
    {HTTP_GET, "/api/v1/products/:id", products_handle_get, AUTH_OPTIONAL, id_param, NULL, ROUTE_READONLY,
     "A product: variants, images, category path, shop, rating, personalization (drafts: owner and admins)"},
    {HTTP_POST, "/api/v1/products", products_handle_create, AUTH_SELLER, NULL, product_body, ROUTE_BODY_JSON,
     "Create a product in the caller's shop (draft, or active when publishable)"},
    {HTTP_PATCH, "/api/v1/products/:id", products_handle_update, AUTH_SELLER, id_param, product_body, ROUTE_BODY_JSON,
     "Change a product and its lifecycle (owner); an admin may remove or restore"},
    {HTTP_DELETE, "/api/v1/products/:id", products_handle_delete, AUTH_SELLER, delete_params, NULL, 0,
     "Archive a product (owner) or remove it (admin, ?reason=)"},
    {HTTP_GET, "/api/v1/products", products_handle_list, AUTH_OPTIONAL, list_params, NULL, ROUTE_READONLY,
     "Active products: filters (category with descendants, seller, price, rating, stock, tags, materials), "
     "sorts and cursor pages; ?status= for the owner's or an admin's view"},
};

static int products_init(struct app *app)
{
    const char *text[PRODUCTS_Q__COUNT];
    for (int q = 0; q < PRODUCTS_Q__COUNT; q++)
        text[q] = products__sql((enum products_query)q);
    if (app_check_sql(app, "products", text, PRODUCTS_Q__COUNT) != 0)
        return -1;
    return products__views_start(app);
}

static void products_fini(struct app *app)
{
    (void)app;
    products__views_stop();
    products__intern_free();
}

const struct service_module products_module = {
    .name = "products",
    .routes = products_routes,
    .nroutes = sizeof products_routes / sizeof products_routes[0],
    .init = products_init,
    .fini = products_fini,
};
