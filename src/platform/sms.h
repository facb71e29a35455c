/*
 * sms.h — text messages: an outbox (embedded default) or Twilio's
 * Messages API (sms_provider = twilio), PROTOCOLS.md §4.
 */
#ifndef ARTISTRY_PLATFORM_SMS_H
#define ARTISTRY_PLATFORM_SMS_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/** Outcome of one send. */
struct channel_result {
    char ref[128];     /* provider's id (Twilio SM…, FCM message name, SendGrid X-Message-Id, outbox file) */
    char error[256];   /* why it failed */
    bool permanent;    /* retrying cannot help (bad number, 4xx other than 429) */
    bool unregistered; /* push: the device token is dead; disable the device */
};

/** Send body to an E.164 number. 0 sent, -1 failed (out filled). Blocking: call from jobs only. */
int sms_send(const struct config *cfg, const char *to, const char *body, struct channel_result *out);

#endif
