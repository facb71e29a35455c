/*
 * chat_socket.c — the chat's Socket.IO events (src/realtime/realtime.h):
 * join_conversation, leave_conversation, send_message, typing_start,
 * typing_stop (README.md "Socket events").
 *
 * Every argument comes from the network: the first argument must be a JSON
 * object and every field is type-checked with the same field specs the
 * REST routes use (validate_body), so errors carry the same codes.
 * Refusals are acked as [{"error": {"code", "message"[, "errors"]}}].
 *
 * send_message is limited per user (send_limit × rate_limit_scale per
 * window) in an in-process GCRA store (src/http/ratelimit.h): with several
 * instances the limit is per instance.
 *
 * Caveats: typing events check participation with one query each; clients
 * are expected to throttle them (the reference client sends one per few
 * seconds).
 */
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/ratelimit.h"
#include "http/validate.h"
#include "realtime/realtime.h"
#include "services/chat/chat_int.h"

static struct ratelimit_store *send_store;
#define SEND_QUOTA 30 /* messages per SEND_WINDOW_S seconds per user, times rate_limit_scale */
#define SEND_WINDOW_S 10

static struct rl_limit send_limit = {.quota = SEND_QUOTA, .window_s = SEND_WINDOW_S};

static const struct field_spec attachment_item[] = {
    {.name = "item", .type = VT_ID, .id_prefix = "med"},
    {0},
};

static const struct field_spec conv_fields[] = {
    {.name = "conversation_id", .type = VT_ID, .required = true, .id_prefix = "cnv"},
    {0},
};

static const struct field_spec send_fields[] = {
    {.name = "conversation_id", .type = VT_ID, .required = true, .id_prefix = "cnv"},
    {.name = "body", .type = VT_STRING}, /* length checked trimmed: chat__check_content */
    {.name = "attachments", .type = VT_ARRAY, .max = CHAT_ATTACH_MAX, .fields = attachment_item},
    {.name = "client_msg_id", .type = VT_STRING, .min = 1, .max = CHAT_CLIENT_ID_MAX},
    {0},
};

/*-----------------------------------------------------------------------------
 * Acks
 */

/* Ack [{"error": {code, message, errors?}}] from an app error. */
static void ack_app_error(struct rt_call *call, const struct app_error *err)
{
    json_t *e = json_pack("{s:s, s:s}", "code", err->code ? err->code : "internal_error", "message",
                          err->msg ? err->msg : "the event could not be handled");
    if (err->nfields > 0) {
        json_t *fields = json_array();
        for (size_t i = 0; i < err->nfields; i++)
            json_array_append_new(fields, json_pack("{s:s, s:s, s:s}", "field", err->fields[i].field, "code",
                                                    err->fields[i].code, "message", err->fields[i].message));
        json_object_set_new(e, "errors", fields);
    }
    rt_ack(call, json_pack("[{s:o}]", "error", e));
}

static void ack_ok(struct rt_call *call)
{
    rt_ack(call, json_pack("[{s:b}]", "ok", 1));
}

/*
 * The event's first argument checked against fields; the conversation id
 * into *conv. 0, or -1 after acking the validation error.
 */
static int parse_args(struct rt_call *call, struct arena *a, json_t *args, const struct field_spec *fields,
                      json_t **obj, const char **conv)
{
    struct app_error err = {0};
    *obj = json_is_array(args) ? json_array_get(args, 0) : NULL;
    if (!json_is_object(*obj)) {
        app_error_add_field(&err, a, "body", "invalid_type", "the first argument must be an object");
        app_error_set(&err, a, "validation_failed", "the first argument must be an object");
    } else if (validate_body(fields, *obj, "", &err, a) != 0) {
        app_error_set(&err, a, "validation_failed", "the event's arguments are not valid");
    } else {
        *conv = json_string_value(json_object_get(*obj, "conversation_id"));
        return 0;
    }
    ack_app_error(call, &err);
    return -1;
}

