/*
 * auth_email_sql.c — every SQL statement of password reset and email
 * verification.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters, bound by name
 * on SQLite, so a parameter may appear twice).
 *
 * Caveats: AE_Q_TOKEN_CONSUME and AE_Q_USER_SET_PASSWORD rely on
 * UPDATE ... RETURNING (SQLite 3.35+, PostgreSQL). Consuming a token is one
 * conditional statement, so of two requests racing with the same token
 * exactly one sees a row.
 */
#include "services/auth/auth_email_int.h"

static const char *const sql[AE_Q__COUNT] = {
    [AE_Q_USER_BY_EMAIL] = "SELECT id, email, status FROM users WHERE email_normalized = $1",
    [AE_Q_USER_BY_ID] = "SELECT email, status, email_verified_at FROM users WHERE id = $1",
    [AE_Q_TOKENS_INVALIDATE] = "UPDATE auth_tokens SET used_at = $3 "
                               "WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
    [AE_Q_TOKEN_INSERT] = "INSERT INTO auth_tokens (id, user_id, purpose, token_hash, expires_at, created_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6)",
    [AE_Q_TOKEN_PEEK] = "SELECT t.user_id, u.email FROM auth_tokens t JOIN users u ON u.id = t.user_id "
                        "WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > $3 "
                        "AND u.status = 'active'",
    [AE_Q_TOKEN_CONSUME] = "UPDATE auth_tokens SET used_at = $3 "
                           "WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 "
                           "RETURNING user_id",
    [AE_Q_USER_SET_PASSWORD] = "UPDATE users SET password_hash = $2, "
                               "email_verified_at = COALESCE(email_verified_at, $3), updated_at = $3 "
                               "WHERE id = $1 AND status = 'active' RETURNING email",
    [AE_Q_USER_VERIFY] = "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2 "
                         "WHERE id = $1 AND status = 'active'",
};

const char *auth__email_sql(enum auth_email_query q)
{
    return sql[q];
}
