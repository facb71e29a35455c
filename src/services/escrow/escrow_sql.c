/*
 * escrow_sql.c — every SQL statement of the escrow service.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters; a parameter
 * that may be NULL is first written CAST($n AS T)).
 *
 * Money columns only move by increments guarded by the value the caller
 * read under the row lock (SET_RELEASED checks the held amount, SET_REFUNDED
 * the refunded amount), so a write that raced past the lock changes nothing
 * and the caller rolls back.
 *
 * Caveats: ESCROW_Q_ORDER_STATUS reads orders.status, owned by the orders
 * service, because orders.h offers no such function: a dispute on an
 * order's escrow is allowed only while the order is shipped or delivered.
 */
#include "services/escrow/escrow_int.h"

/* Column order read by escrow_money.c load_row(). */
#define ESCROW_COLS                                                                                                   \
    "id, order_id, milestone_id, payment_intent_id, payment_id, buyer_id, seller_id, transfer_group, transfer_id, "   \
    "currency, status, amount, released_amount, refunded_amount, fee_amount, fee_reversed_amount, reversed_amount, "  \
    "commission_bps, auto_release_at, released_at, created_at, updated_at"

/* Column order read by escrow_disputes.c write_dispute(). */
#define DISPUTE_COLS                                                                                                  \
    "id, escrow_id, order_id, milestone_id, opened_by, buyer_id, seller_id, reason, description, status, "            \
    "resolution, buyer_amount, seller_amount, currency, resolved_by, resolution_note, resolved_at, created_at, "      \
    "updated_at"

static const char *const sql[ESCROW_Q__COUNT] = {
    [ESCROW_Q_INSERT] = "INSERT INTO escrows (id, order_id, milestone_id, payment_intent_id, payment_id, buyer_id, "
                        "seller_id, amount, currency, status, commission_bps, transfer_group, created_at, updated_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'held', $10, $11, $12, $12)",
    [ESCROW_Q_LOCK] = "SELECT " ESCROW_COLS " FROM escrows WHERE id = $1 FOR UPDATE",
    [ESCROW_Q_GET] = "SELECT " ESCROW_COLS " FROM escrows WHERE id = $1",
    [ESCROW_Q_FIND_ORDER] = "SELECT id FROM escrows WHERE order_id = $1",
    [ESCROW_Q_FIND_MILESTONE] = "SELECT id FROM escrows WHERE milestone_id = $1",
    /* $2 gross released (must be all that is held), $3 fee, $4 new status, $5 transfer, $6 now. */
    [ESCROW_Q_SET_RELEASED] =
        "UPDATE escrows SET released_amount = released_amount + CAST($2 AS BIGINT), fee_amount = fee_amount + "
        "CAST($3 AS BIGINT), status = $4, transfer_id = CAST($5 AS TEXT), released_at = $6, updated_at = $6 "
        "WHERE id = $1 AND status IN ('held', 'disputed') AND amount - released_amount - refunded_amount = $2",
    /* $2 refunded, $3 of it reversed after release, $4 fee share given back, $5 status, $6 now, $7 refunded before. */
    [ESCROW_Q_SET_REFUNDED] =
        "UPDATE escrows SET refunded_amount = refunded_amount + CAST($2 AS BIGINT), released_amount = "
        "released_amount - CAST($3 AS BIGINT), reversed_amount = reversed_amount + $3, fee_reversed_amount = "
        "fee_reversed_amount + CAST($4 AS BIGINT), status = $5, updated_at = $6 WHERE id = $1 AND refunded_amount = $7",
    [ESCROW_Q_SET_STATUS] = "UPDATE escrows SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2",
    [ESCROW_Q_HISTORY_INSERT] =
        "INSERT INTO escrow_history (id, escrow_id, action, amount, fee_amount, status_after, actor_id, ref_id, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [ESCROW_Q_HISTORY_LIST] = "SELECT action, amount, fee_amount, status_after, actor_id, ref_id, created_at "
                              "FROM escrow_history WHERE escrow_id = $1 ORDER BY created_at, id",
    [ESCROW_Q_ORDER_STATUS] = "SELECT status FROM orders WHERE id = $1",

    /*-------------------------------------------------------------------------
     * Disputes
     */
    [ESCROW_Q_DISPUTE_INSERT] =
        "INSERT INTO disputes (id, order_id, milestone_id, escrow_id, opened_by, buyer_id, seller_id, reason, "
        "description, status, currency, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $11)",
    [ESCROW_Q_DISPUTE_LOCK] = "SELECT " DISPUTE_COLS " FROM disputes WHERE id = $1 FOR UPDATE",
    [ESCROW_Q_DISPUTE_OPEN_OF_ESCROW] = "SELECT id FROM disputes WHERE escrow_id = $1 "
                                        "AND status IN ('open', 'under_review')",
    /* $2 resolution, $3 buyer amount, $4 seller amount, $5 admin, $6 note, $7 now. */
    [ESCROW_Q_DISPUTE_RESOLVE] =
        "UPDATE disputes SET status = 'resolved', resolution = $2, buyer_amount = $3, seller_amount = $4, "
        "resolved_by = $5, resolution_note = $6, resolved_at = $7, updated_at = $7 "
        "WHERE id = $1 AND status IN ('open', 'under_review')",
    /* $2 = 1: an admin sees any dispute; others one they are a party to ($3). */
    [ESCROW_Q_DISPUTE_GET] = "SELECT " DISPUTE_COLS " FROM disputes WHERE id = $1 "
                             "AND (CAST($2 AS BIGINT) = 1 OR buyer_id = $3 OR seller_id = $3)",
    /* $1 admin flag, $2 caller, $3 status filter, $4/$5 cursor (created_at, id), $6 limit. Newest first. */
    [ESCROW_Q_DISPUTE_LIST] =
        "SELECT " DISPUTE_COLS " FROM disputes WHERE (CAST($1 AS BIGINT) = 1 OR buyer_id = $2 OR seller_id = $2) "
        "AND (CAST($3 AS TEXT) IS NULL OR status = $3) "
        "AND (CAST($4 AS BIGINT) IS NULL OR created_at < $4 OR (created_at = $4 AND id < CAST($5 AS TEXT))) "
        "ORDER BY created_at DESC, id DESC LIMIT $6",
};

const char *escrow__sql(enum escrow_query q)
{
    return sql[q];
}
