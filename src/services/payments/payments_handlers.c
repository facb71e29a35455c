/*
 * payments_handlers.c — create-intent, confirm, the local authentication
 * step, and GET /payments/:id.
 *
 * The processor is called outside any transaction (with Stripe, on the
 * slow-work pool: req_offload), then one transaction records the outcome.
 * A success goes through payments__record_success, whose conditional
 * update lets exactly one of (this confirm, the webhook) record it.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/payments/payments_int.h"

/* What the handlers read of an intent. */
struct intent {
    const char *id, *provider, *ref, *purpose, *ref_id, *currency, *status, *group, *buyer_id;
    const char *err_code, *err_msg;
    int64_t amount, created_at, succeeded_at, canceled_at;
};

static const char *col(struct request *req, struct db_stmt *st, int c)
{
    return db_column_is_null(st, c) ? NULL : arena_strdup(req->arena, db_column_text(st, c));
}

static void read_intent(struct request *req, struct db_stmt *st, struct intent *in)
{
    in->id = col(req, st, 0);
    in->provider = col(req, st, 1);
    in->ref = col(req, st, 2);
    in->purpose = col(req, st, 3);
    in->ref_id = col(req, st, 4);
    in->amount = db_column_i64(st, 5);
    in->currency = col(req, st, 6);
    in->status = col(req, st, 7);
    in->group = col(req, st, 8);
    in->buyer_id = col(req, st, 9);
    in->err_code = col(req, st, 10);
    in->err_msg = col(req, st, 11);
    in->created_at = db_column_i64(st, 12);
    in->succeeded_at = db_column_is_null(st, 13) ? 0 : db_column_i64(st, 13);
    in->canceled_at = db_column_is_null(st, 14) ? 0 : db_column_i64(st, 14);
}

static bool is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}

/* The intent as q sees it for the caller: 1 found, 0 not (404), -1 error (err set). */
static int load(struct request *req, enum payments_query q, const char *id, struct intent *in, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, payments__sql(q), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(req->user_id), DB_I64(is_admin(req))};
    db_bind_all(st, p, q == PAY_Q_INTENT_VISIBLE ? 3 : 2);
    int rc = db_step(st, &dberr);
    if (rc == 1)
        read_intent(req, st, in);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        app_error_set(err, req->arena, "not_found", "no such payment intent");
    return rc == 1 ? 1 : -1;
}

int payments__bad_state(struct request *req, const char *action, const char *status, struct app_error *err)
{
    const char *allowed = "none (final)";
    if (strcmp(status, "requires_action") == 0)
        allowed = "authenticate, or confirm with another payment method";
    else if (strcmp(status, "processing") == 0)
        allowed = "none until the processor answers";
    else if (strcmp(status, "requires_payment_method") == 0 || strcmp(status, "requires_confirmation") == 0)
        allowed = "create-intent, confirm";
    err->detail = arena_sprintf(req->arena, "allowed from %s: %s", status, allowed);
    return app_error_set(err, req->arena, "invalid_state_transition", "cannot %s a payment intent in status %s",
                         action, status);
}

int payments__processor_error(struct request *req, const struct payproc_result *r, struct app_error *err)
{
    const char *code = r->error_code;
    if (r->retryable) {
        err->retry_after = 5;
        err->log_detail = arena_sprintf(req->arena, "processor: %s", code);
        return app_error_set(err, req->arena, "upstream_error", "the payment processor is unavailable; retry");
    }
    err->detail = arena_strdup(req->arena, code);
    const char *pcode = "card_declined";
    if (strcmp(code, "insufficient_funds") == 0)
        pcode = "insufficient_funds";
    else if (strcmp(code, "payment_intent_authentication_failure") == 0)
        pcode = "payment_authentication_failed";
    return app_error_set(err, req->arena, pcode, "%s", r->error_message[0] ? r->error_message : "payment failed");
}

static bool remote(const struct request *req)
{
    return strcmp(payproc_get(req->app)->name, "local") != 0;
}

/*-----------------------------------------------------------------------------
 * The response: the intent with its charges and refunds
 */
