/*
 * test_commissions.c — custom commissions end to end over HTTP: a request
 * with invitations, proposals (milestones must sum to the price),
 * acceptance, funding each milestone through the real payment path
 * (POST /escrow/create, then create-intent + confirm), delivery, approval
 * (release less the commission), a dispute split by an admin, the
 * auto-approve sweep, and every state machine's illegal moves (409 naming
 * what is allowed). The ledger is checked after the money moves.
 *
 * SQL is used only to read balances and, for the auto-approve test, to put
 * a delivered milestone's approval deadline in the past.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "commerce_testlib.h"

TestSuite(commissions, .fini = api_cleanup_all, .timeout = 240);

static const char *const scaled_args[] = {"--rate-limit-scale", "100", NULL};

struct world {
    struct api_server *s;
    struct api_account buyer, seller, seller2, admin;
};

static void world_start(struct world *w)
{
    struct api_opts o = {.args = scaled_args};
    w->s = api_start(&o);
    api_account(w->s, "buyer", "cbuyer", &w->buyer);
    api_account(w->s, "seller", "cseller", &w->seller);
    api_account(w->s, "seller", "cseller2", &w->seller2);
    api_account(w->s, "admin", "cadmin", &w->admin);
}

static json_t *ok(struct api_response *r, long status)
{
    cr_assert_eq(r->status, status, "want %ld, got %ld: %s", status, r->status, r->body);
    cr_assert_not_null(r->json, "%s", r->body);
    return r->json;
}

/* POST a custom order invited to seller; its id into id (64 bytes). */
static void make_request(struct world *w, char *id)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"title\":\"Walnut bowl\",\"description\":\"A turned walnut bowl, 30 cm\","
             "\"budget\":{\"amount\":12000,\"currency\":\"USD\"},\"visibility\":\"invited\","
             "\"invited_seller_ids\":[\"%s\"]}",
             w->seller.id);
    struct api_response *r = api_as(w->s, &w->buyer, "POST", "/api/v1/custom-orders", body);
    json_t *j = ok(r, 201);
    snprintf(id, 64, "%s", json_string_value(json_object_get(j, "id")));
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "open");
    api_response_free(r);
}

static struct api_response *propose(struct world *w, const struct api_account *who, const char *id, long a1, long a2,
                                    long price)
{
    char path[256], body[512];
    snprintf(path, sizeof path, "/api/v1/custom-orders/%s/proposal", id);
    snprintf(body, sizeof body,
             "{\"price\":{\"amount\":%ld,\"currency\":\"USD\"},\"timeline_days\":14,\"message\":\"Happy to\","
             "\"milestones\":[{\"title\":\"Rough turning\",\"amount\":{\"amount\":%ld}},"
             "{\"title\":\"Finish and ship\",\"amount\":{\"amount\":%ld}}]}",
             price, a1, a2);
    return api_as(w->s, who, "PATCH", path, body);
}

/* From a custom order JSON: proposal 0's id and milestone ids. */
static void ids_of(json_t *co, char *proposal, char *m1, char *m2)
{
    json_t *p = json_array_get(json_object_get(co, "proposals"), 0);
    snprintf(proposal, 64, "%s", json_string_value(json_object_get(p, "id")));
    json_t *ms = json_object_get(p, "milestones");
    snprintf(m1, 64, "%s", json_string_value(json_object_get(json_array_get(ms, 0), "id")));
    if (m2 != NULL)
        snprintf(m2, 64, "%s", json_string_value(json_object_get(json_array_get(ms, 1), "id")));
}

static struct api_response *get_order(struct world *w, const struct api_account *who, const char *id)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/custom-orders/%s", id);
    return api_as(w->s, who, "GET", path, NULL);
}

/* The milestone's field (status, escrow_id) from GET /custom-orders/:id as the buyer. */
static void ms_field(struct world *w, const char *order, int idx, const char *field, char *out)
{
    struct api_response *r = get_order(w, &w->buyer, order);
    json_t *j = ok(r, 200);
    json_t *p = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(j, "proposals"), i, v) if (strcmp(json_string_value(json_object_get(v, "status")),
                                                                         "accepted") == 0) p = v;
    cr_assert_not_null(p, "no accepted proposal: %s", r->body);
    const char *s = json_string_value(json_object_get(json_array_get(json_object_get(p, "milestones"), idx), field));
    snprintf(out, 64, "%s", s ? s : "");
    api_response_free(r);
}

