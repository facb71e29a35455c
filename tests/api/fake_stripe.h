/*
 * fake_stripe.h — a local Stripe API for the API tests (PROTOCOLS.md §2).
 *
 * An HTTP server (libmicrohttpd, in the test process) on 127.0.0.1 that
 * speaks Stripe's wire format: `Authorization: Bearer <secret key>` (401
 * otherwise), form-encoded bodies with bracket keys, JSON objects and
 * `{"error":{type, code, decline_code, message, param, payment_intent}}`
 * errors. It keeps state (intents, refunds, transfers, reversals, payouts)
 * and honours `Idempotency-Key` as Stripe does: the same key and the same
 * parameters replay the first answer with `Idempotent-Replayed: true`;
 * the same key with other parameters is 400 idempotency_error.
 *
 *   POST /v1/payment_intents               amount, currency, transfer_group, metadata[…]
 *   POST /v1/payment_intents/:id/confirm   payment_method: pm_card_visa → succeeded;
 *        pm_card_visa_chargeDeclined → 402 card_declined/generic_decline;
 *        pm_card_visa_chargeDeclinedInsufficientFunds → 402 card_declined/insufficient_funds;
 *        pm_card_authenticationRequired → requires_action (redirect_to_url)
 *   GET  /v1/payment_intents/:id
 *   POST /v1/payment_intents/:id/cancel
 *   POST /v1/refunds                       payment_intent, amount (never above what is left)
 *   POST /v1/transfers                     amount, currency, destination, transfer_group
 *   POST /v1/transfers/:id/reversals       amount
 *   POST /v1/payouts                       amount, currency; Stripe-Account header required
 *
 * Signed webhooks: fake_stripe_send() posts an event to a URL with a
 * Stripe-Signature made from the webhook secret.
 */
#ifndef ARTISTRY_TESTS_FAKE_STRIPE_H
#define ARTISTRY_TESTS_FAKE_STRIPE_H

#include <stddef.h>

struct fake_stripe;

/** Start with the API secret key and the whsec_ webhook secret (copied). Aborts on failure. */
struct fake_stripe *fake_stripe_start(const char *secret_key, const char *webhook_secret);
void fake_stripe_stop(struct fake_stripe *f);

/** Base URL ("http://127.0.0.1:<port>"): the stripe_api_base setting. */
const char *fake_stripe_url(const struct fake_stripe *f);

/** The next n requests answer status (500: api_error; 429: rate_limit). */
void fake_stripe_fail_next(struct fake_stripe *f, int n, int status);

/** Requests received whose path starts with prefix (e.g. "POST /v1/refunds"). */
int fake_stripe_count(struct fake_stripe *f, const char *method_and_prefix);

/** Requests answered as idempotent replays. */
int fake_stripe_replays(struct fake_stripe *f);

/** The last value of form field key in the last request to path prefix, copied into buf ("" when none). */
void fake_stripe_last_field(struct fake_stripe *f, const char *method_and_prefix, const char *key, char *buf,
                            size_t cap);

/** The id of the intent carrying metadata[intent_id] = our_id, into buf ("" when none). */
void fake_stripe_intent_of(struct fake_stripe *f, const char *our_id, char *buf, size_t cap);

/**
 * An event body {"id","object":"event","type","data":{"object":…},"created","livemode":false}
 * about the intent pi_id as the fake holds it now (caller frees). event_id may be NULL (a new one).
 */
char *fake_stripe_intent_event(struct fake_stripe *f, const char *event_id, const char *type, const char *pi_id);

/** Stripe-Signature header value for body at unix time t with secret. */
void fake_stripe_sign(const char *secret, long t, const char *body, char *out, size_t cap);

/**
 * POST body to url with a Stripe-Signature (signature NULL: computed from
 * the fake's secret at now + t_offset seconds; "" sends no header).
 * Returns the HTTP status (0 on transport failure).
 */
long fake_stripe_send(struct fake_stripe *f, const char *url, const char *body, long t_offset, const char *signature);

#endif
