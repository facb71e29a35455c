/*
 * fake_stripe.c — see fake_stripe.h. Built on fake_http (a thread per
 * connection); state lives in jansson objects under the fake_http mutex,
 * held while a request is answered.
 */
#include "fake_stripe.h"

#include "api/fake_http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY_MAX (64 * 1024)
#define MAX_LOG 512

struct idem {
    char *key, *params, *body;
    unsigned status;
};

struct fake_stripe {
    struct fake_http *h;
    char key[128], whsec[128];
    json_t *objects; /* id → object */
    struct idem *idem;
    size_t nidem;
    char *log[MAX_LOG]; /* "METHOD path" */
    json_t *log_forms[MAX_LOG];
    int nlog, replays, seq;
    int fail_n, fail_status;
};

static void die(const char *what)
{
    fprintf(stderr, "fake_stripe: %s\n", what);
    abort();
}

/*-----------------------------------------------------------------------------
 * Forms and answers
 */
static void form_pair(void *ctx, const char *k, const char *v)
{
    if (v != NULL)
        json_object_set_new(ctx, k, json_string(v));
}

/* "a=1&metadata[x]=y" → {"a":"1","metadata[x]":"y"} (bracket keys kept as written; the last of a key wins). */
static json_t *parse_form(const char *body, size_t len)
{
    json_t *f = json_object();
    fake_http_form_each(body, len, form_pair, f);
    return f;
}

static const char *field(json_t *form, const char *k)
{
    return json_string_value(json_object_get(form, k));
}

static long long field_int(json_t *form, const char *k, int *ok)
{
    const char *v = field(form, k);
    char *e;
    long long n = v ? strtoll(v, &e, 10) : 0;
    *ok = v != NULL && *v != '\0' && *e == '\0' && n > 0;
    return n;
}

struct answer {
    unsigned status;
    char *body; /* heap */
};

static struct answer ok(json_t *o)
{
    struct answer a = {200, json_dumps(o, JSON_COMPACT)};
    return a;
}

static struct answer error(unsigned status, const char *type, const char *code, const char *decline,
                           const char *message, json_t *pi)
{
    json_t *e = json_pack("{s:s, s:s}", "type", type, "message", message);
    if (code)
        json_object_set_new(e, "code", json_string(code));
    if (decline)
        json_object_set_new(e, "decline_code", json_string(decline));
    if (pi)
        json_object_set(e, "payment_intent", pi);
    json_t *o = json_pack("{s:o}", "error", e);
    struct answer a = {status, json_dumps(o, JSON_COMPACT)};
    json_decref(o);
    return a;
}

static json_t *new_object(struct fake_stripe *f, const char *prefix, const char *object)
{
    char id[64];
    snprintf(id, sizeof id, "%s_fake%06d", prefix, ++f->seq);
    json_t *o = json_pack("{s:s, s:s, s:I, s:b}", "id", id, "object", object, "created", (json_int_t)time(NULL),
                          "livemode", 0);
    json_object_set_new(f->objects, id, o);
    return o;
}

static json_t *metadata(json_t *form)
{
    json_t *m = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(form, k, v)
    {
        if (strncmp(k, "metadata[", 9) == 0 && k[strlen(k) - 1] == ']') {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(strlen(k) - 10), k + 9);
            json_object_set(m, name, v);
        }
    }
    return m;
}

/*-----------------------------------------------------------------------------
 * Resources (called with the lock held)
 */
static struct answer create_intent(struct fake_stripe *f, json_t *form)
{
    int okn;
    long long amount = field_int(form, "amount", &okn);
    if (!okn || field(form, "currency") == NULL)
        return error(400, "invalid_request_error", "parameter_missing", NULL, "Missing required param: amount.", NULL);
    json_t *o = new_object(f, "pi", "payment_intent");
    char secret[128];
    snprintf(secret, sizeof secret, "%s_secret_fake", json_string_value(json_object_get(o, "id")));
    json_object_set_new(o, "amount", json_integer(amount));
    json_object_set_new(o, "amount_received", json_integer(0));
    json_object_set_new(o, "currency", json_string(field(form, "currency")));
    json_object_set_new(o, "status", json_string("requires_payment_method"));
    json_object_set_new(o, "client_secret", json_string(secret));
    json_object_set_new(o, "transfer_group", field(form, "transfer_group") ? json_string(field(form, "transfer_group"))
                                                                           : json_null());
    json_object_set_new(o, "metadata", metadata(form));
    json_object_set_new(o, "next_action", json_null());
    json_object_set_new(o, "last_payment_error", json_null());
    json_object_set_new(o, "amount_refunded", json_integer(0));
    return ok(o);
}

