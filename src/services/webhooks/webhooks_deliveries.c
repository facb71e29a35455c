/*
 * webhooks_deliveries.c — GET /webhooks/endpoints/:id/deliveries,
 * GET /webhooks/deliveries/:id (with every attempt), POST
 * /webhooks/deliveries/:id/retry and POST /webhooks/endpoints/:id/test.
 *
 * A manual retry or a test only writes rows and enqueues the attempt job
 * (one transaction); the HTTP call happens in the job, never here. A manual
 * retry moves the delivery to pending with next_attempt_at = now, which
 * also supersedes an automatic attempt already scheduled (its job finds a
 * different next_attempt_at and does nothing). Retrying a pending delivery
 * is 409 invalid_state_transition; retrying or testing on a disabled
 * endpoint is 409 webhook_endpoint_disabled (re-enable it first).
 *
 * Caveats: the attempt history is not paginated: a delivery has at most the
 * schedule's attempts plus the manual retries someone asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "http/cursor.h"
#include "services/webhooks/webhooks_int.h"

static json_t *time_or_null(struct request *req, struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? json_null() : json_string(req_time(req, db_column_i64(st, col)));
}

static json_t *text_or_null(struct db_stmt *st, int col)
{
    const char *s = db_column_text(st, col);
    return s ? json_string(s) : json_null();
}

static json_t *int_or_null(struct db_stmt *st, int col)
{
    return db_column_is_null(st, col) ? json_null() : json_integer(db_column_i64(st, col));
}

/* The delivery at the current row (WH_DLV_COLS). */
static json_t *delivery_json(struct request *req, struct db_stmt *st)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:s, s:s}", "id", db_column_text(st, 0),
                     "endpoint_id", db_column_text(st, 1), "event_id", db_column_text(st, 2), "event_type",
                     db_column_text(st, 3), "status", db_column_text(st, 4), "attempts",
                     (json_int_t)db_column_i64(st, 5), "next_attempt_at", time_or_null(req, st, 6), "response_status",
                     int_or_null(st, 7), "response_excerpt", text_or_null(st, 8), "last_error", text_or_null(st, 9),
                     "delivered_at", time_or_null(req, st, 10), "created_at", req_time(req, db_column_i64(st, 11)),
                     "updated_at", req_time(req, db_column_i64(st, 12)));
}

static json_t *delivery_item(struct request *req, struct db_stmt *st, void *ud)
{
    (void)ud;
    return delivery_json(req, st);
}

