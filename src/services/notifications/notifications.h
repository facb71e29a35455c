/*
 * notifications.h — the notifications service's public face.
 *
 * notify_user records one notification for a user and schedules its
 * deliveries (in-app live push, email, SMS, push) as the user's
 * preferences for `type` allow, in the caller's transaction: the
 * notification exists if and only if the caller's change committed.
 * Deliveries run in the job queue with retries; one failing channel never
 * blocks the others.
 */
#ifndef ARTISTRY_SERVICES_NOTIFICATIONS_H
#define ARTISTRY_SERVICES_NOTIFICATIONS_H

#include <jansson.h>

#include "http/http.h"

struct db;
struct db_error;

extern const struct service_module notifications_module;

/**
 * Notify user_id of `type` ("message.new", "order.paid", …) with a title,
 * a body and data (borrowed; may be NULL) for clients. 0 or -1 (err set).
 */
int notify_user(struct db *tx, const char *user_id, const char *type, const char *title, const char *body,
                json_t *data, struct db_error *err);

#endif
