/*
 * test_payments.c — payment intents through the real checkout: the local
 * processor's test cards (success, declines, the authentication step),
 * permissions and validation, refunds (never above what was captured,
 * also when two race), the Stripe webhook's signature checks, and the
 * Stripe adapter end to end against tests/api/fake_stripe.c: form bodies,
 * idempotency keys, card errors, signed events deduplicated, out of order,
 * and racing the client's own confirm.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "commerce_testlib.h"
#include "fake_stripe.h"

TestSuite(payments, .fini = api_cleanup_all, .timeout = 240);

#define WHSEC "whsec_test_payments_secret"
#define SK "sk_test_fake_payments"

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};
static const char *const local_env[] = {"ARTISTRY_STRIPE_WEBHOOK_SECRET=" WHSEC, NULL};

struct world {
    struct api_server *s;
    struct api_account buyer, seller, other, admin;
};

static void world(struct world *w, const struct api_opts *opts)
{
    w->s = api_start(opts);
    api_account(w->s, "buyer", "paybuyer", &w->buyer);
    api_account(w->s, "seller", "payseller", &w->seller);
    api_account(w->s, "buyer", "payother", &w->other);
    api_account(w->s, "admin", "payadmin", &w->admin);
}

/* A checkout of one product at price: its payment intent id into out (64 bytes). */
static void checkout(struct world *w, long long price, char *out)
{
    char pid[64];
    json_t *res = NULL;
    api_product(w->s, &w->seller, price, 5, pid);
    api_cart_add(w->s, &w->buyer, pid, 1);
    long st = api_checkout(w->s, &w->buyer, NULL, &res);
    cr_assert_eq(st, 201, "checkout: %ld", st);
    const char *id = json_string_value(json_object_get(res, "payment_intent_id"));
    cr_assert_not_null(id);
    snprintf(out, 64, "%s", id);
    json_decref(res);
}

static struct api_response *post(struct world *w, const struct api_account *a, const char *path, const char *fmt,
                                 const char *x, const char *y)
{
    char body[512];
    snprintf(body, sizeof body, fmt, x, y);
    return api_as(w->s, a, "POST", path, body);
}

static struct api_response *confirm(struct world *w, const char *intent, const char *pm)
{
    return post(w, &w->buyer, "/api/v1/payments/confirm", "{\"payment_intent_id\":\"%s\",\"payment_method\":\"%s\"}",
                intent, pm);
}

static struct api_response *create_intent(struct world *w, const char *intent)
{
    return post(w, &w->buyer, "/api/v1/payments/create-intent", "{\"payment_intent_id\":\"%s\"%s}", intent, "");
}

static const char *jget(const struct api_response *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

static long long count(struct api_server *s, const char *sql, const char *param)
{
    char buf[32];
    const char *p[] = {param};
    cr_assert_eq(api_sql_text(s, sql, p, param ? 1 : 0, buf, sizeof buf), 1, "%s", sql);
    return atoll(buf);
}

static long long succeeded_payments(struct api_server *s, const char *intent)
{
    return count(s, "SELECT CAST(count(*) AS TEXT) FROM payments WHERE payment_intent_id = $1 AND status = 'succeeded'",
                 intent);
}

static long long captures(struct api_server *s, const char *intent)
{
    char key[96];
    snprintf(key, sizeof key, "capture:%s", intent);
    return count(s, "SELECT CAST(count(*) AS TEXT) FROM ledger_transactions WHERE idempotency_key = $1", key);
}

static void status_is(struct world *w, const char *intent, const char *want)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/payments/%s", intent);
    struct api_response *r = api_as(w->s, &w->buyer, "GET", path, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jget(r, "status"), want, "%s", r->body);
    api_response_free(r);
}

/*-----------------------------------------------------------------------------
 * Local processor
 */
