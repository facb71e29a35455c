/*
 * rt_proto.h — Engine.IO v4 and Socket.IO v5 packet codecs (no I/O, no
 * state), shared by the realtime files, the unit tests and the fuzz target.
 *
 * Wire facts: /work/shared PROTOCOLS.md §1. Engine.IO text packet:
 * "<type digit><data>"; polling payload: packets joined by 0x1e. Socket.IO
 * packet (the data of an Engine.IO message):
 * "<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]".
 */
#ifndef ARTISTRY_REALTIME_RT_PROTO_H
#define ARTISTRY_REALTIME_RT_PROTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum eio_type { EIO_OPEN = 0, EIO_CLOSE, EIO_PING, EIO_PONG, EIO_MESSAGE, EIO_UPGRADE, EIO_NOOP };

enum sio_type {
    SIO_CONNECT = 0,
    SIO_DISCONNECT,
    SIO_EVENT,
    SIO_ACK,
    SIO_CONNECT_ERROR,
    SIO_BINARY_EVENT,
    SIO_BINARY_ACK
};

/** The separator of packets in a polling payload. */
#define EIO_SEPARATOR '\x1e'

/** Longest namespace we accept (bytes, with the leading '/'). */
#define SIO_MAX_NSP 128

/**
 * Decode one text Engine.IO packet s[0..len). On success sets *type and
 * *data and *dlen (pointing into s) and returns 0; -1 for an empty packet, an
 * unknown type or a base64 binary packet ("b…", which we do not accept).
 */
int eio_decode(const char *s, size_t len, enum eio_type *type, const char **data, size_t *dlen);

/**
 * Call fn for each packet of a polling payload (split on 0x1e). Stops and
 * returns -1 at an empty packet or when fn returns non-zero; 0 otherwise.
 */
int eio_split_payload(const char *body, size_t len, int (*fn)(void *ud, const char *pkt, size_t len), void *ud);

/** A decoded Socket.IO packet. */
struct sio_packet {
    enum sio_type type;
    char nsp[SIO_MAX_NSP + 1]; /* "/" when absent */
    int64_t ack_id;            /* -1: none */
    int attachments;           /* binary packets only */
    json_t *data;              /* owned; NULL when absent */
};

/**
 * Decode a Socket.IO packet s[0..len) (client to server) with the checks of
 * socket.io-parser: CONNECT data absent or an object; DISCONNECT no data;
 * EVENT/BINARY_EVENT a non-empty array whose first element is a string that
 * is not a reserved name, or a number; ACK/BINARY_ACK an array;
 * CONNECT_ERROR an object or a string. Returns 0, or -1 (malformed, p->data
 * left NULL). Release with sio_packet_clear.
 */
int sio_decode(const char *s, size_t len, struct sio_packet *p);

void sio_packet_clear(struct sio_packet *p);

/**
 * Encode an Engine.IO message carrying a Socket.IO packet: "4<type>[nsp,][ack][json]".
 * nsp NULL or "/" is left out; ack_id < 0 is left out; data may be NULL
 * (borrowed). Returns a malloc'd NUL-terminated string (*len set).
 */
char *sio_encode(enum sio_type type, const char *nsp, int64_t ack_id, const json_t *data, size_t *len);

/** Is name one of the event names a client's decoder refuses (connect, disconnect…)? */
int sio_reserved_event(const char *name);

#endif
