/*
 * escrow_disputes.c — disputes: the buyer or the seller opens one on money
 * still held, which freezes the escrow (no release until an admin
 * decides); an admin resolves it by releasing to the seller, refunding the
 * buyer, or splitting (buyer_amount refunded, the rest released, less the
 * commission on what is released).
 *
 * Dispute states: open → resolved (admin, or automatically when the seller
 * refunds everything meanwhile). resolved is final.
 *
 * Postings made by a resolution carry ledger kind "dispute_resolution".
 * dispute.opened and dispute.resolved are emitted in the same transaction.
 *
 * Caveats: an order's escrow may be disputed only while the order is
 * shipped or delivered (read from orders.status, see escrow_sql.c); a
 * milestone's while it is funded or delivered (its escrow is held). Status
 * under_review exists in the schema but nothing sets it yet.
 */
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/cursor.h"
#include "http/jsonw.h"
#include "platform/events.h"
#include "services/escrow/escrow_int.h"

/*-----------------------------------------------------------------------------
 * Rendering
 */
static void write_money_or_null(struct jsonw *w, const char *key, struct db_stmt *st, int col, const char *currency)
{
    if (db_column_is_null(st, col)) {
        jw_key(w, key);
        jw_null(w);
        return;
    }
    jw_kmoney(w, key, db_column_i64(st, col), currency);
}

static void write_time_or_null(struct request *req, struct jsonw *w, const char *key, struct db_stmt *st, int col)
{
    jw_kstr(w, key, db_column_is_null(st, col) ? NULL : req_time(req, db_column_i64(st, col)));
}

/* One dispute from a row in DISPUTE_COLS order (escrow_sql.c). */
static void write_dispute(struct request *req, struct jsonw *w, struct db_stmt *st)
{
    const char *currency = db_column_text(st, 13);
    jw_obj(w);
    jw_kstr(w, "id", db_column_text(st, 0));
    jw_kstr(w, "escrow_id", db_column_text(st, 1));
    jw_kstr(w, "order_id", db_column_text(st, 2));
    jw_kstr(w, "milestone_id", db_column_text(st, 3));
    jw_kstr(w, "opened_by", db_column_text(st, 4));
    jw_kstr(w, "buyer_id", db_column_text(st, 5));
    jw_kstr(w, "seller_id", db_column_text(st, 6));
    jw_kstr(w, "reason", db_column_text(st, 7));
    jw_kstr(w, "description", db_column_text(st, 8));
    jw_kstr(w, "status", db_column_text(st, 9));
    jw_kstr(w, "resolution", db_column_text(st, 10));
    write_money_or_null(w, "buyer_amount", st, 11, currency);
    write_money_or_null(w, "seller_amount", st, 12, currency);
    jw_kstr(w, "resolved_by", db_column_text(st, 14));
    jw_kstr(w, "resolution_note", db_column_text(st, 15));
    write_time_or_null(req, w, "resolved_at", st, 16);
    write_time_or_null(req, w, "created_at", st, 17);
    write_time_or_null(req, w, "updated_at", st, 18);
    jw_end(w);
}

