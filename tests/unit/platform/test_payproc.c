/*
 * test_payproc.c — the payment processors called directly: the local
 * processor's deterministic rules, and the Stripe adapter against
 * tests/api/fake_stripe.c (real wire format): form fields, Bearer key,
 * Idempotency-Key replays, Stripe-Account on payouts, card errors,
 * retryable 5xx/429 and refusals.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "api/fake_http.c"   /* the fakes run on it */
#include "api/fake_stripe.c" /* the fake is test code shared with the API suite */
#include "app.h"
#include "base/config.h"
#include "platform/payproc.h"

#define SK "sk_test_unit"

static struct config cfg;
static char provider[] = "stripe", key[] = SK, wrong_key[] = "sk_test_wrong", base[64];
static struct app app;
static struct fake_stripe *fake;

static const struct payproc_ops *stripe(void)
{
    fake = fake_stripe_start(SK, "whsec_unit");
    memset(&cfg, 0, sizeof cfg);
    snprintf(base, sizeof base, "%s", fake_stripe_url(fake));
    cfg.payments_provider = provider;
    cfg.stripe_api_base = base;
    cfg.stripe_secret_key = key;
    app.cfg = &cfg;
    const struct payproc_ops *ops = payproc_get(&app);
    cr_assert_str_eq(ops->name, "stripe");
    return ops;
}

static void stop(void)
{
    fake_stripe_stop(fake);
    fake = NULL;
}

Test(payproc, local_rules)
{
    struct app local = {0};
    const struct payproc_ops *ops = payproc_get(&local);
    struct payproc_result r;
    cr_assert_str_eq(ops->name, "local");
    struct payproc_intent in = {"pin_x", 500, "USD", "chk_x", "usr_x"};
    cr_assert_eq(ops->intent_create(&local, &in, &r), 0);
    cr_assert_str_eq(r.ref, "pi_local_pin_x");
    cr_assert_eq(ops->intent_confirm(&local, r.ref, "4242424242424242", NULL, &r), 0);
    cr_assert_str_eq(r.status, "succeeded");
    cr_assert_eq(ops->intent_confirm(&local, "pi_local_pin_x", "4000000000000002", NULL, &r), -1);
    cr_assert_str_eq(r.error_code, "card_declined");
    cr_assert_eq(r.retryable, 0);
    cr_assert_eq(ops->intent_confirm(&local, "pi_local_pin_x", "4000000000009995", NULL, &r), -1);
    cr_assert_str_eq(r.error_code, "insufficient_funds");
    cr_assert_eq(ops->intent_confirm(&local, "pi_local_pin_x", "4000002500003155", NULL, &r), 0);
    cr_assert_str_eq(r.status, "requires_action");
    cr_assert_eq(ops->intent_authenticate(&local, "pi_local_pin_x", 0, &r), -1);
    cr_assert_eq(ops->intent_authenticate(&local, "pi_local_pin_x", 1, &r), 0);
    cr_assert_eq(ops->payout(&local, "acct_local_x", 1000, "USD", "po1", &r), 0);
    cr_assert_str_eq(r.status, "paid");
    cr_assert_eq(ops->payout(&local, "acct_local_x", 1013, "USD", "po2", &r), -1);
    cr_assert_str_eq(r.status, "failed");
    cr_assert_str_eq(r.error_code, "account_closed");
    cr_assert_eq(ops->transfer(&local, "acct_local_x", 900, "USD", "chk", "trf_1", &r), 0);
    cr_assert_str_eq(r.ref, "tr_local_trf_1");
}

