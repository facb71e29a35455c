/*
 * payments_sql.c — every SQL statement of the payments service.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters; a parameter
 * that may be NULL is CAST on first use so PostgreSQL knows its type).
 *
 * Money guards are conditional updates: an intent succeeds once
 * (status <> 'succeeded'), a charge is never refunded past its amount
 * (refunded_amount + $2 <= amount), a transfer never reversed past its own.
 */
#include "services/payments/payments_int.h"

#define INTENT_COLS                                                                                                   \
    "id, provider, provider_ref, purpose, COALESCE(checkout_id, milestone_id), amount, currency, status, "            \
    "transfer_group, buyer_id, last_error_code, last_error_message, created_at, succeeded_at, canceled_at"

static const char *const sql[PAY_Q__COUNT] = {
    [PAY_Q_INTENT_INSERT] =
        "INSERT INTO payment_intents (id, provider, buyer_id, purpose, checkout_id, milestone_id, amount, currency, "
        "status, transfer_group, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'requires_payment_method', $9, $10, $10)",
    [PAY_Q_INTENT_CANCEL] = "UPDATE payment_intents SET status = 'canceled', canceled_at = $2, updated_at = $2 "
                            "WHERE id = $1 AND status NOT IN ('succeeded', 'canceled')",
    [PAY_Q_INTENT_STATUS] = "SELECT status, provider_ref FROM payment_intents WHERE id = $1",
    [PAY_Q_INTENT_MINE] = "SELECT " INTENT_COLS " FROM payment_intents WHERE id = $1 AND buyer_id = $2",
    [PAY_Q_INTENT_BY_ID] = "SELECT " INTENT_COLS " FROM payment_intents WHERE id = $1",
    [PAY_Q_INTENT_SET_REF] = "UPDATE payment_intents SET provider_ref = $2, "
                             "client_secret_hash = COALESCE(CAST($3 AS TEXT), client_secret_hash), updated_at = $4 "
                             "WHERE id = $1 AND (provider_ref IS NULL OR provider_ref = $2)",
    /* A step that is not final: never over a success or a cancel (events arrive out of order). */
    [PAY_Q_INTENT_SET_STATUS] =
        "UPDATE payment_intents SET status = $2, last_error_code = CAST($3 AS TEXT), "
        "last_error_message = CAST($4 AS TEXT), updated_at = $5 "
        "WHERE id = $1 AND status NOT IN ('succeeded', 'canceled')",
    /* The one gate of a success: only the caller that changes the row records it. */
    [PAY_Q_INTENT_SUCCEED] = "UPDATE payment_intents SET status = 'succeeded', succeeded_at = $2, updated_at = $2, "
                             "last_error_code = NULL, last_error_message = NULL "
                             "WHERE id = $1 AND status <> 'succeeded'",
    /* A Stripe event's intent: by its id, or by our id in metadata when the create answer was lost. */
    [PAY_Q_INTENT_FOR_EVENT] = "SELECT id, amount, currency, provider_ref FROM payment_intents "
                               "WHERE provider = 'stripe' AND (provider_ref = $1 OR "
                               "(provider_ref IS NULL AND id = CAST($2 AS TEXT)))",
    /* The buyer, an admin ($3 = 1), or a seller paid by it. */
    [PAY_Q_INTENT_VISIBLE] =
        "SELECT " INTENT_COLS " FROM payment_intents pi WHERE pi.id = $1 AND (pi.buyer_id = $2 "
        "OR CAST($3 AS BIGINT) = 1 "
        "OR EXISTS (SELECT 1 FROM orders o WHERE o.checkout_id = pi.checkout_id AND o.seller_id = $2) "
        "OR EXISTS (SELECT 1 FROM milestones m JOIN custom_orders c ON c.id = m.custom_order_id "
        "WHERE m.id = pi.milestone_id AND c.seller_id = $2))",
    [PAY_Q_PAYMENT_INSERT] =
        "INSERT INTO payments (id, payment_intent_id, provider, provider_ref, amount, currency, status, card_brand, "
        "card_last4, failure_code, failure_message, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    [PAY_Q_PAYMENTS_OF_INTENT] = "SELECT id, status, amount, refunded_amount, currency, card_brand, card_last4, "
                                 "failure_code, created_at FROM payments WHERE payment_intent_id = $1 "
                                 "ORDER BY created_at, id",
    [PAY_Q_REFUNDS_OF_INTENT] = "SELECT r.id, r.amount, r.currency, r.status, r.reason, r.order_id, r.milestone_id, "
                                "r.created_at FROM refunds r JOIN payments p ON p.id = r.payment_id "
                                "WHERE p.payment_intent_id = $1 ORDER BY r.created_at, r.id",
    [PAY_Q_PAYMENT_REFUND_ADD] = "UPDATE payments SET refunded_amount = refunded_amount + $2, updated_at = $3 "
                                 "WHERE id = $1 AND status = 'succeeded' AND refunded_amount + $2 <= amount",
    [PAY_Q_REFUND_INSERT] =
        "INSERT INTO refunds (id, payment_id, order_id, milestone_id, dispute_id, amount, currency, reason, status, "
        "requested_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $10)",
    [PAY_Q_REFUND_GET] = "SELECT r.amount, r.currency, r.reason, r.status, p.provider, pi.provider_ref "
                         "FROM refunds r JOIN payments p ON p.id = r.payment_id "
                         "JOIN payment_intents pi ON pi.id = p.payment_intent_id WHERE r.id = $1",
    /* The processor accepted it: keep its id; a webhook may have settled the status first. */
    [PAY_Q_REFUND_DONE] = "UPDATE refunds SET provider_ref = $3, failure_reason = CAST($4 AS TEXT), "
                          "status = CASE WHEN status = 'pending' THEN $2 ELSE status END, updated_at = $5 "
                          "WHERE id = $1",
    [PAY_Q_REFUND_FROM_EVENT] = "UPDATE refunds SET status = $2, failure_reason = CAST($3 AS TEXT), updated_at = $4 "
                                "WHERE (provider_ref = $1 OR id = CAST($5 AS TEXT)) AND status = 'pending'",
    [PAY_Q_REFUND_ROW] = "SELECT id, amount, currency, status, reason, order_id, milestone_id, payment_id, created_at "
                         "FROM refunds WHERE id = $1",
    [PAY_Q_TRANSFER_INSERT] =
        "INSERT INTO transfers (id, seller_id, order_id, milestone_id, amount, fee_amount, currency, status, "
        "provider, transfer_group, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    [PAY_Q_TRANSFER_GET] = "SELECT seller_id, amount, currency, transfer_group, status, provider_ref, order_id, "
                           "milestone_id FROM transfers WHERE id = $1",
    [PAY_Q_TRANSFER_DONE] =
        "UPDATE transfers SET provider_ref = $2, updated_at = $3, status = CASE WHEN reversed_amount = 0 "
        "THEN 'succeeded' WHEN reversed_amount = amount THEN 'reversed' ELSE 'partially_reversed' END "
        "WHERE id = $1 AND status = 'pending'",
    [PAY_Q_TRANSFER_FAILED] = "UPDATE transfers SET status = 'failed', failure_reason = $2, updated_at = $3 "
                              "WHERE id = $1 AND status = 'pending'",
    /* A pending transfer stays pending (the job sends it whole, then the refund job reverses). */
    [PAY_Q_TRANSFER_REVERSE_ADD] =
        "UPDATE transfers SET reversed_amount = reversed_amount + $2, updated_at = $3, status = CASE "
        "WHEN status = 'pending' THEN 'pending' WHEN reversed_amount + $2 = amount THEN 'reversed' "
        "ELSE 'partially_reversed' END WHERE id = $1 AND reversed_amount + $2 <= amount",
    [PAY_Q_WEBHOOK_INSERT] =
        "INSERT INTO webhook_events_in (id, provider, event_id, type, payload, status, received_at) "
        "VALUES ($1, 'stripe', $2, $3, $4, 'received', $5) ON CONFLICT (provider, event_id) DO NOTHING",
    /* Taken by one transaction only: a concurrent duplicate waits and then finds it done. */
    [PAY_Q_WEBHOOK_CLAIM] = "UPDATE webhook_events_in SET status = $2, processed_at = $3, attempts = attempts + 1, "
                            "last_error = NULL WHERE provider = 'stripe' AND event_id = $1 "
                            "AND status IN ('received', 'failed')",
    [PAY_Q_WEBHOOK_FAILED] = "UPDATE webhook_events_in SET status = 'failed', attempts = attempts + 1, "
                             "last_error = $2 WHERE provider = 'stripe' AND event_id = $1 "
                             "AND status IN ('received', 'failed')",
    [PAY_Q_WEBHOOK_IGNORED] = "UPDATE webhook_events_in SET status = 'ignored' WHERE provider = 'stripe' "
                              "AND event_id = $1",
    [PAY_Q_ORDER_REFUNDER] = "SELECT id FROM orders WHERE id = $1 AND (seller_id = $2 OR CAST($3 AS BIGINT) = 1)",
    [PAY_Q_MILESTONE_REFUNDER] = "SELECT m.id FROM milestones m JOIN custom_orders c ON c.id = m.custom_order_id "
                                 "WHERE m.id = $1 AND (c.seller_id = $2 OR CAST($3 AS BIGINT) = 1)",
    [PAY_Q_ESCROW_LEFT] = "SELECT amount - refunded_amount FROM escrows WHERE id = $1",
};

const char *payments__sql(enum payments_query q)
{
    return sql[q];
}
