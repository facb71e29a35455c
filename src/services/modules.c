/*
 * modules.c — the module table: every service module, in init order.
 *
 * Adding a service is one folder under src/services/ plus one line here.
 * `artistry serve --services=a,b` mounts a subset by name.
 */
#include "app.h"
#include "http/http.h"
#include "services/auth/auth.h"
#include "services/catalog/catalog.h"
#include "services/chat/chat.h"
#include "services/commissions/commissions.h"
#include "services/escrow/escrow.h"
#include "services/media/media.h"
#include "services/notifications/notifications.h"
#include "services/ops/ops.h"
#include "services/orders/orders.h"
#include "services/payments/payments.h"
#include "services/payouts/payouts.h"
#include "services/products/products.h"
#include "services/recs/recs.h"
#include "services/search/search.h"
#include "services/shipping/shipping.h"
#include "services/users/users.h"
#include "services/vision/vision.h"
#include "services/webhooks/webhooks.h"

const struct service_module *const app_all_modules[] = {
    &ops_module,
    &auth_module,
    &catalog_module,
    &products_module,
    &search_module,
    &media_module,
    &users_module,
    &shipping_module,
    &payments_module,
    &escrow_module,
    &orders_module,
    &commissions_module,
    &payouts_module,
    &vision_module,
    &recs_module,
    &notifications_module,
    &chat_module,
    &webhooks_module,
};

const size_t app_all_modules_count = sizeof app_all_modules / sizeof app_all_modules[0];
