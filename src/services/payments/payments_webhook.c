/*
 * payments_webhook.c — POST /payments/webhooks/stripe.
 *
 * Verification (PROTOCOLS.md §2): the Stripe-Signature header
 * "t=<unix>,v1=<hex>[,v1=…]"; the expected signature is the lowercase hex
 * HMAC-SHA256 of "<t>.<raw body>" keyed by the whsec_ secret as-is,
 * compared in constant time against every v1; the timestamp must be within
 * stripe_webhook_tolerance seconds of now (either side: Stripe's libraries
 * only refuse old ones; a far-future t is refused here too). Any failure
 * is 400 invalid_signature and records nothing.
 *
 * Deduplication: the event is inserted into webhook_events_in by
 * (provider, event id) once; one transaction then claims it with a
 * conditional update (received/failed → processed), does the work, and
 * commits both, so a re-delivered or concurrently delivered event does its
 * work once. A failure leaves it 'failed' and answers 500: Stripe retries.
 *
 * Ordering: every state write is conditional (a success is final; a late
 * payment_failed or canceled never undoes it; a success after a cancel is
 * still recorded, and the purpose's hook gives the money back), so events
 * may arrive in any order and race with the client's own confirm.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "services/payments/payments_int.h"

#define MAX_SIGS 8

/* 0 when header signs body with secret within tolerance seconds of now_s. */
static int verify(const char *header, const char *body, size_t len, const char *secret, long tolerance, long now_s)
{
    long t = -1;
    const char *v1[MAX_SIGS];
    size_t v1len[MAX_SIGS];
    int nv1 = 0;
    for (const char *p = header; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 2 && p[0] == 't' && p[1] == '=') {
            char *e;
            t = strtol(p + 2, &e, 10);
            if (e != p + n)
                t = -1;
        } else if (n > 3 && strncmp(p, "v1=", 3) == 0 && nv1 < MAX_SIGS) {
            v1[nv1] = p + 3;
            v1len[nv1++] = n - 3;
        }
        p = end ? end + 1 : NULL;
    }
    if (t < 0 || nv1 == 0 || labs(now_s - t) > tolerance)
        return -1;
    char tbuf[24];
    int tl = snprintf(tbuf, sizeof tbuf, "%ld.", t);
    unsigned char mac[32];
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)(uintptr_t) "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    int ok = ctx != NULL && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) == 1 &&
             EVP_MAC_update(ctx, (const unsigned char *)tbuf, (size_t)tl) == 1 &&
             EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1 &&
             EVP_MAC_final(ctx, mac, &outl, sizeof mac) == 1 && outl == 32;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    if (!ok)
        return -1;
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    int match = 0;
    for (int i = 0; i < nv1; i++)
        if (v1len[i] == 64 && CRYPTO_memcmp(hex, v1[i], 64) == 0)
            match = 1;
    return match ? 0 : -1;
}

/*-----------------------------------------------------------------------------
 * Events
 */
struct event_tx {
    const char *event_id;
    const char *type;
    json_t *object;
    bool duplicate;
    bool ignored;
};

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Our intent for a Stripe intent object: 1 found (id copied), 0 not ours, -1 error. */
static int our_intent(struct db *db, json_t *pi, char id[ID_MAX_LEN], int64_t *amount, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, payments__sql(PAY_Q_INTENT_FOR_EVENT), dberr);
    if (st == NULL)
        return -1;
    const char *meta_id = jstr(json_object_get(pi, "metadata"), "intent_id");
    db_bind(st, 1, DB_TEXT(jstr(pi, "id")));
    db_bind(st, 2, DB_TEXT(meta_id));
    int rc = db_step(st, dberr);
    bool ref_missing = false;
    if (rc == 1) {
        snprintf(id, ID_MAX_LEN, "%s", db_column_text(st, 0));
        *amount = db_column_i64(st, 1);
        ref_missing = db_column_is_null(st, 3);
    }
    db_reset(st);
    if (rc == 1 && ref_missing) {
        struct db_param p[] = {DB_TEXT(id), DB_TEXT(jstr(pi, "id")), DB_NULL, DB_I64(time_now_ms())};
        if (db_exec(db, payments__sql(PAY_Q_INTENT_SET_REF), p, 4, dberr) < 0)
            return -1;
    }
    return rc;
}

