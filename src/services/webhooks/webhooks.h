/*
 * webhooks.h — outbound webhooks: endpoints that operators and sellers'
 * tools register, signed deliveries of domain events with retries.
 */
#ifndef ARTISTRY_SERVICES_WEBHOOKS_H
#define ARTISTRY_SERVICES_WEBHOOKS_H

#include "http/http.h"

extern const struct service_module webhooks_module;

#endif
