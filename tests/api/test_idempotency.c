/*
 * test_idempotency.c — the Idempotency-Key middleware (src/http/idempotency.c)
 * on POST /payouts/request, a route that moves money and is cheap to call.
 *
 * Covered: replay of the first response (status, body, Content-Type,
 * Idempotent-Replayed) with the handler run once; canonical JSON bodies;
 * 409 idempotency_key_reused; keys scoped per caller; invalid keys (400);
 * stored 4xx business outcomes vs. unstored 422; a request still running
 * (409 idempotency_in_progress) and a crashed one taken over after its
 * lock; expired keys; concurrent repeats executing once.
 *
 * The in-progress and crashed cases make a claim look like a live or a
 * crashed request by editing its row (locked_until) — the only way to hold
 * a request "running" on a route that answers in microseconds.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "commerce_testlib.h"

TestSuite(idempotency, .fini = api_cleanup_all, .timeout = 240);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", "--job-poll-ms", "50", NULL};
#define PATH "/api/v1/payouts/request"

static struct api_response *post_key(struct api_server *s, const struct api_account *a, const char *body,
                                     const char *key)
{
    char kh[400];
    snprintf(kh, sizeof kh, "Idempotency-Key: %s", key);
    const char *h[] = {a->auth, "Content-Type: application/json", key ? kh : NULL, NULL};
    return api_request(s, "POST", PATH, h, body, strlen(body));
}

static int payouts_of(struct api_server *s, const struct api_account *a)
{
    char buf[32];
    const char *p[] = {a->id};
    cr_assert_eq(api_sql_text(s, "SELECT CAST(COUNT(*) AS TEXT) FROM payouts WHERE seller_id = $1", p, 1, buf,
                              sizeof buf),
                 1);
    return atoi(buf);
}

static bool replayed(const struct api_response *r)
{
    const char *v = api_header(r, "Idempotent-Replayed");
    return v != NULL && strcmp(v, "true") == 0;
}

static struct api_server *start_with_seller(struct api_account *seller, long long funds)
{
    struct api_opts o = {.args = scaled_args};
    struct api_server *s = api_start(&o);
    api_account(s, "seller", "idem", seller);
    api_ledger_adjust_seller(s, seller->id, funds);
    return s;
}

Test(idempotency, replay_reuse_scope_and_invalid_keys)
{
    struct api_account seller, other;
    struct api_server *s = start_with_seller(&seller, 100000);
    api_account(s, "seller", "idem2", &other);
    api_ledger_adjust_seller(s, other.id, 100000);

    /* Without a key every request executes. */
    struct api_response *r1 = post_key(s, &seller, "{\"amount\":1000}", NULL);
    struct api_response *r2 = post_key(s, &seller, "{\"amount\":1000}", NULL);
    cr_assert_eq(r1->status, 201);
    cr_assert_eq(r2->status, 201);
    cr_assert(!replayed(r1) && !replayed(r2));
    api_response_free(r1);
    api_response_free(r2);
    cr_assert_eq(payouts_of(s, &seller), 2);

    /* Same key, same request: the first response, replayed; one payout. */
    r1 = post_key(s, &seller, "{\"amount\":1500,\"currency\":\"USD\"}", "key-A");
    cr_assert_eq(r1->status, 201, "%s", r1->body);
    cr_assert(!replayed(r1));
    r2 = post_key(s, &seller, "{ \"currency\": \"USD\",  \"amount\": 1500 }", "key-A");
    cr_assert_eq(r2->status, 201, "%s", r2->body);
    cr_assert(replayed(r2), "a replay says so");
    cr_assert_str_eq(r2->body, r1->body);
    cr_assert_str_eq(api_header(r2, "Content-Type"), "application/json");
    cr_assert_eq(payouts_of(s, &seller), 3);
    api_response_free(r2);

    /* Same key, another body: refused, nothing executed. */
    r2 = post_key(s, &seller, "{\"amount\":1600}", "key-A");
    api_assert_problem(r2, 409, "idempotency_key_reused");
    api_response_free(r2);
    cr_assert_eq(payouts_of(s, &seller), 3);

    /* Keys are per caller: another seller's key-A is theirs. */
    r2 = post_key(s, &other, "{\"amount\":1500,\"currency\":\"USD\"}", "key-A");
    cr_assert_eq(r2->status, 201);
    cr_assert(!replayed(r2));
    cr_assert_str_neq(r2->body, r1->body);
    api_response_free(r2);
    api_response_free(r1);
    cr_assert_eq(payouts_of(s, &other), 1);

    /* Invalid keys. */
    char longkey[300];
    memset(longkey, 'k', 256);
    longkey[256] = '\0';
    const char *bad[] = {longkey, "has space", "caf\xc3\xa9"};
    for (size_t i = 0; i < 3; i++) {
        r2 = post_key(s, &seller, "{\"amount\":1000}", bad[i]);
        api_assert_problem(r2, 400, "invalid_idempotency_key");
        api_response_free(r2);
    }
    longkey[255] = '\0'; /* 255 is the limit */
    r2 = post_key(s, &seller, "{\"amount\":1000}", longkey);
    cr_assert_eq(r2->status, 201, "%s", r2->body);
    api_response_free(r2);
    cr_assert_eq(payouts_of(s, &seller), 4);

    /* Auth and body validation happen before the key is looked at: nothing stored. */
    r2 = post_key(s, &seller, "{\"amount\":\"x\"}", "key-V");
    api_assert_problem(r2, 422, "validation_failed");
    api_response_free(r2);
    r2 = post_key(s, &seller, "{\"amount\":1000}", "key-V");
    cr_assert_eq(r2->status, 201);
    cr_assert(!replayed(r2));
    api_response_free(r2);
    api_ledger_assert_consistent(s);
    api_stop(s);
}

