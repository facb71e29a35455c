/*
 * rt_worker.c — the realtime worker pool: CONNECT authentication, service
 * event handlers (rt_on), presence refresh; and the calls a handler makes
 * (rt_ack, rt_join…).
 *
 * RT_WORKERS threads, each with its own database connection (app_db_open)
 * and its own bounded queue (RT_WORKER_QUEUE). A session's tasks always go
 * to the same worker, so one socket's events run in the order they came.
 * A full queue refuses the event (error ack "service_unavailable" when an
 * ack was asked for) instead of growing, and so does a session that already
 * has RT_SESSION_TASKS tasks waiting or running, so one client blasting
 * events cannot fill the queue its worker shares with other sockets.
 *
 * Caveats: handlers are registered before realtime_start (module init) and
 * the table is read without a lock afterwards. A handler that does not ack
 * leaves the client's callback waiting (the client has its own timeout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/arena.h"
#include "base/error.h"
#include "base/log.h"
#include "db/db.h"
#include "http/http.h"
#include "platform/cache.h"
#include "platform/pubsub.h"
#include "realtime/rt_int.h"

#define MAX_HANDLERS 64

static struct {
    const char *event;
    rt_event_fn fn;
} handlers[MAX_HANDLERS];
static size_t nhandlers;

enum task_kind { TASK_CONNECT, TASK_EVENT, TASK_PRESENCE };

struct task {
    struct task *next;
    enum task_kind kind;
    struct rt_sess *sess; /* ref; NULL for presence */
    char *str;            /* token or event name */
    json_t *args;
    int64_t ack_id;
};

struct worker {
    pthread_t th;
    pthread_cond_t cv;
    struct task *head, *tail;
    unsigned n;
    bool started;
};

static struct worker workers[RT_WORKERS];
static bool workers_stop;

struct rt_call {
    struct rt_sess *sess;
    int64_t ack_id;
    bool acked;
};

void rt_on(const char *event, rt_event_fn fn)
{
    for (size_t i = 0; i < nhandlers; i++)
        APP_ASSERT(strcmp(handlers[i].event, event) != 0);
    APP_ASSERT(nhandlers < MAX_HANDLERS);
    handlers[nhandlers].event = event;
    handlers[nhandlers].fn = fn;
    nhandlers++;
}

static rt_event_fn find_handler(const char *event)
{
    for (size_t i = 0; i < nhandlers; i++)
        if (strcmp(handlers[i].event, event) == 0)
            return handlers[i].fn;
    return NULL;
}

/*-----------------------------------------------------------------------------
 * Queues (rt.mu held)
 */
static void task_free(struct task *t)
{
    if (t->sess != NULL) {
        t->sess->tasks--;
        rt__sess_unref(t->sess);
    }
    free(t->str);
    if (t->args != NULL)
        json_decref(t->args);
    free(t);
}

static int push(unsigned w, struct task *t)
{
    struct worker *wk = &workers[w % RT_WORKERS];
    if (wk->n >= RT_WORKER_QUEUE || workers_stop || (t->sess != NULL && t->sess->tasks >= RT_SESSION_TASKS))
        return -1;
    if (t->sess != NULL) {
        t->sess->tasks++;
        rt__sess_ref(t->sess);
    }
    if (wk->tail != NULL)
        wk->tail->next = t;
    else
        wk->head = t;
    wk->tail = t;
    wk->n++;
    pthread_cond_signal(&wk->cv);
    return 0;
}

static void send_ack(struct rt_sess *s, int64_t ack_id, json_t *args)
{
    size_t len;
    char *pkt = sio_encode(SIO_ACK, NULL, ack_id, args, &len);
    rt__send(s, pkt, len);
    free(pkt);
}

static json_t *error_args(const char *code, const char *message)
{
    return json_pack("[{s:{s:s, s:s}}]", "error", "code", code, "message", message);
}

void rt__task_connect(struct rt_sess *s, const char *token)
{
    struct task *t = xcalloc(1, sizeof *t);
    t->kind = TASK_CONNECT;
    t->sess = s;
    t->str = xstrdup(token);
    if (push(s->worker, t) != 0) {
        t->sess = NULL;
        task_free(t);
        s->sio_connecting = false;
        json_t *o = json_pack("{s:s, s:{s:s}}", "message", "the server is busy; retry", "data", "code",
                              "service_unavailable");
        size_t len;
        char *pkt = sio_encode(SIO_CONNECT_ERROR, NULL, -1, o, &len);
        rt__send(s, pkt, len);
        free(pkt);
        json_decref(o);
    }
}

