/*
 * notifications_events.c — domain events (platform/events.h) turned into
 * notifications for the people they concern.
 *
 *   order.placed               seller    order.paid        buyer, seller
 *   order.shipped              buyer     order.delivered   buyer
 *   proposal.received          buyer     proposal.accepted seller
 *   milestone.funded           seller    milestone.released seller
 *   payout.sent                seller    password.changed  the user
 *   seller_application.decided the applicant
 * (message.new comes from chat and webhook.endpoint_disabled from
 * webhooks, through notify_user directly.)
 *
 * Idempotent: the dispatch job may run again after a failure (its own or
 * another subscriber's), so each notification carries the dedupe key
 * "<event_id>:<type>" (event_id: the dispatch job's id, the same on every
 * retry) and a second insert for the same user does nothing. All the
 * recipients of one event are notified in one transaction.
 *
 * The notification's data is the event's data (ids of the order, proposal,
 * payout… for clients to link to) without the event_id.
 */
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "db/db.h"
#include "platform/events.h"
#include "services/notifications/notifications_int.h"

#define MAX_RECIPIENTS 2

struct note {
    const char *user_id, *title, *body;
};

struct event_notes {
    struct arena *a;
    json_t *data; /* the event's data (borrowed) */
    int n;
    struct note notes[MAX_RECIPIENTS];
};

static const char *s(json_t *data, const char *key)
{
    const char *v = json_string_value(json_object_get(data, key));
    return v ? v : "";
}

static void add(struct event_notes *e, const char *user_key, const char *title, const char *body)
{
    const char *user = json_string_value(json_object_get(e->data, user_key));
    if (user != NULL && e->n < MAX_RECIPIENTS)
        e->notes[e->n++] = (struct note){user, title, body};
}

/* "12.50 USD" from {"amount": 1250, "currency": "USD"} or amount/currency beside each other. */
static const char *money(struct event_notes *e)
{
    json_t *amount = json_object_get(e->data, "amount"), *holder = e->data;
    if (json_is_object(amount)) {
        holder = amount;
        amount = json_object_get(amount, "amount");
    }
    if (!json_is_integer(amount))
        return "the amount";
    long long v = (long long)json_integer_value(amount);
    return arena_sprintf(e->a, "%s%lld.%02lld %s", v < 0 ? "-" : "", (v < 0 ? -v : v) / 100, (v < 0 ? -v : v) % 100,
                         s(holder, "currency"));
}

/*-----------------------------------------------------------------------------
 * One function per event type: who to tell, and what.
 */
static void on_order_placed(struct event_notes *e)
{
    add(e, "seller_id", "New order",
        arena_sprintf(e->a, "You have a new order (%s). It is ready to prepare once the buyer has paid.",
                      s(e->data, "order_id")));
}

static void on_order_paid(struct event_notes *e)
{
    const char *order = s(e->data, "order_id");
    add(e, "buyer_id", "Payment received",
        arena_sprintf(e->a, "Your payment for order %s went through. The seller is preparing it.", order));
    add(e, "seller_id", "Order paid",
        arena_sprintf(e->a, "Order %s has been paid. Please prepare it for shipping.", order));
}

static void on_order_shipped(struct event_notes *e)
{
    const char *carrier = s(e->data, "carrier"), *tracking = s(e->data, "tracking_number");
    const char *how = "";
    if (tracking[0])
        how = carrier[0] ? arena_sprintf(e->a, " with %s, tracking number %s", carrier, tracking)
                         : arena_sprintf(e->a, ", tracking number %s", tracking);
    else if (carrier[0])
        how = arena_sprintf(e->a, " with %s", carrier);
    add(e, "buyer_id", "Your order has shipped",
        arena_sprintf(e->a, "Order %s is on its way%s.", s(e->data, "order_id"), how));
}

static void on_order_delivered(struct event_notes *e)
{
    add(e, "buyer_id", "Your order was delivered",
        arena_sprintf(e->a, "Order %s has been delivered. We hope you love it; a review helps the maker.",
                      s(e->data, "order_id")));
}

static void on_proposal_received(struct event_notes *e)
{
    add(e, "buyer_id", "New proposal for your custom order",
        arena_sprintf(e->a, "An artisan sent a proposal for your custom order %s. Review it and accept it when ready.",
                      s(e->data, "custom_order_id")));
}

