/*
 * payments_core.c — the functions other services call (payments.h), the
 * hook registries, and recording an intent's success or failure.
 *
 * Everything here runs inside the caller's transaction and never calls the
 * processor: processor calls happen in handlers (outside any transaction)
 * or in jobs enqueued here, with our row id as the idempotency key.
 */
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/jobs.h"
#include "platform/ledger.h"
#include "services/payments/payments.h"
#include "services/payments/payments_int.h"

#define MAX_HOOKS 8

static struct {
    const char *purpose;
    payments_succeeded_fn fn;
} succeeded_hooks[MAX_HOOKS];
static int nsucceeded;

static struct {
    const char *prefix;
    payments_webhook_fn fn;
} webhook_hooks[MAX_HOOKS];
static int nwebhook;

/* Set once at init, before any request thread runs: read-only afterwards. */
static const char *provider_name = "local";

void payments__set_provider(const char *name)
{
    provider_name = name;
}

const char *payments__provider(void)
{
    return provider_name;
}

void payments_on_succeeded(const char *purpose, payments_succeeded_fn fn)
{
    if (nsucceeded == MAX_HOOKS) {
        log_error("payments: too many success hooks", "purpose=%s", purpose);
        return;
    }
    succeeded_hooks[nsucceeded].purpose = purpose;
    succeeded_hooks[nsucceeded].fn = fn;
    nsucceeded++;
}

void payments_on_webhook(const char *prefix, payments_webhook_fn fn)
{
    if (nwebhook == MAX_HOOKS) {
        log_error("payments: too many webhook hooks", "prefix=%s", prefix);
        return;
    }
    webhook_hooks[nwebhook].prefix = prefix;
    webhook_hooks[nwebhook].fn = fn;
    nwebhook++;
}

int payments__webhook_hook(struct db *tx, const char *type, json_t *object, struct db_error *err)
{
    for (int i = 0; i < nwebhook; i++)
        if (strncmp(type, webhook_hooks[i].prefix, strlen(webhook_hooks[i].prefix)) == 0)
            return webhook_hooks[i].fn(tx, type, object, err) == 0 ? 0 : -1;
    return 1;
}

static void fail(struct db_error *err, const char *msg)
{
    memset(err, 0, sizeof *err);
    err->kind = DB_E_OTHER;
    snprintf(err->msg, sizeof err->msg, "%s", msg);
}

/*-----------------------------------------------------------------------------
 * Intents
 */
int payments_intent_create(struct db *tx, const struct payments_intent_req *req, char id_out[ID_MAX_LEN],
                           struct db_error *err)
{
    bool checkout = strcmp(req->purpose, "checkout") == 0;
    id_generate("pin", id_out, ID_MAX_LEN);
    struct db_param p[] = {DB_TEXT(id_out),
                           DB_TEXT(provider_name),
                           DB_TEXT(req->buyer_id),
                           DB_TEXT(req->purpose),
                           DB_TEXT(checkout ? req->ref_id : NULL),
                           DB_TEXT(checkout ? NULL : req->ref_id),
                           DB_I64(req->amount),
                           DB_TEXT(req->currency),
                           DB_TEXT(req->ref_id),
                           DB_I64(time_now_ms())};
    return db_exec(tx, payments__sql(PAY_Q_INTENT_INSERT), p, 10, err) < 0 ? -1 : 0;
}

