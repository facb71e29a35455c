/*
 * chat_messages.c — messages: GET/POST /conversations/:id/messages, POST
 * /conversations/:id/read, and chat__send, the one function that stores a
 * message for both the REST and the socket path (README.md "Sending").
 *
 * Delivery rule: a message is stored (committed) before anything is
 * emitted. Then receive_message goes to the room conv:<id> (sockets that
 * joined the conversation) except the sending socket, which has its ack,
 * and conversation_updated {conversation_id, last_message, unread_count}
 * goes to user:<buyer> and user:<seller> for inbox badges. A socket thus
 * gets at most one receive_message per message.
 *
 * Caveats: the recipient's online state is read inside the transaction
 * (rt_user_online); a recipient who connects between that check and the
 * emit gets both the live message and the message.new notification.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/cursor.h"
#include "http/validate.h"
#include "platform/events.h"
#include "realtime/realtime.h"
#include "services/chat/chat_int.h"
#include "services/media/media.h"
#include "services/notifications/notifications.h"

/*-----------------------------------------------------------------------------
 * JSON and helpers
 */
json_t *chat__message_json(struct arena *a, struct db_stmt *st)
{
    json_t *att = json_loads(db_column_text(st, 5) ? db_column_text(st, 5) : "[]", 0, NULL);
    if (!json_is_array(att)) {
        json_decref(att);
        att = json_array();
    }
    const char *cid = db_column_text(st, 6);
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:s}", "id", db_column_text(st, 0), "conversation_id",
                     db_column_text(st, 1), "sender_id",
                     db_column_text(st, 2) ? json_string(db_column_text(st, 2)) : json_null(), "kind",
                     db_column_text(st, 3), "body", db_column_text(st, 4), "attachments", att, "client_msg_id",
                     cid ? json_string(cid) : json_null(), "created_at", chat__time(a, db_column_i64(st, 7)));
}

int chat__db_error(struct arena *a, const struct db_error *dberr, struct app_error *err)
{
    err->log_detail = arena_sprintf(a, "%s: %s", db_errkind_name(dberr->kind), dberr->msg);
    if (dberr->kind == DB_E_RETRY)
        return app_error_set(err, a, "database_busy", "the database is busy, try again");
    return app_error_set(err, a, "internal_error", "the request could not be completed");
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* s without leading and trailing ASCII white space, in the arena. */
static const char *trim(struct arena *a, const char *s)
{
    while (is_space((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_space((unsigned char)s[n - 1]))
        n--;
    return arena_strndup(a, s, n);
}

/* The first CHAT_PREVIEW_MAX code points of body ("" when empty). */
static const char *preview(struct arena *a, const char *body, size_t nattach)
{
    if (*body == '\0')
        return nattach ? (nattach == 1 ? "[1 attachment]" : arena_sprintf(a, "[%zu attachments]", nattach)) : "";
    size_t i = 0, cps = 0;
    while (body[i] != '\0' && cps < CHAT_PREVIEW_MAX) {
        i++;
        while (((unsigned char)body[i] & 0xC0) == 0x80)
            i++;
        cps++;
    }
    return body[i] == '\0' ? body : arena_sprintf(a, "%.*s…", (int)i, body);
}

int chat__check_content(struct arena *a, const char *body, json_t *att, struct app_error *err)
{
    body = trim(a, body ? body : "");
    size_t n = json_is_array(att) ? json_array_size(att) : 0;
    if (*body == '\0' && n == 0)
        app_error_add_field(err, a, "body", "required", "must not be empty (unless there are attachments)");
    if (utf8_length(body) > CHAT_BODY_MAX)
        app_error_add_field(err, a, "body", "too_long", "must be at most 4000 characters");
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(att, i));
        if (id == NULL || !id_valid(id, "med")) {
            app_error_add_field(err, a, arena_sprintf(a, "attachments[%zu]", i), "invalid_format",
                                "must be a media id of the form med_…");
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(id, json_string_value(json_array_get(att, j)) ? json_string_value(json_array_get(att, j))
                                                                     : "") == 0) {
                app_error_add_field(err, a, arena_sprintf(a, "attachments[%zu]", i), "duplicate", "is listed twice");
                break;
            }
    }
    return err->nfields > 0 ? app_error_set(err, a, "validation_failed", "the message is not valid") : 0;
}

/*-----------------------------------------------------------------------------
 * chat__send
 */
static int send_fail(struct chat_send_tx *t, struct db_error *dberr, const char *code, const char *msg, const char *field)
{
    t->fail_code = code;
    t->fail_msg = msg;
    t->fail_field = field;
    dberr->kind = DB_E_OTHER;
    return -1;
}

/* Load the message (id, conversation) into t->msg. 1 found, 0 not, -1 error. */
static int load_msg(struct db *db, struct chat_send_tx *t, enum chat_query q, const char *a1, const char *a2, const char *a3,
                    struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, chat__sql(q), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(a1));
    db_bind(st, 2, DB_TEXT(a2));
    if (a3 != NULL)
        db_bind(st, 3, DB_TEXT(a3));
    int rc = db_step(st, dberr);
    if (rc == 1) {
        json_decref(t->msg);
        t->msg = chat__message_json(t->a, st);
    }
    db_reset(st);
    return rc;
}

