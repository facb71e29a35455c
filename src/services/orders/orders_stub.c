/* STUB: replaced by the orders work. */
#include "services/orders/orders.h"

const struct service_module orders_module = {.name = "orders"};

int orders_carrier_delivered(struct db *tx, const char *order_id, struct db_error *err)
{
    (void)tx, (void)order_id, (void)err;
    return -1;
}