static void order_status(struct world *w, const char *order, const char *want)
{
    struct api_response *r = get_order(w, &w->buyer, order);
    json_t *j = ok(r, 200);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), want, "%s", r->body);
    api_response_free(r);
}

/* Fund milestone m through the real payment path; returns its escrow id in esc. */
static void fund(struct world *w, const char *order, int idx, const char *m, char *esc)
{
    char body[128];
    snprintf(body, sizeof body, "{\"milestone_id\":\"%s\"}", m);
    struct api_response *r = api_as(w->s, &w->buyer, "POST", "/api/v1/escrow/create", body);
    json_t *j = ok(r, 201);
    char intent[64];
    snprintf(intent, sizeof intent, "%s", json_string_value(json_object_get(j, "payment_intent_id")));
    api_response_free(r);
    /* Asking again returns the same intent (200). */
    r = api_as(w->s, &w->buyer, "POST", "/api/v1/escrow/create", body);
    j = ok(r, 200);
    cr_assert_str_eq(json_string_value(json_object_get(j, "payment_intent_id")), intent);
    api_response_free(r);
    cr_assert_eq(api_pay(w->s, &w->buyer, intent), 200);
    char st[64];
    ms_field(w, order, idx, "status", st);
    cr_assert_str_eq(st, "funded");
    ms_field(w, order, idx, "escrow_id", esc);
    cr_assert(strncmp(esc, "esc_", 4) == 0, "escrow id %s", esc);
}

static long long sql_ll(struct api_server *s, const char *sql, const char *p1)
{
    char buf[64];
    const char *p[] = {p1};
    cr_assert_eq(api_sql_text(s, sql, p, p1 ? 1 : 0, buf, sizeof buf), 1, "%s", sql);
    return atoll(buf);
}

static long long balance(struct api_server *s, const char *code)
{
    char buf[64] = "";
    const char *p[] = {code};
    int rc = api_sql_text(s, "SELECT CAST(balance AS TEXT) FROM ledger_accounts WHERE code = $1", p, 1, buf, sizeof buf);
    return rc == 1 ? atoll(buf) : 0;
}

/* pending + available of the seller, read in one statement (the transfer job moves money between them). */
static long long seller_total(struct api_server *s, const char *seller_id)
{
    return sql_ll(s,
                  "SELECT CAST(COALESCE(SUM(balance), 0) AS TEXT) FROM ledger_accounts WHERE owner_id = $1 "
                  "AND (code LIKE 'seller:%:pending:USD' OR code LIKE 'seller:%:available:USD')",
                  seller_id);
}

/* Debits equal credits and every balance its entries, each read in one statement: a job (transfer,
 * auto-approval) may commit between two statements. */
static void assert_ledger_balanced(struct api_server *s)
{
    api_ledger_assert_consistent(s);
}

/* An accepted 3333 + 6667 request of buyer made by seller; ids out. */
static void accepted_request(struct world *w, char *order, char *m1, char *m2)
{
    char prop[64];
    make_request(w, order);
    struct api_response *r = propose(w, &w->seller, order, 3333, 6667, 10000);
    ids_of(ok(r, 201), prop, m1, m2);
    api_response_free(r);
    char path[256], body[128];
    snprintf(path, sizeof path, "/api/v1/custom-orders/%s/accept", order);
    snprintf(body, sizeof body, "{\"proposal_id\":\"%s\"}", prop);
    r = api_as(w->s, &w->buyer, "POST", path, body);
    ok(r, 200);
    api_response_free(r);
}

/*-----------------------------------------------------------------------------
 * Requests and proposals
 */
