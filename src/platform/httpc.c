/*
 * httpc.c — capped response-body collection for libcurl (see httpc.h).
 */
#include "platform/httpc.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

size_t httpc_body_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct httpc_body *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n > b->max) {
        b->too_big = true;
        return 0; /* makes libcurl fail the transfer with CURLE_WRITE_ERROR */
    }
    b->data = xrealloc(b->data, b->len + n + 1);
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

void httpc_body_free(struct httpc_body *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}
