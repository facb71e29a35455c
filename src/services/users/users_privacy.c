/*
 * users_privacy.c — the caller's data export (GET /users/me/export) and
 * account erasure (DELETE /users/me).
 *
 * Export: one statement per table that holds the user's personal data,
 * each turned into an array of objects (users__row_json); never password
 * hashes or token hashes.
 *
 * Erasure, in one transaction: every session is revoked through the auth
 * service, then personal rows are deleted (sessions, emailed tokens, OAuth
 * identities, wishlists, carts, addresses, devices, notifications and their
 * preferences, concepts, seller applications, login history...), the shop
 * (if any) is closed, and the users row is anonymised: status 'deleted',
 * email "deleted-<id>@invalid", no password, no name, bio, avatar, phone or
 * preferences, tokens_valid_after = now. Orders, payments, ledger entries,
 * reviews and messages stay: the law requires the financial records, and
 * they reference the (now anonymous) user id.
 *
 * Caveats: open orders are not checked; the buyer's shipping addresses
 * copied into orders stay with the orders.
 */
#include <string.h>

#include "base/timeutil.h"
#include "db/db.h"
#include "services/auth/auth.h"
#include "services/catalog/catalog.h"
#include "services/users/users_int.h"

struct export_section {
    const char *name;
    enum users_query q;
    const char *kinds;
};

static const struct export_section sections[] = {
    {"sessions", USERS_Q_EXPORT_SESSIONS, "stttttsss"},
    {"oauth_identities", USERS_Q_EXPORT_OAUTH, "sstt"},
    {"addresses", USERS_Q_EXPORT_ADDRESSES, "sssssssssbtt"},
    {"orders", USERS_Q_EXPORT_ORDERS, "ssssiiiiiisjsstttttt"},
    {"custom_orders", USERS_Q_EXPORT_CUSTOM_ORDERS, "ssssisst"},
    {"reviews", USERS_Q_EXPORT_REVIEWS, "sssissstt"},
    {"messages", USERS_Q_EXPORT_MESSAGES, "ssssjttt"},
    {"wishlist", USERS_Q_EXPORT_WISHLIST, "st"},
    {"seller_applications", USERS_Q_EXPORT_APPLICATIONS, "ssssjsstt"},
    {"shops", USERS_Q_EXPORT_SHOP, "sssssjsssbsbt"},
    {"notifications", USERS_Q_EXPORT_NOTIFICATIONS, "ssssjtt"},
    {"notification_preferences", USERS_Q_EXPORT_NOTIFICATION_PREFS, "ssbt"},
    {"devices", USERS_Q_EXPORT_DEVICES, "ssstt"},
    {"saved_concepts", USERS_Q_EXPORT_CONCEPTS, "sssjt"},
    {"vision_sessions", USERS_Q_EXPORT_VISION, "sssst"},
    {"login_history", USERS_Q_EXPORT_LOGINS, "sbst"},
    {"reports", USERS_Q_EXPORT_REPORTS, "sssssst"},
};

int users_handle_export(struct request *req, struct app_error *err)
{
    struct db_param me[] = {DB_TEXT(req->user_id)};
    json_t *profile = users__rows_json(req, USERS_Q_EXPORT_PROFILE, me, 1, "sssssssssttttt", err);
    if (profile == NULL)
        return -1;
    if (json_array_size(profile) == 0) {
        json_decref(profile);
        return app_error_set(err, req->arena, "not_found", "your account no longer exists");
    }
    json_t *prefs = users__rows_json(req, USERS_Q_PREFS_GET, me, 1, "j", err);
    if (prefs == NULL) {
        json_decref(profile);
        return -1;
    }
    json_t *out = json_object();
    json_object_set_new(out, "exported_at", json_string(req_time(req, time_now_ms())));
    json_object_set(out, "profile", json_array_get(profile, 0));
    json_decref(profile);
    json_object_set(out, "preferences", json_object_get(json_array_get(prefs, 0), "preferences"));
    json_decref(prefs);
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        json_t *rows = users__rows_json(req, sections[i].q, me, 1, sections[i].kinds, err);
        if (rows == NULL) {
            json_decref(out);
            return -1;
        }
        json_object_set_new(out, sections[i].name, rows);
    }
    res_header(req, "Content-Disposition", "attachment; filename=\"artistry-export.json\"");
    res_json(req, 200, out);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Erasure
 */
static const enum users_query erase_steps[] = {
    USERS_Q_ERASE_LOGINS,        USERS_Q_ERASE_LOCKOUT,       USERS_Q_ERASE_SESSIONS,
    USERS_Q_ERASE_AUTH_TOKENS,   USERS_Q_ERASE_OAUTH,         USERS_Q_ERASE_OAUTH_STATES,
    USERS_Q_ERASE_NOTIFICATION_PREFS, USERS_Q_ERASE_NOTIFICATIONS,
    USERS_Q_ERASE_CARTS,         USERS_Q_ERASE_DEVICES,       USERS_Q_ERASE_ADDRESSES,
    USERS_Q_ERASE_CONCEPTS,      USERS_Q_ERASE_VISION_IMAGES, USERS_Q_ERASE_VISION_SESSIONS,
    USERS_Q_ERASE_WEBHOOKS,      USERS_Q_ERASE_APPLICATIONS,  USERS_Q_ERASE_CONVERSATION_READS,
    USERS_Q_ERASE_AVATARS,       USERS_Q_ERASE_CLOSE_SHOP,
};

struct erase_tx {
    struct request *req;
    bool missing;
};

static int erase(struct db *db, void *arg, struct db_error *dberr)
{
    struct erase_tx *t = arg;
    const char *id = t->req->user_id;
    /* Revoke first: the auth service owns sessions and may record why they ended. */
    if (auth_revoke_all_sessions(db, id, "logout_all", dberr) != 0)
        return -1;
    /* Through the catalog service, which keeps the products' wishlist counts right. */
    if (catalog_wishlists_erase_user(db, id, dberr) != 0)
        return -1;
    struct db_param p1[] = {DB_TEXT(id)};
    for (size_t i = 0; i < sizeof erase_steps / sizeof erase_steps[0]; i++)
        if (db_exec(db, users__sql(erase_steps[i]), p1, 1, dberr) < 0)
            return -1;
    if (users__sync_shop_search(db, id, dberr) != 0) /* the closed shop's listings leave search */
        return -1;
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(arena_sprintf(t->req->arena, "deleted-%s@invalid", id)),
                           DB_I64(now)};
    int64_t n = db_exec(db, users__sql(USERS_Q_ERASE_USER), p, 3, dberr);
    if (n < 0)
        return -1;
    if (n == 0) {
        t->missing = true;
        return -1;
    }
    return users__audit(db, t->req, "user.erase", "user", id, NULL, dberr);
}

int users_handle_delete_me(struct request *req, struct app_error *err)
{
    struct erase_tx t = {.req = req};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, erase, &t, &dberr) != 0) {
        if (t.missing)
            return app_error_set(err, req->arena, "not_found", "your account no longer exists");
        return req_db_error(req, &dberr, err);
    }
    res_empty(req, 204);
    return 0;
}
