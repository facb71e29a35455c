/*
 * auth_oauth_sql.c — every SQL statement of OAuth / OpenID Connect sign-in.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters, bound by name
 * on SQLite, so a parameter may appear twice).
 *
 * Caveats: OAUTH_Q_STATE_TAKE relies on DELETE ... RETURNING (SQLite 3.35+,
 * PostgreSQL): taking a state is one statement, so two callbacks racing on
 * the same state cannot both get it.
 */
#include "services/auth/auth_oauth_int.h"

static const char *const sql[OAUTH_Q__COUNT] = {
    [OAUTH_Q_STATE_INSERT] = "INSERT INTO oauth_states (state, provider, nonce, pkce_verifier, redirect_uri, "
                             "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [OAUTH_Q_STATE_TAKE] = "DELETE FROM oauth_states WHERE state = $1 "
                           "RETURNING provider, nonce, pkce_verifier, redirect_uri, expires_at",
    [OAUTH_Q_STATE_PURGE] = "DELETE FROM oauth_states WHERE expires_at < $1",
    [OAUTH_Q_IDENTITY_FIND] = "SELECT u.id, u.status FROM oauth_identities i JOIN users u ON u.id = i.user_id "
                              "WHERE i.provider = $1 AND i.subject = $2",
    [OAUTH_Q_IDENTITY_INSERT] = "INSERT INTO oauth_identities (id, user_id, provider, subject, email, created_at, "
                                "last_login_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    [OAUTH_Q_IDENTITY_TOUCH] = "UPDATE oauth_identities SET last_login_at = $3, email = COALESCE($4, email) "
                               "WHERE provider = $1 AND subject = $2",
    [OAUTH_Q_USER_BY_EMAIL] = "SELECT id, status, email_verified_at FROM users WHERE email_normalized = $1",
    [OAUTH_Q_USER_INSERT] = "INSERT INTO users (id, email, email_normalized, password_hash, role, status, "
                            "email_verified_at, display_name, last_login_at, created_at, updated_at) "
                            "VALUES ($1, $2, $3, NULL, 'buyer', 'active', $4, $5, $4, $4, $4)",
    [OAUTH_Q_USER_TOUCH] = "UPDATE users SET last_login_at = $2 WHERE id = $1",
};

const char *auth__oauth_sql(enum oauth_query q)
{
    return sql[q];
}