static int write_payments(struct request *req, struct jsonw *w, const char *id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, payments__sql(PAY_Q_PAYMENTS_OF_INTENT), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    jw_key(w, "payments");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kstr(w, "status", db_column_text(st, 1));
        jw_kmoney(w, "amount", db_column_i64(st, 2), db_column_text(st, 4));
        jw_kmoney(w, "refunded", db_column_i64(st, 3), db_column_text(st, 4));
        jw_kstr(w, "card_brand", db_column_text(st, 5));
        jw_kstr(w, "card_last4", db_column_text(st, 6));
        jw_kstr(w, "failure_code", db_column_text(st, 7));
        jw_kstr(w, "created_at", req_time(req, db_column_i64(st, 8)));
        jw_end(w);
    }
    jw_end(w);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int write_refunds(struct request *req, struct jsonw *w, const char *id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, payments__sql(PAY_Q_REFUNDS_OF_INTENT), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    jw_key(w, "refunds");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "id", db_column_text(st, 0));
        jw_kmoney(w, "amount", db_column_i64(st, 1), db_column_text(st, 2));
        jw_kstr(w, "status", db_column_text(st, 3));
        jw_kstr(w, "reason", db_column_text(st, 4));
        jw_kstr(w, "order_id", db_column_text(st, 5));
        jw_kstr(w, "milestone_id", db_column_text(st, 6));
        jw_kstr(w, "created_at", req_time(req, db_column_i64(st, 7)));
        jw_end(w);
    }
    jw_end(w);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static void write_next_action(struct request *req, struct jsonw *w, const struct intent *in, const char *remote_url)
{
    jw_key(w, "next_action");
    if (strcmp(in->status, "requires_action") != 0) {
        jw_null(w);
        return;
    }
    jw_obj(w);
    if (strcmp(in->provider, "local") == 0) {
        jw_kstr(w, "type", "local_authenticate");
        jw_kstr(w, "url", arena_sprintf(req->arena, "/api/v1/payments/%s/authenticate", in->id));
    } else {
        jw_kstr(w, "type", "redirect_to_url");
        jw_kstr(w, "url", remote_url && remote_url[0] ? remote_url : NULL);
    }
    jw_end(w);
}

/* Reply with the intent as the caller may see it. secret and remote_url may be NULL. */
static int respond(struct request *req, int status, const char *id, const char *secret, const char *remote_url,
                   struct app_error *err)
{
    struct intent in;
    if (load(req, PAY_Q_INTENT_VISIBLE, id, &in, err) != 1)
        return -1;
    struct jsonw w;
    struct db_error dberr = {0};
    jw_init(&w, req->arena, 1024);
    jw_obj(&w);
    jw_kstr(&w, "id", in.id);
    jw_kstr(&w, "object", "payment_intent");
    jw_kstr(&w, "status", in.status);
    jw_kstr(&w, "purpose", in.purpose);
    jw_kstr(&w, strcmp(in.purpose, "checkout") == 0 ? "checkout_id" : "milestone_id", in.ref_id);
    jw_kstr(&w, "buyer_id", in.buyer_id);
    jw_kmoney(&w, "amount", in.amount, in.currency);
    jw_kstr(&w, "provider", in.provider);
    jw_kstr(&w, "transfer_group", in.group);
    if (secret != NULL)
        jw_kstr(&w, "client_secret", secret);
    write_next_action(req, &w, &in, remote_url);
    jw_key(&w, "last_error");
    if (in.err_code != NULL) {
        jw_obj(&w);
        jw_kstr(&w, "code", in.err_code);
        jw_kstr(&w, "message", in.err_msg);
        jw_end(&w);
    } else {
        jw_null(&w);
    }
    if (write_payments(req, &w, id, &dberr) != 0 || write_refunds(req, &w, id, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    jw_kstr(&w, "created_at", req_time(req, in.created_at));
    jw_kstr(&w, "succeeded_at", in.succeeded_at ? req_time(req, in.succeeded_at) : NULL);
    jw_kstr(&w, "canceled_at", in.canceled_at ? req_time(req, in.canceled_at) : NULL);
    jw_end(&w);
    res_jsonw(req, status, &w);
    return 0;
}

int payments_handle_get(struct request *req, struct app_error *err)
{
    return respond(req, 200, req_param(req, "id"), NULL, NULL, err);
}

/*-----------------------------------------------------------------------------
 * Recording what the processor said
 */
struct outcome_tx {
    const char *id;
    const struct payproc_result *r;
    const char *status; /* non-final status to set, or NULL */
    const char *secret_hash;
};

static int success_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct outcome_tx *t = arg;
    return payments__record_success(db, t->id, t->r, dberr) < 0 ? -1 : 0;
}

static int failure_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct outcome_tx *t = arg;
    return payments__record_failure(db, t->id, t->r, dberr);
}

static int status_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct outcome_tx *t = arg;
    struct db_param p[] = {DB_TEXT(t->id), DB_TEXT(t->status), DB_NULL, DB_NULL, DB_I64(time_now_ms())};
    return db_exec(db, payments__sql(PAY_Q_INTENT_SET_STATUS), p, 5, dberr) < 0 ? -1 : 0;
}