static int reply_dispute(struct request *req, int status, const char *id, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, escrow__sql(ESCROW_Q_DISPUTE_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_I64(escrow__is_admin(req)));
    db_bind(st, 3, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    struct jsonw w;
    jw_init(&w, req->arena, 1024);
    if (rc == 1)
        write_dispute(req, &w, st);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no dispute %s", id);
    res_jsonw(req, status, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Events
 */
static int emit(struct db *tx, const char *type, const struct escrow_row *r, const char *dispute_id,
                const char *actor_id, const char *resolution, struct db_error *err)
{
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "dispute_id", dispute_id, "escrow_id",
                             r->id, "buyer_id", r->buyer_id, "seller_id", r->seller_id, "order_id",
                             r->order_id[0] ? r->order_id : NULL, "milestone_id",
                             r->milestone_id[0] ? r->milestone_id : NULL, "actor_id", actor_id, "resolution",
                             resolution);
    int rc = events_emit(tx, type, data, err);
    json_decref(data);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Opening
 */
struct open_tx {
    struct request *req;
    const char *escrow_id, *dispute_id, *reason, *description;
    struct escrow_fail fail;
};

/* An order's escrow: the order must be shipped or delivered (and so not completed). */
static int check_order_state(struct open_tx *t, struct db *tx, const struct escrow_row *r, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(tx, escrow__sql(ESCROW_Q_ORDER_STATUS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(r->order_id));
    int rc = db_step(st, dberr);
    char status[32] = "";
    if (rc == 1)
        snprintf(status, sizeof status, "%s", db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return -1;
    if (strcmp(status, "shipped") == 0 || strcmp(status, "delivered") == 0)
        return 0;
    t->fail = (struct escrow_fail){"invalid_state_transition",
                                   "an order can be disputed only while it is shipped or delivered",
                                   arena_sprintf(t->req->arena, "order status: %s", status)};
    return -1;
}

static int open_dispute(struct db *tx, void *arg, struct db_error *dberr)
{
    struct open_tx *t = arg;
    struct request *req = t->req;
    struct escrow_row r;
    int rc = escrow__load(tx, t->escrow_id, true, &r, dberr);
    if (rc < 0)
        return -1;
    if (rc == 0 || (strcmp(r.buyer_id, req->user_id) != 0 && strcmp(r.seller_id, req->user_id) != 0)) {
        t->fail = (struct escrow_fail){"not_found", "no such escrow of yours"};
        return -1;
    }
    if (strcmp(r.status, "held") != 0) {
        t->fail = (struct escrow_fail){"invalid_state_transition",
                                       arena_sprintf(req->arena, "an escrow in status %s cannot be disputed", r.status),
                                       escrow__allowed(req->arena, r.status)};
        return -1;
    }
    if (r.order_id[0] && check_order_state(t, tx, &r, dberr) != 0)
        return -1;
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(t->dispute_id),
                           DB_TEXT(r.order_id[0] ? r.order_id : NULL),
                           DB_TEXT(r.milestone_id[0] ? r.milestone_id : NULL),
                           DB_TEXT(r.id),
                           DB_TEXT(req->user_id),
                           DB_TEXT(r.buyer_id),
                           DB_TEXT(r.seller_id),
                           DB_TEXT(t->reason),
                           DB_TEXT(t->description),
                           DB_TEXT(r.currency),
                           DB_I64(now)};
    if (db_exec(tx, escrow__sql(ESCROW_Q_DISPUTE_INSERT), p, 11, dberr) < 0)
        return -1;
    struct db_param sp[] = {DB_TEXT(r.id), DB_TEXT("held"), DB_TEXT("disputed"), DB_I64(now)};
    if (db_exec(tx, escrow__sql(ESCROW_Q_SET_STATUS), sp, 4, dberr) != 1)
        return -1;
    snprintf(r.status, sizeof r.status, "disputed");
    if (escrow__history(tx, &r, "disputed", 0, 0, req->user_id, t->dispute_id, dberr) != 0 ||
        escrow__notify(tx, &r, "disputed", 0, req->user_id, dberr) != 0)
        return -1;
    return emit(tx, "dispute.opened", &r, t->dispute_id, req->user_id, NULL, dberr);
}

int escrow_handle_dispute(struct request *req, struct app_error *err)
{
    const char *desc = json_string_value(json_object_get(req->json, "description"));
    struct open_tx t = {.req = req,
                        .escrow_id = req_param(req, "id"),
                        .dispute_id = id_new(req->arena, "dsp"),
                        .reason = json_string_value(json_object_get(req->json, "reason")),
                        .description = desc ? desc : ""};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, open_dispute, &t, &dberr) != 0) {
        if (t.fail.code == NULL && dberr.kind == DB_E_UNIQUE)
            t.fail = (struct escrow_fail){"conflict", "this escrow already has an open dispute"};
        return escrow__tx_error(req, &t.fail, &dberr, err);
    }
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/disputes/%s", t.dispute_id));
    return reply_dispute(req, 201, t.dispute_id, err);
}

/*-----------------------------------------------------------------------------
 * Resolving (admin)
 */
struct resolve_tx {
    struct request *req;
    const char *dispute_id, *resolution, *note;
    int64_t buyer_amount; /* split: requested; after: refunded */
    bool has_buyer_amount;
    int64_t seller_amount;
    struct escrow_fail fail;
};

/* Lock the dispute; its escrow id into escrow_id. 0, or -1 with t->fail or dberr set. */
static int lock_open_dispute(struct resolve_tx *t, struct db *tx, char escrow_id[ID_MAX_LEN], struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(tx, escrow__sql(ESCROW_Q_DISPUTE_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->dispute_id));
    int rc = db_step(st, dberr);
    char status[24] = "";
    if (rc == 1) {
        snprintf(escrow_id, ID_MAX_LEN, "%s", db_column_text(st, 1) ? db_column_text(st, 1) : "");
        snprintf(status, sizeof status, "%s", db_column_text(st, 9));
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        t->fail = (struct escrow_fail){"not_found", "no such dispute"};
        return -1;
    }
    if (strcmp(status, "open") != 0 && strcmp(status, "under_review") != 0) {
        t->fail = (struct escrow_fail){"invalid_state_transition",
                                       arena_sprintf(t->req->arena, "the dispute is already %s", status),
                                       arena_sprintf(t->req->arena, "allowed from %s: none", status)};
        return -1;
    }
    return 0;
}

/* The money side of a resolution on the locked, disputed escrow r. */
static int settle(struct resolve_tx *t, struct db *tx, struct escrow_row *r, struct db_error *dberr)
{
    struct request *req = t->req;
    int64_t held = escrow__held(r);
    bool split = strcmp(t->resolution, "split") == 0;
    if (split && (!t->has_buyer_amount || t->buyer_amount <= 0 || t->buyer_amount >= held)) {
        t->fail = (struct escrow_fail){"validation_failed",
                                       arena_sprintf(req->arena, "a split refunds between 1 and %lld to the buyer "
                                                                 "(the held amount less one)",
                                                     (long long)(held - 1)),
                                       NULL, "buyer_amount"};
        return -1;
    }
    int64_t to_buyer = strcmp(t->resolution, "refund_buyer") == 0 ? held : split ? t->buyer_amount : 0;
    if (to_buyer > 0) {
        int rc = escrow__refund(tx, r, to_buyer, "dispute", t->dispute_id, req->user_id, NULL, dberr);
        if (rc == 1)
            t->fail = (struct escrow_fail){"conflict", "the payment has less left to refund than the escrow holds"};
        if (rc != 0)
            return -1;
    }
    t->buyer_amount = to_buyer;
    t->seller_amount = held - to_buyer;
    if (t->seller_amount > 0 && escrow__release(tx, r, req->user_id, true, dberr) != 0) {
        if (dberr->kind == DB_E_NONE)
            t->fail = (struct escrow_fail){"conflict", "the escrow could not be released"};
        return -1;
    }
    return 0;
}

static int resolve_dispute(struct db *tx, void *arg, struct db_error *dberr)
{
    struct resolve_tx *t = arg;
    struct request *req = t->req;
    char escrow_id[ID_MAX_LEN];
    if (lock_open_dispute(t, tx, escrow_id, dberr) != 0)
        return -1;
    struct escrow_row r;
    int rc = escrow__load(tx, escrow_id, true, &r, dberr);
    if (rc <= 0) {
        if (rc == 0)
            t->fail = (struct escrow_fail){"not_found", "the dispute has no escrow"};
        return -1;
    }
    if (strcmp(r.status, "disputed") != 0) {
        t->fail = (struct escrow_fail){"invalid_state_transition", "the escrow is no longer disputed",
                                       escrow__allowed(req->arena, r.status)};
        return -1;
    }
    if (settle(t, tx, &r, dberr) != 0)
        return -1;
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(t->dispute_id), DB_TEXT(t->resolution), DB_I64(t->buyer_amount),
                           DB_I64(t->seller_amount), DB_TEXT(req->user_id), DB_TEXT(t->note), DB_I64(now)};
    if (db_exec(tx, escrow__sql(ESCROW_Q_DISPUTE_RESOLVE), p, 7, dberr) != 1)
        return -1;
    if (escrow__history(tx, &r, "resolved", 0, 0, req->user_id, t->dispute_id, dberr) != 0 ||
        escrow__notify(tx, &r, "resolved", 0, req->user_id, dberr) != 0)
        return -1;
    return emit(tx, "dispute.resolved", &r, t->dispute_id, req->user_id, t->resolution, dberr);
}

int escrow_handle_resolve_dispute(struct request *req, struct app_error *err)
{
    json_t *b = req->json;
    json_t *ba = json_object_get(b, "buyer_amount");
    struct resolve_tx t = {.req = req,
                           .dispute_id = req_param(req, "id"),
                           .resolution = json_string_value(json_object_get(b, "resolution")),
                           .note = json_string_value(json_object_get(b, "note")),
                           .has_buyer_amount = ba != NULL,
                           .buyer_amount = ba ? json_integer_value(ba) : 0};
    if (ba != NULL && strcmp(t.resolution, "split") != 0) {
        app_error_add_field(err, req->arena, "buyer_amount", "invalid_value", "only with resolution split");
        return app_error_set(err, req->arena, "validation_failed", "buyer_amount is only for a split");
    }
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, resolve_dispute, &t, &dberr) != 0)
        return escrow__tx_error(req, &t.fail, &dberr, err);
    return reply_dispute(req, 200, t.dispute_id, err);
}

