/*
 * orders_sql.c — every SQL statement of the orders service.
 *
 * The same text runs on SQLite and PostgreSQL ($n parameters; a parameter
 * that may be NULL is written CAST($n AS T) at its first use so PostgreSQL
 * knows its type).
 *
 * Stock: taking stock is one conditional UPDATE per line
 * (stock = stock - $q WHERE stock >= $q), so concurrent checkouts never
 * oversell on either engine: PostgreSQL re-checks the condition on the row
 * after the competing writer commits, SQLite runs one writer at a time
 * (BEGIN IMMEDIATE). RETURNING tells the caller the stock left.
 *
 * Caveats: the popularity formula is the products service's one
 * (PRODUCTS_POPULARITY_SQL), recomputed in the UPDATE that moves
 * sales_count. Orders reads shipments (the shipping service's table) only
 * to show them in GET /orders/:id.
 */
#include "services/orders/orders_int.h"
#include "services/products/products.h"

#define LINE_COLS                                                                                                     \
    "ci.id, ci.product_id, ci.variant_id, ci.quantity, ci.personalization, ci.added_price_amount, p.title, "         \
    "p.status, p.price_amount + COALESCE(v.price_modifier_amount, 0), p.currency, "                                   \
    "CASE WHEN ci.variant_id IS NULL THEN p.stock ELSE COALESCE(v.stock, 0) END, p.made_to_order, p.seller_id, "      \
    "p.shop_id, s.name, s.status, s.vacation_mode, COALESCE(v.is_active, 1), COALESCE(p.weight_grams, 0), v.name, "   \
    "v.sku, COALESCE(s.commission_bps, -1)"

#define ORDER_COLS                                                                                                    \
    "o.id, o.checkout_id, o.buyer_id, o.seller_id, o.shop_id, o.status, o.subtotal_amount, o.shipping_amount, "      \
    "o.tax_amount, o.total_amount, o.refunded_amount, o.fee_amount, o.currency, o.commission_bps, "                   \
    "o.shipping_address, o.buyer_note, o.carrier, o.tracking_number, o.paid_at, o.shipped_at, o.delivered_at, "        \
    "o.completed_at, o.cancelled_at, o.created_at, o.updated_at"

