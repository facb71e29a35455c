/*
 * chat_conversations.c — the inbox and one conversation: GET/POST
 * /conversations, GET/PATCH /conversations/:id, the conversation JSON and
 * the access rule (README.md "Access", "Starting a conversation").
 *
 * Caveats: the inbox orders by COALESCE(last_message_at, created_at),
 * which no index covers for the "buyer or seller" OR; fine for inboxes of
 * thousands of conversations, an activity column with two indexes would be
 * the next step.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/cursor.h"
#include "services/chat/chat_int.h"

/*-----------------------------------------------------------------------------
 * Helpers
 */
const char *chat__time(struct arena *a, int64_t ms)
{
    char *buf = arena_alloc(a, 32);
    return time_format_rfc3339(ms, buf, 32);
}

bool chat__is_admin(const char *role)
{
    return role != NULL && strcmp(role, "admin") == 0;
}

static json_t *text_or_null(struct db_stmt *st, int col)
{
    const char *s = db_column_text(st, col);
    return s ? json_string(s) : json_null();
}

int chat__access(struct db *db, const char *conv_id, const char *user_id, bool is_admin, enum chat_access *out,
                 struct db_error *dberr)
{
    *out = CHAT_ACCESS_NONE;
    struct db_stmt *st = db_prepare(db, chat__sql(CHAT_Q_ACCESS), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(conv_id));
    db_bind(st, 2, DB_TEXT(user_id));
    db_bind(st, 3, DB_I64(is_admin ? 1 : 0));
    int rc = db_step(st, dberr);
    if (rc == 1)
        *out = db_column_i64(st, 0) == 1 ? CHAT_ACCESS_PARTICIPANT : CHAT_ACCESS_ADMIN_READ;
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

int64_t chat__unread(struct db *db, const char *conv_id, const char *user_id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, chat__sql(CHAT_Q_UNREAD), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(conv_id));
    db_bind(st, 2, DB_TEXT(user_id));
    int rc = db_step(st, dberr);
    int64_t n = rc == 1 ? db_column_i64(st, 0) : -1;
    db_reset(st);
    return n;
}

/* {id, display_name, avatar_media_id[, shop]} of one participant. */
static json_t *profile(struct db_stmt *st, int id_col, int name_col, int avatar_col, int shop_col)
{
    json_t *p = json_pack("{s:s, s:s, s:o}", "id", db_column_text(st, id_col), "display_name",
                          db_column_text(st, name_col) ? db_column_text(st, name_col) : "", "avatar_media_id",
                          text_or_null(st, avatar_col));
    if (shop_col >= 0)
        json_object_set_new(p, "shop",
                            db_column_is_null(st, shop_col)
                                ? json_null()
                                : json_pack("{s:s, s:s}", "id", db_column_text(st, shop_col), "name",
                                            db_column_text(st, shop_col + 1)));
    return p;
}

/* The row of CONV_SELECT (chat_sql.c) at st as JSON, seen by viewer. */
static json_t *conv_json(struct arena *a, struct db_stmt *st, const char *viewer)
{
    const char *buyer = db_column_text(st, 1), *seller = db_column_text(st, 2);
    const char *stype = db_column_text(st, 3);
    json_t *subject =
        strcmp(stype, "none") == 0 ? json_null() : json_pack("{s:s, s:s}", "type", stype, "id", db_column_text(st, 4));
    json_t *b = profile(st, 1, 8, 9, -1), *s = profile(st, 2, 10, 11, 12);
    json_t *other = strcmp(viewer, buyer) == 0    ? json_incref(s)
                    : strcmp(viewer, seller) == 0 ? json_incref(b)
                                                  : json_null();
    json_t *last = json_null();
    if (!db_column_is_null(st, 16)) {
        json_t *att = json_loads(db_column_text(st, 21) ? db_column_text(st, 21) : "[]", 0, NULL);
        last =
            json_pack("{s:s, s:o, s:s, s:s, s:s, s:I}", "id", db_column_text(st, 16), "sender_id", text_or_null(st, 17),
                      "kind", db_column_text(st, 20), "preview", db_column_text(st, 18) ? db_column_text(st, 18) : "",
                      "created_at", chat__time(a, db_column_i64(st, 19)), "attachment_count",
                      (json_int_t)(json_is_array(att) ? json_array_size(att) : 0));
        json_decref(att);
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:b, s:b, s:s, s:s, s:s}", "id",
                     db_column_text(st, 0), "buyer_id", buyer, "seller_id", seller, "subject", subject, "buyer", b,
                     "seller", s, "other_user", other, "last_message", last, "unread_count",
                     (json_int_t)db_column_i64(st, 22), "archived", db_column_i64(st, 14) != 0, "muted",
                     db_column_i64(st, 15) != 0, "last_activity_at", chat__time(a, db_column_i64(st, 7)), "created_at",
                     chat__time(a, db_column_i64(st, 5)), "updated_at", chat__time(a, db_column_i64(st, 6)));
}

