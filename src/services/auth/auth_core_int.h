/*
 * auth_core_int.h — private to the core area of the auth service
 * (auth_handlers.c, auth_sessions.c, auth_tokens.c, auth_passwords.c,
 * auth_sql.c) and its unit tests.
 *
 * Design notes: see src/services/auth/README.md. The token functions take
 * their key set as an argument (no hidden state) so tests can build key sets
 * of their own; the module's own key set, dummy hash and throttle settings
 * live in one struct auth_core set up by auth__core_init().
 *
 * Caveats: struct auth_core is process-wide (the authenticator hook only gets
 * the request), written once at init before the server starts and read-only
 * afterwards.
 */
#ifndef ARTISTRY_SERVICES_AUTH_CORE_INT_H
#define ARTISTRY_SERVICES_AUTH_CORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

struct arena;
struct config;
struct db;
struct db_error;

/*-----------------------------------------------------------------------------
 * SQL (auth_sql.c)
 */
enum auth_query {
    AUTH_Q_USER_BY_EMAIL,       /* $1 email_normalized → id, password_hash, status, role */
    AUTH_Q_USER_EXISTS,         /* $1 email_normalized → 1 */
    AUTH_Q_USER_INSERT,         /* id, email, email_normalized, password_hash, display_name, now */
    AUTH_Q_USER_PUBLIC,         /* $1 id → id, email, display_name, role, status, email_verified_at, created_at */
    AUTH_Q_USER_LOGIN_OK,       /* $1 id, $2 now: last_login_at */
    AUTH_Q_USER_REHASH,         /* $1 id, $2 hash, $3 now */
    AUTH_Q_SESSION_INSERT,      /* id, user_id, family_id, refresh_hash, parent_id, now, expires_at, ua, ip */
    AUTH_Q_SESSION_BY_HASH,     /* $1 refresh_hash → id, user_id, family_id, expires_at, rotated_at, revoked_at, status */
    AUTH_Q_SESSION_ROTATE,      /* $1 id, $2 now: conditional on not rotated/revoked */
    AUTH_Q_SESSION_REVOKE_FAMILY, /* $1 family_id, $2 now, $3 reason */
    AUTH_Q_SESSION_REVOKE_FAMILY_OF, /* $1 session id, $2 now, $3 reason */
    AUTH_Q_SESSION_REVOKE_USER, /* $1 user_id, $2 now, $3 reason */
    AUTH_Q_AUTHENTICATE,        /* $1 sid, $2 user_id, $3 jti → revoked_at, status, role, tokens_valid_after, denied */
    AUTH_Q_DENY_JTI,            /* $1 jti, $2 user_id, $3 expires_at, $4 now */
    AUTH_Q_ATTEMPT_INSERT,      /* id, email_normalized, user_id, ip, succeeded, failure_reason, now */
    AUTH_Q_THROTTLE_GET,        /* $1 email, $2 ip → failed_count, locked_until, last_success_at */
    AUTH_Q_THROTTLE_FAIL,       /* $1 email, $2 ip, $3 now: upsert failed_count + 1 */
    AUTH_Q_THROTTLE_LOCK,       /* $1 email, $2 ip, $3 locked_until */
    AUTH_Q_THROTTLE_SUCCESS,    /* $1 email, $2 ip, $3 now: reset, remember the ip */
    AUTH_Q_ACCOUNT_GET,         /* $1 email → failed_count, first_failed_at, locked_until */
    AUTH_Q_ACCOUNT_FAIL,        /* $1 email, $2 now, $3 window start: upsert */
    AUTH_Q_ACCOUNT_LOCK,        /* $1 email, $2 locked_until, $3 now */
    AUTH_Q__COUNT,
};

/** SQL text of a core statement (static storage: usable as the statement cache key). */
const char *auth__sql(enum auth_query q);

/*-----------------------------------------------------------------------------
 * Keys and tokens (auth_tokens.c)
 */
#define AUTH_KID_MAX 64
#define AUTH_MIN_KEY_BYTES 32

struct auth_key {
    char kid[AUTH_KID_MAX];
    unsigned char *secret; /* owned */
    size_t len;
};

/** A set of HS256 keys; `active` signs, all verify. Owned by whoever parsed it. */
struct auth_keys {
    struct auth_key *keys;
    size_t n;
    size_t active;
};

/**
 * Parse "kid:secret[,kid:secret...]" (secrets are the bytes after ':', at
 * least AUTH_MIN_KEY_BYTES; kids [A-Za-z0-9._-]{1,63}, unique). active_kid
 * empty or NULL: the first. Returns a new key set, or NULL with a message in
 * errbuf. Free with auth__keys_free().
 */
struct auth_keys *auth__keys_parse(const char *spec, const char *active_kid, char *errbuf, size_t errlen);

/**
 * The key set for this process: cfg->jwt_keys, or when empty the key kept in
 * data_dir/jwt.key (created 0600 on first use, kid "local"), with a warning.
 * NULL on failure (logged).
 */
