/*
 * escrow_money.c — holding, releasing and refunding escrowed money: the
 * arithmetic, the ledger postings and the state changes, all inside the
 * caller's transaction (money flows 3, 4 and 5; the
 * formulas are written out in README.md).
 *
 * Escrow states: held → released | refunded | disputed; disputed →
 * released | refunded | split (an admin's resolution); a partial refund
 * keeps the state; released/split → refunded when everything was given
 * back. "split" names an escrow whose money went partly each way.
 *
 * Every function locks the escrow row first (FOR UPDATE; SQLite's writer
 * lock) and writes the money columns with a conditional UPDATE on the
 * values it read, so a concurrent movement can never double-spend.
 *
 * Caveats: an order's or milestone's own state follows through the hook its
 * owner registered (escrow_on_event); a hook that fails rolls the whole
 * movement back.
 */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/ledger.h"
#include "services/escrow/escrow_int.h"
#include "services/payments/payments.h"

/*-----------------------------------------------------------------------------
 * The state machine (for the problems' "allowed" lists)
 */
struct escrow_move {
    const char *from, *to;
};

static const struct escrow_move moves[] = {
    {"held", "released"},     {"held", "refunded"},     {"held", "disputed"},   {"disputed", "released"},
    {"disputed", "refunded"}, {"disputed", "split"},    {"released", "refunded"}, {"split", "refunded"},
};

const char *escrow__allowed(struct arena *a, const char *status)
{
    struct strbuf sb;
    strbuf_init(&sb, a, 96);
    strbuf_printf(&sb, "allowed from %s:", status);
    size_t n = 0;
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
        if (strcmp(moves[i].from, status) == 0)
            strbuf_printf(&sb, "%s %s", n++ ? "," : "", moves[i].to);
    if (n == 0)
        strbuf_puts(&sb, " none");
    return sb.data;
}

/*-----------------------------------------------------------------------------
 * Hooks
 */
#define MAX_HOOKS 4

struct hook {
    const char *owner;
    escrow_event_fn fn;
};

static struct hook hooks[MAX_HOOKS];
static int nhooks;

void escrow_on_event(const char *owner, escrow_event_fn fn)
{
    if (nhooks < MAX_HOOKS)
        hooks[nhooks++] = (struct hook){owner, fn};
    else
        log_error("escrow hook dropped", "owner=%s (raise MAX_HOOKS)", owner);
}

int escrow__notify(struct db *tx, const struct escrow_row *r, const char *what, int64_t amount, const char *actor_id,
                   struct db_error *err)
{
    const char *owner = r->order_id[0] ? "order" : "milestone";
    struct escrow_event ev = {.escrow_id = r->id,
                              .order_id = r->order_id[0] ? r->order_id : NULL,
                              .milestone_id = r->milestone_id[0] ? r->milestone_id : NULL,
                              .what = what,
                              .amount = amount,
                              .refunded_total = r->refunded,
                              .released_total = r->released,
                              .actor_id = actor_id};
    for (int i = 0; i < nhooks; i++)
        if (strcmp(hooks[i].owner, owner) == 0 && hooks[i].fn(tx, &ev, err) != 0)
            return -1;
    return 0;
}

/*-----------------------------------------------------------------------------
 * Rows
 */
static void copy_col(struct db_stmt *st, int col, char *dst, size_t cap)
{
    const char *s = db_column_text(st, col);
    snprintf(dst, cap, "%s", s ? s : "");
}

static int64_t col_time(struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? 0 : db_column_i64(st, col);
}

int escrow__load(struct db *db, const char *id, bool lock, struct escrow_row *r, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, escrow__sql(lock ? ESCROW_Q_LOCK : ESCROW_Q_GET), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, err);
    if (rc == 1) {
        memset(r, 0, sizeof *r);
        copy_col(st, 0, r->id, sizeof r->id);
        copy_col(st, 1, r->order_id, sizeof r->order_id);
        copy_col(st, 2, r->milestone_id, sizeof r->milestone_id);
        copy_col(st, 3, r->payment_intent_id, sizeof r->payment_intent_id);
        copy_col(st, 4, r->payment_id, sizeof r->payment_id);
        copy_col(st, 5, r->buyer_id, sizeof r->buyer_id);
        copy_col(st, 6, r->seller_id, sizeof r->seller_id);
        copy_col(st, 7, r->transfer_group, sizeof r->transfer_group);
        copy_col(st, 8, r->transfer_id, sizeof r->transfer_id);
        copy_col(st, 9, r->currency, sizeof r->currency);
        copy_col(st, 10, r->status, sizeof r->status);
        r->amount = db_column_i64(st, 11);
        r->released = db_column_i64(st, 12);
        r->refunded = db_column_i64(st, 13);
        r->fee = db_column_i64(st, 14);
        r->fee_reversed = db_column_i64(st, 15);
        r->reversed = db_column_i64(st, 16);
        r->bps = (int)db_column_i64(st, 17);
        r->auto_release_at = col_time(st, 18);
        r->released_at = col_time(st, 19);
        r->created_at = col_time(st, 20);
        r->updated_at = col_time(st, 21);
    }
    db_reset(st);
    return rc;
}

