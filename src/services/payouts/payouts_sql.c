/*
 * payouts_sql.c — every SQL statement of the payouts service.
 *
 * Same text on SQLite and PostgreSQL. "FOR UPDATE" locks the seller's
 * available-balance row on PostgreSQL; SQLite drops the clause and
 * serialises writers with BEGIN IMMEDIATE, which is stronger.
 *
 * Analytics ranges are half-open, [from, to) in epoch ms; an order counts
 * when it was paid in the range (orders.paid_at), whatever happened to it
 * afterwards; revenue is net of what was refunded on it since.
 */
#include "services/payouts/payouts_int.h"

/* Orders that were paid: every status an order reaches after payment. */
#define PAID_ORDER "o.seller_id = $1 AND o.currency = $4 AND o.paid_at IS NOT NULL AND o.paid_at >= $2 AND o.paid_at < $3"

static const char *const sql[PAYOUTS_Q__COUNT] = {
    [PAYOUTS_Q_ACCOUNT_LOCK] = "SELECT balance FROM ledger_accounts WHERE code = $1 FOR UPDATE",
    [PAYOUTS_Q_INSERT] = "INSERT INTO payouts (id, seller_id, amount, currency, status, provider, created_at, "
                         "updated_at) VALUES ($1, $2, $3, $4, 'requested', $5, $6, $6)",
    [PAYOUTS_Q_GET] = "SELECT " PAYOUTS_COLS " FROM payouts WHERE id = $1",
    /* Newest first; $2/$3 the cursor's created_at and id (NULL: first page), $4 the page size + 1. */
    [PAYOUTS_Q_PAGE] = "SELECT " PAYOUTS_COLS " FROM payouts WHERE seller_id = $1 AND (CAST($2 AS BIGINT) IS NULL "
                       "OR created_at < $2 OR (created_at = $2 AND id < CAST($3 AS TEXT))) "
                       "ORDER BY created_at DESC, id DESC LIMIT $4",
    [PAYOUTS_Q_BALANCES] = "SELECT code, currency, balance FROM ledger_accounts WHERE owner_id = $1 "
                           "AND substr(code, 1, 7) = 'seller:' ORDER BY currency, code",
    [PAYOUTS_Q_IN_TRANSIT] = "SELECT currency, SUM(amount) FROM payouts WHERE seller_id = $1 "
                             "AND status IN ('requested', 'processing') GROUP BY currency",
    [PAYOUTS_Q_MARK_PROCESSING] =
        "UPDATE payouts SET status = 'processing', updated_at = $2 WHERE id = $1 AND status = 'requested'",
    [PAYOUTS_Q_SET_REF] = "UPDATE payouts SET provider_ref = $2, arrival_at = CAST($3 AS BIGINT), updated_at = $4 "
                          "WHERE id = $1 AND status IN ('requested', 'processing')",
    [PAYOUTS_Q_SETTLE_PAID] =
        "UPDATE payouts SET status = 'paid', provider_ref = COALESCE(CAST($2 AS TEXT), provider_ref), "
        "paid_at = $3, updated_at = $3 WHERE id = $1 AND status IN ('requested', 'processing')",
    [PAYOUTS_Q_SETTLE_FAILED] =
        "UPDATE payouts SET status = 'failed', provider_ref = COALESCE(CAST($2 AS TEXT), provider_ref), "
        "failure_reason = $3, updated_at = $4 WHERE id = $1 AND status IN ('requested', 'processing')",
    [PAYOUTS_Q_BY_REF] = "SELECT id FROM payouts WHERE provider_ref = $1",
    [PAYOUTS_Q_SELLER_EXISTS] = "SELECT 1 FROM users WHERE id = $1 AND role IN ('seller', 'admin')",
    /* Orders paid in range: count, gross, refunded. */
    [PAYOUTS_Q_AN_TOTALS] = "SELECT COUNT(*), COALESCE(SUM(o.total_amount), 0), COALESCE(SUM(o.refunded_amount), 0) "
                            "FROM orders o WHERE " PAID_ORDER,
    /* Product views of the seller's products on the UTC days overlapping the range ($2 floored to its day). */
    [PAYOUTS_Q_AN_VIEWS] = "SELECT COALESCE(SUM(v.view_count), 0) FROM product_views v "
                           "JOIN products p ON p.id = v.product_id "
                           "WHERE p.seller_id = $1 AND v.day_at >= $2 AND v.day_at < $3",
    [PAYOUTS_Q_AN_TOP] = "SELECT i.product_id, MAX(i.title), SUM(i.quantity), SUM(i.line_total_amount) "
                         "FROM order_items i JOIN orders o ON o.id = i.order_id WHERE " PAID_ORDER
                         " GROUP BY i.product_id ORDER BY SUM(i.line_total_amount) DESC, i.product_id LIMIT 5",
    [PAYOUTS_Q_AN_DAYS] = "SELECT o.paid_at / 86400000, COUNT(*), SUM(o.total_amount - o.refunded_amount) "
                          "FROM orders o WHERE " PAID_ORDER " GROUP BY o.paid_at / 86400000 ORDER BY 1",
};

const char *payouts__sql(enum payouts_query q)
{
    return sql[q];
}