static int lock_parties(struct db *tx, struct chat_send_tx *t, bool *muted, struct db_error *dberr)
{
    const struct chat_send *in = t->in;
    struct db_stmt *st = db_prepare(tx, chat__sql(CHAT_Q_CONV_PARTIES), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(in->conversation_id));
    db_bind(st, 2, DB_TEXT(in->sender_id));
    int rc = db_step(st, dberr);
    if (rc == 1) {
        snprintf(t->buyer, sizeof t->buyer, "%s", db_column_text(st, 0));
        snprintf(t->seller, sizeof t->seller, "%s", db_column_text(st, 1));
        *muted = db_column_i64(st, 2) != 0;
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        enum chat_access acc = CHAT_ACCESS_NONE;
        if (chat__is_admin(in->sender_role) && chat__access(tx, in->conversation_id, in->sender_id, true, &acc, dberr))
            return -1;
        if (acc == CHAT_ACCESS_ADMIN_READ)
            return send_fail(t, dberr, "forbidden", "admins may read this conversation, not write to it", NULL);
        return send_fail(t, dberr, "not_found", "no such conversation", NULL);
    }
    t->recipient = strcmp(in->sender_id, t->buyer) == 0 ? t->seller : t->buyer;
    return 0;
}

static int check_attachments(struct db *tx, struct chat_send_tx *t, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(tx, chat__sql(CHAT_Q_MEDIA_OWNED), dberr);
    if (st == NULL)
        return -1;
    for (size_t i = 0; i < t->nattach; i++) {
        db_reset(st);
        db_bind(st, 1, DB_TEXT(json_string_value(json_array_get(t->in->attachments, i))));
        db_bind(st, 2, DB_TEXT(t->in->sender_id));
        int rc = db_step(st, dberr);
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return send_fail(t, dberr, "validation_failed", "is not a media object of yours",
                             arena_sprintf(t->a, "attachments[%zu]", i));
    }
    return 0;
}

static int notify_offline(struct db *tx, struct chat_send_tx *t, struct db_error *dberr)
{
    const char *name = "Someone";
    struct db_stmt *st = db_prepare(tx, chat__sql(CHAT_Q_SENDER_NAME), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->in->sender_id));
    int rc = db_step(st, dberr);
    if (rc == 1 && db_column_text(st, 0) != NULL && *db_column_text(st, 0) != '\0')
        name = arena_strdup(t->a, db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return -1;
    json_t *data = json_pack("{s:s, s:s}", "conversation_id", t->in->conversation_id, "message_id", t->id);
    rc = notify_user(tx, t->recipient, "message.new", arena_sprintf(t->a, "New message from %s", name), t->preview,
                     data, dberr);
    json_decref(data);
    return rc;
}

