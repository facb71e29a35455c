/*
 * webhooks_sql.c — every SQL statement of the webhooks service.
 *
 * Same text on SQLite and PostgreSQL. Ownership is part of each statement
 * that reads or changes an endpoint for a caller: "(owner_id = $2 OR
 * CAST($3 AS INTEGER) = 1)", $3 being 1 for an admin.
 */
#include "services/webhooks/webhooks_int.h"

#define MINE "(owner_id = $2 OR CAST($3 AS INTEGER) = 1)"

static const char *const sql[WH_Q__COUNT] = {
    [WH_Q_EP_INSERT] = "INSERT INTO webhook_endpoints (id, owner_id, url, secret, event_types, description, status, "
                       "consecutive_failures, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', 0, "
                       "$7, $7)",
    [WH_Q_EP_GET] = "SELECT " WH_EP_COLS " FROM webhook_endpoints WHERE id = $1 AND " MINE,
    [WH_Q_EP_SECRET] = "SELECT secret FROM webhook_endpoints WHERE id = $1",
    /* Newest first; $1 the owner (NULL: every owner), $2/$3 the cursor (NULL: first page), $4 page size + 1. */
    [WH_Q_EP_PAGE] =
        "SELECT " WH_EP_COLS " FROM webhook_endpoints WHERE (CAST($1 AS TEXT) IS NULL OR owner_id = $1) "
        "AND (CAST($2 AS BIGINT) IS NULL OR created_at < $2 OR (created_at = $2 AND id < CAST($3 AS TEXT))) "
        "ORDER BY created_at DESC, id DESC LIMIT $4",
    [WH_Q_EP_DELETE] = "DELETE FROM webhook_endpoints WHERE id = $1 AND " MINE,
    /*
     * $4 url, $5 event_types, $6 description, $7 status (each NULL: keep),
     * $8 now. Re-enabling clears the health counters and the reason.
     */
    [WH_Q_EP_UPDATE] =
        "UPDATE webhook_endpoints SET url = COALESCE(CAST($4 AS TEXT), url), "
        "event_types = COALESCE(CAST($5 AS TEXT), event_types), description = COALESCE(CAST($6 AS TEXT), description), "
        "consecutive_failures = CASE WHEN CAST($7 AS TEXT) = 'active' AND status <> 'active' THEN 0 "
        "ELSE consecutive_failures END, "
        "failing_since = CASE WHEN CAST($7 AS TEXT) = 'active' AND status <> 'active' THEN NULL ELSE failing_since "
        "END, "
        "disabled_at = CASE WHEN CAST($7 AS TEXT) = 'active' THEN NULL "
        "WHEN CAST($7 AS TEXT) = 'disabled' AND status <> 'disabled' THEN CAST($8 AS BIGINT) ELSE disabled_at END, "
        "disabled_reason = CASE WHEN CAST($7 AS TEXT) = 'active' THEN NULL "
        "WHEN CAST($7 AS TEXT) = 'disabled' AND status <> 'disabled' THEN 'disabled_by_owner' ELSE disabled_reason "
        "END, "
        "status = COALESCE(CAST($7 AS TEXT), status), updated_at = CAST($8 AS BIGINT) WHERE id = $1 AND " MINE,
    /* $4 new secret, $5 until when the old one still signs (NULL: not at all), $6 now. */
    [WH_Q_EP_ROTATE] = "UPDATE webhook_endpoints SET previous_secret = CASE WHEN CAST($5 AS BIGINT) IS NULL THEN NULL "
                       "ELSE secret END, previous_secret_until = CAST($5 AS BIGINT), secret = $4, updated_at = $6 "
                       "WHERE id = $1 AND " MINE,
    /*
     * Active endpoints that may receive an event whose subject users are
     * $1/$2 (NULL when the event has none): admins' endpoints always,
     * sellers' when the seller is one of them. Subscribed types are
     * filtered by the caller (event_types is a JSON array).
     */
    [WH_Q_EP_MATCH] = "SELECT e.id, e.event_types FROM webhook_endpoints e JOIN users u ON u.id = e.owner_id "
                      "WHERE e.status = 'active' AND (u.role = 'admin' OR (u.role = 'seller' AND "
                      "(e.owner_id = CAST($1 AS TEXT) OR e.owner_id = CAST($2 AS TEXT)))) ORDER BY e.id",
    [WH_Q_EP_SUCCESS] = "UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = $1 "
                        "AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)",
    /* Count a failed attempt; returns the new count, the start of the run and the status. */
    [WH_Q_EP_FAILURE] = "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, "
                        "failing_since = COALESCE(failing_since, $2) WHERE id = $1 "
                        "RETURNING consecutive_failures, failing_since, status, owner_id, url",
    [WH_Q_EP_DISABLE] = "UPDATE webhook_endpoints SET status = 'disabled', disabled_at = $2, disabled_reason = $3, "
                        "updated_at = $2 WHERE id = $1 AND status = 'active'",
    /* A new delivery; a dispatch retried after a crash finds the pair taken and inserts nothing. */
    [WH_Q_DLV_INSERT] = "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, "
                        "attempts, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, "
                        "$6, $6, $6) ON CONFLICT (endpoint_id, event_id) DO NOTHING",
    [WH_Q_DLV_LOAD] = "SELECT d.id, d.endpoint_id, d.event_id, d.payload, d.status, d.attempts, d.next_attempt_at, "
                      "e.url, e.secret, e.previous_secret, e.previous_secret_until, e.status "
                      "FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1",
    /*
     * The outcome of attempt $3 (attempts was $3 - 1 when it started, so a
     * second worker running the same attempt changes nothing). $2 status,
     * $4 next_attempt_at, $5 response_status, $6 excerpt, $7 error,
     * $8 delivered_at (NULL: keep), $9 now.
     */
    [WH_Q_DLV_RESULT] =
        "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = CAST($4 AS BIGINT), "
        "response_status = CAST($5 AS INTEGER), response_excerpt = CAST($6 AS TEXT), "
        "last_error = CAST($7 AS TEXT), delivered_at = COALESCE(CAST($8 AS BIGINT), delivered_at), "
        "updated_at = $9 WHERE id = $1 AND attempts = $3 - 1 AND status IN ('pending', 'failed')",
    /* A delivery that will not be attempted (endpoint disabled meanwhile): dead without an attempt. */
    [WH_Q_DLV_SKIP] = "UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, last_error = $2, "
                      "updated_at = $3 WHERE id = $1 AND status IN ('pending', 'failed')",
    /* $1 endpoint, $2/$3 cursor, $4 page size + 1, $5 status filter (NULL: all). */
    [WH_Q_DLV_PAGE] =
        "SELECT " WH_DLV_COLS " FROM webhook_deliveries d WHERE d.endpoint_id = $1 "
        "AND (CAST($5 AS TEXT) IS NULL OR d.status = $5) "
        "AND (CAST($2 AS BIGINT) IS NULL OR d.created_at < $2 OR (d.created_at = $2 AND d.id < CAST($3 AS TEXT))) "
        "ORDER BY d.created_at DESC, d.id DESC LIMIT $4",
    [WH_Q_DLV_GET] = "SELECT " WH_DLV_COLS ", d.payload, e.status FROM webhook_deliveries d "
                     "JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1 AND "
                     "(e.owner_id = $2 OR CAST($3 AS INTEGER) = 1)",
    [WH_Q_DLV_RETRY] = "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, updated_at = $2 "
                       "WHERE id = $1 AND status <> 'pending'",
    [WH_Q_ATT_INSERT] =
        "INSERT INTO webhook_delivery_attempts (id, delivery_id, attempt, manual, succeeded, "
        "response_status, response_excerpt, error, duration_ms, created_at) VALUES ($1, $2, $3, $4, $5, "
        "CAST($6 AS INTEGER), CAST($7 AS TEXT), CAST($8 AS TEXT), $9, $10)",
    [WH_Q_ATT_LIST] = "SELECT attempt, manual, succeeded, response_status, response_excerpt, error, duration_ms, "
                      "created_at FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY created_at, attempt",
};

const char *webhooks__sql(enum webhooks_query q)
{
    return sql[q];
}
