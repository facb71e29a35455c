/*
 * shipping_webhook.c — POST /shipping/webhooks/shippo: Shippo's
 * track_updated events move shipments along.
 *
 * Authentication: Shippo signs nothing by default, so the webhook URL
 * registered at Shippo carries a secret, `?token=<shippo_webhook_token>`,
 * compared in constant time; a missing or wrong token (or no token
 * configured) is 401 and records nothing.
 *
 * Body (Shippo's track_updated event):
 *   {"event": "track_updated", "test": false, "data": {"carrier": "usps",
 *    "tracking_number": "…", "tracking_status": {"object_id", "status",
 *    "substatus": {"code"}, "status_details", "status_date",
 *    "location": {"city", "state", "zip", "country"}},
 *    "tracking_history": [same shape, oldest first]}}
 * Status mapping: PRE_TRANSIT → label_created, TRANSIT → in_transit (with
 * substatus out_for_delivery → out_for_delivery), DELIVERED → delivered,
 * RETURNED → returned, FAILURE → failed, UNKNOWN → an "unknown" event that
 * does not move the shipment.
 *
 * In one transaction: every history entry and the current status become
 * shipment_events (deduplicated by Shippo's object_id, else status+date,
 * so a re-delivered event adds nothing); the shipment's status moves only
 * to a new value and only when no later event is already recorded (events
 * out of order add history, never move the status back); when it moved,
 * the event shipment.updated is emitted, and on delivered
 * orders_carrier_delivered() moves the order.
 *
 * Answers 200 {"received": true, "matched": bool}: an unknown tracking
 * number or another event type is acknowledged (Shippo would otherwise
 * retry) and logged. A body that is not JSON is 400.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/events.h"
#include "services/orders/orders.h"
#include "services/shipping/shipping_int.h"

static const char *map_status(json_t *ts)
{
    const char *s = json_string_value(json_object_get(ts, "status"));
    const char *sub = json_string_value(json_object_get(json_object_get(ts, "substatus"), "code"));
    if (s == NULL)
        return NULL;
    if (strcmp(s, "PRE_TRANSIT") == 0)
        return "label_created";
    if (strcmp(s, "TRANSIT") == 0)
        return sub && strcmp(sub, "out_for_delivery") == 0 ? "out_for_delivery" : "in_transit";
    if (strcmp(s, "DELIVERED") == 0)
        return "delivered";
    if (strcmp(s, "RETURNED") == 0)
        return "returned";
    if (strcmp(s, "FAILURE") == 0)
        return "failed";
    return "unknown";
}

static bool token_ok(struct request *req)
{
    const char *want = req->app->cfg->shippo_webhook_token, *got = req_param(req, "token");
    if (want == NULL || want[0] == '\0' || got == NULL || strlen(got) != strlen(want))
        return false;
    return sodium_memcmp(want, got, strlen(want)) == 0;
}

struct hook_tx {
    struct request *req;
    json_t *data;
    bool matched;
    char shipment_id[ID_MAX_LEN], order_id[ID_MAX_LEN], buyer_id[ID_MAX_LEN], seller_id[ID_MAX_LEN];
};

static int64_t event_time(json_t *ts)
{
    int64_t ms;
    const char *d = json_string_value(json_object_get(ts, "status_date"));
    return d != NULL && time_parse_rfc3339(d, &ms) == 0 ? ms : time_now_ms();
}

/* Record one tracking status as an event (once). */
static int add_event(struct db *db, struct hook_tx *t, json_t *ts, struct db_error *dberr)
{
    const char *status = map_status(ts);
    if (status == NULL)
        return 0;
    json_t *loc = json_object_get(ts, "location");
    char where[200] = "";
    const char *parts[] = {json_string_value(json_object_get(loc, "city")),
                           json_string_value(json_object_get(loc, "state")),
                           json_string_value(json_object_get(loc, "country"))};
    for (size_t i = 0; i < 3; i++)
        if (parts[i] != NULL && parts[i][0] != '\0')
            snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s", where[0] ? ", " : "", parts[i]);
    const char *ref = json_string_value(json_object_get(ts, "object_id"));
    int64_t at = event_time(ts);
    if (ref == NULL)
        ref = arena_sprintf(t->req->arena, "%s@%lld", status, (long long)at);
    char id[ID_MAX_LEN];
    struct db_param p[] = {DB_TEXT(id_generate("she", id, sizeof id)),
                           DB_TEXT(t->shipment_id),
                           DB_TEXT(status),
                           DB_TEXT(json_string_value(json_object_get(ts, "status_details"))),
                           DB_TEXT(where[0] ? where : NULL),
                           DB_TEXT(ref),
                           DB_I64(at),
                           DB_I64(time_now_ms())};
    return db_exec(db, shipping__sql(SHIP_Q_EVENT_INSERT), p, 8, dberr) < 0 ? -1 : 0;
}

