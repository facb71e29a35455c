/*
 * notifications_int.h — shared inside src/services/notifications only.
 *
 * Areas: notifications_routes.c (route table, module init),
 * notifications_types.c (the event type × channel defaults table),
 * notifications_core.c (notify_user: the notification, its delivery rows
 * and jobs), notifications_handlers.c (list, read, read-all, preferences),
 * notifications_devices.c (push devices), notifications_jobs.c (the
 * notify.deliver job), notifications_events.c (domain events → notify),
 * notifications_sql.c (every statement).
 */
#ifndef ARTISTRY_SERVICES_NOTIFICATIONS_INT_H
#define ARTISTRY_SERVICES_NOTIFICATIONS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct db;
struct db_error;
struct db_stmt;
struct job_registry;

enum notif_query {
    NQ_INSERT,
    NQ_PREFS_FOR_TYPE,
    NQ_USER_CONTACT,
    NQ_ACTIVE_DEVICES,
    NQ_DELIVERY_INSERT,
    NQ_DELIVERY_LOAD,
    NQ_DELIVERY_UPDATE,
    NQ_DEVICE_DISABLE,
    NQ_PAGE,
    NQ_UNREAD_COUNT,
    NQ_MARK_READ,
    NQ_GET,
    NQ_READ_ALL,
    NQ_PREFS_ALL,
    NQ_PREF_UPSERT,
    NQ_DEVICE_UPSERT,
    NQ_DEVICE_BY_TOKEN,
    NQ_DEVICES_LIST,
    NQ_DEVICE_DELETE,
    NQ__COUNT,
};

/** SQL text of a statement (static storage). */
const char *notif__sql(enum notif_query q);

/** Columns read by notif__json, in this order. */
#define NOTIF_COLS "id, type, title, body, data, read_at, created_at"

/** Columns read by notif__device_json, in this order. */
#define NOTIF_DEVICE_COLS "id, platform, push_token, app_version, last_seen_at, disabled_at, created_at, updated_at"

/** Job kind: deliver one notification_deliveries row. Payload {"delivery_id": "ndl_…"}. */
#define NOTIF_JOB_DELIVER "notify.deliver"

/*-----------------------------------------------------------------------------
 * notifications_types.c
 */
enum notif_channel { NC_IN_APP, NC_EMAIL, NC_SMS, NC_PUSH, NC__COUNT };

/** A notifiable event type and its per-channel defaults (bit 1 << channel). */
struct notif_type {
    const char *type;
    unsigned on;       /* enabled unless the user says otherwise */
    unsigned locked;   /* the user cannot change it (security notices) */
    unsigned external; /* delivered by another service, not by a delivery row */
};

/** Every notifiable type, NULL-type terminated. */
extern const struct notif_type notif_types[];

/** The type's row, or NULL. */
const struct notif_type *notif__type(const char *type);

/** Channel name ("in_app", "email", "sms", "push"). */
const char *notif__channel_name(enum notif_channel c);

/** Channel by name, or -1. */
int notif__channel(const char *name);

/*-----------------------------------------------------------------------------
 * notifications_core.c
 */

/** The notification at the statement's current row (NOTIF_COLS from column `col`) as JSON (new reference). */
json_t *notif__json(struct db_stmt *st, int col);

/** RFC 3339 text of ms into buf (>= 32 bytes). */
const char *notif__time(int64_t ms, char *buf, size_t cap);

/**
 * notify_user with a dedupe key: a second call with the same user and key
 * does nothing (returns 0, *created false). key NULL: never deduped.
 */
int notif__notify(struct db *tx, const char *user_id, const char *type, const char *title, const char *body,
                  json_t *data, const char *dedupe_key, bool *created, struct db_error *err);

/*-----------------------------------------------------------------------------
 * notifications_handlers.c
 */
int notifications_handle_list(struct request *req, struct app_error *err);
int notifications_handle_unread_count(struct request *req, struct app_error *err);
int notifications_handle_read(struct request *req, struct app_error *err);
int notifications_handle_read_all(struct request *req, struct app_error *err);
int notifications_handle_get_prefs(struct request *req, struct app_error *err);
int notifications_handle_patch_prefs(struct request *req, struct app_error *err);

/*-----------------------------------------------------------------------------
 * notifications_devices.c
 */
int notifications_handle_device_put(struct request *req, struct app_error *err);
int notifications_handle_device_list(struct request *req, struct app_error *err);
int notifications_handle_device_delete(struct request *req, struct app_error *err);

/*-----------------------------------------------------------------------------
 * notifications_jobs.c, notifications_events.c
 */
void notif__register_jobs(struct job_registry *r);
void notif__subscribe(void);

#endif
