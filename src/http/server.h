/*
 * server.h — the HTTP server: libmicrohttpd with an epoll thread pool.
 *
 * http_server_start() compiles the route tables of the mounted modules,
 * binds, and serves on internal pool threads (one database connection per
 * pool thread, opened lazily and closed when the thread ends).
 * http_server_stop() stops accepting, lets requests in flight finish
 * (bounded wait), then closes every connection and joins the threads.
 */
#ifndef ARTISTRY_HTTP_SERVER_H
#define ARTISTRY_HTTP_SERVER_H

struct app;
struct http_server;

/** Start serving. Returns NULL (logged) on failure: bad routes, bind failure. */
struct http_server *http_server_start(struct app *app);

/** The bound port (useful with port 0). */
int http_server_port(const struct http_server *srv);

/** Graceful stop: quiesce, wait up to grace_ms for in-flight requests, stop, free. */
void http_server_stop(struct http_server *srv, int grace_ms);

#endif
