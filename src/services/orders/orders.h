/*
 * orders.h — the orders service: cart, multi-seller checkout, orders and
 * their state machine (see README.md in this directory).
 *
 * Endpoints (under /api/v1):
 *   GET    /cart                   my cart: current prices and stock, grouped by seller with shipping options
 *   POST   /cart/items             add a product (variant, quantity, personalization)
 *   PATCH  /cart/items/:id         change the quantity
 *   DELETE /cart/items/:id         remove a line
 *   POST   /orders                 check out the cart: one order per seller (Idempotency-Key)
 *   GET    /orders                 buyer: mine; seller: orders to fulfil (?role=, ?status=)
 *   GET    /orders/:id             one order (buyer, its seller, admin) with items and history
 *   PATCH  /orders/:id/status      the state machine (seller: processing, shipped, delivered;
 *                                  buyer: confirm receipt; cancellation by state)
 */
#ifndef ARTISTRY_SERVICES_ORDERS_H
#define ARTISTRY_SERVICES_ORDERS_H

#include "http/http.h"

extern const struct service_module orders_module;

struct db;
struct db_error;

/**
 * The carrier reported an order's shipment delivered: move the order to
 * delivered (if it is shipped), inside the caller's transaction. 0 (moved or
 * nothing to do) or -1.
 */
int orders_carrier_delivered(struct db *tx, const char *order_id, struct db_error *err);

#endif
