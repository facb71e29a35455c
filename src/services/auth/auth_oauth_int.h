/*
 * auth_oauth_int.h — shared by the OAuth files of src/services/auth only:
 * auth_oauth.c (the flow), auth_oauth_claims.c (ID token claims), auth_oauth_account.c (linking),
 * auth_oauth_sql.c.
 */
#ifndef ARTISTRY_SERVICES_AUTH_OAUTH_INT_H
#define ARTISTRY_SERVICES_AUTH_OAUTH_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;
struct db;
struct db_error;

/** Every statement of the OAuth area, by id (text in auth_oauth_sql.c). */
enum oauth_query {
    OAUTH_Q_STATE_INSERT,
    OAUTH_Q_STATE_TAKE,
    OAUTH_Q_STATE_PURGE,
    OAUTH_Q_IDENTITY_FIND,
    OAUTH_Q_IDENTITY_INSERT,
    OAUTH_Q_IDENTITY_TOUCH,
    OAUTH_Q_USER_BY_EMAIL,
    OAUTH_Q_USER_INSERT,
    OAUTH_Q_USER_TOUCH,
    OAUTH_Q__COUNT,
};

/** The static SQL text of q (stable address: db_prepare caches by it). */
const char *auth__oauth_sql(enum oauth_query q);

/** What a verified ID token says about the person signing in. */
struct identity {
    const char *sub, *email, *email_normalized, *name;
    bool email_verified;
};

/**
 * Check a verified ID token's claims against issuer, client_id, nonce and
 * the time now_s (seconds), and fill id (strings in a). 0, or -1 with a
 * client-safe reason in *why (auth_oauth_claims.c).
 */
int auth__oauth_claims(struct arena *a, json_t *claims, const char *issuer, const char *client_id, const char *nonce,
                       int64_t now_s, struct identity *id, const char **why);

enum link_outcome { LINK_OK, LINK_SUSPENDED, LINK_CLOSED, LINK_NO_VERIFIED_EMAIL, LINK_LOCAL_UNVERIFIED };

struct link_ctx {
    struct arena *arena;
    const char *provider;
    const struct identity *id;
    int64_t now;
    /* out */
    enum link_outcome outcome;
    const char *user_id;
};

/**
 * db_tx body (ctx: struct link_ctx): find the user by (provider, sub), else
 * link by a provider-verified email onto a verified local account, else
 * create a buyer; fills outcome and user_id.
 */
int auth__oauth_link_tx(struct db *db, void *ctx, struct db_error *dberr);

#endif