Test(payments, local_success_lifecycle_and_permissions)
{
    struct world w;
    struct api_opts o = {.args = scaled_args};
    world(&w, &o);
    char intent[64], path[128];
    checkout(&w, 2500, intent);
    status_is(&w, intent, "requires_payment_method");

    struct api_response *r = create_intent(&w, intent);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(strncmp(jget(r, "client_secret"), "pi_local_", 9) == 0, "%s", r->body);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r->json, "amount"), "amount")), 2500);
    api_response_free(r);

    r = confirm(&w, intent, "4242 4242 4242 4242");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jget(r, "status"), "succeeded");
    json_t *pays = json_object_get(r->json, "payments");
    cr_assert_eq(json_array_size(pays), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(pays, 0), "card_last4")), "4242");
    api_response_free(r);
    cr_assert_eq(succeeded_payments(w.s, intent), 1);
    cr_assert_eq(captures(w.s, intent), 1);

    /* A success is final. */
    r = confirm(&w, intent, "4242424242424242");
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    cr_assert_eq(succeeded_payments(w.s, intent), 1);

    snprintf(path, sizeof path, "/api/v1/payments/%s", intent);
    r = api_as(w.s, &w.seller, "GET", path, NULL); /* paid by it */
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    r = api_as(w.s, &w.admin, "GET", path, NULL);
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    r = api_as(w.s, &w.other, "GET", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(w.s, NULL, "GET", path, NULL);
    cr_assert_eq(r->status, 401);
    api_response_free(r);
    r = post(&w, &w.other, "/api/v1/payments/confirm", "{\"payment_intent_id\":\"%s\",\"payment_method\":\"%s\"}",
             intent, "4242424242424242");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    api_stop(w.s);
}

Test(payments, local_declines_then_success)
{
    struct world w;
    struct api_opts o = {.args = scaled_args};
    world(&w, &o);
    char intent[64];
    checkout(&w, 1999, intent);
    struct api_response *r = confirm(&w, intent, "4000000000000002");
    api_assert_problem(r, 402, "card_declined");
    api_response_free(r);
    status_is(&w, intent, "requires_payment_method");
    r = confirm(&w, intent, "4000000000009995");
    api_assert_problem(r, 402, "insufficient_funds");
    api_response_free(r);
    r = confirm(&w, intent, "1234123412341234");
    api_assert_problem(r, 402, "card_declined");
    api_response_free(r);
    cr_assert_eq(count(w.s, "SELECT CAST(count(*) AS TEXT) FROM payments WHERE payment_intent_id = $1 "
                            "AND status = 'failed'", intent), 3);
    cr_assert_eq(captures(w.s, intent), 0);
    r = confirm(&w, intent, "pm_card_visa");
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    cr_assert_eq(succeeded_payments(w.s, intent), 1);
    cr_assert_eq(captures(w.s, intent), 1);
    api_stop(w.s);
}