static struct answer confirm_intent(struct fake_stripe *f, json_t *pi, json_t *form)
{
    const char *status = json_string_value(json_object_get(pi, "status"));
    const char *pm = field(form, "payment_method");
    if (strcmp(status, "succeeded") == 0 || strcmp(status, "canceled") == 0)
        return error(400, "invalid_request_error", "payment_intent_unexpected_state", NULL,
                     "You cannot confirm this PaymentIntent because it has a status of succeeded or canceled.", pi);
    if (pm == NULL)
        return error(400, "invalid_request_error", "parameter_missing", NULL, "Missing payment_method.", pi);
    (void)f;
    if (strcmp(pm, "pm_card_visa") == 0 || strcmp(pm, "pm_card_mastercard") == 0) {
        json_object_set_new(pi, "status", json_string("succeeded"));
        json_object_set(pi, "amount_received", json_object_get(pi, "amount"));
        json_object_set_new(pi, "next_action", json_null());
        json_object_set_new(pi, "last_payment_error", json_null());
        return ok(pi);
    }
    if (strcmp(pm, "pm_card_authenticationRequired") == 0) {
        json_object_set_new(pi, "status", json_string("requires_action"));
        json_object_set_new(pi, "next_action",
                            json_pack("{s:s, s:{s:s}}", "type", "redirect_to_url", "redirect_to_url", "url",
                                      "https://hooks.stripe.com/3d_secure_2/fake"));
        return ok(pi);
    }
    const char *decline = strcmp(pm, "pm_card_visa_chargeDeclinedInsufficientFunds") == 0 ? "insufficient_funds"
                          : strcmp(pm, "pm_card_visa_chargeDeclined") == 0            ? "generic_decline"
                                                                                      : NULL;
    if (decline == NULL)
        return error(400, "invalid_request_error", "resource_missing", NULL, "No such PaymentMethod.", NULL);
    json_object_set_new(pi, "status", json_string("requires_payment_method"));
    json_object_set_new(pi, "last_payment_error", json_pack("{s:s, s:s, s:s}", "code", "card_declined", "decline_code",
                                                            decline, "message", "Your card was declined."));
    return error(402, "card_error", "card_declined", decline, "Your card was declined.", pi);
}

static struct answer refund(struct fake_stripe *f, json_t *form)
{
    json_t *pi = json_object_get(f->objects, field(form, "payment_intent") ? field(form, "payment_intent") : "");
    if (pi == NULL)
        return error(400, "invalid_request_error", "resource_missing", NULL, "No such payment_intent.", NULL);
    json_int_t received = json_integer_value(json_object_get(pi, "amount_received"));
    json_int_t refunded = json_integer_value(json_object_get(pi, "amount_refunded"));
    int okn;
    long long amount = field(form, "amount") ? field_int(form, "amount", &okn) : received - refunded;
    if (amount <= 0 || amount > received - refunded)
        return error(400, "invalid_request_error", "amount_too_large", NULL,
                     "Refund amount is greater than the amount left to refund.", NULL);
    json_object_set_new(pi, "amount_refunded", json_integer(refunded + amount));
    json_t *o = new_object(f, "re", "refund");
    json_object_set_new(o, "amount", json_integer(amount));
    json_object_set(o, "currency", json_object_get(pi, "currency"));
    json_object_set(o, "payment_intent", json_object_get(pi, "id"));
    json_object_set_new(o, "reason", field(form, "reason") ? json_string(field(form, "reason")) : json_null());
    json_object_set_new(o, "status", json_string("succeeded"));
    json_object_set_new(o, "metadata", metadata(form));
    return ok(o);
}

