/*
 * payouts_int.h — shared inside src/services/payouts only.
 *
 * Areas: payouts_routes.c (route table, module init), payouts_handlers.c
 * (GET /payouts, POST /payouts/request), payouts_jobs.c (the
 * payouts.process job, the Stripe payout webhooks, the settle step both
 * share), payouts_analytics.c (GET /sellers/:id/analytics), payouts_sql.c
 * (every statement).
 */
#ifndef ARTISTRY_SERVICES_PAYOUTS_INT_H
#define ARTISTRY_SERVICES_PAYOUTS_INT_H

#include <stdint.h>

#include "http/http.h"

struct db;
struct db_error;
struct job_registry;

enum payouts_query {
    PAYOUTS_Q_ACCOUNT_LOCK,
    PAYOUTS_Q_INSERT,
    PAYOUTS_Q_GET,
    PAYOUTS_Q_PAGE,
    PAYOUTS_Q_BALANCES,
    PAYOUTS_Q_IN_TRANSIT,
    PAYOUTS_Q_MARK_PROCESSING,
    PAYOUTS_Q_SET_REF,
    PAYOUTS_Q_SETTLE_PAID,
    PAYOUTS_Q_SETTLE_FAILED,
    PAYOUTS_Q_BY_REF,
    PAYOUTS_Q_SELLER_EXISTS,
    PAYOUTS_Q_AN_TOTALS,
    PAYOUTS_Q_AN_VIEWS,
    PAYOUTS_Q_AN_TOP,
    PAYOUTS_Q_AN_DAYS,
    PAYOUTS_Q__COUNT,
};

/** SQL text of a payouts statement (static storage). */
const char *payouts__sql(enum payouts_query q);

/** Columns read by payouts__payout_json, in this order. */
#define PAYOUTS_COLS                                                                                                  \
    "id, seller_id, amount, currency, status, provider, provider_ref, failure_reason, arrival_at, paid_at, "        \
    "created_at, updated_at"

/** Job kind: pay one payout out at the processor. Payload {"payout_id": "po_…"}. */
#define PAYOUTS_JOB_PROCESS "payouts.process"

/*-----------------------------------------------------------------------------
 * payouts_handlers.c
 */
int payouts_handle_list(struct request *req, struct app_error *err);
int payouts_handle_request(struct request *req, struct app_error *err);

/** Money as the API writes it: {"amount": minor units, "currency": currency} (new reference). */
json_t *payouts__money(int64_t amount, const char *currency);

/** The payout row at the statement's current row (PAYOUTS_COLS) as JSON (new reference). */
struct db_stmt;
json_t *payouts__payout_json(struct request *req, struct db_stmt *st);

/*-----------------------------------------------------------------------------
 * payouts_analytics.c
 */
int payouts_handle_analytics(struct request *req, struct app_error *err);

/*-----------------------------------------------------------------------------
 * payouts_jobs.c
 */
enum payouts_outcome { PAYOUTS_PAID, PAYOUTS_FAILED };

/**
 * Move a requested/processing payout to paid or failed inside tx, with its
 * ledger posting (payout paid: payouts → cash; failed: payouts → seller
 * available) and its event (payout.sent / payout.failed). ref is the
 * processor's payout id (NULL keeps the stored one), reason the failure
 * code. A payout already settled is left alone (returns 0): the job and
 * the webhook may both get here.
 */
int payouts__settle(struct db *tx, const char *payout_id, enum payouts_outcome outcome, const char *ref,
                    const char *reason, struct db_error *err);

/** Register the job kind and the "payout." webhook hook. */
void payouts__register(struct job_registry *r);

#endif
