/*
 * chat_routes.c — the chat service's route table, body specs and module:
 * buyer–seller conversations and messages under /api/v1 (README.md), plus
 * the Socket.IO event handlers registered at init (chat_socket.c).
 */
#include "services/chat/chat.h"

#include "app.h"
#include "services/chat/chat_int.h"

static const char *const subject_types[] = {"product", "order", "custom_order", NULL};

static const struct param_spec list_params[] = {
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {.name = "unread", .source = PARAM_QUERY, .type = VT_BOOL},
    {.name = "archived", .source = PARAM_QUERY, .type = VT_BOOL},
    {0},
};

static const struct param_spec id_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "cnv"},
    {0},
};

static const struct param_spec messages_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "cnv"},
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct field_spec create_body[] = {
    {.name = "recipient_id", .type = VT_ID, .id_prefix = "usr"},
    {.name = "seller_id", .type = VT_ID, .id_prefix = "usr"},
    {.name = "subject_type", .type = VT_ENUM, .enum_values = subject_types},
    {.name = "subject_id", .type = VT_STRING, .min = 1, .max = 64},
    {.name = "message", .type = VT_STRING},
    {0},
};

static const struct field_spec attachment_item[] = {
    {.name = "item", .type = VT_ID, .id_prefix = "med"},
    {0},
};

static const struct field_spec send_body[] = {
    {.name = "body", .type = VT_STRING}, /* length checked trimmed: chat__check_content */
    {.name = "attachments", .type = VT_ARRAY, .max = CHAT_ATTACH_MAX, .fields = attachment_item},
    {.name = "client_msg_id", .type = VT_STRING, .min = 1, .max = CHAT_CLIENT_ID_MAX},
    {0},
};

static const struct field_spec read_body[] = {
    {.name = "message_id", .type = VT_ID, .id_prefix = "msg"},
    {0},
};

static const struct field_spec update_body[] = {
    {.name = "archived", .type = VT_BOOL},
    {.name = "muted", .type = VT_BOOL},
    {0},
};

static const struct route chat_routes[] = {
    {HTTP_GET, "/api/v1/conversations", chat_handle_list, AUTH_USER, list_params, NULL, ROUTE_READONLY,
     "My conversations, newest activity first, with unread counts and the last message"},
    {HTTP_POST, "/api/v1/conversations", chat_handle_create, AUTH_USER, NULL, create_body, ROUTE_BODY_JSON,
     "Start (or reuse) a conversation with a seller, optionally about a product, order or custom order"},
    {HTTP_GET, "/api/v1/conversations/:id", chat_handle_get, AUTH_USER, id_params, NULL, ROUTE_READONLY,
     "One conversation (participants; admins when it concerns a disputed order)"},
    {HTTP_PATCH, "/api/v1/conversations/:id", chat_handle_update, AUTH_USER, id_params, update_body, ROUTE_BODY_JSON,
     "Archive or mute a conversation for me"},
    {HTTP_GET, "/api/v1/conversations/:id/messages", chat_handle_messages, AUTH_USER, messages_params, NULL,
     ROUTE_READONLY, "Messages of a conversation, newest first"},
    {HTTP_POST, "/api/v1/conversations/:id/messages", chat_handle_send, AUTH_USER, id_params, send_body,
     ROUTE_BODY_JSON, "Send a message (text and/or media attachments; client_msg_id makes resends safe)"},
    {HTTP_POST, "/api/v1/conversations/:id/read", chat_handle_read, AUTH_USER, id_params, read_body, ROUTE_BODY_JSON,
     "Mark the conversation read up to now or up to a message"},
};

static int chat_init(struct app *app)
{
    const char *sql[CHAT_Q__COUNT];
    for (int q = 0; q < CHAT_Q__COUNT; q++)
        sql[q] = chat__sql((enum chat_query)q);
    if (app_check_sql(app, "chat", sql, CHAT_Q__COUNT) != 0)
        return -1;
    chat__socket_init(app);
    return 0;
}

static void chat_fini(struct app *app)
{
    (void)app;
    chat__socket_fini();
}

const struct service_module chat_module = {
    .name = "chat",
    .init = chat_init,
    .fini = chat_fini,
    .routes = chat_routes,
    .nroutes = sizeof chat_routes / sizeof chat_routes[0],
};
