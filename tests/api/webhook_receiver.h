/*
 * webhook_receiver.h — a webhook receiver for test_webhooks.c: a fake_http
 * server that verifies each request's Artistry-Signature itself (libsodium
 * HMAC, not the product's code) with the secret registered for its path,
 * records what it got, and answers as told per path (a status, or N 500s
 * first). Requests on unregistered paths get 404.
 */
#ifndef ARTISTRY_TESTS_WEBHOOK_RECEIVER_H
#define ARTISTRY_TESTS_WEBHOOK_RECEIVER_H

#include <stdbool.h>

#include "api/fake_http.h"

#define WHRX_PATHS 8
#define WHRX_MSGS 128

struct whrx_path {
    char path[32];
    char secret[80], previous[80];
    unsigned status; /* answer (0: 200) */
    int fail_first;  /* answer 500 to this many requests first */
};

struct whrx_msg {
    char path[32];
    char id[64], type[64], hdr_id[64];
    bool sig_ok;  /* a v1 matched the path's secret, t fresh and equal to the timestamp header */
    bool prev_ok; /* a v1 matched the path's previous secret */
    int nv1;
    char *body;
};

struct whrx {
    struct fake_http *h;
    struct whrx_path paths[WHRX_PATHS];
    int npaths;
    struct whrx_msg msgs[WHRX_MSGS];
    int nmsgs;
};

/** Start / stop (frees the records). */
struct whrx *whrx_start(void);
void whrx_stop(struct whrx *r);

/** Register (or update) a path: its secret, the previous one (may be NULL), its answer, 500s first. */
void whrx_path(struct whrx *r, const char *path, const char *secret, const char *previous, unsigned status,
               int fail_first);

/** Requests received on path (of type when not NULL); the last copied into *last (body NULL) when not NULL. */
int whrx_count(struct whrx *r, const char *path, const char *type, struct whrx_msg *last);

/** whrx_count, polled up to 10 s until it reaches want. */
int whrx_wait(struct whrx *r, const char *path, const char *type, int want, struct whrx_msg *last);

#endif