/* May who see conv? 0 yes, -1 after acking not_found / internal_error. */
static int check_access(struct rt_call *call, struct arena *a, struct db *db, const struct rt_client *who,
                        const char *conv, bool write)
{
    struct db_error dberr = {0};
    enum chat_access acc;
    if (chat__access(db, conv, who->user_id, chat__is_admin(who->role), &acc, &dberr) != 0) {
        struct app_error err = {0};
        chat__db_error(a, &dberr, &err);
        log_error("chat socket access check failed", "conversation=%s err=%s", conv, err.log_detail);
        ack_app_error(call, &err);
        return -1;
    }
    if (acc == CHAT_ACCESS_NONE) {
        rt_ack_error(call, "not_found", "no such conversation");
        return -1;
    }
    if (write && acc != CHAT_ACCESS_PARTICIPANT) {
        rt_ack_error(call, "forbidden", "admins may read this conversation, not write to it");
        return -1;
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Handlers
 */
static void on_join(struct rt_call *call, const struct rt_client *who, struct db *db, json_t *args)
{
    struct arena a;
    arena_init(&a, 0);
    json_t *obj;
    const char *conv = NULL;
    if (parse_args(call, &a, args, conv_fields, &obj, &conv) == 0 &&
        check_access(call, &a, db, who, conv, false) == 0) {
        if (rt_join(call, arena_sprintf(&a, "conv:%s", conv)) == 0)
            ack_ok(call);
        else
            rt_ack_error(call, "internal_error", "could not join the conversation");
    }
    arena_destroy(&a);
}

static void on_leave(struct rt_call *call, const struct rt_client *who, struct db *db, json_t *args)
{
    (void)who;
    (void)db;
    struct arena a;
    arena_init(&a, 0);
    json_t *obj;
    const char *conv = NULL;
    if (parse_args(call, &a, args, conv_fields, &obj, &conv) == 0) {
        rt_leave(call, arena_sprintf(&a, "conv:%s", conv));
        ack_ok(call);
    }
    arena_destroy(&a);
}

static bool send_allowed(struct arena *a, const struct rt_client *who, int64_t *retry_after)
{
    struct rl_result r = {0};
    *retry_after = 0;
    if (send_store == NULL || send_limit.quota == 0)
        return true;
    if (send_store->take(send_store, arena_sprintf(a, "chat_send:%s", who->user_id), &send_limit, time_now_ms(), &r) !=
        0)
        return true; /* a broken store never blocks chat */
    *retry_after = r.retry_after_s;
    return r.allowed;
}

/* chat_send.stored: acknowledge with the stored message as soon as it is committed. */
static void ack_stored(void *ud, json_t *msg, bool created)
{
    rt_ack(ud, json_pack("[{s:O, s:b}]", "message", msg, "duplicate", !created));
}

static void on_send(struct rt_call *call, const struct rt_client *who, struct db *db, json_t *args)
{
    struct arena a;
    arena_init(&a, 0);
    json_t *obj;
    const char *conv = NULL;
    int64_t retry;
    if (parse_args(call, &a, args, send_fields, &obj, &conv) != 0)
        goto out;
    if (!send_allowed(&a, who, &retry)) {
        rt_ack_error(call, "rate_limited",
                     arena_sprintf(&a, "too many messages, try again in %lld s", (long long)retry));
        goto out;
    }
    struct chat_send s = {
        .conversation_id = conv,
        .sender_id = who->user_id,
        .sender_role = who->role,
        .body = json_string_value(json_object_get(obj, "body")),
        .attachments = json_object_get(obj, "attachments"),
        .client_msg_id = json_string_value(json_object_get(obj, "client_msg_id")),
        .except_socket = who->socket_id,
        .stored = ack_stored,
        .stored_ud = call,
    };
    struct app_error err = {0};
    json_t *msg = NULL;
    bool created;
    if (chat__send(db, &a, &s, &msg, &created, &err) != 0) {
        if (err.log_detail != NULL)
            log_error("chat socket send failed", "conversation=%s err=%s", conv, err.log_detail);
        ack_app_error(call, &err);
        goto out;
    }
    json_decref(msg); /* acknowledged in ack_stored, before the fan-out */
out:
    arena_destroy(&a);
}

static void typing(struct rt_call *call, const struct rt_client *who, struct db *db, json_t *args, const char *ev)
{
    struct arena a;
    arena_init(&a, 0);
    json_t *obj;
    const char *conv = NULL;
    if (parse_args(call, &a, args, conv_fields, &obj, &conv) == 0 && check_access(call, &a, db, who, conv, true) == 0) {
        json_t *data = json_pack("{s:s, s:s}", "conversation_id", conv, "user_id", who->user_id);
        rt_emit(arena_sprintf(&a, "conv:%s", conv), ev, data, who->socket_id);
        json_decref(data);
        ack_ok(call);
    }
    arena_destroy(&a);
}

static void on_typing_start(struct rt_call *call, const struct rt_client *who, struct db *db, json_t *args)
{
    typing(call, who, db, args, "typing_start");
}

static void on_typing_stop(struct rt_call *call, const struct rt_client *who, struct db *db, json_t *args)
{
    typing(call, who, db, args, "typing_stop");
}

/*-----------------------------------------------------------------------------
 * Module wiring
 */
void chat__socket_init(const struct app *app)
{
    const struct config *cfg = app->cfg;
    int64_t scale = cfg != NULL && cfg->rate_limit_scale > 0 ? cfg->rate_limit_scale : 1;
    send_limit.quota = cfg != NULL && !cfg->rate_limits ? 0 : SEND_QUOTA * scale;
    if (send_store == NULL && app->shared_ratelimit_store != NULL)
        send_store = app->shared_ratelimit_store(app); /* shared across instances (Redis) */
    if (send_store == NULL)
        send_store = ratelimit_memory_store_new(10000);
    rt_on("join_conversation", on_join);
    rt_on("leave_conversation", on_leave);
    rt_on("send_message", on_send);
    rt_on("typing_start", on_typing_start);
    rt_on("typing_stop", on_typing_stop);
}

void chat__socket_fini(void)
{
    if (send_store != NULL)
        send_store->destroy(send_store);
    send_store = NULL;
}
