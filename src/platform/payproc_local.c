/*
 * payproc_local.c — the embedded local test processor (see payproc.h for
 * its test cards and rules).
 *
 * It keeps no state: an object's id derives from its idempotency key and
 * every outcome from the call's arguments, so it is deterministic, survives
 * restarts, and a repeated call answers the same object. What it cannot
 * know (an intent's current status) the payments service reads from its
 * own payment_intents row before calling.
 */
#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "platform/payproc_int.h"

enum outcome { OUT_SUCCEED, OUT_DECLINE, OUT_NO_FUNDS, OUT_ACTION, OUT_UNKNOWN };

struct card {
    const char *pm;     /* a card number or a pm_ id */
    enum outcome outcome;
    const char *brand;
    const char *last4;
};

static const struct card cards[] = {
    {"4242424242424242", OUT_SUCCEED, "visa", "4242"},
    {"pm_card_visa", OUT_SUCCEED, "visa", "4242"},
    {"4000002760003184", OUT_SUCCEED, "visa", "3184"},
    {"5555555555554444", OUT_SUCCEED, "mastercard", "4444"},
    {"pm_card_mastercard", OUT_SUCCEED, "mastercard", "4444"},
    {"4000000000000002", OUT_DECLINE, "visa", "0002"},
    {"pm_card_visa_chargeDeclined", OUT_DECLINE, "visa", "0002"},
    {"4000000000009995", OUT_NO_FUNDS, "visa", "9995"},
    {"pm_card_visa_chargeDeclinedInsufficientFunds", OUT_NO_FUNDS, "visa", "9995"},
    {"4000002500003155", OUT_ACTION, "visa", "3155"},
    {"pm_card_authenticationRequired", OUT_ACTION, "visa", "3155"},
};

/* The payment method without spaces or dashes (card numbers are often typed grouped). */
static void normalise(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; in != NULL && *in != '\0' && n + 1 < cap; in++)
        if (*in != ' ' && *in != '-')
            out[n++] = *in;
    out[n] = '\0';
}

static const struct card *find_card(const char *pm)
{
    char buf[96];
    normalise(pm, buf, sizeof buf);
    for (size_t i = 0; i < sizeof cards / sizeof cards[0]; i++)
        if (strcmp(cards[i].pm, buf) == 0)
            return &cards[i];
    return NULL;
}

static void make_ref(char *dst, size_t cap, const char *prefix, const char *key)
{
    snprintf(dst, cap, "%s_local_%s", prefix, key);
}

static int local_intent_create(struct app *app, const struct payproc_intent *in, struct payproc_result *out)
{
    (void)app;
    memset(out, 0, sizeof *out);
    out->ok = 1;
    make_ref(out->ref, sizeof out->ref, "pi", in->id);
    PAYPROC_SET(out->status, "requires_payment_method");
    /* A test processor: the secret only has to be unguessable enough to look like one. */
    char rnd[12], hex[25];
    random_bytes(rnd, sizeof rnd);
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)rnd[i]);
    snprintf(out->client_secret, sizeof out->client_secret, "%s_secret_%s", out->ref, hex);
    return 0;
}

static void succeeded(struct payproc_result *out, const char *ref, const struct card *c)
{
    out->ok = 1;
    PAYPROC_SET(out->ref, ref);
    PAYPROC_SET(out->status, "succeeded");
    PAYPROC_SET(out->card_brand, c->brand);
    PAYPROC_SET(out->card_last4, c->last4);
}

