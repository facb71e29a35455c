/*
 * test_rt_proto.c — Engine.IO / Socket.IO codecs (realtime/rt_proto.h), with
 * the cases of PROTOCOLS.md §1 and the socket.io test suite's malformed
 * packets; and the session state machine of rt_core.c driven without
 * threads (handshake, queue bound, CONNECT refusal, rooms).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "realtime/rt_int.h"
#include "realtime/rt_proto.h"

static int decode(const char *s, struct sio_packet *p)
{
    return sio_decode(s, strlen(s), p);
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

Test(eio, decode)
{
    enum eio_type t;
    const char *d;
    size_t n;
    cr_assert_eq(eio_decode("2probe", 6, &t, &d, &n), 0);
    cr_assert_eq(t, EIO_PING);
    cr_assert_eq(n, 5);
    cr_assert_eq(memcmp(d, "probe", 5), 0);
    cr_assert_eq(eio_decode("6", 1, &t, &d, &n), 0);
    cr_assert_eq(t, EIO_NOOP);
    cr_assert_eq(n, 0);
    cr_assert_eq(eio_decode("", 0, &t, &d, &n), -1);
    cr_assert_eq(eio_decode("7", 1, &t, &d, &n), -1);
    cr_assert_eq(eio_decode("bAQID", 5, &t, &d, &n), -1); /* base64 binary: refused */
}

struct collected {
    char pk[8][32];
    int n;
};

static int collect(void *ud, const char *pkt, size_t len)
{
    struct collected *c = ud;
    if (c->n >= 8 || len >= 32)
        return -1;
    memcpy(c->pk[c->n], pkt, len);
    c->pk[c->n++][len] = '\0';
    return 0;
}

Test(eio, split_payload)
{
    struct collected c = {0};
    const char body[] = "4hello\x1e"
                        "2\x1e"
                        "40{\"token\":\"x\"}";
    cr_assert_eq(eio_split_payload(body, strlen(body), collect, &c), 0);
    cr_assert_eq(c.n, 3);
    cr_assert_str_eq(c.pk[0], "4hello");
    cr_assert_str_eq(c.pk[1], "2");
    cr_assert_str_eq(c.pk[2], "40{\"token\":\"x\"}");
    struct collected e = {0};
    cr_assert_eq(eio_split_payload("", 0, collect, &e), -1);
    cr_assert_eq(eio_split_payload("4a\x1e", 3, collect, &e), -1);
    cr_assert_eq(eio_split_payload("\x1e" "4a", 3, collect, &e), -1);
}

Test(sio, connect_variants)
{
    struct sio_packet p;
    cr_assert_eq(decode("0", &p), 0);
    cr_assert_eq(p.type, SIO_CONNECT);
    cr_assert_str_eq(p.nsp, "/");
    cr_assert_null(p.data);
    cr_assert_eq(decode("0{\"token\":\"abc\"}", &p), 0);
    cr_assert_str_eq(json_string_value(json_object_get(p.data, "token")), "abc");
    sio_packet_clear(&p);
    cr_assert_eq(decode("0/admin,{\"token\":\"abc\"}", &p), 0);
    cr_assert_str_eq(p.nsp, "/admin");
    sio_packet_clear(&p);
    cr_assert_eq(decode("1/admin,", &p), 0);
    cr_assert_eq(p.type, SIO_DISCONNECT);
    cr_assert_str_eq(p.nsp, "/admin");
    cr_assert_eq(decode("4{\"message\":\"Not authorized\"}", &p), 0);
    cr_assert_eq(p.type, SIO_CONNECT_ERROR);
    sio_packet_clear(&p);
    cr_assert_eq(decode("0[1]", &p), -1, "CONNECT data must be an object");
    cr_assert_eq(decode("1{\"a\":1}", &p), -1, "DISCONNECT carries no data");
}

