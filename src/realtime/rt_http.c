/*
 * rt_http.c — the /socket.io/ requests (http/hook.h): the Engine.IO
 * handshake, HTTP long-polling and the WebSocket upgrade.
 *
 *   GET  ?EIO=4&transport=polling            new session, body 0{…}
 *   GET  ?EIO=4&transport=polling&sid=X      packets joined by 0x1e; held open
 *                                            (MHD_suspend_connection) until a
 *                                            packet is queued (the server's
 *                                            ping bounds the wait)
 *   POST ?EIO=4&transport=polling&sid=X      packets joined by 0x1e → "ok"
 *   GET  ?EIO=4&transport=websocket[&sid=X]  101, then rt_ws.c drives the fd
 *
 * Errors are engine.io's: 400 {"code":N,"message":…} (0 transport unknown,
 * 1 session ID unknown, 2 bad handshake method, 3 bad request, 5
 * unsupported protocol version). A second concurrent GET or POST, a
 * malformed payload or an oversized body (413) also close the session.
 *
 * Caveats: no CORS headers (browsers on another origin are not a use case
 * yet); no JSONP; polling requests get no access-log line.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/log.h"
#include "realtime/rt_int.h"

struct rt_req {
    struct rt_sess *sess; /* ref, or NULL */
    struct MHD_Connection *conn;
    bool is_get, is_post, suspended, answered, too_big, ws;
    char *body;
    size_t len, cap;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *ctype, const char *body,
                               size_t len)
{
    struct MHD_Response *res = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (res == NULL)
        return MHD_NO;
    MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(res, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
    enum MHD_Result r = MHD_queue_response(conn, status, res);
    MHD_destroy_response(res);
    return r;
}

static enum MHD_Result eio_error(struct rt_req *q, unsigned status, int code, const char *message)
{
    char body[128];
    int n = snprintf(body, sizeof body, "{\"code\":%d,\"message\":\"%s\"}", code, message);
    q->answered = true;
    return respond(q->conn, status, "application/json", body, (size_t)n);
}

static enum MHD_Result text(struct rt_req *q, const char *body, size_t len)
{
    q->answered = true;
    return respond(q->conn, MHD_HTTP_OK, "text/plain; charset=UTF-8", body, len);
}

/* The answer to a GET (rt.mu held): the queue joined by 0x1e; "1" when the session ended; "6" when empty. */
static enum MHD_Result answer_get(struct rt_req *q)
{
    struct rt_sess *s = q->sess;
    if (s->get_conn == q->conn)
        s->get_conn = NULL;
    s->get_resumed = false;
    if (s->closed)
        return text(q, "1", 1);
    if (s->q_head == NULL)
        return text(q, "6", 1);
    size_t total = 0, n = 0;
    for (struct rt_msg *m = s->q_head; m != NULL; m = m->next)
        total += m->len + 1;
    char *buf = xmalloc(total);
    for (struct rt_msg *m = s->q_head, *nx; m != NULL; m = nx) {
        nx = m->next;
        if (n > 0)
            buf[n++] = EIO_SEPARATOR;
        memcpy(buf + n, m->data, m->len);
        n += m->len;
        free(m);
    }
    s->q_head = s->q_tail = NULL;
    s->q_bytes = 0;
    enum MHD_Result r = text(q, buf, n);
    free(buf);
    return r;
}

static int post_packet(void *ud, const char *pkt, size_t len)
{
    struct rt_sess *s = ud;
    if (s->closed)
        return 0;
    return rt__on_packet(s, pkt, len);
}

static enum MHD_Result finish_post(struct rt_req *q)
{
    struct rt_sess *s = q->sess;
    enum MHD_Result r;
    pthread_mutex_lock(&rt.mu);
    s->post_active = false;
    if (q->too_big) {
        rt__sess_close(s, "payload over maxPayload");
        pthread_mutex_unlock(&rt.mu);
        return eio_error(q, MHD_HTTP_CONTENT_TOO_LARGE, 3, "Bad request");
    }
    if (s->closed) {
        pthread_mutex_unlock(&rt.mu);
        return eio_error(q, MHD_HTTP_BAD_REQUEST, 1, "Session ID unknown");
    }
    if (q->len == 0 || eio_split_payload(q->body, q->len, post_packet, s) != 0) {
        rt__sess_close(s, "malformed polling payload");
        pthread_mutex_unlock(&rt.mu);
        return eio_error(q, MHD_HTTP_BAD_REQUEST, 3, "Bad request");
    }
    pthread_mutex_unlock(&rt.mu);
    r = text(q, "ok", 2);
    return r;
}

/*-----------------------------------------------------------------------------
 * WebSocket upgrade
 */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn;
    (void)con_cls;
    struct rt_req *q = cls;
    rt__ws_attach(q->sess, sock, urh, extra_in, extra_in_size);
}

