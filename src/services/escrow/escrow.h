/*
 * escrow.h — money held for an order (until delivery is confirmed) or a
 * milestone (until the buyer approves), its release to the seller, refunds
 * from it, and disputes over it (see README.md in this directory).
 *
 * Endpoints (under /api/v1):
 *   POST /escrow/create                (buyer) fund a milestone: its payment intent
 *   GET  /escrow/:id                   (buyer, seller, admin) one escrow with its history
 *   POST /escrow/:id/release           (buyer) approve: release to the seller
 *   POST /escrow/:id/dispute           (buyer or seller) open a dispute; the money stays held
 *   GET  /disputes                     (admin: all; others: their own) filter by status
 *   POST /disputes/:id/resolve         (admin) release, refund, or split
 *
 * Every function runs inside the caller's transaction and posts its money
 * movement with platform/ledger.h in that same transaction.
 */
#ifndef ARTISTRY_SERVICES_ESCROW_H
#define ARTISTRY_SERVICES_ESCROW_H

#include <stdint.h>

#include "base/ids.h"
#include "http/http.h"

extern const struct service_module escrow_module;

struct db;
struct db_error;

struct escrow_hold_req {
    const char *order_id;       /* exactly one of order_id and milestone_id */
    const char *milestone_id;
    const char *payment_intent_id;
    const char *payment_id;     /* the charge the money came from (refunds go back to it) */
    const char *buyer_id;
    const char *seller_id;
    int64_t amount;
    const char *currency;
    int commission_bps;         /* fixed at the time of sale */
    const char *transfer_group; /* checkout id or milestone id */
};

/** Create the escrow and post the hold (buyer funds → escrow). 0 or -1. */
int escrow_hold(struct db *tx, const struct escrow_hold_req *req, char id_out[ID_MAX_LEN], struct db_error *err);

/**
 * Release what is still held (gross) to the seller, less the commission
 * (ledger_release), and request the transfer (payments_transfer_request).
 * Returns 0, 1 when the escrow is not releasable (not held: disputed,
 * released, refunded), -1 on a database error.
 */
int escrow_release(struct db *tx, const char *escrow_id, const char *actor_id, struct db_error *err);

/**
 * Refund amount to the buyer from an escrow: from what is held first
 * (ledger_refund_held), and beyond that as a reversal of the transfer
 * (ledger_reversal: seller share and fee share), then
 * payments_refund_request. Returns 0, 1 when amount exceeds what is left to
 * refund, -1 on a database error. refund_id_out may be NULL.
 */
int escrow_refund(struct db *tx, const char *escrow_id, int64_t amount, const char *reason, const char *dispute_id,
                  const char *actor_id, char *refund_id_out, struct db_error *err);

/** The escrow of an order or a milestone (one of them non-NULL). 1 found, 0 none, -1 error. */
int escrow_find(struct db *db, const char *order_id, const char *milestone_id, char id_out[ID_MAX_LEN],
                struct db_error *err);

/** What an owner's hook sees after an escrow moved. */
struct escrow_event {
    const char *escrow_id;
    const char *order_id;     /* one of these two */
    const char *milestone_id;
    const char *what;         /* "released", "refunded", "disputed", "resolved" */
    int64_t amount;           /* the amount of this movement */
    int64_t refunded_total;   /* escrow.refunded_amount after it */
    int64_t released_total;   /* escrow.released_amount after it */
    const char *actor_id;
};

/**
 * Owners ("order" or "milestone") register a hook called inside the same
 * transaction after every movement, to move their own state (an order
 * becomes completed or refunded, a milestone released or refunded). Return
 * 0, or -1 to roll back. Register at module init.
 */
typedef int (*escrow_event_fn)(struct db *tx, const struct escrow_event *ev, struct db_error *err);
void escrow_on_event(const char *owner, escrow_event_fn fn);

#endif
