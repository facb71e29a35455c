/*
 * push.h — mobile/web push: an outbox (embedded default) or Firebase
 * Cloud Messaging HTTP v1 (push_provider = fcm), PROTOCOLS.md §4.
 */
#ifndef ARTISTRY_PLATFORM_PUSH_H
#define ARTISTRY_PLATFORM_PUSH_H

#include <jansson.h>

#include "platform/sms.h" /* struct channel_result */

struct config;

/**
 * Send a notification to one device token; data (borrowed, may be NULL) is
 * a flat object whose values are sent as strings. 0 sent, -1 failed
 * (out->unregistered when the token is dead). Blocking: jobs only.
 */
int push_send(const struct config *cfg, const char *device_token, const char *title, const char *body,
              json_t *data, struct channel_result *out);

#endif