static bool header_has_token(const char *v, const char *token)
{
    size_t tl = strlen(token);
    for (const char *p = v; p != NULL && *p != '\0';) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *e = p;
        while (*e != '\0' && *e != ',')
            e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - p) == tl && strncasecmp(p, token, tl) == 0)
            return true;
        p = e;
    }
    return false;
}

static enum MHD_Result upgrade(struct rt_req *q)
{
    struct MHD_Connection *conn = q->conn;
    const char *up = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade");
    const char *co = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection");
    const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    const char *ver = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Version");
    if (!q->is_get || up == NULL || strcasecmp(up, "websocket") != 0 || co == NULL || !header_has_token(co, "upgrade") ||
        key == NULL || strlen(key) != 24 || ver == NULL || strcmp(ver, "13") != 0)
        return eio_error(q, MHD_HTTP_BAD_REQUEST, 3, "Bad request");
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char in[24 + sizeof guid];
    memcpy(in, key, 24);
    memcpy(in + 24, guid, sizeof guid);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    char accept[64];
    if (EVP_Digest(in, 24 + sizeof guid - 1, md, &mdlen, EVP_sha1(), NULL) != 1)
        return eio_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, 3, "Bad request");
    EVP_EncodeBlock((unsigned char *)accept, md, (int)mdlen);
    struct MHD_Response *res = MHD_create_response_for_upgrade(on_upgrade, q);
    if (res == NULL)
        return MHD_NO;
    MHD_add_response_header(res, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(res, "Sec-WebSocket-Accept", accept);
    enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, res);
    MHD_destroy_response(res);
    q->answered = true;
    q->ws = true;
    return r;
}

/*-----------------------------------------------------------------------------
 * The hook
 */
