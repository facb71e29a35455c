/*
 * payproc_stripe.c — the Stripe adapter (PROTOCOLS.md §2).
 *
 * Requests: `<stripe_api_base>/v1/…`, `Authorization: Bearer <secret key>`,
 * form-encoded bodies with bracket nesting (metadata[intent_id]=…),
 * `Idempotency-Key` on every create (our row id), `Stripe-Account` for
 * calls on a connected account (payouts).
 *
 * Errors: 2xx is ok; 402 is a card error (error.code, error.decline_code
 * kept; the intent is back to requires_payment_method); 409 (a concurrent
 * use of the idempotency key), 429, 5xx and network failures are
 * retryable with the same key; any other 4xx is a refusal.
 *
 * Test card numbers are mapped to Stripe's test PaymentMethods
 * (4242… → pm_card_visa…): the API does not take raw card numbers.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "platform/httpc.h"
#include "platform/payproc_int.h"

#define STRIPE_MAX_BODY (256 * 1024)
#define STRIPE_TIMEOUT_MS 20000L

/* A form body being built (heap strbuf: processor calls have no arena). */
struct form {
    struct strbuf b;
    CURL *h;
};

static void form_add(struct form *f, const char *key, const char *value)
{
    if (value == NULL)
        return;
    char *k = curl_easy_escape(f->h, key, 0);
    char *v = curl_easy_escape(f->h, value, 0);
    if (f->b.len > 0)
        strbuf_putc(&f->b, '&');
    strbuf_printf(&f->b, "%s=%s", k, v);
    curl_free(k);
    curl_free(v);
}

static void form_add_i64(struct form *f, const char *key, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    form_add(f, key, buf);
}