Test(payproc, stripe_intents)
{
    const struct payproc_ops *ops = stripe();
    struct payproc_result r, again;
    struct payproc_intent in = {"pin_unit1", 2599, "USD", "chk_unit1", "usr_b"};
    cr_assert_eq(ops->intent_create(&app, &in, &r), 0, "%s", r.error_message);
    cr_assert_str_eq(r.status, "requires_payment_method");
    char field[128];
    fake_stripe_last_field(fake, "POST /v1/payment_intents", "metadata[buyer_id]", field, sizeof field);
    cr_assert_str_eq(field, "usr_b");
    cr_assert_eq(ops->intent_create(&app, &in, &again), 0);
    cr_assert_str_eq(again.ref, r.ref); /* Idempotency-Key = our id */
    cr_assert_eq(fake_stripe_replays(fake), 1);
    cr_assert_eq(ops->intent_confirm(&app, r.ref, "4000000000009995", NULL, &again), -1);
    cr_assert_str_eq(again.error_code, "insufficient_funds");
    cr_assert_str_eq(again.status, "requires_payment_method");
    cr_assert_eq(again.retryable, 0);
    fake_stripe_fail_next(fake, 1, 429);
    cr_assert_eq(ops->intent_confirm(&app, r.ref, "4242424242424242", NULL, &again), -1);
    cr_assert_eq(again.retryable, 1);
    cr_assert_eq(ops->intent_confirm(&app, r.ref, "4242424242424242", NULL, &again), 0);
    cr_assert_str_eq(again.status, "succeeded");
    cr_assert_eq(ops->intent_get(&app, r.ref, &again), 0);
    cr_assert_str_eq(again.status, "succeeded");
    cr_assert_eq(ops->intent_cancel(&app, r.ref, &again), -1); /* succeeded: refused, not retryable */
    cr_assert_eq(again.retryable, 0);
    /* Refunds: never above what was received. */
    cr_assert_eq(ops->refund(&app, r.ref, 2000, "requested_by_customer", "rfd_1", &again), 0);
    cr_assert_str_eq(again.status, "succeeded");
    cr_assert_eq(ops->refund(&app, r.ref, 2000, NULL, "rfd_2", &again), -1);
    cr_assert_eq(again.retryable, 0);
    /* Same key, other parameters: idempotency_error. */
    cr_assert_eq(ops->refund(&app, r.ref, 100, NULL, "rfd_1", &again), -1);
    cr_assert_str_eq(again.error_code, "idempotency_error");
    stop();
}

Test(payproc, stripe_transfers_reversals_payouts)
{
    const struct payproc_ops *ops = stripe();
    struct payproc_result r, rev;
    fake_stripe_fail_next(fake, 1, 500);
    cr_assert_eq(ops->transfer(&app, "acct_seller", 900, "USD", "chk_1", "trf_1", &r), -1);
    cr_assert_eq(r.retryable, 1);
    cr_assert_eq(ops->transfer(&app, "acct_seller", 900, "USD", "chk_1", "trf_1", &r), 0);
    cr_assert(strncmp(r.ref, "tr_", 3) == 0, "%s", r.ref);
    char field[64];
    fake_stripe_last_field(fake, "POST /v1/transfers", "destination", field, sizeof field);
    cr_assert_str_eq(field, "acct_seller");
    fake_stripe_last_field(fake, "POST /v1/transfers", "transfer_group", field, sizeof field);
    cr_assert_str_eq(field, "chk_1");
    cr_assert_eq(ops->transfer_reverse(&app, r.ref, 400, "rev:rfd_9", &rev), 0);
    cr_assert(strncmp(rev.ref, "trr_", 4) == 0);
    cr_assert_eq(ops->transfer_reverse(&app, r.ref, 600, "rev:rfd_10", &rev), -1); /* only 500 left */
    cr_assert_eq(ops->payout(&app, "acct_seller", 5000, "USD", "pyo_1", &r), 0);
    cr_assert_str_eq(r.status, "pending");
    cr_assert_eq(fake_stripe_count(fake, "POST /v1/payouts"), 1);
    stop();
}

Test(payproc, stripe_wrong_key_is_refused)
{
    const struct payproc_ops *ops = stripe();
    cfg.stripe_secret_key = wrong_key;
    struct payproc_result r;
    cr_assert_eq(ops->transfer(&app, "acct_x", 100, "USD", NULL, "trf_k", &r), -1);
    cr_assert_eq(r.retryable, 0);
    stop();
}
