/*
 * auth.h — the public face of the auth service, for other services.
 *
 * Other modules (users, admin) call these instead of touching the auth
 * tables: issuing a session after a sign-in, revoking every session of a
 * user (suspension, password change), and the password rules.
 */
#ifndef ARTISTRY_SERVICES_AUTH_H
#define ARTISTRY_SERVICES_AUTH_H

#include <stdbool.h>

#include "http/http.h"

struct db;
struct db_error;

extern const struct service_module auth_module;

/**
 * Start a new session for user_id and answer the request with the token
 * pair: 200/201 JSON {access_token, token_type, expires_in, refresh_token,
 * user{...}} and the refresh cookie. status is the HTTP status to use.
 * Returns 0, or -1 with err set.
 */
int auth_respond_with_session(struct request *req, const char *user_id, int status, struct app_error *err);

/**
 * Revoke every session (refresh family) of user_id, recording why: one of
 * "logout_all", "password_change", "suspended", "admin". One statement on the
 * caller's connection, so it joins the caller's transaction. 0 or -1.
 */
int auth_revoke_all_sessions(struct db *db, const char *user_id, const char *reason, struct db_error *err);

/**
 * Check a new password against the policy (length 12–128 code points, not
 * the email or its local part, not a common password). Adds field errors
 * to err under `field` and returns -1 when it fails.
 */
int auth_password_policy(const char *password, const char *email, const char *field, struct app_error *err,
                         struct arena *a);

/**
 * The form of an email used for lookups and uniqueness (users.email_normalized):
 * lowercased (UTF-8 aware). Every path that finds a user by email — login,
 * registration, password reset, OAuth linking — must use this one function.
 * Returns an arena string.
 */
char *auth_email_normalize(const char *email, struct arena *a);

/**
 * Hash a password with argon2id (libsodium) into out (>= 128 bytes). Slow
 * by design (tens of ms, tens of MiB): call only from offloaded work. 0 or -1.
 */
int auth_password_hash(const char *password, char *out, size_t cap);

/** Verify a password against a stored hash in constant time. Slow: offloaded work only. */
bool auth_password_verify(const char *password, const char *hash);

#endif