/* Stripe wants lowercase ISO currency codes. */
static void form_add_currency(struct form *f, const char *cur)
{
    char buf[8];
    size_t i = 0;
    for (; cur != NULL && cur[i] != '\0' && i + 1 < sizeof buf; i++)
        buf[i] = (char)(cur[i] >= 'A' && cur[i] <= 'Z' ? cur[i] + 32 : cur[i]);
    buf[i] = '\0';
    form_add(f, "currency", buf);
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Fill out from a Stripe object (intent, refund, transfer, reversal, payout). */
static void read_object(json_t *o, struct payproc_result *out)
{
    PAYPROC_SET(out->ref, jstr(o, "id"));
    PAYPROC_SET(out->status, jstr(o, "status"));
    if (jstr(o, "client_secret") != NULL)
        PAYPROC_SET(out->client_secret, jstr(o, "client_secret"));
    json_t *na = json_object_get(o, "next_action");
    const char *url = json_string_value(json_object_get(json_object_get(na, "redirect_to_url"), "url"));
    if (url != NULL)
        PAYPROC_SET(out->next_action, url);
    else if (jstr(na, "type") != NULL)
        PAYPROC_SET(out->next_action, jstr(na, "type"));
    /* A transfer has no status: it exists once created. A reversal neither. */
    if (out->status[0] == '\0' && jstr(o, "object") != NULL)
        PAYPROC_SET(out->status, "succeeded");
    json_t *err = json_object_get(o, "last_payment_error");
    if (json_is_object(err)) {
        const char *code = jstr(err, "decline_code") ? jstr(err, "decline_code") : jstr(err, "code");
        PAYPROC_SET(out->error_code, code);
        PAYPROC_SET(out->error_message, jstr(err, "message"));
    }
}

/* Fill out from an error response of HTTP status code. */
static void read_error(long code, json_t *body, struct payproc_result *out)
{
    json_t *e = json_object_get(body, "error");
    const char *ecode = jstr(e, "code");
    const char *decline = jstr(e, "decline_code");
    out->ok = 0;
    out->retryable = code == 409 || code == 429 || code >= 500 || code == 0;
    /* card_declined carries the reason in decline_code: insufficient_funds is the one clients switch on. */
    if (ecode != NULL && strcmp(ecode, "card_declined") == 0 && decline != NULL &&
        strcmp(decline, "insufficient_funds") == 0)
        ecode = decline;
    PAYPROC_SET(out->error_code, ecode ? ecode : (jstr(e, "type") ? jstr(e, "type") : "api_error"));
    PAYPROC_SET(out->error_message, jstr(e, "message") ? jstr(e, "message") : "Stripe request failed");
    json_t *pi = json_object_get(e, "payment_intent");
    if (json_is_object(pi)) {
        PAYPROC_SET(out->ref, jstr(pi, "id"));
        PAYPROC_SET(out->status, jstr(pi, "status"));
    }
}

struct call {
    const char *method; /* "GET" or "POST" */
    const char *path;   /* "/v1/payment_intents" */
    const char *idem;   /* Idempotency-Key, or NULL */
    const char *account; /* Stripe-Account, or NULL */
};

static int stripe_call(struct app *app, const struct call *c, struct form *f, struct payproc_result *out)
{
    const struct config *cfg = app->cfg;
    char url[512], auth[512], idem[300], acct[200];
    struct httpc_body b = {.max = STRIPE_MAX_BODY};
    struct curl_slist *hdr = NULL;
    long code = 0;
    json_t *body = NULL;
    snprintf(url, sizeof url, "%s%s", cfg->stripe_api_base, c->path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->stripe_secret_key);
    hdr = curl_slist_append(hdr, auth);
    if (c->idem != NULL) {
        snprintf(idem, sizeof idem, "Idempotency-Key: %s", c->idem);
        hdr = curl_slist_append(hdr, idem);
    }
    if (c->account != NULL) {
        snprintf(acct, sizeof acct, "Stripe-Account: %s", c->account);
        hdr = curl_slist_append(hdr, acct);
    }
    CURL *h = f->h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, STRIPE_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "artistry-cart");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (strcmp(c->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, f->b.data ? f->b.data : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)f->b.len);
    }
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    body = b.data != NULL ? json_loads(b.data, 0, NULL) : NULL;
    if (cc != CURLE_OK || b.too_big) {
        out->ok = 0;
        out->retryable = 1;
        PAYPROC_SET(out->error_code, "network_error");
        PAYPROC_SET(out->error_message, b.too_big ? "response too large" : curl_easy_strerror(cc));
    } else if (code >= 200 && code < 300 && json_is_object(body)) {
        out->ok = 1;
        read_object(body, out);
    } else {
        read_error(code, body, out);
    }
    if (!out->ok)
        log_warn("stripe call failed", "path=%s status=%ld code=%s retryable=%d", c->path, code, out->error_code,
                 out->retryable);
    json_decref(body);
    httpc_body_free(&b);
    curl_slist_free_all(hdr);
    return out->ok ? 0 : -1;
}

/* One request: the form is built by the caller between form_open and this call. */
static int finish(struct app *app, const struct call *c, struct form *f, struct payproc_result *out)
{
    int rc = stripe_call(app, c, f, out);
    curl_easy_cleanup(f->h);
    strbuf_free(&f->b);
    return rc;
}

static void form_open(struct form *f, struct payproc_result *out)
{
    memset(out, 0, sizeof *out);
    strbuf_init(&f->b, NULL, 256);
    f->h = curl_easy_init();
    APP_ASSERT(f->h != NULL);
}

static int stripe_intent_create(struct app *app, const struct payproc_intent *in, struct payproc_result *out)
{
    struct form f;
    form_open(&f, out);
    form_add_i64(&f, "amount", in->amount);
    form_add_currency(&f, in->currency);
    form_add(&f, "payment_method_types[]", "card");
    form_add(&f, "transfer_group", in->transfer_group);
    form_add(&f, "metadata[intent_id]", in->id);
    form_add(&f, "metadata[buyer_id]", in->customer_ref);
    struct call c = {"POST", "/v1/payment_intents", in->id, NULL};
    return finish(app, &c, &f, out);
}

/* Stripe takes PaymentMethods, not raw numbers: map the test cards. */
static const char *stripe_pm(const char *pm)
{
    static const char *const map[][2] = {
        {"4242424242424242", "pm_card_visa"},
        {"4000000000000002", "pm_card_visa_chargeDeclined"},
        {"4000000000009995", "pm_card_visa_chargeDeclinedInsufficientFunds"},
        {"4000002500003155", "pm_card_authenticationRequired"},
        {"4000002760003184", "pm_card_authenticationRequired"},
        {"5555555555554444", "pm_card_mastercard"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], pm) == 0)
            return map[i][1];
    return pm;
}