int escrow__close_dispute_refunded(struct db *tx, const struct escrow_row *r, const char *actor_id,
                                   struct db_error *err)
{
    struct db_stmt *st = db_prepare(tx, escrow__sql(ESCROW_Q_DISPUTE_OPEN_OF_ESCROW), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(r->id));
    int rc = db_step(st, err);
    char id[ID_MAX_LEN] = "";
    if (rc == 1)
        snprintf(id, sizeof id, "%s", db_column_text(st, 0));
    db_reset(st);
    if (rc <= 0)
        return rc; /* none open: nothing to close */
    struct db_param p[] = {DB_TEXT(id),     DB_TEXT("refund_buyer"), DB_I64(r->refunded),
                           DB_I64(0),       DB_TEXT(actor_id),       DB_TEXT("refunded in full by the seller"),
                           DB_I64(time_now_ms())};
    if (db_exec(tx, escrow__sql(ESCROW_Q_DISPUTE_RESOLVE), p, 7, err) < 0)
        return -1;
    if (escrow__history(tx, r, "resolved", 0, 0, actor_id, id, err) != 0 ||
        escrow__notify(tx, r, "resolved", 0, actor_id, err) != 0)
        return -1;
    return emit(tx, "dispute.resolved", r, id, actor_id, "refund_buyer", err);
}

