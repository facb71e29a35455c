/*
 * auth_email_int.h — shared by auth_email.c and auth_email_sql.c only.
 */
#ifndef ARTISTRY_SERVICES_AUTH_EMAIL_INT_H
#define ARTISTRY_SERVICES_AUTH_EMAIL_INT_H

/** Every statement of the email flows, by id (text in auth_email_sql.c). */
enum auth_email_query {
    AE_Q_USER_BY_EMAIL,     /* $1 email_normalized → id, email, status */
    AE_Q_USER_BY_ID,        /* $1 id → email, status, email_verified_at */
    AE_Q_TOKENS_INVALIDATE, /* $1 user_id, $2 purpose, $3 now: unused tokens of that purpose become used */
    AE_Q_TOKEN_INSERT,      /* $1 id, $2 user_id, $3 purpose, $4 token_hash, $5 expires_at, $6 now */
    AE_Q_TOKEN_PEEK,        /* $1 token_hash, $2 purpose, $3 now → user_id, email (usable token, active user) */
    AE_Q_TOKEN_CONSUME,     /* $1 token_hash, $2 purpose, $3 now → user_id (conditional: one caller wins) */
    AE_Q_USER_SET_PASSWORD, /* $1 id, $2 password_hash, $3 now → email (active users only) */
    AE_Q_USER_VERIFY,       /* $1 id, $2 now (active users only) */
    AE_Q__COUNT,
};

/** The static SQL text of q (stable address: db_prepare caches by it). */
const char *auth__email_sql(enum auth_email_query q);

#endif