int payments_intent_cancel(struct db *tx, const char *intent_id, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(intent_id), DB_I64(time_now_ms())};
    int64_t n = db_exec(tx, payments__sql(PAY_Q_INTENT_CANCEL), p, 2, err);
    if (n < 0)
        return -1;
    struct db_stmt *st = db_prepare(tx, payments__sql(PAY_Q_INTENT_STATUS), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(intent_id));
    int rc = db_step(st, err);
    bool done = rc == 1 && strcmp(db_column_text(st, 0), "succeeded") == 0;
    bool has_ref = rc == 1 && !db_column_is_null(st, 1);
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        fail(err, "payments_intent_cancel: no such intent");
        return -1;
    }
    if (done)
        return 1;
    if (n > 0 && has_ref) {
        json_t *payload = json_pack("{s:s}", "intent_id", intent_id);
        struct job_opts o = {.dedupe_key = intent_id};
        int jrc = jobs_enqueue(tx, PAY_JOB_CANCEL, payload, &o, NULL, err);
        json_decref(payload);
        if (jrc != 0)
            return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Success and failure
 */
struct intent_row {
    char id[ID_MAX_LEN];
    char provider[16];
    char ref[128];
    char purpose[16];
    char ref_id[ID_MAX_LEN];
    char buyer_id[ID_MAX_LEN];
    char currency[4];
    int64_t amount;
};

static int load_intent(struct db *tx, const char *intent_id, struct intent_row *r, struct db_error *err)
{
    struct db_stmt *st = db_prepare(tx, payments__sql(PAY_Q_INTENT_BY_ID), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(intent_id));
    int rc = db_step(st, err);
    if (rc == 1) {
        snprintf(r->id, sizeof r->id, "%s", db_column_text(st, 0));
        snprintf(r->provider, sizeof r->provider, "%s", db_column_text(st, 1));
        snprintf(r->ref, sizeof r->ref, "%s", db_column_is_null(st, 2) ? "" : db_column_text(st, 2));
        snprintf(r->purpose, sizeof r->purpose, "%s", db_column_text(st, 3));
        snprintf(r->ref_id, sizeof r->ref_id, "%s", db_column_text(st, 4));
        r->amount = db_column_i64(st, 5);
        snprintf(r->currency, sizeof r->currency, "%s", db_column_text(st, 6));
        snprintf(r->buyer_id, sizeof r->buyer_id, "%s", db_column_text(st, 9));
    }
    db_reset(st);
    if (rc == 0)
        fail(err, "payments: no such intent");
    return rc == 1 ? 0 : -1;
}

static int insert_payment(struct db *tx, const struct intent_row *in, const char *status,
                          const struct payproc_result *r, char id[ID_MAX_LEN], struct db_error *err)
{
    bool ok = strcmp(status, "succeeded") == 0;
    const char *brand = r && r->card_brand[0] ? r->card_brand : NULL;
    const char *last4 = r && strlen(r->card_last4) == 4 ? r->card_last4 : NULL;
    id_generate("pay", id, ID_MAX_LEN);
    struct db_param p[] = {DB_TEXT(id),
                           DB_TEXT(in->id),
                           DB_TEXT(in->provider),
                           DB_TEXT(ok && in->ref[0] ? in->ref : NULL),
                           DB_I64(in->amount),
                           DB_TEXT(in->currency),
                           DB_TEXT(status),
                           DB_TEXT(brand),
                           DB_TEXT(last4),
                           DB_TEXT(ok || r == NULL ? NULL : r->error_code),
                           DB_TEXT(ok || r == NULL ? NULL : r->error_message),
                           DB_I64(time_now_ms())};
    return db_exec(tx, payments__sql(PAY_Q_PAYMENT_INSERT), p, 12, err) < 0 ? -1 : 0;
}

static payments_succeeded_fn hook_for(const char *purpose)
{
    for (int i = 0; i < nsucceeded; i++)
        if (strcmp(succeeded_hooks[i].purpose, purpose) == 0)
            return succeeded_hooks[i].fn;
    return NULL;
}

int payments__record_success(struct db *tx, const char *intent_id, const struct payproc_result *r,
                             struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(intent_id), DB_I64(time_now_ms())};
    int64_t n = db_exec(tx, payments__sql(PAY_Q_INTENT_SUCCEED), p, 2, err);
    if (n <= 0)
        return n < 0 ? -1 : 1;
    struct intent_row in;
    char pay_id[ID_MAX_LEN], idem[64];
    if (load_intent(tx, intent_id, &in, err) != 0 || insert_payment(tx, &in, "succeeded", r, pay_id, err) != 0)
        return -1;
    snprintf(idem, sizeof idem, "capture:%s", intent_id);
    struct ledger_ref ref = {.ref_type = "payment", .ref_id = pay_id, .idem_key = idem, .currency = in.currency,
                             .description = in.purpose};
    int lrc = ledger_capture(tx, &ref, in.buyer_id, in.amount, err);
    if (lrc != LEDGER_OK) {
        if (lrc != LEDGER_ERR)
            fail(err, lrc == LEDGER_DUPLICATE ? "capture posted twice" : "capture invalid");
        return -1;
    }
    payments_succeeded_fn fn = hook_for(in.purpose);
    if (fn == NULL) {
        /* The owner is not mounted: the money stays in the buyer's funds account. */
        log_warn("payments: no success hook", "purpose=%s intent=%s", in.purpose, intent_id);
        return 0;
    }
    struct payments_succeeded s = {intent_id, pay_id, in.purpose, in.ref_id, in.buyer_id, in.amount, in.currency};
    return fn(tx, &s, err) == 0 ? 0 : -1;
}

