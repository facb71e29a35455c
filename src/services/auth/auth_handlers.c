/*
 * auth_handlers.c — register, login, logout, refresh, and the core area's
 * module state and init.
 *
 * Register and login validate and consult the database on the request
 * thread (cheap), then hand the password hashing to the bounded slow-work
 * pool with req_offload(); the offloaded function runs with that pool
 * thread's own database connection and writes the response.
 *
 * Login answers 401 invalid_credentials alike for an unknown email, a
 * deleted account, an account without a password (OAuth only) and a wrong
 * password, and every one of them runs one argon2id verification (against a
 * dummy hash when there is no real one). A suspended account is reported
 * (403 account_suspended) only after its password verified, so the status is
 * never revealed to someone who does not know the password. A locked
 * (email, address) answers 429 rate_limited with Retry-After before any
 * hashing.
 *
 * Caveats: the route validator checks types and lengths before the handler
 * runs; the password policy (too_common, contains_email, ...) runs in the
 * handler, so its errors are listed only once the other fields are well
 * formed. The module state (keys, settings) is process-wide: the
 * authenticator hook gets only the request.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "services/auth/auth.h"
#include "services/auth/auth_core_int.h"
#include "services/auth/auth_int.h"

const struct field_spec auth_register_body[] = {
    {.name = "email", .type = VT_EMAIL, .required = true, .max = 254},
    {.name = "password", .type = VT_STRING, .required = true, .min = 12, .max = 128},
    {.name = "display_name", .type = VT_STRING, .required = true, .min = 1, .max = 80},
    {0},
};
const struct field_spec auth_login_body[] = {
    {.name = "email", .type = VT_EMAIL, .required = true, .max = 254},
    {.name = "password", .type = VT_STRING, .required = true, .min = 1, .max = 1024},
    {0},
};
const struct field_spec auth_refresh_body[] = {
    {.name = "refresh_token", .type = VT_STRING, .required = false, .min = 1, .max = 256},
    {0},
};

static struct auth_core core;

const struct auth_core *auth__core(void)
{
    return &core;
}

static const char *body_str(struct request *req, const char *name)
{
    return json_string_value(json_object_get(req->json, name));
}

/*-----------------------------------------------------------------------------
 * Register
 */

/* Display names are shown to others: refuse control characters and names that are only spaces. */
static void check_display_name(const char *s, struct app_error *err, struct arena *a)
{
    bool visible = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            app_error_add_field(err, a, "display_name", "invalid_characters", "must not contain control characters");
            return;
        }
        if (*p != ' ')
            visible = true;
    }
    if (!visible)
        app_error_add_field(err, a, "display_name", "required", "must not be blank");
}

static int register_slow(struct request *req, struct app_error *err)
{
    const char *email = body_str(req, "email"), *password = body_str(req, "password");
    const char *display_name = body_str(req, "display_name");
    char hash[crypto_pwhash_STRBYTES];
    if (auth_password_hash(password, hash, sizeof hash) != 0)
        return app_error_set(err, req->arena, "internal_error", "could not process the password");
    struct db_error dberr = {0};
    int64_t now = time_now_ms();
    const char *id = id_new(req->arena, "usr");
    struct db_param p[] = {DB_TEXT(id),   DB_TEXT(email),        DB_TEXT(auth_email_normalize(email, req->arena)),
                           DB_TEXT(hash), DB_TEXT(display_name), DB_I64(now)};
    if (db_begin(req->db, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (db_exec(req->db, auth__sql(AUTH_Q_USER_INSERT), p, 6, &dberr) < 0) {
        db_rollback(req->db);
        if (dberr.kind == DB_E_UNIQUE)
            return app_error_set(err, req->arena, "already_exists", "an account with this email already exists");
        return req_db_error(req, &dberr, err);
    }
    if (auth_email_enqueue_verification(req->db, id, email, req->arena, &dberr) != 0) {
        db_rollback(req->db);
        return req_db_error(req, &dberr, err);
    }
    if (auth_respond_with_session(req, id, 201, err) != 0) {
        db_rollback(req->db);
        return -1;
    }
    if (db_commit(req->db, &dberr) != 0) {
        db_rollback(req->db);
        return req_db_error(req, &dberr, err);
    }
    log_info("account registered", "user %s", id);
    return 0;
}

int auth_handle_register(struct request *req, struct app_error *err)
{
    const char *email = body_str(req, "email"), *password = body_str(req, "password");
    const char *display_name = body_str(req, "display_name");
    auth_password_policy(password, email, "password", err, req->arena);
    check_display_name(display_name, err, req->arena);
    if (err->nfields > 0) {
        err->code = "validation_failed";
        err->msg = err->nfields == 1 ? arena_sprintf(req->arena, "field '%s' %s", err->fields[0].field,
                                                     err->fields[0].message)
                                     : arena_sprintf(req->arena, "%zu fields are invalid; see errors", err->nfields);
        return -1;
    }
    /* Cheap early answer for the common case; the unique index decides races. */
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, auth__sql(AUTH_Q_USER_EXISTS), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(auth_email_normalize(email, req->arena)));
    int rc = db_step(st, &dberr);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 1)
        return app_error_set(err, req->arena, "already_exists", "an account with this email already exists");
    return req_offload(req, register_slow, err);
}

