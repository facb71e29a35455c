/*
 * users_sql.c — every SQL statement of the users service.
 *
 * The same text runs on SQLite and PostgreSQL. Optional filters are written
 * `(CAST($n AS TEXT) IS NULL OR col = $n)` so one prepared statement serves
 * every combination and PostgreSQL can infer each parameter's type.
 * Ownership is part of each query (`WHERE id = $1 AND ...caller...`), never
 * checked after loading.
 */
#include "http/http.h"
#include "services/users/users_int.h"

#define USER_COLS                                                                                                 \
    "id, email, role, status, display_name, avatar_media_id, bio, location, email_verified_at, last_login_at, "  \
    "suspended_reason, deleted_at, created_at, updated_at"

static const char *const sql[USERS_Q__COUNT] = {
    /* $1 id, $2 1 when the caller is an admin, $3 caller id */
    [USERS_Q_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = $1 AND (CAST($2 AS INTEGER) = 1 OR id = $3)",
    /* $1 id, $2 display_name, $3 bio, $4 set location?, $5 location, $6 set avatar?, $7 avatar, $8 now */
    [USERS_Q_USER_UPDATE_PROFILE] =
        "UPDATE users SET display_name = COALESCE($2, display_name), bio = COALESCE($3, bio), "
        "location = CASE WHEN CAST($4 AS INTEGER) = 1 THEN $5 ELSE location END, "
        "avatar_media_id = CASE WHEN CAST($6 AS INTEGER) = 1 THEN $7 ELSE avatar_media_id END, updated_at = $8 "
        "WHERE id = $1 AND status = 'active'",
    [USERS_Q_MEDIA_OWNED] = "SELECT 1 FROM media_objects WHERE id = $1 AND owner_id = $2 AND status <> 'deleted'",
    [USERS_Q_PUBLIC_PROFILE] =
        "SELECT u.id, u.display_name, u.avatar_media_id, u.bio, u.location, u.created_at, u.role, s.id, s.slug, "
        "s.name, s.tagline, s.rating_sum, s.rating_count, s.sales_count, s.accepts_custom_orders, s.vacation_mode "
        "FROM users u LEFT JOIN shops s ON s.seller_id = u.id AND s.status = 'active' "
        "WHERE u.id = $1 AND u.status = 'active'",
    [USERS_Q_PREFS_GET] = "SELECT preferences FROM users WHERE id = $1",
    [USERS_Q_PREFS_LOCK] = "SELECT preferences FROM users WHERE id = $1 AND status = 'active' FOR UPDATE",
    [USERS_Q_PREFS_SET] = "UPDATE users SET preferences = $2, updated_at = $3 WHERE id = $1",

    /* Export: one statement per section, $1 = the user. */
    [USERS_Q_EXPORT_PROFILE] =
        "SELECT id, email, role, status, display_name, avatar_media_id, bio, location, phone_e164, "
        "email_verified_at, phone_verified_at, last_login_at, created_at, updated_at FROM users WHERE id = $1",
    [USERS_Q_EXPORT_SESSIONS] =
        "SELECT id, created_at, last_used_at, expires_at, rotated_at, revoked_at, revoke_reason, user_agent, ip "
        "FROM auth_sessions WHERE user_id = $1 ORDER BY created_at, id",
    [USERS_Q_EXPORT_OAUTH] = "SELECT provider, email, created_at, last_login_at FROM oauth_identities "
                             "WHERE user_id = $1 ORDER BY created_at, id",
    [USERS_Q_EXPORT_ADDRESSES] = "SELECT id, full_name, line1, line2, city, region, postal_code, country, phone, "
                                 "is_default, created_at, updated_at FROM addresses WHERE user_id = $1 "
                                 "ORDER BY created_at, id",
    [USERS_Q_EXPORT_ORDERS] =
        "SELECT id, seller_id, shop_id, status, subtotal_amount, shipping_amount, tax_amount, discount_amount, "
        "total_amount, refunded_amount, currency, shipping_address, buyer_note, tracking_number, created_at, "
        "paid_at, shipped_at, delivered_at, completed_at, cancelled_at FROM orders WHERE buyer_id = $1 "
        "ORDER BY created_at, id",
    [USERS_Q_EXPORT_CUSTOM_ORDERS] = "SELECT id, seller_id, title, description, budget_amount, currency, status, "
                                     "created_at FROM custom_orders WHERE buyer_id = $1 ORDER BY created_at, id",
    [USERS_Q_EXPORT_REVIEWS] = "SELECT id, product_id, shop_id, rating, body, status, seller_reply, created_at, "
                               "updated_at FROM reviews WHERE buyer_id = $1 ORDER BY created_at, id",
    [USERS_Q_EXPORT_MESSAGES] = "SELECT id, conversation_id, kind, body, attachments, created_at, edited_at, "
                                "deleted_at FROM messages WHERE sender_id = $1 ORDER BY created_at, id",
    [USERS_Q_EXPORT_WISHLIST] =
        "SELECT product_id, created_at FROM wishlists WHERE user_id = $1 ORDER BY created_at, product_id",
    [USERS_Q_EXPORT_APPLICATIONS] = "SELECT id, shop_name, about AS description, country, portfolio_urls, status, reason, "
                                    "reviewed_at, created_at FROM seller_applications WHERE user_id = $1 "
                                    "ORDER BY created_at, id",
    [USERS_Q_EXPORT_SHOP] = "SELECT id, slug, name, tagline, description, policies, country, currency, status, "
                            "vacation_mode, vacation_message, accepts_custom_orders, created_at FROM shops "
                            "WHERE seller_id = $1",
    [USERS_Q_EXPORT_NOTIFICATIONS] = "SELECT id, type, title, body, data, read_at, created_at FROM notifications "
                                     "WHERE user_id = $1 ORDER BY created_at, id",
    [USERS_Q_EXPORT_NOTIFICATION_PREFS] = "SELECT event_type, channel, enabled, updated_at FROM "
                                          "notification_preferences WHERE user_id = $1 ORDER BY event_type, channel",
    [USERS_Q_EXPORT_DEVICES] = "SELECT id, platform, app_version, last_seen_at, created_at FROM devices "
                               "WHERE user_id = $1 ORDER BY created_at, id",
    [USERS_Q_EXPORT_CONCEPTS] = "SELECT id, title, notes, data, created_at FROM saved_concepts WHERE user_id = $1 "
                                "ORDER BY created_at, id",
    [USERS_Q_EXPORT_VISION] = "SELECT id, title, brief, status, created_at FROM vision_sessions WHERE user_id = $1 "
                              "ORDER BY created_at, id",
    [USERS_Q_EXPORT_LOGINS] = "SELECT ip, succeeded, failure_reason, created_at FROM login_attempts "
                              "WHERE user_id = $1 ORDER BY created_at, id",
    [USERS_Q_EXPORT_REPORTS] = "SELECT id, target_type, target_id, reason, details, status, created_at FROM reports "
                               "WHERE reporter_id = $1 ORDER BY created_at, id",

    /* Erasure, in one transaction; orders, payments and ledger rows stay (they reference the id). */
    [USERS_Q_ERASE_LOGINS] = "DELETE FROM login_attempts WHERE user_id = $1 OR email_normalized = "
                             "(SELECT email_normalized FROM users WHERE id = $1)",
    [USERS_Q_ERASE_LOCKOUT] =
        "DELETE FROM account_lockouts WHERE email_normalized = (SELECT email_normalized FROM users WHERE id = $1)",
    [USERS_Q_ERASE_SESSIONS] = "DELETE FROM auth_sessions WHERE user_id = $1",
    [USERS_Q_ERASE_AUTH_TOKENS] = "DELETE FROM auth_tokens WHERE user_id = $1",
    [USERS_Q_ERASE_OAUTH] = "DELETE FROM oauth_identities WHERE user_id = $1",
    [USERS_Q_ERASE_OAUTH_STATES] = "DELETE FROM oauth_states WHERE link_user_id = $1",
    [USERS_Q_ERASE_NOTIFICATION_PREFS] = "DELETE FROM notification_preferences WHERE user_id = $1",
    [USERS_Q_ERASE_NOTIFICATIONS] = "DELETE FROM notifications WHERE user_id = $1",
    [USERS_Q_ERASE_CARTS] = "DELETE FROM carts WHERE user_id = $1",
    [USERS_Q_ERASE_DEVICES] = "DELETE FROM devices WHERE user_id = $1",
    [USERS_Q_ERASE_ADDRESSES] = "DELETE FROM addresses WHERE user_id = $1",
    [USERS_Q_ERASE_CONCEPTS] = "DELETE FROM saved_concepts WHERE user_id = $1",
    [USERS_Q_ERASE_VISION_IMAGES] = "DELETE FROM vision_images WHERE user_id = $1",
    [USERS_Q_ERASE_VISION_SESSIONS] = "DELETE FROM vision_sessions WHERE user_id = $1",
    [USERS_Q_ERASE_WEBHOOKS] = "DELETE FROM webhook_endpoints WHERE owner_id = $1",
    [USERS_Q_ERASE_APPLICATIONS] = "DELETE FROM seller_applications WHERE user_id = $1",
    [USERS_Q_ERASE_CONVERSATION_READS] = "DELETE FROM conversation_reads WHERE user_id = $1",
    [USERS_Q_ERASE_AVATARS] = "UPDATE media_objects SET status = 'deleted' WHERE owner_id = $1 AND kind = 'avatar'",
    [USERS_Q_ERASE_CLOSE_SHOP] =
        "UPDATE shops SET status = 'closed', vacation_message = NULL, rev = rev + 1 WHERE seller_id = $1",
    [USERS_Q_ERASE_USER] =
        "UPDATE users SET status = 'deleted', email = $2, email_normalized = $2, password_hash = NULL, "
        "display_name = 'Deleted user', avatar_media_id = NULL, bio = '', location = NULL, phone_e164 = NULL, "
        "phone_verified_at = NULL, email_verified_at = NULL, preferences = '{}', suspended_reason = NULL, "
        "last_login_at = NULL, tokens_valid_after = $3, deleted_at = $3, updated_at = $3 "
        "WHERE id = $1 AND status <> 'deleted'",

    /* Sellers */
    [USERS_Q_USER_ROLE_STATUS] = "SELECT role, status FROM users WHERE id = $1",
    [USERS_Q_APPLICATION_INSERT] =
        "INSERT INTO seller_applications (id, user_id, shop_name, about, country, portfolio_urls, status, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)",
    [USERS_Q_APPLICATION_BY_ID] = "SELECT id, user_id, shop_name, about AS description, country, portfolio_urls, status, reason, "
                                  "reviewed_by, reviewed_at, created_at, updated_at FROM seller_applications "
                                  "WHERE id = $1 FOR UPDATE",
    [USERS_Q_SHOP_PUBLIC] =
        "SELECT s.id, s.seller_id, s.slug, s.name, s.tagline, s.description, s.logo_media_id, s.banner_media_id, "
        "s.policies, s.country, s.currency, s.vacation_mode, s.vacation_message, s.accepts_custom_orders, "
        "s.rating_sum, s.rating_count, s.sales_count, s.follower_count, s.created_at, s.updated_at "
        "FROM shops s JOIN users u ON u.id = s.seller_id "
        "WHERE s.seller_id = $1 AND s.status = 'active' AND u.status = 'active' AND u.role IN ('seller', 'admin')",
    [USERS_Q_SHOP_OWN] =
        "SELECT id, seller_id, slug, name, tagline, description, logo_media_id, banner_media_id, policies, country, "
        "currency, vacation_mode, vacation_message, accepts_custom_orders, rating_sum, rating_count, sales_count, "
        "follower_count, created_at, updated_at, status FROM shops WHERE seller_id = $1 AND seller_id = $2",
    /* $1 shop owner from the URL, $2 caller */
    [USERS_Q_SHOP_POLICIES_LOCK] =
        "SELECT policies, id, name FROM shops WHERE seller_id = $1 AND seller_id = $2 AND status <> 'closed' "
        "FOR UPDATE",
    /* $1 owner, $2 caller, $3 name, $4 tagline, $5 description, $6 policies, $7 vacation_mode,
       $8 set vacation_message?, $9 vacation_message, $10 accepts_custom_orders, $11 now */
    [USERS_Q_SHOP_UPDATE] =
        "UPDATE shops SET name = COALESCE($3, name), tagline = COALESCE($4, tagline), "
        "description = COALESCE($5, description), policies = COALESCE($6, policies), "
        "vacation_mode = COALESCE(CAST($7 AS INTEGER), vacation_mode), "
        "vacation_message = CASE WHEN CAST($8 AS INTEGER) = 1 THEN $9 ELSE vacation_message END, "
        "accepts_custom_orders = COALESCE(CAST($10 AS INTEGER), accepts_custom_orders), updated_at = $11, "
        "rev = rev + 1 WHERE seller_id = $1 AND seller_id = $2 AND status <> 'closed'",

    /* Admin. $1 role, $2 status, $3 LIKE prefix pattern (escape '!'), $4 cursor, $5 limit */
    [USERS_Q_ADMIN_USERS] =
        "SELECT id, email, role, status, display_name, created_at, last_login_at, suspended_reason FROM users "
        "WHERE (CAST($1 AS TEXT) IS NULL OR role = $1) AND (CAST($2 AS TEXT) IS NULL OR status = $2) "
        "AND (CAST($3 AS TEXT) IS NULL OR email_normalized LIKE $3 ESCAPE '!' OR lower(display_name) LIKE $3 "
        "ESCAPE '!') AND (CAST($4 AS TEXT) IS NULL OR id < $4) ORDER BY id DESC LIMIT $5",
    [USERS_Q_USER_SUSPEND] = "UPDATE users SET status = 'suspended', suspended_reason = $2, tokens_valid_after = $3, "
                             "updated_at = $3 WHERE id = $1 AND status = 'active'",
    [USERS_Q_USER_REINSTATE] = "UPDATE users SET status = 'active', suspended_reason = NULL, updated_at = $2 "
                               "WHERE id = $1 AND status = 'suspended'",
    /* A suspended seller's shop is suspended with the account (its listings leave the catalogue and
     * search), and comes back with it; a shop closed meanwhile stays closed. */
    [USERS_Q_SHOP_SUSPEND] = "UPDATE shops SET status = 'suspended', rev = rev + 1, updated_at = $2 "
                             "WHERE seller_id = $1 AND status = 'active'",
    [USERS_Q_SHOP_REINSTATE] = "UPDATE shops SET status = 'active', rev = rev + 1, updated_at = $2 "
                               "WHERE seller_id = $1 AND status = 'suspended'",
    [USERS_Q_SHOP_ID_OF_SELLER] = "SELECT id FROM shops WHERE seller_id = $1",
    [USERS_Q_AUDIT_INSERT] = "INSERT INTO audit_log (id, actor_id, action, target_type, target_id, data, ip, "
                             "request_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    /* $1 status, $2 cursor, $3 limit */
    [USERS_Q_ADMIN_APPLICATIONS] =
        "SELECT a.id, a.user_id, a.shop_name, a.about AS description, a.country, a.portfolio_urls, a.status, a.reason, "
        "a.reviewed_by, a.reviewed_at, a.created_at, a.updated_at, u.email, u.display_name "
        "FROM seller_applications a JOIN users u ON u.id = a.user_id "
        "WHERE (CAST($1 AS TEXT) IS NULL OR a.status = $1) AND (CAST($2 AS TEXT) IS NULL OR a.id < $2) "
        "ORDER BY a.id DESC LIMIT $3",
    /* $1 id, $2 new status, $3 reason, $4 reviewer, $5 now */
    [USERS_Q_APPLICATION_DECIDE] = "UPDATE seller_applications SET status = $2, reason = $3, reviewed_by = $4, "
                                   "reviewed_at = $5, updated_at = $5 WHERE id = $1 AND status = 'pending'",
    [USERS_Q_USER_MAKE_SELLER] =
        "UPDATE users SET role = 'seller', updated_at = $2 WHERE id = $1 AND role = 'buyer' AND status = 'active'",
    [USERS_Q_SHOP_INSERT] = "INSERT INTO shops (id, seller_id, slug, name, description, country, created_at, "
                            "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
};

const char *users__sql(enum users_query q)
{
    return sql[q];
}
