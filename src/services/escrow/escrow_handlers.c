/*
 * escrow_handlers.c — GET /escrow/:id, POST /escrow/create (the payment
 * intent that funds a milestone) and POST /escrow/:id/release (the buyer
 * approves a milestone).
 *
 * Who sees what: an escrow is visible to its buyer, its seller and admins;
 * anyone else gets 404, checked in the same read as the row.
 *
 * Caveats: an order's escrow is released by the orders service when the
 * buyer confirms receipt (PATCH /orders/:id/status) or after
 * order_release_days; POST /escrow/:id/release refuses it so the order's
 * own state machine cannot be bypassed.
 */
#include <string.h>

#include "db/db.h"
#include "http/jsonw.h"
#include "services/commissions/commissions.h"
#include "services/escrow/escrow_int.h"

bool escrow__is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}

int escrow__tx_error(struct request *req, const struct escrow_fail *fail, const struct db_error *dberr,
                     struct app_error *err)
{
    if (fail->code != NULL) {
        if (fail->field != NULL)
            app_error_add_field(err, req->arena, fail->field, "invalid_value", fail->msg);
        if (fail->detail != NULL)
            err->detail = fail->detail;
        return app_error_set(err, req->arena, fail->code, "%s", fail->msg);
    }
    return req_db_error(req, dberr, err);
}

/*-----------------------------------------------------------------------------
 * Rendering
 */
static const char *or_null(const char *s)
{
    return s[0] ? s : NULL;
}

static void write_escrow(struct request *req, struct jsonw *w, const struct escrow_row *r)
{
    jw_kstr(w, "id", r->id);
    jw_kstr(w, "order_id", or_null(r->order_id));
    jw_kstr(w, "milestone_id", or_null(r->milestone_id));
    jw_kstr(w, "buyer_id", r->buyer_id);
    jw_kstr(w, "seller_id", r->seller_id);
    jw_kstr(w, "status", r->status);
    jw_kmoney(w, "amount", r->amount, r->currency);
    jw_kmoney(w, "held_amount", escrow__held(r), r->currency);
    jw_kmoney(w, "released_amount", r->released, r->currency);
    jw_kmoney(w, "refunded_amount", r->refunded, r->currency);
    jw_kmoney(w, "fee_amount", r->fee - r->fee_reversed, r->currency);
    jw_kmoney(w, "seller_net_amount", r->released - (r->fee - r->fee_reversed), r->currency);
    jw_kint(w, "commission_bps", r->bps);
    jw_kstr(w, "payment_intent_id", or_null(r->payment_intent_id));
    jw_kstr(w, "transfer_id", or_null(r->transfer_id));
    jw_kstr(w, "auto_release_at", r->auto_release_at ? req_time(req, r->auto_release_at) : NULL);
    jw_kstr(w, "released_at", r->released_at ? req_time(req, r->released_at) : NULL);
    jw_kstr(w, "created_at", req_time(req, r->created_at));
    jw_kstr(w, "updated_at", req_time(req, r->updated_at));
}

static int write_history(struct request *req, struct jsonw *w, const struct escrow_row *r, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, escrow__sql(ESCROW_Q_HISTORY_LIST), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(r->id));
    jw_key(w, "history");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "action", db_column_text(st, 0));
        jw_kmoney(w, "amount", db_column_i64(st, 1), r->currency);
        jw_kmoney(w, "fee_amount", db_column_i64(st, 2), r->currency);
        jw_kstr(w, "status", db_column_text(st, 3));
        jw_kstr(w, "actor_id", db_column_text(st, 4));
        jw_kstr(w, "ref_id", db_column_text(st, 5));
        jw_kstr(w, "at", req_time(req, db_column_i64(st, 6)));
        jw_end(w);
    }
    db_reset(st);
    jw_end(w);
    return rc < 0 ? -1 : 0;
}