static int intent_event(struct db *db, struct event_tx *t, struct db_error *dberr)
{
    char id[ID_MAX_LEN];
    int64_t amount = 0;
    int rc = our_intent(db, t->object, id, &amount, dberr);
    if (rc <= 0) {
        t->ignored = rc == 0;
        return rc;
    }
    struct payproc_result r = {0};
    if (strcmp(t->type, "payment_intent.succeeded") == 0) {
        json_t *received = json_object_get(t->object, "amount_received");
        if (json_is_integer(received) && json_integer_value(received) != amount) {
            snprintf(dberr->msg, sizeof dberr->msg, "amount_received %lld, expected %lld",
                     (long long)json_integer_value(received), (long long)amount);
            dberr->kind = DB_E_OTHER;
            return -1;
        }
        return payments__record_success(db, id, &r, dberr) < 0 ? -1 : 0;
    }
    if (strcmp(t->type, "payment_intent.payment_failed") == 0) {
        json_t *e = json_object_get(t->object, "last_payment_error");
        const char *code = jstr(e, "decline_code") ? jstr(e, "decline_code") : jstr(e, "code");
        snprintf(r.error_code, sizeof r.error_code, "%s", code ? code : "payment_failed");
        snprintf(r.error_message, sizeof r.error_message, "%s", jstr(e, "message") ? jstr(e, "message") : "");
        /* Status only: the confirm call that failed recorded the attempt's row. */
        struct db_param p[] = {DB_TEXT(id), DB_TEXT("requires_payment_method"), DB_TEXT(r.error_code),
                               DB_TEXT(r.error_message), DB_I64(time_now_ms())};
        return db_exec(db, payments__sql(PAY_Q_INTENT_SET_STATUS), p, 5, dberr) < 0 ? -1 : 0;
    }
    if (strcmp(t->type, "payment_intent.canceled") == 0) {
        struct db_param p[] = {DB_TEXT(id), DB_I64(time_now_ms())};
        return db_exec(db, payments__sql(PAY_Q_INTENT_CANCEL), p, 2, dberr) < 0 ? -1 : 0;
    }
    t->ignored = true; /* processing, requires_action, created: our own calls already know */
    return 0;
}

static int refund_event(struct db *db, struct event_tx *t, struct db_error *dberr)
{
    const char *status = jstr(t->object, "status");
    if (status == NULL || strcmp(status, "pending") == 0 || strcmp(status, "requires_action") == 0) {
        t->ignored = true;
        return 0;
    }
    if (strcmp(status, "succeeded") != 0 && strcmp(status, "failed") != 0 && strcmp(status, "canceled") != 0) {
        t->ignored = true;
        return 0;
    }
    if (strcmp(status, "succeeded") != 0)
        log_error("stripe refund did not go through: the ledger already booked it, reconcile by hand",
                  "refund=%s status=%s", jstr(t->object, "id"), status);
    struct db_param p[] = {DB_TEXT(jstr(t->object, "id")), DB_TEXT(status), DB_TEXT(jstr(t->object, "failure_reason")),
                           DB_I64(time_now_ms()), DB_TEXT(jstr(json_object_get(t->object, "metadata"), "refund_id"))};
    return db_exec(db, payments__sql(PAY_Q_REFUND_FROM_EVENT), p, 5, dberr) < 0 ? -1 : 0;
}