Test(commissions, request_validation_visibility_and_proposals)
{
    struct world w;
    world_start(&w);
    struct api_response *r = api_as(w.s, NULL, "POST", "/api/v1/custom-orders", "{\"title\":\"x\"}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", "/api/v1/custom-orders", "{\"title\":\"x\",\"visibility\":\"invited\"}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", "/api/v1/custom-orders",
               "{\"title\":\"x\",\"description\":\"y\",\"visibility\":\"invited\",\"invited_seller_ids\":[]}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    /* A buyer is not a seller: inviting one is refused. */
    char body[256];
    snprintf(body, sizeof body,
             "{\"title\":\"x\",\"description\":\"y\",\"visibility\":\"invited\",\"invited_seller_ids\":[\"%s\"]}",
             w.admin.id);
    r = api_as(w.s, &w.buyer, "POST", "/api/v1/custom-orders", body);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);

    char order[64], prop[64], m1[64];
    make_request(&w, order);
    /* Not invited: the other seller neither sees nor proposes (404). */
    r = get_order(&w, &w.seller2, order);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = propose(&w, &w.seller2, order, 1, 1, 2);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    /* A buyer may not propose at all (role). */
    r = propose(&w, &w.buyer, order, 1, 1, 2);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    /* Milestones must sum to the price. */
    r = propose(&w, &w.seller, order, 3000, 6000, 10000);
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(strstr(r->body, "milestones") != NULL, "%s", r->body);
    api_response_free(r);
    r = propose(&w, &w.seller, order, 0, 10000, 10000);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = propose(&w, &w.seller, order, 4000, 6000, 10000);
    ids_of(ok(r, 201), prop, m1, NULL);
    api_response_free(r);
    /* Revising keeps one pending proposal (200) and replaces its milestones. */
    r = propose(&w, &w.seller, order, 2500, 7500, 10000);
    json_t *j = ok(r, 200);
    cr_assert_eq(json_array_size(json_object_get(j, "proposals")), 1);
    char prop2[64], m1b[64];
    ids_of(j, prop2, m1b, NULL);
    cr_assert_str_eq(prop2, prop);
    json_t *ms = json_object_get(json_array_get(json_object_get(j, "proposals"), 0), "milestones");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(json_array_get(ms, 0), "amount"), "amount")), 2500);
    api_response_free(r);
    /* Now the seller sees it; the buyer sees the invitation as proposed. */
    r = get_order(&w, &w.buyer, order);
    j = ok(r, 200);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "invitations"), 0), "status")),
                     "proposed");
    api_response_free(r);
    r = api_as(w.s, &w.seller, "GET", "/api/v1/custom-orders?role=seller", NULL);
    j = ok(r, 200);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 1);
    api_response_free(r);
    r = api_as(w.s, &w.seller2, "GET", "/api/v1/custom-orders?role=seller", NULL);
    j = ok(r, 200);
    cr_assert_eq(json_array_size(json_object_get(j, "data")), 0);
    api_response_free(r);

    /* Accept: only the buyer; then a second accept and a revision are illegal. */
    char path[256];
    snprintf(path, sizeof path, "/api/v1/custom-orders/%s/accept", order);
    snprintf(body, sizeof body, "{\"proposal_id\":\"%s\"}", prop);
    r = api_as(w.s, &w.seller, "POST", path, body);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, body);
    j = ok(r, 200);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "accepted");
    cr_assert_str_eq(json_string_value(json_object_get(j, "seller_id")), w.seller.id);
    cr_assert_eq(json_integer_value(json_object_get(j, "commission_bps")), 1000);
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, body);
    api_assert_problem(r, 409, "invalid_state_transition");
    cr_assert(strstr(r->body, "allowed from accepted: in_progress, cancelled") != NULL, "%s", r->body);
    api_response_free(r);
    r = propose(&w, &w.seller, order, 5000, 5000, 10000);
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    /* Delivering an unfunded milestone is illegal. */
    snprintf(path, sizeof path, "/api/v1/custom-orders/%s/milestones/%s/deliver", order, m1b);
    r = api_as(w.s, &w.seller, "POST", path, "{\"note\":\"done\"}");
    api_assert_problem(r, 409, "invalid_state_transition");
    cr_assert(strstr(r->body, "allowed from pending: funded") != NULL, "%s", r->body);
    api_response_free(r);
    /* Cancel before funding works once; a cancelled order cannot be funded. */
    snprintf(path, sizeof path, "/api/v1/custom-orders/%s/cancel", order);
    r = api_as(w.s, &w.seller, "POST", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(ok(r, 200), "status")), "cancelled");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, NULL);
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    snprintf(body, sizeof body, "{\"milestone_id\":\"%s\"}", m1b);
    r = api_as(w.s, &w.buyer, "POST", "/api/v1/escrow/create", body);
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    api_stop(w.s);
}

