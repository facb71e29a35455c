/*
 * chat.h — buyer–seller conversations and messages (REST under /api/v1 and
 * the Socket.IO events join_conversation, leave_conversation, send_message,
 * typing_start, typing_stop).
 */
#ifndef ARTISTRY_SERVICES_CHAT_H
#define ARTISTRY_SERVICES_CHAT_H

#include "http/http.h"

extern const struct service_module chat_module;

#endif