/*-----------------------------------------------------------------------------
 * Listing: admin all, others the disputes they are a party to; newest first
 */

int escrow_handle_list_disputes(struct request *req, struct app_error *err)
{
    int64_t at = 0;
    const char *after = NULL;
    bool has_cursor;
    if (req_cursor(req, 1, &at, "dsp", &after, &has_cursor, err) != 0)
        return -1;
    int64_t limit = req_param_i64(req, "limit", 20);
    struct db_param p[] = {DB_I64(escrow__is_admin(req)), DB_TEXT(req->user_id), DB_TEXT(req_param(req, "status")),
                           has_cursor ? DB_I64(at) : DB_NULL, DB_TEXT(after), DB_I64(limit + 1)};
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, escrow__sql(ESCROW_Q_DISPUTE_LIST), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind_all(st, p, 6);
    struct jsonw w;
    jw_init(&w, req->arena, 4096);
    jw_obj(&w);
    jw_key(&w, "data");
    jw_arr(&w);
    int64_t rows = 0, last_at = 0;
    const char *last_id = NULL;
    int rc;
    while ((rc = db_step(st, &dberr)) == 1) {
        if (++rows > limit)
            break;
        write_dispute(req, &w, st);
        last_at = db_column_i64(st, 17);
        last_id = arena_strdup(req->arena, db_column_text(st, 0));
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    jw_end(&w);
    jw_kstr(&w, "next_cursor",
            rows > limit ? req_cursor_at_make(req, last_at, last_id) : NULL);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}
