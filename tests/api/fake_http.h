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
 * fake_http_start_opts() takes a larger body cap (S3 uploads) or one thread
 * per connection (handlers then run concurrently); fake_http_reply_bytes()
 * answers binary bodies.
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
#define FAKE_HTTP_MAX_HEADER_VALUE 1024

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
    char *body;               /* heap (malloc), taken over; NULL: empty */
    size_t body_len;          /* bytes of body; 0: strlen(body) (fake_http_reply_bytes sets it) */
    const char *content_type; /* NULL: none (or application/json via fake_http_reply_json); must outlive the
                                 call (a literal), else use fake_http_reply_header(rp, "Content-Type", …) */
    struct {
        char name[128];
        char value[FAKE_HTTP_MAX_HEADER_VALUE];
    } headers[FAKE_HTTP_MAX_HEADERS]; /* extra response headers, in order */
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

/** Options of fake_http_start_opts; zero means the default. */
struct fake_http_opts {
    size_t max_body;            /* request bodies kept up to this many bytes; 0: FAKE_HTTP_MAX_BODY */
    bool thread_per_connection; /* one thread per connection: handlers may run concurrently */
};

/** fake_http_start with options (NULL: the defaults). */
struct fake_http *fake_http_start_opts(fake_http_handler fn, void *ctx, const struct fake_http_opts *opts);

/** Stop the daemon (waits for in-flight requests), free the records. NULL is a no-op. */
void fake_http_stop(struct fake_http *h);

/** "http://127.0.0.1:<port>". */
const char *fake_http_url(const struct fake_http *h);

/** A request header (case-insensitive name), or NULL. */
const char *fake_http_header(const struct fake_http_request *rq, const char *name);

/** A query argument (looked up as libmicrohttpd does), url-decoded, or NULL. */
const char *fake_http_arg(const struct fake_http_request *rq, const char *name);

/**
 * The url-decoded value of key in an application/x-www-form-urlencoded
 * string (a body or a query), copied into buf. Returns 0, or -1 when absent
 * (or longer than cap).
 */
int fake_http_form_value(const char *form, const char *key, char *buf, size_t cap);

/**
 * Call fn(ctx, key, value) for each pair of an application/x-www-form-urlencoded
 * string of len bytes (a body or a query), in order, both url-decoded
 * (borrowed for the call); value is NULL for a pair without '='. Empty
 * pairs are skipped.
 */
void fake_http_form_each(const char *form, size_t len, void (*fn)(void *ctx, const char *key, const char *value),
                         void *ctx);

/** Answer status with a JSON body (takes the reference; NULL: "{}"). */
void fake_http_reply_json(struct fake_http_reply *rp, unsigned status, json_t *body);

/** Answer status with a body of the given type (copied; NULL: empty). */
void fake_http_reply_text(struct fake_http_reply *rp, unsigned status, const char *content_type, const char *body);

/** Answer status with len bytes of data (copied; may hold NULs) of the given type (NULL: none). */
void fake_http_reply_bytes(struct fake_http_reply *rp, unsigned status, const char *content_type, const void *data,
                           size_t len);

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