static int dispatch(struct db *db, struct event_tx *t, struct db_error *dberr)
{
    if (strncmp(t->type, "payment_intent.", 15) == 0)
        return intent_event(db, t, dberr);
    if (strcmp(t->type, "refund.updated") == 0 || strcmp(t->type, "refund.created") == 0 ||
        strcmp(t->type, "refund.failed") == 0 || strcmp(t->type, "charge.refund.updated") == 0)
        return refund_event(db, t, dberr);
    int rc = payments__webhook_hook(db, t->type, t->object, dberr);
    t->ignored = rc == 1; /* transfer.*, charge.*: our jobs already record them */
    return rc < 0 ? -1 : 0;
}

static int event_in_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct event_tx *t = arg;
    t->duplicate = t->ignored = false;
    struct db_param p[] = {DB_TEXT(t->event_id), DB_TEXT("processed"), DB_I64(time_now_ms())};
    int64_t n = db_exec(db, payments__sql(PAY_Q_WEBHOOK_CLAIM), p, 3, dberr);
    if (n <= 0) {
        t->duplicate = n == 0;
        return n < 0 ? -1 : 0;
    }
    if (dispatch(db, t, dberr) != 0)
        return -1;
    if (t->ignored && db_exec(db, payments__sql(PAY_Q_WEBHOOK_IGNORED), p, 1, dberr) < 0)
        return -1;
    return 0;
}

static void decref(void *p)
{
    json_decref(p);
}

static int bad_signature(struct request *req, struct app_error *err, const char *why)
{
    err->log_detail = why;
    return app_error_set(err, req->arena, "invalid_signature", "the Stripe-Signature header does not verify");
}

int payments_handle_stripe_webhook(struct request *req, struct app_error *err)
{
    const struct config *cfg = req->app->cfg;
    if (cfg->stripe_webhook_secret == NULL || cfg->stripe_webhook_secret[0] == '\0')
        return app_error_set(err, req->arena, "service_unavailable", "webhooks are not configured");
    const char *sig = req_header(req, "Stripe-Signature");
    if (sig == NULL)
        return bad_signature(req, err, "no Stripe-Signature header");
    if (verify(sig, req->body ? req->body : "", req->body_len, cfg->stripe_webhook_secret,
               cfg->stripe_webhook_tolerance, (long)(time_now_ms() / 1000)) != 0)
        return bad_signature(req, err, "signature or timestamp refused");
    json_error_t jerr;
    json_t *ev = json_loadb(req->body ? req->body : "", req->body_len, 0, &jerr);
    arena_on_reset(req->arena, decref, ev);
    struct event_tx t = {.event_id = jstr(ev, "id"), .type = jstr(ev, "type"),
                         .object = json_object_get(json_object_get(ev, "data"), "object")};
    if (t.event_id == NULL || t.type == NULL || !json_is_object(t.object))
        return app_error_set(err, req->arena, "bad_request", "not a Stripe event");
    struct db_error dberr = {0};
    struct db_param p[] = {DB_TEXT(id_new(req->arena, "whe")), DB_TEXT(t.event_id), DB_TEXT(t.type),
                           DB_TEXT(arena_strndup(req->arena, req->body, req->body_len)), DB_I64(time_now_ms())};
    if (db_exec(req->db, payments__sql(PAY_Q_WEBHOOK_INSERT), p, 5, &dberr) < 0)
        return req_db_error(req, &dberr, err);
    if (db_tx(req->db, 5, event_in_tx, &t, &dberr) != 0) {
        struct db_param f[] = {DB_TEXT(t.event_id), DB_TEXT(dberr.msg)};
        struct db_error ignored = {0};
        db_exec(req->db, payments__sql(PAY_Q_WEBHOOK_FAILED), f, 2, &ignored);
        log_error("stripe event failed", "event=%s type=%s error=%s", t.event_id, t.type, dberr.msg);
        return req_db_error(req, &dberr, err);
    }
    json_t *out = json_pack("{s:b, s:b, s:b}", "received", 1, "duplicate", t.duplicate, "ignored", t.ignored);
    res_json(req, 200, out);
    return 0;
}