Test(payments, local_authentication_step)
{
    struct world w;
    struct api_opts o = {.args = scaled_args};
    world(&w, &o);
    char intent[64], path[128];
    checkout(&w, 4200, intent);
    snprintf(path, sizeof path, "/api/v1/payments/%s/authenticate", intent);
    struct api_response *r = api_as(w.s, &w.buyer, "POST", path, "{\"result\":\"approve\"}");
    api_assert_problem(r, 409, "invalid_state_transition"); /* nothing to authenticate yet */
    api_response_free(r);

    r = confirm(&w, intent, "4000002500003155");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jget(r, "status"), "requires_action");
    json_t *na = json_object_get(r->json, "next_action");
    cr_assert_str_eq(json_string_value(json_object_get(na, "type")), "local_authenticate");
    api_response_free(r);

    r = api_as(w.s, &w.buyer, "POST", path, "{\"result\":\"maybe\"}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(w.s, &w.other, "POST", path, "{\"result\":\"approve\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, "{\"result\":\"fail\"}");
    api_assert_problem(r, 402, "payment_authentication_failed");
    api_response_free(r);
    status_is(&w, intent, "requires_payment_method");

    r = confirm(&w, intent, "4000002500003155");
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, "{\"result\":\"approve\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jget(r, "status"), "succeeded");
    api_response_free(r);
    cr_assert_eq(captures(w.s, intent), 1);
    api_stop(w.s);
}

Test(payments, validation_and_auth)
{
    struct world w;
    struct api_opts o = {.args = scaled_args};
    world(&w, &o);
    struct api_response *r = api_as(w.s, NULL, "POST", "/api/v1/payments/confirm",
                                    "{\"payment_intent_id\":\"pin_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\",\"payment_method\":\"x\"}");
    cr_assert_eq(r->status, 401);
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", "/api/v1/payments/confirm", "{\"payment_intent_id\":\"pin_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", "/api/v1/payments/create-intent", "{\"payment_intent_id\":\"ord_x\"}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", "/api/v1/payments/create-intent",
               "{\"payment_intent_id\":\"pin_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "GET", "/api/v1/payments/nope", NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    api_response_free(r);
    r = api_as(w.s, &w.seller, "POST", "/api/v1/refunds", "{\"amount\":100}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(w.s, &w.seller, "POST", "/api/v1/refunds", "{\"order_id\":\"ord_01JDQ8V7R3X1W9ZK4M2N5P6Q7R\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    api_stop(w.s);
}

/*-----------------------------------------------------------------------------
 * Refunds
 */
Test(payments, refunds_never_above_captured)
{
    struct world w;
    struct api_opts o = {.args = scaled_args};
    world(&w, &o);
    char order[64], body[200];
    api_paid_order(w.s, &w.buyer, &w.seller, 1000, order, NULL);

    snprintf(body, sizeof body, "{\"order_id\":\"%s\",\"amount\":300,\"reason\":\"requested_by_customer\"}", order);
    struct api_response *r = api_as(w.s, &w.other, "POST", "/api/v1/refunds", body);
    api_assert_problem(r, 404, "not_found"); /* not the seller */
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", "/api/v1/refunds", body);
    cr_assert(r->status == 403 || r->status == 404, "%ld", r->status);
    api_response_free(r);
    r = api_as(w.s, &w.seller, "POST", "/api/v1/refunds", body);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r->json, "amount"), "amount")), 300);
    api_response_free(r);

    snprintf(body, sizeof body, "{\"order_id\":\"%s\",\"amount\":800}", order);
    r = api_as(w.s, &w.seller, "POST", "/api/v1/refunds", body);
    api_assert_problem(r, 409, "refund_exceeds_refundable");
    api_response_free(r);

    /* Two refunds of 600 at once with 700 left: exactly one passes. */
    snprintf(body, sizeof body, "{\"order_id\":\"%s\",\"amount\":600}", order);
    char *reqs[2] = {api_raw_request("POST", "/api/v1/refunds", &w.seller, body),
                     api_raw_request("POST", "/api/v1/refunds", &w.seller, body)};
    int st[2];
    api_race(w.s, 2, reqs, st, NULL);
    free(reqs[0]);
    free(reqs[1]);
    cr_assert((st[0] == 201 && st[1] == 409) || (st[0] == 409 && st[1] == 201), "statuses %d %d", st[0], st[1]);
    cr_assert_eq(count(w.s, "SELECT CAST(SUM(amount) AS TEXT) FROM refunds WHERE order_id = $1", order), 900);
    cr_assert_eq(count(w.s, "SELECT CAST(MAX(refunded_amount) AS TEXT) FROM payments", NULL), 900);

    /* The rest by an admin, default amount: everything left. */
    snprintf(body, sizeof body, "{\"order_id\":\"%s\"}", order);
    r = api_as(w.s, &w.admin, "POST", "/api/v1/refunds", body);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r->json, "amount"), "amount")), 100);
    api_response_free(r);
    /* The refund job calls the processor. */
    for (int i = 0; i < 100 && count(w.s, "SELECT CAST(count(*) AS TEXT) FROM refunds WHERE status = 'pending'", NULL);
         i++)
        api_sleep_ms(100);
    cr_assert_eq(count(w.s, "SELECT CAST(count(*) AS TEXT) FROM refunds WHERE status = 'succeeded'", NULL), 3);
    api_stop(w.s);
}

/*-----------------------------------------------------------------------------
 * Webhook signatures (any processor: the secret is configured)
 */