int chat__conversation_json(struct db *db, struct arena *a, const char *conv_id, const char *viewer, json_t **out,
                            struct db_error *dberr)
{
    *out = NULL;
    struct db_stmt *st = db_prepare(db, chat__sql(CHAT_Q_CONV_GET), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(conv_id));
    db_bind(st, 2, DB_TEXT(viewer));
    int rc = db_step(st, dberr);
    if (rc == 1)
        *out = conv_json(a, st, viewer);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/*-----------------------------------------------------------------------------
 * GET /conversations
 */
static json_t *conv_item(struct request *req, struct db_stmt *st, void *ud)
{
    (void)ud;
    return conv_json(req->arena, st, req->user_id);
}

int chat_handle_list(struct request *req, struct app_error *err)
{
    int64_t limit = req_param_i64(req, "limit", 20), at = 0;
    const char *after = NULL, *next = NULL;
    struct db_error dberr = {0};
    if (req_cursor_at(req, "cnv", &at, &after, err) != 0)
        return -1;
    struct db_stmt *st = db_prepare(req->db, chat__sql(CHAT_Q_CONV_PAGE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(req->user_id));
    db_bind(st, 2, after ? DB_I64(at) : DB_NULL);
    db_bind(st, 3, DB_TEXT(after));
    db_bind(st, 4, DB_I64(limit + 1));
    db_bind(st, 5, DB_I64(req_param_bool(req, "unread", false) ? 1 : 0));
    db_bind(st, 6, DB_I64(req_param_bool(req, "archived", false) ? 1 : 0));
    json_t *data;
    if (req_page_at(req, st, limit, 7, 0, conv_item, NULL, &data, &next, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    res_page(req, data, next);
    return 0;
}

/*-----------------------------------------------------------------------------
 * POST /conversations
 */
struct create_tx {
    struct request *req;
    const char *buyer, *seller, *stype, *sid;
    char id[ID_MAX_LEN];
    bool created;
    struct chat_send send;     /* the first message, when one was given */
    struct chat_send_tx *first; /* NULL: none */
};

static int create_tx_fn(struct db *tx, void *ctx, struct db_error *dberr)
{
    struct create_tx *t = ctx;
    t->created = false;
    id_generate("cnv", t->id, sizeof t->id);
    struct db_param p[] = {DB_TEXT(t->id),    DB_TEXT(t->buyer), DB_TEXT(t->seller),
                           DB_TEXT(t->stype), DB_TEXT(t->sid),   DB_I64(time_now_ms())};
    int64_t n = db_exec(tx, chat__sql(CHAT_Q_CONV_INSERT), p, 6, dberr);
    if (n < 0)
        return -1;
    if (n == 1) {
        t->created = true;
        return t->first != NULL ? chat__send_tx(tx, t->first, dberr) : 0;
    }
    struct db_stmt *st = db_prepare(tx, chat__sql(CHAT_Q_CONV_FIND), dberr);
    if (st == NULL)
        return -1;
    struct db_param f[] = {DB_TEXT(t->buyer), DB_TEXT(t->seller), DB_TEXT(t->stype), DB_TEXT(t->sid)};
    db_bind_all(st, f, 4);
    int rc = db_step(st, dberr);
    if (rc == 1)
        snprintf(t->id, sizeof t->id, "%s", db_column_text(st, 0));
    db_reset(st);
    if (rc == 0) {
        dberr->kind = DB_E_RETRY; /* deleted between the two statements: try again */
        snprintf(dberr->msg, sizeof dberr->msg, "conversation vanished");
    }
    if (rc != 1)
        return -1;
    return t->first != NULL ? chat__send_tx(tx, t->first, dberr) : 0;
}

/* The role of an active user, "" when there is none. */
static int user_role(struct request *req, const char *id, char *out, size_t cap, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, chat__sql(CHAT_Q_USER_ROLE), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    int rc = db_step(st, dberr);
    out[0] = '\0';
    if (rc == 1)
        snprintf(out, cap, "%s", db_column_text(st, 0));
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Does the subject relate to buyer and seller? 1 yes, 0 no, -1 error. */
static int subject_relates(struct request *req, const char *stype, const char *sid, const char *buyer,
                           const char *seller, struct db_error *dberr)
{
    enum chat_query q;
    if (strcmp(stype, "none") == 0)
        return 1;
    if (strcmp(stype, "product") == 0)
        q = CHAT_Q_SUBJ_PRODUCT;
    else if (strcmp(stype, "order") == 0)
        q = CHAT_Q_SUBJ_ORDER;
    else
        q = CHAT_Q_SUBJ_CUSTOM;
    struct db_stmt *st = db_prepare(req->db, chat__sql(q), dberr);
    if (st == NULL)
        return -1;
    struct db_param p[] = {DB_TEXT(sid), DB_TEXT(buyer), DB_TEXT(seller)};
    db_bind_all(st, p, 3);
    int rc = db_step(st, dberr);
    db_reset(st);
    return rc;
}

static const char *subject_prefix(const char *stype)
{
    return strcmp(stype, "product") == 0 ? "prd" : strcmp(stype, "order") == 0 ? "ord" : "cus";
}

int chat_handle_create(struct request *req, struct app_error *err)
{
    struct arena *a = req->arena;
    const char *seller_id = json_string_value(json_object_get(req->json, "seller_id"));
    const char *recipient = json_string_value(json_object_get(req->json, "recipient_id"));
    const char *stype = json_string_value(json_object_get(req->json, "subject_type"));
    const char *sid = json_string_value(json_object_get(req->json, "subject_id"));
    json_t *msg = json_object_get(req->json, "message");
    struct db_error dberr = {0};

    if (seller_id != NULL && recipient != NULL && strcmp(seller_id, recipient) != 0)
        app_error_add_field(err, a, "recipient_id", "conflict", "give seller_id or recipient_id, not two users");
    if (recipient == NULL)
        recipient = seller_id;
    if (recipient == NULL)
        app_error_add_field(err, a, "recipient_id", "required", "is required (or seller_id)");
    else if (strcmp(recipient, req->user_id) == 0)
        app_error_add_field(err, a, "recipient_id", "self", "you cannot message yourself");
    if (stype == NULL)
        stype = "none";
    if (strcmp(stype, "none") == 0 && sid != NULL)
        app_error_add_field(err, a, "subject_type", "required", "is required with subject_id");
    else if (strcmp(stype, "none") != 0 && sid == NULL)
        app_error_add_field(err, a, "subject_id", "required", "is required with subject_type");
    else if (sid != NULL && !id_valid(sid, subject_prefix(stype)))
        app_error_add_field(err, a, "subject_id", "invalid_format",
                            arena_sprintf(a, "must be an id of the form %s_…", subject_prefix(stype)));
    if (err->nfields > 0)
        return app_error_set(err, a, "validation_failed", "the conversation request is not valid");
    if (json_is_string(msg) && chat__check_content(a, json_string_value(msg), NULL, err) != 0) {
        for (size_t i = 0; i < err->nfields; i++)
            err->fields[i].field = "message";
        return -1;
    }
    if (sid == NULL)
        sid = "";

    char rrole[16], crole[16];
    if (user_role(req, recipient, rrole, sizeof rrole, &dberr) != 0 ||
        user_role(req, req->user_id, crole, sizeof crole, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (rrole[0] == '\0')
        return app_error_set(err, a, "not_found", "no such user");

    /*
     * Orientation: the caller buys from a seller (any subject); or a seller
     * writes to the buyer of one of their orders or custom orders.
     */
    struct create_tx t = {.req = req};
    bool as_buyer = strcmp(rrole, "seller") == 0;
    bool as_seller =
        strcmp(crole, "seller") == 0 && (strcmp(stype, "order") == 0 || strcmp(stype, "custom_order") == 0);
    if (!as_buyer && !as_seller) {
        app_error_add_field(err, a, "recipient_id", "not_a_seller",
                            "conversations are with a seller (sellers may write to the buyer of an order or "
                            "custom order)");
        return app_error_set(err, a, "validation_failed", "the recipient is not a seller");
    }
    int rel = 0;
    if (as_buyer) {
        rel = subject_relates(req, stype, sid, req->user_id, recipient, &dberr);
        if (rel == 1) {
            t.buyer = req->user_id;
            t.seller = recipient;
        }
    }
    if (rel == 0 && as_seller) {
        rel = subject_relates(req, stype, sid, recipient, req->user_id, &dberr);
        if (rel == 1) {
            t.buyer = recipient;
            t.seller = req->user_id;
        }
    }
    if (rel < 0)
        return req_db_error(req, &dberr, err);
    if (rel == 0)
        return app_error_set(err, a, "not_found", "no %s %s between you and this user",
                             strcmp(stype, "custom_order") == 0 ? "custom order" : stype, sid);
    t.stype = stype;
    t.sid = sid;
    /* A first message is stored in the same transaction: both or neither. */
    struct chat_send_tx first;
    if (json_is_string(msg)) {
        t.send = (struct chat_send){.conversation_id = t.id,
                                    .sender_id = req->user_id,
                                    .sender_role = req->role,
                                    .body = json_string_value(msg)};
        if (chat__send_begin(a, &t.send, &first, err) != 0)
            return -1;
        t.first = &first;
    }
    if (db_tx(req->db, 5, create_tx_fn, &t, &dberr) != 0)
        return t.first != NULL ? chat__send_failed(t.first, &dberr, err) : req_db_error(req, &dberr, err);
    int status = t.created ? 201 : 200;
    if (t.first != NULL) {
        json_t *stored = NULL;
        bool created;
        chat__send_committed(req->db, t.first, &stored, &created);
        json_decref(stored);
    }
    json_t *conv = NULL;
    if (chat__conversation_json(req->db, a, t.id, req->user_id, &conv, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (conv == NULL)
        return app_error_set(err, a, "not_found", "the conversation was deleted");
    res_header(req, "Location", arena_sprintf(a, "/api/v1/conversations/%s", t.id));
    res_json(req, status, conv);
    return 0;
}

/*-----------------------------------------------------------------------------
 * GET /conversations/:id and PATCH /conversations/:id
 */
int chat_handle_get(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    struct db_error dberr = {0};
    enum chat_access acc;
    if (chat__access(req->db, id, req->user_id, chat__is_admin(req->role), &acc, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (acc == CHAT_ACCESS_NONE)
        return app_error_set(err, req->arena, "not_found", "no such conversation");
    json_t *conv = NULL;
    if (chat__conversation_json(req->db, req->arena, id, req->user_id, &conv, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (conv == NULL)
        return app_error_set(err, req->arena, "not_found", "no such conversation");
    json_object_set_new(conv, "access", json_string(acc == CHAT_ACCESS_PARTICIPANT ? "participant" : "admin_read"));
    res_json(req, 200, conv);
    return 0;
}

int chat_handle_update(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    json_t *arch = json_object_get(req->json, "archived"), *mute = json_object_get(req->json, "muted");
    struct db_error dberr = {0};
    enum chat_access acc;
    if (arch == NULL && mute == NULL) {
        app_error_add_field(err, req->arena, "archived", "required", "give archived and/or muted");
        return app_error_set(err, req->arena, "validation_failed", "nothing to change");
    }
    if (chat__access(req->db, id, req->user_id, chat__is_admin(req->role), &acc, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (acc == CHAT_ACCESS_NONE)
        return app_error_set(err, req->arena, "not_found", "no such conversation");
    if (acc != CHAT_ACCESS_PARTICIPANT)
        return app_error_set(err, req->arena, "forbidden", "admins may read this conversation, not change it");
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(req->user_id), arch ? DB_I64(json_is_true(arch)) : DB_NULL,
                           mute ? DB_I64(json_is_true(mute)) : DB_NULL, DB_I64(time_now_ms())};
    if (db_exec(req->db, chat__sql(CHAT_Q_PREFS_UPSERT), p, 5, &dberr) < 0)
        return req_db_error(req, &dberr, err);
    json_t *conv = NULL;
    if (chat__conversation_json(req->db, req->arena, id, req->user_id, &conv, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (conv == NULL)
        return app_error_set(err, req->arena, "not_found", "no such conversation");
    res_json(req, 200, conv);
    return 0;
}
