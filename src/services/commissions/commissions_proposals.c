/*
 * commissions_proposals.c — a seller's proposal on an open custom order
 * (price, timeline, message, milestones summing exactly to the price) and
 * the buyer's acceptance of one.
 *
 * Proposal states: pending → accepted | declined. A seller has at most one
 * pending proposal per request (unique partial index); sending another
 * revises it, replacing its milestones. Accepting one declines the other
 * pending ones and fixes the custom order's seller and commission (the
 * shop's commission_bps, else the platform's), which every milestone's
 * escrow then uses.
 *
 * Caveats: "withdrawn" exists in the schema but no endpoint sets it yet.
 */
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/events.h"
#include "services/commissions/commissions_int.h"

static int emit(struct db *tx, const char *type, const char *order_id, const char *proposal_id, const char *buyer,
                const char *seller, struct db_error *err)
{
    json_t *data = json_pack("{s:s, s:s, s:s, s:s}", "custom_order_id", order_id, "proposal_id", proposal_id,
                             "buyer_id", buyer, "seller_id", seller);
    int rc = events_emit(tx, type, data, err);
    json_decref(data);
    return rc;
}

/* Lock custom order id: its buyer, status and currency. 1, 0 (none), -1. */
static int lock_order(struct db *tx, struct arena *a, const char *id, const char **buyer, const char **status,
                      const char **currency, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(tx, commissions__sql(CQ_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, dberr);
    if (rc == 1) {
        *buyer = arena_strdup(a, db_column_text(st, 1));
        *status = arena_strdup(a, db_column_text(st, 11));
        *currency = arena_strdup(a, db_column_text(st, 8));
    }
    db_reset(st);
    return rc;
}

/*-----------------------------------------------------------------------------
 * PATCH /custom-orders/:id/proposal
 */
struct proposal_tx {
    struct request *req;
    const char *order_id, *proposal_id, *shop_id;
    bool created;
    struct commissions_fail fail;
};

/* Validate the milestones against the price and the order's currency (field errors into fail). */
static int check_amounts(struct proposal_tx *t, const char *currency)
{
    struct request *req = t->req;
    json_t *b = req->json;
    json_t *price = json_object_get(b, "price");
    const char *pc = json_string_value(json_object_get(price, "currency"));
    if (pc != NULL && strcmp(pc, currency) != 0) {
        t->fail = (struct commissions_fail){"validation_failed",
                                            arena_sprintf(req->arena, "must be %s, the request's currency", currency),
                                            NULL, "price.currency"};
        return -1;
    }
    int64_t sum = 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(b, "milestones"), i, m)
    {
        json_t *amt = json_object_get(m, "amount");
        const char *mc = json_string_value(json_object_get(amt, "currency"));
        if (mc != NULL && strcmp(mc, currency) != 0) {
            t->fail = (struct commissions_fail){"validation_failed", "must be the request's currency", NULL,
                                                arena_sprintf(req->arena, "milestones[%zu].amount.currency", i)};
            return -1;
        }
        sum += json_integer_value(json_object_get(amt, "amount"));
    }
    int64_t total = json_integer_value(json_object_get(price, "amount"));
    if (sum != total) {
        t->fail = (struct commissions_fail){
            "validation_failed",
            arena_sprintf(req->arena, "milestone amounts sum to %lld, the price is %lld", (long long)sum,
                          (long long)total),
            NULL, "milestones"};
        return -1;
    }
    return 0;
}

static int write_milestone_rows(struct proposal_tx *t, struct db *tx, const char *currency, int64_t now,
                                struct db_error *dberr)
{
    struct request *req = t->req;
    struct db_param del[] = {DB_TEXT(t->proposal_id)};
    if (db_exec(tx, commissions__sql(CQ_MS_DELETE_OF), del, 1, dberr) < 0)
        return -1;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(req->json, "milestones"), i, m)
    {
        const char *desc = json_string_value(json_object_get(m, "description"));
        const char *due = json_string_value(json_object_get(m, "due_at"));
        int64_t due_ms = 0;
        if (due != NULL)
            time_parse_rfc3339(due, &due_ms);
        struct db_param p[] = {DB_TEXT(id_new(req->arena, "mls")),
                               DB_TEXT(t->order_id),
                               DB_TEXT(t->proposal_id),
                               DB_TEXT(json_string_value(json_object_get(m, "title"))),
                               DB_TEXT(desc ? desc : ""),
                               DB_I64(json_integer_value(json_object_get(json_object_get(m, "amount"), "amount"))),
                               DB_TEXT(currency),
                               DB_I64((int64_t)i + 1),
                               due ? DB_I64(due_ms) : DB_NULL,
                               DB_I64(now)};
        if (db_exec(tx, commissions__sql(CQ_MS_INSERT), p, 10, dberr) < 0)
            return -1;
    }
    return 0;
}

