/*
 * chat_int.h — shared inside src/services/chat only.
 *
 * Areas: chat_routes.c (route table, body specs, module init), chat_sql.c
 * (every statement), chat_conversations.c (GET/POST /conversations, GET and
 * PATCH /conversations/:id, the conversation JSON and the access rule),
 * chat_messages.c (GET/POST /conversations/:id/messages, POST
 * /conversations/:id/read, chat__send: the one place a message is stored
 * and fanned out), chat_socket.c (the Socket.IO event handlers).
 *
 * Functions here take an arena and a db rather than a request, so the
 * REST handlers and the socket handlers share them.
 */
#ifndef ARTISTRY_SERVICES_CHAT_INT_H
#define ARTISTRY_SERVICES_CHAT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ids.h"
#include "http/http.h"

struct db;
struct db_error;
struct db_stmt;

enum chat_query {
    CHAT_Q_ACCESS,
    CHAT_Q_USER_ROLE,
    CHAT_Q_SUBJ_PRODUCT,
    CHAT_Q_SUBJ_ORDER,
    CHAT_Q_SUBJ_CUSTOM,
    CHAT_Q_CONV_INSERT,
    CHAT_Q_CONV_FIND,
    CHAT_Q_CONV_GET,
    CHAT_Q_CONV_PAGE,
    CHAT_Q_CONV_PARTIES,
    CHAT_Q_CONV_BUMP,
    CHAT_Q_MEDIA_OWNED,
    CHAT_Q_MSG_BY_CLIENT,
    CHAT_Q_MSG_INSERT,
    CHAT_Q_MSG_GET,
    CHAT_Q_MSG_LATEST,
    CHAT_Q_MSG_PAGE,
    CHAT_Q_READ_UPSERT,
    CHAT_Q_READ_STATE,
    CHAT_Q_UNREAD,
    CHAT_Q_PREFS_UPSERT,
    CHAT_Q_SENDER_NAME,
    CHAT_Q__COUNT,
};

/** SQL text of a chat statement (static storage: usable as a cache key). */
const char *chat__sql(enum chat_query q);

/** Columns read by chat__message_json, in this order. */
#define CHAT_MSG_COLS "id, conversation_id, sender_id, kind, body, attachments, client_msg_id, created_at"

/** Limits. */
#define CHAT_BODY_MAX 4000
#define CHAT_ATTACH_MAX 10
#define CHAT_CLIENT_ID_MAX 100
#define CHAT_PREVIEW_MAX 140

/*-----------------------------------------------------------------------------
 * chat_conversations.c
 */
int chat_handle_list(struct request *req, struct app_error *err);
int chat_handle_create(struct request *req, struct app_error *err);
int chat_handle_get(struct request *req, struct app_error *err);
int chat_handle_update(struct request *req, struct app_error *err);

/** How a user may see a conversation. */
enum chat_access {
    CHAT_ACCESS_NONE = 0,    /* not theirs: answer 404 */
    CHAT_ACCESS_PARTICIPANT, /* buyer or seller: read and write */
    CHAT_ACCESS_ADMIN_READ,  /* an admin, the conversation concerns a disputed order/custom order: read only */
};

/**
 * How user_id (an admin when is_admin) may see conversation conv_id, in
 * one query (README "Access"). 0 (*out set) or -1 (dberr set).
 */
int chat__access(struct db *db, const char *conv_id, const char *user_id, bool is_admin, enum chat_access *out,
                 struct db_error *dberr);

/**
 * The conversation as the API shows it to viewer (new reference in *out),
 * or *out NULL when it does not exist. 0 or -1 (dberr set).
 */
int chat__conversation_json(struct db *db, struct arena *a, const char *conv_id, const char *viewer, json_t **out,
                            struct db_error *dberr);

/** Unread messages of conv_id for user_id (from others, after the user's read mark). -1 on error. */
int64_t chat__unread(struct db *db, const char *conv_id, const char *user_id, struct db_error *dberr);

/** RFC 3339 text of ms in the arena. */
const char *chat__time(struct arena *a, int64_t ms);

