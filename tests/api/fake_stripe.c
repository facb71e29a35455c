/*
 * fake_stripe.c — see fake_stripe.h. State lives in jansson objects under
 * one mutex; the daemon answers from its own thread.
 */
#include "fake_stripe.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/hmac.h>
#include <pthread.h>
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
    struct MHD_Daemon *d;
    char url[64];
    char key[128], whsec[128];
    pthread_mutex_t lock;
    json_t *objects; /* id → object */
    struct idem *idem;
    size_t nidem;
    char *log[MAX_LOG]; /* "METHOD path" */
    json_t *log_forms[MAX_LOG];
    int nlog, replays, seq;
    int fail_n, fail_status;
};

struct conn {
    char *body;
    size_t len;
};

static void die(const char *what)
{
    fprintf(stderr, "fake_stripe: %s\n", what);
    abort();
}

/*-----------------------------------------------------------------------------
 * Forms and answers
 */
static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static char *urldecode(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+')
            o[j++] = ' ';
        else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            o[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else
            o[j++] = s[i];
    }
    o[j] = '\0';
    return o;
}

/* "a=1&metadata[x]=y" → {"a":"1","metadata[x]":"y"} (bracket keys kept as written). */
static json_t *parse_form(const char *body, size_t len)
{
    json_t *f = json_object();
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && body[j] != '&')
            j++;
        const char *eq = memchr(body + i, '=', j - i);
        if (eq != NULL) {
            char *k = urldecode(body + i, (size_t)(eq - body - i));
            char *v = urldecode(eq + 1, (size_t)(body + j - eq - 1));
            json_object_set_new(f, k, json_string(v));
            free(k);
            free(v);
        }
        i = j + 1;
    }
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
static enum MHD_Result send_answer(struct MHD_Connection *c, struct answer a, bool replayed)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(a.body), a.body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Request-Id", "req_fake");
    if (replayed)
        MHD_add_response_header(r, "Idempotent-Replayed", "true");
    enum MHD_Result ret = MHD_queue_response(c, a.status, r);
    MHD_destroy_response(r);
    free(a.body);
    return ret;
}

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

static struct answer handle(struct fake_stripe *f, struct MHD_Connection *c, const char *method, const char *url,
                            struct conn *cn, bool *replayed)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char want[160];
    snprintf(want, sizeof want, "Bearer %s", f->key);
    if (auth == NULL || strcmp(auth, want) != 0)
        return error(401, "invalid_request_error", NULL, NULL, "Invalid API Key provided.", NULL);
    if (f->fail_n > 0) {
        f->fail_n--;
        return error((unsigned)f->fail_status, f->fail_status == 429 ? "invalid_request_error" : "api_error",
                     f->fail_status == 429 ? "rate_limit" : NULL, NULL, "Injected failure.", NULL);
    }
    json_t *form = parse_form(cn->body ? cn->body : "", cn->len);
    log_request(f, method, url, form);
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    size_t plen = strlen(method) + strlen(url) + cn->len + 3;
    char *params = malloc(plen);
    snprintf(params, plen, "%s %s %.*s", method, url, (int)cn->len, cn->body ? cn->body : "");
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
        a = route(f, method, url, form, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Stripe-Account"));
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct fake_stripe *f = cls;
    struct conn *cn = *con_cls;
    if (cn == NULL) {
        cn = calloc(1, sizeof *cn);
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (cn->len + *upload_data_size <= BODY_MAX) {
            cn->body = realloc(cn->body, cn->len + *upload_data_size + 1);
            memcpy(cn->body + cn->len, upload_data, *upload_data_size);
            cn->len += *upload_data_size;
            cn->body[cn->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    bool replayed = false;
    pthread_mutex_lock(&f->lock);
    struct answer a = handle(f, c, method, url, cn, &replayed);
    pthread_mutex_unlock(&f->lock);
    return send_answer(c, a, replayed);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    struct conn *cn = *con_cls;
    if (cn != NULL) {
        free(cn->body);
        free(cn);
    }
    *con_cls = NULL;
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
    pthread_mutex_init(&f->lock, NULL);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                            on_request, f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
                            on_completed, f, MHD_OPTION_END);
    if (f->d == NULL)
        die("MHD_start_daemon");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", (unsigned)info->port);
    return f;
}

void fake_stripe_stop(struct fake_stripe *f)
{
    if (f == NULL)
        return;
    MHD_stop_daemon(f->d);
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
    pthread_mutex_destroy(&f->lock);
    free(f);
}

const char *fake_stripe_url(const struct fake_stripe *f)
{
    return f->url;
}

void fake_stripe_fail_next(struct fake_stripe *f, int n, int status)
{
    pthread_mutex_lock(&f->lock);
    f->fail_n = n;
    f->fail_status = status;
    pthread_mutex_unlock(&f->lock);
}

int fake_stripe_count(struct fake_stripe *f, const char *prefix)
{
    int n = 0;
    pthread_mutex_lock(&f->lock);
    for (int i = 0; i < f->nlog; i++)
        if (strncmp(f->log[i], prefix, strlen(prefix)) == 0)
            n++;
    pthread_mutex_unlock(&f->lock);
    return n;
}

int fake_stripe_replays(struct fake_stripe *f)
{
    pthread_mutex_lock(&f->lock);
    int n = f->replays;
    pthread_mutex_unlock(&f->lock);
    return n;
}

void fake_stripe_last_field(struct fake_stripe *f, const char *prefix, const char *key, char *buf, size_t cap)
{
    buf[0] = '\0';
    pthread_mutex_lock(&f->lock);
    for (int i = f->nlog - 1; i >= 0; i--)
        if (strncmp(f->log[i], prefix, strlen(prefix)) == 0) {
            const char *v = field(f->log_forms[i], key);
            snprintf(buf, cap, "%s", v ? v : "");
            break;
        }
    pthread_mutex_unlock(&f->lock);
}

void fake_stripe_intent_of(struct fake_stripe *f, const char *our_id, char *buf, size_t cap)
{
    const char *k;
    json_t *o;
    buf[0] = '\0';
    pthread_mutex_lock(&f->lock);
    json_object_foreach(f->objects, k, o)
    {
        const char *m = json_string_value(json_object_get(json_object_get(o, "metadata"), "intent_id"));
        if (m != NULL && strcmp(m, our_id) == 0)
            snprintf(buf, cap, "%s", k);
    }
    pthread_mutex_unlock(&f->lock);
}

char *fake_stripe_intent_event(struct fake_stripe *f, const char *event_id, const char *type, const char *pi_id)
{
    char id[64];
    pthread_mutex_lock(&f->lock);
    if (event_id == NULL) {
        snprintf(id, sizeof id, "evt_fake%06d", ++f->seq);
        event_id = id;
    }
    json_t *pi = json_object_get(f->objects, pi_id);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:{s:O}, s:I, s:b}", "id", event_id, "object", "event", "type", type,
                           "data", "object", pi ? pi : json_null(), "created", (json_int_t)time(NULL), "livemode", 0);
    pthread_mutex_unlock(&f->lock);
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
