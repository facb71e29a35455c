/*
 * accesslog.c — double-buffered access log writer.
 *
 * Caveats: see accesslog.h.
 */
#include "http/accesslog.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

#define BUF_CAP (64 * 1024)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static char bufs[2][BUF_CAP];
static size_t used;
static int cur;
static bool running, stopping;
static pthread_t flusher;
/* Serialises writes so lines leave in the order they were buffered. */
static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER;

/*
 * Swap buffers and write the full one. Called with mu held; returns with mu
 * held. write_mu is taken before the swap, so the buffer being swapped in is
 * never still being written by an earlier flush (lock order: mu, write_mu).
 */
static void flush_locked(void)
{
    if (used == 0)
        return;
    pthread_mutex_lock(&write_mu);
    int full = cur;
    size_t n = used;
    cur ^= 1;
    used = 0;
    pthread_mutex_unlock(&mu);
    log_write_line(bufs[full], n);
    pthread_mutex_unlock(&write_mu);
    pthread_mutex_lock(&mu);
}

static void *flush_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&cv, &mu, &ts);
        flush_locked();
    }
    flush_locked();
    pthread_mutex_unlock(&mu);
    return NULL;
}

void accesslog_start(void)
{
    pthread_mutex_lock(&mu);
    if (running) {
        pthread_mutex_unlock(&mu);
        return;
    }
    stopping = false;
    running = pthread_create(&flusher, NULL, flush_loop, NULL) == 0;
    pthread_mutex_unlock(&mu);
}

void accesslog_append(const char *line, size_t len)
{
    pthread_mutex_lock(&mu);
    if (!running || len > BUF_CAP) {
        pthread_mutex_unlock(&mu);
        log_write_line(line, len);
        return;
    }
    if (used + len > BUF_CAP)
        flush_locked();
    memcpy(bufs[cur] + used, line, len);
    used += len;
    pthread_mutex_unlock(&mu);
}

void accesslog_stop(void)
{
    pthread_mutex_lock(&mu);
    if (!running) {
        pthread_mutex_unlock(&mu);
        return;
    }
    stopping = true;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(flusher, NULL);
    running = false;
}
