/*
 * rt_core.c — sessions, rooms, the Engine.IO / Socket.IO state machine and
 * the WebSocket I/O thread.
 *
 * A session starts on one transport: polling (GET handshake) or WebSocket
 * (upgrade without sid). A polling session may attach a probe WebSocket:
 *
 *   polling --2probe/3probe--> upgrading --5--> websocket
 *        \<-- probe fails or upgrade_timeout --/
 *
 * Outbound packets go straight into the wslay queue on a WebSocket session
 * and into s->q (answered by the next or the suspended GET) otherwise;
 * both are bounded by RT_MAX_QUEUE and a socket over the bound is closed.
 *
 * The I/O thread owns every upgraded fd: epoll (level-triggered) plus an
 * eventfd through which other threads ask it to flush (rt__ws_dirty) or tear
 * down (ws->dead) a WebSocket. It also runs the timers: server pings every
 * ping_interval, a session with no pong within ping_timeout, no CONNECT
 * within connect_timeout, or an unfinished upgrade is closed.
 *
 * Caveats: namespaces other than "/" are refused; binary packets close the
 * connection (no service sends binary); timers are scanned every 50 ms.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/ids.h"
#include "base/log.h"
#include "realtime/rt_int.h"

struct rt_state rt = {.mu = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .evfd = -1};

struct rt_room {
    char *name;
    struct rt_sess **m;
    unsigned n, cap;
};

static unsigned next_worker;

int64_t rt__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rt__new_id(char *out)
{
    unsigned char bin[15];
    random_bytes(bin, sizeof bin);
    sodium_bin2base64(out, RT_SID_LEN + 1, bin, sizeof bin, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/*-----------------------------------------------------------------------------
 * Sessions
 */
bool rt__pending_full(void)
{
    return rt.npending >= rt.max_pending;
}

struct rt_sess *rt__sess_new(bool ws_transport)
{
    struct rt_sess *s = xcalloc(1, sizeof *s);
    do
        rt__new_id(s->sid);
    while (rt__map_get(rt.by_sid, s->sid) != NULL);
    s->refs = 1; /* the tables */
    s->ws_transport = ws_transport;
    s->worker = next_worker++ % RT_WORKERS;
    int64_t now = rt__now();
    s->next_ping = now + rt.ping_interval;
    s->connect_deadline = now + rt.connect_timeout;
    rt__map_put(rt.by_sid, s->sid, s);
    s->all_next = rt.all;
    if (rt.all != NULL)
        rt.all->all_prev = s;
    rt.all = s;
    rt.nsessions++;
    rt.npending++;
    return s;
}

void rt__sess_ref(struct rt_sess *s)
{
    s->refs++;
}

static void queue_free(struct rt_sess *s)
{
    for (struct rt_msg *m = s->q_head, *nx; m != NULL; m = nx) {
        nx = m->next;
        free(m);
    }
    s->q_head = s->q_tail = NULL;
    s->q_bytes = 0;
}

void rt__sess_unref(struct rt_sess *s)
{
    if (--s->refs > 0)
        return;
    queue_free(s);
    free(s->rooms);
    free(s->user_id);
    free(s->role);
    free(s);
}

static void leave_all(struct rt_sess *s)
{
    while (s->nrooms > 0)
        rt__leave(s, s->rooms[s->nrooms - 1]->name);
}

void rt__sess_close(struct rt_sess *s, const char *why)
{
    if (s->closed)
        return;
    s->closed = true;
    log_debug("realtime: session closed", "%s: %s", s->sid, why);
    leave_all(s);
    rt__map_del(rt.by_sid, s->sid);
    if (s->sock_id[0] != '\0')
        rt__map_del(rt.by_sock, s->sock_id);
    if (s->all_prev != NULL)
        s->all_prev->all_next = s->all_next;
    else
        rt.all = s->all_next;
    if (s->all_next != NULL)
        s->all_next->all_prev = s->all_prev;
    rt.nsessions--;
    if (!s->sio_connected)
        rt.npending--;
    queue_free(s);
    if (s->get_conn != NULL && !s->get_resumed) {
        s->get_resumed = true;
        MHD_resume_connection(s->get_conn);
    }
    if (s->ws != NULL) {
        s->ws->dead = true;
        rt__ws_dirty(s->ws);
    }
    rt__sess_unref(s);
}

