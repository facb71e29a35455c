/*
 * users_int.h — shared inside src/services/users only.
 *
 * Areas: users_profile.c (profile, public profile, preferences),
 * users_privacy.c (export, erasure), users_sellers.c (applications, shops),
 * users_admin.c (admin tools), users_common.c (row → JSON, audit, cursors),
 * users_sql.c (every statement).
 */
#ifndef ARTISTRY_SERVICES_USERS_INT_H
#define ARTISTRY_SERVICES_USERS_INT_H

#include <stdbool.h>

#include "http/http.h"

struct db;
struct db_stmt;
struct db_error;
struct db_param;

enum users_query {
    USERS_Q_USER_BY_ID,
    USERS_Q_USER_UPDATE_PROFILE,
    USERS_Q_MEDIA_OWNED,
    USERS_Q_PUBLIC_PROFILE,
    USERS_Q_PREFS_GET,
    USERS_Q_PREFS_LOCK,
    USERS_Q_PREFS_SET,
    /* export */
    USERS_Q_EXPORT_PROFILE,
    USERS_Q_EXPORT_SESSIONS,
    USERS_Q_EXPORT_OAUTH,
    USERS_Q_EXPORT_ADDRESSES,
    USERS_Q_EXPORT_ORDERS,
    USERS_Q_EXPORT_CUSTOM_ORDERS,
    USERS_Q_EXPORT_REVIEWS,
    USERS_Q_EXPORT_MESSAGES,
    USERS_Q_EXPORT_WISHLIST,
    USERS_Q_EXPORT_APPLICATIONS,
    USERS_Q_EXPORT_SHOP,
    USERS_Q_EXPORT_NOTIFICATIONS,
    USERS_Q_EXPORT_NOTIFICATION_PREFS,
    USERS_Q_EXPORT_DEVICES,
    USERS_Q_EXPORT_CONCEPTS,
    USERS_Q_EXPORT_VISION,
    USERS_Q_EXPORT_LOGINS,
    USERS_Q_EXPORT_REPORTS,
    /* erasure (each takes $1 = user id unless noted) */
    USERS_Q_ERASE_LOGINS,
    USERS_Q_ERASE_LOCKOUT,
    USERS_Q_ERASE_SESSIONS,
    USERS_Q_ERASE_AUTH_TOKENS,
    USERS_Q_ERASE_OAUTH,
    USERS_Q_ERASE_OAUTH_STATES,
    
    USERS_Q_ERASE_NOTIFICATION_PREFS,
    USERS_Q_ERASE_NOTIFICATIONS,
    USERS_Q_ERASE_CARTS,
    USERS_Q_ERASE_DEVICES,
    USERS_Q_ERASE_ADDRESSES,
    USERS_Q_ERASE_CONCEPTS,
    USERS_Q_ERASE_VISION_IMAGES,
    USERS_Q_ERASE_VISION_SESSIONS,
    USERS_Q_ERASE_WEBHOOKS,
    USERS_Q_ERASE_APPLICATIONS,
    USERS_Q_ERASE_CONVERSATION_READS,
    USERS_Q_ERASE_AVATARS,
    USERS_Q_ERASE_CLOSE_SHOP,
    USERS_Q_ERASE_USER, /* $1 id, $2 placeholder email, $3 now */
    /* sellers */
    USERS_Q_USER_ROLE_STATUS,
    USERS_Q_APPLICATION_INSERT,
    USERS_Q_APPLICATION_BY_ID,
    USERS_Q_SHOP_PUBLIC,
    USERS_Q_SHOP_OWN,
    USERS_Q_SHOP_POLICIES_LOCK,
    USERS_Q_SHOP_UPDATE,
    /* admin */
    USERS_Q_ADMIN_USERS,
    USERS_Q_USER_SUSPEND,
    USERS_Q_USER_REINSTATE,
    USERS_Q_SHOP_SUSPEND,
    USERS_Q_SHOP_REINSTATE,
    USERS_Q_SHOP_ID_OF_SELLER,
    USERS_Q_AUDIT_INSERT,
    USERS_Q_ADMIN_APPLICATIONS,
    USERS_Q_APPLICATION_DECIDE,
    USERS_Q_USER_MAKE_SELLER,
    USERS_Q_SHOP_INSERT,
    USERS_Q__COUNT,
};

