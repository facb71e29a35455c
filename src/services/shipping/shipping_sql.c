/*
 * shipping_sql.c — every SQL statement of the shipping service.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters). A parameter
 * that may be NULL is first written CAST($n AS T) so PostgreSQL deduces its
 * type there.
 *
 * Ownership is in the statements: a rate table is addressed by (id,
 * seller_id), an order by (id, seller_id) or (id, buyer or seller or admin).
 *
 * Caveats: the service writes products.shipping_rate_table_id (pinning) and
 * nothing else of the products rows; no product rendering shows the column,
 * so no cache stamp needs to move.
 */
#include "services/shipping/shipping_int.h"

#define TABLE_COLS "id, shop_id, name, basis, currency, origin_country, is_default, created_at, updated_at"
#define RATE_COLS "zone, min_value, max_value, amount, additional_item_amount, free_over_amount, min_days, max_days"
#define SHIPMENT_COLS                                                                                                  \
    "id, provider, carrier, service, tracking_number, tracking_url, label_url, cost_amount, currency, status, "        \
    "shipped_at, delivered_at, created_at, updated_at"

static const char *const sql[SHIP_Q__COUNT] = {
    /*-------------------------------------------------------------------------
     * Rate tables
     */
    [SHIP_Q_SHOP_OF_SELLER] = "SELECT id, currency, country FROM shops WHERE seller_id = $1",
    [SHIP_Q_TABLE_INSERT] = "INSERT INTO shipping_rate_tables (id, seller_id, shop_id, name, basis, currency, "
                            "origin_country, is_default, created_at, updated_at) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    /* NULL keeps a column; $6 = 1 sets origin_country to $5 (which may be NULL). Locks the row. */
    [SHIP_Q_TABLE_UPDATE] =
        "UPDATE shipping_rate_tables SET name = COALESCE(CAST($3 AS TEXT), name), "
        "basis = COALESCE(CAST($4 AS TEXT), basis), "
        "origin_country = CASE WHEN CAST($6 AS BIGINT) = 1 THEN CAST($5 AS TEXT) ELSE origin_country END, "
        "is_default = COALESCE(CAST($7 AS INTEGER), is_default), updated_at = $8 WHERE id = $1 AND seller_id = $2",
    [SHIP_Q_TABLE_CLEAR_DEFAULT] = "UPDATE shipping_rate_tables SET is_default = 0, updated_at = $3 "
                                   "WHERE shop_id = $1 AND id <> $2 AND is_default = 1",
    [SHIP_Q_TABLE_HAS_DEFAULT] = "SELECT 1 FROM shipping_rate_tables WHERE shop_id = $1 AND is_default = 1",
    [SHIP_Q_TABLE_GET] = "SELECT " TABLE_COLS " FROM shipping_rate_tables WHERE id = $1 AND seller_id = $2",
    [SHIP_Q_TABLE_PAGE] = "SELECT " TABLE_COLS " FROM shipping_rate_tables WHERE seller_id = $1 "
                          "AND (CAST($2 AS TEXT) IS NULL OR id > $2) ORDER BY id LIMIT $3",
    [SHIP_Q_TABLE_DELETE] = "DELETE FROM shipping_rate_tables WHERE id = $1 AND seller_id = $2",
    [SHIP_Q_RATES_DELETE] = "DELETE FROM shipping_rates WHERE table_id = $1",
    [SHIP_Q_RATE_INSERT] =
        "INSERT INTO shipping_rates (id, table_id, seller_id, zone, min_value, max_value, amount, "
        "additional_item_amount, free_over_amount, currency, min_days, max_days, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
    [SHIP_Q_RATES_OF_TABLE] = "SELECT id, " RATE_COLS " FROM shipping_rates WHERE table_id = $1 "
                              "ORDER BY zone, min_value, id",
    [SHIP_Q_PIN_CLEAR] = "UPDATE products SET shipping_rate_table_id = NULL "
                         "WHERE shipping_rate_table_id = $1 AND seller_id = $2",
    [SHIP_Q_PIN_SET] = "UPDATE products SET shipping_rate_table_id = $1 "
                       "WHERE id = $2 AND seller_id = $3 AND status <> 'removed'",
    [SHIP_Q_PINNED_OF_TABLE] = "SELECT id FROM products WHERE shipping_rate_table_id = $1 ORDER BY id LIMIT 500",

    /*-------------------------------------------------------------------------
     * Quote
     */
    [SHIP_Q_QUOTE_SHOP] = "SELECT currency, country FROM shops WHERE id = $1",
    [SHIP_Q_QUOTE_TABLES] = "SELECT id, name, basis, currency, origin_country, is_default "
                            "FROM shipping_rate_tables WHERE shop_id = $1 ORDER BY is_default DESC, id",
    [SHIP_Q_QUOTE_RATES] = "SELECT r.table_id, r.zone, r.min_value, r.max_value, r.amount, r.additional_item_amount, "
                           "r.free_over_amount, r.min_days, r.max_days FROM shipping_rates r "
                           "JOIN shipping_rate_tables t ON t.id = r.table_id WHERE t.shop_id = $1 "
                           "ORDER BY r.table_id, r.zone, r.min_value",
    [SHIP_Q_PRODUCT_PUBLIC] = "SELECT p.shop_id, p.price_amount, p.currency FROM products p "
                              "JOIN shops s ON s.id = p.shop_id WHERE p.id = $1 AND p.status = 'active' "
                              "AND s.status = 'active'",
    [SHIP_Q_QUOTE_PRODUCT] = "SELECT shipping_rate_table_id, weight_grams, price_amount FROM products "
                             "WHERE id = $1 AND shop_id = $2",

    /*-------------------------------------------------------------------------
     * Shipments
     */
    [SHIP_Q_ORDER_VISIBLE] = "SELECT id FROM orders WHERE id = $1 "
                             "AND (buyer_id = $2 OR seller_id = $2 OR CAST($3 AS BIGINT) = 1)",
    [SHIP_Q_ORDER_OF_SELLER] = "SELECT status, shipping_address, buyer_id, currency FROM orders "
                               "WHERE id = $1 AND seller_id = $2",
    [SHIP_Q_SHIPMENT_BY_TRACKING_OF_ORDER] = "SELECT id FROM shipments WHERE order_id = $1 AND tracking_number = $2 "
                                             "AND status <> 'cancelled' ORDER BY created_at LIMIT 1",
    [SHIP_Q_SHIPMENT_INSERT] =
        "INSERT INTO shipments (id, order_id, provider, provider_ref, carrier, service, tracking_number, "
        "tracking_url, label_url, cost_amount, currency, status, shipped_at, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
    [SHIP_Q_SHIPMENT_MARK_SHIPPED] =
        "UPDATE shipments SET shipped_at = COALESCE(shipped_at, $2), "
        "status = CASE WHEN status IN ('pending', 'label_created') THEN 'in_transit' ELSE status END, "
        "updated_at = $2 WHERE id = $1",
    [SHIP_Q_SHIPMENT_GET] = "SELECT " SHIPMENT_COLS " FROM shipments WHERE id = $1",
    [SHIP_Q_SHIPMENTS_OF_ORDER] = "SELECT " SHIPMENT_COLS " FROM shipments WHERE order_id = $1 "
                                  "ORDER BY created_at, id",
    [SHIP_Q_EVENTS_OF_SHIPMENT] = "SELECT status, description, location, occurred_at FROM shipment_events "
                                  "WHERE shipment_id = $1 ORDER BY occurred_at, id",
    [SHIP_Q_SHIPMENT_BY_TRACKING] =
        "SELECT s.id, s.order_id, s.status, o.buyer_id, o.seller_id FROM shipments s "
        "JOIN orders o ON o.id = s.order_id WHERE s.tracking_number = $1 "
        "AND (s.carrier IS NULL OR lower(s.carrier) = lower(CAST($2 AS TEXT))) AND s.status <> 'cancelled' "
        "ORDER BY s.created_at DESC, s.id DESC LIMIT 1",
    [SHIP_Q_EVENT_INSERT] = "INSERT INTO shipment_events (id, shipment_id, status, description, location, "
                            "provider_event_id, occurred_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                            "ON CONFLICT DO NOTHING",
    /* Moves only to a new status and only for the newest event ($3 its time): late events add history only. */
    [SHIP_Q_SHIPMENT_SET_STATUS] =
        "UPDATE shipments SET status = CAST($2 AS TEXT), "
        "delivered_at = CASE WHEN CAST($2 AS TEXT) = 'delivered' THEN COALESCE(delivered_at, $4) "
        "ELSE delivered_at END, "
        "shipped_at = CASE WHEN CAST($2 AS TEXT) IN ('in_transit', 'out_for_delivery', 'delivered') "
        "THEN COALESCE(shipped_at, $4) ELSE shipped_at END, updated_at = $4 "
        "WHERE id = $1 AND status <> CAST($2 AS TEXT) "
        "AND NOT EXISTS (SELECT 1 FROM shipment_events e WHERE e.shipment_id = $1 AND e.occurred_at > $3)",
};

const char *shipping__sql(enum shipping_query q)
{
    return sql[q];
}