void rt__task_event(struct rt_sess *s, const char *event, json_t *args, int64_t ack_id)
{
    if (find_handler(event) == NULL) {
        if (ack_id >= 0) {
            json_t *a = error_args("not_found", "unknown event");
            send_ack(s, ack_id, a);
            json_decref(a);
        }
        json_decref(args);
        return;
    }
    struct task *t = xcalloc(1, sizeof *t);
    t->kind = TASK_EVENT;
    t->sess = s;
    t->str = xstrdup(event);
    t->args = args;
    t->ack_id = ack_id;
    if (push(s->worker, t) != 0) {
        t->sess = NULL;
        task_free(t);
        log_warn("realtime: worker queue full, event refused", "%s", event);
        if (ack_id >= 0) {
            json_t *a = error_args("service_unavailable", "the server is busy; retry");
            send_ack(s, ack_id, a);
            json_decref(a);
        }
    }
}

void rt__task_presence(void)
{
    struct task *t = xcalloc(1, sizeof *t);
    t->kind = TASK_PRESENCE;
    if (push(0, t) != 0)
        task_free(t);
}

/*-----------------------------------------------------------------------------
 * Tasks (rt.mu not held)
 */
static int64_t presence_ttl(void)
{
    return 2 * rt.ping_interval + rt.ping_timeout;
}

static void presence_mark(const char *user_id)
{
    if (!pubsub_shared())
        return; /* one instance: rt_user_online asks the local room */
    char key[128];
    snprintf(key, sizeof key, "presence:%s", user_id);
    cache_set(key, "1", 1, presence_ttl());
}

static void run_connect(struct task *t, struct db *db)
{
    struct arena a;
    arena_init(&a, 2048);
    struct request req = {.arena = &a, .app = rt.app, .db = db};
    struct app_error err = {0};
    int rc;
    if (rt.app->authenticate == NULL) {
        rc = app_error_set(&err, &a, "service_unavailable", "authentication is not available");
    } else if (db == NULL) {
        rc = app_error_set(&err, &a, "service_unavailable", "the database is unavailable");
    } else {
        const char *bearer = arena_sprintf(&a, "Bearer %s", t->str);
        rc = rt.app->authenticate(&req, bearer, &err);
    }
    struct rt_sess *s = t->sess;
    bool mark = false;
    pthread_mutex_lock(&rt.mu);
    s->sio_connecting = false;
    if (!s->closed && rc == 0) {
        free(s->user_id);
        free(s->role);
        s->user_id = xstrdup(req.user_id);
        s->role = xstrdup(req.role != NULL ? req.role : "");
        do
            rt__new_id(s->sock_id);
        while (rt__map_get(rt.by_sock, s->sock_id) != NULL);
        rt__map_put(rt.by_sock, s->sock_id, s);
        s->sio_connected = true;
        rt.npending--;
        s->connect_deadline = 0;
        char room[128];
        snprintf(room, sizeof room, "user:%s", s->user_id);
        rt__join(s, room);
        char pkt[64];
        int n = snprintf(pkt, sizeof pkt, "40{\"sid\":\"%s\"}", s->sock_id);
        rt__send(s, pkt, (size_t)n);
        mark = true;
    } else if (!s->closed) {
        json_t *o = json_pack("{s:s, s:{s:s}}", "message", err.msg ? err.msg : "Not authorized", "data", "code",
                              err.code ? err.code : "unauthenticated");
        size_t len;
        char *pkt = sio_encode(SIO_CONNECT_ERROR, NULL, -1, o, &len);
        rt__send(s, pkt, len);
        free(pkt);
        json_decref(o);
    }
    pthread_mutex_unlock(&rt.mu);
    if (mark)
        presence_mark(req.user_id);
    arena_destroy(&a);
}

static void run_event(struct task *t, struct db *db)
{
    rt_event_fn fn = find_handler(t->str);
    struct rt_sess *s = t->sess;
    /* Copies: a DISCONNECT and a new CONNECT may replace them while the handler runs. */
    char sock_id[RT_SID_LEN + 1];
    char *user_id = NULL, *role = NULL;
    pthread_mutex_lock(&rt.mu);
    bool live = !s->closed && s->sio_connected;
    if (live) {
        memcpy(sock_id, s->sock_id, sizeof sock_id);
        user_id = xstrdup(s->user_id);
        role = xstrdup(s->role);
    }
    pthread_mutex_unlock(&rt.mu);
    if (!live || fn == NULL)
        return;
    struct rt_call call = {.sess = s, .ack_id = t->ack_id};
    if (db == NULL) {
        rt_ack_error(&call, "service_unavailable", "the database is unavailable");
    } else {
        struct rt_client who = {.socket_id = sock_id, .user_id = user_id, .role = role};
        fn(&call, &who, db, t->args);
    }
    free(user_id);
    free(role);
}