static void on_proposal_accepted(struct event_notes *e)
{
    add(e, "seller_id", "Your proposal was accepted",
        arena_sprintf(e->a, "The buyer accepted your proposal for custom order %s. Work starts once a milestone is "
                            "funded.",
                      s(e->data, "custom_order_id")));
}

static void on_milestone_funded(struct event_notes *e)
{
    add(e, "seller_id", "Milestone funded",
        arena_sprintf(e->a, "The buyer funded a milestone of %s for custom order %s. You can start on it.", money(e),
                      s(e->data, "custom_order_id")));
}

static void on_milestone_released(struct event_notes *e)
{
    add(e, "seller_id", "Milestone payment released",
        arena_sprintf(e->a, "%s for a milestone of custom order %s was released to your balance.", money(e),
                      s(e->data, "custom_order_id")));
}

static void on_payout_sent(struct event_notes *e)
{
    add(e, "seller_id", "Payout sent",
        arena_sprintf(e->a, "Your payout of %s is on its way to your bank account.", money(e)));
}

static void on_application_decided(struct event_notes *e)
{
    const char *reason = s(e->data, "reason");
    if (strcmp(s(e->data, "decision"), "approved") == 0)
        add(e, "user_id", "Your seller application was approved",
            "Welcome to Artistry Cart as a seller! Your shop is ready: add your first products.");
    else
        add(e, "user_id", "Your seller application was not approved",
            reason[0] ? arena_sprintf(e->a, "Our team's reason: %s", reason)
                      : "Our team could not approve your application this time.");
}

static void on_password_changed(struct event_notes *e)
{
    add(e, "user_id", "Your password was changed",
        "The password of your account was changed and every device was signed out. If this was not you, reset "
        "your password now and contact support.");
}

static const struct {
    const char *type;
    void (*fn)(struct event_notes *e);
} handlers[] = {
    {"order.placed", on_order_placed},
    {"order.paid", on_order_paid},
    {"order.shipped", on_order_shipped},
    {"order.delivered", on_order_delivered},
    {"proposal.received", on_proposal_received},
    {"proposal.accepted", on_proposal_accepted},
    {"milestone.funded", on_milestone_funded},
    {"milestone.released", on_milestone_released},
    {"payout.sent", on_payout_sent},
    {"seller_application.decided", on_application_decided},
    {"password.changed", on_password_changed},
};

/*-----------------------------------------------------------------------------
 * The subscriber
 */
struct notify_tx {
    const char *type, *key;
    json_t *data; /* for the notifications: the event's data minus event_id */
    const struct event_notes *e;
};

static int notify_tx_fn(struct db *tx, void *ctx, struct db_error *err)
{
    struct notify_tx *t = ctx;
    for (int i = 0; i < t->e->n; i++) {
        const struct note *n = &t->e->notes[i];
        if (notif__notify(tx, n->user_id, t->type, n->title, n->body, t->data, t->key, NULL, err) != 0)
            return -1;
    }
    return 0;
}

static int on_event(struct app *app, struct db *db, const char *type, json_t *data, const char **errmsg)
{
    (void)app;
    size_t i;
    for (i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(handlers[i].type, type) == 0)
            break;
    if (i == sizeof handlers / sizeof handlers[0])
        return 0;
    struct arena a;
    arena_init(&a, 2048);
    struct event_notes e = {.a = &a, .data = data};
    handlers[i].fn(&e);
    const char *event_id = json_string_value(json_object_get(data, "event_id"));
    json_t *copy = json_deep_copy(data);
    json_object_del(copy, "event_id");
    struct notify_tx t = {.type = type, .data = copy, .e = &e,
                          .key = event_id ? arena_sprintf(&a, "%s:%s", event_id, type) : NULL};
    struct db_error err = {0};
    int rc = e.n > 0 ? db_tx(db, 3, notify_tx_fn, &t, &err) : 0;
    if (rc != 0) {
        static __thread char msg[300];
        snprintf(msg, sizeof msg, "notifications: %s", err.msg);
        *errmsg = msg;
    }
    json_decref(copy);
    arena_destroy(&a);
    return rc;
}

void notif__subscribe(void)
{
    events_subscribe("*", on_event);
}
