/* push.c — placeholder (outbox and FCM adapter replace this file). */
#include "platform/push.h"

#include <stdio.h>

int push_send(const struct config *cfg, const char *device_token, const char *title, const char *body,
              json_t *data, struct channel_result *out)
{
    (void)cfg; (void)device_token; (void)title; (void)body; (void)data;
    snprintf(out->error, sizeof out->error, "push not implemented");
    out->permanent = true;
    return -1;
}
