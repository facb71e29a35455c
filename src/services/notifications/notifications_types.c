/*
 * notifications_types.c — what can be notified, and on which channels by
 * default (README.md has the table in prose).
 *
 * A user's notification_preferences row overrides a default, except for a
 * locked channel, whose default always applies (security notices cannot be
 * turned off). "external" marks a channel another service delivers itself:
 * auth sends the password-changed mail in the transaction that changes the
 * password, so this service does not send a second one.
 */
#include <string.h>

#include "services/notifications/notifications_int.h"

#define IN_APP (1u << NC_IN_APP)
#define EMAIL (1u << NC_EMAIL)
#define SMS (1u << NC_SMS)
#define PUSH (1u << NC_PUSH)

const struct notif_type notif_types[] = {
    {"message.new", IN_APP | EMAIL | PUSH, 0, 0},
    {"order.placed", IN_APP | EMAIL | PUSH, 0, 0},
    {"order.paid", IN_APP | EMAIL | PUSH, 0, 0},
    {"order.shipped", IN_APP | EMAIL | SMS | PUSH, 0, 0},
    {"order.delivered", IN_APP | EMAIL | PUSH, 0, 0},
    {"proposal.received", IN_APP | EMAIL, 0, 0},
    {"proposal.accepted", IN_APP | EMAIL, 0, 0},
    {"milestone.funded", IN_APP | EMAIL, 0, 0},
    {"milestone.released", IN_APP | EMAIL, 0, 0},
    {"payout.sent", IN_APP | EMAIL, 0, 0},
    {"seller_application.decided", IN_APP | EMAIL, 0, 0},
    {"password.changed", IN_APP | EMAIL, IN_APP | EMAIL, EMAIL},
    {"webhook.endpoint_disabled", IN_APP | EMAIL, 0, 0},
    {NULL, 0, 0, 0},
};

static const char *const channel_names[NC__COUNT] = {"in_app", "email", "sms", "push"};

const struct notif_type *notif__type(const char *type)
{
    for (const struct notif_type *t = notif_types; type != NULL && t->type != NULL; t++)
        if (strcmp(t->type, type) == 0)
            return t;
    return NULL;
}

const char *notif__channel_name(enum notif_channel c)
{
    return channel_names[c];
}

int notif__channel(const char *name)
{
    for (int c = 0; name != NULL && c < NC__COUNT; c++)
        if (strcmp(channel_names[c], name) == 0)
            return c;
    return -1;
}
