/*
 * realtime.h — what a service sees of the real-time layer: Socket.IO v4
 * (Engine.IO v4) at /socket.io/ on the server's own port, WebSocket and
 * HTTP long-polling with upgrade (PROTOCOLS.md §1).
 *
 * A client connects with `auth: { token: <access JWT> }`; the CONNECT is
 * refused (44 {"message"}) for a missing or bad token. Every socket joins
 * the room "user:<user_id>" at connect, so rt_emit("user:…") reaches every
 * tab and device of that user on every instance.
 *
 * Services handle client events by name (rt_on at module init). A handler
 * runs on a realtime worker thread with that thread's own database
 * connection, never on the socket loop; it may answer the client's
 * acknowledgement (rt_ack), join or leave rooms for the calling socket and
 * emit to rooms. rt_emit fans out through the pub/sub (in-process, or Redis
 * when ARTISTRY_REDIS_URL is set), so sockets on other instances get it too.
 *
 * Room names used: "user:<usr_id>", "conv:<cnv_id>".
 */
#ifndef ARTISTRY_REALTIME_REALTIME_H
#define ARTISTRY_REALTIME_REALTIME_H

#include <jansson.h>
#include <stdbool.h>

struct app;
struct db;
struct http_server;

/** Who sent an event (valid during the handler). */
struct rt_client {
    const char *socket_id; /* the Socket.IO socket id */
    const char *user_id;   /* from the access token */
    const char *role;      /* "buyer", "seller", "admin" */
};

/** One incoming event on one socket (valid during the handler). */
struct rt_call;

/**
 * An event handler. args is the JSON array of the event's arguments after
 * its name (borrowed; never NULL, may be empty). Return nothing: answer with
 * rt_ack (or rt_ack_error) when the client asked for an acknowledgement.
 */
typedef void (*rt_event_fn)(struct rt_call *call, const struct rt_client *who, struct db *db, json_t *args);

/** Handle client event `event` with fn. At module init only; one handler per name. */
void rt_on(const char *event, rt_event_fn fn);

/** Did the client ask for an acknowledgement? */
bool rt_wants_ack(const struct rt_call *call);

/** Acknowledge with these arguments (a JSON array; stolen). No-op without an ack id. Once per call. */
void rt_ack(struct rt_call *call, json_t *args);

/**
 * Acknowledge with one error object {"error": {"code", "message"}} — the
 * convention for a refused event (the same stable codes as the REST API).
 */
void rt_ack_error(struct rt_call *call, const char *code, const char *message);

/** Add / remove the calling socket to / from a room on this instance. 0 or -1. */
int rt_join(struct rt_call *call, const char *room);
int rt_leave(struct rt_call *call, const char *room);

/**
 * Send `event` with one argument `data` (borrowed) to every socket in
 * `room` on every instance, except the socket except_socket_id (NULL: none).
 * Callable from any thread (request handlers, jobs, realtime handlers).
 * Returns 0 when handed to the pub/sub, -1 when it could only be delivered
 * locally (Redis down; logged).
 */
int rt_emit(const char *room, const char *event, json_t *data, const char *except_socket_id);

/** Has this user at least one connected socket on any instance? */
bool rt_user_online(const char *user_id);

/**
 * Lifecycle (serve): realtime_start after the HTTP server is created and
 * before it accepts; realtime_stop closes every socket. Without a call to
 * realtime_start, /socket.io/ answers 404 and rt_emit delivers nothing.
 */
int realtime_start(struct app *app);
void realtime_stop(void);

#endif
