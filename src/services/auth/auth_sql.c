/*
 * auth_sql.c — every SQL statement of the auth core area (register, login,
 * sessions, refresh, the authenticator, the login throttle).
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters). The strings
 * are static: db_prepare() caches statements by their address.
 *
 * Caveats: AUTH_Q_AUTHENTICATE runs on every authenticated request; it is
 * three primary-key lookups (session, user, deny-list) in one round trip.
 */
#include "services/auth/auth_core_int.h"

static const char *const sql[AUTH_Q__COUNT] = {
    [AUTH_Q_USER_BY_EMAIL] = "SELECT id, password_hash, status, role FROM users WHERE email_normalized = $1",
    [AUTH_Q_USER_EXISTS] = "SELECT 1 FROM users WHERE email_normalized = $1",
    [AUTH_Q_USER_INSERT] =
        "INSERT INTO users (id, email, email_normalized, password_hash, role, status, display_name, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, 'buyer', 'active', $5, $6, $6)",
    [AUTH_Q_USER_PUBLIC] = "SELECT id, email, display_name, role, status, email_verified_at, created_at "
                           "FROM users WHERE id = $1",
    [AUTH_Q_USER_LOGIN_OK] = "UPDATE users SET last_login_at = $2 WHERE id = $1",
    [AUTH_Q_USER_REHASH] = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
    [AUTH_Q_SESSION_INSERT] =
        "INSERT INTO auth_sessions (id, user_id, family_id, refresh_hash, parent_id, created_at, last_used_at, "
        "expires_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)",
    [AUTH_Q_SESSION_BY_HASH] =
        "SELECT s.id, s.user_id, s.family_id, s.expires_at, s.rotated_at, s.revoked_at, u.status "
        "FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.refresh_hash = $1",
    [AUTH_Q_SESSION_ROTATE] = "UPDATE auth_sessions SET rotated_at = $2, last_used_at = $2 "
                              "WHERE id = $1 AND rotated_at IS NULL AND revoked_at IS NULL",
    [AUTH_Q_SESSION_REVOKE_FAMILY] = "UPDATE auth_sessions SET revoked_at = $2, revoke_reason = $3 "
                                     "WHERE family_id = $1 AND revoked_at IS NULL",
    [AUTH_Q_SESSION_REVOKE_FAMILY_OF] =
        "UPDATE auth_sessions SET revoked_at = $2, revoke_reason = $3 "
        "WHERE family_id = (SELECT family_id FROM auth_sessions WHERE id = $1) AND revoked_at IS NULL",
    [AUTH_Q_SESSION_REVOKE_USER] = "UPDATE auth_sessions SET revoked_at = $2, revoke_reason = $3 "
                                   "WHERE user_id = $1 AND revoked_at IS NULL",
    [AUTH_Q_AUTHENTICATE] =
        "SELECT s.revoked_at, u.status, u.role, u.tokens_valid_after, "
        "(SELECT COUNT(*) FROM revoked_tokens r WHERE r.jti = $3) "
        "FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2",
    [AUTH_Q_DENY_JTI] = "INSERT INTO revoked_tokens (jti, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4) "
                        "ON CONFLICT (jti) DO NOTHING",
    [AUTH_Q_ATTEMPT_INSERT] =
        "INSERT INTO login_attempts (id, email_normalized, user_id, ip, succeeded, failure_reason, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [AUTH_Q_THROTTLE_GET] = "SELECT failed_count, locked_until, last_success_at FROM auth_login_throttle "
                            "WHERE email_normalized = $1 AND ip = $2",
    /* A failure older than the window ($4) starts the count again. */
    [AUTH_Q_THROTTLE_FAIL] =
        "INSERT INTO auth_login_throttle (email_normalized, ip, failed_count, last_failed_at, updated_at) "
        "VALUES ($1, $2, 1, $3, $3) ON CONFLICT (email_normalized, ip) DO UPDATE SET "
        "failed_count = CASE WHEN auth_login_throttle.last_failed_at IS NULL "
        "OR auth_login_throttle.last_failed_at < $4 THEN 1 ELSE auth_login_throttle.failed_count + 1 END, "
        "last_failed_at = $3, updated_at = $3 RETURNING failed_count",
    [AUTH_Q_THROTTLE_LOCK] = "UPDATE auth_login_throttle SET locked_until = $3 WHERE email_normalized = $1 AND ip = $2",
    [AUTH_Q_THROTTLE_SUCCESS] =
        "INSERT INTO auth_login_throttle (email_normalized, ip, failed_count, last_success_at, updated_at) "
        "VALUES ($1, $2, 0, $3, $3) ON CONFLICT (email_normalized, ip) DO UPDATE SET failed_count = 0, "
        "locked_until = NULL, last_success_at = $3, updated_at = $3",
    [AUTH_Q_ACCOUNT_GET] =
        "SELECT failed_count, first_failed_at, locked_until FROM account_lockouts WHERE email_normalized = $1",
    /* A window that started before $3 starts again. */
    [AUTH_Q_ACCOUNT_FAIL] =
        "INSERT INTO account_lockouts (email_normalized, failed_count, first_failed_at, updated_at) "
        "VALUES ($1, 1, $2, $2) ON CONFLICT (email_normalized) DO UPDATE SET "
        "failed_count = CASE WHEN account_lockouts.first_failed_at IS NULL "
        "OR account_lockouts.first_failed_at < $3 THEN 1 ELSE account_lockouts.failed_count + 1 END, "
        "first_failed_at = CASE WHEN account_lockouts.first_failed_at IS NULL "
        "OR account_lockouts.first_failed_at < $3 THEN $2 ELSE account_lockouts.first_failed_at END, "
        "updated_at = $2 RETURNING failed_count",
    [AUTH_Q_ACCOUNT_LOCK] =
        "UPDATE account_lockouts SET locked_until = $2, updated_at = $3 WHERE email_normalized = $1",
};

const char *auth__sql(enum auth_query q)
{
    return sql[q];
}
