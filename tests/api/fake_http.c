/*
 * fake_http.c — the shared libmicrohttpd skeleton of the API tests' fakes
 * (see fake_http.h).
 *
 * Design: one daemon with an internal polling thread (or, when asked, a
 * thread per connection); per connection a growing body buffer (MHD calls
 * back with pieces of the upload, then once more with none: that last call
 * runs the handler). Records sit in a ring of FAKE_HTTP_MAX_RECORDS under
 * the fake's mutex.
 *
 * Its static functions carry an fh_ prefix: unit tests #include this file
 * next to a fake's .c (test_payproc, test_media_store), one translation unit.
 *
 * Caveats: the query string handed to handlers is rebuilt from MHD's
 * decoded arguments (re-encoded), not the raw bytes on the wire.
 */
#include "api/fake_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fake_http {
    struct MHD_Daemon *d;
    char url[64];
    fake_http_handler fn;
    void *ctx;
    size_t max_body;
    pthread_mutex_t lock;
    struct fake_http_record rec[FAKE_HTTP_MAX_RECORDS];
    int nrec; /* total ever recorded; the ring holds the last FAKE_HTTP_MAX_RECORDS */
};

struct conn {
    char *body;
    size_t len;
    bool truncated;
};

static void fh_die(const char *what)
{
    fprintf(stderr, "fake_http: %s\n", what);
    abort();
}

static char *fh_xdup(const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    if (d == NULL)
        fh_die("out of memory");
    return d;
}

static char *fh_xdupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL)
        fh_die("out of memory");
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/*-----------------------------------------------------------------------------
 * Replies
 */

void fake_http_reply_json(struct fake_http_reply *rp, unsigned status, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : fh_xdup("{}");
    json_decref(body);
    if (text == NULL)
        fh_die("json_dumps");
    free(rp->body);
    rp->status = status;
    rp->body = text;
    rp->body_len = 0;
    rp->content_type = "application/json";
}

void fake_http_reply_text(struct fake_http_reply *rp, unsigned status, const char *content_type, const char *body)
{
    free(rp->body);
    rp->status = status;
    rp->body = body != NULL ? fh_xdup(body) : NULL;
    rp->body_len = 0;
    rp->content_type = content_type;
}

void fake_http_reply_bytes(struct fake_http_reply *rp, unsigned status, const char *content_type, const void *data,
                           size_t len)
{
    free(rp->body);
    rp->status = status;
    rp->body = fh_xdupn(len > 0 ? data : "", len); /* NUL-terminated, so len 0 reads as "" */
    rp->body_len = len;
    rp->content_type = content_type;
}

void fake_http_reply_header(struct fake_http_reply *rp, const char *name, const char *value)
{
    if (rp->nheaders >= FAKE_HTTP_MAX_HEADERS)
        fh_die("too many reply headers");
    snprintf(rp->headers[rp->nheaders].name, sizeof rp->headers[0].name, "%s", name);
    snprintf(rp->headers[rp->nheaders].value, sizeof rp->headers[0].value, "%s", value);
    rp->nheaders++;
}

/*-----------------------------------------------------------------------------
 * Requests
 */

const char *fake_http_header(const struct fake_http_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->_conn, MHD_HEADER_KIND, name);
}

const char *fake_http_arg(const struct fake_http_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->_conn, MHD_GET_ARGUMENT_KIND, name);
}

static int fh_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int fake_http_form_value(const char *form, const char *key, char *buf, size_t cap)
{
    size_t kl = strlen(key);
    const char *p = form;
    while (p != NULL && *p != '\0') {
        const char *amp = strchr(p, '&');
        const char *end = amp != NULL ? amp : p + strlen(p);
        if ((size_t)(end - p) > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t o = 0;
            for (const char *v = p + kl + 1; v < end; v++) {
                char c = *v;
                if (c == '+') {
                    c = ' ';
                } else if (c == '%' && end - v >= 3 && fh_hexval(v[1]) >= 0 && fh_hexval(v[2]) >= 0) {
                    c = (char)(fh_hexval(v[1]) * 16 + fh_hexval(v[2]));
                    v += 2;
                }
                if (o + 1 >= cap)
                    return -1;
                buf[o++] = c;
            }
            buf[o] = '\0';
            return 0;
        }
        p = amp != NULL ? amp + 1 : NULL;
    }
    return -1;
}

