/*
 * payproc.c — selects the configured payment processor (see payproc.h).
 * STUB: the payments work replaces this.
 */
#include "platform/payproc.h"

#include <stddef.h>

const struct payproc_ops *payproc_get(const struct app *app)
{
    (void)app;
    return NULL;
}

int payproc_seller_account(struct app *app, struct db *db, const char *seller_id, char *buf, size_t cap,
                           struct db_error *err)
{
    (void)app, (void)db, (void)seller_id, (void)buf, (void)cap, (void)err;
    return -1;
}
