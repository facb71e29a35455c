/* webhooks_routes.c — placeholder module (the webhooks service replaces this file). */
#include "services/webhooks/webhooks.h"

const struct service_module webhooks_module = {.name = "webhooks"};