static int ws_queue(struct rt_ws *ws, const char *pkt, size_t len)
{
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)pkt, len};
    if (rt__ws_queued(ws) + RT_MSG_OVERHEAD + len > RT_MAX_QUEUE || wslay_event_queue_msg(ws->ctx, &m) != 0)
        return -1;
    rt__ws_dirty(ws);
    return 0;
}

void rt__send(struct rt_sess *s, const char *pkt, size_t len)
{
    if (s->closed)
        return;
    if (s->ws_transport) {
        if (s->ws != NULL && !s->ws->dead && ws_queue(s->ws, pkt, len) != 0)
            rt__sess_close(s, "slow consumer: outbound queue full");
        return;
    }
    if (s->q_bytes + RT_MSG_OVERHEAD + len > RT_MAX_QUEUE) {
        rt__sess_close(s, "slow consumer: outbound queue full");
        return;
    }
    struct rt_msg *m = xmalloc(sizeof *m + len + 1);
    m->next = NULL;
    m->len = len;
    memcpy(m->data, pkt, len);
    m->data[len] = '\0';
    if (s->q_tail != NULL)
        s->q_tail->next = m;
    else
        s->q_head = m;
    s->q_tail = m;
    s->q_bytes += RT_MSG_OVERHEAD + len;
    if (s->get_conn != NULL && !s->get_resumed) {
        s->get_resumed = true;
        MHD_resume_connection(s->get_conn);
    }
}

char *rt__handshake(const struct rt_sess *s, bool can_upgrade, size_t *len)
{
    char *out = xmalloc(256);
    int n = snprintf(out, 256,
                     "0{\"sid\":\"%s\",\"upgrades\":%s,\"pingInterval\":%lld,\"pingTimeout\":%lld,\"maxPayload\":%d}",
                     s->sid, can_upgrade ? "[\"websocket\"]" : "[]", (long long)rt.ping_interval,
                     (long long)rt.ping_timeout, RT_MAX_PAYLOAD);
    *len = (size_t)n;
    return out;
}

/*-----------------------------------------------------------------------------
 * Rooms
 */
int rt__join(struct rt_sess *s, const char *room)
{
    if (s->closed || room == NULL || *room == '\0' || strlen(room) > 200)
        return -1;
    for (unsigned i = 0; i < s->nrooms; i++)
        if (strcmp(s->rooms[i]->name, room) == 0)
            return 0;
    if (s->nrooms >= 256)
        return -1;
    struct rt_room *r = rt__map_get(rt.rooms, room);
    if (r == NULL) {
        r = xcalloc(1, sizeof *r);
        r->name = xstrdup(room);
        rt__map_put(rt.rooms, room, r);
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->m = xrealloc(r->m, r->cap * sizeof *r->m);
    }
    r->m[r->n++] = s;
    if (s->nrooms == s->caprooms) {
        s->caprooms = s->caprooms ? s->caprooms * 2 : 2;
        s->rooms = xrealloc(s->rooms, s->caprooms * sizeof *s->rooms);
    }
    s->rooms[s->nrooms++] = r;
    return 0;
}

int rt__leave(struct rt_sess *s, const char *room)
{
    for (unsigned i = 0; i < s->nrooms; i++) {
        struct rt_room *r = s->rooms[i];
        if (strcmp(r->name, room) != 0)
            continue;
        s->rooms[i] = s->rooms[--s->nrooms];
        for (unsigned k = 0; k < r->n; k++)
            if (r->m[k] == s) {
                r->m[k] = r->m[--r->n];
                break;
            }
        if (r->n == 0) {
            rt__map_del(rt.rooms, r->name);
            free(r->name);
            free(r->m);
            free(r);
        }
        return 0;
    }
    return 0;
}

bool rt__room_live(const char *room)
{
    const struct rt_room *r = rt.rooms != NULL ? rt__map_get(rt.rooms, room) : NULL;
    return r != NULL && r->n > 0;
}

