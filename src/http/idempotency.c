/*
 * idempotency.c — the Idempotency-Key middleware (see idempotency.h for the
 * semantics).
 *
 * Each step is one statement in autocommit, so no step holds a lock across
 * the handler: claim = DELETE the key if expired, then INSERT … ON CONFLICT
 * DO NOTHING (the one insert that lands owns the key); a repeat reads the
 * row and either replays it, refuses it, or — when the owner's lock has
 * passed — takes it over with a conditional UPDATE that only one repeat can
 * win. Finishing is a conditional UPDATE (store) or DELETE (release) of the
 * row still 'in_progress' with this request's hash.
 *
 * Caveats: runs on request threads; the statements are single-row writes
 * by primary key. The finish of an offloaded request runs on the thread
 * that sends the response, with that thread's connection.
 */
#include "http/idempotency.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/http_int.h"
#include "http/validate.h"

static const char sql_delete_expired[] =
    "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND expires_at < $3";
static const char sql_claim[] =
    "INSERT INTO idempotency_keys (scope, idem_key, method, path, request_hash, status, locked_until, created_at, "
    "expires_at) VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, $7, $8) ON CONFLICT (scope, idem_key) DO NOTHING";
static const char sql_get[] =
    "SELECT request_hash, status, response_status, response_headers, response_body, locked_until "
    "FROM idempotency_keys WHERE scope = $1 AND idem_key = $2";
static const char sql_take_over[] =
    "UPDATE idempotency_keys SET locked_until = $3 "
    "WHERE scope = $1 AND idem_key = $2 AND status = 'in_progress' AND locked_until < $4 AND request_hash = $5";
static const char sql_complete[] =
    "UPDATE idempotency_keys SET status = 'completed', response_status = $3, response_headers = $4, "
    "response_body = $5, locked_until = NULL "
    "WHERE scope = $1 AND idem_key = $2 AND status = 'in_progress' AND request_hash = $6";
static const char sql_release[] =
    "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND status = 'in_progress' "
    "AND request_hash = $3";

/* Response headers worth replaying (Content-Type is kept apart). */
static const char *const kept_headers[] = {"Location", NULL};

/*-----------------------------------------------------------------------------
 * The request's identity: scope, key and hash
 */
struct idem_id {
    const char *scope;
    const char *key;
    char hash[crypto_hash_sha256_BYTES * 2 + 1];
};

static int key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > IDEMPOTENCY_KEY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e)
            return 0;
    return 1;
}

static int dump_to_state(const char *buf, size_t size, void *data)
{
    crypto_hash_sha256_update(data, (const unsigned char *)buf, size);
    return 0;
}

/* SHA-256 over "METHOD PATH\n" and the body: JSON bodies in canonical form (sorted keys, compact). */
static void request_hash(struct req_ctx *c, char *out)
{
    struct request *req = &c->req;
    crypto_hash_sha256_state st;
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    const char *m = c->method_name ? c->method_name : "";
    crypto_hash_sha256_update(&st, (const unsigned char *)m, strlen(m));
    crypto_hash_sha256_update(&st, (const unsigned char *)" ", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)req->path, strlen(req->path));
    crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    if (req->json != NULL)
        json_dump_callback(req->json, dump_to_state, &st, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    else if (req->body_len > 0)
        crypto_hash_sha256_update(&st, (const unsigned char *)req->body, req->body_len);
    crypto_hash_sha256_final(&st, d);
    sodium_bin2hex(out, crypto_hash_sha256_BYTES * 2 + 1, d, sizeof d);
}