static int send_tx_fn(struct db *tx, void *ctx, struct db_error *dberr)
{
    struct chat_send_tx *t = ctx;
    const struct chat_send *in = t->in;
    bool muted = false;
    t->fail_code = NULL;
    t->created = false;
    if (lock_parties(tx, t, &muted, dberr) != 0)
        return -1;
    /* After the lock: a concurrent send with the same client_msg_id has committed or not started. */
    if (in->client_msg_id != NULL) {
        int rc = load_msg(tx, t, CHAT_Q_MSG_BY_CLIENT, in->conversation_id, in->sender_id, in->client_msg_id, dberr);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    if (check_attachments(tx, t, dberr) != 0)
        return -1;
    id_generate("msg", t->id, sizeof t->id);
    struct db_stmt *st = db_prepare(tx, chat__sql(CHAT_Q_CONV_BUMP), dberr);
    if (st == NULL)
        return -1;
    struct db_param b[] = {DB_TEXT(in->conversation_id), DB_I64(time_now_ms()), DB_TEXT(t->preview), DB_TEXT(t->id)};
    db_bind_all(st, b, 4);
    int rc = db_step(st, dberr);
    int64_t at = rc == 1 ? db_column_i64(st, 0) : 0;
    db_reset(st);
    if (rc != 1)
        return rc < 0 ? -1 : send_fail(t, dberr, "not_found", "no such conversation", NULL);
    struct db_param m[] = {DB_TEXT(t->id),   DB_TEXT(in->conversation_id), DB_TEXT(in->sender_id),
                           DB_TEXT(t->body), DB_TEXT(t->attach_text),      DB_TEXT(in->client_msg_id),
                           DB_I64(at)};
    int64_t n = db_exec(tx, chat__sql(CHAT_Q_MSG_INSERT), m, 7, dberr);
    if (n < 0)
        return -1;
    if (n == 0) { /* lost a dedupe race the lock did not catch: retry, the retry finds the stored one */
        dberr->kind = DB_E_RETRY;
        snprintf(dberr->msg, sizeof dberr->msg, "client_msg_id race");
        return -1;
    }
    /* Attaching shares: the other participant may now read each attachment (media.h). */
    const char *why = arena_sprintf(t->a, "message:%s", t->id);
    for (size_t i = 0; i < t->nattach; i++)
        if (media_grant_read(tx, json_string_value(json_array_get(in->attachments, i)), t->recipient, why, dberr) != 0)
            return -1;
    struct db_param r[] = {DB_TEXT(in->conversation_id), DB_TEXT(in->sender_id), DB_I64(at), DB_TEXT(t->id),
                           DB_I64(at)};
    if (db_exec(tx, chat__sql(CHAT_Q_READ_UPSERT), r, 5, dberr) < 0)
        return -1;
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "conversation_id", in->conversation_id, "message_id",
                           t->id, "sender_id", in->sender_id, "recipient_id", t->recipient, "buyer_id", t->buyer,
                           "seller_id", t->seller);
    rc = events_emit(tx, "message.received", ev, dberr);
    json_decref(ev);
    if (rc != 0)
        return -1;
    if (!muted && !rt_user_online(t->recipient) && notify_offline(tx, t, dberr) != 0)
        return -1;
    if (load_msg(tx, t, CHAT_Q_MSG_GET, t->id, in->conversation_id, NULL, dberr) != 1)
        return -1;
    t->created = true;
    return 0;
}

/* After the commit: the room gets the message, both inboxes an update. */
static void fan_out(struct db *db, struct chat_send_tx *t)
{
    const struct chat_send *in = t->in;
    rt_emit(arena_sprintf(t->a, "conv:%s", in->conversation_id), "receive_message", t->msg, in->except_socket);
    const char *users[2] = {t->buyer, t->seller};
    for (int i = 0; i < 2; i++) {
        struct db_error dberr = {0};
        int64_t unread = chat__unread(db, in->conversation_id, users[i], &dberr);
        json_t *upd = json_pack("{s:s, s:O, s:I}", "conversation_id", in->conversation_id, "last_message", t->msg,
                                "unread_count", (json_int_t)(unread < 0 ? 0 : unread));
        rt_emit(arena_sprintf(t->a, "user:%s", users[i]), "conversation_updated", upd, NULL);
        json_decref(upd);
    }
}