static int find_shipment(struct db *db, struct hook_tx *t, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(db, shipping__sql(SHIP_Q_SHIPMENT_BY_TRACKING), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(json_string_value(json_object_get(t->data, "tracking_number"))));
    db_bind(st, 2, DB_TEXT(json_string_value(json_object_get(t->data, "carrier"))));
    int rc = db_step(st, dberr);
    if (rc == 1) {
        snprintf(t->shipment_id, sizeof t->shipment_id, "%s", db_column_text(st, 0));
        snprintf(t->order_id, sizeof t->order_id, "%s", db_column_text(st, 1));
        snprintf(t->buyer_id, sizeof t->buyer_id, "%s", db_column_text(st, 3));
        snprintf(t->seller_id, sizeof t->seller_id, "%s", db_column_text(st, 4));
    }
    db_reset(st);
    t->matched = rc == 1;
    return rc < 0 ? -1 : 0;
}

/* The shipment takes the current status (if newest and new): event, and the order on delivery. */
static int move_status(struct db *db, struct hook_tx *t, json_t *ts, struct db_error *dberr)
{
    const char *status = map_status(ts);
    if (status == NULL || strcmp(status, "unknown") == 0)
        return 0;
    struct db_param p[] = {DB_TEXT(t->shipment_id), DB_TEXT(status), DB_I64(event_time(ts)), DB_I64(time_now_ms())};
    int64_t n = db_exec(db, shipping__sql(SHIP_Q_SHIPMENT_SET_STATUS), p, 4, dberr);
    if (n <= 0)
        return n < 0 ? -1 : 0;
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "shipment_id", t->shipment_id, "order_id", t->order_id,
                           "buyer_id", t->buyer_id, "seller_id", t->seller_id, "status", status, "tracking_number",
                           json_string_value(json_object_get(t->data, "tracking_number")));
    int rc = events_emit(db, "shipment.updated", ev, dberr);
    json_decref(ev);
    if (rc == 0 && strcmp(status, "delivered") == 0)
        rc = orders_carrier_delivered(db, t->order_id, dberr);
    return rc;
}

static int hook_tx(struct db *db, void *arg, struct db_error *dberr)
{
    struct hook_tx *t = arg;
    if (find_shipment(db, t, dberr) != 0 || !t->matched)
        return t->matched ? -1 : 0;
    json_t *ts = json_object_get(t->data, "tracking_status"), *h;
    size_t i;
    json_array_foreach(json_object_get(t->data, "tracking_history"), i, h)
    {
        if (json_is_object(h) && add_event(db, t, h, dberr) != 0)
            return -1;
    }
    if (!json_is_object(ts))
        return 0;
    /* Status first: its "no later event" test must not see this very event. */
    if (move_status(db, t, ts, dberr) != 0)
        return -1;
    return add_event(db, t, ts, dberr);
}

int shipping_handle_shippo_webhook(struct request *req, struct app_error *err)
{
    if (!token_ok(req))
        return app_error_set(err, req->arena, "invalid_webhook_token", "missing or wrong webhook token");
    json_error_t jerr;
    json_t *body = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        return app_error_set(err, req->arena, "malformed_json", "the body is not a JSON object");
    }
    struct hook_tx t = {.req = req, .data = json_object_get(body, "data")};
    const char *event = json_string_value(json_object_get(body, "event"));
    int rc = 0;
    if (event != NULL && strcmp(event, "track_updated") == 0 && json_is_object(t.data) &&
        json_is_string(json_object_get(t.data, "tracking_number"))) {
        struct db_error dberr = {0};
        if (db_tx(req->db, 3, hook_tx, &t, &dberr) != 0)
            rc = req_db_error(req, &dberr, err);
    }
    if (rc == 0 && !t.matched)
        log_info("shippo webhook not matched", "event %s", event ? event : "(none)");
    json_decref(body);
    if (rc != 0)
        return -1;
    json_t *res = json_pack("{s:b, s:b}", "received", 1, "matched", t.matched ? 1 : 0);
    res_json(req, 200, res);
    return 0;
}
