/*
 * rt_ws.c — the realtime I/O thread: upgraded sockets driven by wslay, the
 * eventfd wake-up, the timers.
 *
 * Every wslay call happens with rt.mu held, so other threads may queue
 * frames (rt__send) and then wake this thread to write them. A WebSocket
 * is torn down only here: epoll_ctl DEL, wslay context freed, then — after
 * rt.mu is dropped — MHD_upgrade_action(CLOSE), which closes the fd and
 * lets libmicrohttpd release the connection.
 *
 * Caveats: the fd is level-triggered; a socket that cannot take our writes
 * keeps EPOLLOUT interest until its queue drains or it exceeds RT_MAX_QUEUE.
 * One service() reads at most RT_RECV_BUDGET bytes; what is left in the
 * socket makes epoll report it again on the next turn.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/log.h"
#include "realtime/rt_int.h"

static struct MHD_UpgradeResponseHandle **closing;
static size_t nclosing, capclosing;
static bool io_running;

void rt__wake(void)
{
    uint64_t one = 1;
    if (rt.evfd >= 0 && write(rt.evfd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_warn("realtime: cannot wake the I/O thread", "%s", strerror(errno));
}

void rt__ws_dirty(struct rt_ws *ws)
{
    if (ws->in_dirty)
        return;
    ws->in_dirty = true;
    ws->dirty_next = rt.dirty;
    rt.dirty = ws;
    rt__wake();
}

size_t rt__ws_queued(struct rt_ws *ws)
{
    return wslay_event_get_queued_msg_length(ws->ctx) + wslay_event_get_queued_msg_count(ws->ctx) * RT_MSG_OVERHEAD;
}

/*-----------------------------------------------------------------------------
 * wslay callbacks (rt.mu held)
 */
static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
    (void)flags;
    struct rt_ws *ws = ud;
    /* Budget spent: stop as if the socket were empty; the fd stays readable (level-triggered). */
    if (ws->recv_budget == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (len > ws->recv_budget)
        len = ws->recv_budget;
    if (ws->extra_off < ws->extra_len) {
        size_t n = ws->extra_len - ws->extra_off;
        if (n > len)
            n = len;
        memcpy(buf, ws->extra + ws->extra_off, n);
        ws->extra_off += n;
        ws->recv_budget -= n;
        return (ssize_t)n;
    }
    ssize_t r = recv(ws->fd, buf, len, 0);
    if (r < 0) {
        wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? WSLAY_ERR_WOULDBLOCK
                                                                                           : WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    if (r == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    ws->recv_budget -= (size_t)r;
    return r;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)flags;
    struct rt_ws *ws = ud;
    ssize_t r = send(ws->fd, data, len, MSG_NOSIGNAL);
    if (r < 0) {
        wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? WSLAY_ERR_WOULDBLOCK
                                                                                           : WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return r;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *ud)
{
    (void)ctx;
    (void)ud;
    memset(buf, 0, len); /* a server never masks */
    return 0;
}

static int ws_queue_raw(struct rt_ws *ws, const char *pkt, size_t len)
{
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)pkt, len};
    return wslay_event_queue_msg(ws->ctx, &m);
}

static void upgrade_done(struct rt_ws *ws, struct rt_sess *s)
{
    s->ws_transport = true;
    s->upgrading = false;
    s->upgrade_deadline = 0;
    ws->probing = false;
    for (struct rt_msg *m = s->q_head, *nx; m != NULL; m = nx) {
        nx = m->next;
        if (ws_queue_raw(ws, m->data, m->len) != 0)
            ws->dead = true;
        free(m);
    }
    s->q_head = s->q_tail = NULL;
    s->q_bytes = 0;
    if (s->get_conn != NULL && !s->get_resumed) {
        s->get_resumed = true;
        MHD_resume_connection(s->get_conn);
    }
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *ud)
{
    (void)ctx;
    struct rt_ws *ws = ud;
    struct rt_sess *s = ws->sess;
    if (ws->dead || s->closed)
        return;
    if (arg->opcode == WSLAY_PING && rt__ws_queued(ws) > RT_MAX_QUEUE) {
        /* wslay queued a pong for every ping with no bound: a client that pings and never
         * reads would grow it forever. Stop reading and drop it like any slow consumer. */
        wslay_event_shutdown_read(ctx);
        ws->dead = true;
        return;
    }
    if (arg->opcode == WSLAY_CONNECTION_CLOSE || arg->opcode == WSLAY_PING || arg->opcode == WSLAY_PONG)
        return; /* wslay answers close and ping frames itself */
    if (arg->opcode != WSLAY_TEXT_FRAME) {
        if (ws->probing)
            ws->dead = true;
        else
            rt__sess_close(s, "binary frames are not supported");
        return;
    }
    const char *msg = (const char *)arg->msg;
    size_t len = arg->msg_length;
    if (ws->probing) {
        if (len == 6 && memcmp(msg, "2probe", 6) == 0 && !s->upgrading) {
            ws_queue_raw(ws, "3probe", 6);
            s->upgrading = true;
            /* Answer the pending GET (with what is queued, or a noop) so the client pauses polling. */
            if (s->get_conn != NULL && !s->get_resumed) {
                s->get_resumed = true;
                MHD_resume_connection(s->get_conn);
            }
        } else if (len == 1 && msg[0] == '5' && s->upgrading) {
            upgrade_done(ws, s);
        } else {
            ws->dead = true; /* a failed probe: the polling transport goes on */
        }
        return;
    }
    if (rt__on_packet(s, msg, len) != 0)
        rt__sess_close(s, "protocol error");
}

