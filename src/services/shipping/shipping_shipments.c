/*
 * shipping_shipments.c — shipments of an order: manual tracking numbers
 * (shipping_shipment_create, called by orders when the seller marks an
 * order shipped), Shippo labels (POST /orders/:id/shipments/label), the
 * list with tracking history (GET /orders/:id/shipments).
 *
 * Shipment status: pending → label_created → in_transit →
 * out_for_delivery → delivered, or returned / failed / cancelled. It is
 * moved by the tracking webhook (shipping_webhook.c) and, for a manual
 * shipment, starts at in_transit (the seller hands it to the carrier).
 *
 * Labels: the seller of a paid or processing order buys one either for a
 * rate id they already have (a Shippo rate from a quote) or from a ship-from
 * address (and optional parcel): the service asks Shippo for rates to the
 * order's shipping address, takes the rate of the requested service level
 * or the cheapest in the order's currency, then buys it. The calls run on
 * the slow pool, outside any transaction; the shipment row (label_created,
 * tracking number, label URL, cost) and the shipment.updated event are
 * written after in one transaction. The order's status is not changed:
 * the seller still marks it shipped (orders), which finds this shipment by
 * its tracking number instead of making a second one.
 *
 * Caveats: the label PDF stays at Shippo's URL (not copied into the media
 * store). A label bought while the order was cancelled concurrently is
 * still recorded (the money was spent at Shippo).
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/jsonw.h"
#include "platform/events.h"
#include "services/shipping/shipping.h"
#include "services/shipping/shipping_int.h"

int shipping__tx_error(struct request *req, const struct shipping_fail *fail, const struct db_error *dberr,
                       struct app_error *err)
{
    if (fail->code != NULL) {
        if (fail->field != NULL)
            app_error_add_field(err, req->arena, fail->field, fail->field_code ? fail->field_code : "invalid",
                                fail->msg);
        return app_error_set(err, req->arena, fail->code, "%s", fail->msg);
    }
    return req_db_error(req, dberr, err);
}

bool shipping__is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}

/*-----------------------------------------------------------------------------
 * Manual shipments
 */
int shipping_shipment_create(struct db *tx, const char *order_id, const char *carrier, const char *tracking_number,
                             char id_out[ID_MAX_LEN], struct db_error *err)
{
    int64_t now = time_now_ms();
    struct db_stmt *st = db_prepare(tx, shipping__sql(SHIP_Q_SHIPMENT_BY_TRACKING_OF_ORDER), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(order_id));
    db_bind(st, 2, DB_TEXT(tracking_number));
    int rc = db_step(st, err);
    if (rc == 1)
        snprintf(id_out, ID_MAX_LEN, "%s", db_column_text(st, 0));
    db_reset(st);
    if (rc < 0)
        return -1;
    if (rc == 1) { /* a label bought earlier: it is now with the carrier */
        struct db_param p[] = {DB_TEXT(id_out), DB_I64(now)};
        return db_exec(tx, shipping__sql(SHIP_Q_SHIPMENT_MARK_SHIPPED), p, 2, err) < 0 ? -1 : 0;
    }
    id_generate("shm", id_out, ID_MAX_LEN);
    struct db_param p[] = {DB_TEXT(id_out), DB_TEXT(order_id),        DB_TEXT("manual"), DB_NULL,    DB_TEXT(carrier),
                           DB_NULL,         DB_TEXT(tracking_number), DB_NULL,           DB_NULL,    DB_NULL,
                           DB_NULL,         DB_TEXT("in_transit"),    DB_I64(now),       DB_I64(now)};
    return db_exec(tx, shipping__sql(SHIP_Q_SHIPMENT_INSERT), p, 14, err) < 0 ? -1 : 0;
}

/*-----------------------------------------------------------------------------
 * Rendering
 */
static void opt_text(struct jsonw *w, const char *key, struct db_stmt *st, int col)
{
    jw_kstr(w, key, db_column_is_null(st, col) ? NULL : db_column_text(st, col));
}

