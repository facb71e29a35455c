/*
 * payments.h — the payments service: payment intents, confirmation, the
 * Stripe webhook, refunds and transfers (see README.md in this directory).
 *
 * Endpoints (under /api/v1):
 *   POST /payments/create-intent     (buyer) the processor-side intent for a checkout or a milestone
 *   POST /payments/confirm           (buyer) confirm with a payment method (test card, pm_…)
 *   GET  /payments/:id               (buyer, the sellers paid by it, admin) one intent
 *   POST /refunds                    (seller of the order, admin) full or partial refund
 *   POST /payments/webhooks/stripe   Stripe events, Stripe-Signature verified
 *
 * Other services use the functions below inside their own transactions.
 * Money movements themselves are posted with platform/ledger.h.
 */
#ifndef ARTISTRY_SERVICES_PAYMENTS_H
#define ARTISTRY_SERVICES_PAYMENTS_H

#include <stdint.h>

#include "base/ids.h"
#include "http/http.h"

extern const struct service_module payments_module;

struct db;
struct db_error;

/** A new intent: purpose "checkout" (ref_id: checkouts.id) or "milestone" (ref_id: milestones.id). */
struct payments_intent_req {
    const char *buyer_id;
    const char *purpose;
    const char *ref_id;
    int64_t amount;
    const char *currency;
};

/**
 * Insert a payment intent (status requires_payment_method) inside the
 * caller's transaction. The processor-side intent is made later, outside
 * any transaction (create-intent or confirm), with our id as its
 * idempotency key. 0 or -1.
 */
int payments_intent_create(struct db *tx, const struct payments_intent_req *req, char id_out[ID_MAX_LEN],
                           struct db_error *err);

/**
 * Cancel an intent that has not succeeded (checkout expired or cancelled),
 * inside the caller's transaction; the processor-side cancel is a job.
 * Returns 0 (canceled or already canceled), 1 (it already succeeded: the
 * caller must treat the money as captured), -1 on a database error.
 */
int payments_intent_cancel(struct db *tx, const char *intent_id, struct db_error *err);

/** What a purpose's hook sees of an intent that just succeeded. */
struct payments_succeeded {
    const char *intent_id;
    const char *payment_id; /* payments.id of the successful charge */
    const char *purpose;
    const char *ref_id;     /* checkout or milestone id */
    const char *buyer_id;
    int64_t amount;
    const char *currency;
};

/**
 * The owner of a purpose registers what happens when its intent succeeds.
 * Called inside the transaction that records the success, after the ledger
 * capture (cash → buyer funds) is posted. The hook must hold the money
 * (escrow_hold) or give it back (ledger_refund_unallocated +
 * payments_refund_request), and move its own state. Return 0, or -1 to
 * roll everything back (the processor's success is then retried).
 * Register at module init.
 */
typedef int (*payments_succeeded_fn)(struct db *tx, const struct payments_succeeded *s, struct db_error *err);
void payments_on_succeeded(const char *purpose, payments_succeeded_fn fn);

/** A refund to make at the processor. The ledger posting is the caller's (escrow_refund). */
struct payments_refund_req {
    const char *payment_id;   /* the charge refunded */
    int64_t amount;
    const char *currency;
    const char *reason;       /* refunds.reason values, NULL: requested_by_customer */
    const char *order_id;     /* at most one of order_id and milestone_id */
    const char *milestone_id;
    const char *dispute_id;   /* NULL unless a dispute decided it */
    const char *actor_id;     /* NULL: the system */
    const char *reverse_transfer_id; /* transfers.id to reverse (refund after release), or NULL */
    int64_t reverse_amount;   /* how much of that transfer to reverse */
};

/**
 * Record a refund (status pending) and enqueue the processor call, inside
 * the caller's transaction. Never more than captured: payments.refunded_amount
 * grows by a conditional update, so a refund that would exceed the charge
 * returns 1 and writes nothing. 0, 1, or -1 on a database error.
 */
int payments_refund_request(struct db *tx, const struct payments_refund_req *req, char id_out[ID_MAX_LEN],
                            struct db_error *err);

/** A transfer of a seller's share (after escrow release) to the seller's connected account. */
struct payments_transfer_req {
    const char *seller_id;
    const char *order_id;     /* exactly one of order_id and milestone_id */
    const char *milestone_id;
    int64_t amount;           /* net of fee_amount */
    int64_t fee_amount;
    const char *currency;
    const char *transfer_group; /* checkout id or milestone id */
};

/**
 * Record a transfer (pending) and enqueue the processor call, inside the
 * caller's transaction. When the processor accepts it, the job posts
 * ledger_transfer (seller pending → available) and marks it succeeded.
 * 0 or -1.
 */
int payments_transfer_request(struct db *tx, const struct payments_transfer_req *req, char id_out[ID_MAX_LEN],
                              struct db_error *err);

/**
 * Other services react to processor webhook events they own (payout.paid,
 * payout.failed…): fn is called with the verified, deduplicated event's
 * data.object, inside a transaction on db that also marks the event
 * processed. Return 0, or -1 to roll back (the event stays unprocessed and
 * the processor's retry delivers it again). prefix matches the event type's
 * start ("payout."). Register at module init.
 */
typedef int (*payments_webhook_fn)(struct db *tx, const char *type, json_t *object, struct db_error *err);
void payments_on_webhook(const char *prefix, payments_webhook_fn fn);

#endif
