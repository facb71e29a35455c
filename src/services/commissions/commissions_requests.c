/*
 * commissions_requests.c — a buyer's custom order request: create (with
 * invitations), list, read, cancel; and the state machines' tables.
 *
 * Custom order: open → accepted (buyer accepts a proposal) | cancelled;
 * accepted → in_progress (first milestone funded) | cancelled (nothing
 * funded); in_progress ⇄ disputed (a milestone's escrow disputed /
 * resolved); in_progress → completed (every milestone final, one released)
 * | cancelled (every milestone refunded).
 *
 * Caveats: cancelling cancels the milestones' unpaid intents; if one turns
 * out to have been paid meanwhile the cancel is refused (409). A payment
 * that lands after a cancel is refunded by the funding hook.
 */
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/cursor.h"
#include "http/jsonw.h"
#include "services/commissions/commissions_int.h"
#include "services/payments/payments.h"

/*-----------------------------------------------------------------------------
 * State machines (for the "allowed" lists of 409 problems)
 */
struct move {
    const char *machine, *from, *to;
};

static const struct move moves[] = {
    {"custom_order", "open", "accepted"},        {"custom_order", "open", "cancelled"},
    {"custom_order", "accepted", "in_progress"}, {"custom_order", "accepted", "cancelled"},
    {"custom_order", "in_progress", "disputed"}, {"custom_order", "in_progress", "completed"},
    {"custom_order", "in_progress", "cancelled"}, {"custom_order", "disputed", "in_progress"},
    {"custom_order", "disputed", "completed"},   {"proposal", "pending", "accepted"},
    {"proposal", "pending", "declined"},         {"milestone", "pending", "funded"},
    {"milestone", "funded", "delivered"},        {"milestone", "funded", "released"},
    {"milestone", "funded", "disputed"},         {"milestone", "funded", "refunded"},
    {"milestone", "delivered", "released"},      {"milestone", "delivered", "disputed"},
    {"milestone", "delivered", "refunded"},      {"milestone", "disputed", "released"},
    {"milestone", "disputed", "refunded"},
};

const char *commissions__allowed(struct arena *a, const char *machine, const char *from)
{
    struct strbuf sb;
    strbuf_init(&sb, a, 96);
    strbuf_printf(&sb, "allowed from %s:", from);
    size_t n = 0;
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
        if (strcmp(moves[i].machine, machine) == 0 && strcmp(moves[i].from, from) == 0)
            strbuf_printf(&sb, "%s %s", n++ ? "," : "", moves[i].to);
    if (n == 0)
        strbuf_puts(&sb, " none");
    return sb.data;
}

bool commissions__is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}

int commissions__tx_error(struct request *req, const struct commissions_fail *fail, const struct db_error *dberr,
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
static const char *time_or_null(struct request *req, struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? NULL : req_time(req, db_column_i64(st, col));
}

static void write_milestone(struct request *req, struct jsonw *w, struct db_stmt *st)
{
    jw_obj(w);
    jw_kstr(w, "id", db_column_text(st, 0));
    jw_kint(w, "position", db_column_i64(st, 1));
    jw_kstr(w, "title", db_column_text(st, 2));
    jw_kstr(w, "description", db_column_text(st, 3));
    jw_kmoney(w, "amount", db_column_i64(st, 4), db_column_text(st, 5));
    jw_kstr(w, "status", db_column_text(st, 6));
    jw_kstr(w, "due_at", time_or_null(req, st, 7));
    jw_kstr(w, "funded_at", time_or_null(req, st, 8));
    jw_kstr(w, "delivered_at", time_or_null(req, st, 9));
    jw_kstr(w, "delivery_note", db_column_text(st, 10));
    jw_key(w, "delivery_media_ids");
    jw_raw(w, db_column_text(st, 15)); /* a JSON array written by this service */
    jw_kstr(w, "approval_deadline_at", time_or_null(req, st, 11));
    jw_kstr(w, "released_at", time_or_null(req, st, 12));
    jw_kstr(w, "payment_intent_id", db_column_text(st, 13));
    jw_kstr(w, "escrow_id", db_column_text(st, 14));
    jw_end(w);
}

static int write_milestones(struct request *req, struct jsonw *w, const char *proposal_id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, commissions__sql(CQ_MS_OF_PROPOSAL), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(proposal_id));
    jw_key(w, "milestones");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1)
        write_milestone(req, w, st);
    db_reset(st);
    jw_end(w);
    return rc < 0 ? -1 : 0;
}

