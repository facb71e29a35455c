/*
 * events.h — domain events: "this happened" records that other parts react
 * to (notifications, outbound webhooks), carried by the job queue.
 *
 * events_emit enqueues one job of kind "events.dispatch" inside the caller's
 * transaction, so an event exists if and only if the change it reports
 * committed. Its payload is {"type": "order.paid", "data": {…}, "at": ms}.
 * The dispatcher hands each event to every subscriber registered for its
 * type (events_subscribe); with no subscriber the event is recorded in the
 * job table and logged at debug level, nothing else.
 *
 * Types in use: order.placed, order.paid, order.shipped, order.delivered,
 * order.cancelled, order.refunded, shipment.updated, proposal.received,
 * proposal.accepted, milestone.funded, milestone.delivered, milestone.released,
 * dispute.opened, dispute.resolved, payout.sent, payout.failed,
 * password.changed {user_id}, seller_application.decided {user_id,
 * application_id, decision: approved|rejected, reason?}, review.posted
 * {review_id, product_id, seller_id, shop_id, buyer_id, rating},
 * message.received {conversation_id, message_id, sender_id, recipient_id,
 * buyer_id, seller_id}.
 * Each data object carries the ids of the subject and of the users to tell
 * ("buyer_id", "seller_id"). Subscribers also find "event_id" in data: the
 * dispatch job's id, stable across retries, to dedupe on.
 */
#ifndef ARTISTRY_PLATFORM_EVENTS_H
#define ARTISTRY_PLATFORM_EVENTS_H

#include <jansson.h>

struct app;
struct db;
struct db_error;
struct job_registry;

/** Enqueue the event (data is borrowed, not stolen). 0 or -1. */
int events_emit(struct db *tx, const char *type, json_t *data, struct db_error *err);

/** A subscriber: 0 handled, -1 failed (the dispatch job is retried; subscribers must be idempotent). */
typedef int (*events_fn)(struct app *app, struct db *db, const char *type, json_t *data, const char **errmsg);

/** Subscribe fn to events of type ("*" for all). At init only. */
void events_subscribe(const char *type, events_fn fn);

/** Register the "events.dispatch" job kind. Called once by serve. */
void events_register_jobs(struct job_registry *r);

#endif