void rt__deliver(const char *room, const char *pkt, size_t len, const char *except)
{
    struct rt_room *r = rt.rooms != NULL ? rt__map_get(rt.rooms, room) : NULL;
    if (r == NULL)
        return;
    /* A send may close a slow consumer, which edits r->m: walk a copy. */
    unsigned n = r->n;
    struct rt_sess **m = xmalloc(n * sizeof *m);
    memcpy(m, r->m, n * sizeof *m);
    for (unsigned i = 0; i < n; i++)
        if (except == NULL || strcmp(m[i]->sock_id, except) != 0)
            rt__send(m[i], pkt, len);
    free(m);
}

/*-----------------------------------------------------------------------------
 * Engine.IO and Socket.IO packets from the client
 */
static void connect_error(struct rt_sess *s, const char *nsp, const char *code, const char *message)
{
    json_t *o = code != NULL ? json_pack("{s:s, s:{s:s}}", "message", message, "data", "code", code)
                             : json_pack("{s:s}", "message", message);
    size_t len;
    char *pkt = sio_encode(SIO_CONNECT_ERROR, nsp, -1, o, &len);
    rt__send(s, pkt, len);
    free(pkt);
    json_decref(o);
}

static void sio_disconnect(struct rt_sess *s)
{
    leave_all(s);
    rt__map_del(rt.by_sock, s->sock_id);
    s->sock_id[0] = '\0';
    s->sio_connected = false;
    rt.npending++;
    s->connect_deadline = rt__now() + rt.connect_timeout;
}

static int on_sio(struct rt_sess *s, const char *d, size_t dl)
{
    struct sio_packet p;
    if (sio_decode(d, dl, &p) != 0)
        return -1;
    int rc = 0;
    if (strcmp(p.nsp, "/") != 0) {
        if (p.type == SIO_CONNECT)
            connect_error(s, p.nsp, NULL, "Invalid namespace");
        else if (p.type != SIO_DISCONNECT && p.type != SIO_EVENT && p.type != SIO_ACK)
            rc = -1;
        goto out;
    }
    switch (p.type) {
    case SIO_CONNECT: {
        if (s->sio_connected || s->sio_connecting)
            break;
        const char *token = json_string_value(json_object_get(p.data, "token"));
        if (token == NULL || *token == '\0' || strlen(token) > 4096) {
            connect_error(s, NULL, "unauthenticated", "an access token is required (auth: {token})");
            break;
        }
        s->sio_connecting = true;
        rt__task_connect(s, token);
        break;
    }
    case SIO_DISCONNECT:
        if (s->sio_connected)
            sio_disconnect(s);
        break;
    case SIO_EVENT: {
        if (!s->sio_connected) {
            rc = -1;
            break;
        }
        const json_t *name = json_array_get(p.data, 0);
        if (!json_is_string(name))
            break; /* a numeric event name: valid on the wire, no handler can want it */
        json_t *args = json_array();
        for (size_t i = 1; i < json_array_size(p.data); i++)
            json_array_append(args, json_array_get(p.data, i));
        rt__task_event(s, json_string_value(name), args, p.ack_id);
        break;
    }
    case SIO_ACK:
        break; /* the server never asks the client for an acknowledgement */
    default:
        rc = -1; /* binary packets, CONNECT_ERROR from a client */
        break;
    }
out:
    sio_packet_clear(&p);
    return rc;
}

int rt__on_packet(struct rt_sess *s, const char *pkt, size_t len)
{
    enum eio_type t;
    const char *d;
    size_t dl;
    if (s->closed)
        return 0;
    if (eio_decode(pkt, len, &t, &d, &dl) != 0)
        return -1;
    switch (t) {
    case EIO_PING:
        /* In Engine.IO v4 only the server pings (engine.io: "invalid heartbeat direction").
         * Answering would also let a client turn 2 bytes of POST body into a queued packet
         * each: 500,000 of them per 1 MB POST. ("2probe" on a probe WebSocket is rt_ws.c's.) */
        return -1;
    case EIO_PONG:
        s->pong_deadline = 0;
        s->next_ping = rt__now() + rt.ping_interval;
        return 0;
    case EIO_MESSAGE:
        return on_sio(s, d, dl);
    case EIO_CLOSE:
        rt__sess_close(s, "client closed");
        return 0;
    case EIO_NOOP:
        return 0;
    default:
        return -1;
    }
}