static int stripe_intent_confirm(struct app *app, const char *ref, const char *payment_method, const char *return_url,
                                 struct payproc_result *out)
{
    struct form f;
    char path[200];
    form_open(&f, out);
    form_add(&f, "payment_method", stripe_pm(payment_method));
    form_add(&f, "return_url", return_url);
    snprintf(path, sizeof path, "/v1/payment_intents/%s/confirm", ref);
    struct call c = {"POST", path, NULL, NULL};
    return finish(app, &c, &f, out);
}

static int stripe_intent_get(struct app *app, const char *ref, struct payproc_result *out)
{
    struct form f;
    char path[200];
    form_open(&f, out);
    snprintf(path, sizeof path, "/v1/payment_intents/%s", ref);
    struct call c = {"GET", path, NULL, NULL};
    return finish(app, &c, &f, out);
}

static int stripe_intent_cancel(struct app *app, const char *ref, struct payproc_result *out)
{
    struct form f;
    char path[200];
    form_open(&f, out);
    snprintf(path, sizeof path, "/v1/payment_intents/%s/cancel", ref);
    struct call c = {"POST", path, NULL, NULL};
    return finish(app, &c, &f, out);
}

/* Our refunds.reason values that Stripe knows; the rest travel in metadata. */
static const char *stripe_reason(const char *reason)
{
    if (reason != NULL && (strcmp(reason, "duplicate") == 0 || strcmp(reason, "fraudulent") == 0))
        return reason;
    return "requested_by_customer";
}

static int stripe_refund(struct app *app, const char *intent_ref, int64_t amount, const char *reason, const char *idem,
                         struct payproc_result *out)
{
    struct form f;
    form_open(&f, out);
    form_add(&f, "payment_intent", intent_ref);
    form_add_i64(&f, "amount", amount);
    form_add(&f, "reason", stripe_reason(reason));
    form_add(&f, "metadata[reason]", reason);
    form_add(&f, "metadata[refund_id]", idem);
    struct call c = {"POST", "/v1/refunds", idem, NULL};
    return finish(app, &c, &f, out);
}

static int stripe_transfer(struct app *app, const char *destination, int64_t amount, const char *currency,
                           const char *transfer_group, const char *idem, struct payproc_result *out)
{
    struct form f;
    form_open(&f, out);
    form_add_i64(&f, "amount", amount);
    form_add_currency(&f, currency);
    form_add(&f, "destination", destination);
    form_add(&f, "transfer_group", transfer_group);
    form_add(&f, "metadata[transfer_id]", idem);
    struct call c = {"POST", "/v1/transfers", idem, NULL};
    return finish(app, &c, &f, out);
}

static int stripe_transfer_reverse(struct app *app, const char *transfer_ref, int64_t amount, const char *idem,
                                   struct payproc_result *out)
{
    struct form f;
    char path[200];
    form_open(&f, out);
    form_add_i64(&f, "amount", amount);
    snprintf(path, sizeof path, "/v1/transfers/%s/reversals", transfer_ref);
    struct call c = {"POST", path, idem, NULL};
    return finish(app, &c, &f, out);
}

static int stripe_payout(struct app *app, const char *destination, int64_t amount, const char *currency,
                         const char *idem, struct payproc_result *out)
{
    struct form f;
    form_open(&f, out);
    form_add_i64(&f, "amount", amount);
    form_add_currency(&f, currency);
    form_add(&f, "metadata[payout_id]", idem);
    struct call c = {"POST", "/v1/payouts", idem, destination};
    return finish(app, &c, &f, out);
}

const struct payproc_ops payproc__stripe_ops = {
    .name = "stripe",
    .intent_create = stripe_intent_create,
    .intent_confirm = stripe_intent_confirm,
    .intent_get = stripe_intent_get,
    .intent_cancel = stripe_intent_cancel,
    .refund = stripe_refund,
    .transfer = stripe_transfer,
    .transfer_reverse = stripe_transfer_reverse,
    .payout = stripe_payout,
    .intent_authenticate = NULL,
};
