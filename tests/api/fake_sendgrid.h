/*
 * fake_sendgrid.h — a local SendGrid v3 Mail Send API for the tests
 * (PROTOCOLS.md §4), built on fake_http.
 *
 *   POST /v3/mail/send with "Authorization: Bearer <key>" (else 401) and a
 *   JSON body: personalizations (non-empty array, each with to[].email) and
 *   from.email are required, and subject plus content[] (each {type, value})
 *   unless template_id is given; a failed check answers 400 with
 *   {"errors":[{"message","field","help"}]}. Success is 202 with an empty
 *   body and an X-Message-Id header.
 *   Anything else: 404 {"errors":[{"message":"Not Found"…}]}.
 */
#ifndef ARTISTRY_TESTS_FAKE_SENDGRID_H
#define ARTISTRY_TESTS_FAKE_SENDGRID_H

#include "api/fake_http.h"

struct fake_sendgrid;

/** Start a fake accepting this API key. Aborts on failure. */
struct fake_sendgrid *fake_sendgrid_start(const char *api_key);

/** Stop and free. NULL is a no-op. */
void fake_sendgrid_stop(struct fake_sendgrid *f);

/** Base URL. */
const char *fake_sendgrid_url(const struct fake_sendgrid *f);

/** The recorder underneath (fake_http_count / fake_http_last). */
struct fake_http *fake_sendgrid_http(struct fake_sendgrid *f);

/** The next send answers status (429, 500, 503…) once, with an errors body. */
void fake_sendgrid_fail_next(struct fake_sendgrid *f, unsigned status);

/** Mails accepted (202) so far. */
int fake_sendgrid_accepted(struct fake_sendgrid *f);

/** The X-Message-Id the fake gives the n-th accepted mail (1-based). */
void fake_sendgrid_message_id(int n, char *buf, size_t cap);

#endif
