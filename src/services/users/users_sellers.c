/*
 * users_sellers.c — seller applications and shops.
 *
 * A buyer applies (one pending application at a time: a partial unique
 * index makes a second one a unique violation, answered 409). An admin
 * approves (users_admin.c): the role becomes 'seller' and the shop is
 * created in the same transaction. Shop pages are public only while the
 * shop is active and its seller is an active seller; only the owner edits.
 *
 * Caveats: the role claim in an access token is fixed when it is issued;
 * a newly approved seller's old tokens carry seller rights only if the
 * authenticator reads the role from the database (it does today).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/search.h"
#include "services/users/users_int.h"


static bool upper2(const char *s)
{
    return s != NULL && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]) && s[2] == '\0';
}

int users_handle_apply(struct request *req, struct app_error *err)
{
    json_t *b = req->json;
    const char *shop_name = json_string_value(json_object_get(b, "shop_name"));
    const char *about = json_string_value(json_object_get(b, "description"));
    const char *country = json_string_value(json_object_get(b, "country"));
    json_t *urls = json_object_get(b, "portfolio_urls");
    if (country != NULL && !upper2(country))
        app_error_add_field(err, req->arena, "country", "invalid_format",
                            "must be an ISO 3166-1 alpha-2 code (two upper-case letters)");
    size_t i;
    json_t *u;
    json_array_foreach(urls, i, u) {
        const char *s = json_string_value(u);
        if (s != NULL && strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
            app_error_add_field(err, req->arena, arena_sprintf(req->arena, "portfolio_urls[%zu]", i),
                                "invalid_format", "must be an http(s) URL");
    }
    if (err->nfields > 0)
        return app_error_set(err, req->arena, "validation_failed", "%zu fields are invalid; see errors",
                             err->nfields);

    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, users__sql(USERS_Q_USER_ROLE_STATUS), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    bool already = rc == 1 && strcmp(db_column_text(st, 0), "buyer") != 0;
    bool active = rc == 1 && strcmp(db_column_text(st, 1), "active") == 0;
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0 || !active)
        return app_error_set(err, req->arena, "forbidden", "your account is not active");
    if (already)
        return app_error_set(err, req->arena, "conflict", "you are already a seller");

    const char *id = id_new(req->arena, "sap");
    json_t *url_list = urls ? json_incref(urls) : json_array();
    char *urls_text = json_dumps(url_list, JSON_COMPACT);
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(id),    DB_TEXT(req->user_id),  DB_TEXT(shop_name), DB_TEXT(about ? about : ""),
                           DB_TEXT(country), DB_TEXT(urls_text), DB_I64(now)};
    int64_t n = db_exec(req->db, users__sql(USERS_Q_APPLICATION_INSERT), p, 7, &dberr);
    free(urls_text);
    if (n < 0) {
        json_decref(url_list);
        if (dberr.kind == DB_E_UNIQUE)
            return app_error_set(err, req->arena, "conflict", "you already have a pending seller application");
        return req_db_error(req, &dberr, err);
    }
    const char *ts = req_time(req, now);
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/admin/seller-applications/%s", id));
    res_json(req, 201,
             json_pack("{s:s, s:s, s:s, s:s, s:s?, s:o, s:s, s:n, s:s, s:s}", "id", id, "user_id", req->user_id,
                       "shop_name", shop_name, "description", about ? about : "", "country", country,
                       "portfolio_urls", url_list, "status", "pending", "reason", "created_at",
                       ts, "updated_at", ts));
    return 0;
}

/*-----------------------------------------------------------------------------
 * Shops
 */
static int reply_shop(struct request *req, enum users_query q, const char *seller_id, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, users__sql(q), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(seller_id));
    if (q == USERS_Q_SHOP_OWN)
        db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    json_t *shop = rc == 1 ? users__row_json(req, st, USERS_SHOP_KINDS) : NULL;
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no shop for seller %s", seller_id);
    res_json(req, 200, shop);
    return 0;
}

int users_handle_get_shop(struct request *req, struct app_error *err)
{
    return reply_shop(req, USERS_Q_SHOP_PUBLIC, req_param(req, "id"), err);
}

struct shop_tx {
    struct request *req;
    const char *owner;
    bool missing;
    struct users_fail fail; /* code set: answer with it */
};