Test(sio, event_with_ack_and_answer)
{
    struct sio_packet p;
    cr_assert_eq(decode("2456[\"message-with-ack\",1,\"2\",{\"3\":[false]}]", &p), 0);
    cr_assert_eq(p.type, SIO_EVENT);
    cr_assert_eq(p.ack_id, 456);
    char *s = dump(p.data);
    cr_assert_str_eq(s, "[\"message-with-ack\",1,\"2\",{\"3\":[false]}]");
    free(s);
    json_t *args = json_array();
    for (size_t i = 1; i < json_array_size(p.data); i++)
        json_array_append(args, json_array_get(p.data, i));
    size_t len;
    char *pkt = sio_encode(SIO_ACK, NULL, p.ack_id, args, &len);
    cr_assert_str_eq(pkt, "43456[1,\"2\",{\"3\":[false]}]");
    cr_assert_eq(len, strlen(pkt));
    free(pkt);
    json_decref(args);
    sio_packet_clear(&p);

    cr_assert_eq(decode("2/admin,[\"bar\"]", &p), 0);
    cr_assert_str_eq(p.nsp, "/admin");
    cr_assert_eq(p.ack_id, -1);
    sio_packet_clear(&p);
    cr_assert_eq(decode("3/admin,12[]", &p), 0);
    cr_assert_eq(p.type, SIO_ACK);
    cr_assert_eq(p.ack_id, 12);
    sio_packet_clear(&p);
}

Test(sio, encode)
{
    size_t len;
    json_t *o = json_pack("{s:s}", "sid", "abc");
    char *pkt = sio_encode(SIO_CONNECT, NULL, -1, o, &len);
    cr_assert_str_eq(pkt, "40{\"sid\":\"abc\"}");
    free(pkt);
    json_decref(o);
    o = json_pack("{s:s}", "message", "Invalid namespace");
    pkt = sio_encode(SIO_CONNECT_ERROR, "/random", -1, o, &len);
    cr_assert_str_eq(pkt, "44/random,{\"message\":\"Invalid namespace\"}");
    free(pkt);
    json_decref(o);
    pkt = sio_encode(SIO_DISCONNECT, "/", -1, NULL, &len);
    cr_assert_str_eq(pkt, "41");
    free(pkt);
}

Test(sio, binary_header)
{
    struct sio_packet p;
    cr_assert_eq(decode("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", &p), 0);
    cr_assert_eq(p.type, SIO_BINARY_EVENT);
    cr_assert_eq(p.attachments, 1);
    sio_packet_clear(&p);
    cr_assert_eq(decode("5-[\"baz\"]", &p), -1);
    cr_assert_eq(decode("51[\"baz\"]", &p), -1);
}

Test(sio, malformed)
{
    static const char *const bad[] = {
        "abc",                  /* "4abc": not a type */
        "2{}",                  /* "42{}": event data must be an array */
        "2[]",                  /* empty event */
        "2[\"connect\"]",       /* reserved name */
        "2[\"disconnecting\"]", /* reserved name */
        "2[true]",              /* name neither string nor number */
        "2[\"x\"]trailing",     /* garbage after the JSON */
        "2[\"x\"",              /* truncated JSON */
        "3[]",                  /* ack without id */
        "3abc",                 /* bad ack id */
        "21234567890123456[\"x\"]", /* ack id too long */
        "7",                    /* unknown type */
        "",                     /* empty */
        "4",                    /* CONNECT_ERROR without data */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sio_packet p;
        cr_assert_eq(decode(bad[i], &p), -1, "accepted: %s", bad[i]);
        cr_assert_null(p.data);
    }
    char longnsp[300] = "2/";
    memset(longnsp + 2, 'a', 200);
    strcpy(longnsp + 202, ",[\"x\"]");
    struct sio_packet p;
    cr_assert_eq(decode(longnsp, &p), -1);
    cr_assert_eq(decode("22[1]", &p), 0, "a numeric event name is valid on the wire");
    sio_packet_clear(&p);
}

Test(rt_map, put_get_del_grow)
{
    struct rt_map *m = rt__map_new();
    char k[32];
    for (int i = 0; i < 500; i++) {
        snprintf(k, sizeof k, "key%d", i);
        rt__map_put(m, k, (void *)(intptr_t)(i + 1));
    }
    cr_assert_eq(rt__map_count(m), 500);
    cr_assert_eq((intptr_t)rt__map_get(m, "key42"), 43);
    rt__map_put(m, "key42", (void *)(intptr_t)7);
    cr_assert_eq((intptr_t)rt__map_get(m, "key42"), 7);
    rt__map_del(m, "key42");
    cr_assert_null(rt__map_get(m, "key42"));
    cr_assert_eq(rt__map_count(m), 499);
    rt__map_free(m);
}

/*-----------------------------------------------------------------------------
 * Session state machine, no threads: a polling session's queue shows what was sent.
 */
static void setup(void)
{
    rt.ping_interval = 25000;
    rt.ping_timeout = 20000;
    rt.connect_timeout = 45000;
    rt.upgrade_timeout = 10000;
    rt.by_sid = rt__map_new();
    rt.by_sock = rt__map_new();
    rt.rooms = rt__map_new();
    rt.running = true;
}