Test(idempotency, which_outcomes_are_stored)
{
    struct api_account seller;
    struct api_server *s = start_with_seller(&seller, 2000);

    /* A business refusal (409) is stored, as Stripe stores a decline: the repeat replays it even once funds exist. */
    struct api_response *r = post_key(s, &seller, "{\"amount\":5000}", "key-409");
    api_assert_problem(r, 409, "insufficient_balance");
    cr_assert(!replayed(r));
    api_response_free(r);
    api_ledger_adjust_seller(s, seller.id, 10000);
    r = post_key(s, &seller, "{\"amount\":5000}", "key-409");
    api_assert_problem(r, 409, "insufficient_balance");
    cr_assert(replayed(r));
    api_response_free(r);
    r = post_key(s, &seller, "{\"amount\":5000}", "key-409b");
    cr_assert_eq(r->status, 201);
    api_response_free(r);

    /* A validation outcome of the handler (422) is not stored: the repeat executes again. */
    r = post_key(s, &seller, "{\"amount\":10}", "key-422");
    api_assert_problem(r, 422, "payout_below_minimum");
    api_response_free(r);
    r = post_key(s, &seller, "{\"amount\":10}", "key-422");
    api_assert_problem(r, 422, "payout_below_minimum");
    cr_assert(!replayed(r));
    api_response_free(r);
    const char *p[] = {seller.id};
    char buf[32];
    cr_assert_eq(api_sql_text(s,
                              "SELECT CAST(COUNT(*) AS TEXT) FROM idempotency_keys WHERE scope = $1 AND "
                              "idem_key = 'key-422'",
                              p, 1, buf, sizeof buf),
                 1);
    cr_assert_str_eq(buf, "0");
    api_stop(s);
}

