/*
 * payments_int.h — shared inside src/services/payments only.
 *
 * Areas: payments_core.c (the public functions of payments.h, the hook
 * registries, recording a success once), payments_handlers.c (create-intent,
 * confirm, authenticate, GET), payments_refunds.c (POST /refunds),
 * payments_webhook.c (the Stripe webhook), payments_jobs.c (processor calls
 * for refunds, transfers and cancels), payments_sql.c (every statement).
 */
#ifndef ARTISTRY_SERVICES_PAYMENTS_INT_H
#define ARTISTRY_SERVICES_PAYMENTS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"
#include "platform/payproc.h"

struct db;
struct db_error;
struct job_registry;

enum payments_query {
    PAY_Q_INTENT_INSERT,
    PAY_Q_INTENT_CANCEL,
    PAY_Q_INTENT_STATUS,
    PAY_Q_INTENT_MINE,
    PAY_Q_INTENT_BY_ID,
    PAY_Q_INTENT_SET_REF,
    PAY_Q_INTENT_SET_STATUS,
    PAY_Q_INTENT_SUCCEED,
    PAY_Q_INTENT_FOR_EVENT,
    PAY_Q_INTENT_VISIBLE,
    PAY_Q_PAYMENT_INSERT,
    PAY_Q_PAYMENTS_OF_INTENT,
    PAY_Q_REFUNDS_OF_INTENT,
    PAY_Q_PAYMENT_REFUND_ADD,
    PAY_Q_REFUND_INSERT,
    PAY_Q_REFUND_GET,
    PAY_Q_REFUND_DONE,
    PAY_Q_REFUND_FROM_EVENT,
    PAY_Q_REFUND_ROW,
    PAY_Q_TRANSFER_INSERT,
    PAY_Q_TRANSFER_GET,
    PAY_Q_TRANSFER_DONE,
    PAY_Q_TRANSFER_FAILED,
    PAY_Q_TRANSFER_REVERSE_ADD,
    PAY_Q_WEBHOOK_INSERT,
    PAY_Q_WEBHOOK_CLAIM,
    PAY_Q_WEBHOOK_FAILED,
    PAY_Q_WEBHOOK_IGNORED,
    PAY_Q_ORDER_REFUNDER,
    PAY_Q_MILESTONE_REFUNDER,
    PAY_Q_ESCROW_LEFT,
    PAY_Q__COUNT,
};

/** SQL text of a payments statement (static storage: usable as a cache key). */
const char *payments__sql(enum payments_query q);

/* Job kinds. */
#define PAY_JOB_REFUND "payments.refund"
#define PAY_JOB_TRANSFER "payments.transfer"
#define PAY_JOB_CANCEL "payments.intent_cancel"

/*-----------------------------------------------------------------------------
 * payments_core.c
 */

/** The provider name recorded on new rows ("local" or "stripe"), set at init. */
void payments__set_provider(const char *name);
const char *payments__provider(void);

/**
 * Record that intent_id succeeded at the processor (r: its answer, for the
 * card details), once: the conditional status update, the payments row,
 * ledger_capture ("capture:<intent id>") and the purpose's hook, on tx.
 * Returns 0 when this call recorded it, 1 when it was already recorded,
 * -1 on a database error (or a hook's failure).
 */
int payments__record_success(struct db *tx, const char *intent_id, const struct payproc_result *r,
                             struct db_error *err);

/**
 * A failed attempt: the intent back to requires_payment_method (unless it
 * succeeded or was canceled meanwhile) with the error, and a failed
 * payments row. 0 or -1.
 */
int payments__record_failure(struct db *tx, const char *intent_id, const struct payproc_result *r,
                             struct db_error *err);

/** Run the webhook hook registered for type's prefix; 1 when none matched, else its result (0 or -1). */
int payments__webhook_hook(struct db *tx, const char *type, json_t *object, struct db_error *err);

/*-----------------------------------------------------------------------------
 * Handlers and jobs
 */
int payments_handle_create_intent(struct request *req, struct app_error *err);
int payments_handle_confirm(struct request *req, struct app_error *err);
int payments_handle_authenticate(struct request *req, struct app_error *err);
int payments_handle_get(struct request *req, struct app_error *err);
int payments_handle_refund(struct request *req, struct app_error *err);
int payments_handle_stripe_webhook(struct request *req, struct app_error *err);

void payments__register_jobs(struct job_registry *r);

/** Map a processor refusal to an app error (402 card problems, 502 upstream). Returns -1. */
int payments__processor_error(struct request *req, const struct payproc_result *r, struct app_error *err);

/** 409 invalid_state_transition naming the status and what is allowed from it. Returns -1. */
int payments__bad_state(struct request *req, const char *action, const char *status, struct app_error *err);

#endif