int chat__send_begin(struct arena *a, const struct chat_send *in, struct chat_send_tx *t, struct app_error *err)
{
    *t = (struct chat_send_tx){.in = in, .a = a};
    t->body = trim(a, in->body ? in->body : "");
    if (chat__check_content(a, t->body, in->attachments, err) != 0)
        return -1;
    t->nattach = json_is_array(in->attachments) ? json_array_size(in->attachments) : 0;
    t->preview = preview(a, t->body, t->nattach);
    if (t->nattach > 0) {
        char *att = json_dumps(in->attachments, JSON_COMPACT);
        t->attach_text = arena_strdup(a, att ? att : "[]");
        free(att);
    } else {
        t->attach_text = "[]";
    }
    return 0;
}

int chat__send_tx(struct db *tx, struct chat_send_tx *t, struct db_error *dberr)
{
    return send_tx_fn(tx, t, dberr);
}

int chat__send_failed(struct chat_send_tx *t, const struct db_error *dberr, struct app_error *err)
{
    struct arena *a = t->a;
    json_decref(t->msg);
    t->msg = NULL;
    if (t->fail_code == NULL)
        return chat__db_error(a, dberr, err);
    if (t->fail_field != NULL) {
        app_error_add_field(err, a, t->fail_field, "not_found", t->fail_msg);
        return app_error_set(err, a, t->fail_code, "field '%s' %s", t->fail_field, t->fail_msg);
    }
    return app_error_set(err, a, t->fail_code, "%s", t->fail_msg);
}

void chat__send_committed(struct db *db, struct chat_send_tx *t, json_t **msg, bool *created)
{
    if (t->in->stored != NULL)
        t->in->stored(t->in->stored_ud, t->msg, t->created);
    if (t->created)
        fan_out(db, t);
    *msg = t->msg;
    *created = t->created;
    t->msg = NULL;
}

int chat__send(struct db *db, struct arena *a, const struct chat_send *in, json_t **msg, bool *created,
               struct app_error *err)
{
    struct chat_send_tx t;
    struct db_error dberr = {0};
    *msg = NULL;
    *created = false;
    if (chat__send_begin(a, in, &t, err) != 0)
        return -1;
    if (db_tx(db, 5, send_tx_fn, &t, &dberr) != 0)
        return chat__send_failed(&t, &dberr, err);
    chat__send_committed(db, &t, msg, created);
    return 0;
}

/*-----------------------------------------------------------------------------
 * REST
 */
int chat_handle_send(struct request *req, struct app_error *err)
{
    struct chat_send s = {
        .conversation_id = req_param(req, "id"),
        .sender_id = req->user_id,
        .sender_role = req->role,
        .body = json_string_value(json_object_get(req->json, "body")),
        .attachments = json_object_get(req->json, "attachments"),
        .client_msg_id = json_string_value(json_object_get(req->json, "client_msg_id")),
    };
    json_t *msg;
    bool created;
    if (chat__send(req->db, req->arena, &s, &msg, &created, err) != 0)
        return -1;
    res_json(req, created ? 201 : 200, msg);
    return 0;
}

static json_t *message_item(struct request *req, struct db_stmt *st, void *ud)
{
    (void)ud;
    return chat__message_json(req->arena, st);
}