static int local_intent_confirm(struct app *app, const char *ref, const char *payment_method, const char *return_url,
                                struct payproc_result *out)
{
    (void)app, (void)return_url;
    memset(out, 0, sizeof *out);
    const struct card *c = find_card(payment_method);
    PAYPROC_SET(out->ref, ref);
    PAYPROC_SET(out->status, "requires_payment_method");
    if (c == NULL)
        return payproc__refused(out, "incorrect_number", "Your card number is incorrect.");
    PAYPROC_SET(out->card_brand, c->brand);
    PAYPROC_SET(out->card_last4, c->last4);
    switch (c->outcome) {
    case OUT_SUCCEED:
        succeeded(out, ref, c);
        return 0;
    case OUT_DECLINE:
        return payproc__refused(out, "card_declined", "Your card was declined. (generic_decline)");
    case OUT_NO_FUNDS:
        return payproc__refused(out, "insufficient_funds", "Your card has insufficient funds.");
    case OUT_ACTION:
        out->ok = 1;
        PAYPROC_SET(out->status, "requires_action");
        PAYPROC_SET(out->next_action, "local_authenticate");
        return 0;
    case OUT_UNKNOWN:
        break;
    }
    return payproc__refused(out, "incorrect_number", "Your card number is incorrect.");
}

static int local_intent_authenticate(struct app *app, const char *ref, int approve, struct payproc_result *out)
{
    (void)app;
    memset(out, 0, sizeof *out);
    if (approve) {
        succeeded(out, ref, find_card("4000002500003155"));
        return 0;
    }
    PAYPROC_SET(out->ref, ref);
    PAYPROC_SET(out->status, "requires_payment_method");
    return payproc__refused(out, "payment_intent_authentication_failure",
                            "The customer failed to authenticate the payment.");
}

static int local_intent_get(struct app *app, const char *ref, struct payproc_result *out)
{
    (void)app;
    memset(out, 0, sizeof *out);
    PAYPROC_SET(out->ref, ref);
    return payproc__refused(out, "unsupported", "the local processor keeps no intent state");
}

static int local_intent_cancel(struct app *app, const char *ref, struct payproc_result *out)
{
    (void)app;
    memset(out, 0, sizeof *out);
    out->ok = 1;
    PAYPROC_SET(out->ref, ref);
    PAYPROC_SET(out->status, "canceled");
    return 0;
}

static int accepted(struct payproc_result *out, const char *prefix, const char *idem, const char *status)
{
    memset(out, 0, sizeof *out);
    out->ok = 1;
    make_ref(out->ref, sizeof out->ref, prefix, idem);
    PAYPROC_SET(out->status, status);
    return 0;
}

static int local_refund(struct app *app, const char *intent_ref, int64_t amount, const char *reason, const char *idem,
                        struct payproc_result *out)
{
    (void)app, (void)intent_ref, (void)reason;
    if (amount <= 0) {
        memset(out, 0, sizeof *out);
        return payproc__refused(out, "amount_too_small", "Amount must be at least 1.");
    }
    return accepted(out, "re", idem, "succeeded");
}

static int local_transfer(struct app *app, const char *destination, int64_t amount, const char *currency,
                          const char *transfer_group, const char *idem, struct payproc_result *out)
{
    (void)app, (void)destination, (void)currency, (void)transfer_group;
    if (amount <= 0) {
        memset(out, 0, sizeof *out);
        return payproc__refused(out, "amount_too_small", "Amount must be at least 1.");
    }
    return accepted(out, "tr", idem, "succeeded");
}

static int local_transfer_reverse(struct app *app, const char *transfer_ref, int64_t amount, const char *idem,
                                  struct payproc_result *out)
{
    (void)app, (void)transfer_ref, (void)amount;
    return accepted(out, "trr", idem, "succeeded");
}

static int local_payout(struct app *app, const char *destination, int64_t amount, const char *currency,
                        const char *idem, struct payproc_result *out)
{
    (void)app, (void)destination, (void)currency;
    accepted(out, "po", idem, "paid");
    if (amount % 100 == PAYPROC_LOCAL_PAYOUT_FAIL_CENTS) {
        PAYPROC_SET(out->status, "failed");
        return payproc__refused(out, "account_closed", "The bank account has been closed.");
    }
    return 0;
}

const struct payproc_ops payproc__local_ops = {
    .name = "local",
    .intent_create = local_intent_create,
    .intent_confirm = local_intent_confirm,
    .intent_get = local_intent_get,
    .intent_cancel = local_intent_cancel,
    .refund = local_refund,
    .transfer = local_transfer,
    .transfer_reverse = local_transfer_reverse,
    .payout = local_payout,
    .intent_authenticate = local_intent_authenticate,
};