/*-----------------------------------------------------------------------------
 * Login
 */

static int locked(struct request *req, const char *email_n, long retry_after, struct app_error *err)
{
    struct db_error dberr = {0};
    if (auth__attempt_log(req->db, req->arena, email_n, NULL, auth__client_ip(req), "locked", time_now_ms(),
                          &dberr) != 0)
        log_warn("cannot record a login attempt", "%s", dberr.msg);
    char ra[24];
    snprintf(ra, sizeof ra, "%ld", retry_after);
    res_header(req, "Retry-After", ra);
    err->retry_after = retry_after;
    return app_error_set(err, req->arena, "rate_limited",
                         "too many failed sign-in attempts; try again in %ld seconds", retry_after);
}

static int bad_credentials(struct request *req, struct app_error *err)
{
    return app_error_set(err, req->arena, "invalid_credentials", "invalid email or password");
}

static int login_slow(struct request *req, struct app_error *err)
{
    const char *password = body_str(req, "password");
    const char *email_n = auth_email_normalize(body_str(req, "email"), req->arena);
    const char *ip = auth__client_ip(req);
    struct db_error dberr = {0};
    int64_t now = time_now_ms();
    long retry_after = 0;

    /* Attempts queued while the lock was being set must not get a free guess. */
    int rc = auth__throttle_check(req->db, &core.throttle, email_n, ip, now, &retry_after, &dberr);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 1)
        return locked(req, email_n, retry_after, err);

    const char *user_id = NULL, *hash = NULL, *status = NULL;
    struct db_stmt *st = db_prepare(req->db, auth__sql(AUTH_Q_USER_BY_EMAIL), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(email_n));
    rc = db_step(st, &dberr);
    if (rc == 1) {
        user_id = arena_strdup(req->arena, db_column_text(st, 0));
        hash = arena_strdup(req->arena, db_column_text(st, 1));
        status = arena_strdup(req->arena, db_column_text(st, 2));
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    bool usable = user_id != NULL && hash != NULL && strcmp(status, "deleted") != 0;
    /* Always exactly one argon2id verification, real or dummy. */
    bool ok = auth_password_verify(password, usable ? hash : auth__dummy_hash()) && usable;
    now = time_now_ms();

    if (!ok) {
        if (auth__throttle_fail(req->db, &core.throttle, email_n, ip, now, &dberr) != 0 ||
            auth__attempt_log(req->db, req->arena, email_n, usable ? user_id : NULL, ip,
                              usable ? "bad_password" : "unknown_user", now, &dberr) != 0)
            return req_db_error(req, &dberr, err);
        return bad_credentials(req, err);
    }
    if (strcmp(status, "active") != 0) {
        if (auth__attempt_log(req->db, req->arena, email_n, user_id, ip, "suspended", now, &dberr) != 0)
            return req_db_error(req, &dberr, err);
        return app_error_set(err, req->arena, "account_suspended", "this account is suspended");
    }
    struct db_param pl[] = {DB_TEXT(user_id), DB_I64(now)};
    if (auth__throttle_success(req->db, email_n, ip, now, &dberr) != 0 ||
        auth__attempt_log(req->db, req->arena, email_n, user_id, ip, NULL, now, &dberr) != 0 ||
        db_exec(req->db, auth__sql(AUTH_Q_USER_LOGIN_OK), pl, 2, &dberr) < 0)
        return req_db_error(req, &dberr, err);
    if (auth__password_needs_rehash(hash)) {
        char fresh[crypto_pwhash_STRBYTES];
        struct db_param pr[] = {DB_TEXT(user_id), DB_TEXT(fresh), DB_I64(now)};
        if (auth_password_hash(password, fresh, sizeof fresh) == 0 &&
            db_exec(req->db, auth__sql(AUTH_Q_USER_REHASH), pr, 3, &dberr) < 0)
            log_warn("cannot store a rehashed password", "%s", dberr.msg);
    }
    return auth_respond_with_session(req, user_id, 200, err);
}

