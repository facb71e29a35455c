/*
 * httpc.h — shared pieces of outbound HTTP calls made with libcurl.
 *
 * Every adapter to an outside service (OpenID providers today; payments,
 * image generation, SMS, push and shipping later) collects response bodies
 * the same way: into a growing buffer with a hard cap, so a misbehaving
 * peer cannot make us allocate without bound.
 *
 *   struct httpc_body b = {.max = 64 * 1024};
 *   curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_body_write);
 *   curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
 *   ... b.data (NUL-terminated) / b.len; b.too_big when the cap was hit ...
 *   httpc_body_free(&b);
 */
#ifndef ARTISTRY_PLATFORM_HTTPC_H
#define ARTISTRY_PLATFORM_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

/** A response body being received. Zero it and set max before use. */
struct httpc_body {
    char *data; /* heap, NUL-terminated; NULL until the first byte */
    size_t len;
    size_t max;   /* cap in bytes; the transfer fails (too_big) past it */
    bool too_big;
};

/** libcurl CURLOPT_WRITEFUNCTION appending to the struct httpc_body in userdata. */
size_t httpc_body_write(char *ptr, size_t size, size_t nmemb, void *userdata);

/** Release the buffer. */
void httpc_body_free(struct httpc_body *b);

#endif
