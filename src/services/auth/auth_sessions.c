/*
 * auth_sessions.c — sessions: issuing token pairs, refresh rotation with
 * reuse detection, logout, revocation, and the bearer authenticator.
 *
 * A session is a family of auth_sessions rows, one per refresh token. The
 * first row's id is the family id. Refreshing stamps rotated_at on the
 * presented row (conditionally: WHERE rotated_at IS NULL AND revoked_at IS
 * NULL, so of two concurrent refreshes only one changes the row) and inserts
 * its successor. Presenting a token whose row is already rotated means it was
 * copied: the whole family is revoked (reason reuse_detected) and the caller
 * gets 401; the legitimate holder must sign in again. The loser of a race
 * between two refreshes of the same token is treated the same way.
 *
 * Access tokens carry sid = the row they were issued with. The authenticator
 * verifies the JWT (auth_tokens.c), then one query reads that row's
 * revoked_at, the user's status/role/tokens_valid_after and whether the jti
 * is deny-listed — three primary-key lookups in one round trip — so logout,
 * reuse detection, suspension and password resets take effect on the next
 * request. The role comes from the users row, not the token, so role changes
 * apply at once too.
 *
 * Caveats: a rotated (not revoked) row keeps its access tokens valid until
 * they expire (at most access_token_ttl). Refresh expiry slides: each
 * rotation gets a fresh refresh_token_ttl.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/auth/auth.h"
#include "services/auth/auth_core_int.h"

#define REFRESH_COOKIE "artistry_refresh"
#define COOKIE_PATH "/api/v1/auth"
#define UA_MAX 256

const char *auth__client_ip(struct request *req)
{
    return req->client_ip != NULL ? req->client_ip : "";
}

/* The User-Agent as printable ASCII (valid text for both engines), at most UA_MAX bytes; NULL if absent. */
static const char *clean_user_agent(struct request *req)
{
    const char *ua = req_header(req, "User-Agent");
    if (ua == NULL)
        return NULL;
    size_t n = strlen(ua);
    if (n > UA_MAX)
        n = UA_MAX;
    char *s = arena_strndup(req->arena, ua, n);
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    return s;
}

static const char *cookie_value(struct request *req, const char *token, int max_age)
{
    return arena_sprintf(req->arena, REFRESH_COOKIE "=%s; Max-Age=%d; Path=" COOKIE_PATH "; HttpOnly;%s SameSite=Strict",
                         token, max_age, auth__core()->cookie_secure ? " Secure;" : "");
}

const char *auth__cookie_clear(struct request *req)
{
    return cookie_value(req, "", 0);
}

/*-----------------------------------------------------------------------------
 * Issuing
 */

struct issued {
    const char *session_id, *refresh_token, *access_token;
};

struct user_row {
    const char *id, *email, *display_name, *role, *status;
    int64_t email_verified_at, created_at;
    bool verified;
};

/* Load the public fields of a user; 1 found, 0 not, -1 error. */
static int load_user(struct request *req, const char *user_id, struct user_row *u, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, auth__sql(AUTH_Q_USER_PUBLIC), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(user_id));
    int rc = db_step(st, dberr);
    if (rc == 1) {
        struct arena *a = req->arena;
        u->id = arena_strdup(a, db_column_text(st, 0));
        u->email = arena_strdup(a, db_column_text(st, 1));
        u->display_name = arena_strdup(a, db_column_text(st, 2));
        u->role = arena_strdup(a, db_column_text(st, 3));
        u->status = arena_strdup(a, db_column_text(st, 4));
        u->verified = !db_column_is_null(st, 5);
        u->email_verified_at = u->verified ? db_column_i64(st, 5) : 0;
        u->created_at = db_column_i64(st, 6);
    }
    db_reset(st);
    return rc;
}

/* Insert a session row and sign its access token. family_id NULL: a new family. */
static int issue(struct request *req, const struct user_row *u, const char *family_id, const char *parent_id,
                 int64_t now, struct issued *out, struct db_error *dberr)
{
    const struct auth_core *core = auth__core();
    const char *sid = id_new(req->arena, "ses");
    out->session_id = sid;
    out->refresh_token = auth__refresh_token_new(req->arena);
    const char *ip = auth__client_ip(req);
    struct db_param p[] = {DB_TEXT(sid),
                           DB_TEXT(u->id),
                           DB_TEXT(family_id ? family_id : sid),
                           DB_TEXT(auth__token_hash(out->refresh_token, req->arena)),
                           DB_TEXT(parent_id),
                           DB_I64(now),
                           DB_I64(now + (int64_t)core->refresh_ttl * 1000),
                           DB_TEXT(clean_user_agent(req)),
                           DB_TEXT(*ip ? ip : NULL)};
    if (db_exec(req->db, auth__sql(AUTH_Q_SESSION_INSERT), p, 9, dberr) < 0)
        return -1;
    struct auth_claims c = {
        .sub = u->id,
        .role = u->role,
        .sid = sid,
        .jti = auth__jti_new(req->arena),
        .iat = now / 1000,
        .exp = now / 1000 + core->access_ttl,
    };
    out->access_token = auth__jwt_sign(core->keys, &c, req->arena);
    if (out->access_token == NULL) {
        dberr->kind = DB_E_OTHER;
        snprintf(dberr->msg, sizeof dberr->msg, "cannot sign the access token");
        return -1;
    }
    return 0;
}