Test(payments, webhook_signature_failures_record_nothing)
{
    struct api_opts o = {.args = scaled_args, .env = local_env};
    struct api_server *s = api_start(&o);
    struct fake_stripe *f = fake_stripe_start(SK, WHSEC);
    char url[160], sig[200];
    snprintf(url, sizeof url, "%s/api/v1/payments/webhooks/stripe", s->base_url);
    const char *body = "{\"id\":\"evt_sig\",\"object\":\"event\",\"type\":\"payment_intent.succeeded\","
                       "\"data\":{\"object\":{\"id\":\"pi_nobody\"}}}";
    cr_assert_eq(fake_stripe_send(f, url, body, 0, ""), 400);             /* no header */
    cr_assert_eq(fake_stripe_send(f, url, body, 0, "t=1,v1=abc"), 400);   /* garbage, old */
    fake_stripe_sign("whsec_other", (long)(api_now_ms() / 1000), body, sig, sizeof sig);
    cr_assert_eq(fake_stripe_send(f, url, body, 0, sig), 400);            /* other secret */
    cr_assert_eq(fake_stripe_send(f, url, body, -600, NULL), 400);        /* older than the tolerance */
    cr_assert_eq(count(s, "SELECT CAST(count(*) AS TEXT) FROM webhook_events_in", NULL), 0);
    /* Signed and fresh: accepted, not ours, ignored; once. */
    cr_assert_eq(fake_stripe_send(f, url, body, 0, NULL), 200);
    cr_assert_eq(fake_stripe_send(f, url, body, 0, NULL), 200);
    cr_assert_eq(count(s, "SELECT CAST(count(*) AS TEXT) FROM webhook_events_in WHERE status = 'ignored'", NULL), 1);
    fake_stripe_stop(f);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Stripe, against the fake
 */
struct stripe_world {
    struct world w;
    struct fake_stripe *f;
    char env[4][256];
    const char *envp[6];
    char hook[160];
};

static void stripe_world(struct stripe_world *sw)
{
    sw->f = fake_stripe_start(SK, WHSEC);
    snprintf(sw->env[0], sizeof sw->env[0], "ARTISTRY_STRIPE_API_BASE=%s", fake_stripe_url(sw->f));
    sw->envp[0] = "ARTISTRY_PAYMENTS_PROVIDER=stripe";
    sw->envp[1] = sw->env[0];
    sw->envp[2] = "ARTISTRY_STRIPE_SECRET_KEY=" SK;
    sw->envp[3] = "ARTISTRY_STRIPE_WEBHOOK_SECRET=" WHSEC;
    sw->envp[4] = NULL;
    struct api_opts o = {.args = scaled_args, .env = sw->envp};
    world(&sw->w, &o);
    snprintf(sw->hook, sizeof sw->hook, "%s/api/v1/payments/webhooks/stripe", sw->w.s->base_url);
}

static void stripe_done(struct stripe_world *sw)
{
    api_stop(sw->w.s);
    fake_stripe_stop(sw->f);
}

/* The event body for the fake's intent of ours, with status and amount_received set. */
static char *event(struct stripe_world *sw, const char *evt_id, const char *type, const char *intent, const char *status,
                   long long received)
{
    char pi[96];
    fake_stripe_intent_of(sw->f, intent, pi, sizeof pi);
    cr_assert_neq(pi[0], '\0');
    char *body = fake_stripe_intent_event(sw->f, evt_id, type, pi);
    json_t *ev = json_loads(body, 0, NULL);
    free(body);
    json_t *obj = json_object_get(json_object_get(ev, "data"), "object");
    json_object_set_new(obj, "status", json_string(status));
    json_object_set_new(obj, "amount_received", json_integer(received));
    body = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return body;
}

Test(payments, stripe_intents_errors_and_idempotency)
{
    struct stripe_world sw;
    stripe_world(&sw);
    struct world *w = &sw.w;
    char intent[64], checkout_id[64], field[128];
    checkout(w, 3100, intent);
    const char *p[] = {intent};
    cr_assert_eq(api_sql_text(w->s, "SELECT checkout_id FROM payment_intents WHERE id = $1", p, 1, checkout_id,
                              sizeof checkout_id), 1);

    struct api_response *r = create_intent(w, intent);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jget(r, "provider"), "stripe");
    cr_assert(strstr(jget(r, "client_secret"), "_secret_") != NULL);
    api_response_free(r);
    fake_stripe_last_field(sw.f, "POST /v1/payment_intents", "amount", field, sizeof field);
    cr_assert_str_eq(field, "3100");
    fake_stripe_last_field(sw.f, "POST /v1/payment_intents", "currency", field, sizeof field);
    cr_assert_str_eq(field, "usd");
    fake_stripe_last_field(sw.f, "POST /v1/payment_intents", "transfer_group", field, sizeof field);
    cr_assert_str_eq(field, checkout_id);
    fake_stripe_last_field(sw.f, "POST /v1/payment_intents", "metadata[intent_id]", field, sizeof field);
    cr_assert_str_eq(field, intent);
    /* Again: the same Idempotency-Key replays the same intent. */
    r = create_intent(w, intent);
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    cr_assert_eq(fake_stripe_replays(sw.f), 1);

    r = confirm(w, intent, "4000000000000002");
    api_assert_problem(r, 402, "card_declined");
    api_response_free(r);
    r = confirm(w, intent, "4000000000009995");
    api_assert_problem(r, 402, "insufficient_funds");
    api_response_free(r);
    status_is(w, intent, "requires_payment_method");

    /* 5xx at Stripe: retryable, nothing recorded. */
    fake_stripe_fail_next(sw.f, 1, 500);
    r = confirm(w, intent, "4242424242424242");
    api_assert_problem(r, 502, "upstream_error");
    api_response_free(r);
    cr_assert_eq(captures(w->s, intent), 0);

    r = confirm(w, intent, "4000002500003155");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jget(r, "status"), "requires_action");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "next_action"), "type")),
                     "redirect_to_url");
    api_response_free(r);
    fake_stripe_last_field(sw.f, "POST /v1/payment_intents/", "payment_method", field, sizeof field);
    cr_assert_str_eq(field, "pm_card_authenticationRequired");

    /* The customer authenticated at Stripe: the success arrives by webhook, out of order with a failure. */
    char *ok = event(&sw, "evt_ok_1", "payment_intent.succeeded", intent, "succeeded", 3100);
    char *late = event(&sw, "evt_fail_0", "payment_intent.payment_failed", intent, "requires_payment_method", 0);
    cr_assert_eq(fake_stripe_send(sw.f, sw.hook, ok, 0, NULL), 200);
    cr_assert_eq(fake_stripe_send(sw.f, sw.hook, ok, 0, NULL), 200); /* duplicate */
    cr_assert_eq(fake_stripe_send(sw.f, sw.hook, late, 0, NULL), 200);
    status_is(w, intent, "succeeded");
    cr_assert_eq(succeeded_payments(w->s, intent), 1);
    cr_assert_eq(captures(w->s, intent), 1);
    free(ok);
    free(late);
    stripe_done(&sw);
}

