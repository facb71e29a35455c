/*
 * catalog_routes.c — the catalog service's route table, specs and module.
 *
 * Path ids: categories "cat_…", products "prd_…", shops "shp_…", reviews
 * "rev_…"; the wishlist is addressed by product id. Path parameters are all
 * named "id", as the router requires of routes sharing a prefix with the
 * products service's /products/:id.
 */
#include "services/catalog/catalog.h"

#include "app.h"
#include "services/catalog/catalog_int.h"

static const struct param_spec category_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "cat"},
    {0},
};

static const struct field_spec category_create_body[] = {
    {.name = "name", .type = VT_STRING, .required = true, .min = 1, .max = 80},
    {.name = "slug", .type = VT_STRING, .required = true, .min = 1, .max = 80},
    {.name = "parent_id", .type = VT_ID, .id_prefix = "cat", .nullable = true},
    {.name = "description", .type = VT_STRING, .max = 2000},
    {.name = "position", .type = VT_INT, .min = 0, .max = 100000},
    {0},
};

/* parent_id: absent keeps the parent, null moves to the root, an id moves under it (with the subtree). */
static const struct field_spec category_patch_body[] = {
    {.name = "name", .type = VT_STRING, .min = 1, .max = 80},
    {.name = "slug", .type = VT_STRING, .min = 1, .max = 80},
    {.name = "parent_id", .type = VT_ID, .id_prefix = "cat", .nullable = true},
    {.name = "description", .type = VT_STRING, .max = 2000},
    {.name = "position", .type = VT_INT, .min = 0, .max = 100000},
    {.name = "is_active", .type = VT_BOOL},
    {0},
};

static const struct param_spec product_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "prd"},
    {0},
};

static const struct param_spec review_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "rev"},
    {0},
};

static const char *const review_sorts[] = {"newest", "rating_desc", "rating_asc", NULL};
static const char *const review_statuses[] = {"published", "hidden", "removed", NULL};

static const struct param_spec product_reviews_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "prd"},
    {.name = "sort", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = review_sorts},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct param_spec shop_reviews_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "shp"},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct field_spec media_id_item[] = {
    {.name = "id", .type = VT_ID, .id_prefix = "med"},
    {0},
};

static const struct field_spec review_create_body[] = {
    {.name = "order_item_id", .type = VT_ID, .required = true, .id_prefix = "oit"},
    {.name = "rating", .type = VT_INT, .required = true, .min = 1, .max = 5},
    {.name = "body", .type = VT_STRING, .max = 5000},
    {.name = "media_ids", .type = VT_ARRAY, .max = 5, .fields = media_id_item},
    {0},
};

static const struct field_spec review_reply_body[] = {
    {.name = "body", .type = VT_STRING, .required = true, .min = 1, .max = 5000},
    {0},
};

static const struct field_spec review_moderate_body[] = {
    {.name = "status", .type = VT_ENUM, .required = true, .enum_values = review_statuses},
    {0},
};

static const struct param_spec wishlist_params[] = {
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct field_spec wishlist_add_body[] = {
    {.name = "product_id", .type = VT_ID, .required = true, .id_prefix = "prd"},
    {0},
};

static const struct route catalog_routes[] = {
    {HTTP_GET, "/api/v1/categories", catalog_handle_list_categories, AUTH_PUBLIC, NULL, NULL, ROUTE_READONLY,
     "The category tree"},
    {HTTP_POST, "/api/v1/categories", catalog_handle_create_category, AUTH_ADMIN, NULL, category_create_body,
     ROUTE_BODY_JSON, "Create a category (admin)"},
    {HTTP_GET, "/api/v1/categories/:id", catalog_handle_get_category, AUTH_OPTIONAL, category_id_param, NULL,
     ROUTE_READONLY, "One category with its ancestors and children"},
    {HTTP_PATCH, "/api/v1/categories/:id", catalog_handle_patch_category, AUTH_ADMIN, category_id_param,
     category_patch_body, ROUTE_BODY_JSON, "Edit or move a category with its subtree (admin)"},
    {HTTP_DELETE, "/api/v1/categories/:id", catalog_handle_delete_category, AUTH_ADMIN, category_id_param, NULL, 0,
     "Delete an empty category (admin)"},
    {HTTP_GET, "/api/v1/products/:id/reviews", catalog_handle_list_reviews, AUTH_PUBLIC, product_reviews_params, NULL,
     ROUTE_READONLY, "Published reviews of an active product, with the rating summary and histogram"},
    {HTTP_POST, "/api/v1/products/:id/reviews", catalog_handle_create_review, AUTH_USER, product_id_param,
     review_create_body, ROUTE_BODY_JSON, "Review a delivered order item of the product (once per item)"},
    {HTTP_GET, "/api/v1/shops/:id/reviews", catalog_handle_list_shop_reviews, AUTH_PUBLIC, shop_reviews_params, NULL,
     ROUTE_READONLY, "Published reviews of an active shop's products, with the shop's rating summary"},
    {HTTP_GET, "/api/v1/reviews/:id", catalog_handle_get_review, AUTH_OPTIONAL, review_id_param, NULL, ROUTE_READONLY,
     "One review (admins also see hidden and removed ones)"},
    {HTTP_PATCH, "/api/v1/reviews/:id", catalog_handle_moderate_review, AUTH_ADMIN, review_id_param,
     review_moderate_body, ROUTE_BODY_JSON, "Publish, hide or remove a review (admin); ratings follow"},
    {HTTP_POST, "/api/v1/reviews/:id/reply", catalog_handle_reply_review, AUTH_SELLER, review_id_param,
     review_reply_body, ROUTE_BODY_JSON, "The product's seller replies to a review, once"},
    {HTTP_GET, "/api/v1/wishlist", catalog_handle_list_wishlist, AUTH_USER, wishlist_params, NULL, ROUTE_READONLY,
     "My wishlist, newest first, as product cards"},
    {HTTP_POST, "/api/v1/wishlist", catalog_handle_add_wishlist, AUTH_USER, NULL, wishlist_add_body, ROUTE_BODY_JSON,
     "Add a product to my wishlist (201; 200 when it is already there)"},
    {HTTP_DELETE, "/api/v1/wishlist/:id", catalog_handle_remove_wishlist, AUTH_USER, product_id_param, NULL, 0,
     "Remove a product from my wishlist"},
};

static int catalog_init(struct app *app)
{
    const char *sql[CATALOG_Q__COUNT];
    for (int q = 0; q < CATALOG_Q__COUNT; q++)
        sql[q] = catalog__sql((enum catalog_query)q);
    return app_check_sql(app, "catalog", sql, CATALOG_Q__COUNT);
}

const struct service_module catalog_module = {
    .name = "catalog",
    .init = catalog_init,
    .routes = catalog_routes,
    .nroutes = sizeof catalog_routes / sizeof catalog_routes[0],
};