int escrow__history(struct db *tx, const struct escrow_row *r, const char *action, int64_t amount, int64_t fee,
                    const char *actor_id, const char *ref_id, struct db_error *err)
{
    char id[ID_MAX_LEN];
    id_generate("esh", id, sizeof id);
    struct db_param p[] = {DB_TEXT(id),     DB_TEXT(r->id),    DB_TEXT(action),  DB_I64(amount),       DB_I64(fee),
                           DB_TEXT(r->status), DB_TEXT(actor_id), DB_TEXT(ref_id), DB_I64(time_now_ms())};
    return db_exec(tx, escrow__sql(ESCROW_Q_HISTORY_INSERT), p, 9, err) < 0 ? -1 : 0;
}

/* A ledger result as 0 / -1 (LEDGER_DUPLICATE: posted before, nothing to do; LEDGER_INVALID: a bug here). */
static int ledger_ok(int rc, const char *what, struct db_error *err)
{
    if (rc == LEDGER_OK || rc == LEDGER_DUPLICATE)
        return 0;
    if (rc == LEDGER_INVALID) {
        err->kind = DB_E_OTHER;
        snprintf(err->msg, sizeof err->msg, "escrow: invalid ledger posting (%s)", what);
        log_error("escrow ledger posting refused", "%s", what);
    }
    return -1;
}

/* A conditional UPDATE that changed nothing: the row moved under us; retry the whole transaction. */
static int raced(struct db_error *err, const char *what)
{
    err->kind = DB_E_RETRY;
    snprintf(err->msg, sizeof err->msg, "escrow changed concurrently (%s)", what);
    return -1;
}

/*-----------------------------------------------------------------------------
 * Hold
 */
int escrow_hold(struct db *tx, const struct escrow_hold_req *req, char id_out[ID_MAX_LEN], struct db_error *err)
{
    bool is_order = req->order_id != NULL;
    if (is_order == (req->milestone_id != NULL) || req->amount <= 0 || req->commission_bps < 0 ||
        req->commission_bps > 10000) {
        err->kind = DB_E_OTHER;
        snprintf(err->msg, sizeof err->msg, "escrow_hold: bad request (one of order/milestone, amount > 0)");
        return -1;
    }
    char id[ID_MAX_LEN];
    id_generate("esc", id, sizeof id);
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(id),
                           DB_TEXT(req->order_id),
                           DB_TEXT(req->milestone_id),
                           DB_TEXT(req->payment_intent_id),
                           DB_TEXT(req->payment_id),
                           DB_TEXT(req->buyer_id),
                           DB_TEXT(req->seller_id),
                           DB_I64(req->amount),
                           DB_TEXT(req->currency),
                           DB_I64(req->commission_bps),
                           DB_TEXT(req->transfer_group),
                           DB_I64(now)};
    if (db_exec(tx, escrow__sql(ESCROW_Q_INSERT), p, 12, err) < 0)
        return -1;
    char idem[ID_MAX_LEN + 8];
    snprintf(idem, sizeof idem, "hold:%s", id);
    struct ledger_ref ref = {.ref_type = is_order ? "order" : "milestone",
                             .ref_id = is_order ? req->order_id : req->milestone_id,
                             .idem_key = idem,
                             .currency = req->currency};
    if (ledger_ok(ledger_escrow_hold(tx, &ref, req->buyer_id, req->amount, err), "hold", err) != 0)
        return -1;
    struct escrow_row r;
    if (escrow__load(tx, id, false, &r, err) != 1)
        return -1;
    if (escrow__history(tx, &r, "held", req->amount, 0, req->buyer_id, req->payment_id, err) != 0)
        return -1;
    if (id_out != NULL)
        snprintf(id_out, ID_MAX_LEN, "%s", id);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Release: gross = held, fee = ledger_fee(gross, bps), seller pending += gross - fee
 */
