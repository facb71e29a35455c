/*
 * fuzz_sio.c — libFuzzer target: the Engine.IO / Socket.IO decoders
 * (realtime/rt_proto.h) on arbitrary bytes.
 *
 * The input is a polling payload: it is split on 0x1e, and each packet
 * goes through eio_decode and, for a message, sio_decode. Every packet is
 * copied into a buffer of exactly its size so AddressSanitizer catches a
 * read past its end. Checked for every input: no crash, leak or sanitizer
 * report; a decoded packet satisfies the contract of sio_decode (a valid
 * type, a namespace starting with '/', data of the shape its type needs),
 * and re-encoding it yields a packet that decodes to the same JSON.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "realtime/rt_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static int one(void *ud, const char *pkt, size_t len)
{
    (void)ud;
    char *copy = malloc(len);
    check(copy != NULL);
    memcpy(copy, pkt, len);
    enum eio_type t;
    const char *d;
    size_t dl;
    if (eio_decode(copy, len, &t, &d, &dl) == 0 && t == EIO_MESSAGE) {
        struct sio_packet p;
        if (sio_decode(d, dl, &p) == 0) {
            check(p.type <= SIO_BINARY_ACK && p.nsp[0] == '/');
            if (p.type == SIO_EVENT || p.type == SIO_BINARY_EVENT)
                check(json_is_array(p.data) && json_array_size(p.data) > 0);
            if (p.type == SIO_ACK)
                check(p.ack_id >= 0 && json_is_array(p.data));
            if (p.type != SIO_BINARY_EVENT && p.type != SIO_BINARY_ACK) {
                size_t elen;
                char *enc = sio_encode(p.type, p.nsp, p.ack_id, p.data, &elen);
                struct sio_packet q;
                check(enc[0] == '4' && sio_decode(enc + 1, elen - 1, &q) == 0);
                check(q.type == p.type && q.ack_id == p.ack_id && strcmp(q.nsp, p.nsp) == 0);
                check((p.data == NULL) == (q.data == NULL) && (p.data == NULL || json_equal(p.data, q.data)));
                sio_packet_clear(&q);
                free(enc);
            }
            sio_packet_clear(&p);
        } else {
            check(p.data == NULL);
        }
    }
    free(copy);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    eio_split_payload((const char *)data, size, one, NULL);
    return 0;
}