/* Proposals the caller may see (buyer, admin: all; a seller: their own), each with its milestones. */
static int write_proposals(struct request *req, struct jsonw *w, const char *id, bool all, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, commissions__sql(CQ_PROPOSALS_OF), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_I64(all));
    db_bind(st, 3, DB_TEXT(req->user_id));
    /* Rows first (the milestone query reuses the connection), then render. */
    struct prop {
        const char *id, *seller, *shop, *currency, *message, *status, *responded, *created, *updated;
        int64_t price, days;
    } *ps = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            struct prop *grown = arena_array(req->arena, struct prop, cap);
            if (n > 0)
                memcpy(grown, ps, n * sizeof *ps);
            ps = grown;
        }
        struct arena *a = req->arena;
        ps[n++] = (struct prop){arena_strdup(a, db_column_text(st, 0)), arena_strdup(a, db_column_text(st, 2)),
                                arena_strdup(a, db_column_text(st, 3)), arena_strdup(a, db_column_text(st, 5)),
                                arena_strdup(a, db_column_text(st, 7)), arena_strdup(a, db_column_text(st, 8)),
                                time_or_null(req, st, 9),               time_or_null(req, st, 10),
                                time_or_null(req, st, 11),              db_column_i64(st, 4),
                                db_column_i64(st, 6)};
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    jw_key(w, "proposals");
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj(w);
        jw_kstr(w, "id", ps[i].id);
        jw_kstr(w, "seller_id", ps[i].seller);
        jw_kstr(w, "shop_id", ps[i].shop);
        jw_kmoney(w, "price", ps[i].price, ps[i].currency);
        jw_kint(w, "timeline_days", ps[i].days);
        jw_kstr(w, "message", ps[i].message);
        jw_kstr(w, "status", ps[i].status);
        jw_kstr(w, "responded_at", ps[i].responded);
        jw_kstr(w, "created_at", ps[i].created);
        jw_kstr(w, "updated_at", ps[i].updated);
        if (write_milestones(req, w, ps[i].id, dberr) != 0)
            return -1;
        jw_end(w);
    }
    jw_end(w);
    return 0;
}

static int write_invitations(struct request *req, struct jsonw *w, const char *id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, commissions__sql(CQ_INVITES), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    jw_key(w, "invitations");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "seller_id", db_column_text(st, 0));
        jw_kstr(w, "status", db_column_text(st, 1));
        jw_end(w);
    }
    db_reset(st);
    jw_end(w);
    return rc < 0 ? -1 : 0;
}

