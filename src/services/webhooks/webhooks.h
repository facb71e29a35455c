/*
 * webhooks.h — outbound webhooks: endpoints that operators and sellers'
 * tools register, signed deliveries of domain events with retries (see
 * README.md in this directory and docs/WEBHOOKS.md).
 *
 * Endpoints (under /api/v1; sellers and admins, buyers 403):
 *   POST   /webhooks/endpoints                      register (201, with its secret)
 *   GET    /webhooks/endpoints                      mine (admins: all, ?owner_id)
 *   GET    /webhooks/endpoints/:id                  one
 *   PATCH  /webhooks/endpoints/:id                  url, event_types, description, status
 *   DELETE /webhooks/endpoints/:id                  remove with its deliveries
 *   POST   /webhooks/endpoints/:id/rotate-secret    new secret (the old one signs for a grace period)
 *   POST   /webhooks/endpoints/:id/test             send a webhook.test event (202)
 *   GET    /webhooks/endpoints/:id/deliveries       its deliveries, newest first
 *   GET    /webhooks/deliveries/:id                 one delivery with its attempts
 *   POST   /webhooks/deliveries/:id/retry           attempt again now (202)
 */
#ifndef ARTISTRY_SERVICES_WEBHOOKS_H
#define ARTISTRY_SERVICES_WEBHOOKS_H

#include "http/http.h"

extern const struct service_module webhooks_module;

#endif
