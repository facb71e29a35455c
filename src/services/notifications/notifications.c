/*
 * notifications.c — the notifications service's route table, specs and
 * module (see README.md; notify_user is in notifications_core.c).
 */
#include "services/notifications/notifications.h"

#include "app.h"
#include "services/notifications/notifications_int.h"

static const char *const platforms[] = {"ios", "android", "web", NULL};
static const char *const channels[] = {"in_app", "email", "sms", "push", NULL};

static const struct param_spec list_params[] = {
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {.name = "unread", .source = PARAM_QUERY, .type = VT_BOOL},
    {0},
};

static const struct param_spec id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "ntf"},
    {0},
};

static const struct param_spec device_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "dev"},
    {0},
};

static const struct field_spec empty_body[] = {{0}};

static const struct field_spec pref_fields[] = {
    {.name = "event_type", .type = VT_STRING, .required = true, .min = 1, .max = 64},
    {.name = "channel", .type = VT_ENUM, .required = true, .enum_values = channels},
    {.name = "enabled", .type = VT_BOOL, .required = true},
    {0},
};

static const struct field_spec pref_item[] = {
    {.name = "item", .type = VT_OBJECT, .fields = pref_fields},
    {0},
};

static const struct field_spec prefs_body[] = {
    {.name = "preferences", .type = VT_ARRAY, .required = true, .min = 1, .max = 100, .fields = pref_item},
    {0},
};

static const struct field_spec device_body[] = {
    {.name = "platform", .type = VT_ENUM, .required = true, .enum_values = platforms},
    {.name = "push_token", .type = VT_STRING, .required = true, .min = 8, .max = 4096},
    {.name = "app_version", .type = VT_STRING, .min = 1, .max = 32, .nullable = true},
    {0},
};

static const struct route notifications_routes[] = {
    {HTTP_GET, "/api/v1/notifications", notifications_handle_list, AUTH_USER, list_params, NULL, ROUTE_READONLY,
     "My notifications, newest first (?unread=true: unread only), with the unread count"},
    {HTTP_GET, "/api/v1/notifications/unread-count", notifications_handle_unread_count, AUTH_USER, NULL, NULL,
     ROUTE_READONLY, "How many of my notifications are unread"},
    {HTTP_PATCH, "/api/v1/notifications/read-all", notifications_handle_read_all, AUTH_USER, NULL, empty_body,
     ROUTE_BODY_JSON, "Mark every notification of mine read; returns how many changed"},
    {HTTP_PATCH, "/api/v1/notifications/:id/read", notifications_handle_read, AUTH_USER, id_param, empty_body,
     ROUTE_BODY_JSON, "Mark one notification of mine read (idempotent)"},
    {HTTP_GET, "/api/v1/notifications/preferences", notifications_handle_get_prefs, AUTH_USER, NULL, NULL,
     ROUTE_READONLY, "Every event type x channel with its effective value, default and lock"},
    {HTTP_PATCH, "/api/v1/notifications/preferences", notifications_handle_patch_prefs, AUTH_USER, NULL, prefs_body,
     ROUTE_BODY_JSON, "Set preferences: {preferences: [{event_type, channel, enabled}]}"},
    {HTTP_POST, "/api/v1/notifications/devices", notifications_handle_device_put, AUTH_USER, NULL, device_body,
     ROUTE_BODY_JSON, "Register a push device (upsert by token; the caller becomes its owner)"},
    {HTTP_GET, "/api/v1/notifications/devices", notifications_handle_device_list, AUTH_USER, NULL, NULL,
     ROUTE_READONLY, "My push devices"},
    {HTTP_DELETE, "/api/v1/notifications/devices/:id", notifications_handle_device_delete, AUTH_USER,
     device_id_param, NULL, 0, "Remove one of my push devices"},
};

static int notifications_init(struct app *app)
{
    static int subscribed;
    const char *sql[NQ__COUNT];
    for (int q = 0; q < NQ__COUNT; q++)
        sql[q] = notif__sql((enum notif_query)q);
    if (app_check_sql(app, "notifications", sql, NQ__COUNT) != 0)
        return -1;
    notif__register_jobs(app->jobs);
    if (!subscribed++)
        notif__subscribe();
    return 0;
}

const struct service_module notifications_module = {
    .name = "notifications",
    .init = notifications_init,
    .routes = notifications_routes,
    .nroutes = sizeof notifications_routes / sizeof notifications_routes[0],
};