struct auth_keys *auth__keys_load(const struct config *cfg);

void auth__keys_free(struct auth_keys *k);

/** Access-token claims. Strings point into the arena given to verify. */
struct auth_claims {
    const char *sub, *role, *sid, *jti, *kid;
    int64_t iat, exp; /* epoch seconds */
};

/** Sign claims (kid = the active key) as an HS256 JWT in the arena; NULL on failure (logged). */
char *auth__jwt_sign(const struct auth_keys *k, const struct auth_claims *c, struct arena *a);

/**
 * Verify a compact JWT: HS256 only (the header is checked before libjwt sees
 * the token), known kid, valid signature (constant-time), every claim present
 * and well-typed, exp > now_s, iat <= now_s + leeway. Fills *out (strings in
 * a). Returns 0, or -1 with a short reason in *why (static, for the log).
 */
int auth__jwt_verify(const struct auth_keys *k, const char *token, int64_t now_s, struct arena *a,
                     struct auth_claims *out, const char **why);

/** A new 256-bit refresh token, base64url without padding (43 chars), in the arena. */
char *auth__refresh_token_new(struct arena *a);

/** Hex SHA-256 of a token (64 chars), in the arena. */
char *auth__token_hash(const char *token, struct arena *a);

/** A new random 128-bit id for jti, base64url (22 chars), in the arena. */
char *auth__jti_new(struct arena *a);

/*-----------------------------------------------------------------------------
 * Passwords and brute-force throttle (auth_passwords.c)
 */

/** Initialise libsodium and compute the dummy hash used for unknown accounts. 0 or -1. */
int auth__passwords_init(void);

/** A valid argon2id hash of a random password, verified against when the account does not exist. */
const char *auth__dummy_hash(void);

/** True if the stored hash was made with other parameters than today's. */
bool auth__password_needs_rehash(const char *hash);

/** Lower-case an email for email_normalized (ASCII and common Latin/Greek/Cyrillic letters), in the arena. */

/** Throttle settings (README.md "Brute-force protection"); defaults overridable by hidden env vars. */
struct auth_throttle {
    int free_failures;       /* failures per (account, ip) answered without delay */
    int64_t base_delay_ms;   /* first lock after the free failures, doubling */
    int64_t max_delay_ms;    /* cap of the (account, ip) lock */
    int account_threshold;   /* failures per account in the window before unknown ips are locked out */
    int64_t account_window_ms;
    int64_t account_lock_ms;
    int64_t known_ip_ms;     /* an ip that signed in successfully this recently is "known" */
};

void auth__throttle_defaults(struct auth_throttle *t);

/**
 * Is a login for (email_normalized, ip) allowed now? Returns 0 when it may
 * proceed, 1 when locked (*retry_after_s set), -1 on database error.
 */
int auth__throttle_check(struct db *db, const struct auth_throttle *t, const char *email, const char *ip,
                         int64_t now, long *retry_after_s, struct db_error *err);

/** Record a failed password check: grows the (account, ip) delay and the account-wide count. 0 or -1. */
int auth__throttle_fail(struct db *db, const struct auth_throttle *t, const char *email, const char *ip,
                        int64_t now, struct db_error *err);

/** Record a success: clears the (account, ip) failures and remembers the ip as known. 0 or -1. */
int auth__throttle_success(struct db *db, const char *email, const char *ip, int64_t now, struct db_error *err);

/** Append a row to login_attempts (audit). reason NULL on success. 0 or -1. */
int auth__attempt_log(struct db *db, struct arena *a, const char *email, const char *user_id, const char *ip,
                      const char *reason, int64_t now, struct db_error *err);

/*-----------------------------------------------------------------------------
 * Module state and sessions (auth_handlers.c, auth_sessions.c)
 */
struct auth_core {
    struct auth_keys *keys;
    int access_ttl, refresh_ttl; /* seconds */
    bool cookie_secure;
    struct auth_throttle throttle;
};

/** The module's state (valid after auth__core_init). */
const struct auth_core *auth__core(void);

/** The bearer authenticator installed in app->authenticate. */
int auth__authenticate(struct request *req, const char *authorization, struct app_error *err);

/** The client address as the HTTP layer reports it ("" when unknown). */
const char *auth__client_ip(struct request *req);

/**
 * Rotate a refresh token and answer with the new pair (200), or fill err
 * (401 invalid_token; reuse of a rotated token revokes its family first).
 */
int auth__refresh(struct request *req, const char *refresh_token, struct app_error *err);

/** Revoke the family of session sid and deny-list jti until exp_s. 0 or -1. */
int auth__logout(struct request *req, const char *sid, const char *jti, int64_t exp_s, struct app_error *err);

/** Set-Cookie value that clears the refresh cookie, in the arena. */
const char *auth__cookie_clear(struct request *req);

#endif
