/*
 * ticker.c — periodic background callbacks (see ticker.h).
 *
 * The thread sleeps on a condition variable with an absolute deadline, so
 * ticker_stop() wakes it at once instead of waiting out the interval.
 *
 * Caveats: the deadline uses CLOCK_REALTIME (pthread_cond_timedwait's
 * default clock); a wall-clock jump shortens or lengthens one interval.
 */
#include "platform/ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "app.h"
#include "base/arena.h"
#include "base/log.h"
#include "db/db.h"

struct ticker {
    const struct app *app;
    const char *name;
    int64_t interval_ms;
    ticker_fn fn;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    struct db *db;
};

static void tick(struct ticker *t)
{
    if (t->db == NULL)
        t->db = app_db_open(t->app);
    t->fn(t->db, t->ctx);
}

static void *ticker_main(void *arg)
{
    struct ticker *t = arg;
    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += (time_t)(t->interval_ms / 1000);
        deadline.tv_nsec += (long)(t->interval_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (!t->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&t->cond, &t->lock, &deadline);
        pthread_mutex_unlock(&t->lock);
        tick(t); /* also the last run after stop: what was gathered is written */
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    db_close(t->db);
    t->db = NULL;
    return NULL;
}

struct ticker *ticker_start(const struct app *app, const char *name, int64_t interval_ms, ticker_fn fn, void *ctx)
{
    struct ticker *t = xcalloc(1, sizeof *t);
    *t = (struct ticker){.app = app, .name = name, .interval_ms = interval_ms > 0 ? interval_ms : 1000,
                         .fn = fn, .ctx = ctx};
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    if (pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
        log_error("cannot start a background thread", "%s", name);
        pthread_cond_destroy(&t->cond);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    return t;
}

void ticker_stop(struct ticker *t)
{
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