/* url-decode s..end ('+' is a space; a '%' without two hex digits stays) into a new string. */
static char *fh_form_decode(const char *s, const char *end)
{
    char *out = fh_xdupn(s, (size_t)(end - s));
    size_t o = 0;
    for (const char *v = s; v < end; v++) {
        char c = *v;
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && end - v >= 3 && fh_hexval(v[1]) >= 0 && fh_hexval(v[2]) >= 0) {
            c = (char)(fh_hexval(v[1]) * 16 + fh_hexval(v[2]));
            v += 2;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

void fake_http_form_each(const char *form, size_t len, void (*fn)(void *ctx, const char *key, const char *value),
                         void *ctx)
{
    const char *p = form, *stop = form + len;
    while (p < stop) {
        const char *end = memchr(p, '&', (size_t)(stop - p));
        if (end == NULL)
            end = stop;
        if (end > p) {
            const char *eq = memchr(p, '=', (size_t)(end - p));
            char *k = fh_form_decode(p, eq != NULL ? eq : end);
            char *v = eq != NULL ? fh_form_decode(eq + 1, end) : NULL;
            fn(ctx, k, v);
            free(k);
            free(v);
        }
        p = end + 1;
    }
}

struct qbuild {
    char *s;
    size_t len;
};

static void fh_qroom(struct qbuild *q, size_t n)
{
    q->s = realloc(q->s, q->len + n + 1);
    if (q->s == NULL)
        fh_die("out of memory");
}

/* Percent-encode text onto q (RFC 3986 unreserved characters stay). */
static void fh_qput(struct qbuild *q, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        fh_qroom(q, 3);
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL) {
            q->s[q->len++] = (char)*p;
        } else {
            q->s[q->len++] = '%';
            q->s[q->len++] = hex[*p >> 4];
            q->s[q->len++] = hex[*p & 15];
        }
    }
}

static enum MHD_Result fh_add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct qbuild *q = cls;
    if (q->len > 0) {
        fh_qroom(q, 1);
        q->s[q->len++] = '&';
    }
    fh_qput(q, key);
    if (value != NULL) {
        fh_qroom(q, 1);
        q->s[q->len++] = '=';
        fh_qput(q, value);
    }
    return MHD_YES;
}

static void fh_record(struct fake_http *h, const struct fake_http_request *rq)
{
    const char *auth = fake_http_header(rq, "Authorization");
    const char *ct = fake_http_header(rq, "Content-Type");
    pthread_mutex_lock(&h->lock);
    struct fake_http_record *r = &h->rec[h->nrec % FAKE_HTTP_MAX_RECORDS];
    fake_http_record_free(r);
    r->method = fh_xdup(rq->method);
    r->path = fh_xdup(rq->path);
    r->query = fh_xdup(rq->query);
    r->authorization = auth != NULL ? fh_xdup(auth) : NULL;
    r->content_type = ct != NULL ? fh_xdup(ct) : NULL;
    r->body = fh_xdupn(rq->body, rq->body_len);
    r->body_len = rq->body_len;
    h->nrec++;
    pthread_mutex_unlock(&h->lock);
}

static enum MHD_Result fh_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct fake_http *h = cls;
    struct conn *cn = *con_cls;
    if (cn == NULL) {
        cn = calloc(1, sizeof *cn);
        if (cn == NULL)
            fh_die("out of memory");
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        if (cn->len + n > h->max_body) {
            n = h->max_body - cn->len;
            cn->truncated = true;
        }
        cn->body = realloc(cn->body, cn->len + n + 1);
        if (cn->body == NULL)
            fh_die("out of memory");
        memcpy(cn->body + cn->len, upload, n);
        cn->len += n;
        cn->body[cn->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    struct qbuild q = {0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, fh_add_arg, &q);
    if (q.s != NULL)
        q.s[q.len] = '\0'; /* fh_qroom keeps a byte spare */
    struct fake_http_request rq = {.method = method, .path = url, .query = q.s != NULL ? q.s : "",
                                   .body = cn->body != NULL ? cn->body : "", .body_len = cn->len,
                                   .truncated = cn->truncated, ._conn = c};
    fh_record(h, &rq);
    struct fake_http_reply rp;
    memset(&rp, 0, sizeof rp);
    h->fn(h->ctx, &rq, &rp);
    free(q.s);
    size_t len = rp.body == NULL ? 0 : rp.body_len > 0 ? rp.body_len : strlen(rp.body);
    struct MHD_Response *r = rp.body != NULL ? MHD_create_response_from_buffer(len, rp.body, MHD_RESPMEM_MUST_FREE)
                                             : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (rp.content_type != NULL)
        MHD_add_response_header(r, "Content-Type", rp.content_type);
    for (int i = 0; i < rp.nheaders; i++)
        MHD_add_response_header(r, rp.headers[i].name, rp.headers[i].value);
    enum MHD_Result ret = MHD_queue_response(c, rp.status != 0 ? rp.status : 500, r);
    MHD_destroy_response(r);
    return ret;
}

static void fh_on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    struct conn *cn = *con_cls;
    if (cn != NULL) {
        free(cn->body);
        free(cn);
        *con_cls = NULL;
    }
}