int payments__record_failure(struct db *tx, const char *intent_id, const struct payproc_result *r,
                             struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(intent_id), DB_TEXT("requires_payment_method"), DB_TEXT(r->error_code),
                           DB_TEXT(r->error_message), DB_I64(time_now_ms())};
    if (db_exec(tx, payments__sql(PAY_Q_INTENT_SET_STATUS), p, 5, err) < 0)
        return -1;
    struct intent_row in;
    char pay_id[ID_MAX_LEN];
    if (load_intent(tx, intent_id, &in, err) != 0)
        return -1;
    return insert_payment(tx, &in, "failed", r, pay_id, err);
}

/*-----------------------------------------------------------------------------
 * Refunds and transfers
 */
static int enqueue(struct db *tx, const char *kind, json_t *payload, const char *key, struct db_error *err)
{
    struct job_opts o = {.dedupe_key = key};
    int rc = jobs_enqueue(tx, kind, payload, &o, NULL, err);
    json_decref(payload);
    return rc;
}

/* Count x more reversed on the transfer. 1 when it would exceed the transfer. */
static int reverse_add(struct db *tx, const char *transfer_id, int64_t x, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(transfer_id), DB_I64(x), DB_I64(time_now_ms())};
    int64_t n = db_exec(tx, payments__sql(PAY_Q_TRANSFER_REVERSE_ADD), p, 3, err);
    return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int payments_refund_request(struct db *tx, const struct payments_refund_req *req, char id_out[ID_MAX_LEN],
                            struct db_error *err)
{
    int64_t now = time_now_ms();
    if (req->amount <= 0)
        return 1;
    struct db_param a[] = {DB_TEXT(req->payment_id), DB_I64(req->amount), DB_I64(now)};
    int64_t n = db_exec(tx, payments__sql(PAY_Q_PAYMENT_REFUND_ADD), a, 3, err);
    if (n <= 0)
        return n < 0 ? -1 : 1;
    bool reverse = req->reverse_transfer_id != NULL && req->reverse_amount > 0;
    if (reverse) {
        int rc = reverse_add(tx, req->reverse_transfer_id, req->reverse_amount, err);
        if (rc != 0) {
            if (rc > 0)
                fail(err, "reversal exceeds the transfer");
            return -1;
        }
    }
    id_generate("rfd", id_out, ID_MAX_LEN);
    struct db_param p[] = {DB_TEXT(id_out),
                           DB_TEXT(req->payment_id),
                           DB_TEXT(req->order_id),
                           DB_TEXT(req->milestone_id),
                           DB_TEXT(req->dispute_id),
                           DB_I64(req->amount),
                           DB_TEXT(req->currency),
                           DB_TEXT(req->reason ? req->reason : "requested_by_customer"),
                           DB_TEXT(req->actor_id),
                           DB_I64(now)};
    if (db_exec(tx, payments__sql(PAY_Q_REFUND_INSERT), p, 10, err) < 0)
        return -1;
    json_t *payload = json_pack("{s:s}", "refund_id", id_out);
    if (reverse) {
        json_object_set_new(payload, "transfer_id", json_string(req->reverse_transfer_id));
        json_object_set_new(payload, "reverse_amount", json_integer(req->reverse_amount));
    }
    return enqueue(tx, PAY_JOB_REFUND, payload, id_out, err);
}

int payments_transfer_request(struct db *tx, const struct payments_transfer_req *req, char id_out[ID_MAX_LEN],
                              struct db_error *err)
{
    id_generate("trf", id_out, ID_MAX_LEN);
    /* Nothing to send when the commission took it all: recorded as done, no job. */
    bool empty = req->amount <= 0;
    struct db_param p[] = {DB_TEXT(id_out),
                           DB_TEXT(req->seller_id),
                           DB_TEXT(req->order_id),
                           DB_TEXT(req->milestone_id),
                           DB_I64(empty ? 0 : req->amount),
                           DB_I64(req->fee_amount),
                           DB_TEXT(req->currency),
                           DB_TEXT(empty ? "succeeded" : "pending"),
                           DB_TEXT(provider_name),
                           DB_TEXT(req->transfer_group),
                           DB_I64(time_now_ms())};
    if (db_exec(tx, payments__sql(PAY_Q_TRANSFER_INSERT), p, 11, err) < 0)
        return -1;
    if (empty)
        return 0;
    return enqueue(tx, PAY_JOB_TRANSFER, json_pack("{s:s}", "transfer_id", id_out), id_out, err);
}
