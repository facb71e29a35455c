/*
 * rt_proto.c — Engine.IO / Socket.IO packet codecs (see rt_proto.h).
 *
 * Pure functions over byte ranges: every read is bounded by the length
 * given, nothing here assumes NUL termination of the input (the fuzz
 * target checks this with inputs copied into exact-size buffers).
 *
 * Caveats: ack ids above 10^15 are refused (socket.io-parser accepts any
 * finite number; 10^15 keeps them exact in a JavaScript double).
 */
#include "realtime/rt_proto.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"

int eio_decode(const char *s, size_t len, enum eio_type *type, const char **data, size_t *dlen)
{
    if (len == 0 || s[0] < '0' || s[0] > '6')
        return -1;
    *type = (enum eio_type)(s[0] - '0');
    *data = s + 1;
    *dlen = len - 1;
    return 0;
}

int eio_split_payload(const char *body, size_t len, int (*fn)(void *ud, const char *pkt, size_t len), void *ud)
{
    size_t start = 0;
    for (;;) {
        const char *sep = memchr(body + start, EIO_SEPARATOR, len - start);
        size_t end = sep != NULL ? (size_t)(sep - body) : len;
        if (end == start || fn(ud, body + start, end - start) != 0)
            return -1;
        if (sep == NULL)
            return 0;
        start = end + 1;
    }
}

static const char *const reserved[] = {"connect", "connect_error", "disconnect", "disconnecting",
                                       "newListener", "removeListener"};

int sio_reserved_event(const char *name)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return 1;
    return 0;
}

static int valid_payload(const struct sio_packet *p)
{
    const json_t *d = p->data;
    switch (p->type) {
    case SIO_CONNECT:
        return d == NULL || json_is_object(d);
    case SIO_DISCONNECT:
        return d == NULL;
    case SIO_CONNECT_ERROR:
        return json_is_object(d) || json_is_string(d);
    case SIO_EVENT:
    case SIO_BINARY_EVENT: {
        if (!json_is_array(d) || json_array_size(d) == 0)
            return 0;
        const json_t *name = json_array_get(d, 0);
        if (json_is_string(name))
            return !sio_reserved_event(json_string_value(name));
        return json_is_number(name);
    }
    case SIO_ACK:
    case SIO_BINARY_ACK:
        return json_is_array(d);
    }
    return 0;
}

int sio_decode(const char *s, size_t len, struct sio_packet *p)
{
    size_t i = 0;
    memset(p, 0, sizeof *p);
    p->ack_id = -1;
    strcpy(p->nsp, "/");
    if (len == 0 || s[0] < '0' || s[0] > '6')
        return -1;
    p->type = (enum sio_type)(s[i++] - '0');
    if (p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK) {
        size_t st = i;
        int n = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - st < 6)
            n = n * 10 + (s[i++] - '0');
        if (i == st || i >= len || s[i] != '-')
            return -1;
        i++;
        p->attachments = n;
    }
    if (i < len && s[i] == '/') {
        size_t st = i;
        while (i < len && s[i] != ',')
            i++;
        if (i - st > SIO_MAX_NSP)
            return -1;
        memcpy(p->nsp, s + st, i - st);
        p->nsp[i - st] = '\0';
        if (i < len)
            i++; /* the ',' */
    }
    if (i < len && s[i] >= '0' && s[i] <= '9') {
        size_t st = i;
        int64_t id = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (i - st >= 15)
                return -1;
            id = id * 10 + (s[i++] - '0');
        }
        p->ack_id = id;
    }
    if ((p->type == SIO_ACK || p->type == SIO_BINARY_ACK) && p->ack_id < 0)
        return -1;
    if (i < len) {
        json_error_t je;
        p->data = json_loadb(s + i, len - i, JSON_DECODE_ANY, &je);
        if (p->data == NULL)
            return -1;
    }
    if (!valid_payload(p)) {
        sio_packet_clear(p);
        return -1;
    }
    return 0;
}

void sio_packet_clear(struct sio_packet *p)
{
    if (p->data != NULL)
        json_decref(p->data);
    p->data = NULL;
}

char *sio_encode(enum sio_type type, const char *nsp, int64_t ack_id, const json_t *data, size_t *len)
{
    char *json = data != NULL ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (data != NULL && json == NULL)
        app_panic(__FILE__, __LINE__, "cannot encode a Socket.IO packet");
    bool with_nsp = nsp != NULL && strcmp(nsp, "/") != 0;
    size_t cap = 64 + (with_nsp ? strlen(nsp) : 0) + (json != NULL ? strlen(json) : 0);
    char *out = xmalloc(cap);
    int n = snprintf(out, cap, "4%d%s%s", (int)type, with_nsp ? nsp : "", with_nsp ? "," : "");
    if (ack_id >= 0)
        n += snprintf(out + n, cap - (size_t)n, "%lld", (long long)ack_id);
    if (json != NULL)
        n += snprintf(out + n, cap - (size_t)n, "%s", json);
    free(json);
    *len = (size_t)n;
    return out;
}