int escrow__reply(struct request *req, int status, const char *id, struct app_error *err)
{
    struct db_error dberr = {0};
    struct escrow_row r;
    int rc = escrow__load(req->db, id, false, &r, &dberr);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    bool party = rc == 1 && (strcmp(r.buyer_id, req->user_id) == 0 || strcmp(r.seller_id, req->user_id) == 0);
    if (rc == 0 || !(party || escrow__is_admin(req)))
        return app_error_set(err, req->arena, "not_found", "no escrow %s", id);
    struct jsonw w;
    jw_init(&w, req->arena, 2048);
    jw_obj(&w);
    write_escrow(req, &w, &r);
    if (write_history(req, &w, &r, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    jw_end(&w);
    res_jsonw(req, status, &w);
    return 0;
}

int escrow_handle_get(struct request *req, struct app_error *err)
{
    return escrow__reply(req, 200, req_param(req, "id"), err);
}

/*-----------------------------------------------------------------------------
 * POST /escrow/create {milestone_id}
 */
struct create_tx {
    struct request *req;
    const char *milestone_id;
    struct commissions_intent out;
    int rc;
};

static int create_intent(struct db *tx, void *arg, struct db_error *dberr)
{
    struct create_tx *t = arg;
    t->rc = commissions_milestone_intent(tx, t->milestone_id, t->req->user_id, &t->out, dberr);
    return t->rc == COMMISSIONS_OK ? 0 : -1;
}

int escrow_handle_create(struct request *req, struct app_error *err)
{
    struct create_tx t = {.req = req, .milestone_id = json_string_value(json_object_get(req->json, "milestone_id"))};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, create_intent, &t, &dberr) != 0) {
        if (t.rc == COMMISSIONS_NOT_FOUND)
            return app_error_set(err, req->arena, "not_found", "no milestone %s of yours", t.milestone_id);
        if (t.rc == COMMISSIONS_BAD_STATE) {
            err->detail = arena_sprintf(req->arena, "milestone status: %s; custom order status: %s",
                                        t.out.milestone_status, t.out.order_status);
            return app_error_set(err, req->arena, "invalid_state_transition",
                                 "only a pending milestone of an accepted or in-progress custom order can be funded");
        }
        return req_db_error(req, &dberr, err);
    }
    struct jsonw w;
    jw_init(&w, req->arena, 256);
    jw_obj(&w);
    jw_kstr(&w, "payment_intent_id", t.out.intent_id);
    jw_kstr(&w, "milestone_id", t.milestone_id);
    jw_kmoney(&w, "amount", t.out.amount, t.out.currency);
    jw_end(&w);
    res_jsonw(req, t.out.created ? 201 : 200, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * POST /escrow/:id/release (the buyer approves a milestone)
 */
struct release_tx {
    struct request *req;
    const char *id;
    struct escrow_fail fail;
};

static int release(struct db *tx, void *arg, struct db_error *dberr)
{
    struct release_tx *t = arg;
    struct request *req = t->req;
    struct escrow_row r;
    int rc = escrow__load(tx, t->id, true, &r, dberr);
    if (rc < 0)
        return -1;
    bool buyer = rc == 1 && strcmp(r.buyer_id, req->user_id) == 0;
    if (rc == 0 || !(buyer || strcmp(r.seller_id, req->user_id) == 0 || escrow__is_admin(req))) {
        t->fail = (struct escrow_fail){"not_found", "no such escrow of yours"};
        return -1;
    }
    if (!buyer) {
        t->fail = (struct escrow_fail){"forbidden", "only the buyer may approve a release"};
        return -1;
    }
    if (r.order_id[0]) {
        t->fail = (struct escrow_fail){"invalid_state_transition",
                                       "an order's escrow is released when the buyer confirms receipt of the order",
                                       "use PATCH /api/v1/orders/:id/status with status completed"};
        return -1;
    }
    rc = escrow__release(tx, &r, req->user_id, false, dberr);
    if (rc == 1)
        t->fail = (struct escrow_fail){"invalid_state_transition",
                                       arena_sprintf(req->arena, "an escrow in status %s cannot be released", r.status),
                                       escrow__allowed(req->arena, r.status)};
    return rc == 0 ? 0 : -1;
}

int escrow_handle_release(struct request *req, struct app_error *err)
{
    struct release_tx t = {.req = req, .id = req_param(req, "id")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, release, &t, &dberr) != 0)
        return escrow__tx_error(req, &t.fail, &dberr, err);
    return escrow__reply(req, 200, t.id, err);
}