/** True for an admin role string. */
bool chat__is_admin(const char *role);

/*-----------------------------------------------------------------------------
 * chat_messages.c
 */
int chat_handle_messages(struct request *req, struct app_error *err);
int chat_handle_send(struct request *req, struct app_error *err);
int chat_handle_read(struct request *req, struct app_error *err);

/** The message row at the statement's current row (CHAT_MSG_COLS) as JSON (new reference). */
json_t *chat__message_json(struct arena *a, struct db_stmt *st);

/** One message to store (borrowed strings; attachments a JSON array of media ids or NULL). */
struct chat_send {
    const char *conversation_id;
    const char *sender_id;
    const char *sender_role;
    const char *body; /* NULL: "" */
    json_t *attachments;
    const char *client_msg_id; /* NULL: no dedupe */
    const char *except_socket; /* the sending socket (no receive_message back to it), or NULL */
    /*
     * Called after the commit and before the fan-out, with the stored message
     * (borrowed) — the socket path acknowledges here, so the sender's ack does
     * not wait behind the delivery to a large room. NULL: none.
     */
    void (*stored)(void *ud, json_t *msg, bool created);
    void *stored_ud;
};

/**
 * Validate and store one message, then deliver it (README "Sending"): one
 * transaction inserts it, moves the conversation's last message, marks it
 * read for the sender, emits message.received and, when the recipient has
 * no socket, notifies them; after the commit it is emitted to the room
 * conv:<id> and conversation_updated to both participants' user rooms.
 * *msg gets the stored message (new reference); *created is false when
 * client_msg_id matched a message already stored (nothing else happens
 * then). Field checks beyond the body spec (trimmed body, duplicate or
 * foreign attachments) fail with validation_failed and field errors;
 * a conversation the sender is not part of with not_found (forbidden for
 * an admin who may only read it). 0 or -1 (err set, in arena a).
 */
int chat__send(struct db *db, struct arena *a, const struct chat_send *in, json_t **msg, bool *created,
               struct app_error *err);

/*
 * chat__send in its three parts, for a caller that stores the message in a
 * transaction of its own (POST /conversations with a first message, so the
 * conversation and its message commit together): chat__send_begin checks
 * the content (outside any transaction); chat__send_tx stores it inside the
 * caller's transaction (safe to re-run when db_tx retries); then either
 * chat__send_failed turns a failed transaction into the app error, or
 * chat__send_committed acknowledges and fans the message out.
 */
struct chat_send_tx {
    const struct chat_send *in;
    struct arena *a;
    const char *body, *preview, *attach_text;
    size_t nattach;
    char id[ID_MAX_LEN];
    char buyer[ID_MAX_LEN], seller[ID_MAX_LEN];
    const char *recipient;
    json_t *msg; /* the stored message (owned) */
    bool created;
    const char *fail_code, *fail_msg, *fail_field;
};
int chat__send_begin(struct arena *a, const struct chat_send *in, struct chat_send_tx *t, struct app_error *err);
int chat__send_tx(struct db *tx, struct chat_send_tx *t, struct db_error *dberr);
int chat__send_failed(struct chat_send_tx *t, const struct db_error *dberr, struct app_error *err);
/** *msg gets the stored message (new reference); *created is false for a client_msg_id repeat. */
void chat__send_committed(struct db *db, struct chat_send_tx *t, json_t **msg, bool *created);

/**
 * The checks of a message the body spec cannot express: the trimmed body
 * (body may be NULL) is non-empty unless there are attachments, at most
 * 4000 characters, attachments are distinct media ids. 0, or -1 with
 * validation_failed and field errors in err.
 */
int chat__check_content(struct arena *a, const char *body, json_t *attachments, struct app_error *err);

/** Map a database failure to an app error (busy → database_busy, else internal_error). Returns -1. */
int chat__db_error(struct arena *a, const struct db_error *dberr, struct app_error *err);

/*-----------------------------------------------------------------------------
 * chat_socket.c
 */

/** Register the socket event handlers (rt_on) and the send rate limiter. */
struct config;
void chat__socket_init(const struct app *app);
void chat__socket_fini(void);

#endif