static struct answer transfer(struct fake_stripe *f, json_t *form)
{
    int okn;
    long long amount = field_int(form, "amount", &okn);
    if (!okn || field(form, "destination") == NULL || field(form, "currency") == NULL)
        return error(400, "invalid_request_error", "parameter_missing", NULL, "Missing amount or destination.", NULL);
    json_t *o = new_object(f, "tr", "transfer");
    json_object_set_new(o, "amount", json_integer(amount));
    json_object_set_new(o, "amount_reversed", json_integer(0));
    json_object_set_new(o, "currency", json_string(field(form, "currency")));
    json_object_set_new(o, "destination", json_string(field(form, "destination")));
    json_object_set_new(o, "transfer_group",
                        field(form, "transfer_group") ? json_string(field(form, "transfer_group")) : json_null());
    return ok(o);
}

static struct answer reversal(struct fake_stripe *f, json_t *tr, json_t *form)
{
    int okn;
    long long amount = field_int(form, "amount", &okn);
    json_int_t left = json_integer_value(json_object_get(tr, "amount")) -
                      json_integer_value(json_object_get(tr, "amount_reversed"));
    if (!okn || amount > left)
        return error(400, "invalid_request_error", "amount_too_large", NULL, "Reversal exceeds the transfer.", NULL);
    json_object_set_new(tr, "amount_reversed",
                        json_integer(json_integer_value(json_object_get(tr, "amount_reversed")) + amount));
    json_t *o = new_object(f, "trr", "transfer_reversal");
    json_object_set_new(o, "amount", json_integer(amount));
    json_object_set(o, "transfer", json_object_get(tr, "id"));
    return ok(o);
}

static struct answer payout(struct fake_stripe *f, json_t *form, const char *account)
{
    int okn;
    long long amount = field_int(form, "amount", &okn);
    if (account == NULL)
        return error(400, "invalid_request_error", "missing_account", NULL, "Stripe-Account header required.", NULL);
    if (!okn)
        return error(400, "invalid_request_error", "parameter_missing", NULL, "Missing amount.", NULL);
    json_t *o = new_object(f, "po", "payout");
    json_object_set_new(o, "amount", json_integer(amount));
    json_object_set_new(o, "currency", json_string(field(form, "currency") ? field(form, "currency") : "usd"));
    json_object_set_new(o, "status", json_string("pending"));
    json_object_set_new(o, "destination_account", json_string(account));
    return ok(o);
}

/* Route one authenticated request. */
static struct answer route(struct fake_stripe *f, const char *method, const char *url, json_t *form,
                           const char *account)
{
    char id[96] = "", tail[32] = "";
    bool post = strcmp(method, "POST") == 0;
    if (post && strcmp(url, "/v1/payment_intents") == 0)
        return create_intent(f, form);
    if (post && strcmp(url, "/v1/refunds") == 0)
        return refund(f, form);
    if (post && strcmp(url, "/v1/transfers") == 0)
        return transfer(f, form);
    if (post && strcmp(url, "/v1/payouts") == 0)
        return payout(f, form, account);
    if (sscanf(url, "/v1/payment_intents/%95[^/]/%31s", id, tail) >= 1) {
        json_t *pi = json_object_get(f->objects, id);
        if (pi == NULL)
            return error(404, "invalid_request_error", "resource_missing", NULL, "No such payment_intent.", NULL);
        if (!post && tail[0] == '\0')
            return ok(pi);
        if (post && strcmp(tail, "confirm") == 0)
            return confirm_intent(f, pi, form);
        if (post && strcmp(tail, "cancel") == 0) {
            if (strcmp(json_string_value(json_object_get(pi, "status")), "succeeded") == 0)
                return error(400, "invalid_request_error", "payment_intent_unexpected_state", NULL,
                             "You cannot cancel this PaymentIntent because it has a status of succeeded.", pi);
            json_object_set_new(pi, "status", json_string("canceled"));
            return ok(pi);
        }
    }
    if (post && sscanf(url, "/v1/transfers/%95[^/]/%31s", id, tail) == 2 && strcmp(tail, "reversals") == 0) {
        json_t *tr = json_object_get(f->objects, id);
        if (tr == NULL)
            return error(404, "invalid_request_error", "resource_missing", NULL, "No such transfer.", NULL);
        return reversal(f, tr, form);
    }
    return error(404, "invalid_request_error", NULL, NULL, "Unrecognized request URL.", NULL);
}

