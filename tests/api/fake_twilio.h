/*
 * fake_twilio.h — a local Twilio Programmable Messaging API for the tests
 * (PROTOCOLS.md §4), built on fake_http.
 *
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json
 *     HTTP Basic auth AccountSid:AuthToken (else 401, code 20003), a
 *     form-encoded body with To (E.164, else 400 code 21211), From or
 *     MessagingServiceSid (else 21603), Body (else 21602). Answers 201 with
 *     the message resource {sid "SM…", status "queued" ("accepted" through
 *     a messaging service), to, from, body, num_segments, error_code null,
 *     error_message null, uri, …}.
 *   Anything else: 404 with code 20404.
 * Errors are Twilio's JSON: {"code","message","more_info","status"}.
 */
#ifndef ARTISTRY_TESTS_FAKE_TWILIO_H
#define ARTISTRY_TESTS_FAKE_TWILIO_H

#include "api/fake_http.h"

struct fake_twilio;

/** Start a fake for this account. Aborts on failure. */
struct fake_twilio *fake_twilio_start(const char *account_sid, const char *auth_token);

/** Stop and free. NULL is a no-op. */
void fake_twilio_stop(struct fake_twilio *f);

/** Base URL. */
const char *fake_twilio_url(const struct fake_twilio *f);

/** The recorder underneath (fake_http_count / fake_http_last). */
struct fake_http *fake_twilio_http(struct fake_twilio *f);

/** Sending to number answers 400 with this Twilio error code and message (up to 8 numbers). */
void fake_twilio_bad_number(struct fake_twilio *f, const char *number, int code, const char *message);

/** The next message request answers status (500 code 20500, 429 code 20429, …) once. */
void fake_twilio_fail_next(struct fake_twilio *f, unsigned status);

/** Messages accepted (201) so far. */
int fake_twilio_accepted(struct fake_twilio *f);

#endif
