/*
 * rt_int.h — declarations shared by the files of src/realtime only.
 *
 * One mutex (rt.mu) guards every session, room, queue and the worker
 * queues. It is never held while calling out: not around pubsub_publish
 * (the in-process pub/sub delivers on the publisher's thread and the
 * subscriber takes rt.mu), not around a service's event handler, not
 * around MHD_upgrade_action.
 */
#ifndef ARTISTRY_REALTIME_RT_INT_H
#define ARTISTRY_REALTIME_RT_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <wslay/wslay.h>

#include "realtime/realtime.h"
#include "realtime/rt_proto.h"

#define RT_MAX_PAYLOAD 1000000     /* maxPayload of the handshake, bytes */
#define RT_MAX_QUEUE (1024 * 1024) /* outbound bytes a socket may have waiting before it is dropped */
/* What one queued packet costs beyond its bytes (allocations, list links), counted against
 * RT_MAX_QUEUE so that many tiny packets cannot hold far more memory than the bound says. */
#define RT_MSG_OVERHEAD 64
/* Bytes the I/O thread reads from one WebSocket before it serves the others (and drops
 * rt.mu): a client that sends faster than we parse must not keep the loop to itself. */
#define RT_RECV_BUDGET (64 * 1024)
#define RT_SID_LEN 20
#define RT_WORKERS 2
#define RT_WORKER_QUEUE 1024       /* waiting tasks per worker */
#define RT_SESSION_TASKS 32        /* waiting or running tasks per session: one client cannot fill a worker */

struct rt_msg {
    struct rt_msg *next;
    size_t len;
    char data[]; /* one Engine.IO packet, "<type><data>", NUL-terminated */
};

struct rt_ws;
struct rt_room;

/** One Engine.IO session and the Socket.IO socket on it (namespace "/" only). */
struct rt_sess {
    char sid[RT_SID_LEN + 1];     /* engine.io session id */
    char sock_id[RT_SID_LEN + 1]; /* socket.io socket id; "" until connected */
    int refs;                     /* the tables, requests, tasks, the ws */
    int tasks;                    /* its tasks queued or running on its worker (RT_SESSION_TASKS) */
    bool ws_transport;            /* false: polling */
    bool closed;
    bool upgrading;               /* polling, a probe WebSocket answered 3probe */
    bool sio_connecting;          /* the CONNECT is being authenticated */
    bool sio_connected;
    unsigned worker;              /* its events go to this worker: in order */
    char *user_id, *role;         /* malloc'd, set once at CONNECT */
    /* outbound packets while polling (and during an upgrade) */
    struct rt_msg *q_head, *q_tail;
    size_t q_bytes;
    /* polling */
    struct MHD_Connection *get_conn; /* a suspended GET, or NULL */
    bool get_resumed;
    bool post_active;
    /* websocket (the transport, or a probe during an upgrade) */
    struct rt_ws *ws;
    /* timers, monotonic ms; 0: off */
    int64_t next_ping, pong_deadline, connect_deadline, upgrade_deadline;
    /* rooms this socket is in */
    struct rt_room **rooms;
    unsigned nrooms, caprooms;
    struct rt_sess *all_prev, *all_next;
};

struct rt_ws {
    int fd;
    struct MHD_UpgradeResponseHandle *urh;
    wslay_event_context_ptr ctx;
    struct rt_sess *sess; /* holds a ref */
    char *extra;          /* bytes MHD read past the request head */
    size_t extra_len, extra_off;
    size_t recv_budget;   /* bytes recv_cb may still read in this service() */
    bool probing;         /* attached to a polling session, not yet upgraded */
    bool dead;            /* tear down on the I/O thread */
    bool in_dirty;
    uint32_t events;      /* epoll interest */
    struct rt_ws *dirty_next;
};

