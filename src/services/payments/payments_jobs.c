/*
 * payments_jobs.c — the processor calls that follow a committed change:
 * refunds (and the transfer reversal of a refund after release),
 * transfers to sellers' connected accounts, and cancels of abandoned
 * intents.
 *
 * Every call carries an idempotency key derived from our row (refund id,
 * "rev:<refund id>", transfer id), so a retried job (crash, timeout, 5xx)
 * never moves money twice; the row updates and ledger postings after the
 * call are conditional or idempotent too.
 */
#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/jobs.h"
#include "platform/ledger.h"
#include "services/payments/payments.h"
#include "services/payments/payments_int.h"

#define REFUND_ATTEMPTS 12
#define TRANSFER_ATTEMPTS 12
#define CANCEL_ATTEMPTS 6

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int failed(struct job *job, const char **errmsg, const char *what, const struct payproc_result *r)
{
    *errmsg = arena_sprintf(job->arena, "%s: %s %s", what, r ? r->error_code : "", r ? r->error_message : "");
    return -1;
}

/*-----------------------------------------------------------------------------
 * Refunds
 */
struct refund_row {
    int64_t amount;
    char currency[4], reason[32], status[16], provider[16], intent_ref[128];
};

static int load_refund(struct db *db, const char *id, struct refund_row *r, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, payments__sql(PAY_Q_REFUND_GET), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, dberr);
    if (rc == 1) {
        r->amount = db_column_i64(st, 0);
        snprintf(r->currency, sizeof r->currency, "%s", db_column_text(st, 1));
        snprintf(r->reason, sizeof r->reason, "%s", db_column_is_null(st, 2) ? "" : db_column_text(st, 2));
        snprintf(r->status, sizeof r->status, "%s", db_column_text(st, 3));
        snprintf(r->provider, sizeof r->provider, "%s", db_column_text(st, 4));
        snprintf(r->intent_ref, sizeof r->intent_ref, "%s", db_column_is_null(st, 5) ? "" : db_column_text(st, 5));
    }
    db_reset(st);
    return rc;
}

/* The transfer's processor id: 1 known, 0 not sent yet, -1 error. */
static int transfer_ref(struct db *db, const char *id, char *buf, size_t cap, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, payments__sql(PAY_Q_TRANSFER_GET), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, dberr);
    if (rc == 1 && db_column_is_null(st, 5))
        rc = 0;
    else if (rc == 1)
        snprintf(buf, cap, "%s", db_column_text(st, 5));
    db_reset(st);
    return rc;
}

static int refund_done(struct db *db, const char *id, const char *status, const char *ref, const char *why,
                       struct db_error *dberr)
{
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(status), DB_TEXT(ref), DB_TEXT(why), DB_I64(time_now_ms())};
    return db_exec(db, payments__sql(PAY_Q_REFUND_DONE), p, 5, dberr) < 0 ? -1 : 0;
}

static int reverse(struct job *job, const char *refund_id, const char **errmsg)
{
    const char *transfer_id = jstr(job->payload, "transfer_id");
    json_int_t amount = json_integer_value(json_object_get(job->payload, "reverse_amount"));
    if (transfer_id == NULL || amount <= 0)
        return 0;
    char tref[128], idem[64];
    struct db_error dberr = {0};
    int rc = transfer_ref(job->db, transfer_id, tref, sizeof tref, &dberr);
    if (rc < 0)
        return failed(job, errmsg, dberr.msg, NULL);
    if (rc == 0) {
        *errmsg = "the transfer to reverse is not sent yet";
        return -1;
    }
    struct payproc_result r;
    snprintf(idem, sizeof idem, "rev:%s", refund_id);
    if (payproc_get(job->app)->transfer_reverse(job->app, tref, amount, idem, &r) != 0) {
        if (r.retryable)
            return failed(job, errmsg, "transfer reversal", &r);
        /* Booked already (ledger_reversal): the seller's balance carries it; reconcile the processor by hand. */
        log_error("transfer reversal refused", "refund=%s transfer=%s code=%s", refund_id, transfer_id, r.error_code);
    }
    return 0;
}