static void respond_pair(struct request *req, int status, const struct user_row *u, const struct issued *is)
{
    const struct auth_core *core = auth__core();
    struct jsonw w;
    jw_init(&w, req->arena, 1024);
    jw_obj(&w);
    jw_kstr(&w, "access_token", is->access_token);
    jw_kstr(&w, "token_type", "Bearer");
    jw_kint(&w, "expires_in", core->access_ttl);
    jw_kstr(&w, "refresh_token", is->refresh_token);
    jw_kint(&w, "refresh_expires_in", core->refresh_ttl);
    jw_kstr(&w, "session_id", is->session_id);
    jw_key(&w, "user");
    jw_obj(&w);
    jw_kstr(&w, "id", u->id);
    jw_kstr(&w, "email", u->email);
    jw_kstr(&w, "display_name", u->display_name);
    jw_kstr(&w, "role", u->role);
    jw_kstr(&w, "status", u->status);
    jw_kbool(&w, "email_verified", u->verified);
    jw_kstr(&w, "created_at", req_time(req, u->created_at));
    jw_end(&w);
    jw_end(&w);
    res_header(req, "Set-Cookie", cookie_value(req, is->refresh_token, core->refresh_ttl));
    res_jsonw(req, status, &w);
}

int auth_respond_with_session(struct request *req, const char *user_id, int status, struct app_error *err)
{
    struct db_error dberr = {0};
    struct user_row u = {0};
    struct issued is = {0};
    int rc = load_user(req, user_id, &u, &dberr);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0 || strcmp(u.status, "deleted") == 0)
        return app_error_set(err, req->arena, "invalid_credentials", "invalid email or password");
    if (strcmp(u.status, "active") != 0)
        return app_error_set(err, req->arena, "account_suspended", "this account is suspended");
    if (issue(req, &u, NULL, NULL, time_now_ms(), &is, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    respond_pair(req, status, &u, &is);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Revocation
 */

int auth_revoke_all_sessions(struct db *db, const char *user_id, const char *reason, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(user_id), DB_I64(time_now_ms()), DB_TEXT(reason)};
    return db_exec(db, auth__sql(AUTH_Q_SESSION_REVOKE_USER), p, 3, err) < 0 ? -1 : 0;
}

static int revoke_family(struct db *db, const char *family_id, const char *reason, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(family_id), DB_I64(time_now_ms()), DB_TEXT(reason)};
    return db_exec(db, auth__sql(AUTH_Q_SESSION_REVOKE_FAMILY), p, 3, err) < 0 ? -1 : 0;
}