/* Insert the seller's proposal or revise their pending one. */
static int upsert_proposal(struct proposal_tx *t, struct db *tx, const char *currency, int64_t now,
                           struct db_error *dberr)
{
    struct request *req = t->req;
    json_t *b = req->json;
    int64_t price = json_integer_value(json_object_get(json_object_get(b, "price"), "amount"));
    int64_t days = json_integer_value(json_object_get(b, "timeline_days"));
    const char *msg = json_string_value(json_object_get(b, "message"));
    struct db_stmt *st = db_prepare(tx, commissions__sql(CQ_PROPOSAL_PENDING_OF), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->order_id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, dberr);
    if (rc == 1)
        t->proposal_id = arena_strdup(req->arena, db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        struct db_param p[] = {DB_TEXT(t->proposal_id), DB_I64(price), DB_I64(days), DB_TEXT(msg ? msg : ""),
                               DB_I64(now)};
        return db_exec(tx, commissions__sql(CQ_PROPOSAL_UPDATE), p, 5, dberr) == 1 ? 0 : -1;
    }
    t->created = true;
    t->proposal_id = id_new(req->arena, "prp");
    struct db_param p[] = {DB_TEXT(t->proposal_id), DB_TEXT(t->order_id), DB_TEXT(req->user_id),
                           DB_TEXT(t->shop_id),     DB_I64(price),        DB_TEXT(currency),
                           DB_I64(days),            DB_TEXT(msg ? msg : ""), DB_I64(now)};
    return db_exec(tx, commissions__sql(CQ_PROPOSAL_INSERT), p, 9, dberr) < 0 ? -1 : 0;
}

static int propose(struct db *tx, void *arg, struct db_error *dberr)
{
    struct proposal_tx *t = arg;
    struct request *req = t->req;
    const char *buyer = NULL, *status = NULL, *currency = NULL;
    int rc = lock_order(tx, req->arena, t->order_id, &buyer, &status, &currency, dberr);
    if (rc < 0)
        return -1;
    struct db_stmt *st = rc == 1 ? db_prepare(tx, commissions__sql(CQ_CAN_PROPOSE), dberr) : NULL;
    if (rc == 1 && st == NULL)
        return -1;
    if (st != NULL) {
        db_bind(st, 1, DB_TEXT(t->order_id));
        db_bind(st, 2, DB_TEXT(req->user_id));
        rc = db_step(st, dberr);
        if (rc == 1)
            t->shop_id = arena_strdup(req->arena, db_column_text(st, 0));
        db_reset(st);
        if (rc < 0)
            return -1;
    }
    if (rc == 0) {
        t->fail = (struct commissions_fail){"not_found", "no custom order you may propose on"};
        return -1;
    }
    if (strcmp(status, "open") != 0) {
        t->fail = (struct commissions_fail){"invalid_state_transition",
                                            arena_sprintf(req->arena, "the custom order is %s, not open", status),
                                            commissions__allowed(req->arena, "custom_order", status)};
        return -1;
    }
    if (check_amounts(t, currency) != 0)
        return -1;
    int64_t now = time_now_ms();
    if (upsert_proposal(t, tx, currency, now, dberr) != 0 || write_milestone_rows(t, tx, currency, now, dberr) != 0)
        return -1;
    struct db_param ip[] = {DB_TEXT(t->order_id), DB_TEXT(req->user_id), DB_I64(now)};
    if (db_exec(tx, commissions__sql(CQ_INVITE_PROPOSED), ip, 3, dberr) < 0)
        return -1;
    return emit(tx, "proposal.received", t->order_id, t->proposal_id, buyer, req->user_id, dberr);
}