static void opt_time(struct request *req, struct jsonw *w, const char *key, struct db_stmt *st, int col)
{
    jw_kstr(w, key, db_column_is_null(st, col) ? NULL : req_time(req, db_column_i64(st, col)));
}

static int write_events(struct request *req, struct jsonw *w, const char *shipment_id, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_EVENTS_OF_SHIPMENT), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(shipment_id));
    jw_key(w, "events");
    jw_arr(w);
    int rc;
    while ((rc = db_step(st, dberr)) == 1) {
        jw_obj(w);
        jw_kstr(w, "status", db_column_text(st, 0));
        opt_text(w, "description", st, 1);
        opt_text(w, "location", st, 2);
        jw_kstr(w, "occurred_at", req_time(req, db_column_i64(st, 3)));
        jw_end(w);
    }
    jw_end(w);
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Shipments of order_id (or the one shipment_id when not NULL) with their events; an array, or one object. */
static int write_shipments(struct request *req, struct jsonw *w, const char *order_id, const char *shipment_id,
                           struct db_error *dberr)
{
    struct db_stmt *st =
        db_prepare(req->db, shipping__sql(shipment_id ? SHIP_Q_SHIPMENT_GET : SHIP_Q_SHIPMENTS_OF_ORDER), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(shipment_id ? shipment_id : order_id));
    const char *ids[64];
    int n = 0, rc;
    struct jsonw *parts = arena_array(req->arena, struct jsonw, 64);
    while (n < 64 && (rc = db_step(st, dberr)) == 1) {
        struct jsonw *x = &parts[n];
        jw_init(x, req->arena, 512);
        ids[n] = arena_strdup(req->arena, db_column_text(st, 0));
        jw_obj(x);
        jw_kstr(x, "id", ids[n]);
        jw_kstr(x, "provider", db_column_text(st, 1));
        opt_text(x, "carrier", st, 2);
        opt_text(x, "service", st, 3);
        opt_text(x, "tracking_number", st, 4);
        opt_text(x, "tracking_url", st, 5);
        opt_text(x, "label_url", st, 6);
        if (db_column_is_null(st, 7)) {
            jw_key(x, "cost");
            jw_null(x);
        } else {
            jw_kmoney(x, "cost", db_column_i64(st, 7), db_column_text(st, 8));
        }
        jw_kstr(x, "status", db_column_text(st, 9));
        opt_time(req, x, "shipped_at", st, 10);
        opt_time(req, x, "delivered_at", st, 11);
        opt_time(req, x, "created_at", st, 12);
        opt_time(req, x, "updated_at", st, 13);
        n++;
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    if (shipment_id == NULL)
        jw_arr(w);
    for (int i = 0; i < n; i++) {
        if (write_events(req, &parts[i], ids[i], dberr) != 0)
            return -1;
        jw_end(&parts[i]);
        jw_raw(w, parts[i].sb.data);
    }
    if (shipment_id == NULL)
        jw_end(w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * GET /orders/:id/shipments (buyer, seller, admin)
 */
int shipping_handle_list_shipments(struct request *req, struct app_error *err)
{
    const char *order_id = req_param(req, "id");
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_ORDER_VISIBLE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    struct db_param p[] = {DB_TEXT(order_id), DB_TEXT(req->user_id), DB_I64(shipping__is_admin(req) ? 1 : 0)};
    db_bind_all(st, p, 3);
    int rc = db_step(st, &dberr);
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no such order");
    struct jsonw w;
    jw_init(&w, req->arena, 1024);
    jw_obj(&w);
    jw_kstr(&w, "order_id", order_id);
    jw_key(&w, "data");
    if (write_shipments(req, &w, order_id, NULL, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    jw_end(&w);
    res_jsonw(req, 200, &w);
    return 0;
}

/*-----------------------------------------------------------------------------
 * POST /orders/:id/shipments/label (seller)
 */
struct label_job {
    const char *order_id, *buyer_id, *seller_id, *currency, *address_json;
    struct shippo_rate rate; /* object_id set; other fields when known */
    struct shippo_label label;
    char shipment_id[ID_MAX_LEN];
    struct shipping_fail fail;
};

/* The order as its seller sees it; 404 if not theirs, 409 unless paid or processing. */
static int load_order(struct request *req, struct label_job *j, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, shipping__sql(SHIP_Q_ORDER_OF_SELLER), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(j->order_id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    int rc = db_step(st, &dberr);
    const char *status = NULL;
    if (rc == 1) {
        status = arena_strdup(req->arena, db_column_text(st, 0));
        j->address_json = arena_strdup(req->arena, db_column_text(st, 1));
        j->buyer_id = arena_strdup(req->arena, db_column_text(st, 2));
        j->currency = arena_strdup(req->arena, db_column_text(st, 3));
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        return app_error_set(err, req->arena, "not_found", "no such order");
    if (strcmp(status, "paid") != 0 && strcmp(status, "processing") != 0) {
        err->hint = "labels are bought for orders that are paid or processing";
        return app_error_set(err, req->arena, "order_not_shippable", "the order is %s", status);
    }
    return 0;
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Ask Shippo for rates from the body's address to the order's and keep the wanted one in j->rate. */
static int pick_rate(struct request *req, struct label_job *j, struct app_error *err)
{
    json_t *from = json_object_get(req->json, "address_from"), *parcel = json_object_get(req->json, "parcel");
    json_t *to = json_loads(j->address_json, 0, NULL);
    struct shippo_address af = {jstr(from, "name"),    jstr(from, "street1"), jstr(from, "street2"),
                                jstr(from, "city"),    jstr(from, "state"),   jstr(from, "zip"),
                                jstr(from, "country"), jstr(from, "phone"),   jstr(from, "email")};
    struct shippo_address at = {jstr(to, "full_name"), jstr(to, "line1"),  jstr(to, "line2"),
                                jstr(to, "city"),      jstr(to, "region"), jstr(to, "postal_code"),
                                jstr(to, "country"),   jstr(to, "phone"),  NULL};
    struct shippo_parcel pc = {jstr(parcel, "length") ? jstr(parcel, "length") : "10",
                               jstr(parcel, "width") ? jstr(parcel, "width") : "8",
                               jstr(parcel, "height") ? jstr(parcel, "height") : "4",
                               json_integer_value(json_object_get(parcel, "weight_grams"))};
    struct shippo_rate rates[32];
    int n = 0, rc = -1;
    const char *msg = NULL, *want = jstr(req->json, "servicelevel_token");
    if (shipping__shippo_rates(req->app->cfg, req->arena, &af, &at, &pc, rates, 32, &n, &msg) != 0) {
        err->log_detail = msg;
        app_error_set(err, req->arena, "upstream_error", "the shipping provider did not answer with rates");
        goto out;
    }
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(rates[i].currency, j->currency) != 0 || (want && strcmp(rates[i].service_token, want) != 0))
            continue;
        if (best < 0 || rates[i].amount < rates[best].amount)
            best = i;
    }
    if (best < 0) {
        app_error_set(err, req->arena, "no_shipping_rate", "no rate%s%s for this parcel and address",
                      want ? " for service level " : "", want ? want : "");
        goto out;
    }
    j->rate = rates[best];
    rc = 0;
out:
    json_decref(to);
    return rc;
}

static int record_label(struct db *db, void *arg, struct db_error *dberr)
{
    struct label_job *j = arg;
    int64_t now = time_now_ms();
    id_generate("shm", j->shipment_id, sizeof j->shipment_id);
    const struct shippo_rate *r = &j->rate;
    struct db_param p[] = {DB_TEXT(j->shipment_id),
                           DB_TEXT(j->order_id),
                           DB_TEXT("shippo"),
                           DB_TEXT(j->label.object_id[0] ? j->label.object_id : NULL),
                           DB_TEXT(r->provider[0] ? r->provider : NULL),
                           DB_TEXT(r->service[0] ? r->service : NULL),
                           DB_TEXT(j->label.tracking_number[0] ? j->label.tracking_number : NULL),
                           DB_TEXT(j->label.tracking_url[0] ? j->label.tracking_url : NULL),
                           DB_TEXT(j->label.label_url[0] ? j->label.label_url : NULL),
                           r->currency[0] ? DB_I64(r->amount) : DB_NULL,
                           DB_TEXT(r->currency[0] ? r->currency : NULL),
                           DB_TEXT("label_created"),
                           DB_NULL,
                           DB_I64(now)};
    if (db_exec(db, shipping__sql(SHIP_Q_SHIPMENT_INSERT), p, 14, dberr) < 0)
        return -1;
    char eid[ID_MAX_LEN], ref[80];
    snprintf(ref, sizeof ref, "label:%s", j->label.object_id);
    struct db_param e[] = {DB_TEXT(id_generate("she", eid, sizeof eid)),
                           DB_TEXT(j->shipment_id),
                           DB_TEXT("label_created"),
                           DB_TEXT("Label created"),
                           DB_NULL,
                           DB_TEXT(ref),
                           DB_I64(now),
                           DB_I64(now)};
    if (db_exec(db, shipping__sql(SHIP_Q_EVENT_INSERT), e, 8, dberr) < 0)
        return -1;
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "shipment_id", j->shipment_id, "order_id", j->order_id,
                           "buyer_id", j->buyer_id, "seller_id", j->seller_id, "status", "label_created",
                           "tracking_number", j->label.tracking_number);
    int rc = events_emit(db, "shipment.updated", ev, dberr);
    json_decref(ev);
    return rc;
}

static int label_run(struct request *req, struct app_error *err)
{
    struct label_job *j = arena_calloc(req->arena, 1, sizeof *j);
    j->order_id = req_param(req, "id");
    j->seller_id = req->user_id;
    if (load_order(req, j, err) != 0)
        return -1;
    const char *rate_id = jstr(req->json, "rate_id");
    if (rate_id != NULL)
        snprintf(j->rate.object_id, sizeof j->rate.object_id, "%s", rate_id);
    else if (pick_rate(req, j, err) != 0)
        return -1;
    const char *msg = NULL;
    if (shipping__shippo_buy(req->app->cfg, req->arena, j->rate.object_id, &j->label, &msg) != 0) {
        err->log_detail = msg;
        return app_error_set(err, req->arena, "upstream_error", "the shipping provider did not sell the label");
    }
    if (strcmp(j->label.status, "SUCCESS") != 0) {
        err->detail = j->label.message[0] ? arena_strdup(req->arena, j->label.message) : NULL;
        return app_error_set(err, req->arena, "label_purchase_failed", "the label was not bought (status %s)",
                             j->label.status);
    }
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, record_label, j, &dberr) != 0) {
        log_error("shippo label bought but not recorded", "order %s transaction %s", j->order_id, j->label.object_id);
        return req_db_error(req, &dberr, err);
    }
    struct jsonw w;
    jw_init(&w, req->arena, 1024);
    if (write_shipments(req, &w, j->order_id, j->shipment_id, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    res_header(req, "Location", arena_sprintf(req->arena, "/api/v1/orders/%s/shipments", j->order_id));
    res_jsonw(req, 201, &w);
    return 0;
}

int shipping_handle_buy_label(struct request *req, struct app_error *err)
{
    if (!shipping__shippo_enabled(req->app->cfg))
        return app_error_set(err, req->arena, "shipping_labels_unavailable",
                             "labels need the Shippo adapter (shippo_token) configured");
    json_t *b = req->json;
    if (json_object_get(b, "rate_id") == NULL && json_object_get(b, "address_from") == NULL) {
        app_error_add_field(err, req->arena, "rate_id", "required", "give rate_id or address_from");
        return app_error_set(err, req->arena, "validation_failed", "rate_id or address_from is required");
    }
    return req_offload(req, label_run, err);
}
