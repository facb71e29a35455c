/*
 * payouts.h — seller balances, payouts and seller analytics (see README.md
 * in this directory).
 *
 * Endpoints (under /api/v1):
 *   GET  /payouts                  (seller) my payouts and balances
 *   POST /payouts/request          (seller) pay out from the available balance (Idempotency-Key)
 *   GET  /sellers/:id/analytics    (the seller, admin) revenue, orders, AOV, conversion, top products
 */
#ifndef ARTISTRY_SERVICES_PAYOUTS_H
#define ARTISTRY_SERVICES_PAYOUTS_H

#include "http/http.h"

extern const struct service_module payouts_module;

#endif