static int set_ref_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct outcome_tx *t = arg;
    struct db_param p[] = {DB_TEXT(t->id), DB_TEXT(t->r->ref), DB_TEXT(t->secret_hash), DB_I64(time_now_ms())};
    return db_exec(db, payments__sql(PAY_Q_INTENT_SET_REF), p, 4, dberr) < 0 ? -1 : 0;
}

/* The processor's answer to a confirm or an authentication, recorded; then the reply. */
static int apply(struct request *req, const struct intent *in, const struct payproc_result *r, struct app_error *err)
{
    struct outcome_tx t = {.id = in->id, .r = r};
    struct db_error dberr = {0};
    int (*fn)(struct db *, void *, struct db_error *) = status_tx;
    if (!r->ok && r->retryable)
        return payments__processor_error(req, r, err);
    if (!r->ok)
        fn = failure_tx;
    else if (strcmp(r->status, "succeeded") == 0)
        fn = success_tx;
    else
        t.status = strcmp(r->status, "requires_action") == 0 ? "requires_action" : "processing";
    if (db_tx(req->db, 5, fn, &t, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (!r->ok)
        return payments__processor_error(req, r, err);
    return respond(req, 200, in->id, NULL, r->next_action, err);
}

static void sha256_hex(const char *s, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Make the processor-side intent (idempotent: our id is the key) and store its id. 0 or -1. */
static int ensure_remote(struct request *req, struct intent *in, struct payproc_result *r, struct app_error *err)
{
    const struct payproc_ops *ops = payproc_get(req->app);
    struct payproc_intent pi = {in->id, in->amount, in->currency, in->group, in->buyer_id};
    if (ops->intent_create(req->app, &pi, r) != 0)
        return payments__processor_error(req, r, err);
    char hash[65];
    sha256_hex(r->client_secret, hash);
    struct outcome_tx t = {.id = in->id, .r = r, .secret_hash = r->client_secret[0] ? hash : NULL};
    struct db_error dberr = {0};
    if (db_tx(req->db, 5, set_ref_tx, &t, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    in->ref = arena_strdup(req->arena, r->ref);
    return 0;
}

static bool confirmable(const char *status)
{
    return strcmp(status, "requires_payment_method") == 0 || strcmp(status, "requires_confirmation") == 0 ||
           strcmp(status, "requires_action") == 0;
}

/*-----------------------------------------------------------------------------
 * Handlers
 */
static int create_run(struct request *req, struct app_error *err)
{
    struct intent in;
    struct payproc_result r;
    if (load(req, PAY_Q_INTENT_MINE, json_string_value(json_object_get(req->json, "payment_intent_id")), &in, err) !=
        1)
        return -1;
    if (!confirmable(in.status))
        return payments__bad_state(req, "create", in.status, err);
    if (ensure_remote(req, &in, &r, err) != 0)
        return -1;
    return respond(req, 200, in.id, r.client_secret, NULL, err);
}

int payments_handle_create_intent(struct request *req, struct app_error *err)
{
    return remote(req) ? req_offload(req, create_run, err) : create_run(req, err);
}

static int confirm_run(struct request *req, struct app_error *err)
{
    struct intent in;
    struct payproc_result r;
    const char *pm = json_string_value(json_object_get(req->json, "payment_method"));
    const char *return_url = json_string_value(json_object_get(req->json, "return_url"));
    if (load(req, PAY_Q_INTENT_MINE, json_string_value(json_object_get(req->json, "payment_intent_id")), &in, err) !=
        1)
        return -1;
    if (!confirmable(in.status))
        return payments__bad_state(req, "confirm", in.status, err);
    if (in.ref == NULL && ensure_remote(req, &in, &r, err) != 0)
        return -1;
    payproc_get(req->app)->intent_confirm(req->app, in.ref, pm, return_url, &r);
    return apply(req, &in, &r, err);
}

int payments_handle_confirm(struct request *req, struct app_error *err)
{
    return remote(req) ? req_offload(req, confirm_run, err) : confirm_run(req, err);
}

int payments_handle_authenticate(struct request *req, struct app_error *err)
{
    const struct payproc_ops *ops = payproc_get(req->app);
    struct intent in;
    struct payproc_result r;
    if (load(req, PAY_Q_INTENT_MINE, req_param(req, "id"), &in, err) != 1)
        return -1;
    if (ops->intent_authenticate == NULL || strcmp(in.provider, ops->name) != 0)
        return app_error_set(err, req->arena, "bad_request",
                             "this intent authenticates at its processor's page, not here");
    if (strcmp(in.status, "requires_action") != 0)
        return payments__bad_state(req, "authenticate", in.status, err);
    const char *result = json_string_value(json_object_get(req->json, "result"));
    ops->intent_authenticate(req->app, in.ref, strcmp(result, "approve") == 0, &r);
    return apply(req, &in, &r, err);
}
