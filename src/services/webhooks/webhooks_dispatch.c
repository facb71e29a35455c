/*
 * webhooks_dispatch.c — from a domain event to delivery rows.
 *
 * The subscriber ("*", src/platform/events.h) runs inside the
 * events.dispatch job. For an event of a subscribable type it finds the
 * active endpoints that may see it (the scoping rule below), keeps those
 * subscribed to the type (or "*"), and in one transaction inserts one
 * webhook_deliveries row per endpoint and enqueues its first attempt. The
 * body is built here, once, and stored: every attempt sends the same bytes.
 *
 * Event ids: the dispatcher puts "event_id" (the dispatch job's id, the
 * same on every retry of the dispatch) into data; the public id is "evt_"
 * plus that id's body, and created_at is the time encoded in it (ULID: the
 * job was made when the event was emitted). UNIQUE (endpoint_id, event_id)
 * plus ON CONFLICT DO NOTHING make a retried dispatch insert nothing twice,
 * and only a new row gets a job. "event_id" is removed from the data sent.
 *
 * Scoping: admins' endpoints get every subscribable event. A seller's
 * endpoint gets an event whose subject seller is the seller: data.seller_id
 * for every type except message.received, where it is data.recipient_id
 * (or data.seller_id when data.sender_id is someone else). Buyers cannot
 * have endpoints. Other types (password.changed, seller_application.decided:
 * personal account events) are never delivered.
 *
 * Caveats: an event emitted without "event_id" (an older dispatcher) gets
 * an id hashed from its type and data: stable across retries, but two
 * identical events would share it.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/events.h"
#include "services/webhooks/webhooks_int.h"

const char *const webhooks_event_types[] = {
    "order.placed",
    "order.paid",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
    "order.refunded",
    "shipment.updated",
    "proposal.received",
    "proposal.accepted",
    "milestone.funded",
    "milestone.delivered",
    "milestone.released",
    "dispute.opened",
    "dispute.resolved",
    "payout.sent",
    "payout.failed",
    "review.posted",
    "message.received",
    NULL,
};

bool webhooks__known_type(const char *type)
{
    for (int i = 0; webhooks_event_types[i] != NULL; i++)
        if (strcmp(webhooks_event_types[i], type) == 0)
            return true;
    return false;
}

char *webhooks__envelope(const char *event_id, const char *type, int64_t at_ms, json_t *data)
{
    char ts[40];
    time_format_rfc3339(at_ms, ts, sizeof ts);
    json_t *env = json_pack("{s:s, s:s, s:s, s:O}", "id", event_id, "type", type, "created_at", ts, "data", data);
    char *text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    return text;
}

/*-----------------------------------------------------------------------------
 * Event identity
 */

/* Milliseconds encoded in a ULID body (first 10 Crockford base32 characters), or -1. */
static int64_t ulid_ms(const char *body)
{
    static const char digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    int64_t v = 0;
    for (int i = 0; i < 10; i++) {
        const char *p = body[i] ? strchr(digits, body[i]) : NULL;
        if (p == NULL)
            return -1;
        v = v * 32 + (p - digits);
    }
    return v;
}

static void event_identity(const char *type, json_t *data, char *id, size_t cap, int64_t *at_ms)
{
    const char *src = json_string_value(json_object_get(data, "event_id"));
    const char *body = src ? strrchr(src, '_') : NULL;
    *at_ms = time_now_ms();
    if (body != NULL && strlen(body + 1) == ID_BODY_LEN) {
        snprintf(id, cap, "evt_%s", body + 1);
        int64_t t = ulid_ms(body + 1);
        if (t > 0)
            *at_ms = t;
        return;
    }
    unsigned char h[16];
    char hex[33];
    char *text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)type, strlen(type));
    if (text != NULL)
        crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
    crypto_generichash_final(&st, h, sizeof h);
    free(text);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(id, cap, "evt_%s", hex);
}

/*-----------------------------------------------------------------------------
 * Scoping
 */