Test(idempotency, in_progress_crashed_and_expired_keys)
{
    struct api_account seller;
    struct api_server *s = start_with_seller(&seller, 100000);
    const char *body = "{\"amount\":1000}";
    struct api_response *r = post_key(s, &seller, body, "key-live");
    cr_assert_eq(r->status, 201);
    api_response_free(r);
    cr_assert_eq(payouts_of(s, &seller), 1);

    /* Make the row look like a request still running: the repeat is refused and nothing runs. */
    char future[32], past[32];
    snprintf(future, sizeof future, "%lld", api_now_ms() + 60000);
    snprintf(past, sizeof past, "%lld", api_now_ms() - 1000);
    const char *p1[] = {seller.id, future};
    cr_assert_eq(api_sql_exec(s,
                              "UPDATE idempotency_keys SET status = 'in_progress', response_status = NULL, "
                              "response_body = NULL, locked_until = CAST($2 AS BIGINT) WHERE scope = $1 AND "
                              "idem_key = 'key-live'",
                              p1, 2),
                 0);
    r = post_key(s, &seller, body, "key-live");
    api_assert_problem(r, 409, "idempotency_in_progress");
    cr_assert_not_null(api_header(r, "Retry-After"));
    api_response_free(r);
    r = post_key(s, &seller, "{\"amount\":1001}", "key-live");
    api_assert_problem(r, 409, "idempotency_key_reused");
    api_response_free(r);
    cr_assert_eq(payouts_of(s, &seller), 1);

    /* Its lock expired (the server died while running it): the next repeat takes it over and executes. */
    const char *p2[] = {seller.id, past};
    cr_assert_eq(api_sql_exec(s,
                              "UPDATE idempotency_keys SET locked_until = CAST($2 AS BIGINT) WHERE scope = $1 AND "
                              "idem_key = 'key-live'",
                              p2, 2),
                 0);
    r = post_key(s, &seller, body, "key-live");
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert(!replayed(r));
    char first[2048];
    snprintf(first, sizeof first, "%s", r->body);
    api_response_free(r);
    cr_assert_eq(payouts_of(s, &seller), 2);
    r = post_key(s, &seller, body, "key-live");
    cr_assert(replayed(r));
    cr_assert_str_eq(r->body, first);
    api_response_free(r);

    /* An expired key is new again. */
    cr_assert_eq(api_sql_exec(s,
                              "UPDATE idempotency_keys SET expires_at = CAST($2 AS BIGINT) WHERE scope = $1 AND "
                              "idem_key = 'key-live'",
                              p2, 2),
                 0);
    r = post_key(s, &seller, "{\"amount\":1002}", "key-live");
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert(!replayed(r));
    api_response_free(r);
    cr_assert_eq(payouts_of(s, &seller), 3);
    api_ledger_assert_consistent(s);
    api_stop(s);
}

Test(idempotency, concurrent_repeats_execute_once)
{
    struct api_account seller;
    struct api_server *s = start_with_seller(&seller, 100000);
    enum { N = 10 };
    char *reqs[N], *replies[N];
    int status[N];
    for (int i = 0; i < N; i++) {
        char *base = api_raw_request("POST", PATH, &seller, "{\"amount\":2500}");
        /* Put the key header right after the request line. */
        char *eol = strstr(base, "\r\n");
        cr_assert_not_null(eol);
        size_t head = (size_t)(eol - base) + 2;
        const char *kh = "Idempotency-Key: race-1\r\n";
        reqs[i] = malloc(strlen(base) + strlen(kh) + 1);
        memcpy(reqs[i], base, head);
        strcpy(reqs[i] + head, kh);
        strcat(reqs[i], base + head);
        free(base);
    }
    api_race(s, N, reqs, status, replies);
    int originals = 0, replays = 0, busy = 0;
    for (int i = 0; i < N; i++) {
        if (status[i] == 201 && strstr(replies[i], "Idempotent-Replayed: true") != NULL)
            replays++;
        else if (status[i] == 201)
            originals++;
        else if (status[i] == 409 && strstr(replies[i], "idempotency_in_progress") != NULL)
            busy++;
        else
            cr_assert_fail("unexpected reply %d: %.300s", status[i], replies[i]);
        free(reqs[i]);
        free(replies[i]);
    }
    cr_assert_eq(originals, 1, "exactly one execution (%d originals, %d replays, %d in progress)", originals, replays,
                 busy);
    cr_assert_eq(payouts_of(s, &seller), 1);
    api_ledger_assert_consistent(s);
    api_stop(s);
}