/*-----------------------------------------------------------------------------
 * Money: fund, deliver, approve, dispute split; the ledger at each step
 */
Test(commissions, fund_deliver_release_and_dispute_split)
{
    struct world w;
    world_start(&w);
    char order[64], m1[64], m2[64], esc1[64], esc2[64], path[256], body[160];
    accepted_request(&w, order, m1, m2);

    /* Only the buyer funds; a stranger's milestone is 404. */
    snprintf(body, sizeof body, "{\"milestone_id\":\"%s\"}", m1);
    struct api_response *r = api_as(w.s, &w.seller, "POST", "/api/v1/escrow/create", body);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);

    fund(&w, order, 0, m1, esc1);
    order_status(&w, order, "in_progress");
    cr_assert_eq(balance(w.s, "platform:escrow:USD"), 3333);
    /* Funded: cancelling is no longer possible. */
    snprintf(path, sizeof path, "/api/v1/custom-orders/%s/cancel", order);
    r = api_as(w.s, &w.buyer, "POST", path, NULL);
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    /* The seller delivers; the stranger seller cannot. */
    snprintf(path, sizeof path, "/api/v1/custom-orders/%s/milestones/%s/deliver", order, m1);
    r = api_as(w.s, &w.seller2, "POST", path, "{\"note\":\"here\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(w.s, &w.seller, "POST", path, "{\"note\":\"here\"}");
    ok(r, 200);
    api_response_free(r);
    char st[64];
    ms_field(&w, order, 0, "status", st);
    cr_assert_str_eq(st, "delivered");
    r = api_as(w.s, &w.seller, "POST", path, "{\"note\":\"again\"}");
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);

    /* The seller cannot approve; the buyer does: 3333 released, fee floor(3333 * 10%) = 333. */
    snprintf(path, sizeof path, "/api/v1/escrow/%s/release", esc1);
    r = api_as(w.s, &w.seller, "POST", path, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, NULL);
    json_t *j = ok(r, 200);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "released");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "fee_amount"), "amount")), 333);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "seller_net_amount"), "amount")), 3000);
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, NULL);
    api_assert_problem(r, 409, "invalid_state_transition");
    cr_assert(strstr(r->body, "allowed from released: refunded") != NULL, "%s", r->body);
    api_response_free(r);
    ms_field(&w, order, 0, "status", st);
    cr_assert_str_eq(st, "released");
    cr_assert_eq(balance(w.s, "platform:escrow:USD"), 0);
    cr_assert_eq(balance(w.s, "platform:fees:USD"), 333);
    cr_assert_eq(seller_total(w.s, w.seller.id), 3000);

    /* Milestone 2: funded, then disputed by the buyer: release is frozen. */
    fund(&w, order, 1, m2, esc2);
    snprintf(path, sizeof path, "/api/v1/escrow/%s/dispute", esc2);
    r = api_as(w.s, &w.seller2, "POST", path, "{\"reason\":\"quality\"}");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, "{\"reason\":\"bogus\"}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(w.s, &w.buyer, "POST", path, "{\"reason\":\"quality\",\"description\":\"cracked\"}");
    j = ok(r, 201);
    char dispute[64];
    snprintf(dispute, sizeof dispute, "%s", json_string_value(json_object_get(j, "id")));
    api_response_free(r);
    order_status(&w, order, "disputed");
    r = api_as(w.s, &w.seller, "POST", path, "{\"reason\":\"other\"}");
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/escrow/%s/release", esc2);
    r = api_as(w.s, &w.buyer, "POST", path, NULL);
    api_assert_problem(r, 409, "invalid_state_transition");
    cr_assert(strstr(r->body, "allowed from disputed") != NULL, "%s", r->body);
    api_response_free(r);
    /* Both parties list it; a stranger does not. */
    r = api_as(w.s, &w.seller, "GET", "/api/v1/disputes?status=open", NULL);
    cr_assert_eq(json_array_size(json_object_get(ok(r, 200), "data")), 1);
    api_response_free(r);
    r = api_as(w.s, &w.seller2, "GET", "/api/v1/disputes", NULL);
    cr_assert_eq(json_array_size(json_object_get(ok(r, 200), "data")), 0);
    api_response_free(r);

    /* Resolve: admin only; a split must leave something each way. */
    snprintf(path, sizeof path, "/api/v1/disputes/%s/resolve", dispute);
    r = api_as(w.s, &w.buyer, "POST", path, "{\"resolution\":\"refund_buyer\"}");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(w.s, &w.admin, "POST", path, "{\"resolution\":\"split\",\"buyer_amount\":6667}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = api_as(w.s, &w.admin, "POST", path, "{\"resolution\":\"release_seller\",\"buyer_amount\":5}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    /* Split: 1667 back to the buyer, 5000 released, fee 500. */
    r = api_as(w.s, &w.admin, "POST", path, "{\"resolution\":\"split\",\"buyer_amount\":1667,\"note\":\"fair\"}");
    j = ok(r, 200);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "resolved");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "seller_amount"), "amount")), 5000);
    api_response_free(r);
    r = api_as(w.s, &w.admin, "POST", path, "{\"resolution\":\"refund_buyer\"}");
    api_assert_problem(r, 409, "invalid_state_transition");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/escrow/%s", esc2);
    r = api_as(w.s, &w.buyer, "GET", path, NULL);
    j = ok(r, 200);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "split");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "refunded_amount"), "amount")), 1667);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "released_amount"), "amount")), 5000);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "fee_amount"), "amount")), 500);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "held_amount"), "amount")), 0);
    api_response_free(r);
    r = api_as(w.s, &w.seller2, "GET", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    ms_field(&w, order, 1, "status", st);
    cr_assert_str_eq(st, "released");
    order_status(&w, order, "completed");
    cr_assert_eq(balance(w.s, "platform:escrow:USD"), 0);
    cr_assert_eq(balance(w.s, "platform:fees:USD"), 833);
    cr_assert_eq(seller_total(w.s, w.seller.id), 3000 + 4500);
    char kind[64];
    cr_assert_eq(api_sql_text(w.s,
                              "SELECT CAST(COUNT(*) AS TEXT) FROM ledger_transactions WHERE kind = "
                              "'dispute_resolution'",
                              NULL, 0, kind, sizeof kind),
                 1);
    cr_assert_eq(atoi(kind), 2, "refund + release booked as dispute_resolution: %s", kind);
    assert_ledger_balanced(w.s);
    api_stop(w.s);
}