static void subject_users(const char *type, json_t *data, const char **a, const char **b)
{
    const char *seller = json_string_value(json_object_get(data, "seller_id"));
    *a = *b = NULL;
    if (strcmp(type, "message.received") == 0) {
        const char *to = json_string_value(json_object_get(data, "recipient_id"));
        const char *from = json_string_value(json_object_get(data, "sender_id"));
        if (to != NULL)
            *a = to;
        else if (seller != NULL && (from == NULL || strcmp(from, seller) != 0))
            *a = seller;
        return;
    }
    *a = seller;
}

static bool subscribed(const char *types_json, const char *type)
{
    json_t *arr = json_loads(types_json ? types_json : "[]", 0, NULL);
    bool yes = false;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (s != NULL && (strcmp(s, "*") == 0 || strcmp(s, type) == 0))
            yes = true;
    }
    json_decref(arr);
    return yes;
}

/*-----------------------------------------------------------------------------
 * The subscriber
 */
struct dispatch_tx {
    const char *type, *event_id, *user_a, *user_b;
    const char *body;
    int created;
};

static int dispatch_tx_fn(struct db *tx, void *ctx, struct db_error *err)
{
    struct dispatch_tx *t = ctx;
    t->created = 0;
    struct db_stmt *st = db_prepare(tx, webhooks__sql(WH_Q_EP_MATCH), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(t->user_a));
    db_bind(st, 2, DB_TEXT(t->user_b));
    /* Collect first: one statement at a time per connection. */
    json_t *ids = json_array();
    int rc;
    while ((rc = db_step(st, err)) == 1)
        if (subscribed(db_column_text(st, 1), t->type))
            json_array_append_new(ids, json_string(db_column_text(st, 0)));
    db_reset(st);
    size_t i;
    json_t *v;
    int64_t now = time_now_ms();
    json_array_foreach(ids, i, v)
    {
        if (rc < 0)
            break;
        char id[ID_MAX_LEN];
        id_generate(WH_DELIVERY_PREFIX, id, sizeof id);
        struct db_param p[] = {DB_TEXT(id),          DB_TEXT(json_string_value(v)),
                               DB_TEXT(t->event_id), DB_TEXT(t->type),
                               DB_TEXT(t->body),     DB_I64(now)};
        int64_t n = db_exec(tx, webhooks__sql(WH_Q_DLV_INSERT), p, 6, err);
        if (n < 0 || (n == 1 && webhooks__enqueue(tx, id, now, false, err) != 0))
            rc = -1;
        else
            t->created += (int)n;
    }
    json_decref(ids);
    return rc < 0 ? -1 : 0;
}

static int on_event(struct app *app, struct db *db, const char *type, json_t *data, const char **errmsg)
{
    (void)app;
    if (!webhooks__known_type(type))
        return 0;
    struct dispatch_tx t = {.type = type};
    char event_id[ID_MAX_LEN + 8];
    int64_t at;
    event_identity(type, data, event_id, sizeof event_id, &at);
    subject_users(type, data, &t.user_a, &t.user_b);
    t.event_id = event_id;
    json_t *clean = json_deep_copy(data);
    json_object_del(clean, "event_id");
    char *body = webhooks__envelope(event_id, type, at, clean);
    json_decref(clean);
    if (body == NULL) {
        *errmsg = "webhooks: could not encode the event";
        return -1;
    }
    t.body = body;
    struct db_error err = {0};
    int rc = db_tx(db, 5, dispatch_tx_fn, &t, &err);
    free(body);
    if (rc != 0) {
        *errmsg = "webhooks: could not record deliveries";
        log_warn("webhooks: dispatch failed", "type=%s event=%s err=%s", type, event_id, err.msg);
        return -1;
    }
    if (t.created > 0)
        log_msg(LOG_DEBUG, "webhooks: deliveries created", "type=%s event=%s n=%d", type, event_id, t.created);
    return 0;
}

void webhooks__subscribe(void)
{
    events_subscribe("*", on_event);
}
