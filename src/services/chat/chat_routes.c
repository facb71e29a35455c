/* chat_routes.c — placeholder module (the chat service replaces this file). */
#include "services/chat/chat.h"

const struct service_module chat_module = {.name = "chat"};
