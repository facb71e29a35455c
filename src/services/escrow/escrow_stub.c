/* STUB: replaced by the escrow work. */
#include "services/escrow/escrow.h"

const struct service_module escrow_module = {.name = "escrow"};

int escrow_hold(struct db *tx, const struct escrow_hold_req *req, char id_out[ID_MAX_LEN], struct db_error *err)
{
    (void)tx, (void)req, (void)id_out, (void)err;
    return -1;
}
int escrow_release(struct db *tx, const char *escrow_id, const char *actor_id, struct db_error *err)
{
    (void)tx, (void)escrow_id, (void)actor_id, (void)err;
    return -1;
}
int escrow_refund(struct db *tx, const char *escrow_id, int64_t amount, const char *reason, const char *dispute_id,
                  const char *actor_id, char *refund_id_out, struct db_error *err)
{
    (void)tx, (void)escrow_id, (void)amount, (void)reason, (void)dispute_id, (void)actor_id, (void)refund_id_out,
        (void)err;
    return -1;
}
int escrow_find(struct db *db, const char *order_id, const char *milestone_id, char id_out[ID_MAX_LEN],
                struct db_error *err)
{
    (void)db, (void)order_id, (void)milestone_id, (void)id_out, (void)err;
    return -1;
}
void escrow_on_event(const char *owner, escrow_event_fn fn)
{
    (void)owner, (void)fn;
}
