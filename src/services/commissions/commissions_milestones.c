/*
 * commissions_milestones.c — a milestone's money life: the intent that
 * funds it, the payment hook that holds it in escrow, the seller's
 * delivery, the escrow hook that follows releases, refunds and disputes,
 * and the sweep that auto-approves a delivery nobody answered.
 *
 * Milestone states: pending → funded (payment succeeded) → delivered
 * (seller) → released (buyer approves, or the approval deadline passes);
 * funded/delivered → disputed → released | refunded (admin resolution);
 * funded/delivered → refunded (refunded in full). "approved" is never a
 * resting state: approval releases in the same transaction.
 *
 * Auto-approve: delivery sets approval_deadline_at = now +
 * milestone_approval_days (and the escrow's auto_release_at). A ticker
 * looks every SWEEP_MS for delivered milestones past their deadline whose
 * escrow is still held (a disputed one is skipped) and releases each in
 * its own transaction. The state lives in the rows, so a restart loses
 * nothing.
 *
 * Caveats: a payment that lands for a milestone no longer pending (its
 * custom order was cancelled meanwhile) is given back: unallocated refund
 * on the ledger and a processor refund.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/events.h"
#include "platform/ledger.h"
#include "platform/ticker.h"
#include "services/commissions/commissions_int.h"
#include "services/escrow/escrow.h"
#include "services/payments/payments.h"

#define SWEEP_MS 1000
#define DAY_MS INT64_C(86400000)

/* A milestone with its custom order, locked (CQ_MS_LOCK). */
struct ms_row {
    char id[ID_MAX_LEN], order_id[ID_MAX_LEN], proposal_id[ID_MAX_LEN], intent_id[ID_MAX_LEN];
    char currency[4], status[16], order_status[16];
    char buyer_id[ID_MAX_LEN], seller_id[ID_MAX_LEN], accepted_proposal_id[ID_MAX_LEN];
    int64_t amount;
    int bps;
};

static void copy_col(struct db_stmt *st, int col, char *dst, size_t cap)
{
    const char *s = db_column_text(st, col);
    snprintf(dst, cap, "%s", s ? s : "");
}

static int lock_milestone(struct db *tx, const char *id, struct ms_row *m, struct db_error *err)
{
    struct db_stmt *st = db_prepare(tx, commissions__sql(CQ_MS_LOCK), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, err);
    if (rc == 1) {
        memset(m, 0, sizeof *m);
        copy_col(st, 0, m->id, sizeof m->id);
        copy_col(st, 1, m->order_id, sizeof m->order_id);
        copy_col(st, 2, m->proposal_id, sizeof m->proposal_id);
        m->amount = db_column_i64(st, 3);
        copy_col(st, 4, m->currency, sizeof m->currency);
        copy_col(st, 5, m->status, sizeof m->status);
        copy_col(st, 6, m->intent_id, sizeof m->intent_id);
        copy_col(st, 7, m->order_status, sizeof m->order_status);
        copy_col(st, 8, m->buyer_id, sizeof m->buyer_id);
        copy_col(st, 9, m->seller_id, sizeof m->seller_id);
        copy_col(st, 10, m->accepted_proposal_id, sizeof m->accepted_proposal_id);
        m->bps = db_column_is_null(st, 11) ? 0 : (int)db_column_i64(st, 11);
    }
    db_reset(st);
    return rc;
}

static int emit_ms(struct db *tx, const char *type, const struct ms_row *m, int64_t amount, struct db_error *err)
{
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "milestone_id", m->id, "custom_order_id", m->order_id,
                             "buyer_id", m->buyer_id, "seller_id", m->seller_id, "amount", (json_int_t)amount,
                             "currency", m->currency);
    int rc = events_emit(tx, type, data, err);
    json_decref(data);
    return rc;
}

static int set_order_status(struct db *tx, const char *id, const char *from, const char *to, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(from), DB_TEXT(to), DB_I64(time_now_ms())};
    return db_exec(tx, commissions__sql(CQ_SET_STATUS), p, 4, err) < 0 ? -1 : 0;
}

/*-----------------------------------------------------------------------------
 * Funding: the intent (POST /escrow/create) and the payment hook
 */
static bool fundable(const struct ms_row *m)
{
    return strcmp(m->status, "pending") == 0 && strcmp(m->proposal_id, m->accepted_proposal_id) == 0 &&
           (strcmp(m->order_status, "accepted") == 0 || strcmp(m->order_status, "in_progress") == 0);
}

