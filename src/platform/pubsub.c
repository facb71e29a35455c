/*
 * pubsub.c — publish/subscribe: in-process, or across instances through
 * Redis PUBLISH/SUBSCRIBE (contract in pubsub.h).
 *
 * In process (redis_url empty) pubsub_publish calls the subscribers on the
 * publisher's thread. With Redis there are two threads:
 *
 *   reader      holds a dedicated SUBSCRIBE connection to every channel
 *               that has a subscriber, and queues each message it reads;
 *   dispatcher  pops the queue and calls the subscribers of the channel.
 *
 * So delivery never runs on the publisher's stack, and a slow subscriber
 * delays other messages but never the Redis connection. Publishing uses a
 * pooled connection (platform/redis.h).
 *
 * Losing Redis: PUBLISH fails fast (the pool's circuit), the message is
 * queued for this instance's subscribers only, and publish returns -1. The
 * reader notices the dead connection (EOF, or no answer to its PING within
 * DEAD_AFTER_MS), reconnects with backoff and subscribes again. While the
 * reader is not subscribed, a successful PUBLISH is also queued locally,
 * since Redis would not deliver it back to us.
 *
 * Caveats: Redis pub/sub is at-most-once: messages published while an
 * instance is disconnected are not replayed (chat stores messages before
 * delivering them; clients catch up through REST). The local queue is
 * bounded (QUEUE_MAX_BYTES); overflow drops messages with a log line.
 */
#include "platform/pubsub.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "platform/redis.h"

#define QUEUE_MAX_BYTES (64u << 20)
#define POLL_MS 200
#define PING_EVERY_MS 3000
#define DEAD_AFTER_MS 10000
#define RECONNECT_MIN_MS 100
#define RECONNECT_MAX_MS 2000

struct sub {
    char *channel;
    pubsub_fn fn;
    void *ud;
    struct sub *next;
};

