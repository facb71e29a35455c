/*
 * vision_sql.c — every SQL statement of the vision service.
 *
 * Ownership is in the WHERE clause ($2 / $3 = the caller's user id): a
 * session, image or concept of someone else is simply not found (404).
 * A parameter that may be NULL is first written CAST($n AS T) so
 * PostgreSQL deduces its type.
 *
 * Quotas (VISION_Q_QUOTA): $2 = now - 60 s, $3 = now - 24 h. It returns the
 * distinct generate/refine calls in the last minute, the images of the last
 * 24 h, and the oldest created_at of each window (for Retry-After).
 */
#include "services/vision/vision_int.h"

#define IMAGE_COLS                                                                                                    \
    "id, parent_image_id, round_no, instruction, prompt, generator, model, status, media_id, seed, width, height, "   \
    "style, quality, revised_prompt, error, created_at, updated_at"

static const char *const sql[VISION_Q__COUNT] = {
    /* Serialises one user's generate/refine calls so quotas hold under concurrency (SQLite: the write lock). */
    [VISION_Q_USER_LOCK] = "SELECT id FROM users WHERE id = $1 FOR UPDATE",
    [VISION_Q_QUOTA] = "SELECT COUNT(DISTINCT CASE WHEN created_at > $2 THEN batch_id END), COUNT(*), "
                       "MIN(CASE WHEN created_at > $2 THEN created_at END), MIN(created_at) "
                       "FROM vision_images WHERE user_id = $1 AND created_at > $3",
    [VISION_Q_SESSION_INSERT] =
        "INSERT INTO vision_sessions (id, user_id, title, brief, category_id, settings, status, image_count, rounds, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', 0, 0, $7, $7)",
    [VISION_Q_SESSION_LOCK] =
        "SELECT id, rounds, status FROM vision_sessions WHERE id = $1 AND user_id = $2 FOR UPDATE",
    [VISION_Q_SESSION_BUMP] = "UPDATE vision_sessions SET rounds = rounds + 1, image_count = image_count + $2, "
                              "updated_at = $3 WHERE id = $1",
    [VISION_Q_IMAGE_INSERT] =
        "INSERT INTO vision_images (id, session_id, user_id, parent_image_id, prompt, generator, model, status, "
        "seed, width, height, batch_id, round_no, instruction, style, quality, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
    [VISION_Q_IMAGE_IN_SESSION] = "SELECT prompt, seed, status, width, height FROM vision_images "
                                  "WHERE id = $1 AND session_id = $2",
    [VISION_Q_SESSION_GET] =
        "SELECT id, title, brief, category_id, status, image_count, rounds, settings, created_at, updated_at "
        "FROM vision_sessions WHERE id = $1 AND user_id = $2",
    [VISION_Q_SESSION_IMAGES] = "SELECT " IMAGE_COLS " FROM vision_images WHERE session_id = $1 "
                                "ORDER BY round_no, created_at, id",
    /* Newest first, keyset (created_at, id); the cover is the newest ready image. */
    [VISION_Q_SESSIONS_PAGE] =
        "SELECT s.id, s.title, s.brief, s.status, s.image_count, s.rounds, s.created_at, s.updated_at, "
        "(SELECT i.media_id FROM vision_images i WHERE i.session_id = s.id AND i.status = 'ready' "
        " ORDER BY i.created_at DESC, i.id DESC LIMIT 1) "
        "FROM vision_sessions s WHERE s.user_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR s.created_at < $2 "
        "OR (s.created_at = $2 AND s.id < $3)) ORDER BY s.created_at DESC, s.id DESC LIMIT $4",
    [VISION_Q_JOB_IMAGE] = "SELECT prompt, seed, width, height, style, quality, generator, status, user_id, session_id "
                           "FROM vision_images WHERE id = $1",
    [VISION_Q_MEDIA_INSERT] =
        "INSERT INTO media_objects (id, owner_id, kind, mime, bytes, width, height, sha256, storage_key, "
        "original_filename, status, variants, created_at, updated_at) "
        "VALUES ($1, $2, 'vision_image', $3, $4, $5, $6, $7, $8, $9, 'pending', '{}', $10, $10)",
    [VISION_Q_IMAGE_READY] = "UPDATE vision_images SET status = 'ready', media_id = $2, revised_prompt = $3, "
                             "width = $4, height = $5, error = NULL, updated_at = $6, "
                             "generator = $7, model = $8 "
                             "WHERE id = $1 AND status = 'pending'",
    [VISION_Q_IMAGE_FAILED] = "UPDATE vision_images SET status = 'failed', error = $2, updated_at = $3 "
                              "WHERE id = $1 AND status = 'pending'",
    [VISION_Q_SESSION_TOUCH] = "UPDATE vision_sessions SET updated_at = $2 WHERE id = $1",
    [VISION_Q_IMAGE_FOR_SAVE] = "SELECT status, prompt, media_id, generator, model, instruction, round_no "
                                "FROM vision_images WHERE id = $1 AND session_id = $2 AND user_id = $3",
    [VISION_Q_CONCEPT_INSERT] =
        "INSERT INTO saved_concepts (id, user_id, session_id, image_id, title, notes, data, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    [VISION_Q_CONCEPT_GET] = "SELECT id, session_id, image_id, title, notes, data, created_at "
                             "FROM saved_concepts WHERE id = $1 AND user_id = $2",
    /* The follow-ups of a session, oldest first (the first round's is the brief). */
    [VISION_Q_SESSION_TEXT] = "SELECT round_no, instruction FROM vision_images WHERE session_id = $1 AND user_id = $2 "
                              "GROUP BY round_no, instruction ORDER BY round_no",
    [VISION_Q_CATEGORY_EXISTS] = "SELECT 1 FROM categories WHERE id = $1 AND is_active = 1",
    /* One candidate: shop, rating, completed commissions, proposals and their mean delay (ms). */
    [VISION_Q_SELLER_SIGNALS] =
        "SELECT s.id, s.name, s.accepts_custom_orders, s.rating_sum, s.rating_count, s.vacation_mode, "
        "(SELECT COUNT(*) FROM custom_orders co WHERE co.seller_id = s.seller_id AND co.status = 'completed'), "
        "(SELECT COUNT(*) FROM proposals p WHERE p.seller_id = s.seller_id), "
        "(SELECT CAST(AVG(p.created_at - co.created_at) AS BIGINT) FROM proposals p "
        " JOIN custom_orders co ON co.id = p.custom_order_id WHERE p.seller_id = s.seller_id) "
        "FROM shops s WHERE s.seller_id = $1 AND s.status = 'active'",
    [VISION_Q_SELLER_MATERIALS] = "SELECT pm.material, COUNT(*) FROM product_materials pm "
                                  "JOIN products p ON p.id = pm.product_id "
                                  "WHERE p.seller_id = $1 AND p.status = 'active' GROUP BY pm.material",
    [VISION_Q_SELLER_IN_CATEGORY] =
        "SELECT COUNT(*) FROM products p JOIN categories c ON c.id = p.category_id "
        "JOIN categories t ON t.id = $2 WHERE p.seller_id = $1 AND p.status = 'active' "
        "AND (c.path = t.path OR substr(c.path, 1, length(t.path) + 1) = t.path || '/')",
    [VISION_Q_CATEGORY_NAME] = "SELECT name FROM categories WHERE id = $1",
};

const char *vision__sql(enum vision_query q)
{
    return sql[q];
}
