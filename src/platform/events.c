/*
 * events.c — domain events over the job queue (see events.h).
 */
#include "platform/events.h"

#include <string.h>

#include "base/log.h"
#include "base/timeutil.h"
#include "platform/jobs.h"

#define EVENTS_MAX_SUBSCRIBERS 32
#define EVENTS_MAX_ATTEMPTS 8

static struct {
    const char *type;
    events_fn fn;
} subscribers[EVENTS_MAX_SUBSCRIBERS];
static int nsubscribers;

void events_subscribe(const char *type, events_fn fn)
{
    if (nsubscribers == EVENTS_MAX_SUBSCRIBERS) {
        log_error("events: too many subscribers", "type=%s", type);
        return;
    }
    subscribers[nsubscribers].type = type;
    subscribers[nsubscribers].fn = fn;
    nsubscribers++;
}

int events_emit(struct db *tx, const char *type, json_t *data, struct db_error *err)
{
    json_t *payload = json_pack("{s:s, s:O, s:I}", "type", type, "data", data, "at", (json_int_t)time_now_ms());
    if (payload == NULL)
        return -1;
    int rc = jobs_enqueue(tx, "events.dispatch", payload, NULL, NULL, err);
    json_decref(payload);
    return rc;
}

static int dispatch_job(struct job *job, const char **errmsg)
{
    const char *type = json_string_value(json_object_get(job->payload, "type"));
    json_t *data = json_object_get(job->payload, "data");
    if (type == NULL || !json_is_object(data)) {
        *errmsg = "malformed event";
        return -1;
    }
    /* The event's id, for subscribers that dedupe (notifications, webhooks): the
     * dispatch job's id, the same on every retry. */
    if (job->id != NULL && json_object_get(data, "event_id") == NULL)
        json_object_set_new(data, "event_id", json_string(job->id));
    int handled = 0;
    for (int i = 0; i < nsubscribers; i++) {
        if (strcmp(subscribers[i].type, "*") != 0 && strcmp(subscribers[i].type, type) != 0)
            continue;
        if (subscribers[i].fn(job->app, job->db, type, data, errmsg) < 0)
            return -1;
        handled++;
    }
    if (handled == 0)
        log_msg(LOG_DEBUG, "event without subscriber", "type=%s", type);
    return 0;
}

void events_register_jobs(struct job_registry *r)
{
    jobs_register(r, "events.dispatch", dispatch_job, EVENTS_MAX_ATTEMPTS);
}
