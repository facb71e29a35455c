/*
 * media_sql.c — every SQL statement of the media service.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters). Visibility
 * and ownership are part of each WHERE clause: a row the caller may not see
 * is simply not found. $2 is the caller's user id (NULL when anonymous), $3
 * is 1 for an admin, else 0.
 */
#include "services/media/media_int.h"

/* Kinds only the owner (and admins) may read; keep in step with media__kind_private. */
#define PRIVATE_KINDS                                                                                                  \
    "('message_attachment', 'personalization', 'milestone_delivery', 'shipping_label', 'vision_image')"

static const char *const sql[MEDIA_Q__COUNT] = {
    [MEDIA_Q_INSERT] =
        "INSERT INTO media_objects (id, owner_id, kind, mime, bytes, width, height, sha256, storage_key, "
        "original_filename, status, variants, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', '{}', $11, $11)",
    [MEDIA_Q_VISIBLE] =
        "SELECT id, owner_id, kind, mime, bytes, sha256, storage_key, status, variants FROM media_objects "
        "WHERE id = $1 AND status <> 'deleted' "
        "AND (kind NOT IN " PRIVATE_KINDS " OR owner_id = $2 OR $3 = 1 "
        "OR EXISTS (SELECT 1 FROM media_grants g WHERE g.media_id = media_objects.id AND g.user_id = $2))",
    [MEDIA_Q_OWNED_LOCK] = "SELECT id, kind, status FROM media_objects "
                           "WHERE id = $1 AND status <> 'deleted' AND (owner_id = $2 OR $3 = 1) FOR UPDATE",
    [MEDIA_Q_PUBLIC_EXISTS] =
        "SELECT 1 FROM media_objects WHERE id = $1 AND status <> 'deleted' AND kind NOT IN " PRIVATE_KINDS,
    [MEDIA_Q_GRANT] = "INSERT INTO media_grants (media_id, user_id, reason, created_at) VALUES ($1, $2, $3, $4) "
                      "ON CONFLICT (media_id, user_id) DO NOTHING",
    [MEDIA_Q_IN_USE] = "SELECT 1 FROM product_images WHERE media_id = $1 LIMIT 1",
    [MEDIA_Q_MARK_DELETED] =
        "UPDATE media_objects SET status = 'deleted', updated_at = $2 WHERE id = $1 AND status <> 'deleted'",
    [MEDIA_Q_RETRY_FAILED] =
        "UPDATE media_objects SET status = 'pending', updated_at = $2 WHERE id = $1 AND status = 'failed'",
    [MEDIA_Q_JOB_ROW] = "SELECT storage_key, mime, bytes, status, variants FROM media_objects WHERE id = $1",
    [MEDIA_Q_SET_READY] = "UPDATE media_objects SET status = 'ready', variants = $2, updated_at = $3 "
                          "WHERE id = $1 AND status <> 'deleted'",
    [MEDIA_Q_SET_FAILED] =
        "UPDATE media_objects SET status = 'failed', updated_at = $2 WHERE id = $1 AND status = 'pending'",
};

const char *media__sql(enum media_query q)
{
    return sql[q];
}