static int refund_job(struct job *job, const char **errmsg)
{
    const char *id = jstr(job->payload, "refund_id");
    struct refund_row row;
    struct db_error dberr = {0};
    int rc = id ? load_refund(job->db, id, &row, &dberr) : 0;
    if (rc <= 0)
        return failed(job, errmsg, rc == 0 ? "no such refund" : dberr.msg, NULL);
    const struct payproc_ops *ops = payproc_get(job->app);
    if (strcmp(row.provider, ops->name) != 0) {
        *errmsg = arena_sprintf(job->arena, "refund of a %s charge with the %s processor", row.provider, ops->name);
        return -1;
    }
    struct payproc_result r;
    if (ops->refund(job->app, row.intent_ref, row.amount, row.reason, id, &r) != 0) {
        if (r.retryable)
            return failed(job, errmsg, "refund", &r);
        log_error("refund refused by the processor: the ledger already booked it, reconcile by hand",
                  "refund=%s code=%s", id, r.error_code);
        return refund_done(job->db, id, "failed", NULL, r.error_code, &dberr) == 0 ? 0
                                                                                    : failed(job, errmsg, dberr.msg, NULL);
    }
    if (reverse(job, id, errmsg) != 0)
        return -1;
    const char *status = strcmp(r.status, "succeeded") == 0 || strcmp(r.status, "failed") == 0 ||
                                 strcmp(r.status, "canceled") == 0
                             ? r.status
                             : "pending";
    if (refund_done(job->db, id, status, r.ref, NULL, &dberr) != 0)
        return failed(job, errmsg, dberr.msg, NULL);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Transfers
 */
struct transfer_done_tx {
    const char *id, *seller_id, *currency, *ref;
    int64_t amount;
};

static int transfer_done(struct db *db, void *arg, struct db_error *dberr)
{
    struct transfer_done_tx *t = arg;
    struct db_param p[] = {DB_TEXT(t->id), DB_TEXT(t->ref), DB_I64(time_now_ms())};
    int64_t n = db_exec(db, payments__sql(PAY_Q_TRANSFER_DONE), p, 3, dberr);
    if (n <= 0)
        return n < 0 ? -1 : 0;
    char idem[64];
    snprintf(idem, sizeof idem, "transfer:%s", t->id);
    struct ledger_ref ref = {.ref_type = "transfer", .ref_id = t->id, .idem_key = idem, .currency = t->currency};
    int rc = ledger_transfer(db, &ref, t->seller_id, t->amount, dberr);
    return rc == LEDGER_OK || rc == LEDGER_DUPLICATE ? 0 : -1;
}

static int transfer_job(struct job *job, const char **errmsg)
{
    const char *id = jstr(job->payload, "transfer_id");
    struct db_error dberr = {0};
    struct db_stmt *st = id ? db_prepare(job->db, payments__sql(PAY_Q_TRANSFER_GET), &dberr) : NULL;
    if (st == NULL)
        return failed(job, errmsg, id ? dberr.msg : "no transfer id", NULL);
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, &dberr);
    struct transfer_done_tx t = {.id = id};
    const char *group = NULL, *status = "";
    if (rc == 1) {
        t.seller_id = arena_strdup(job->arena, db_column_text(st, 0));
        t.amount = db_column_i64(st, 1);
        t.currency = arena_strdup(job->arena, db_column_text(st, 2));
        group = db_column_is_null(st, 3) ? NULL : arena_strdup(job->arena, db_column_text(st, 3));
        status = arena_strdup(job->arena, db_column_text(st, 4));
    }
    db_reset(st);
    if (rc <= 0)
        return failed(job, errmsg, rc == 0 ? "no such transfer" : dberr.msg, NULL);
    if (strcmp(status, "pending") != 0)
        return 0;
    char dest[128];
    rc = payproc_seller_account(job->app, job->db, t.seller_id, dest, sizeof dest, &dberr);
    if (rc != 0)
        return failed(job, errmsg, rc > 0 ? "the seller has no active connected account" : dberr.msg, NULL);
    struct payproc_result r;
    if (payproc_get(job->app)->transfer(job->app, dest, t.amount, t.currency, group, id, &r) != 0) {
        if (r.retryable)
            return failed(job, errmsg, "transfer", &r);
        log_error("transfer refused: the amount stays in the seller's pending balance", "transfer=%s code=%s", id,
                  r.error_code);
        struct db_param p[] = {DB_TEXT(id), DB_TEXT(r.error_code), DB_I64(time_now_ms())};
        return db_exec(job->db, payments__sql(PAY_Q_TRANSFER_FAILED), p, 3, &dberr) < 0
                   ? failed(job, errmsg, dberr.msg, NULL)
                   : 0;
    }
    t.ref = r.ref;
    if (db_tx(job->db, 5, transfer_done, &t, &dberr) != 0)
        return failed(job, errmsg, dberr.msg, NULL);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Cancels
 */
struct cancel_tx {
    const char *id;
    const struct payproc_result *r;
};

static int late_success(struct db *db, void *arg, struct db_error *dberr)
{
    struct cancel_tx *t = arg;
    return payments__record_success(db, t->id, t->r, dberr) < 0 ? -1 : 0;
}

static int cancel_job(struct job *job, const char **errmsg)
{
    const char *id = jstr(job->payload, "intent_id");
    struct db_error dberr = {0};
    struct db_stmt *st = id ? db_prepare(job->db, payments__sql(PAY_Q_INTENT_STATUS), &dberr) : NULL;
    if (st == NULL)
        return failed(job, errmsg, id ? dberr.msg : "no intent id", NULL);
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, &dberr);
    const char *ref = rc == 1 && !db_column_is_null(st, 1) ? arena_strdup(job->arena, db_column_text(st, 1)) : NULL;
    db_reset(st);
    if (rc < 0)
        return failed(job, errmsg, dberr.msg, NULL);
    if (ref == NULL)
        return 0;
    const struct payproc_ops *ops = payproc_get(job->app);
    struct payproc_result r;
    if (ops->intent_cancel(job->app, ref, &r) == 0)
        return 0;
    if (r.retryable)
        return failed(job, errmsg, "cancel", &r);
    /* Refused: it may have succeeded meanwhile. Then the money is captured: record it (the hook returns it). */
    struct payproc_result g;
    if (ops->intent_get(job->app, ref, &g) == 0 && strcmp(g.status, "succeeded") == 0) {
        struct cancel_tx t = {id, &g};
        if (db_tx(job->db, 5, late_success, &t, &dberr) != 0)
            return failed(job, errmsg, dberr.msg, NULL);
    }
    return 0;
}

void payments__register_jobs(struct job_registry *r)
{
    jobs_register(r, PAY_JOB_REFUND, refund_job, REFUND_ATTEMPTS);
    jobs_register(r, PAY_JOB_TRANSFER, transfer_job, TRANSFER_ATTEMPTS);
    jobs_register(r, PAY_JOB_CANCEL, cancel_job, CANCEL_ATTEMPTS);
}