int escrow__release(struct db *tx, struct escrow_row *r, const char *actor_id, bool from_dispute,
                    struct db_error *err)
{
    bool ok_state = strcmp(r->status, "held") == 0 || (from_dispute && strcmp(r->status, "disputed") == 0);
    int64_t gross = escrow__held(r);
    if (!ok_state || gross <= 0)
        return 1;
    int64_t fee = ledger_fee(gross, r->bps);
    bool is_order = r->order_id[0] != '\0';
    const char *ref_id = is_order ? r->order_id : r->milestone_id;

    char idem[ID_MAX_LEN + 12];
    snprintf(idem, sizeof idem, "release:%s", r->id);
    struct ledger_ref ref = {.kind = from_dispute ? "dispute_resolution" : NULL,
                             .ref_type = is_order ? "order" : "milestone",
                             .ref_id = ref_id,
                             .idem_key = idem,
                             .actor_id = actor_id,
                             .currency = r->currency};
    if (ledger_ok(ledger_release(tx, &ref, r->seller_id, gross, fee, err), "release", err) != 0)
        return -1;

    char transfer_id[ID_MAX_LEN] = "";
    if (gross - fee > 0) {
        struct payments_transfer_req t = {.seller_id = r->seller_id,
                                          .order_id = is_order ? r->order_id : NULL,
                                          .milestone_id = is_order ? NULL : r->milestone_id,
                                          .amount = gross - fee,
                                          .fee_amount = fee,
                                          .currency = r->currency,
                                          .transfer_group = r->transfer_group[0] ? r->transfer_group : ref_id};
        if (payments_transfer_request(tx, &t, transfer_id, err) != 0)
            return -1;
    }

    const char *status = r->refunded > 0 ? "split" : "released";
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(r->id), DB_I64(gross), DB_I64(fee), DB_TEXT(status),
                           DB_TEXT(transfer_id[0] ? transfer_id : NULL), DB_I64(now)};
    int64_t n = db_exec(tx, escrow__sql(ESCROW_Q_SET_RELEASED), p, 6, err);
    if (n < 0)
        return -1;
    if (n != 1)
        return raced(err, "release");
    r->released += gross;
    r->fee += fee;
    snprintf(r->status, sizeof r->status, "%s", status);
    snprintf(r->transfer_id, sizeof r->transfer_id, "%s", transfer_id);
    r->released_at = now;
    if (escrow__history(tx, r, "released", gross, fee, actor_id, transfer_id[0] ? transfer_id : NULL, err) != 0)
        return -1;
    return escrow__notify(tx, r, "released", gross, actor_id, err);
}

int escrow_release(struct db *tx, const char *escrow_id, const char *actor_id, struct db_error *err)
{
    struct escrow_row r;
    int rc = escrow__load(tx, escrow_id, true, &r, err);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    return escrow__release(tx, &r, actor_id, false, err);
}

/*-----------------------------------------------------------------------------
 * Refund: from what is held first, beyond that a reversal of the release
 */

/* Fee share of a reversal: cumulative, so reversing everything gives back exactly the fee taken. */
static int64_t reversal_fee_share(const struct escrow_row *r, int64_t beyond)
{
    int64_t cum = ledger_fee(r->reversed + beyond, r->bps);
    if (cum > r->fee)
        cum = r->fee;
    int64_t share = cum - r->fee_reversed;
    return share < 0 ? 0 : share;
}

struct refund_plan {
    int64_t from_held, beyond, fee_part, seller_part;
};

static int post_refund(struct db *tx, const struct escrow_row *r, const struct refund_plan *pl, const char *refund_id,
                       const char *actor_id, bool from_dispute, struct db_error *err)
{
    char idem[ID_MAX_LEN + 16];
    struct ledger_ref ref = {.kind = from_dispute ? "dispute_resolution" : NULL,
                             .ref_type = "refund",
                             .ref_id = refund_id,
                             .idem_key = idem,
                             .actor_id = actor_id,
                             .currency = r->currency};
    if (pl->from_held > 0) {
        snprintf(idem, sizeof idem, "refund_held:%s", refund_id);
        if (ledger_ok(ledger_refund_held(tx, &ref, pl->from_held, err), "refund held", err) != 0)
            return -1;
    }
    if (pl->beyond > 0) {
        snprintf(idem, sizeof idem, "reversal:%s", refund_id);
        int rc = ledger_reversal(tx, &ref, r->seller_id, pl->seller_part, pl->fee_part, err);
        if (ledger_ok(rc, "reversal", err) != 0)
            return -1;
    }
    return 0;
}

