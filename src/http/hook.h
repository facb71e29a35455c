/*
 * hook.h — hand every request under one path prefix to another layer ahead
 * of the router (the realtime layer mounts /socket.io/ this way: long
 * polling with suspend/resume and the WebSocket upgrade need libmicrohttpd
 * itself, not the request pipeline).
 *
 * handle is called like a libmicrohttpd access handler for each call on
 * the connection (state starts NULL and is the hook's own); done is called
 * once at the request's completion notice with the same state. Hooked
 * requests count as in flight for the graceful stop; they get no access
 * log line and no route metrics.
 *
 * Caveats: one hook per server. A request keeps the hook it started with
 * even if the hook is removed meanwhile, so handle/done must stay callable
 * after the owner stops (they are static functions).
 */
#ifndef ARTISTRY_HTTP_HOOK_H
#define ARTISTRY_HTTP_HOOK_H

#include <microhttpd.h>
#include <stddef.h>

struct http_server;

struct http_hook {
    const char *prefix; /* e.g. "/socket.io/" */
    enum MHD_Result (*handle)(void *ud, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *upload_data, size_t *upload_data_size, void **state);
    void (*done)(void *ud, void *state);
    void *ud;
};

/** Install hook (borrowed; must outlive the server) or remove it (NULL). Any thread. */
void http_server_set_hook(struct http_server *srv, const struct http_hook *hook);

#endif