int commissions_handle_proposal(struct request *req, struct app_error *err)
{
    struct proposal_tx t = {.req = req, .order_id = req_param(req, "id")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, propose, &t, &dberr) != 0)
        return commissions__tx_error(req, &t.fail, &dberr, err);
    return commissions__reply(req, t.created ? 201 : 200, t.order_id, err);
}

/*-----------------------------------------------------------------------------
 * POST /custom-orders/:id/accept {proposal_id}
 */
struct accept_tx {
    struct request *req;
    const char *order_id, *proposal_id;
    struct commissions_fail fail;
};

/* The commission of the proposal's shop, else the platform's. */
static int commission_of(struct db *tx, const struct config *cfg, const char *shop_id, int *bps,
                         struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(tx, commissions__sql(CQ_SHOP_BPS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(shop_id));
    int rc = db_step(st, dberr);
    *bps = rc == 1 && !db_column_is_null(st, 0) ? (int)db_column_i64(st, 0) : cfg->commission_bps;
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int accept(struct db *tx, void *arg, struct db_error *dberr)
{
    struct accept_tx *t = arg;
    struct request *req = t->req;
    const char *buyer = NULL, *status = NULL, *currency = NULL;
    int rc = lock_order(tx, req->arena, t->order_id, &buyer, &status, &currency, dberr);
    if (rc < 0)
        return -1;
    if (rc == 0 || strcmp(buyer, req->user_id) != 0) {
        t->fail = (struct commissions_fail){"not_found", "no such custom order of yours"};
        return -1;
    }
    struct db_stmt *st = db_prepare(tx, commissions__sql(CQ_PROPOSAL_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->proposal_id));
    db_bind(st, 2, DB_TEXT(t->order_id));
    rc = db_step(st, dberr);
    const char *seller = NULL, *shop = NULL, *pstatus = NULL;
    if (rc == 1) {
        seller = arena_strdup(req->arena, db_column_text(st, 2));
        shop = arena_strdup(req->arena, db_column_text(st, 3));
        pstatus = arena_strdup(req->arena, db_column_text(st, 8));
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        t->fail = (struct commissions_fail){"not_found", "no such proposal on this custom order"};
        return -1;
    }
    if (strcmp(status, "open") != 0) {
        t->fail = (struct commissions_fail){"invalid_state_transition",
                                            arena_sprintf(req->arena, "the custom order is %s, not open", status),
                                            commissions__allowed(req->arena, "custom_order", status)};
        return -1;
    }
    if (strcmp(pstatus, "pending") != 0) {
        t->fail = (struct commissions_fail){"invalid_state_transition",
                                            arena_sprintf(req->arena, "the proposal is %s, not pending", pstatus),
                                            commissions__allowed(req->arena, "proposal", pstatus)};
        return -1;
    }
    int bps;
    if (commission_of(tx, req->app->cfg, shop, &bps, dberr) != 0)
        return -1;
    int64_t now = time_now_ms();
    struct db_param a[] = {DB_TEXT(t->proposal_id), DB_I64(now)};
    struct db_param d[] = {DB_TEXT(t->order_id), DB_TEXT(t->proposal_id), DB_I64(now)};
    struct db_param c[] = {DB_TEXT(t->order_id), DB_TEXT(seller), DB_TEXT(t->proposal_id), DB_I64(bps), DB_I64(now)};
    if (db_exec(tx, commissions__sql(CQ_PROPOSAL_ACCEPT), a, 2, dberr) != 1 ||
        db_exec(tx, commissions__sql(CQ_PROPOSAL_DECLINE_OTHERS), d, 3, dberr) < 0 ||
        db_exec(tx, commissions__sql(CQ_ACCEPT), c, 5, dberr) != 1)
        return -1;
    return emit(tx, "proposal.accepted", t->order_id, t->proposal_id, buyer, seller, dberr);
}

int commissions_handle_accept(struct request *req, struct app_error *err)
{
    struct accept_tx t = {.req = req,
                          .order_id = req_param(req, "id"),
                          .proposal_id = json_string_value(json_object_get(req->json, "proposal_id"))};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, accept, &t, &dberr) != 0)
        return commissions__tx_error(req, &t.fail, &dberr, err);
    return commissions__reply(req, 200, t.order_id, err);
}
