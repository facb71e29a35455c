/*
 * users_routes.c — the users service's route table, body specs and module.
 *
 * Path ids: users "usr_…", seller applications "sap_…"; a shop is addressed
 * by its seller's user id (/sellers/:id/shop).
 */
#include "services/users/users.h"

#include "services/users/users_int.h"

static const struct param_spec user_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "usr"},
    {0},
};

static const struct param_spec application_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "sap"},
    {0},
};

static const char *const roles[] = {"buyer", "seller", "admin", NULL};
static const char *const user_statuses[] = {"active", "suspended", "deleted", NULL};
static const char *const application_statuses[] = {"pending", "approved", "rejected", NULL};

static const struct param_spec admin_users_params[] = {
    {.name = "q", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {.name = "role", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = roles},
    {.name = "status", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = user_statuses},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 64},
    {0},
};

static const struct param_spec admin_applications_params[] = {
    {.name = "status", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = application_statuses},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 64},
    {0},
};

const struct field_spec users_profile_patch_body[] = {
    {.name = "display_name", .type = VT_STRING, .min = 1, .max = 80},
    {.name = "bio", .type = VT_STRING, .max = 2000},
    {.name = "location", .type = VT_STRING, .max = 120, .nullable = true},
    {.name = "avatar_media_id", .type = VT_ID, .id_prefix = "med", .nullable = true},
    {0},
};

static const struct field_spec url_item[] = {
    {.name = "url", .type = VT_STRING, .min = 8, .max = 500},
    {0},
};

const struct field_spec users_apply_body[] = {
    {.name = "shop_name", .type = VT_STRING, .required = true, .min = 2, .max = 80},
    {.name = "description", .type = VT_STRING, .max = 4000},
    {.name = "country", .type = VT_STRING, .min = 2, .max = 2},
    {.name = "portfolio_urls", .type = VT_ARRAY, .max = 10, .fields = url_item},
    {0},
};

static const struct field_spec shop_policy_fields[] = {
    {.name = "shipping", .type = VT_STRING, .max = 4000, .nullable = true},
    {.name = "returns", .type = VT_STRING, .max = 4000, .nullable = true},
    {.name = "exchanges", .type = VT_STRING, .max = 4000, .nullable = true},
    {.name = "payments", .type = VT_STRING, .max = 4000, .nullable = true},
    {.name = "custom_orders", .type = VT_STRING, .max = 4000, .nullable = true},
    {.name = "privacy", .type = VT_STRING, .max = 4000, .nullable = true},
    /* How long the shop takes to make and dispatch an order (shown with every product). */
    {.name = "processing", .type = VT_STRING, .max = 4000, .nullable = true},
    {.name = "processing_days_min", .type = VT_INT, .min = 0, .max = 120, .nullable = true},
    {.name = "processing_days_max", .type = VT_INT, .min = 0, .max = 120, .nullable = true},
    {0},
};

const struct field_spec users_shop_patch_body[] = {
    {.name = "name", .type = VT_STRING, .min = 2, .max = 80},
    {.name = "tagline", .type = VT_STRING, .max = 140},
    {.name = "description", .type = VT_STRING, .max = 8000},
    {.name = "policies", .type = VT_OBJECT, .fields = shop_policy_fields},
    {.name = "vacation_mode", .type = VT_BOOL},
    {.name = "vacation_message", .type = VT_STRING, .max = 500, .nullable = true},
    {.name = "accepts_custom_orders", .type = VT_BOOL},
    {0},
};

static const struct field_spec reason_body[] = {
    {.name = "reason", .type = VT_STRING, .required = true, .min = 1, .max = 1000},
    {0},
};

static const struct field_spec empty_body[] = {{0}};

static const struct route users_routes[] = {
    {HTTP_GET, "/api/v1/users/me", users_handle_get_me, AUTH_USER, NULL, NULL, ROUTE_READONLY,
     "The caller's account"},
    {HTTP_PATCH, "/api/v1/users/me", users_handle_patch_me, AUTH_USER, NULL, users_profile_patch_body,
     ROUTE_BODY_JSON, "Change the caller's display name, bio, location or avatar"},
    {HTTP_DELETE, "/api/v1/users/me", users_handle_delete_me, AUTH_USER, NULL, NULL, 0,
     "Erase the caller's personal data and close the account (orders and payments are kept, anonymised)"},
    {HTTP_GET, "/api/v1/users/me/preferences", users_handle_get_preferences, AUTH_USER, NULL, NULL,
     ROUTE_READONLY, "The caller's notification, currency and language preferences"},
    {HTTP_PATCH, "/api/v1/users/me/preferences", users_handle_patch_preferences, AUTH_USER, NULL,
     users_prefs_patch_body, ROUTE_BODY_JSON, "Merge changes into the caller's preferences (null resets a field)"},
    {HTTP_GET, "/api/v1/users/me/export", users_handle_export, AUTH_USER, NULL, NULL, ROUTE_READONLY,
     "Every piece of the caller's personal data, as JSON"},
    {HTTP_GET, "/api/v1/users/:id", users_handle_get_user, AUTH_USER, user_id_param, NULL, ROUTE_READONLY,
     "An account (the caller's own, or any for an admin)"},
    {HTTP_GET, "/api/v1/users/:id/public-profile", users_handle_public_profile, AUTH_PUBLIC, user_id_param, NULL,
     ROUTE_READONLY, "A user's public profile and shop summary"},
    {HTTP_POST, "/api/v1/sellers/apply", users_handle_apply, AUTH_USER, NULL, users_apply_body, ROUTE_BODY_JSON,
     "Apply to become a seller (one pending application at a time)"},
    {HTTP_GET, "/api/v1/sellers/:id/shop", users_handle_get_shop, AUTH_PUBLIC, user_id_param, NULL,
     ROUTE_READONLY, "A seller's shop"},
    {HTTP_PATCH, "/api/v1/sellers/:id/shop", users_handle_patch_shop, AUTH_SELLER, user_id_param,
     users_shop_patch_body, ROUTE_BODY_JSON, "Change the caller's own shop"},
    {HTTP_GET, "/api/v1/admin/users", users_handle_admin_list_users, AUTH_ADMIN, admin_users_params, NULL,
     ROUTE_READONLY, "Search users by email or name prefix, role and status (admin)"},
    {HTTP_POST, "/api/v1/admin/users/:id/suspend", users_handle_admin_suspend, AUTH_ADMIN, user_id_param,
     reason_body, ROUTE_BODY_JSON, "Suspend an account and revoke its sessions (admin)"},
    {HTTP_POST, "/api/v1/admin/users/:id/reinstate", users_handle_admin_reinstate, AUTH_ADMIN, user_id_param,
     empty_body, ROUTE_BODY_JSON, "Reinstate a suspended account (admin)"},
    {HTTP_GET, "/api/v1/admin/seller-applications", users_handle_admin_list_applications, AUTH_ADMIN,
     admin_applications_params, NULL, ROUTE_READONLY, "Seller applications, newest first (admin)"},
    {HTTP_POST, "/api/v1/admin/seller-applications/:id/approve", users_handle_admin_approve, AUTH_ADMIN,
     application_id_param, empty_body, ROUTE_BODY_JSON, "Approve an application: seller role and shop (admin)"},
    {HTTP_POST, "/api/v1/admin/seller-applications/:id/reject", users_handle_admin_reject, AUTH_ADMIN,
     application_id_param, reason_body, ROUTE_BODY_JSON, "Reject an application with a reason (admin)"},
};

const struct service_module users_module = {
    .name = "users",
    .routes = users_routes,
    .nroutes = sizeof users_routes / sizeof users_routes[0],
};