/*-----------------------------------------------------------------------------
 * Life cycle and records
 */

struct fake_http *fake_http_start(fake_http_handler fn, void *ctx)
{
    return fake_http_start_opts(fn, ctx, NULL);
}

struct fake_http *fake_http_start_opts(fake_http_handler fn, void *ctx, const struct fake_http_opts *opts)
{
    struct fake_http *h = calloc(1, sizeof *h);
    if (h == NULL)
        fh_die("out of memory");
    h->fn = fn;
    h->ctx = ctx;
    h->max_body = opts != NULL && opts->max_body > 0 ? opts->max_body : FAKE_HTTP_MAX_BODY;
    pthread_mutex_init(&h->lock, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
    if (opts != NULL && opts->thread_per_connection)
        flags |= MHD_USE_THREAD_PER_CONNECTION;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, fh_on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_NOTIFY_COMPLETED, fh_on_completed, h, MHD_OPTION_END);
    if (h->d == NULL)
        fh_die("MHD_start_daemon");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(h->url, sizeof h->url, "http://127.0.0.1:%u", (unsigned)info->port);
    return h;
}

void fake_http_stop(struct fake_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->d);
    for (int i = 0; i < FAKE_HTTP_MAX_RECORDS; i++)
        fake_http_record_free(&h->rec[i]);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

const char *fake_http_url(const struct fake_http *h)
{
    return h->url;
}

void fake_http_lock(struct fake_http *h)
{
    pthread_mutex_lock(&h->lock);
}

void fake_http_unlock(struct fake_http *h)
{
    pthread_mutex_unlock(&h->lock);
}

static bool fh_matches(const struct fake_http_record *r, const char *method, const char *prefix)
{
    return r->method != NULL && (method == NULL || strcmp(r->method, method) == 0) &&
           (prefix == NULL || strncmp(r->path, prefix, strlen(prefix)) == 0);
}

int fake_http_count(struct fake_http *h, const char *method, const char *path_prefix)
{
    int n = 0;
    pthread_mutex_lock(&h->lock);
    int kept = h->nrec < FAKE_HTTP_MAX_RECORDS ? h->nrec : FAKE_HTTP_MAX_RECORDS;
    for (int i = 0; i < kept; i++)
        n += fh_matches(&h->rec[i], method, path_prefix);
    pthread_mutex_unlock(&h->lock);
    return n;
}

int fake_http_last(struct fake_http *h, const char *method, const char *path_prefix, struct fake_http_record *out)
{
    int rc = -1;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&h->lock);
    int kept = h->nrec < FAKE_HTTP_MAX_RECORDS ? h->nrec : FAKE_HTTP_MAX_RECORDS;
    for (int k = 0; k < kept && rc != 0; k++) {
        const struct fake_http_record *r = &h->rec[(h->nrec - 1 - k) % FAKE_HTTP_MAX_RECORDS];
        if (!fh_matches(r, method, path_prefix))
            continue;
        out->method = fh_xdup(r->method);
        out->path = fh_xdup(r->path);
        out->query = fh_xdup(r->query);
        out->authorization = r->authorization != NULL ? fh_xdup(r->authorization) : NULL;
        out->content_type = r->content_type != NULL ? fh_xdup(r->content_type) : NULL;
        out->body = fh_xdupn(r->body, r->body_len);
        out->body_len = r->body_len;
        rc = 0;
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

void fake_http_record_free(struct fake_http_record *r)
{
    free(r->method);
    free(r->path);
    free(r->query);
    free(r->authorization);
    free(r->content_type);
    free(r->body);
    memset(r, 0, sizeof *r);
}

void fake_http_reset(struct fake_http *h)
{
    pthread_mutex_lock(&h->lock);
    for (int i = 0; i < FAKE_HTTP_MAX_RECORDS; i++)
        fake_http_record_free(&h->rec[i]);
    h->nrec = 0;
    pthread_mutex_unlock(&h->lock);
}