int escrow__refund(struct db *tx, struct escrow_row *r, int64_t amount, const char *reason, const char *dispute_id,
                   const char *actor_id, char *refund_id_out, struct db_error *err)
{
    if (amount <= 0 || amount > r->amount - r->refunded)
        return 1;
    struct refund_plan pl = {.from_held = escrow__held(r)};
    if (pl.from_held > amount)
        pl.from_held = amount;
    pl.beyond = amount - pl.from_held;
    pl.fee_part = pl.beyond > 0 ? reversal_fee_share(r, pl.beyond) : 0;
    pl.seller_part = pl.beyond - pl.fee_part;
    bool is_order = r->order_id[0] != '\0';

    struct payments_refund_req rq = {.payment_id = r->payment_id,
                                     .amount = amount,
                                     .currency = r->currency,
                                     .reason = reason,
                                     .order_id = is_order ? r->order_id : NULL,
                                     .milestone_id = is_order ? NULL : r->milestone_id,
                                     .dispute_id = dispute_id,
                                     .actor_id = actor_id,
                                     .reverse_transfer_id =
                                         pl.seller_part > 0 && r->transfer_id[0] ? r->transfer_id : NULL,
                                     .reverse_amount = pl.seller_part};
    char refund_id[ID_MAX_LEN] = "";
    int rc = payments_refund_request(tx, &rq, refund_id, err);
    if (rc != 0)
        return rc; /* 1: beyond what the charge has left; nothing written */
    bool from_dispute = dispute_id != NULL;
    if (post_refund(tx, r, &pl, refund_id, actor_id, from_dispute, err) != 0)
        return -1;

    int64_t before = r->refunded;
    const char *status = before + amount == r->amount ? "refunded" : r->status;
    struct db_param p[] = {DB_TEXT(r->id), DB_I64(amount),          DB_I64(pl.beyond), DB_I64(pl.fee_part),
                           DB_TEXT(status), DB_I64(time_now_ms()), DB_I64(before)};
    int64_t n = db_exec(tx, escrow__sql(ESCROW_Q_SET_REFUNDED), p, 7, err);
    if (n < 0)
        return -1;
    if (n != 1)
        return raced(err, "refund");
    r->refunded += amount;
    r->released -= pl.beyond;
    r->reversed += pl.beyond;
    r->fee_reversed += pl.fee_part;
    memmove(r->status, status, strlen(status) + 1);
    if (pl.from_held > 0 && escrow__history(tx, r, "refunded", pl.from_held, 0, actor_id, refund_id, err) != 0)
        return -1;
    if (pl.beyond > 0 && escrow__history(tx, r, "reversed", pl.beyond, pl.fee_part, actor_id, refund_id, err) != 0)
        return -1;
    if (refund_id_out != NULL)
        snprintf(refund_id_out, ID_MAX_LEN, "%s", refund_id);
    return escrow__notify(tx, r, "refunded", amount, actor_id, err);
}

int escrow_refund(struct db *tx, const char *escrow_id, int64_t amount, const char *reason, const char *dispute_id,
                  const char *actor_id, char *refund_id_out, struct db_error *err)
{
    struct escrow_row r;
    int rc = escrow__load(tx, escrow_id, true, &r, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return 1;
    bool was_disputed = strcmp(r.status, "disputed") == 0;
    rc = escrow__refund(tx, &r, amount, reason, dispute_id, actor_id, refund_id_out, err);
    if (rc != 0 || !was_disputed || dispute_id != NULL || strcmp(r.status, "refunded") != 0)
        return rc;
    /* The seller gave everything back during a dispute: nothing is left to decide, close it. */
    return escrow__close_dispute_refunded(tx, &r, actor_id, err);
}

int escrow_find(struct db *db, const char *order_id, const char *milestone_id, char id_out[ID_MAX_LEN],
                struct db_error *err)
{
    bool by_order = order_id != NULL;
    struct db_stmt *st = db_prepare(db, escrow__sql(by_order ? ESCROW_Q_FIND_ORDER : ESCROW_Q_FIND_MILESTONE), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(by_order ? order_id : milestone_id));
    int rc = db_step(st, err);
    if (rc == 1)
        copy_col(st, 0, id_out, ID_MAX_LEN);
    db_reset(st);
    return rc;
}