struct hook_arg {
    struct fake_stripe *f;
    const char *url, *body;
    long status;
};

static void *send_hook(void *arg)
{
    struct hook_arg *h = arg;
    h->status = fake_stripe_send(h->f, h->url, h->body, 0, NULL);
    return NULL;
}

Test(payments, stripe_confirm_races_webhook)
{
    struct stripe_world sw;
    stripe_world(&sw);
    struct world *w = &sw.w;
    for (int round = 0; round < 4; round++) {
        char intent[64], evt[32], body[300];
        checkout(w, 1500 + round, intent);
        struct api_response *r = create_intent(w, intent);
        cr_assert_eq(r->status, 200);
        api_response_free(r);
        snprintf(evt, sizeof evt, "evt_race_%d", round);
        char *ev = event(&sw, evt, "payment_intent.succeeded", intent, "succeeded", 1500 + round);
        snprintf(body, sizeof body, "{\"payment_intent_id\":\"%s\",\"payment_method\":\"pm_card_visa\"}", intent);
        char *reqs[1] = {api_raw_request("POST", "/api/v1/payments/confirm", &w->buyer, body)};
        int st[1];
        struct hook_arg h = {sw.f, sw.hook, ev, 0};
        pthread_t t;
        pthread_create(&t, NULL, send_hook, &h); /* the webhook and the confirm at once */
        api_race(w->s, 1, reqs, st, NULL);
        pthread_join(t, NULL);
        free(reqs[0]);
        free(ev);
        /* The confirm answers 200, or 409 when the webhook recorded the success before it looked. */
        cr_assert(st[0] == 200 || st[0] == 409, "confirm %d", st[0]);
        cr_assert_eq(h.status, 200);
        cr_assert_eq(succeeded_payments(w->s, intent), 1);
        cr_assert_eq(captures(w->s, intent), 1);
        status_is(w, intent, "succeeded");
    }
    stripe_done(&sw);
}