struct qmsg {
    struct qmsg *next;
    char *channel;
    char *msg;
    size_t len;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* subs, queue */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct sub *subs;
static struct qmsg *qhead, *qtail;
static size_t qbytes;
static atomic_int subs_gen; /* bumped by every subscribe: the reader re-subscribes */

static bool shared;
static atomic_bool running;
static atomic_bool subscribed; /* the reader holds a live subscription to every channel */
static pthread_t reader_thr, dispatch_thr;
static struct redis_log_gate gate_pub, gate_sub, gate_queue;

static int64_t mono_ms(void)
{
    return time_mono_ns() / 1000000;
}

/*-----------------------------------------------------------------------------
 * Subscribers and local delivery
 */
int pubsub_subscribe(const char *channel, pubsub_fn fn, void *ud)
{
    if (channel == NULL || fn == NULL)
        return -1;
    struct sub *s = calloc(1, sizeof *s);
    if (s == NULL || (s->channel = strdup(channel)) == NULL) {
        free(s);
        return -1;
    }
    s->fn = fn;
    s->ud = ud;
    pthread_mutex_lock(&mu);
    s->next = subs;
    subs = s;
    pthread_mutex_unlock(&mu);
    atomic_fetch_add(&subs_gen, 1);
    return 0;
}

/* Call every subscriber of channel. Nodes are only ever prepended while running, so the walk needs no lock. */
static void deliver(const char *channel, const char *msg, size_t len)
{
    pthread_mutex_lock(&mu);
    struct sub *list = subs;
    pthread_mutex_unlock(&mu);
    for (struct sub *s = list; s != NULL; s = s->next)
        if (strcmp(s->channel, channel) == 0)
            s->fn(channel, msg, len, s->ud);
}

/* Queue a copy for the dispatcher. 0, or -1 when the queue is full or out of memory (logged). */
static int enqueue(const char *channel, size_t chlen, const char *msg, size_t len)
{
    struct qmsg *m = calloc(1, sizeof *m);
    char *ch = malloc(chlen + 1), *body = malloc(len + 1);
    if (m == NULL || ch == NULL || body == NULL) {
        free(m), free(ch), free(body);
        return -1;
    }
    memcpy(ch, channel, chlen);
    ch[chlen] = '\0';
    memcpy(body, msg, len);
    body[len] = '\0';
    *m = (struct qmsg){.channel = ch, .msg = body, .len = len};
    pthread_mutex_lock(&mu);
    if (qbytes + len > QUEUE_MAX_BYTES) {
        pthread_mutex_unlock(&mu);
        free(m), free(ch), free(body);
        redis_log_limited(&gate_queue, "pub/sub queue full; message dropped", channel);
        return -1;
    }
    if (qtail != NULL)
        qtail->next = m;
    else
        qhead = m;
    qtail = m;
    qbytes += len;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return 0;
}

static void *dispatch_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (qhead == NULL && atomic_load(&running))
            pthread_cond_wait(&cv, &mu);
        if (qhead == NULL)
            break; /* stopping and drained */
        struct qmsg *m = qhead;
        qhead = m->next;
        if (qhead == NULL)
            qtail = NULL;
        qbytes -= m->len;
        pthread_mutex_unlock(&mu);
        deliver(m->channel, m->msg, m->len);
        free(m->channel), free(m->msg), free(m);
        pthread_mutex_lock(&mu);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

/*-----------------------------------------------------------------------------
 * The reader: one SUBSCRIBE connection
 */

/* Sleep up to ms, waking early when stopping. */
static void nap(int64_t ms)
{
    int64_t until = mono_ms() + ms;
    while (atomic_load(&running) && mono_ms() < until) {
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
}

/* Send SUBSCRIBE for every distinct channel; *want is how many confirmations to expect. 0 or -1. */
static int send_subscribe(redisContext *c, int *want)
{
    pthread_mutex_lock(&mu);
    int n = 0;
    for (struct sub *s = subs; s != NULL; s = s->next)
        n++;
    const char **argv = calloc((size_t)n + 1, sizeof *argv);
    size_t *lens = calloc((size_t)n + 1, sizeof *lens);
    if (argv == NULL || lens == NULL) {
        pthread_mutex_unlock(&mu);
        free(argv), free(lens);
        return -1;
    }
    int argc = 0;
    argv[argc] = "SUBSCRIBE";
    lens[argc++] = 9;
    for (struct sub *s = subs; s != NULL; s = s->next) {
        bool dup = false;
        for (int i = 1; i < argc && !dup; i++)
            dup = strcmp(argv[i], s->channel) == 0;
        if (!dup) {
            argv[argc] = s->channel;
            lens[argc++] = strlen(s->channel);
        }
    }
    int rc = 0;
    *want = argc - 1;
    if (argc > 1)
        rc = redisAppendCommandArgv(c, argc, argv, lens) == REDIS_OK ? 0 : -1;
    pthread_mutex_unlock(&mu); /* the channel strings stay valid until the command is formatted */
    free(argv), free(lens);
    int done = 0;
    while (rc == 0 && !done)
        if (redisBufferWrite(c, &done) != REDIS_OK)
            rc = -1;
    return rc;
}

/* Handle one reply from the subscription. */
static void on_reply(redisReply *r, int *confirmed)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 || r->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = r->element[0]->str;
    if (strcmp(kind, "message") == 0 && r->elements == 3 && r->element[1]->type == REDIS_REPLY_STRING &&
        r->element[2]->type == REDIS_REPLY_STRING)
        enqueue(r->element[1]->str, r->element[1]->len, r->element[2]->str, r->element[2]->len);
    else if (strcmp(kind, "subscribe") == 0)
        (*confirmed)++;
}

/* Serve one connection until it fails or we stop. */
static void serve_connection(redisContext *c)
{
    int gen = atomic_load(&subs_gen), want = 0, confirmed = 0;
    if (send_subscribe(c, &want) != 0)
        return;
    int64_t last_rx = mono_ms(), last_ping = last_rx;
    while (atomic_load(&running)) {
        void *reply = NULL;
        if (redisGetReplyFromReader(c, &reply) != REDIS_OK)
            return;
        if (reply != NULL) {
            on_reply(reply, &confirmed);
            freeReplyObject(reply);
            if (confirmed >= want && !atomic_load(&subscribed)) {
                atomic_store(&subscribed, true);
                log_info("pub/sub subscribed", "%d channel(s)", want);
            }
            continue;
        }
        int now_gen = atomic_load(&subs_gen);
        if (now_gen != gen) {
            gen = now_gen;
            atomic_store(&subscribed, false);
            confirmed = 0;
            if (send_subscribe(c, &want) != 0) /* SUBSCRIBE of a channel already held is confirmed again */
                return;
        }
        int64_t now = mono_ms();
        if (now - last_rx > DEAD_AFTER_MS)
            return;
        if (now - last_ping >= PING_EVERY_MS && now - last_rx >= PING_EVERY_MS) {
            last_ping = now;
            int done = 0;
            if (redisAppendCommand(c, "PING") != REDIS_OK)
                return;
            while (!done)
                if (redisBufferWrite(c, &done) != REDIS_OK)
                    return;
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pfd, 1, POLL_MS);
        if (n < 0)
            continue; /* EINTR */
        if (n > 0) {
            if (redisBufferRead(c) != REDIS_OK)
                return;
            last_rx = mono_ms();
        }
    }
}

static void *reader_main(void *arg)
{
    (void)arg;
    int64_t backoff = RECONNECT_MIN_MS;
    bool lost = false;
    while (atomic_load(&running)) {
        redisContext *c = redis_connect_dedicated();
        if (c == NULL) {
            redis_log_limited(&gate_sub, "pub/sub: redis unreachable; delivering locally", NULL);
            nap(backoff);
            backoff = backoff * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : backoff * 2;
            lost = true;
            continue;
        }
        if (lost)
            log_info("pub/sub: redis reachable again; resubscribing", NULL);
        backoff = RECONNECT_MIN_MS;
        serve_connection(c);
        atomic_store(&subscribed, false);
        if (atomic_load(&running)) {
            redis_log_limited(&gate_sub, "pub/sub: subscription lost; reconnecting",
                              c->errstr[0] != '\0' ? c->errstr : "no answer");
            lost = true;
        }
        redisFree(c);
        if (atomic_load(&running))
            nap(RECONNECT_MIN_MS);
    }
    return NULL;
}

/*-----------------------------------------------------------------------------
 * Lifecycle and publishing
 */
int pubsub_start(const struct config *cfg)
{
    if (cfg == NULL || cfg->redis_url == NULL || cfg->redis_url[0] == '\0')
        return 0;
    if (redis_acquire(cfg->redis_url, cfg->redis_timeout_ms) != 0)
        return -1;
    shared = true;
    atomic_store(&running, true);
    if (pthread_create(&dispatch_thr, NULL, dispatch_main, NULL) != 0) {
        log_error("pub/sub: cannot start its threads", NULL);
        atomic_store(&running, false);
        shared = false;
        redis_release();
        return -1;
    }
    if (pthread_create(&reader_thr, NULL, reader_main, NULL) != 0) {
        log_error("pub/sub: cannot start its threads", NULL);
        pthread_mutex_lock(&mu);
        atomic_store(&running, false);
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
        pthread_join(dispatch_thr, NULL);
        shared = false;
        redis_release();
        return -1;
    }
    log_info("pub/sub on redis", NULL);
    return 0;
}

void pubsub_stop(void)
{
    if (shared) {
        pthread_mutex_lock(&mu);
        atomic_store(&running, false);
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
        pthread_join(reader_thr, NULL);
        pthread_join(dispatch_thr, NULL);
        atomic_store(&subscribed, false);
        shared = false;
        redis_release();
    }
    /* Subscriptions stay: they are made once per process (module start) and hold for a later start. */
    pthread_mutex_lock(&mu);
    struct qmsg *q = qhead;
    qhead = qtail = NULL;
    qbytes = 0;
    pthread_mutex_unlock(&mu);
    for (struct qmsg *next; q != NULL; q = next) {
        next = q->next;
        free(q->channel), free(q->msg), free(q);
    }
}

bool pubsub_shared(void)
{
    return shared;
}

int pubsub_publish(const char *channel, const char *msg, size_t len)
{
    if (channel == NULL || (msg == NULL && len > 0))
        return -1;
    if (!shared) {
        deliver(channel, msg != NULL ? msg : "", len);
        return 0;
    }
    const char *argv[3] = {"PUBLISH", channel, msg != NULL ? msg : ""};
    size_t lens[3] = {7, strlen(channel), len};
    redisReply *r = redis_command_argv(3, argv, lens);
    bool ok = r != NULL && r->type == REDIS_REPLY_INTEGER;
    if (r != NULL)
        freeReplyObject(r);
    if (!ok) {
        redis_log_limited(&gate_pub, "pub/sub: publish failed; delivered on this instance only", channel);
        enqueue(channel, strlen(channel), msg != NULL ? msg : "", len);
        return -1;
    }
    if (!atomic_load(&subscribed))
        enqueue(channel, strlen(channel), msg != NULL ? msg : "", len); /* Redis would not bring it back to us */
    return 0;
}
