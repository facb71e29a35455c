/*
 * payproc.h — the payment processor interface: the embedded local test
 * processor (Stripe-like test cards, intents, refunds, transfers, payouts)
 * and Stripe (PaymentIntents, Connect transfers, refunds, payouts).
 * `payments_provider` in the configuration picks one.
 *
 * Every call is synchronous and may block on the network: call it from a
 * job or a request thread, never inside an open database transaction.
 * Every mutating call takes an idempotency key (our row id): repeating a
 * call after a crash or a timeout never moves money twice.
 */
#ifndef ARTISTRY_PLATFORM_PAYPROC_H
#define ARTISTRY_PLATFORM_PAYPROC_H

#include <stddef.h>
#include <stdint.h>

struct app;

/** What a processor call answered. */
struct payproc_result {
    int ok;                  /* 1: the call was accepted */
    int retryable;           /* 0 on ok; 1: network, 429 or 5xx: try again later with the same key */
    char ref[128];           /* processor object id (pi_…, re_…, tr_…, po_…, trr_…) */
    char status[32];         /* processor status of the object (intent statuses, succeeded, pending, failed…) */
    char client_secret[160]; /* intents: what the client needs to confirm */
    char next_action[256];   /* requires_action: where the customer authenticates */
    char card_brand[16];
    char card_last4[5];
    char error_code[64];     /* card_declined, insufficient_funds, … */
    char error_message[256];
};

struct payproc_intent {
    const char *id;             /* our payment_intents.id: the idempotency key and metadata */
    int64_t amount;
    const char *currency;
    const char *transfer_group; /* the checkout id, or the milestone id */
    const char *customer_ref;   /* our buyer id, for metadata */
};

/* Every op fills *out and returns 0 when out->ok, -1 otherwise (out->retryable and error_code say why). */
struct payproc_ops {
    const char *name; /* "local" or "stripe": the provider column */
    int (*intent_create)(struct app *app, const struct payproc_intent *in, struct payproc_result *out);
    /* payment_method: a test card number, pm_… or tok_…; return_url for requires_action. */
    int (*intent_confirm)(struct app *app, const char *ref, const char *payment_method, const char *return_url,
                          struct payproc_result *out);
    int (*intent_get)(struct app *app, const char *ref, struct payproc_result *out);
    int (*intent_cancel)(struct app *app, const char *ref, struct payproc_result *out);
    int (*refund)(struct app *app, const char *intent_ref, int64_t amount, const char *reason, const char *idem,
                  struct payproc_result *out);
    int (*transfer)(struct app *app, const char *destination, int64_t amount, const char *currency,
                    const char *transfer_group, const char *idem, struct payproc_result *out);
    int (*transfer_reverse)(struct app *app, const char *transfer_ref, int64_t amount, const char *idem,
                            struct payproc_result *out);
    /* A payout from the connected account destination to its bank. */
    int (*payout)(struct app *app, const char *destination, int64_t amount, const char *currency, const char *idem,
                  struct payproc_result *out);
    /*
     * The customer's authentication step of an intent in requires_action
     * (approve: 1 passes, 0 fails). The local processor only: NULL for
     * Stripe, where the customer authenticates on Stripe's page and the
     * outcome arrives by webhook.
     */
    int (*intent_authenticate)(struct app *app, const char *ref, int approve, struct payproc_result *out);
};

/*
 * The local processor (payments_provider "local"): offline and
 * deterministic. Every object id derives from its idempotency key
 * (pi_local_<id>, re_local_<key>, tr_local_<key>, trr_local_<key>,
 * po_local_<key>), so a repeated call answers the same object.
 *   - confirm: 4242424242424242, 4000002760003184, 5555555555554444,
 *     pm_card_visa, pm_card_mastercard succeed; 4000000000000002 and
 *     pm_card_visa_chargeDeclined fail card_declined (decline
 *     generic_decline); 4000000000009995 and
 *     pm_card_visa_chargeDeclinedInsufficientFunds fail insufficient_funds;
 *     4000002500003155 and pm_card_authenticationRequired go to
 *     requires_action (next_action "local_authenticate"), then
 *     intent_authenticate decides; anything else fails incorrect_number.
 *   - payouts: an amount whose last two digits are 13 (e.g. 1013) fails,
 *     not retryable, error_code "account_closed" and status "failed"; every
 *     other payout is paid at once (status "paid").
 *   - refunds, transfers and reversals succeed at once.
 *   - intent_get is not supported (ok = 0, error_code "unsupported").
 */
#define PAYPROC_LOCAL_PAYOUT_FAIL_CENTS 13

/** The configured processor (never NULL once the app is initialised). */
const struct payproc_ops *payproc_get(const struct app *app);

/**
 * The connected-account id of seller_id at the configured processor
 * (seller_payout_accounts), created on first use for the local processor.
 * Writes it into buf. 0, 1 when the seller has no usable account (Stripe
 * onboarding not done), -1 on a database error.
 */
struct db;
struct db_error;
int payproc_seller_account(struct app *app, struct db *db, const char *seller_id, char *buf, size_t cap,
                           struct db_error *err);

#endif
