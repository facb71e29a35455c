/*
 * fake_http.h — the shared skeleton of the local fakes of outside HTTP APIs
 * used by the API tests (libmicrohttpd in the test process).
 *
 * A fake starts a daemon on 127.0.0.1 and a free port with its own polling
 * thread, collects each request body (up to FAKE_HTTP_MAX_BODY), calls the
 * fake's handler once per complete request, and sends the reply the handler
 * filled in. Every request is recorded (method, path, query, a few headers,
 * body) under the fake's mutex, so the test thread can assert on what was
 * sent while the daemon thread serves.
 *
 *   static void handle(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
 *   {
 *       if (strcmp(rq->path, "/v1/things") != 0)
 *           return fake_http_reply_json(rp, 404, json_pack("{s:s}", "error", "not found"));
 *       fake_http_reply_json(rp, 201, json_pack("{s:s}", "id", "thing_1"));
 *   }
 *   struct fake_http *h = fake_http_start(handle, ctx);
 *   ... fake_http_url(h) ... fake_http_count(h, "POST", "/v1/things") ...
 *   fake_http_stop(h);
 *
 * Handler state shared with the test thread is the fake's business; it may
 * use fake_http_lock()/fake_http_unlock() (the handler runs unlocked).
 *
 * Caveats: test code: allocation failures abort; bodies past the cap are
 * truncated (rq->truncated says so); at most FAKE_HTTP_MAX_RECORDS requests
 * are kept (the oldest are dropped, the count keeps going).
 */
#ifndef ARTISTRY_TESTS_FAKE_HTTP_H
#define ARTISTRY_TESTS_FAKE_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define FAKE_HTTP_MAX_BODY (1024 * 1024)
#define FAKE_HTTP_MAX_RECORDS 256
#define FAKE_HTTP_MAX_HEADERS 8

struct fake_http;

/** One complete request, as the handler sees it (all borrowed for the call). */
struct fake_http_request {
    const char *method;
    const char *path;  /* without the query */
    const char *query; /* raw query string without '?', "" when none */
    const char *body;  /* NUL-terminated, "" when none */
    size_t body_len;
    bool truncated;
    void *_conn;       /* struct MHD_Connection * */
};

/** What the handler answers. Zeroed before the call; status 0 means 500. */
struct fake_http_reply {
    unsigned status;
    char *body;                 /* heap (malloc), taken over; NULL: empty */
    const char *content_type;   /* NULL: none (or application/json via fake_http_reply_json) */
    char headers[FAKE_HTTP_MAX_HEADERS][2][128]; /* extra response headers: name, value */
    int nheaders;
};

/** A recorded request (copies; free with fake_http_record_free). */
struct fake_http_record {
    char *method, *path, *query, *authorization, *content_type, *body;
    size_t body_len;
};

typedef void (*fake_http_handler)(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp);

/** Start a fake calling fn(ctx, …) per request. Aborts the test process on failure. */
struct fake_http *fake_http_start(fake_http_handler fn, void *ctx);

/** Stop the daemon (waits for in-flight requests), free the records. NULL is a no-op. */
void fake_http_stop(struct fake_http *h);

/** "http://127.0.0.1:<port>". */
const char *fake_http_url(const struct fake_http *h);

/** A request header (case-insensitive name), or NULL. */
const char *fake_http_header(const struct fake_http_request *rq, const char *name);

/**
 * The url-decoded value of key in an application/x-www-form-urlencoded
 * string (a body or a query), copied into buf. Returns 0, or -1 when absent
 * (or longer than cap).
 */
int fake_http_form_value(const char *form, const char *key, char *buf, size_t cap);

/** Answer status with a JSON body (takes the reference; NULL: "{}"). */
void fake_http_reply_json(struct fake_http_reply *rp, unsigned status, json_t *body);

/** Answer status with a body of the given type (copied; NULL: empty). */
void fake_http_reply_text(struct fake_http_reply *rp, unsigned status, const char *content_type, const char *body);

/** Add a response header. */
void fake_http_reply_header(struct fake_http_reply *rp, const char *name, const char *value);

/** The fake's mutex, for state the handler shares with the test thread (not recursive). */
void fake_http_lock(struct fake_http *h);
void fake_http_unlock(struct fake_http *h);

/** Requests served whose method and path match (NULL matches any; path is a prefix match). */
int fake_http_count(struct fake_http *h, const char *method, const char *path_prefix);

/**
 * Copy the most recent request matching method/path_prefix (as for
 * fake_http_count) into *out. Returns 0, or -1 when none is kept.
 */
int fake_http_last(struct fake_http *h, const char *method, const char *path_prefix, struct fake_http_record *out);

/** Release a record's strings. */
void fake_http_record_free(struct fake_http_record *r);

/** Forget every recorded request. */
void fake_http_reset(struct fake_http *h);

#endif
