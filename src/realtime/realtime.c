/*
 * realtime.c — lifecycle and fan-out of the real-time layer (realtime.h).
 *
 * Files: rt_proto.c (codecs), rt_core.c (sessions, rooms, protocol state),
 * rt_ws.c (I/O thread, wslay), rt_http.c (/socket.io/ requests),
 * rt_worker.c (handlers and CONNECT authentication), rt_map.c. See README.md.
 *
 * Fan-out: rt_emit publishes {"room","event","data","except"} on the
 * pub/sub channel "rt"; every instance's subscriber (on_fanout) encodes
 * the packet once and queues it to its local members of the room. With the
 * in-process pub/sub the subscriber runs on the publisher's thread, which
 * is why rt.mu is never held around pubsub_publish.
 *
 * Presence: a user is online here while one of its sockets is in room
 * user:<id>; other instances see the cache key presence:<id>, set at
 * CONNECT and refreshed every ping_interval (TTL 2 × ping_interval +
 * ping_timeout), left to expire after the last disconnect.
 *
 * Caveats: rt_emit before realtime_start delivers nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "http/hook.h"
#include "http/metrics.h"
#include "platform/cache.h"
#include "platform/pubsub.h"
#include "realtime/rt_int.h"

#define FANOUT_CHANNEL "rt"

static bool subscribed;

static const struct http_hook hook = {
    .prefix = "/socket.io/",
    .handle = rt__http_handle,
    .done = rt__http_done,
};

/* The pub/sub subscriber: any thread, rt.mu not held by the caller. */
static void on_fanout(const char *channel, const char *msg, size_t len, void *ud)
{
    (void)channel;
    (void)ud;
    json_error_t je;
    json_t *o = json_loadb(msg, len, 0, &je);
    const char *room = json_string_value(json_object_get(o, "room"));
    const char *event = json_string_value(json_object_get(o, "event"));
    const char *except = json_string_value(json_object_get(o, "except"));
    json_t *data = json_object_get(o, "data");
    if (room == NULL || event == NULL || data == NULL) {
        log_warn("realtime: malformed fan-out message ignored", "%zu bytes", len);
        json_decref(o);
        return;
    }
    json_t *args = json_pack("[sO]", event, data);
    size_t plen;
    char *pkt = sio_encode(SIO_EVENT, NULL, -1, args, &plen);
    pthread_mutex_lock(&rt.mu);
    if (rt.running)
        rt__deliver(room, pkt, plen, except);
    pthread_mutex_unlock(&rt.mu);
    free(pkt);
    json_decref(args);
    json_decref(o);
}

int rt_emit(const char *room, const char *event, json_t *data, const char *except_socket_id)
{
    json_t *o = json_pack("{s:s, s:s, s:O}", "room", room, "event", event, "data", data != NULL ? data : json_null());
    if (o == NULL)
        return -1;
    if (except_socket_id != NULL)
        json_object_set_new(o, "except", json_string(except_socket_id));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s == NULL)
        return -1;
    size_t len = strlen(s);
    int rc = 0;
    /* On failure pubsub_publish has already delivered on this instance (and logged, rate-limited). */
    if (pubsub_publish(FANOUT_CHANNEL, s, len) != 0)
        rc = -1;
    free(s);
    return rc;
}

bool rt_user_online(const char *user_id)
{
    char key[128];
    snprintf(key, sizeof key, "user:%s", user_id);
    pthread_mutex_lock(&rt.mu);
    bool here = rt.running && rt__room_live(key);
    pthread_mutex_unlock(&rt.mu);
    /* One instance (no Redis): the local room is the whole truth; the in-process cache would
     * only add a stale "online" for a TTL after the last disconnect. */
    if (here || !pubsub_shared())
        return here;
    snprintf(key, sizeof key, "presence:%s", user_id);
    size_t len;
    char *v = cache_get(key, &len);
    free(v);
    return v != NULL;
}

/* /metrics gauges (metrics_register_gauge): any thread, takes rt.mu briefly. */
static long long gauge_connected(void)
{
    pthread_mutex_lock(&rt.mu);
    long long n = (long long)(rt.nsessions - rt.npending);
    pthread_mutex_unlock(&rt.mu);
    return n;
}

static long long gauge_pending(void)
{
    pthread_mutex_lock(&rt.mu);
    long long n = (long long)rt.npending;
    pthread_mutex_unlock(&rt.mu);
    return n;
}

int realtime_start(struct app *app)
{
    const struct config *cfg = app->cfg;
    pthread_mutex_lock(&rt.mu);
    rt.app = app;
    rt.ping_interval = cfg->rt_ping_interval_ms;
    rt.ping_timeout = cfg->rt_ping_timeout_ms;
    rt.connect_timeout = cfg->rt_connect_timeout_ms;
    rt.upgrade_timeout = cfg->rt_upgrade_timeout_ms;
    rt.max_pending = (size_t)cfg->rt_max_pending_sessions;
    rt.by_sid = rt__map_new();
    rt.by_sock = rt__map_new();
    rt.rooms = rt__map_new();
    rt.running = true;
    pthread_mutex_unlock(&rt.mu);
    if (rt__io_start() != 0 || rt__workers_start() != 0) {
        log_error("realtime: cannot start its threads", NULL);
        realtime_stop();
        return -1;
    }
    if (!subscribed && pubsub_subscribe(FANOUT_CHANNEL, on_fanout, NULL) != 0) {
        log_error("realtime: cannot subscribe to the fan-out channel", NULL);
        realtime_stop();
        return -1;
    }
    subscribed = true;
    metrics_register_gauge("realtime_connected_sockets", "Socket.IO sockets connected (authenticated) here.",
                           gauge_connected);
    metrics_register_gauge("realtime_pending_sessions", "Engine.IO sessions with no authenticated CONNECT yet.",
                           gauge_pending);
    if (app->server != NULL)
        http_server_set_hook(app->server, &hook);
    log_info("realtime: Socket.IO at /socket.io/", "pingInterval %lld ms, pingTimeout %lld ms",
             (long long)rt.ping_interval, (long long)rt.ping_timeout);
    return 0;
}

void realtime_stop(void)
{
    pthread_mutex_lock(&rt.mu);
    if (rt.by_sid == NULL) {
        pthread_mutex_unlock(&rt.mu);
        return;
    }
    struct app *app = rt.app;
    rt.running = false;
    while (rt.all != NULL)
        rt__sess_close(rt.all, "server stopping");
    pthread_mutex_unlock(&rt.mu);
    if (app != NULL && app->server != NULL)
        http_server_set_hook(app->server, NULL);
    rt__io_stop(); /* tears down the WebSockets closed above */
    rt__workers_stop();
    pthread_mutex_lock(&rt.mu);
    rt__map_free(rt.by_sid);
    rt__map_free(rt.by_sock);
    rt__map_free(rt.rooms); /* empty: every session left its rooms */
    rt.by_sid = rt.by_sock = rt.rooms = NULL;
    pthread_mutex_unlock(&rt.mu);
}
