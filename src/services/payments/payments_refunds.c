/*
 * payments_refunds.c — POST /refunds: the seller of an order (or of a
 * milestone's custom order) or an admin refunds part or all of what the
 * buyer paid for it.
 *
 * The caller's right is checked in the SQL (404 for an order that is not
 * theirs); the money goes through escrow_refund in the same transaction
 * (held money first, then a reversal of the seller's transfer), which
 * calls payments_refund_request; the processor call is the refund job.
 * "Never more than captured" holds twice: the escrow's own CHECK
 * (released + refunded <= amount) and the charge's conditional
 * refunded_amount update, so concurrent refunds cannot both pass.
 */
#include <string.h>

#include "base/ids.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "services/escrow/escrow.h"
#include "services/payments/payments_int.h"

struct refund_tx {
    struct request *req;
    const char *order_id, *milestone_id, *reason;
    int64_t amount; /* 0: everything left */
    char refund_id[ID_MAX_LEN];
    const char *fail_code, *fail_msg;
};

static int one_row(struct db *db, enum payments_query q, const struct db_param *p, int n, int64_t *out,
                   struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, payments__sql(q), dberr);
    if (st == NULL)
        return -1;
    db_bind_all(st, p, n);
    int rc = db_step(st, dberr);
    if (rc == 1 && out != NULL)
        *out = db_column_i64(st, 0);
    db_reset(st);
    return rc;
}

static int refund_in_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct refund_tx *t = arg;
    struct request *req = t->req;
    bool admin = req->role != NULL && strcmp(req->role, "admin") == 0;
    const char *target = t->order_id ? t->order_id : t->milestone_id;
    struct db_param p[] = {DB_TEXT(target), DB_TEXT(req->user_id), DB_I64(admin)};
    int rc = one_row(db, t->order_id ? PAY_Q_ORDER_REFUNDER : PAY_Q_MILESTONE_REFUNDER, p, 3, NULL, dberr);
    if (rc == 0)
        t->fail_code = "not_found", t->fail_msg = t->order_id ? "no such order" : "no such milestone";
    if (rc <= 0)
        return -1;
    char escrow_id[ID_MAX_LEN];
    rc = escrow_find(db, t->order_id, t->milestone_id, escrow_id, dberr);
    if (rc == 0)
        t->fail_code = "invalid_state_transition", t->fail_msg = "nothing was paid for it: nothing to refund";
    if (rc <= 0)
        return -1;
    int64_t left = 0;
    struct db_param e[] = {DB_TEXT(escrow_id)};
    if (one_row(db, PAY_Q_ESCROW_LEFT, e, 1, &left, dberr) < 0)
        return -1;
    int64_t amount = t->amount > 0 ? t->amount : left;
    if (amount <= 0 || amount > left) {
        t->fail_code = "refund_exceeds_refundable";
        t->fail_msg = arena_sprintf(req->arena, "at most %lld can still be refunded", (long long)left);
        return -1;
    }
    rc = escrow_refund(db, escrow_id, amount, t->reason, NULL, req->user_id, t->refund_id, dberr);
    if (rc == 1) {
        t->fail_code = "refund_exceeds_refundable";
        t->fail_msg = "the amount exceeds what is left to refund";
    }
    return rc == 0 ? 0 : -1;
}

static int respond_refund(struct request *req, const char *id, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, payments__sql(PAY_Q_REFUND_ROW), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, &dberr);
    if (rc != 1) {
        db_reset(st);
        if (rc == 0)
            return app_error_set(err, req->arena, "internal_error", "the refund was not recorded");
        return req_db_error(req, &dberr, err);
    }
    struct jsonw w;
    jw_init(&w, req->arena, 512);
    jw_obj(&w);
    jw_kstr(&w, "id", db_column_text(st, 0));
    jw_kmoney(&w, "amount", db_column_i64(st, 1), db_column_text(st, 2));
    jw_kstr(&w, "status", db_column_text(st, 3));
    jw_kstr(&w, "reason", db_column_text(st, 4));
    jw_kstr(&w, "order_id", db_column_text(st, 5));
    jw_kstr(&w, "milestone_id", db_column_text(st, 6));
    jw_kstr(&w, "payment_id", db_column_text(st, 7));
    jw_kstr(&w, "created_at", req_time(req, db_column_i64(st, 8)));
    jw_end(&w);
    db_reset(st);
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/refunds/%s", id));
    res_jsonw(req, 201, &w);
    return 0;
}

int payments_handle_refund(struct request *req, struct app_error *err)
{
    json_t *b = req->json;
    json_t *amount = json_object_get(b, "amount");
    struct refund_tx t = {.req = req,
                          .order_id = json_string_value(json_object_get(b, "order_id")),
                          .milestone_id = json_string_value(json_object_get(b, "milestone_id")),
                          .reason = json_string_value(json_object_get(b, "reason")),
                          .amount = json_is_integer(amount) ? json_integer_value(amount) : 0};
    if ((t.order_id == NULL) == (t.milestone_id == NULL)) {
        app_error_add_field(err, req->arena, "order_id", "required", "give exactly one of order_id and milestone_id");
        return app_error_set(err, req->arena, "validation_failed", "give exactly one of order_id and milestone_id");
    }
    if (json_is_integer(amount) && t.amount <= 0) {
        app_error_add_field(err, req->arena, "amount", "too_small", "a refund is at least 1 minor unit");
        return app_error_set(err, req->arena, "validation_failed", "a refund is at least 1 minor unit");
    }
    struct db_error dberr = {0};
    if (db_tx(req->db, 5, refund_in_tx, &t, &dberr) != 0) {
        if (t.fail_code != NULL)
            return app_error_set(err, req->arena, t.fail_code, "%s", t.fail_msg);
        if (dberr.kind == DB_E_CHECK) /* a concurrent refund took it first: the escrow or charge CHECK held */
            return app_error_set(err, req->arena, "refund_exceeds_refundable", "the amount exceeds what is left");
        return req_db_error(req, &dberr, err);
    }
    return respond_refund(req, t.refund_id, err);
}
