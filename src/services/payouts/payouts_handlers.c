/*
 * payouts_handlers.c — a seller's balances and payouts: GET /payouts and
 * POST /payouts/request (money flow step 6, see README.md).
 *
 * A request, in one transaction: lock the seller's available-balance row
 * (FOR UPDATE; SQLite's BEGIN IMMEDIATE already serialises writers), check
 * payout_min_amount <= amount <= available, post ledger_payout_start
 * (seller available → platform payouts, idem "payout:<id>"), insert the
 * payouts row (requested) and enqueue payouts.process. The processor is
 * called by that job, never here: no network call inside a transaction.
 *
 * Caveats: a seller's available balance may be negative (a refund reversed
 * a transfer); a payout needs a positive available balance covering the
 * amount, so the shortfall is carried until new releases cover it.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/cursor.h"
#include "platform/jobs.h"
#include "platform/ledger.h"
#include "platform/payproc.h"
#include "services/payouts/payouts_int.h"

#define DEFAULT_CURRENCY "USD"

/*-----------------------------------------------------------------------------
 * JSON
 */
json_t *payouts__money(int64_t amount, const char *currency)
{
    return json_pack("{s:I, s:s}", "amount", (json_int_t)amount, "currency", currency);
}

static json_t *time_or_null(struct request *req, struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? json_null() : json_string(req_time(req, db_column_i64(st, col)));
}

static json_t *text_or_null(struct db_stmt *st, int col)
{
    const char *s = db_column_text(st, col);
    return s ? json_string(s) : json_null();
}

json_t *payouts__payout_json(struct request *req, struct db_stmt *st)
{
    const char *cur = db_column_text(st, 3);
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s}", "id", db_column_text(st, 0),
                     "seller_id", db_column_text(st, 1), "amount", payouts__money(db_column_i64(st, 2), cur), "status",
                     db_column_text(st, 4), "provider", db_column_text(st, 5), "provider_ref", text_or_null(st, 6),
                     "failure_reason", text_or_null(st, 7), "arrival_at", time_or_null(req, st, 8), "paid_at",
                     time_or_null(req, st, 9), "created_at", req_time(req, db_column_i64(st, 10)), "updated_at",
                     req_time(req, db_column_i64(st, 11)));
}

/*-----------------------------------------------------------------------------
 * Balances: pending and available from the seller's ledger accounts, in
 * transit from the payouts not yet settled (the platform payouts account is
 * shared by every seller).
 */
static json_t *balance_for(json_t *by_cur, const char *currency)
{
    json_t *b = json_object_get(by_cur, currency);
    if (b == NULL) {
        b = json_pack("{s:s, s:I, s:I, s:I}", "currency", currency, "pending", (json_int_t)0, "available",
                      (json_int_t)0, "in_transit", (json_int_t)0);
        json_object_set_new(by_cur, currency, b);
    }
    return b;
}

static int balances(struct request *req, const char *seller, json_t **out, struct db_error *dberr)
{
    json_t *by_cur = json_object();
    struct db_stmt *st = db_prepare(req->db, payouts__sql(PAYOUTS_Q_BALANCES), dberr);
    if (st == NULL)
        goto fail;
    db_bind(st, 1, DB_TEXT(seller));
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        const char *code = db_column_text(st, 0);
        json_t *b = balance_for(by_cur, db_column_text(st, 1));
        const char *which = strstr(code, ":available:") ? "available" : strstr(code, ":pending:") ? "pending" : NULL;
        if (which != NULL)
            json_object_set_new(b, which, json_integer(db_column_i64(st, 2)));
    }
    db_reset(st);
    if (rc < 0)
        goto fail;
    st = db_prepare(req->db, payouts__sql(PAYOUTS_Q_IN_TRANSIT), dberr);
    if (st == NULL)
        goto fail;
    db_bind(st, 1, DB_TEXT(seller));
    while ((rc = db_step(st, dberr)) == 1)
        json_object_set_new(balance_for(by_cur, db_column_text(st, 0)), "in_transit",
                            json_integer(db_column_i64(st, 1)));
    db_reset(st);
    if (rc < 0)
        goto fail;
    balance_for(by_cur, DEFAULT_CURRENCY);
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(by_cur, k, v) json_array_append(arr, v);
    json_decref(by_cur);
    *out = arr;
    return 0;
fail:
    json_decref(by_cur);
    return -1;
}

/*-----------------------------------------------------------------------------
 * GET /payouts
 */
int payouts_handle_list(struct request *req, struct app_error *err)
{
    int64_t limit = req_param_i64(req, "limit", 20), at = 0;
    const char *after = NULL;
    struct db_error dberr = {0};
    json_t *bal = NULL, *data = json_array();
    const char *next = NULL;
    if (req_cursor_at(req, "pyo", &at, &after, err) != 0)
        goto fail;
    if (balances(req, req->user_id, &bal, &dberr) != 0)
        goto dbfail;
    struct db_stmt *st = db_prepare(req->db, payouts__sql(PAYOUTS_Q_PAGE), &dberr);
    if (st == NULL)
        goto dbfail;
    db_bind(st, 1, DB_TEXT(req->user_id));
    db_bind(st, 2, after ? DB_I64(at) : DB_NULL);
    db_bind(st, 3, DB_TEXT(after));
    db_bind(st, 4, DB_I64(limit + 1));
    int rc, n = 0;
    while ((rc = db_step(st, &dberr)) == 1) {
        if (n++ == limit) {
            json_t *last = json_array_get(data, json_array_size(data) - 1);
            int64_t t;
            time_parse_rfc3339(json_string_value(json_object_get(last, "created_at")), &t);
            next = req_cursor_at_make(req, t, json_string_value(json_object_get(last, "id")));
            break;
        }
        json_array_append_new(data, payouts__payout_json(req, st));
    }
    db_reset(st);
    if (rc < 0)
        goto dbfail;
    res_json(req, 200,
             json_pack("{s:o, s:o, s:o}", "balances", bal, "data", data, "next_cursor",
                       next ? json_string(next) : json_null()));
    return 0;
dbfail:
    req_db_error(req, &dberr, err);
fail:
    json_decref(bal);
    json_decref(data);
    return -1;
}

