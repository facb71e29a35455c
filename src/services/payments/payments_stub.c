/* STUB: replaced by the payments work. */
#include "services/payments/payments.h"

const struct service_module payments_module = {.name = "payments"};

int payments_intent_create(struct db *tx, const struct payments_intent_req *req, char id_out[ID_MAX_LEN],
                           struct db_error *err)
{
    (void)tx, (void)req, (void)id_out, (void)err;
    return -1;
}
int payments_intent_cancel(struct db *tx, const char *intent_id, struct db_error *err)
{
    (void)tx, (void)intent_id, (void)err;
    return -1;
}
void payments_on_succeeded(const char *purpose, payments_succeeded_fn fn)
{
    (void)purpose, (void)fn;
}
int payments_refund_request(struct db *tx, const struct payments_refund_req *req, char id_out[ID_MAX_LEN],
                            struct db_error *err)
{
    (void)tx, (void)req, (void)id_out, (void)err;
    return -1;
}
int payments_transfer_request(struct db *tx, const struct payments_transfer_req *req, char id_out[ID_MAX_LEN],
                              struct db_error *err)
{
    (void)tx, (void)req, (void)id_out, (void)err;
    return -1;
}
void payments_on_webhook(const char *prefix, payments_webhook_fn fn)
{
    (void)prefix, (void)fn;
}