/** SQL text of a statement (static storage: usable as the statement cache key). */
const char *users__sql(enum users_query q);

/* Column kinds (see users__row_json) of USERS_Q_USER_BY_ID, USERS_Q_APPLICATION_BY_ID and the shop queries. */
#define USERS_USER_KINDS "ssssssssttsttt"
#define USERS_APPLICATION_KINDS "sssssjsssttt"
#define USERS_SHOP_KINDS "ssssssssjssbsbiiiitts"

/*-----------------------------------------------------------------------------
 * users_common.c
 */

/**
 * One row as a JSON object. kinds has one letter per column: s text, i
 * integer, t timestamp (RFC 3339), b boolean, j JSON text (parsed; kept as
 * a string if it does not parse). Column names come from the statement.
 * The caller owns the result.
 */
json_t *users__row_json(struct request *req, struct db_stmt *st, const char *kinds);

/** Run query q with params and collect every row with users__row_json into a new array; NULL on error (err set). */
json_t *users__rows_json(struct request *req, enum users_query q, const struct db_param *params, int n,
                         const char *kinds, struct app_error *err);

/** Append an audit_log row (inside the caller's transaction); data (may be NULL) is not stolen. 0 or -1. */
int users__audit(struct db *db, struct request *req, const char *action, const char *target_type,
                 const char *target_id, json_t *data, struct db_error *dberr);

/**
 * Re-sync the search documents of seller_id's shop (if any) after its status
 * changed, inside the caller's transaction. 0 or -1.
 */
int users__sync_shop_search(struct db *db, const char *seller_id, struct db_error *dberr);

/** Validate ?cursor= (an id with prefix); NULL when absent. Returns -1 with invalid_cursor on a bad one. */
int users__cursor(struct request *req, const char *prefix, const char **out, struct app_error *err);

/** True when the caller is an admin. */
bool users__is_admin(const struct request *req);

/** Fail with code/msg from a transaction callback: the handler turns it into an app error. */
struct users_fail {
    const char *code;
    const char *msg;
};

/*-----------------------------------------------------------------------------
 * Handlers and specs (users_routes.c holds the table)
 */
extern const struct field_spec users_profile_patch_body[];
extern const struct field_spec users_prefs_patch_body[];
extern const struct field_spec users_apply_body[];
extern const struct field_spec users_shop_patch_body[];

int users_handle_get_me(struct request *req, struct app_error *err);
int users_handle_patch_me(struct request *req, struct app_error *err);
int users_handle_get_user(struct request *req, struct app_error *err);
int users_handle_public_profile(struct request *req, struct app_error *err);
int users_handle_get_preferences(struct request *req, struct app_error *err);
int users_handle_patch_preferences(struct request *req, struct app_error *err);
int users_handle_export(struct request *req, struct app_error *err);
int users_handle_delete_me(struct request *req, struct app_error *err);
int users_handle_apply(struct request *req, struct app_error *err);
int users_handle_get_shop(struct request *req, struct app_error *err);
int users_handle_patch_shop(struct request *req, struct app_error *err);
int users_handle_admin_list_users(struct request *req, struct app_error *err);
int users_handle_admin_suspend(struct request *req, struct app_error *err);
int users_handle_admin_reinstate(struct request *req, struct app_error *err);
int users_handle_admin_list_applications(struct request *req, struct app_error *err);
int users_handle_admin_approve(struct request *req, struct app_error *err);
int users_handle_admin_reject(struct request *req, struct app_error *err);

#endif
