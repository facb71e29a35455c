/*
 * orders_common.c — helpers shared by the orders service's files: turning a
 * failed transaction into a problem, status history rows, domain events,
 * money in JSON.
 *
 * Caveats: struct orders_fail keeps at most 32 named lines; a cart has at
 * most ORDERS_CART_MAX lines (orders_cart.c), fewer than that.
 */
#include <string.h>

#include "base/ids.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "platform/events.h"
#include "services/orders/orders_int.h"

void orders__fail_field(struct orders_fail *f, const char *field, const char *code, const char *message)
{
    if (f->nfields < sizeof f->fields / sizeof f->fields[0])
        f->fields[f->nfields++] = (struct field_error){field, code, message};
}

int orders__tx_error(struct request *req, const struct orders_fail *fail, const struct db_error *dberr,
                     struct app_error *err)
{
    if (fail->code == NULL)
        return req_db_error(req, dberr, err);
    for (size_t i = 0; i < fail->nfields; i++)
        app_error_add_field(err, req->arena, fail->fields[i].field, fail->fields[i].code, fail->fields[i].message);
    if (fail->detail != NULL)
        err->detail = fail->detail;
    return app_error_set(err, req->arena, fail->code, "%s", fail->msg);
}

int orders__history(struct db *db, const char *order_id, const char *from, const char *to, const char *actor,
                    const char *note, int64_t now, struct db_error *err)
{
    char id[ID_MAX_LEN];
    id_generate("osh", id, sizeof id);
    struct db_param p[] = {DB_TEXT(id), DB_TEXT(order_id), DB_TEXT(from), DB_TEXT(to),
                           DB_TEXT(actor), DB_TEXT(note), DB_I64(now)};
    return db_exec(db, orders__sql(ORDERS_Q_HISTORY_INSERT), p, 7, err) < 0 ? -1 : 0;
}

int orders__event(struct db *db, const char *type, const char *order_id, const char *buyer_id,
                  const char *seller_id, struct db_error *err)
{
    json_t *data = json_pack("{s:s, s:s, s:s}", "order_id", order_id, "buyer_id", buyer_id, "seller_id", seller_id);
    int rc = events_emit(db, type, data, err);
    json_decref(data);
    return rc;
}

bool orders__is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}
