/*
 * auth_oauth_int.h — shared by auth_oauth.c and auth_oauth_sql.c only.
 */
#ifndef ARTISTRY_SERVICES_AUTH_OAUTH_INT_H
#define ARTISTRY_SERVICES_AUTH_OAUTH_INT_H

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

#endif
