/*
 * mailer_int.h — shared between mailer.c and its transports (mailer_sendgrid.c).
 */
#ifndef ARTISTRY_PLATFORM_MAILER_INT_H
#define ARTISTRY_PLATFORM_MAILER_INT_H

#include <stddef.h>

#include "platform/mailer.h"
#include "platform/sms.h" /* struct channel_result */

struct config;

/** Split a From value into display name ("" when none) and addr-spec. 0, or -1 when malformed. */
int mailer__from_parts(const char *from, char *name, size_t ncap, char *addr, size_t acap);

/**
 * Deliver m (already checked) through SendGrid v3 Mail Send, from `from`.
 * 0 sent (out->ref = X-Message-Id when given), -1 with out->error and
 * out->permanent. Blocking: jobs only.
 */
int mailer__send_sendgrid(const struct config *cfg, const struct mail *m, struct channel_result *out);

#endif