int auth_handle_login(struct request *req, struct app_error *err)
{
    const char *email_n = auth_email_normalize(body_str(req, "email"), req->arena);
    struct db_error dberr = {0};
    long retry_after = 0;
    int rc = auth__throttle_check(req->db, &core.throttle, email_n, auth__client_ip(req), time_now_ms(),
                                  &retry_after, &dberr);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 1)
        return locked(req, email_n, retry_after, err);
    return req_offload(req, login_slow, err);
}

/*-----------------------------------------------------------------------------
 * Logout and refresh
 */

int auth_handle_logout(struct request *req, struct app_error *err)
{
    /* The guard verified the token; read its jti and exp again (an HMAC, no database). */
    const char *authz = req_header(req, "Authorization");
    const char *token = authz ? authz + 7 : "";
    while (*token == ' ')
        token++;
    struct auth_claims c;
    const char *why;
    if (auth__jwt_verify(core.keys, token, time_now_ms() / 1000, req->arena, &c, &why) != 0)
        return app_error_set(err, req->arena, "invalid_token", "the access token is invalid or expired");
    return auth__logout(req, req->session_id, c.jti, c.exp, err);
}

/* The refresh cookie's value, or NULL. */
static const char *refresh_cookie(struct request *req)
{
    const char *h = req_header(req, "Cookie");
    static const char name[] = "artistry_refresh=";
    while (h != NULL && *h) {
        while (*h == ' ' || *h == ';')
            h++;
        const char *end = strchr(h, ';');
        size_t n = end ? (size_t)(end - h) : strlen(h);
        if (n > sizeof name - 1 && strncmp(h, name, sizeof name - 1) == 0)
            return arena_strndup(req->arena, h + sizeof name - 1, n - (sizeof name - 1));
        h = end;
    }
    return NULL;
}

int auth_handle_refresh(struct request *req, struct app_error *err)
{
    const char *token = body_str(req, "refresh_token");
    if (token == NULL)
        token = refresh_cookie(req);
    if (token == NULL)
        return app_error_set(err, req->arena, "invalid_token", "no refresh token in the body or the cookie");
    return auth__refresh(req, token, err);
}

/*-----------------------------------------------------------------------------
 * Init
 */

int auth__core_init(struct app *app)
{
    const struct config *cfg = app->cfg;
    if (auth__passwords_init() != 0)
        return -1;
    core.keys = auth__keys_load(cfg);
    if (core.keys == NULL)
        return -1;
    core.access_ttl = cfg->access_token_ttl;
    core.refresh_ttl = cfg->refresh_token_ttl;
    core.cookie_secure = cfg->cookie_secure;
    auth__throttle_defaults(&core.throttle);
    app->authenticate = auth__authenticate;
    return 0;
}

void auth__core_fini(struct app *app)
{
    if (app->authenticate == auth__authenticate)
        app->authenticate = NULL;
    auth__keys_free(core.keys);
    core.keys = NULL;
}