static void teardown(void)
{
    while (rt.all != NULL)
        rt__sess_close(rt.all, "test end");
    rt__map_free(rt.by_sid);
    rt__map_free(rt.by_sock);
    rt__map_free(rt.rooms);
    rt.by_sid = rt.by_sock = rt.rooms = NULL;
}

TestSuite(session, .init = setup, .fini = teardown);

Test(session, handshake_has_exactly_the_five_keys)
{
    struct rt_sess *s = rt__sess_new(false);
    size_t len;
    char *hs = rt__handshake(s, true, &len);
    cr_assert_eq(hs[0], '0');
    json_t *o = json_loads(hs + 1, 0, NULL);
    cr_assert_not_null(o);
    cr_assert_eq(json_object_size(o), 5);
    cr_assert_str_eq(json_string_value(json_object_get(o, "sid")), s->sid);
    cr_assert_eq(json_integer_value(json_object_get(o, "pingInterval")), 25000);
    cr_assert_eq(json_integer_value(json_object_get(o, "pingTimeout")), 20000);
    cr_assert_eq(json_integer_value(json_object_get(o, "maxPayload")), 1000000);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "upgrades"), 0)), "websocket");
    cr_assert_eq(strlen(s->sid), RT_SID_LEN);
    json_decref(o);
    free(hs);
    hs = rt__handshake(s, false, &len);
    cr_assert(strstr(hs, "\"upgrades\":[]") != NULL);
    free(hs);
}

Test(session, connect_without_token_is_refused_and_events_before_connect_close)
{
    struct rt_sess *s = rt__sess_new(false);
    cr_assert_eq(rt__on_packet(s, "40", 2), 0);
    cr_assert_not_null(s->q_head);
    cr_assert(strncmp(s->q_head->data, "44{\"message\":", 13) == 0);
    cr_assert_eq(rt__on_packet(s, "40/nope,{}", 10), 0);
    cr_assert_str_eq(s->q_tail->data, "44/nope,{\"message\":\"Invalid namespace\"}");
    cr_assert_eq(rt__on_packet(s, "42[\"send_message\"]", 18), -1, "an event before CONNECT");
    cr_assert_eq(rt__on_packet(s, "4abc", 4), -1);
    cr_assert_eq(rt__on_packet(s, "9", 1), -1);
    cr_assert_eq(rt__on_packet(s, "3", 1), 0, "a pong");
    cr_assert_eq(rt__on_packet(s, "6", 1), 0, "a noop");
    cr_assert_eq(rt__on_packet(s, "1", 1), 0, "a close");
    cr_assert_null(rt.all);
}

Test(session, slow_consumer_is_dropped)
{
    struct rt_sess *s = rt__sess_new(false);
    rt__sess_ref(s);
    static char big[64 * 1024];
    memset(big, 'x', sizeof big);
    big[0] = '4';
    for (int i = 0; i < 20 && !s->closed; i++)
        rt__send(s, big, sizeof big);
    cr_assert(s->closed, "a socket over RT_MAX_QUEUE is closed");
    cr_assert_eq(s->q_bytes, 0);
    rt__sess_unref(s);
}

Test(session, rooms_and_delivery)
{
    struct rt_sess *a = rt__sess_new(false), *b = rt__sess_new(false);
    strcpy(a->sock_id, "sockA");
    strcpy(b->sock_id, "sockB");
    cr_assert_eq(rt__join(a, "conv:1"), 0);
    cr_assert_eq(rt__join(a, "conv:1"), 0, "joining twice is a no-op");
    cr_assert_eq(rt__join(b, "conv:1"), 0);
    cr_assert_eq(rt__join(a, ""), -1);
    cr_assert(rt__room_live("conv:1"));
    rt__deliver("conv:1", "42[\"x\",1]", 9, "sockA");
    cr_assert_null(a->q_head, "the excepted socket gets nothing");
    cr_assert_str_eq(b->q_head->data, "42[\"x\",1]");
    rt__leave(b, "conv:1");
    rt__leave(a, "conv:1");
    cr_assert(!rt__room_live("conv:1"));
    cr_assert_eq(rt__map_count(rt.rooms), 0);
    rt__join(b, "conv:2");
    rt__sess_close(b, "test");
    cr_assert(!rt__room_live("conv:2"), "closing leaves every room");
}