static void run_presence(void)
{
    size_t n = 0, cap = 0;
    char **users = NULL;
    pthread_mutex_lock(&rt.mu);
    for (struct rt_sess *s = rt.all; s != NULL; s = s->all_next)
        if (s->sio_connected && s->user_id != NULL) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                users = xrealloc(users, cap * sizeof *users);
            }
            users[n++] = xstrdup(s->user_id);
        }
    pthread_mutex_unlock(&rt.mu);
    for (size_t i = 0; i < n; i++) {
        presence_mark(users[i]);
        free(users[i]);
    }
    free(users);
}

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    struct db *db = app_db_open(rt.app);
    pthread_mutex_lock(&rt.mu);
    for (;;) {
        while (wk->head == NULL && !workers_stop)
            pthread_cond_wait(&wk->cv, &rt.mu);
        if (wk->head == NULL)
            break;
        struct task *t = wk->head;
        wk->head = t->next;
        if (wk->head == NULL)
            wk->tail = NULL;
        wk->n--;
        pthread_mutex_unlock(&rt.mu);
        if (db == NULL)
            db = app_db_open(rt.app);
        if (t->kind == TASK_CONNECT)
            run_connect(t, db);
        else if (t->kind == TASK_EVENT)
            run_event(t, db);
        else
            run_presence();
        pthread_mutex_lock(&rt.mu);
        task_free(t);
    }
    pthread_mutex_unlock(&rt.mu);
    if (db != NULL)
        db_close(db);
    return NULL;
}

int rt__workers_start(void)
{
    workers_stop = false;
    for (unsigned i = 0; i < RT_WORKERS; i++) {
        pthread_cond_init(&workers[i].cv, NULL);
        if (pthread_create(&workers[i].th, NULL, worker_main, &workers[i]) != 0)
            return -1;
        workers[i].started = true;
    }
    return 0;
}

void rt__workers_stop(void)
{
    pthread_mutex_lock(&rt.mu);
    workers_stop = true;
    for (unsigned i = 0; i < RT_WORKERS; i++)
        pthread_cond_broadcast(&workers[i].cv);
    pthread_mutex_unlock(&rt.mu);
    for (unsigned i = 0; i < RT_WORKERS; i++) {
        if (workers[i].started)
            pthread_join(workers[i].th, NULL);
        workers[i].started = false;
        pthread_mutex_lock(&rt.mu);
        /* Workers drain their queues before they exit; whatever is left never started. */
        while (workers[i].head != NULL) {
            struct task *t = workers[i].head;
            workers[i].head = t->next;
            task_free(t);
        }
        workers[i].tail = NULL;
        workers[i].n = 0;
        pthread_mutex_unlock(&rt.mu);
        pthread_cond_destroy(&workers[i].cv);
    }
}

/*-----------------------------------------------------------------------------
 * What a handler calls
 */
bool rt_wants_ack(const struct rt_call *call)
{
    return call->ack_id >= 0 && !call->acked;
}

void rt_ack(struct rt_call *call, json_t *args)
{
    if (call->ack_id < 0 || call->acked || !json_is_array(args)) {
        json_decref(args);
        return;
    }
    call->acked = true;
    pthread_mutex_lock(&rt.mu);
    send_ack(call->sess, call->ack_id, args);
    pthread_mutex_unlock(&rt.mu);
    json_decref(args);
}

void rt_ack_error(struct rt_call *call, const char *code, const char *message)
{
    rt_ack(call, error_args(code, message));
}

int rt_join(struct rt_call *call, const char *room)
{
    pthread_mutex_lock(&rt.mu);
    int rc = call->sess->sio_connected ? rt__join(call->sess, room) : -1;
    pthread_mutex_unlock(&rt.mu);
    return rc;
}

int rt_leave(struct rt_call *call, const char *room)
{
    pthread_mutex_lock(&rt.mu);
    int rc = call->sess->closed ? -1 : rt__leave(call->sess, room);
    pthread_mutex_unlock(&rt.mu);
    return rc;
}