/* The summary of one custom order from a row in CO_COLS order (commissions_sql.c). */
static void write_summary(struct request *req, struct jsonw *w, struct db_stmt *st)
{
    const char *currency = db_column_text(st, 8);
    jw_kstr(w, "id", db_column_text(st, 0));
    jw_kstr(w, "buyer_id", db_column_text(st, 1));
    jw_kstr(w, "seller_id", db_column_text(st, 2));
    jw_kstr(w, "title", db_column_text(st, 3));
    jw_kstr(w, "description", db_column_text(st, 4));
    jw_kstr(w, "category_id", db_column_text(st, 5));
    jw_kstr(w, "concept_id", db_column_text(st, 6));
    if (db_column_is_null(st, 7)) {
        jw_key(w, "budget");
        jw_null(w);
    } else {
        jw_kmoney(w, "budget", db_column_i64(st, 7), currency);
    }
    jw_kstr(w, "deadline_at", time_or_null(req, st, 9));
    jw_kstr(w, "visibility", db_column_text(st, 10));
    jw_kstr(w, "status", db_column_text(st, 11));
    jw_kstr(w, "accepted_proposal_id", db_column_text(st, 12));
    jw_key(w, "commission_bps");
    if (db_column_is_null(st, 13))
        jw_null(w);
    else
        jw_int(w, db_column_i64(st, 13));
    jw_kstr(w, "created_at", time_or_null(req, st, 14));
    jw_kstr(w, "updated_at", time_or_null(req, st, 15));
    jw_kstr(w, "completed_at", time_or_null(req, st, 16));
    jw_kstr(w, "cancelled_at", time_or_null(req, st, 17));
}