/* Endpoint id visible to the caller: 1, 0 (404 set), -1 (error set); its status into status (16 bytes). */
static int endpoint_visible(struct request *req, const char *id, char *status, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, webhooks__sql(WH_Q_EP_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    db_bind(st, 3, DB_I64(webhooks__is_admin(req)));
    int rc = db_step(st, &dberr);
    if (rc == 1)
        snprintf(status, 16, "%s", db_column_text(st, 5));
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        app_error_set(err, req->arena, "not_found", "no webhook endpoint %s", id);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Lists and detail
 */
int webhooks_handle_deliveries(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id"), *after = NULL, *next = NULL;
    int64_t limit = req_param_i64(req, "limit", 20), at = 0;
    char status[16];
    int rc = endpoint_visible(req, id, status, err);
    if (rc <= 0)
        return -1;
    if (req_cursor_at(req, WH_DELIVERY_PREFIX, &at, &after, err) != 0)
        return -1;
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, webhooks__sql(WH_Q_DLV_PAGE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, after ? DB_I64(at) : DB_NULL);
    db_bind(st, 3, DB_TEXT(after));
    db_bind(st, 4, DB_I64(limit + 1));
    db_bind(st, 5, DB_TEXT(req_param(req, "status")));
    json_t *data;
    if (req_page_at(req, st, limit, 11, 0, delivery_item, NULL, &data, &next, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    res_page(req, data, next);
    return 0;
}

static int history(struct request *req, const char *id, json_t **out, struct db_error *dberr)
{
    struct db_stmt *st = db_prepare(req->db, webhooks__sql(WH_Q_ATT_LIST), dberr);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(id));
    json_t *arr = json_array();
    int rc;
    while ((rc = db_step(st, dberr)) == 1)
        json_array_append_new(arr, json_pack("{s:I, s:b, s:b, s:o, s:o, s:o, s:I, s:s}", "attempt",
                                             (json_int_t)db_column_i64(st, 0), "manual", db_column_i64(st, 1) != 0,
                                             "succeeded", db_column_i64(st, 2) != 0, "response_status",
                                             int_or_null(st, 3), "response_excerpt", text_or_null(st, 4), "error",
                                             text_or_null(st, 5), "duration_ms", (json_int_t)db_column_i64(st, 6),
                                             "created_at", req_time(req, db_column_i64(st, 7))));
    db_reset(st);
    if (rc < 0) {
        json_decref(arr);
        return -1;
    }
    *out = arr;
    return 0;
}

/* The delivery as the caller may see it, with payload and endpoint status; 1, 0 (404 set), -1. */
static int load_delivery(struct request *req, const char *id, json_t **out, char *ep_status, struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, webhooks__sql(WH_Q_DLV_GET), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(id));
    db_bind(st, 2, DB_TEXT(req->user_id));
    db_bind(st, 3, DB_I64(webhooks__is_admin(req)));
    int rc = db_step(st, &dberr);
    if (rc == 1) {
        *out = delivery_json(req, st);
        json_t *payload = json_loads(db_column_text(st, 13), 0, NULL);
        json_object_set_new(*out, "payload", payload ? payload : json_null());
        snprintf(ep_status, 16, "%s", db_column_text(st, 14));
    }
    db_reset(st);
    if (rc < 0)
        return req_db_error(req, &dberr, err);
    if (rc == 0)
        app_error_set(err, req->arena, "not_found", "no webhook delivery %s", id);
    return rc;
}

int webhooks_handle_delivery(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    json_t *d = NULL, *h = NULL;
    char ep_status[16];
    if (load_delivery(req, id, &d, ep_status, err) <= 0)
        return -1;
    struct db_error dberr = {0};
    if (history(req, id, &h, &dberr) != 0) {
        json_decref(d);
        return req_db_error(req, &dberr, err);
    }
    json_object_set_new(d, "history", h);
    res_json(req, 200, d);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Manual retry
 */
struct retry_tx {
    const char *id;
    int64_t now;
    bool was_pending;
};

static int retry_tx_fn(struct db *tx, void *ctx, struct db_error *err)
{
    struct retry_tx *t = ctx;
    struct db_param p[] = {DB_TEXT(t->id), DB_I64(t->now)};
    int64_t n = db_exec(tx, webhooks__sql(WH_Q_DLV_RETRY), p, 2, err);
    if (n < 0)
        return -1;
    t->was_pending = n == 0;
    return n == 0 ? 0 : webhooks__enqueue(tx, t->id, t->now, true, err);
}

int webhooks_handle_retry(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    json_t *d = NULL;
    char ep_status[16];
    if (load_delivery(req, id, &d, ep_status, err) <= 0)
        return -1;
    json_decref(d);
    if (strcmp(ep_status, "active") != 0)
        return app_error_set(err, req->arena, "webhook_endpoint_disabled",
                             "the endpoint is disabled: re-enable it (PATCH status \"active\") first");
    struct retry_tx t = {.id = id, .now = time_now_ms()};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, retry_tx_fn, &t, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    if (t.was_pending)
        return app_error_set(err, req->arena, "invalid_state_transition", "the delivery is already queued");
    if (load_delivery(req, id, &d, ep_status, err) <= 0)
        return -1;
    res_json(req, 202, d);
    return 0;
}

/*-----------------------------------------------------------------------------
 * Test event
 */
struct test_tx {
    const char *delivery_id, *endpoint_id, *event_id, *body;
    int64_t now;
};

static int test_tx_fn(struct db *tx, void *ctx, struct db_error *err)
{
    struct test_tx *t = ctx;
    struct db_param p[] = {DB_TEXT(t->delivery_id), DB_TEXT(t->endpoint_id), DB_TEXT(t->event_id),
                           DB_TEXT("webhook.test"), DB_TEXT(t->body),        DB_I64(t->now)};
    if (db_exec(tx, webhooks__sql(WH_Q_DLV_INSERT), p, 6, err) < 0)
        return -1;
    return webhooks__enqueue(tx, t->delivery_id, t->now, true, err);
}

int webhooks_handle_test(struct request *req, struct app_error *err)
{
    const char *id = req_param(req, "id");
    char status[16];
    int rc = endpoint_visible(req, id, status, err);
    if (rc <= 0)
        return -1;
    if (strcmp(status, "active") != 0)
        return app_error_set(err, req->arena, "webhook_endpoint_disabled",
                             "the endpoint is disabled: re-enable it (PATCH status \"active\") first");
    char did[ID_MAX_LEN], eid[ID_MAX_LEN];
    struct test_tx t = {.delivery_id = id_generate(WH_DELIVERY_PREFIX, did, sizeof did),
                        .endpoint_id = id,
                        .event_id = id_generate("evt", eid, sizeof eid),
                        .now = time_now_ms()};
    json_t *data = json_pack("{s:s, s:s, s:s}", "endpoint_id", id, "requested_by", req->user_id, "message",
                             "This is a test event from Artistry Cart.");
    char *body = webhooks__envelope(eid, "webhook.test", t.now, data);
    json_decref(data);
    t.body = arena_strdup(req->arena, body);
    free(body);
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, test_tx_fn, &t, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    json_t *d = NULL;
    if (load_delivery(req, did, &d, status, err) <= 0)
        return -1;
    res_json(req, 202, d);
    return 0;
}