static enum MHD_Result first_call(struct rt_req *q, const char *method)
{
    struct MHD_Connection *conn = q->conn;
    const char *eio = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "EIO");
    const char *transport = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "transport");
    const char *sid = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sid");
    q->is_get = strcmp(method, "GET") == 0;
    q->is_post = strcmp(method, "POST") == 0;
    if (transport == NULL || (strcmp(transport, "polling") != 0 && strcmp(transport, "websocket") != 0))
        return eio_error(q, MHD_HTTP_BAD_REQUEST, 0, "Transport unknown");
    if (eio == NULL || strcmp(eio, "4") != 0)
        return eio_error(q, MHD_HTTP_BAD_REQUEST, 5, "Unsupported protocol version");
    bool ws = strcmp(transport, "websocket") == 0;
    pthread_mutex_lock(&rt.mu);
    if (!rt.running) {
        pthread_mutex_unlock(&rt.mu);
        return eio_error(q, MHD_HTTP_SERVICE_UNAVAILABLE, 3, "Bad request");
    }
    if (sid == NULL) {
        if (!q->is_get) {
            pthread_mutex_unlock(&rt.mu);
            return eio_error(q, MHD_HTTP_BAD_REQUEST, 2, "Bad handshake method");
        }
        if (rt__pending_full()) {
            pthread_mutex_unlock(&rt.mu);
            return eio_error(q, MHD_HTTP_SERVICE_UNAVAILABLE, 3, "Bad request");
        }
        if (ws) {
            pthread_mutex_unlock(&rt.mu);
            return upgrade(q);
        }
        struct rt_sess *s = rt__sess_new(false);
        size_t len;
        char *hs = rt__handshake(s, true, &len);
        pthread_mutex_unlock(&rt.mu);
        enum MHD_Result r = text(q, hs, len);
        free(hs);
        return r;
    }
    struct rt_sess *s = rt__map_get(rt.by_sid, sid);
    if (s == NULL || s->closed) {
        pthread_mutex_unlock(&rt.mu);
        return eio_error(q, MHD_HTTP_BAD_REQUEST, 1, "Session ID unknown");
    }
    if (s->ws_transport || (ws && s->ws != NULL) || (!q->is_get && !q->is_post)) {
        pthread_mutex_unlock(&rt.mu);
        return eio_error(q, MHD_HTTP_BAD_REQUEST, 3, "Bad request");
    }
    rt__sess_ref(s);
    q->sess = s;
    if (ws) {
        pthread_mutex_unlock(&rt.mu);
        return upgrade(q);
    }
    if (q->is_get) {
        if (s->get_conn != NULL) {
            rt__sess_close(s, "concurrent polling GET");
            pthread_mutex_unlock(&rt.mu);
            return eio_error(q, MHD_HTTP_BAD_REQUEST, 3, "Bad request");
        }
        if (s->q_head != NULL || s->upgrading) {
            enum MHD_Result r = answer_get(q);
            pthread_mutex_unlock(&rt.mu);
            return r;
        }
        s->get_conn = conn;
        s->get_resumed = false;
        q->suspended = true;
        MHD_suspend_connection(conn);
        pthread_mutex_unlock(&rt.mu);
        return MHD_YES;
    }
    if (s->post_active) {
        rt__sess_close(s, "concurrent polling POST");
        pthread_mutex_unlock(&rt.mu);
        return eio_error(q, MHD_HTTP_BAD_REQUEST, 3, "Bad request");
    }
    s->post_active = true;
    pthread_mutex_unlock(&rt.mu);
    return MHD_YES; /* the body follows */
}

enum MHD_Result rt__http_handle(void *ud, struct MHD_Connection *conn, const char *url, const char *method,
                                const char *upload_data, size_t *upload_data_size, void **state)
{
    (void)ud;
    (void)url;
    struct rt_req *q = *state;
    if (q == NULL) {
        q = xcalloc(1, sizeof *q);
        q->conn = conn;
        *state = q;
        return first_call(q, method);
    }
    if (q->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (q->suspended) {
        /* Resumed: something was queued, the session ended, or the upgrade wants the poll back. */
        q->suspended = false;
        pthread_mutex_lock(&rt.mu);
        enum MHD_Result r = answer_get(q);
        pthread_mutex_unlock(&rt.mu);
        return r;
    }
    if (q->is_post && *upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (q->too_big || q->len + n > RT_MAX_PAYLOAD) {
            q->too_big = true;
            return MHD_YES;
        }
        if (q->len + n > q->cap) {
            q->cap = q->cap ? q->cap : 1024;
            while (q->cap < q->len + n)
                q->cap *= 2;
            q->body = xrealloc(q->body, q->cap);
        }
        memcpy(q->body + q->len, upload_data, n);
        q->len += n;
        return MHD_YES;
    }
    if (q->is_post && q->sess != NULL)
        return finish_post(q);
    return eio_error(q, MHD_HTTP_BAD_REQUEST, 3, "Bad request");
}

void rt__http_done(void *ud, void *state)
{
    (void)ud;
    struct rt_req *q = state;
    if (q == NULL)
        return;
    if (q->sess != NULL) {
        pthread_mutex_lock(&rt.mu);
        struct rt_sess *s = q->sess;
        if (s->get_conn == q->conn) {
            s->get_conn = NULL;
            s->get_resumed = false;
        }
        if (q->is_post && !q->answered)
            s->post_active = false;
        rt__sess_unref(s);
        pthread_mutex_unlock(&rt.mu);
    }
    free(q->body);
    free(q);
}
