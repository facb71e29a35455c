/*
 * payouts_jobs.c — paying a requested payout out: the payouts.process job,
 * the processor's payout webhooks, and the settle step both share.
 *
 * The job (at-least-once, like every job) calls the processor with the
 * payout id as idempotency key, so a retried job or a job re-run after a
 * kill -9 gets the same processor object back and never pays twice:
 *   paid at once (local processor)   settle paid in one transaction
 *   accepted, not final (Stripe)     store the processor id; the final
 *                                    status arrives as payout.paid /
 *                                    payout.failed / payout.canceled
 *   refused (not retryable)          settle failed: the money returns
 *   network, 429, 5xx                the job fails and is retried
 * Settling is one transaction: the conditional status update (only a
 * requested/processing payout moves), the ledger posting (paid: platform
 * payouts → cash; failed: platform payouts → seller available) with an
 * idempotency key per outcome, and the event. Whichever of the job and the
 * webhook comes second finds the payout settled and does nothing.
 *
 * Caveats: a payout the processor reports failed after it was reported
 * paid (Stripe can do this days later) is not reversed here: the payout is
 * already 'paid'; the event is logged for an operator.
 */
#include <string.h>

#include "app.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/events.h"
#include "platform/jobs.h"
#include "platform/ledger.h"
#include "platform/payproc.h"
#include "services/payments/payments.h"
#include "services/payouts/payouts_int.h"

#define PROCESS_MAX_ATTEMPTS 10

struct payout_row {
    char id[ID_MAX_LEN];
    char seller[ID_MAX_LEN];
    char currency[4];
    char status[16];
    int64_t amount;
};

/* 1 found, 0 not, -1 error. */
static int payout_load(struct db *db, const char *id, struct payout_row *p, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, payouts__sql(PAYOUTS_Q_GET), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, err);
    if (rc == 1) {
        snprintf(p->id, sizeof p->id, "%s", db_column_text(st, 0));
        snprintf(p->seller, sizeof p->seller, "%s", db_column_text(st, 1));
        p->amount = db_column_i64(st, 2);
        snprintf(p->currency, sizeof p->currency, "%s", db_column_text(st, 3));
        snprintf(p->status, sizeof p->status, "%s", db_column_text(st, 4));
    }
    db_reset(st);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Settle
 */
static int emit(struct db *tx, const struct payout_row *p, enum payouts_outcome outcome, const char *reason,
                struct db_error *err)
{
    json_t *data = json_pack("{s:s, s:s, s:{s:I, s:s}}", "payout_id", p->id, "seller_id", p->seller, "amount",
                             "amount", (json_int_t)p->amount, "currency", p->currency);
    if (reason != NULL)
        json_object_set_new(data, "reason", json_string(reason));
    int rc = events_emit(tx, outcome == PAYOUTS_PAID ? "payout.sent" : "payout.failed", data, err);
    json_decref(data);
    return rc;
}

int payouts__settle(struct db *tx, const char *payout_id, enum payouts_outcome outcome, const char *ref,
                    const char *reason, struct db_error *err)
{
    struct payout_row p;
    int rc = payout_load(tx, payout_id, &p, err);
    if (rc <= 0)
        return rc;
    int64_t now = time_now_ms();
    int64_t n;
    if (outcome == PAYOUTS_PAID) {
        struct db_param q[] = {DB_TEXT(payout_id), DB_TEXT(ref), DB_I64(now)};
        n = db_exec(tx, payouts__sql(PAYOUTS_Q_SETTLE_PAID), q, 3, err);
    } else {
        struct db_param q[] = {DB_TEXT(payout_id), DB_TEXT(ref), DB_TEXT(reason ? reason : "failed"), DB_I64(now)};
        n = db_exec(tx, payouts__sql(PAYOUTS_Q_SETTLE_FAILED), q, 4, err);
    }
    if (n <= 0)
        return (int)n; /* already settled: nothing to post */
    char idem[80];
    snprintf(idem, sizeof idem, "%s:%s", outcome == PAYOUTS_PAID ? "payout_paid" : "payout_failed", payout_id);
    struct ledger_ref lref = {.ref_type = "payout", .ref_id = payout_id, .idem_key = idem,
                              .description = outcome == PAYOUTS_PAID ? "payout paid" : "payout failed",
                              .currency = p.currency};
    int lr = outcome == PAYOUTS_PAID ? ledger_payout_paid(tx, &lref, p.amount, err)
                                     : ledger_payout_failed(tx, &lref, p.seller, p.amount, err);
    if (lr == LEDGER_ERR || lr == LEDGER_INVALID)
        return -1;
    return emit(tx, &p, outcome, reason, err);
}

struct settle_args {
    const char *id, *ref, *reason;
    enum payouts_outcome outcome;
};

static int settle_tx(struct db *tx, void *ctx, struct db_error *err)
{
    struct settle_args *a = ctx;
    return payouts__settle(tx, a->id, a->outcome, a->ref, a->reason, err);
}