/*-----------------------------------------------------------------------------
 * Auto-approve after the deadline
 */
Test(commissions, auto_approve_after_deadline)
{
    struct world w;
    world_start(&w);
    char order[64], m1[64], m2[64], esc1[64], path[256];
    accepted_request(&w, order, m1, m2);
    fund(&w, order, 0, m1, esc1);
    snprintf(path, sizeof path, "/api/v1/custom-orders/%s/milestones/%s/deliver", order, m1);
    struct api_response *r = api_as(w.s, &w.seller, "POST", path, "{\"note\":\"done\"}");
    ok(r, 200);
    api_response_free(r);
    char dl[64];
    ms_field(&w, order, 0, "approval_deadline_at", dl);
    cr_assert(dl[0] != '\0');
    /* Not yet due: nothing happens. */
    api_sleep_ms(1500);
    char st[64];
    ms_field(&w, order, 0, "status", st);
    cr_assert_str_eq(st, "delivered");
    const char *p[] = {m1};
    cr_assert_eq(api_sql_exec(w.s, "UPDATE milestones SET approval_deadline_at = 1000 WHERE id = $1", p, 1), 0);
    for (int i = 0; i < 50; i++) {
        ms_field(&w, order, 0, "status", st);
        if (strcmp(st, "released") == 0)
            break;
        api_sleep_ms(200);
    }
    cr_assert_str_eq(st, "released");
    cr_assert_eq(balance(w.s, "platform:fees:USD"), 333);
    order_status(&w, order, "in_progress");
    assert_ledger_balanced(w.s);
    api_stop(w.s);
}