/* processing_days_min <= processing_days_max once the patch is merged into the policies. */
static bool processing_range_ok(json_t *policies)
{
    json_t *lo = json_object_get(policies, "processing_days_min");
    json_t *hi = json_object_get(policies, "processing_days_max");
    return !json_is_integer(lo) || !json_is_integer(hi) || json_integer_value(lo) <= json_integer_value(hi);
}

static int update_shop(struct db *db, void *arg, struct db_error *dberr)
{
    struct shop_tx *t = arg;
    struct request *req = t->req;
    json_t *b = req->json;
    struct db_stmt *st = db_prepare(db, users__sql(USERS_Q_SHOP_POLICIES_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->owner));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, dberr);
    json_t *policies = rc == 1 ? json_loads(db_column_text(st, 0), 0, NULL) : NULL;
    const char *shop_id = rc == 1 ? arena_strdup(req->arena, db_column_text(st, 1)) : NULL;
    const char *old_name = rc == 1 ? arena_strdup(req->arena, db_column_text(st, 2)) : NULL;
    db_reset(st);
    if (rc <= 0) {
        t->missing = rc == 0;
        return -1;
    }
    if (!json_is_object(policies)) {
        json_decref(policies);
        policies = json_object();
    }
    json_t *patch = json_object_get(b, "policies");
    const char *policies_text = NULL;
    if (patch != NULL) {
        const char *k;
        json_t *v;
        json_object_foreach(patch, k, v) {
            if (json_is_null(v))
                json_object_del(policies, k);
            else
                json_object_set(policies, k, v);
        }
        if (!processing_range_ok(policies)) {
            json_decref(policies);
            t->fail = (struct users_fail){"validation_failed",
                                          "policies.processing_days_min must not be above processing_days_max"};
            return -1;
        }
        char *text = json_dumps(policies, JSON_COMPACT | JSON_SORT_KEYS);
        policies_text = arena_strdup(req->arena, text);
        free(text);
    }
    json_decref(policies);
    json_t *vm = json_object_get(b, "vacation_mode");
    json_t *aco = json_object_get(b, "accepts_custom_orders");
    json_t *msg = json_object_get(b, "vacation_message");
    struct db_param p[] = {DB_TEXT(t->owner),
                           DB_TEXT(req->user_id),
                           DB_TEXT(json_string_value(json_object_get(b, "name"))),
                           DB_TEXT(json_string_value(json_object_get(b, "tagline"))),
                           DB_TEXT(json_string_value(json_object_get(b, "description"))),
                           DB_TEXT(policies_text),
                           vm ? DB_I64(json_is_true(vm)) : DB_NULL,
                           DB_I64(msg != NULL),
                           DB_TEXT(json_string_value(msg)),
                           aco ? DB_I64(json_is_true(aco)) : DB_NULL,
                           DB_I64(time_now_ms())};
    int64_t n = db_exec(db, users__sql(USERS_Q_SHOP_UPDATE), p, 11, dberr);
    if (n < 0)
        return -1;
    if (n == 0) {
        t->missing = true;
        return -1;
    }
    /* The shop's name is part of its products' search documents, and vacation mode decides whether they
     * pass the in_stock filter: re-syncing also moves the search version, so cached result sets go. */
    const char *name = json_string_value(json_object_get(b, "name"));
    bool renamed = name != NULL && strcmp(name, old_name) != 0;
    if ((renamed || vm != NULL) && search_sync_shop(db, shop_id, dberr) != 0)
        return -1;
    return 0;
}

int users_handle_patch_shop(struct request *req, struct app_error *err)
{
    const char *owner = req_param(req, "id");
    if (strcmp(owner, req->user_id) != 0)
        return app_error_set(err, req->arena, "forbidden", "only the shop's owner may change it");
    struct shop_tx t = {.req = req, .owner = owner};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, update_shop, &t, &dberr) != 0) {
        if (t.missing)
            return app_error_set(err, req->arena, "not_found", "you have no open shop");
        if (t.fail.code != NULL) {
            if (strcmp(t.fail.code, "validation_failed") == 0)
                app_error_add_field(err, req->arena, "policies.processing_days_max", "out_of_range",
                                    "must not be below processing_days_min");
            return app_error_set(err, req->arena, t.fail.code, "%s", t.fail.msg);
        }
        return req_db_error(req, &dberr, err);
    }
    return reply_shop(req, USERS_Q_SHOP_OWN, owner, err);
}