/* Fill id from the request; 0, or -1 when there is no key (nothing to do). */
static int identify(struct req_ctx *c, struct idem_id *id)
{
    struct request *req = &c->req;
    if (req->route == NULL || !(req->route->flags & ROUTE_IDEMPOTENT))
        return -1;
    id->key = req_header(req, "Idempotency-Key");
    if (id->key == NULL)
        return -1;
    id->scope = req->user_id != NULL ? req->user_id
                                     : arena_sprintf(req->arena, "anon:%s", req->client_ip ? req->client_ip : "");
    request_hash(c, id->hash);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Begin
 */
static enum idem_begin answer(struct req_ctx *c, const char *code, const char *msg, long retry_after)
{
    struct app_error err = {0};
    err.retry_after = retry_after;
    app_error_set(&err, c->req.arena, code, "%s", msg);
    if (strcmp(code, "invalid_idempotency_key") == 0)
        app_error_add_field(&err, c->req.arena, "Idempotency-Key", "invalid_format",
                            "must be 1 to 255 printable ASCII characters without spaces");
    http__problem(c, &err);
    return IDEM_ANSWERED;
}

static enum idem_begin db_failed(struct req_ctx *c, const struct db_error *dberr)
{
    log_warn("idempotency: database error", "%s %s: %s", c->method_name, c->req.path, dberr->msg);
    return answer(c, "service_unavailable", "the idempotency store is unavailable; retry with the same key", 1);
}

/* Replay a stored response: status, body, Content-Type, kept headers, Idempotent-Replayed. */
static void replay(struct req_ctx *c, int status, const char *headers_json, const char *body)
{
    struct request *req = &c->req;
    const char *ctype = NULL;
    json_t *h = headers_json ? json_loads(headers_json, 0, NULL) : NULL;
    const char *name;
    json_t *v;
    json_object_foreach(h, name, v)
    {
        if (!json_is_string(v))
            continue;
        if (strcasecmp(name, "Content-Type") == 0)
            ctype = arena_strdup(req->arena, json_string_value(v));
        else
            res_header(req, name, json_string_value(v));
    }
    json_decref(h);
    size_t len = body ? strlen(body) : 0;
    if (len > 0 || ctype != NULL) {
        res_bytes(req, status, ctype ? ctype : "application/json", body ? body : "", len);
    } else {
        res_empty(req, status);
    }
    res_header(req, "Idempotent-Replayed", "true");
}

/* The key is taken: replay, refuse, or take over a crashed owner's claim. */
static enum idem_begin repeat(struct req_ctx *c, const struct idem_id *id, int64_t now)
{
    struct db *db = c->req.db;
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(db, sql_get, &dberr);
    if (st == NULL)
        return db_failed(c, &dberr);
    db_bind(st, 1, DB_TEXT(id->scope));
    db_bind(st, 2, DB_TEXT(id->key));
    int rc = db_step(st, &dberr);
    if (rc < 0) {
        db_reset(st);
        return db_failed(c, &dberr);
    }
    if (rc == 0) { /* released or purged between our insert and this read */
        db_reset(st);
        return answer(c, "idempotency_in_progress", "a request with this key has just finished; retry", 1);
    }
    int same = strcmp(db_column_text(st, 0), id->hash) == 0;
    int completed = strcmp(db_column_text(st, 1), "completed") == 0;
    int status = (int)db_column_i64(st, 2);
    const char *headers = arena_strdup(c->req.arena, db_column_text(st, 3));
    const char *body = arena_strdup(c->req.arena, db_column_text(st, 4));
    int64_t locked_until = db_column_i64(st, 5);
    db_reset(st);
    if (!same)
        return answer(c, "idempotency_key_reused",
                      "this Idempotency-Key was used with a different request (method, path or body)", 0);
    if (completed) {
        replay(c, status, headers, body);
        return IDEM_ANSWERED;
    }
    if (locked_until >= now)
        return answer(c, "idempotency_in_progress", "a request with this Idempotency-Key is still running", 1);
    struct db_param p[] = {DB_TEXT(id->scope), DB_TEXT(id->key), DB_I64(now + IDEMPOTENCY_LOCK_MS), DB_I64(now),
                           DB_TEXT(id->hash)};
    int64_t n = db_exec(db, sql_take_over, p, 5, &dberr);
    if (n < 0)
        return db_failed(c, &dberr);
    if (n == 0)
        return answer(c, "idempotency_in_progress", "a request with this Idempotency-Key is still running", 1);
    log_info("idempotency: took over an expired claim", "%s %s", c->method_name, c->req.path);
    c->idem_claimed = true;
    return IDEM_CLAIMED;
}

enum idem_begin idempotency_begin(struct req_ctx *c)
{
    struct idem_id id;
    if (c->req.db == NULL || identify(c, &id) != 0)
        return IDEM_NONE;
    if (!key_valid(id.key))
        return answer(c, "invalid_idempotency_key", "the Idempotency-Key header is invalid", 0);
    struct db *db = c->req.db;
    struct db_error dberr = {0};
    int64_t now = time_now_ms();
    struct db_param del[] = {DB_TEXT(id.scope), DB_TEXT(id.key), DB_I64(now)};
    if (db_exec(db, sql_delete_expired, del, 3, &dberr) < 0)
        return db_failed(c, &dberr);
    struct db_param p[] = {DB_TEXT(id.scope),
                           DB_TEXT(id.key),
                           DB_TEXT(c->method_name),
                           DB_TEXT(c->req.path),
                           DB_TEXT(id.hash),
                           DB_I64(now + IDEMPOTENCY_LOCK_MS),
                           DB_I64(now),
                           DB_I64(now + IDEMPOTENCY_TTL_MS)};
    int64_t n = db_exec(db, sql_claim, p, 8, &dberr);
    if (n < 0)
        return db_failed(c, &dberr);
    if (n == 1) {
        c->idem_claimed = true;
        return IDEM_CLAIMED;
    }
    return repeat(c, &id, now);
}

/*-----------------------------------------------------------------------------
 * Finish
 */
static int storable(int status)
{
    if (status < 400)
        return 1;
    return status == 402 || status == 403 || status == 404 || status == 409 || status == 410;
}

static const char *headers_json(struct req_ctx *c)
{
    struct request *req = &c->req;
    json_t *h = json_object();
    if (req->content_type != NULL)
        json_object_set_new(h, "Content-Type", json_string(req->content_type));
    for (struct extra_header *e = c->headers; e != NULL; e = e->next)
        for (const char *const *k = kept_headers; *k != NULL; k++)
            if (strcasecmp(e->name, *k) == 0 && utf8_valid(e->value, strlen(e->value)))
                json_object_set_new(h, *k, json_string(e->value));
    char *s = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    const char *out = arena_strdup(req->arena, s ? s : "{}");
    free(s);
    return out;
}

void idempotency_finish(struct req_ctx *c)
{
    struct request *req = &c->req;
    struct idem_id id;
    if (!c->idem_claimed || identify(c, &id) != 0)
        return;
    c->idem_claimed = false;
    struct db *db = http__thread_db(c->srv);
    if (db == NULL) {
        log_warn("idempotency: no database to store the response", "%s %s", c->method_name, req->path);
        return;
    }
    const char *body = req->res_body ? arena_strndup(req->arena, req->res_body, req->res_len) : "";
    int text = req->res_body == NULL || (strlen(body) == req->res_len && utf8_valid(body, req->res_len));
    struct db_error dberr = {0};
    int64_t n;
    if (storable(req->status) && text) {
        struct db_param p[] = {DB_TEXT(id.scope),        DB_TEXT(id.key), DB_I64(req->status),
                               DB_TEXT(headers_json(c)), DB_TEXT(body),   DB_TEXT(id.hash)};
        n = db_exec(db, sql_complete, p, 6, &dberr);
    } else {
        struct db_param p[] = {DB_TEXT(id.scope), DB_TEXT(id.key), DB_TEXT(id.hash)};
        n = db_exec(db, sql_release, p, 3, &dberr);
    }
    if (n < 0)
        log_warn("idempotency: could not finish the key", "%s %s: %s", c->method_name, req->path, dberr.msg);
}