int commissions_milestone_intent(struct db *tx, const char *milestone_id, const char *buyer_id,
                                 struct commissions_intent *out, struct db_error *err)
{
    memset(out, 0, sizeof *out);
    struct ms_row m;
    int rc = lock_milestone(tx, milestone_id, &m, err);
    if (rc < 0)
        return -1;
    if (rc == 0 || strcmp(m.buyer_id, buyer_id) != 0 || strcmp(m.proposal_id, m.accepted_proposal_id) != 0)
        return COMMISSIONS_NOT_FOUND;
    snprintf(out->milestone_status, sizeof out->milestone_status, "%s", m.status);
    snprintf(out->order_status, sizeof out->order_status, "%s", m.order_status);
    if (!fundable(&m))
        return COMMISSIONS_BAD_STATE;
    out->amount = m.amount;
    snprintf(out->currency, sizeof out->currency, "%s", m.currency);
    if (m.intent_id[0]) {
        snprintf(out->intent_id, sizeof out->intent_id, "%s", m.intent_id);
        return COMMISSIONS_OK;
    }
    struct payments_intent_req r = {
        .buyer_id = buyer_id, .purpose = "milestone", .ref_id = m.id, .amount = m.amount, .currency = m.currency};
    if (payments_intent_create(tx, &r, out->intent_id, err) != 0)
        return -1;
    struct db_param p[] = {DB_TEXT(m.id), DB_TEXT(out->intent_id), DB_I64(time_now_ms())};
    if (db_exec(tx, commissions__sql(CQ_MS_SET_INTENT), p, 3, err) != 1)
        return -1;
    out->created = true;
    return COMMISSIONS_OK;
}

/* The money arrived for a milestone that can no longer take it: give it back. */
static int give_back(struct db *tx, const struct payments_succeeded *s, struct db_error *err)
{
    char idem[ID_MAX_LEN + 16];
    snprintf(idem, sizeof idem, "unallocated:%s", s->intent_id);
    struct ledger_ref ref = {
        .ref_type = "milestone", .ref_id = s->ref_id, .idem_key = idem, .currency = s->currency};
    int rc = ledger_refund_unallocated(tx, &ref, s->buyer_id, s->amount, err);
    if (rc == LEDGER_DUPLICATE)
        return 0;
    if (rc != LEDGER_OK)
        return -1;
    struct payments_refund_req r = {.payment_id = s->payment_id,
                                    .amount = s->amount,
                                    .currency = s->currency,
                                    .reason = "cancelled",
                                    .milestone_id = s->ref_id};
    log_info("milestone payment returned", "milestone=%s intent=%s", s->ref_id, s->intent_id);
    return payments_refund_request(tx, &r, NULL, err) < 0 ? -1 : 0;
}

static int on_paid(struct db *tx, const struct payments_succeeded *s, struct db_error *err)
{
    struct ms_row m;
    int rc = lock_milestone(tx, s->ref_id, &m, err);
    if (rc < 0)
        return -1;
    if (rc == 0 || !fundable(&m))
        return give_back(tx, s, err);
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(m.id), DB_I64(now)};
    if (db_exec(tx, commissions__sql(CQ_MS_FUND), p, 2, err) != 1)
        return -1;
    struct escrow_hold_req h = {.milestone_id = m.id,
                                .payment_intent_id = s->intent_id,
                                .payment_id = s->payment_id,
                                .buyer_id = m.buyer_id,
                                .seller_id = m.seller_id,
                                .amount = s->amount,
                                .currency = s->currency,
                                .commission_bps = m.bps,
                                .transfer_group = m.id};
    if (escrow_hold(tx, &h, NULL, err) != 0)
        return -1;
    if (strcmp(m.order_status, "accepted") == 0 && set_order_status(tx, m.order_id, "accepted", "in_progress", err))
        return -1;
    return emit_ms(tx, "milestone.funded", &m, s->amount, err);
}

/*-----------------------------------------------------------------------------
 * The escrow hook: the milestone and its custom order follow the money
 */
int commissions__sync_order(struct db *tx, const char *custom_order_id, struct db_error *err)
{
    struct db_stmt *st = db_prepare(tx, commissions__sql(CQ_MS_COUNTS), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(custom_order_id));
    int rc = db_step(st, err);
    int64_t open = 0, released = 0, disputed = 0;
    if (rc == 1) {
        open = db_column_i64(st, 0);
        released = db_column_i64(st, 1);
        disputed = db_column_i64(st, 2);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (disputed == 0 && set_order_status(tx, custom_order_id, "disputed", "in_progress", err) != 0)
        return -1;
    if (open == 0 && set_order_status(tx, custom_order_id, "in_progress", released > 0 ? "completed" : "cancelled",
                                      err) != 0)
        return -1;
    return 0;
}

static int set_ms_status(struct db *tx, const char *id, const char *status, struct db_error *err)
{
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(status), DB_I64(time_now_ms())};
    return db_exec(tx, commissions__sql(CQ_MS_SET_STATUS), p, 3, err) < 0 ? -1 : 0;
}