/*-----------------------------------------------------------------------------
 * Refunds after release: reversals, the fee share exact in total
 */
static long long escrow_money(struct world *w, const char *esc, const char *field)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/escrow/%s", esc);
    struct api_response *r = api_as(w->s, &w->buyer, "GET", path, NULL);
    long long v = json_integer_value(json_object_get(json_object_get(ok(r, 200), field), "amount"));
    api_response_free(r);
    return v;
}

static struct api_response *refund(struct world *w, const char *milestone, long amount)
{
    char body[160];
    snprintf(body, sizeof body, "{\"milestone_id\":\"%s\",\"amount\":%ld}", milestone, amount);
    return api_as(w->s, &w->seller, "POST", "/api/v1/refunds", body);
}

Test(commissions, refund_held_then_after_release)
{
    struct world w;
    world_start(&w);
    char order[64], m1[64], m2[64], esc1[64], path[256];
    accepted_request(&w, order, m1, m2);
    fund(&w, order, 0, m1, esc1);
    /* 333 refunded while held: straight from escrow, no fee involved. */
    struct api_response *r = refund(&w, m1, 333);
    cr_assert(r->status == 200 || r->status == 201, "%ld %s", r->status, r->body);
    api_response_free(r);
    cr_assert_eq(escrow_money(&w, esc1, "held_amount"), 3000);
    cr_assert_eq(balance(w.s, "platform:escrow:USD"), 3000);
    /* Release the rest: gross 3000, fee 300; the escrow is "split" (money went both ways). */
    snprintf(path, sizeof path, "/api/v1/escrow/%s/release", esc1);
    r = api_as(w.s, &w.buyer, "POST", path, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(ok(r, 200), "status")), "split");
    api_response_free(r);
    cr_assert_eq(balance(w.s, "platform:fees:USD"), 300);
    /* 1005 after release: fee share floor(1005 * 10%) = 100, seller gives back 905. */
    r = refund(&w, m1, 1005);
    cr_assert(r->status == 200 || r->status == 201, "%ld %s", r->status, r->body);
    api_response_free(r);
    cr_assert_eq(balance(w.s, "platform:fees:USD"), 200);
    cr_assert_eq(seller_total(w.s, w.seller.id), 2700 - 905);
    cr_assert_eq(escrow_money(&w, esc1, "released_amount"), 1995);
    /* More than is left is refused and changes nothing. */
    r = refund(&w, m1, 1996);
    cr_assert(r->status == 409 || r->status == 422, "%ld %s", r->status, r->body);
    api_response_free(r);
    /* The rest, 1995: cumulative fee share floor(3000 * 10%) = 300 in all, so exactly the fee taken. */
    r = refund(&w, m1, 1995);
    cr_assert(r->status == 200 || r->status == 201, "%ld %s", r->status, r->body);
    api_response_free(r);
    cr_assert_eq(balance(w.s, "platform:fees:USD"), 0);
    cr_assert_eq(seller_total(w.s, w.seller.id), 0);
    cr_assert_eq(escrow_money(&w, esc1, "refunded_amount"), 3333);
    cr_assert_eq(escrow_money(&w, esc1, "released_amount"), 0);
    cr_assert_eq(escrow_money(&w, esc1, "fee_amount"), 0);
    char st[64];
    ms_field(&w, order, 0, "status", st);
    cr_assert_str_eq(st, "released", "a refund after release leaves the milestone released");
    snprintf(path, sizeof path, "/api/v1/escrow/%s", esc1);
    r = api_as(w.s, &w.buyer, "GET", path, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(ok(r, 200), "status")), "refunded");
    api_response_free(r);
    assert_ledger_balanced(w.s);
    api_stop(w.s);
}