int auth__logout(struct request *req, const char *sid, const char *jti, int64_t exp_s, struct app_error *err)
{
    struct db_error dberr = {0};
    int64_t now = time_now_ms();
    if (db_begin(req->db, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    struct db_param pr[] = {DB_TEXT(sid), DB_I64(now), DB_TEXT("logout")};
    struct db_param pd[] = {DB_TEXT(jti), DB_TEXT(req->user_id), DB_I64(exp_s * 1000), DB_I64(now)};
    if (db_exec(req->db, auth__sql(AUTH_Q_SESSION_REVOKE_FAMILY_OF), pr, 3, &dberr) < 0 ||
        db_exec(req->db, auth__sql(AUTH_Q_DENY_JTI), pd, 4, &dberr) < 0 || db_commit(req->db, &dberr) != 0) {
        db_rollback(req->db);
        return req_db_error(req, &dberr, err);
    }
    res_header(req, "Set-Cookie", auth__cookie_clear(req));
    res_empty(req, 204);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Refresh
 */

static bool refresh_token_shape_ok(const char *t)
{
    size_t n = strlen(t);
    if (n != 43)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static int invalid_refresh(struct request *req, struct app_error *err)
{
    res_header(req, "Set-Cookie", auth__cookie_clear(req));
    return app_error_set(err, req->arena, "invalid_token", "the refresh token is invalid, expired or revoked");
}

int auth__refresh(struct request *req, const char *refresh_token, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db *db = req->db;
    if (refresh_token == NULL || !refresh_token_shape_ok(refresh_token))
        return invalid_refresh(req, err);
    const char *hash = auth__token_hash(refresh_token, req->arena);
    int64_t now = time_now_ms();
    const char *id = NULL, *user_id = NULL, *family = NULL, *status = NULL;
    int64_t expires_at = 0;
    bool rotated = false, revoked = false;

    if (db_begin(db, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    struct db_stmt *st = db_prepare(db, auth__sql(AUTH_Q_SESSION_BY_HASH), &dberr);
    if (st == NULL)
        goto dbfail;
    db_bind(st, 1, DB_TEXT(hash));
    int rc = db_step(st, &dberr);
    if (rc == 1) {
        id = arena_strdup(req->arena, db_column_text(st, 0));
        user_id = arena_strdup(req->arena, db_column_text(st, 1));
        family = arena_strdup(req->arena, db_column_text(st, 2));
        expires_at = db_column_i64(st, 3);
        rotated = !db_column_is_null(st, 4);
        revoked = !db_column_is_null(st, 5);
        status = arena_strdup(req->arena, db_column_text(st, 6));
    }
    db_reset(st);
    if (rc < 0)
        goto dbfail;
    if (rc == 0 || revoked || expires_at <= now) {
        db_rollback(db);
        return invalid_refresh(req, err);
    }
    if (rotated)
        goto reuse;
    if (strcmp(status, "active") != 0) {
        db_rollback(db);
        if (strcmp(status, "suspended") == 0)
            return app_error_set(err, req->arena, "account_suspended", "this account is suspended");
        return invalid_refresh(req, err);
    }
    struct db_param pr[] = {DB_TEXT(id), DB_I64(now)};
    int64_t changed = db_exec(db, auth__sql(AUTH_Q_SESSION_ROTATE), pr, 2, &dberr);
    if (changed < 0)
        goto dbfail;
    if (changed == 0)
        goto reuse; /* a concurrent refresh won */
    struct user_row u = {0};
    struct issued is = {0};
    rc = load_user(req, user_id, &u, &dberr);
    if (rc < 0)
        goto dbfail;
    if (rc == 0) {
        db_rollback(db);
        return invalid_refresh(req, err);
    }
    if (issue(req, &u, family, id, now, &is, &dberr) != 0 || db_commit(db, &dberr) != 0)
        goto dbfail;
    respond_pair(req, 200, &u, &is);
    return 0;

reuse:
    db_rollback(db);
    log_warn("refresh token reuse: revoking the session family", "user %s family %s", user_id, family);
    if (revoke_family(db, family, "reuse_detected", &dberr) != 0)
        return req_db_error(req, &dberr, err);
    return invalid_refresh(req, err);
dbfail:
    db_rollback(db);
    return req_db_error(req, &dberr, err);
}

/*-----------------------------------------------------------------------------
 * The authenticator
 */

static int deny(struct request *req, struct app_error *err, const char *why)
{
    log_debug("bearer token refused", "%s", why);
    return app_error_set(err, req->arena, "invalid_token", "the access token is invalid or expired");
}

int auth__authenticate(struct request *req, const char *authorization, struct app_error *err)
{
    const struct auth_core *core = auth__core();
    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
        return deny(req, err, "not a bearer credential");
    const char *token = authorization + 7;
    while (*token == ' ')
        token++;
    struct auth_claims c;
    const char *why = NULL;
    int64_t now = time_now_ms();
    if (auth__jwt_verify(core->keys, token, now / 1000, req->arena, &c, &why) != 0)
        return deny(req, err, why);

    struct db *db = req->db != NULL ? req->db : req_db_optional(req);
    if (db == NULL) {
        err->retry_after = 1;
        return app_error_set(err, req->arena, "service_unavailable", "the database is unavailable");
    }
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(db, auth__sql(AUTH_Q_AUTHENTICATE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(c.sid));
    db_bind(st, 2, DB_TEXT(c.sub));
    db_bind(st, 3, DB_TEXT(c.jti));
    int rc = db_step(st, &dberr);
    bool revoked = false, denied = false;
    const char *status = NULL, *role = NULL;
    int64_t valid_after = 0;
    if (rc == 1) {
        revoked = !db_column_is_null(st, 0);
        status = arena_strdup(req->arena, db_column_text(st, 1));
        role = arena_strdup(req->arena, db_column_text(st, 2));
        valid_after = db_column_i64(st, 3);
        denied = db_column_i64(st, 4) > 0;
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return deny(req, err, "no such session");
    if (revoked)
        return deny(req, err, "session revoked");
    if (denied)
        return deny(req, err, "token deny-listed");
    /* tokens_valid_after is in ms, iat in whole seconds: refuse tokens from any earlier second. */
    if ((c.iat + 1) * 1000 <= valid_after)
        return deny(req, err, "issued before tokens_valid_after");
    if (strcmp(status, "suspended") == 0)
        return app_error_set(err, req->arena, "account_suspended", "this account is suspended");
    if (strcmp(status, "active") != 0)
        return deny(req, err, "user not active");
    req->user_id = c.sub;
    req->role = role;
    req->session_id = c.sid;
    return 0;
}
