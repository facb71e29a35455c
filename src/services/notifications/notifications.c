/* notifications.c — placeholder module (the notifications service replaces this file). */
#include "services/notifications/notifications.h"

int notify_user(struct db *tx, const char *user_id, const char *type, const char *title, const char *body,
                json_t *data, struct db_error *err)
{
    (void)tx; (void)user_id; (void)type; (void)title; (void)body; (void)data; (void)err;
    return 0;
}

const struct service_module notifications_module = {.name = "notifications"};