int commissions__reply(struct request *req, int status, const char *id, struct app_error *err)
{
    struct db_error dberr = {0};
    bool admin = commissions__is_admin(req);
    struct db_stmt *st = db_prepare(req->db, commissions__sql(CQ_GET_VISIBLE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    db_bind(st, 3, DB_I64(admin));
    int rc = db_step(st, &dberr);
    struct jsonw w;
    jw_init(&w, req->arena, 4096);
    jw_obj(&w);
    bool buyer = false;
    if (rc == 1) {
        write_summary(req, &w, st);
        buyer = strcmp(db_column_text(st, 1), req->user_id) == 0;
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no custom order %s", id);
    if ((buyer || admin) && write_invitations(req, &w, id, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (write_proposals(req, &w, id, buyer || admin, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    jw_end(&w);
    res_jsonw(req, status, &w);
    return 0;
}

int commissions_handle_get(struct request *req, struct app_error *err)
{
    return commissions__reply(req, 200, req_param(req, "id"), err);
}

/*-----------------------------------------------------------------------------
 * Create
 */
struct create_tx {
    struct request *req;
    const char *id;
    struct commissions_fail fail;
};

/* 1 when query q with ($1, $2) returns a row, 0 when not, -1 on error. */
static int exists2(struct db *db, enum commissions_query q, const char *a, const char *b, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, commissions__sql(q), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(a));
    if (b != NULL)
        db_bind(st, 2, DB_TEXT(b));
    int rc = db_step(st, dberr);
    db_reset(st);
    return rc;
}

static int invite(struct create_tx *t, struct db *tx, json_t *sellers, int64_t now, struct db_error *dberr)
{
    struct request *req = t->req;
    size_t i;
    json_t *v;
    json_array_foreach(sellers, i, v)
    {
        const char *seller = json_string_value(v);
        int rc = strcmp(seller, req->user_id) == 0 ? 0 : exists2(tx, CQ_SELLER_SHOP, seller, NULL, dberr);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            t->fail = (struct commissions_fail){"validation_failed", "is not a seller with an active shop", NULL,
                                                arena_sprintf(req->arena, "invited_seller_ids[%zu]", i)};
            return -1;
        }
        struct db_param p[] = {DB_TEXT(id_new(req->arena, "cin")), DB_TEXT(t->id), DB_TEXT(seller), DB_I64(now)};
        if (db_exec(tx, commissions__sql(CQ_INVITE_INSERT), p, 4, dberr) < 0) {
            if (dberr->kind == DB_E_UNIQUE)
                t->fail = (struct commissions_fail){"validation_failed", "is listed twice", NULL,
                                                    arena_sprintf(req->arena, "invited_seller_ids[%zu]", i)};
            return -1;
        }
    }
    return 0;
}

static int create_request(struct db *tx, void *arg, struct db_error *dberr)
{
    struct create_tx *t = arg;
    struct request *req = t->req;
    json_t *b = req->json;
    const char *concept = json_string_value(json_object_get(b, "concept_id"));
    const char *category = json_string_value(json_object_get(b, "category_id"));
    int rc;
    if (concept != NULL && (rc = exists2(tx, CQ_CONCEPT_OWNED, concept, req->user_id, dberr)) != 1) {
        if (rc == 0)
            t->fail = (struct commissions_fail){"validation_failed", "is not a saved concept of yours", NULL,
                                                "concept_id"};
        return -1;
    }
    if (category != NULL && (rc = exists2(tx, CQ_CATEGORY_ACTIVE, category, NULL, dberr)) != 1) {
        if (rc == 0)
            t->fail = (struct commissions_fail){"validation_failed", "no such active category", NULL, "category_id"};
        return -1;
    }
    json_t *budget = json_object_get(b, "budget");
    const char *cur = json_string_value(json_object_get(budget, "currency"));
    const char *deadline = json_string_value(json_object_get(b, "deadline"));
    int64_t deadline_ms = 0, now = time_now_ms();
    if (deadline != NULL)
        time_parse_rfc3339(deadline, &deadline_ms);
    const char *vis = json_string_value(json_object_get(b, "visibility"));
    struct db_param p[] = {DB_TEXT(t->id),
                           DB_TEXT(req->user_id),
                           DB_TEXT(json_string_value(json_object_get(b, "title"))),
                           DB_TEXT(json_string_value(json_object_get(b, "description"))),
                           DB_TEXT(category),
                           DB_TEXT(concept),
                           budget ? DB_I64(json_integer_value(json_object_get(budget, "amount"))) : DB_NULL,
                           DB_TEXT(cur ? cur : "USD"),
                           deadline ? DB_I64(deadline_ms) : DB_NULL,
                           DB_TEXT(vis ? vis : "public"),
                           DB_I64(now)};
    if (db_exec(tx, commissions__sql(CQ_INSERT), p, 11, dberr) < 0)
        return -1;
    return invite(t, tx, json_object_get(b, "invited_seller_ids"), now, dberr);
}

int commissions_handle_create(struct request *req, struct app_error *err)
{
    json_t *b = req->json;
    const char *vis = json_string_value(json_object_get(b, "visibility"));
    json_t *inv = json_object_get(b, "invited_seller_ids");
    const char *deadline = json_string_value(json_object_get(b, "deadline"));
    int64_t deadline_ms = 0;
    if (vis != NULL && strcmp(vis, "invited") == 0 && json_array_size(inv) == 0)
        app_error_add_field(err, req->arena, "invited_seller_ids", "required", "an invited request needs sellers");
    if (deadline != NULL && time_parse_rfc3339(deadline, &deadline_ms) == 0 && deadline_ms <= time_now_ms())
        app_error_add_field(err, req->arena, "deadline", "out_of_range", "must be in the future");
    const char *cur = json_string_value(json_object_get(json_object_get(b, "budget"), "currency"));
    if (cur != NULL && (strlen(cur) != 3 || cur[0] < 'A' || cur[0] > 'Z' || cur[1] < 'A' || cur[1] > 'Z' ||
                        cur[2] < 'A' || cur[2] > 'Z'))
        app_error_add_field(err, req->arena, "budget.currency", "invalid_format", "an ISO 4217 code like USD");
    if (err->nfields > 0)
        return app_error_set(err, req->arena, "validation_failed", "the custom order request is not valid");
    struct create_tx t = {.req = req, .id = id_new(req->arena, "cus")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, create_request, &t, &dberr) != 0)
        return commissions__tx_error(req, &t.fail, &dberr, err);
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/custom-orders/%s", t.id));
    return commissions__reply(req, 201, t.id, err);
}

/*-----------------------------------------------------------------------------
 * List
 */
int commissions_handle_list(struct request *req, struct app_error *err)
{
    const char *role = req_param(req, "role");
    bool admin = commissions__is_admin(req);
    int mode = 0;
    if (role == NULL)
        mode = admin ? 2 : (req->role && strcmp(req->role, "seller") == 0) ? 1 : 0;
    else if (strcmp(role, "seller") == 0)
        mode = 1;
    int64_t at = 0;
    const char *after = NULL;
    if (req_cursor_at(req, "cus", &at, &after, err) != 0)
        return -1;
    int64_t limit = req_param_i64(req, "limit", 20);
    struct db_param p[] = {DB_I64(mode), DB_TEXT(req->user_id), DB_TEXT(req_param(req, "status")),
                           after ? DB_I64(at) : DB_NULL, DB_TEXT(after), DB_I64(limit + 1)};
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, commissions__sql(CQ_LIST), &dberr);
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
        jw_obj(&w);
        write_summary(req, &w, st);
        jw_end(&w);
        last_at = db_column_i64(st, 14);
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

/*-----------------------------------------------------------------------------
 * Cancel (buyer, before any milestone is funded)
 */
struct cancel_tx {
    struct request *req;
    const char *id;
    struct commissions_fail fail;
};

/* Cancel the unpaid intents of pending milestones; 1 if one of them had succeeded. */
static int cancel_intents(struct cancel_tx *t, struct db *tx, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(tx, commissions__sql(CQ_MS_PENDING_INTENTS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->id));
    const char *ids[64];
    size_t n = 0;
    int rc;
    while ((rc = db_step(st, dberr)) == 1 && n < 64)
        ids[n++] = arena_strdup(t->req->arena, db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        rc = payments_intent_cancel(tx, ids[i], dberr);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int cancel_request(struct db *tx, void *arg, struct db_error *dberr)
{
    struct cancel_tx *t = arg;
    struct request *req = t->req;
    struct db_stmt *st = db_prepare(tx, commissions__sql(CQ_LOCK), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->id));
    int rc = db_step(st, dberr);
    char status[16] = "";
    bool mine = false;
    if (rc == 1) {
        snprintf(status, sizeof status, "%s", db_column_text(st, 11));
        mine = strcmp(db_column_text(st, 1), req->user_id) == 0;
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0 || !mine) {
        t->fail = (struct commissions_fail){"not_found", "no such custom order of yours"};
        return -1;
    }
    bool cancellable = strcmp(status, "open") == 0 || strcmp(status, "accepted") == 0;
    if (cancellable && (rc = exists2(tx, CQ_MS_ANY_FUNDED, t->id, NULL, dberr)) != 0)
        cancellable = false;
    if (rc < 0)
        return -1;
    if (cancellable && (rc = cancel_intents(t, tx, dberr)) != 0) {
        if (rc < 0)
            return -1;
        cancellable = false;
    }
    if (!cancellable) {
        t->fail = (struct commissions_fail){
            "invalid_state_transition", "a custom order can be cancelled only before any milestone is funded",
            arena_sprintf(req->arena, "%s (status %s)", commissions__allowed(req->arena, "custom_order", status),
                          status)};
        return -1;
    }
    int64_t now = time_now_ms();
    struct db_param p[] = {DB_TEXT(t->id), DB_TEXT(status), DB_TEXT("cancelled"), DB_I64(now)};
    if (db_exec(tx, commissions__sql(CQ_SET_STATUS), p, 4, dberr) != 1)
        return -1;
    struct db_param d[] = {DB_TEXT(t->id), DB_NULL, DB_I64(now)};
    return db_exec(tx, commissions__sql(CQ_PROPOSAL_DECLINE_OTHERS), d, 3, dberr) < 0 ? -1 : 0;
}

int commissions_handle_cancel(struct request *req, struct app_error *err)
{
    struct cancel_tx t = {.req = req, .id = req_param(req, "id")};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, cancel_request, &t, &dberr) != 0)
        return commissions__tx_error(req, &t.fail, &dberr, err);
    return commissions__reply(req, 200, t.id, err);
}