/*-----------------------------------------------------------------------------
 * Requests
 */
static struct idem *find_idem(struct fake_stripe *f, const char *key)
{
    for (size_t i = 0; i < f->nidem; i++)
        if (strcmp(f->idem[i].key, key) == 0)
            return &f->idem[i];
    return NULL;
}

static void log_request(struct fake_stripe *f, const char *method, const char *url, json_t *form)
{
    if (f->nlog == MAX_LOG)
        return;
    size_t n = strlen(method) + strlen(url) + 2;
    f->log[f->nlog] = malloc(n);
    snprintf(f->log[f->nlog], n, "%s %s", method, url);
    f->log_forms[f->nlog++] = json_incref(form);
}

static struct answer handle(struct fake_stripe *f, const struct fake_http_request *rq, bool *replayed)
{
    const char *method = rq->method, *url = rq->path;
    const char *auth = fake_http_header(rq, "Authorization");
    char want[160];
    snprintf(want, sizeof want, "Bearer %s", f->key);
    if (auth == NULL || strcmp(auth, want) != 0)
        return error(401, "invalid_request_error", NULL, NULL, "Invalid API Key provided.", NULL);
    if (f->fail_n > 0) {
        f->fail_n--;
        return error((unsigned)f->fail_status, f->fail_status == 429 ? "invalid_request_error" : "api_error",
                     f->fail_status == 429 ? "rate_limit" : NULL, NULL, "Injected failure.", NULL);
    }
    json_t *form = parse_form(rq->body, rq->body_len);
    log_request(f, method, url, form);
    const char *key = fake_http_header(rq, "Idempotency-Key");
    size_t plen = strlen(method) + strlen(url) + rq->body_len + 3;
    char *params = malloc(plen);
    snprintf(params, plen, "%s %s %.*s", method, url, (int)rq->body_len, rq->body);
    struct idem *seen = key ? find_idem(f, key) : NULL;
    struct answer a;
    if (seen != NULL && strcmp(seen->params, params) != 0) {
        a = error(400, "idempotency_error", NULL, NULL,
                  "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                  NULL);
    } else if (seen != NULL) {
        a.status = seen->status;
        a.body = strdup(seen->body);
        *replayed = true;
        f->replays++;
    } else {
        a = route(f, method, url, form, fake_http_header(rq, "Stripe-Account"));
        if (key != NULL) {
            f->idem = realloc(f->idem, (f->nidem + 1) * sizeof *f->idem);
            f->idem[f->nidem++] = (struct idem){strdup(key), params, strdup(a.body), a.status};
            params = NULL;
        }
    }
    free(params);
    json_decref(form);
    return a;
}

static void on_request(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    struct fake_stripe *f = ctx;
    bool replayed = false;
    fake_http_lock(f->h);
    struct answer a = handle(f, rq, &replayed);
    fake_http_unlock(f->h);
    rp->status = a.status;
    rp->body = a.body;
    rp->content_type = "application/json";
    fake_http_reply_header(rp, "Request-Id", "req_fake");
    if (replayed)
        fake_http_reply_header(rp, "Idempotent-Replayed", "true");
}

/*-----------------------------------------------------------------------------
 * Life cycle and inspection
 */
struct fake_stripe *fake_stripe_start(const char *secret_key, const char *webhook_secret)
{
    struct fake_stripe *f = calloc(1, sizeof *f);
    if (f == NULL)
        die("out of memory");
    snprintf(f->key, sizeof f->key, "%s", secret_key);
    snprintf(f->whsec, sizeof f->whsec, "%s", webhook_secret);
    f->objects = json_object();
    struct fake_http_opts o = {.max_body = BODY_MAX, .thread_per_connection = true};
    f->h = fake_http_start_opts(on_request, f, &o);
    return f;
}

void fake_stripe_stop(struct fake_stripe *f)
{
    if (f == NULL)
        return;
    fake_http_stop(f->h);
    for (size_t i = 0; i < f->nidem; i++) {
        free(f->idem[i].key);
        free(f->idem[i].params);
        free(f->idem[i].body);
    }
    free(f->idem);
    for (int i = 0; i < f->nlog; i++) {
        free(f->log[i]);
        json_decref(f->log_forms[i]);
    }
    json_decref(f->objects);
    free(f);
}

const char *fake_stripe_url(const struct fake_stripe *f)
{
    return fake_http_url(f->h);
}

void fake_stripe_fail_next(struct fake_stripe *f, int n, int status)
{
    fake_http_lock(f->h);
    f->fail_n = n;
    f->fail_status = status;
    fake_http_unlock(f->h);
}

int fake_stripe_count(struct fake_stripe *f, const char *prefix)
{
    int n = 0;
    fake_http_lock(f->h);
    for (int i = 0; i < f->nlog; i++)
        if (strncmp(f->log[i], prefix, strlen(prefix)) == 0)
            n++;
    fake_http_unlock(f->h);
    return n;
}

int fake_stripe_replays(struct fake_stripe *f)
{
    fake_http_lock(f->h);
    int n = f->replays;
    fake_http_unlock(f->h);
    return n;
}

void fake_stripe_last_field(struct fake_stripe *f, const char *prefix, const char *key, char *buf, size_t cap)
{
    buf[0] = '\0';
    fake_http_lock(f->h);
    for (int i = f->nlog - 1; i >= 0; i--)
        if (strncmp(f->log[i], prefix, strlen(prefix)) == 0) {
            const char *v = field(f->log_forms[i], key);
            snprintf(buf, cap, "%s", v ? v : "");
            break;
        }
    fake_http_unlock(f->h);
}

void fake_stripe_intent_of(struct fake_stripe *f, const char *our_id, char *buf, size_t cap)
{
    const char *k;
    json_t *o;
    buf[0] = '\0';
    fake_http_lock(f->h);
    json_object_foreach(f->objects, k, o)
    {
        const char *m = json_string_value(json_object_get(json_object_get(o, "metadata"), "intent_id"));
        if (m != NULL && strcmp(m, our_id) == 0)
            snprintf(buf, cap, "%s", k);
    }
    fake_http_unlock(f->h);
}

char *fake_stripe_intent_event(struct fake_stripe *f, const char *event_id, const char *type, const char *pi_id)
{
    char id[64];
    fake_http_lock(f->h);
    if (event_id == NULL) {
        snprintf(id, sizeof id, "evt_fake%06d", ++f->seq);
        event_id = id;
    }
    json_t *pi = json_object_get(f->objects, pi_id);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:{s:O}, s:I, s:b}", "id", event_id, "object", "event", "type", type,
                           "data", "object", pi ? pi : json_null(), "created", (json_int_t)time(NULL), "livemode", 0);
    fake_http_unlock(f->h);
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return s;
}

void fake_stripe_sign(const char *secret, long t, const char *body, char *out, size_t cap)
{
    size_t n = strlen(body) + 32;
    char *msg = malloc(n);
    int len = snprintf(msg, n, "%ld.%s", t, body);
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, (size_t)len, mac, &maclen);
    free(msg);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    snprintf(out, cap, "t=%ld,v1=%s", t, hex);
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p, (void)u;
    return s * n;
}

long fake_stripe_send(struct fake_stripe *f, const char *url, const char *body, long t_offset, const char *signature)
{
    char sig[200], hdr[260];
    if (signature == NULL)
        fake_stripe_sign(f->whsec, (long)time(NULL) + t_offset, body, sig, sizeof sig);
    else
        snprintf(sig, sizeof sig, "%s", signature);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
    if (sig[0] != '\0') {
        snprintf(hdr, sizeof hdr, "Stripe-Signature: %s", sig);
        h = curl_slist_append(h, hdr);
    }
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return code;
}