static int on_escrow(struct db *tx, const struct escrow_event *ev, struct db_error *err)
{
    struct ms_row m;
    int rc = lock_milestone(tx, ev->milestone_id, &m, err);
    if (rc <= 0)
        return rc < 0 ? -1 : 0;
    if (strcmp(ev->what, "released") == 0) {
        if (set_ms_status(tx, m.id, "released", err) != 0 || emit_ms(tx, "milestone.released", &m, ev->amount, err))
            return -1;
    } else if (strcmp(ev->what, "refunded") == 0) {
        if (ev->refunded_total < m.amount || strcmp(m.status, "released") == 0)
            return 0; /* partial, or a refund after release: the milestone stays as it is */
        if (set_ms_status(tx, m.id, "refunded", err) != 0)
            return -1;
    } else if (strcmp(ev->what, "disputed") == 0) {
        if (set_ms_status(tx, m.id, "disputed", err) != 0)
            return -1;
        return set_order_status(tx, m.order_id, "in_progress", "disputed", err);
    }
    return commissions__sync_order(tx, m.order_id, err);
}

void commissions__register_hooks(void)
{
    payments_on_succeeded("milestone", on_paid);
    escrow_on_event("milestone", on_escrow);
}

/*-----------------------------------------------------------------------------
 * POST /custom-orders/:id/milestones/:mid/deliver (the seller)
 */
struct deliver_tx {
    struct request *req;
    const char *order_id, *milestone_id;
    struct commissions_fail fail;
};

static int deliver(struct db *tx, void *arg, struct db_error *dberr)
{
    struct deliver_tx *t = arg;
    struct request *req = t->req;
    struct ms_row m;
    int rc = lock_milestone(tx, t->milestone_id, &m, dberr);
    if (rc < 0)
        return -1;
    if (rc == 0 || strcmp(m.order_id, t->order_id) != 0 || strcmp(m.seller_id, req->user_id) != 0 ||
        strcmp(m.proposal_id, m.accepted_proposal_id) != 0) {
        t->fail = (struct commissions_fail){"not_found", "no such milestone of a custom order you make"};
        return -1;
    }
    if (strcmp(m.status, "funded") != 0) {
        t->fail = (struct commissions_fail){
            "invalid_state_transition", arena_sprintf(req->arena, "a %s milestone cannot be delivered", m.status),
            commissions__allowed(req->arena, "milestone", m.status)};
        return -1;
    }
    json_t *media = json_object_get(req->json, "media_ids");
    char *media_text = media ? json_dumps(media, JSON_COMPACT) : NULL;
    const char *media_json = arena_strdup(req->arena, media_text ? media_text : "[]");
    free(media_text);
    int64_t now = time_now_ms();
    int64_t deadline = now + (int64_t)req->app->cfg->milestone_approval_days * DAY_MS;
    const char *note = json_string_value(json_object_get(req->json, "note"));
    struct db_param p[] = {DB_TEXT(m.id),    DB_TEXT(m.order_id),     DB_I64(now),
                           DB_TEXT(note),    DB_TEXT(media_json),     DB_I64(deadline)};
    if (db_exec(tx, commissions__sql(CQ_MS_DELIVER), p, 6, dberr) != 1)
        return -1;
    struct db_param e[] = {DB_TEXT(m.id), DB_I64(deadline)};
    if (db_exec(tx, commissions__sql(CQ_ESCROW_AUTO_RELEASE), e, 2, dberr) < 0)
        return -1;
    return emit_ms(tx, "milestone.delivered", &m, m.amount, dberr);
}

int commissions_handle_deliver(struct request *req, struct app_error *err)
{
    struct deliver_tx t = {.req = req, .order_id = req_param(req, "id"), .milestone_id = req_param(req, "mid")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, deliver, &t, &dberr) != 0)
        return commissions__tx_error(req, &t.fail, &dberr, err);
    return commissions__reply(req, 200, t.order_id, err);
}

/*-----------------------------------------------------------------------------
 * The auto-approve sweep
 */
static struct ticker *sweeper;

static int release_one(struct db *tx, void *arg, struct db_error *err)
{
    int rc = escrow_release(tx, arg, NULL, err);
    return rc < 0 ? -1 : 0; /* 1: no longer held (approved or disputed meanwhile): nothing to do */
}

static void sweep(struct db *db, void *ctx)
{
    (void)ctx;
    if (db == NULL)
        return;
    struct db_error err = {0};
    struct db_stmt *st = db_prepare(db, commissions__sql(CQ_MS_DUE), &err);
    if (st == NULL) {
        log_warn("milestone auto-approve", "%s", err.msg);
        return;
    }
    db_bind(st, 1, DB_I64(time_now_ms()));
    char due[20][ID_MAX_LEN];
    int n = 0, rc;
    while (n < 20 && (rc = db_step(st, &err)) == 1)
        copy_col(st, 1, due[n++], ID_MAX_LEN);
    db_reset(st);
    for (int i = 0; i < n; i++) {
        if (db_tx(db, 3, release_one, due[i], &err) != 0)
            log_warn("milestone auto-approve failed", "escrow=%s: %s", due[i], err.msg);
        else
            log_info("milestone auto-approved", "escrow=%s", due[i]);
    }
}

int commissions__sweep_start(struct app *app)
{
    sweeper = ticker_start(app, "milestone auto-approve", SWEEP_MS, sweep, NULL);
    return sweeper != NULL ? 0 : -1;
}

void commissions__sweep_stop(void)
{
    ticker_stop(sweeper);
    sweeper = NULL;
}