/*-----------------------------------------------------------------------------
 * Attach, service, tear down
 */
void rt__ws_attach(struct rt_sess *sess, int fd, struct MHD_UpgradeResponseHandle *urh, const char *extra, size_t n)
{
    pthread_mutex_lock(&rt.mu);
    if (!rt.running) {
        pthread_mutex_unlock(&rt.mu);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    struct rt_ws *ws = xcalloc(1, sizeof *ws);
    ws->fd = fd;
    ws->urh = urh;
    if (n > 0) {
        ws->extra = xmalloc(n);
        memcpy(ws->extra, extra, n);
        ws->extra_len = n;
    }
    struct wslay_event_callbacks cb = {recv_cb, send_cb, genmask_cb, NULL, NULL, NULL, on_msg};
    if (wslay_event_context_server_init(&ws->ctx, &cb, ws) != 0)
        app_panic(__FILE__, __LINE__, "wslay_event_context_server_init");
    wslay_event_config_set_max_recv_msg_length(ws->ctx, RT_MAX_PAYLOAD + 64);
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int one = 1; /* small frames, each one awaited by the other side: no Nagle delay */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (sess == NULL) {
        sess = rt__sess_new(true);
        sess->ws = ws;
        size_t len;
        char *hs = rt__handshake(sess, false, &len);
        ws_queue_raw(ws, hs, len);
        free(hs);
    } else if (sess->closed || sess->ws != NULL || sess->ws_transport) {
        ws->dead = true;
    } else {
        sess->ws = ws;
        ws->probing = true;
        sess->upgrade_deadline = rt__now() + rt.upgrade_timeout;
    }
    ws->sess = sess;
    rt__sess_ref(sess);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ws};
    ws->events = EPOLLIN;
    if (epoll_ctl(rt.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        log_warn("realtime: epoll_ctl ADD failed", "%s", strerror(errno));
        ws->events = 0;
        ws->dead = true;
    }
    rt__ws_dirty(ws);
    pthread_mutex_unlock(&rt.mu);
}

static void unlink_dirty(struct rt_ws *ws)
{
    if (!ws->in_dirty)
        return;
    for (struct rt_ws **pp = &rt.dirty; *pp != NULL; pp = &(*pp)->dirty_next)
        if (*pp == ws) {
            *pp = ws->dirty_next;
            break;
        }
    ws->in_dirty = false;
}

static void teardown(struct rt_ws *ws)
{
    unlink_dirty(ws);
    if (ws->events != 0)
        epoll_ctl(rt.epfd, EPOLL_CTL_DEL, ws->fd, NULL);
    wslay_event_context_free(ws->ctx);
    if (nclosing == capclosing) {
        capclosing = capclosing ? capclosing * 2 : 64;
        closing = xrealloc(closing, capclosing * sizeof *closing);
    }
    closing[nclosing++] = ws->urh;
    struct rt_sess *s = ws->sess;
    if (s->ws == ws) {
        s->ws = NULL;
        if (ws->probing) {
            s->upgrading = false;
            s->upgrade_deadline = 0;
        } else {
            rt__sess_close(s, "websocket closed");
        }
    }
    free(ws->extra);
    free(ws);
    rt__sess_unref(s);
}

/* Read what is there, write what is queued, fix the epoll interest or tear down. */
static void service(struct rt_ws *ws, bool readable)
{
    ws->recv_budget = RT_RECV_BUDGET;
    if (!ws->dead && (readable || ws->extra_off < ws->extra_len) && wslay_event_recv(ws->ctx) != 0)
        ws->dead = true;
    if (!ws->dead && ws->extra_off < ws->extra_len)
        rt__ws_dirty(ws); /* the budget ran out inside MHD's extra bytes: no epoll event will say so */
    if (!ws->dead && wslay_event_send(ws->ctx) != 0)
        ws->dead = true;
    if (!ws->dead && !wslay_event_want_read(ws->ctx) && !wslay_event_want_write(ws->ctx))
        ws->dead = true;
    if (ws->dead) {
        teardown(ws);
        return;
    }
    uint32_t want = EPOLLIN | (wslay_event_want_write(ws->ctx) ? EPOLLOUT : 0);
    if (want != ws->events) {
        struct epoll_event ev = {.events = want, .data.ptr = ws};
        if (epoll_ctl(rt.epfd, EPOLL_CTL_MOD, ws->fd, &ev) == 0)
            ws->events = want;
    }
}

static void timers(int64_t now)
{
    static int64_t next_presence;
    for (struct rt_sess *s = rt.all, *nx; s != NULL; s = nx) {
        nx = s->all_next;
        if (s->pong_deadline != 0 && now >= s->pong_deadline) {
            rt__sess_close(s, "ping timeout");
            continue;
        }
        if (!s->sio_connected && s->connect_deadline != 0 && now >= s->connect_deadline) {
            rt__sess_close(s, "no CONNECT within connect_timeout");
            continue;
        }
        if (s->upgrade_deadline != 0 && now >= s->upgrade_deadline && s->ws != NULL && s->ws->probing) {
            s->upgrade_deadline = 0;
            s->ws->dead = true;
            rt__ws_dirty(s->ws);
        }
        if (s->pong_deadline == 0 && now >= s->next_ping) {
            s->pong_deadline = now + rt.ping_timeout;
            rt__send(s, "2", 1); /* may close s: touch it no more */
        }
    }
    if (now >= next_presence) {
        next_presence = now + rt.ping_interval;
        rt__task_presence();
    }
}

static void *io_main(void *arg)
{
    (void)arg;
    struct epoll_event evs[128];
    int64_t next_tick = 0;
    for (;;) {
        int n = epoll_wait(rt.epfd, evs, 128, 50);
        pthread_mutex_lock(&rt.mu);
        for (int i = 0; i < n; i++) {
            struct rt_ws *ws = evs[i].data.ptr;
            if (ws == NULL) {
                uint64_t v;
                if (read(rt.evfd, &v, sizeof v) < 0 && errno != EAGAIN)
                    log_warn("realtime: eventfd read", "%s", strerror(errno));
                continue;
            }
            unlink_dirty(ws);
            service(ws, (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0);
        }
        struct rt_ws *list = rt.dirty;
        rt.dirty = NULL;
        while (list != NULL) {
            struct rt_ws *ws = list;
            list = ws->dirty_next;
            ws->in_dirty = false;
            service(ws, false);
        }
        int64_t now = rt__now();
        if (now >= next_tick) {
            timers(now);
            next_tick = now + 50;
        }
        bool stop = !io_running && rt.dirty == NULL;
        struct MHD_UpgradeResponseHandle **cl = closing;
        size_t ncl = nclosing;
        closing = NULL;
        nclosing = capclosing = 0;
        pthread_mutex_unlock(&rt.mu);
        for (size_t i = 0; i < ncl; i++)
            MHD_upgrade_action(cl[i], MHD_UPGRADE_ACTION_CLOSE);
        free(cl);
        if (stop)
            break;
    }
    return NULL;
}

int rt__io_start(void)
{
    rt.epfd = epoll_create1(EPOLL_CLOEXEC);
    rt.evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (rt.epfd < 0 || rt.evfd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(rt.epfd, EPOLL_CTL_ADD, rt.evfd, &ev) != 0)
        return -1;
    io_running = true;
    if (pthread_create(&rt.io_thread, NULL, io_main, NULL) != 0)
        return -1;
    rt.io_started = true;
    return 0;
}

/* Called with every session already closed (their WebSockets dead and dirty). */
void rt__io_stop(void)
{
    if (rt.io_started) {
        pthread_mutex_lock(&rt.mu);
        io_running = false;
        pthread_mutex_unlock(&rt.mu);
        rt__wake();
        pthread_join(rt.io_thread, NULL);
        rt.io_started = false;
    }
    if (rt.epfd >= 0)
        close(rt.epfd);
    if (rt.evfd >= 0)
        close(rt.evfd);
    rt.epfd = rt.evfd = -1;
}