int chat_handle_messages(struct request *req, struct app_error *err)
{
    const char *conv = req_param(req, "id");
    int64_t limit = req_param_i64(req, "limit", 20), at = 0;
    const char *after = NULL, *next = NULL;
    struct db_error dberr = {0};
    enum chat_access acc;
    if (req_cursor_at(req, "msg", &at, &after, err) != 0)
        return -1;
    if (chat__access(req->db, conv, req->user_id, chat__is_admin(req->role), &acc, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (acc == CHAT_ACCESS_NONE)
        return app_error_set(err, req->arena, "not_found", "no such conversation");
    struct db_stmt *st = db_prepare(req->db, chat__sql(CHAT_Q_MSG_PAGE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(conv));
    db_bind(st, 2, after ? DB_I64(at) : DB_NULL);
    db_bind(st, 3, DB_TEXT(after));
    db_bind(st, 4, DB_I64(limit + 1));
    json_t *data;
    if (req_page_at(req, st, limit, 7, 0, message_item, NULL, &data, &next, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    res_page(req, data, next);
    return 0;
}

/*-----------------------------------------------------------------------------
 * POST /conversations/:id/read
 */
struct read_tx {
    const char *conv, *user, *message_id;
    bool missing;
};

static int read_tx_fn(struct db *tx, void *ctx, struct db_error *dberr)
{
    struct read_tx *t = ctx;
    enum chat_query q = t->message_id ? CHAT_Q_MSG_GET : CHAT_Q_MSG_LATEST;
    struct db_stmt *st = db_prepare(tx, chat__sql(q), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->message_id ? t->message_id : t->conv));
    if (t->message_id)
        db_bind(st, 2, DB_TEXT(t->conv));
    int rc = db_step(st, dberr);
    char mid[ID_MAX_LEN] = "";
    int64_t at = time_now_ms();
    if (rc == 1) {
        snprintf(mid, sizeof mid, "%s", db_column_text(st, 0));
        at = db_column_i64(st, t->message_id ? 7 : 1);
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    t->missing = rc == 0 && t->message_id != NULL;
    if (t->missing)
        return 0;
    struct db_param p[] = {DB_TEXT(t->conv), DB_TEXT(t->user), DB_I64(at), DB_TEXT(mid[0] ? mid : NULL),
                           DB_I64(time_now_ms())};
    return db_exec(tx, chat__sql(CHAT_Q_READ_UPSERT), p, 5, dberr) < 0 ? -1 : 0;
}

int chat_handle_read(struct request *req, struct app_error *err)
{
    struct read_tx t = {.conv = req_param(req, "id"), .user = req->user_id};
    struct db_error dberr = {0};
    enum chat_access acc;
    t.message_id = req->json ? json_string_value(json_object_get(req->json, "message_id")) : NULL;
    if (chat__access(req->db, t.conv, req->user_id, chat__is_admin(req->role), &acc, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (acc == CHAT_ACCESS_NONE)
        return app_error_set(err, req->arena, "not_found", "no such conversation");
    if (acc != CHAT_ACCESS_PARTICIPANT)
        return app_error_set(err, req->arena, "forbidden", "admins may read this conversation, not mark it read");
    if (db_tx(req->db, 5, read_tx_fn, &t, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (t.missing) {
        app_error_add_field(err, req->arena, "message_id", "not_found", "is not a message of this conversation");
        return app_error_set(err, req->arena, "validation_failed", "field 'message_id' is not in this conversation");
    }
    struct db_stmt *st = db_prepare(req->db, chat__sql(CHAT_Q_READ_STATE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(t.conv));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    json_t *out = NULL;
    if (rc == 1)
        out = json_pack("{s:s, s:s, s:o}", "conversation_id", t.conv, "last_read_at",
                        chat__time(req->arena, db_column_i64(st, 0)), "last_read_message_id",
                        db_column_text(st, 1) ? json_string(db_column_text(st, 1)) : json_null());
    db_reset(st);
    if (rc != 1)
        return rc < 0 ? req_db_error(req, &dberr, err) : app_error_set(err, req->arena, "internal_error", "no mark");
    int64_t unread = chat__unread(req->db, t.conv, req->user_id, &dberr);
    if (unread < 0) {
        json_decref(out);
        return req_db_error(req, &dberr, err);
    }
    json_object_set_new(out, "unread_count", json_integer(unread));
    json_t *upd = json_pack("{s:s, s:I}", "conversation_id", t.conv, "unread_count", (json_int_t)unread);
    rt_emit(arena_sprintf(req->arena, "user:%s", req->user_id), "conversation_updated", upd, NULL);
    json_decref(upd);
    res_json(req, 200, out);
    return 0;
}