/*-----------------------------------------------------------------------------
 * The job
 */
static int settle_now(struct job *job, struct settle_args *a, const char **errmsg)
{
    struct db_error err = {0};
    if (db_tx(job->db, 5, settle_tx, a, &err) != 0) {
        *errmsg = arena_sprintf(job->arena, "settle: %s", err.msg);
        return -1;
    }
    return 0;
}

static int process_job(struct job *job, const char **errmsg)
{
    const char *id = json_string_value(json_object_get(job->payload, "payout_id"));
    struct payout_row p;
    struct db_error err = {0};
    if (id == NULL) {
        *errmsg = "payload has no payout_id";
        return -1;
    }
    int rc = payout_load(job->db, id, &p, &err);
    if (rc <= 0) {
        *errmsg = rc == 0 ? "no such payout" : arena_sprintf(job->arena, "load: %s", err.msg);
        return rc == 0 ? 0 : -1; /* a payout that does not exist will not appear by retrying */
    }
    if (strcmp(p.status, "requested") != 0 && strcmp(p.status, "processing") != 0)
        return 0;
    struct db_param mp[] = {DB_TEXT(id), DB_I64(time_now_ms())};
    if (db_exec(job->db, payouts__sql(PAYOUTS_Q_MARK_PROCESSING), mp, 2, &err) < 0) {
        *errmsg = arena_sprintf(job->arena, "mark processing: %s", err.msg);
        return -1;
    }
    char dest[128];
    rc = payproc_seller_account(job->app, job->db, p.seller, dest, sizeof dest, &err);
    if (rc < 0) {
        *errmsg = arena_sprintf(job->arena, "payout account: %s", err.msg);
        return -1;
    }
    struct settle_args a = {.id = id, .outcome = PAYOUTS_FAILED, .reason = "no_payout_account"};
    if (rc == 1)
        return settle_now(job, &a, errmsg);
    struct payproc_result r = {0};
    payproc_get(job->app)->payout(job->app, dest, p.amount, p.currency, id, &r);
    a.ref = r.ref[0] ? arena_strdup(job->arena, r.ref) : NULL;
    if (r.ok && strcmp(r.status, "paid") == 0) {
        a.outcome = PAYOUTS_PAID;
        a.reason = NULL;
        return settle_now(job, &a, errmsg);
    }
    if (r.ok) { /* accepted; the webhook settles it */
        struct db_param sp[] = {DB_TEXT(id), DB_TEXT(a.ref), DB_NULL, DB_I64(time_now_ms())};
        if (a.ref != NULL && db_exec(job->db, payouts__sql(PAYOUTS_Q_SET_REF), sp, 4, &err) < 0) {
            *errmsg = arena_sprintf(job->arena, "store ref: %s", err.msg);
            return -1;
        }
        return 0;
    }
    if (r.retryable) {
        *errmsg = arena_sprintf(job->arena, "processor: %s %s", r.error_code, r.error_message);
        return -1;
    }
    a.reason = arena_strdup(job->arena, r.error_code[0] ? r.error_code : "payout_failed");
    log_info("payout refused by the processor", "payout=%s code=%s", id, a.reason);
    return settle_now(job, &a, errmsg);
}

/*-----------------------------------------------------------------------------
 * Webhooks: payout.paid, payout.failed, payout.canceled (others ignored)
 */
static int on_payout_event(struct db *tx, const char *type, json_t *object, struct db_error *err)
{
    const char *ref = json_string_value(json_object_get(object, "id"));
    enum payouts_outcome outcome;
    const char *reason = NULL;
    if (strcmp(type, "payout.paid") == 0) {
        outcome = PAYOUTS_PAID;
    } else if (strcmp(type, "payout.failed") == 0 || strcmp(type, "payout.canceled") == 0) {
        outcome = PAYOUTS_FAILED;
        reason = json_string_value(json_object_get(object, "failure_code"));
        if (reason == NULL)
            reason = strcmp(type, "payout.canceled") == 0 ? "canceled" : "failed";
    } else {
        return 0;
    }
    if (ref == NULL)
        return 0;
    struct db_stmt *st = db_prepare(tx, payouts__sql(PAYOUTS_Q_BY_REF), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(ref));
    char id[ID_MAX_LEN] = "";
    int rc = db_step(st, err);
    if (rc == 1)
        snprintf(id, sizeof id, "%s", db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        log_warn("payout webhook for an unknown payout", "type=%s ref=%s", type, ref);
        return 0;
    }
    return payouts__settle(tx, id, outcome, ref, reason, err);
}

void payouts__register(struct job_registry *r)
{
    jobs_register(r, PAYOUTS_JOB_PROCESS, process_job, PROCESS_MAX_ATTEMPTS);
    payments_on_webhook("payout.", on_payout_event);
}
