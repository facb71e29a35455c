/*
 * notifications_sql.c — every SQL statement of the notifications service.
 *
 * Same text on SQLite and PostgreSQL. Upserts use ON CONFLICT … DO
 * NOTHING / DO UPDATE with excluded.*, which both engines accept.
 * Lists are newest first with a keyset cursor on (created_at, id).
 */
#include "services/notifications/notifications_int.h"

#define DEVICE_UPDATE                                                                                                 \
    "user_id = excluded.user_id, platform = excluded.platform, app_version = excluded.app_version, "                \
    "last_seen_at = excluded.last_seen_at, disabled_at = NULL, updated_at = excluded.updated_at"

static const char *const sql[NQ__COUNT] = {
    /* A NULL dedupe_key never conflicts (NULLs are distinct in a unique index). */
    [NQ_INSERT] = "INSERT INTO notifications (id, user_id, type, title, body, data, dedupe_key, created_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id, dedupe_key) DO NOTHING",
    [NQ_PREFS_FOR_TYPE] = "SELECT channel, enabled FROM notification_preferences WHERE user_id = $1 AND event_type = $2",
    [NQ_USER_CONTACT] = "SELECT email, phone_e164, phone_verified_at, status FROM users WHERE id = $1",
    [NQ_ACTIVE_DEVICES] = "SELECT id, push_token FROM devices WHERE user_id = $1 AND disabled_at IS NULL "
                          "ORDER BY created_at, id",
    [NQ_DELIVERY_INSERT] = "INSERT INTO notification_deliveries (id, notification_id, user_id, channel, status, "
                           "last_error, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    [NQ_DELIVERY_LOAD] = "SELECT d.channel, d.status, d.attempts, d.user_id, u.email, u.phone_e164, "
                         "u.phone_verified_at, n.id, n.type, n.title, n.body, n.data, n.read_at, n.created_at FROM notification_deliveries d "
                         "JOIN notifications n ON n.id = d.notification_id JOIN users u ON u.id = d.user_id "
                         "WHERE d.id = $1",
    /* $2 status, $3 provider_ref, $4 last_error, $5 sent_at, $6 next_attempt_at, $7 now. */
    [NQ_DELIVERY_UPDATE] = "UPDATE notification_deliveries SET status = $2, attempts = attempts + 1, "
                           "provider_ref = CAST($3 AS TEXT), last_error = CAST($4 AS TEXT), "
                           "sent_at = CAST($5 AS BIGINT), next_attempt_at = CAST($6 AS BIGINT), updated_at = $7 "
                           "WHERE id = $1 AND status = 'pending'",
    [NQ_DEVICE_DISABLE] = "UPDATE devices SET disabled_at = $2, updated_at = $2 WHERE id = $1 AND disabled_at IS NULL",
    /* $2/$3 the cursor's created_at and id (NULL: first page), $4 page size + 1, $5 1: unread only. */
    [NQ_PAGE] = "SELECT " NOTIF_COLS " FROM notifications WHERE user_id = $1 AND ($5 = 0 OR read_at IS NULL) "
                "AND (CAST($2 AS BIGINT) IS NULL OR created_at < $2 OR (created_at = $2 AND id < CAST($3 AS TEXT))) "
                "ORDER BY created_at DESC, id DESC LIMIT $4",
    [NQ_UNREAD_COUNT] = "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
    [NQ_MARK_READ] = "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND user_id = $2",
    [NQ_GET] = "SELECT " NOTIF_COLS " FROM notifications WHERE id = $1 AND user_id = $2",
    [NQ_READ_ALL] = "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
    [NQ_PREFS_ALL] = "SELECT event_type, channel, enabled FROM notification_preferences WHERE user_id = $1",
    [NQ_PREF_UPSERT] = "INSERT INTO notification_preferences (user_id, event_type, channel, enabled, updated_at) "
                       "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, event_type, channel) "
                       "DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
    /* A token is one device: registering it again re-owns it to the caller and re-enables it. */
    [NQ_DEVICE_UPSERT] = "INSERT INTO devices (id, user_id, platform, push_token, app_version, last_seen_at, "
                         "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $6) "
                         "ON CONFLICT (push_token) DO UPDATE SET " DEVICE_UPDATE,
    [NQ_DEVICE_BY_TOKEN] = "SELECT " NOTIF_DEVICE_COLS " FROM devices WHERE push_token = $1",
    [NQ_DEVICES_LIST] = "SELECT " NOTIF_DEVICE_COLS " FROM devices WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
    [NQ_DEVICE_DELETE] = "DELETE FROM devices WHERE id = $1 AND user_id = $2",
};

const char *notif__sql(enum notif_query q)
{
    return sql[q];
}