static const char *const sql[ORDERS_Q__COUNT] = {
    /*-------------------------------------------------------------------------
     * Cart
     */
    [ORDERS_Q_CART_ID] = "SELECT id FROM carts WHERE user_id = $1",
    [ORDERS_Q_CART_INSERT] = "INSERT INTO carts (id, user_id, created_at, updated_at) VALUES ($1, $2, $3, $3) "
                             "ON CONFLICT (user_id) DO NOTHING",
    [ORDERS_Q_PRODUCT_FOR_CART] = "SELECT p.status, p.price_amount, p.stock, p.made_to_order, s.status, "
                                  "s.vacation_mode, EXISTS (SELECT 1 FROM product_variants v WHERE "
                                  "v.product_id = p.id AND v.is_active = 1) "
                                  "FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id = $1",
    [ORDERS_Q_VARIANT_FOR_CART] = "SELECT price_modifier_amount, stock, is_active FROM product_variants "
                                  "WHERE id = $1 AND product_id = $2",
    [ORDERS_Q_CART_LINE_QTY] = "SELECT ci.quantity FROM cart_items ci WHERE ci.cart_id = $1 AND ci.product_id = $2 "
                               "AND COALESCE(ci.variant_id, '') = COALESCE(CAST($3 AS TEXT), '')",
    [ORDERS_Q_CART_ITEM_INSERT] =
        "INSERT INTO cart_items (id, cart_id, product_id, variant_id, quantity, personalization, added_price_amount, "
        "created_at, updated_at) VALUES ($1, $2, $3, CAST($4 AS TEXT), $5, $6, $7, $8, $8)",
    [ORDERS_Q_CART_ITEM_ADD_QTY] =
        "UPDATE cart_items SET quantity = quantity + $4, personalization = $5, updated_at = $6 "
        "WHERE cart_id = $1 AND product_id = $2 AND COALESCE(variant_id, '') = COALESCE(CAST($3 AS TEXT), '') "
        "RETURNING id, quantity",
    [ORDERS_Q_CART_LINES] = "SELECT " LINE_COLS " FROM carts c JOIN cart_items ci ON ci.cart_id = c.id "
                            "JOIN products p ON p.id = ci.product_id JOIN shops s ON s.id = p.shop_id "
                            "LEFT JOIN product_variants v ON v.id = ci.variant_id WHERE c.user_id = $1 "
                            "ORDER BY p.shop_id, ci.product_id, COALESCE(ci.variant_id, '')",
    [ORDERS_Q_CART_ITEM_SET_QTY] = "UPDATE cart_items SET quantity = $3, updated_at = $4 WHERE id = $1 "
                                   "AND cart_id IN (SELECT id FROM carts WHERE user_id = $2)",
    [ORDERS_Q_CART_ITEM_DELETE] = "DELETE FROM cart_items WHERE id = $1 "
                                  "AND cart_id IN (SELECT id FROM carts WHERE user_id = $2)",
    [ORDERS_Q_CART_ITEM_SET_PRICE] = "UPDATE cart_items SET added_price_amount = $3, updated_at = $4 WHERE id = $1 "
                                     "AND cart_id IN (SELECT id FROM carts WHERE user_id = $2)",
    [ORDERS_Q_DEFAULT_ADDRESS] = "SELECT full_name, line1, line2, city, region, postal_code, country, phone "
                                 "FROM addresses WHERE user_id = $1 AND is_default = 1",
    [ORDERS_Q_ADDRESS_BY_ID] = "SELECT full_name, line1, line2, city, region, postal_code, country, phone "
                               "FROM addresses WHERE id = $1 AND user_id = $2",

    /*-------------------------------------------------------------------------
     * Checkout
     */
    [ORDERS_Q_PRODUCT_TAKE] = "UPDATE products SET stock = stock - $2, updated_at = $3 "
                              "WHERE id = $1 AND stock >= $2 AND status = 'active' RETURNING stock",
    [ORDERS_Q_VARIANT_TAKE] = "UPDATE product_variants SET stock = stock - $2, updated_at = $3 "
                              "WHERE id = $1 AND is_active = 1 AND stock >= $2 RETURNING stock",
    [ORDERS_Q_CHECKOUT_INSERT] =
        "INSERT INTO checkouts (id, buyer_id, cart_id, status, subtotal_amount, shipping_amount, tax_amount, "
        "total_amount, currency, shipping_address, expires_at, created_at, updated_at) VALUES ($1, $2, $3, "
        "'awaiting_payment', $4, $5, 0, $6, $7, $8, $9, $10, $10)",
    [ORDERS_Q_CHECKOUT_SET_INTENT] = "UPDATE checkouts SET payment_intent_id = $2 WHERE id = $1",
    [ORDERS_Q_ORDER_INSERT] =
        "INSERT INTO orders (id, checkout_id, buyer_id, seller_id, shop_id, status, subtotal_amount, "
        "shipping_amount, total_amount, fee_amount, currency, commission_bps, shipping_address, buyer_note, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending_payment', $6, $7, $8, $9, $10, $11, $12, "
        "CAST($13 AS TEXT), $14, $14)",
    [ORDERS_Q_ITEM_INSERT] =
        "INSERT INTO order_items (id, order_id, product_id, variant_id, title, variant_name, sku, "
        "unit_price_amount, quantity, line_total_amount, currency, personalization, created_at) VALUES ($1, $2, $3, "
        "CAST($4 AS TEXT), $5, CAST($6 AS TEXT), CAST($7 AS TEXT), $8, $9, $10, $11, $12, $13)",
    [ORDERS_Q_RESERVATION_INSERT] =
        "INSERT INTO stock_reservations (id, order_item_id, product_id, variant_id, quantity, expires_at, "
        "created_at) VALUES ($1, $2, $3, CAST($4 AS TEXT), $5, $6, $7)",
    [ORDERS_Q_HISTORY_INSERT] =
        "INSERT INTO order_status_history (id, order_id, from_status, to_status, actor_id, note, created_at) "
        "VALUES ($1, $2, CAST($3 AS TEXT), $4, CAST($5 AS TEXT), CAST($6 AS TEXT), $7)",

    /*-------------------------------------------------------------------------
     * Money: hooks, expiry, completion
     */
    /* Move a checkout from $2 to $3; only the caller that changed it goes on. */
    [ORDERS_Q_CHECKOUT_MARK] = "UPDATE checkouts SET status = $3, updated_at = $4, "
                               "completed_at = CASE WHEN $3 = 'paid' THEN $4 ELSE completed_at END "
                               "WHERE id = $1 AND status = $2",
    [ORDERS_Q_CHECKOUT_ORDERS] = "SELECT id, buyer_id, seller_id, total_amount, currency, commission_bps, status "
                                 "FROM orders WHERE checkout_id = $1 ORDER BY id",
    /* Conditional status move ($2 → $3) with the timestamp column of the new state. */
    [ORDERS_Q_ORDER_MOVE] =
        "UPDATE orders SET status = $3, updated_at = $4, "
        "paid_at = CASE WHEN $3 = 'paid' THEN $4 ELSE paid_at END, "
        "shipped_at = CASE WHEN $3 = 'shipped' THEN $4 ELSE shipped_at END, "
        "delivered_at = CASE WHEN $3 = 'delivered' THEN $4 ELSE delivered_at END, "
        "completed_at = CASE WHEN $3 = 'completed' THEN $4 ELSE completed_at END, "
        "cancelled_at = CASE WHEN $3 = 'cancelled' THEN $4 ELSE cancelled_at END, "
        "carrier = COALESCE(CAST($5 AS TEXT), carrier), tracking_number = COALESCE(CAST($6 AS TEXT), tracking_number), "
        "cancel_reason = COALESCE(CAST($7 AS TEXT), cancel_reason) "
        "WHERE id = $1 AND status = $2",
    [ORDERS_Q_ORDER_RESERVATIONS_COMMIT] =
        "UPDATE stock_reservations SET committed_at = $2 WHERE released_at IS NULL AND committed_at IS NULL "
        "AND order_item_id IN (SELECT id FROM order_items WHERE order_id = $1)",
    [ORDERS_Q_ORDER_ITEMS_QTY] = "SELECT product_id, SUM(quantity) FROM order_items WHERE order_id = $1 "
                                 "GROUP BY product_id ORDER BY product_id",
    [ORDERS_Q_PRODUCT_SALES_ADD] = "UPDATE products SET sales_count = sales_count + $2 WHERE id = $1",
    [ORDERS_Q_PRODUCT_POPULARITY] = "UPDATE products SET popularity = " PRODUCTS_POPULARITY_SQL " WHERE id = $1",
    [ORDERS_Q_SHOP_SALES_ADD] = "UPDATE shops SET sales_count = sales_count + $2 WHERE id = $1",
    [ORDERS_Q_OPEN_RESERVATIONS] =
        "SELECT r.id, r.product_id, r.variant_id, r.quantity FROM stock_reservations r "
        "JOIN order_items oi ON oi.id = r.order_item_id WHERE oi.order_id = $1 AND r.released_at IS NULL "
        "AND (r.committed_at IS NULL OR CAST($2 AS INTEGER) = 1) ORDER BY r.product_id, COALESCE(r.variant_id, '')",
    [ORDERS_Q_RESERVATION_RELEASE] = "UPDATE stock_reservations SET released_at = $2, committed_at = NULL "
                                     "WHERE id = $1 AND released_at IS NULL",
    [ORDERS_Q_PRODUCT_PUT_BACK] = "UPDATE products SET stock = stock + $2, updated_at = $3 WHERE id = $1 "
                                  "RETURNING stock",
    [ORDERS_Q_VARIANT_PUT_BACK] = "UPDATE product_variants SET stock = stock + $2, updated_at = $3 WHERE id = $1 "
                                  "RETURNING stock",
    [ORDERS_Q_CHECKOUTS_EXPIRED] = "SELECT id FROM checkouts WHERE status = 'awaiting_payment' AND expires_at <= $1 "
                                   "ORDER BY expires_at LIMIT 50",
    [ORDERS_Q_CHECKOUT_INTENT] = "SELECT payment_intent_id, status FROM checkouts WHERE id = $1",
    [ORDERS_Q_ORDERS_TO_COMPLETE] = "SELECT o.id FROM orders o WHERE o.status = 'delivered' AND o.delivered_at <= $1 "
                                    "AND NOT EXISTS (SELECT 1 FROM escrows e WHERE e.order_id = o.id "
                                    "AND e.status = 'disputed') ORDER BY o.delivered_at LIMIT 50",
    [ORDERS_Q_ORDER_SET_REFUNDED] = "UPDATE orders SET refunded_amount = $2, updated_at = $3 WHERE id = $1",

    /*-------------------------------------------------------------------------
     * Read
     */
    /* An order $1 the caller $2 may see: buyer, seller, or anyone when $3 = 1 (admin). */
    [ORDERS_Q_ORDER_FOR] = "SELECT " ORDER_COLS " FROM orders o WHERE o.id = $1 "
                           "AND (o.buyer_id = $2 OR o.seller_id = $2 OR CAST($3 AS INTEGER) = 1)",
    [ORDERS_Q_ORDER_ITEMS] = "SELECT id, product_id, variant_id, title, variant_name, sku, unit_price_amount, "
                             "quantity, line_total_amount, personalization FROM order_items WHERE order_id = $1 "
                             "ORDER BY id",
    [ORDERS_Q_ORDER_HISTORY] = "SELECT from_status, to_status, actor_id, note, created_at FROM order_status_history "
                               "WHERE order_id = $1 ORDER BY created_at, id",
    [ORDERS_Q_ORDER_SHIPMENTS] = "SELECT id, carrier, tracking_number, status, shipped_at, delivered_at FROM "
                                 "shipments WHERE order_id = $1 ORDER BY created_at, id",
    /* Keyset newest first: $2 status or NULL, $3/$4 the cursor's created_at/id or NULL, $5 limit + 1. */
    [ORDERS_Q_LIST_BUYER] = "SELECT " ORDER_COLS " FROM orders o WHERE o.buyer_id = $1 "
                            "AND (CAST($2 AS TEXT) IS NULL OR o.status = $2) AND (CAST($3 AS BIGINT) IS NULL OR "
                            "o.created_at < $3 OR (o.created_at = $3 AND o.id < CAST($4 AS TEXT))) "
                            "ORDER BY o.created_at DESC, o.id DESC LIMIT $5",
    [ORDERS_Q_LIST_SELLER] = "SELECT " ORDER_COLS " FROM orders o WHERE o.seller_id = $1 "
                             "AND (CAST($2 AS TEXT) IS NULL OR o.status = $2) AND (CAST($3 AS BIGINT) IS NULL OR "
                             "o.created_at < $3 OR (o.created_at = $3 AND o.id < CAST($4 AS TEXT))) "
                             "ORDER BY o.created_at DESC, o.id DESC LIMIT $5",
};

const char *orders__sql(enum orders_query q)
{
    return sql[q];
}
