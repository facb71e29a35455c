/* sms.c — placeholder (outbox and Twilio adapter replace this file). */
#include "platform/sms.h"

#include <stdio.h>

int sms_send(const struct config *cfg, const char *to, const char *body, struct channel_result *out)
{
    (void)cfg; (void)to; (void)body;
    snprintf(out->error, sizeof out->error, "sms not implemented");
    out->permanent = true;
    return -1;
}