/*-----------------------------------------------------------------------------
 * POST /payouts/request
 */
struct request_tx {
    struct request *req;
    const char *seller, *currency, *provider;
    int64_t amount; /* 0: everything available */
    int64_t min;
    char id[ID_MAX_LEN];
    const char *fail_code, *fail_msg;
};

static int request_fail(struct request_tx *t, struct db_error *dberr, const char *code, const char *msg)
{
    t->fail_code = code;
    t->fail_msg = msg;
    dberr->kind = DB_E_OTHER;
    return -1;
}

static int lock_available(struct db *tx, struct request_tx *t, int64_t *available, struct db_error *dberr)
{
    char code[160];
    *available = 0;
    if (ledger_account_code(LEDGER_SELLER_AVAILABLE, t->seller, t->currency, code, sizeof code) == NULL)
        return request_fail(t, dberr, "validation_failed", "currency must be a 3-letter code");
    struct db_stmt *st = db_prepare(tx, payouts__sql(PAYOUTS_Q_ACCOUNT_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(code));
    int rc = db_step(st, dberr);
    if (rc == 1)
        *available = db_column_i64(st, 0);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int request_tx_fn(struct db *tx, void *ctx, struct db_error *dberr)
{
    struct request_tx *t = ctx;
    struct arena *a = t->req->arena;
    int64_t available;
    t->fail_code = NULL;
    if (lock_available(tx, t, &available, dberr) != 0)
        return -1;
    int64_t amount = t->amount > 0 ? t->amount : available;
    if (amount <= 0 || amount > available)
        return request_fail(t, dberr, "insufficient_balance",
                            arena_sprintf(a, "the available balance is %lld %s", (long long)available, t->currency));
    if (amount < t->min)
        return request_fail(t, dberr, "payout_below_minimum",
                            arena_sprintf(a, "the smallest payout is %lld %s", (long long)t->min, t->currency));
    int64_t now = time_now_ms();
    id_generate("pyo", t->id, sizeof t->id);
    struct db_param p[] = {DB_TEXT(t->id), DB_TEXT(t->seller), DB_I64(amount), DB_TEXT(t->currency),
                           DB_TEXT(t->provider), DB_I64(now)};
    if (db_exec(tx, payouts__sql(PAYOUTS_Q_INSERT), p, 6, dberr) < 0)
        return -1;
    const char *idem = arena_sprintf(a, "payout:%s", t->id);
    struct ledger_ref ref = {.ref_type = "payout", .ref_id = t->id, .idem_key = idem, .actor_id = t->seller,
                             .description = "payout requested", .currency = t->currency};
    int lr = ledger_payout_start(tx, &ref, t->seller, amount, dberr);
    if (lr != LEDGER_OK)
        return lr == LEDGER_ERR ? -1 : request_fail(t, dberr, "internal_error", "the payout could not be booked");
    json_t *payload = json_pack("{s:s}", "payout_id", t->id);
    int rc = jobs_enqueue(tx, PAYOUTS_JOB_PROCESS, payload, NULL, NULL, dberr);
    json_decref(payload);
    return rc;
}

static int load_payout(struct request *req, const char *id, json_t **out, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, payouts__sql(PAYOUTS_Q_GET), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, dberr);
    if (rc == 1)
        *out = payouts__payout_json(req, st);
    db_reset(st);
    return rc == 1 ? 0 : -1;
}

int payouts_handle_request(struct request *req, struct app_error *err)
{
    struct request_tx t = {.req = req, .seller = req->user_id};
    json_t *amount = json_object_get(req->json, "amount");
    json_t *cur = json_object_get(req->json, "currency");
    t.amount = json_is_integer(amount) ? json_integer_value(amount) : 0;
    t.currency = json_is_string(cur) ? json_string_value(cur) : DEFAULT_CURRENCY;
    t.min = req->app->cfg->payout_min_amount;
    if (json_is_integer(amount) && t.amount == 0) {
        app_error_add_field(err, req->arena, "amount", "too_small", "must be greater than 0");
        return app_error_set(err, req->arena, "validation_failed", "field 'amount' must be greater than 0");
    }
    char acct[128];
    struct db_error dberr = {0};
    int rc = payproc_seller_account(req->app, req->db, t.seller, acct, sizeof acct, &dberr);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 1)
        return app_error_set(err, req->arena, "payout_account_unavailable",
                             "no active payout account: finish onboarding with the payment processor first");
    t.provider = payproc_get(req->app)->name;
    if (db_tx(req->db, 3, request_tx_fn, &t, &dberr) != 0) {
        if (t.fail_code == NULL)
            return req_db_error(req, &dberr, err);
        return app_error_set(err, req->arena, t.fail_code, "%s", t.fail_msg);
    }
    json_t *payout = NULL;
    if (load_payout(req, t.id, &payout, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    res_json(req, 201, payout);
    return 0;
}