struct rt_state {
    pthread_mutex_t mu;
    struct app *app;
    bool running;
    int64_t ping_interval, ping_timeout, connect_timeout, upgrade_timeout; /* ms */
    struct rt_sess *all;   /* every open session */
    size_t nsessions;
    size_t npending;       /* sessions with no connected Socket.IO socket (not counted in the cap once connected) */
    size_t max_pending;    /* cap on npending for new sessions (rt_max_pending_sessions) */
    struct rt_map *by_sid, *by_sock, *rooms;
    /* I/O thread */
    int epfd, evfd;
    pthread_t io_thread;
    bool io_started;
    struct rt_ws *dirty;
};

extern struct rt_state rt;

/*----- rt_core.c (all with rt.mu held unless said otherwise) */
int64_t rt__now(void);
/** A new random id of RT_SID_LEN base64url characters into out[RT_SID_LEN + 1]. */
void rt__new_id(char *out);
/**
 * Are there rt.max_pending sessions with no connected socket? A handshake costs nothing
 * and a session lives connect_timeout (45 s) without a CONNECT, so new ones are refused.
 */
bool rt__pending_full(void);
struct rt_sess *rt__sess_new(bool ws_transport);
void rt__sess_ref(struct rt_sess *s);
void rt__sess_unref(struct rt_sess *s);
/** Close the session: leave rooms, drop from the tables, end its transports. */
void rt__sess_close(struct rt_sess *s, const char *why);
/** Send one Engine.IO packet (copied). Drops a slow consumer. */
void rt__send(struct rt_sess *s, const char *pkt, size_t len);
/** Handle one Engine.IO packet from the client; -1: protocol error (caller closes). */
int rt__on_packet(struct rt_sess *s, const char *pkt, size_t len);
/** The handshake packet "0{…}" for s (malloc'd). */
char *rt__handshake(const struct rt_sess *s, bool can_upgrade, size_t *len);
int rt__join(struct rt_sess *s, const char *room);
int rt__leave(struct rt_sess *s, const char *room);
/** Deliver an encoded packet to the members of room except one socket id. */
void rt__deliver(const char *room, const char *pkt, size_t len, const char *except);
/** Is a room non-empty on this instance? */
bool rt__room_live(const char *room);
/** Wake the I/O thread (any thread, lock not needed). */
void rt__wake(void);
void rt__ws_dirty(struct rt_ws *ws);
/** Outbound bytes waiting in ws's wslay queues, RT_MSG_OVERHEAD per message included. */
size_t rt__ws_queued(struct rt_ws *ws);
/** Attach an upgraded socket (MHD thread). sess NULL: a new WebSocket-only session. */
void rt__ws_attach(struct rt_sess *sess, int fd, struct MHD_UpgradeResponseHandle *urh, const char *extra, size_t n);
int rt__io_start(void);
void rt__io_stop(void);

/*----- rt_map.c: string → pointer */
struct rt_map *rt__map_new(void);
void rt__map_free(struct rt_map *m);
void *rt__map_get(const struct rt_map *m, const char *key);
void rt__map_put(struct rt_map *m, const char *key, void *v); /* key copied; replaces */
void rt__map_del(struct rt_map *m, const char *key);
size_t rt__map_count(const struct rt_map *m);

/*----- rt_worker.c */
/** Queue the authentication of a CONNECT (token copied). */
void rt__task_connect(struct rt_sess *s, const char *token);
/** Queue an event: args stolen (the array after the name). */
void rt__task_event(struct rt_sess *s, const char *event, json_t *args, int64_t ack_id);
/** Queue a presence refresh of the users connected here. */
void rt__task_presence(void);
int rt__workers_start(void);
void rt__workers_stop(void);

/*----- rt_http.c */
/** The /socket.io/ request handler and its completion notice (http/hook.h). */
enum MHD_Result rt__http_handle(void *ud, struct MHD_Connection *conn, const char *url, const char *method,
                                const char *upload_data, size_t *upload_data_size, void **state);
void rt__http_done(void *ud, void *state);

#endif
