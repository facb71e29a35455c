/*
 * fake_s3.c — a local S3-compatible object store for the API tests (see fake_s3.h).
 *
 * Design: built on fake_http (one libmicrohttpd daemon with its own polling
 * thread); objects live in an array under the fake_http mutex (the test
 * thread reads them while the daemon thread serves). Request bodies are
 * collected by fake_http (capped at BODY_MAX) before the request is judged.
 *
 * SigV4, as AWS documents it ("Signature Version 4 signing process",
 * "Authenticating Requests: Using the Authorization Header"):
 *   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n
 *                      CanonicalHeaders \n SignedHeaders \n PayloadHash
 *   StringToSign     = "AWS4-HMAC-SHA256" \n X-Amz-Date \n Scope \n
 *                      hex(SHA256(CanonicalRequest))
 *   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
 *                      "s3"), "aws4_request")
 *   Signature        = hex(HMAC(SigningKey, StringToSign))
 * with Scope = date/region/s3/aws4_request, header names lower-cased and
 * values trimmed with inner runs of spaces collapsed, URI segments
 * percent-encoded except unreserved characters (S3 does not encode twice).
 *
 * Caveats: test code: allocation failures abort; one bucket; no listing,
 * multipart uploads, versioning or presigned URLs; the URI is rebuilt from
 * libmicrohttpd's decoded path (exact for the keys our server uses), the
 * query from fake_http's re-encoded one.
 */
#include "api/fake_s3.h"

#include "api/fake_http.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BODY_MAX (64u << 20)
#define MAX_SKEW_S (15 * 60)

struct object {
    char *key;
    char *data;
    size_t len;
    char ctype[128];
    char etag[40];
};

struct fake_s3 {
    struct fake_http *h;
    char bucket[64], region[64], access_key[128], secret_key[128];
    struct object *objs;
    size_t nobjs, cap;
    struct fake_s3_stats stats;
    char last_error[64];
    unsigned long request_counter;
};

static void die(const char *what)
{
    fprintf(stderr, "fake_s3: %s\n", what);
    abort();
}

static void *xmalloc_or_die(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        die("out of memory");
    return p;
}

/*-----------------------------------------------------------------------------
 * Hashing
 */
static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    hex(md, 32, out);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

/*-----------------------------------------------------------------------------
 * Responses
 */
/* Answer len bytes of body (copied) with ctype (NULL: none) and extra headers (name, value, …, NULL). */
static void send_body(struct fake_http_reply *rp, unsigned status, const char *ctype, const void *body, size_t len,
                      const char *const *headers)
{
    fake_http_reply_bytes(rp, status, NULL, body, len);
    if (ctype != NULL)
        fake_http_reply_header(rp, "Content-Type", ctype);
    fake_http_reply_header(rp, "Server", "FakeS3");
    for (const char *const *h = headers; h != NULL && h[0] != NULL; h += 2)
        fake_http_reply_header(rp, h[0], h[1]);
}

static void s3_error(struct fake_s3 *f, struct fake_http_reply *rp, unsigned status, const char *code,
                     const char *message, const char *resource)
{
    char body[1024];
    unsigned long rid;
    fake_http_lock(f->h);
    f->stats.refused++;
    if (strcmp(code, "SignatureDoesNotMatch") == 0)
        f->stats.bad_signatures++;
    snprintf(f->last_error, sizeof f->last_error, "%s", code);
    rid = ++f->request_counter;
    fake_http_unlock(f->h);
    snprintf(body, sizeof body,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>"
             "<Resource>%s</Resource><RequestId>FAKE%08lX</RequestId></Error>",
             code, message, resource, rid);
    send_body(rp, status, "application/xml", body, strlen(body), NULL);
}

/*-----------------------------------------------------------------------------
 * SigV4 verification
 */

/* Percent-encode a path as SigV4 wants it: every byte but unreserved and '/'. */
static void uri_encode_path(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < cap; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' || *p == '/')
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", *p);
    }
    out[n] = '\0';
}

struct qarg {
    char *k, *v;
};
struct qargs {
    struct qarg a[32];
    int n;
};

static void collect_arg(void *cls, const char *key, const char *value)
{
    struct qargs *q = cls;
    if (q->n < 32) {
        char *k = xmalloc_or_die(strlen(key) * 3 + 1), *v = xmalloc_or_die((value ? strlen(value) : 0) * 3 + 1);
        uri_encode_path(key, k, strlen(key) * 3 + 1);
        uri_encode_path(value ? value : "", v, (value ? strlen(value) : 0) * 3 + 1);
        q->a[q->n].k = k;
        q->a[q->n].v = v;
        q->n++;
    }
}

static int cmp_arg(const void *x, const void *y)
{
    const struct qarg *a = x, *b = y;
    int c = strcmp(a->k, b->k);
    return c ? c : strcmp(a->v, b->v);
}

/* Header value trimmed, inner runs of spaces collapsed to one. */
static void canonical_value(const char *v, char *out, size_t cap)
{
    size_t n = 0;
    bool space = false;
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v && n + 2 < cap; v++) {
        if (*v == ' ' || *v == '\t') {
            space = true;
            continue;
        }
        if (space && n > 0)
            out[n++] = ' ';
        space = false;
        out[n++] = *v;
    }
    out[n] = '\0';
}

/* Value of "Name=value" in the Authorization header's comma-separated list. */
static bool auth_field(const char *auth, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = auth; (p = strstr(p, name)) != NULL; p += nl) {
        if ((p == auth || p[-1] == ' ' || p[-1] == ',') && p[nl] == '=') {
            const char *v = p + nl + 1, *e = v;
            while (*e && *e != ',' && *e != ' ')
                e++;
            if ((size_t)(e - v) >= cap)
                return false;
            memcpy(out, v, (size_t)(e - v));
            out[e - v] = '\0';
            return true;
        }
    }
    return false;
}

static bool parse_amz_date(const char *s, time_t *out)
{
    struct tm tm = {0};
    if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return false;
    if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) !=
        6)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm);
    return true;
}

/*
 * Check the request's signature. Returns 0 when it is good, else answers
 * the request with the S3 error (into rp) and returns -1.
 */
static int verify(struct fake_s3 *f, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    const char *method = rq->method, *path = rq->path;
    const char *auth = fake_http_header(rq, "Authorization");
    const char *amz_date = fake_http_header(rq, "x-amz-date");
    const char *payload = fake_http_header(rq, "x-amz-content-sha256");
    char cred[512], signed_h[512], sig[128], want_scope[256];
    if (auth == NULL) {
        s3_error(f, rp, 403, "AccessDenied", "Anonymous access is forbidden", path);
        return -1;
    }
    if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0 || !auth_field(auth, "Credential", cred, sizeof cred) ||
        !auth_field(auth, "SignedHeaders", signed_h, sizeof signed_h) ||
        !auth_field(auth, "Signature", sig, sizeof sig)) {
        s3_error(f, rp, 400, "AuthorizationHeaderMalformed", "The authorization header is malformed", path);
        return -1;
    }
    if (payload == NULL) {
        s3_error(f, rp, 400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256", path);
        return -1;
    }
    time_t t;
    if (!parse_amz_date(amz_date, &t)) {
        s3_error(f, rp, 403, "AccessDenied", "AWS authentication requires a valid X-Amz-Date", path);
        return -1;
    }
    long skew = (long)(time(NULL) - t);
    if (skew > MAX_SKEW_S || skew < -MAX_SKEW_S) {
        s3_error(f, rp, 403, "RequestTimeTooSkewed",
                 "The difference between the request time and the current time is too large", path);
        return -1;
    }
    /* Credential = AKID/date/region/s3/aws4_request */
    char *slash = strchr(cred, '/');
    if (slash == NULL) {
        s3_error(f, rp, 400, "AuthorizationHeaderMalformed", "The Credential is malformed", path);
        return -1;
    }
    *slash = '\0';
    const char *scope = slash + 1;
    if (strcmp(cred, f->access_key) != 0) {
        s3_error(f, rp, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records",
                 path);
        return -1;
    }
    snprintf(want_scope, sizeof want_scope, "%.8s/%s/s3/aws4_request", amz_date, f->region);
    if (strcmp(scope, want_scope) != 0) {
        s3_error(f, rp, 400, "AuthorizationHeaderMalformed",
                 "The credential scope does not match the date, region or service", path);
        return -1;
    }
    /* Canonical headers from the signed list (must be lower case, sorted, and cover the required ones). */
    char canon_headers[8192] = "", prev[128] = "";
    size_t ch = 0;
    bool has_host = false, has_date = false, has_payload = false;
    char list[512];
    snprintf(list, sizeof list, "%s", signed_h);
    for (char *save = NULL, *h = strtok_r(list, ";", &save); h != NULL; h = strtok_r(NULL, ";", &save)) {
        for (char *q = h; *q; q++)
            if (*q != tolower((unsigned char)*q)) {
                s3_error(f, rp, 403, "SignatureDoesNotMatch", "SignedHeaders must be lower case", path);
                return -1;
            }
        if (prev[0] != '\0' && strcmp(prev, h) >= 0) {
            s3_error(f, rp, 403, "SignatureDoesNotMatch", "SignedHeaders must be sorted", path);
            return -1;
        }
        snprintf(prev, sizeof prev, "%s", h);
        has_host |= strcmp(h, "host") == 0;
        has_date |= strcmp(h, "x-amz-date") == 0;
        has_payload |= strcmp(h, "x-amz-content-sha256") == 0;
        const char *v = fake_http_header(rq, h);
        char cv[2048];
        canonical_value(v ? v : "", cv, sizeof cv);
        ch += (size_t)snprintf(canon_headers + ch, sizeof canon_headers - ch, "%s:%s\n", h, cv);
        if (ch >= sizeof canon_headers)
            die("canonical headers too long");
    }
    if (!has_host || !has_date || !has_payload) {
        s3_error(f, rp, 403, "AccessDenied", "host, x-amz-date and x-amz-content-sha256 must be signed", path);
        return -1;
    }
    /* Canonical query: encoded pairs sorted by name, then value. */
    struct qargs q = {0};
    fake_http_form_each(rq->query, strlen(rq->query), collect_arg, &q);
    qsort(q.a, (size_t)q.n, sizeof q.a[0], cmp_arg);
    char query[2048] = "";
    size_t ql = 0;
    for (int i = 0; i < q.n; i++) {
        ql += (size_t)snprintf(query + ql, ql < sizeof query ? sizeof query - ql : 0, "%s%s=%s", i ? "&" : "", q.a[i].k,
                               q.a[i].v);
        free(q.a[i].k);
        free(q.a[i].v);
    }
    char uri[4096];
    uri_encode_path(path, uri, sizeof uri);
    size_t creq_cap = strlen(method) + strlen(uri) + strlen(query) + ch + strlen(signed_h) + strlen(payload) + 16;
    char *creq = xmalloc_or_die(creq_cap);
    snprintf(creq, creq_cap, "%s\n%s\n%s\n%s\n%s\n%s", method, uri, query, canon_headers, signed_h, payload);
    char creq_hash[65];
    sha256_hex(creq, strlen(creq), creq_hash);
    free(creq);
    char sts[512];
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, creq_hash);
    char k0[200];
    unsigned char k[32], sigbin[32];
    char date[9];
    snprintf(k0, sizeof k0, "AWS4%s", f->secret_key);
    snprintf(date, sizeof date, "%.8s", amz_date);
    hmac(k0, strlen(k0), date, k);
    hmac(k, 32, f->region, k);
    hmac(k, 32, "s3", k);
    hmac(k, 32, "aws4_request", k);
    hmac(k, 32, sts, sigbin);
    char want[65];
    hex(sigbin, 32, want);
    if (strlen(sig) != 64 || CRYPTO_memcmp(sig, want, 64) != 0) {
        s3_error(f, rp, 403, "SignatureDoesNotMatch",
                 "The request signature we calculated does not match the signature you provided", path);
        return -1;
    }
    if (strcmp(payload, "UNSIGNED-PAYLOAD") != 0) {
        char actual[65];
        sha256_hex(rq->body, rq->body_len, actual);
        if (strcasecmp(actual, payload) != 0) {
            s3_error(f, rp, 400, "XAmzContentSHA256Mismatch",
                     "The provided 'x-amz-content-sha256' header does not match what was computed", path);
            return -1;
        }
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Objects
 */
static struct object *find(struct fake_s3 *f, const char *key)
{
    for (size_t i = 0; i < f->nobjs; i++)
        if (strcmp(f->objs[i].key, key) == 0)
            return &f->objs[i];
    return NULL;
}

static void put_object(struct fake_s3 *f, const char *key, const struct fake_http_request *b, const char *ctype,
                       char *etag_out)
{
    unsigned char md[16];
    unsigned int n = 0;
    EVP_Digest(b->body, b->body_len, md, &n, EVP_md5(), NULL);
    fake_http_lock(f->h);
    struct object *o = find(f, key);
    if (o == NULL) {
        if (f->nobjs == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 16;
            f->objs = realloc(f->objs, f->cap * sizeof *f->objs);
            if (f->objs == NULL)
                die("out of memory");
        }
        o = &f->objs[f->nobjs++];
        memset(o, 0, sizeof *o);
        o->key = strdup(key);
    }
    free(o->data);
    o->data = xmalloc_or_die(b->body_len);
    if (b->body_len)
        memcpy(o->data, b->body, b->body_len);
    o->len = b->body_len;
    snprintf(o->ctype, sizeof o->ctype, "%s", ctype ? ctype : "binary/octet-stream");
    o->etag[0] = '"';
    hex(md, 16, o->etag + 1);
    o->etag[33] = '"';
    o->etag[34] = '\0';
    memcpy(etag_out, o->etag, 35);
    f->stats.puts++;
    fake_http_unlock(f->h);
}

/* Parse a single "bytes=" range against size. 0: none/ignored, 1: ok, -1: unsatisfiable. */
static int range_of(const char *h, size_t size, size_t *first, size_t *last)
{
    unsigned long long a, b;
    char tail;
    if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
        return 0;
    h += 6;
    if (h[0] == '-') {
        if (sscanf(h + 1, "%llu%c", &b, &tail) != 1)
            return 0;
        if (b == 0 || size == 0)
            return -1;
        *first = b >= size ? 0 : size - (size_t)b;
        *last = size - 1;
        return 1;
    }
    int n = sscanf(h, "%llu-%llu%c", &a, &b, &tail);
    if (n == 1) {
        if (h[strlen(h) - 1] != '-')
            return 0;
        b = size ? size - 1 : 0;
    } else if (n != 2 || b < a) {
        return 0;
    }
    if (a >= size)
        return -1;
    *first = (size_t)a;
    *last = b < size ? (size_t)b : size - 1;
    return 1;
}

static void get_object(struct fake_s3 *f, const struct fake_http_request *rq, struct fake_http_reply *rp,
                       const char *key, bool head)
{
    const char *path = rq->path;
    fake_http_lock(f->h);
    struct object *o = find(f, key);
    if (o == NULL) {
        fake_http_unlock(f->h);
        if (head) {
            fake_http_lock(f->h);
            f->stats.refused++;
            fake_http_unlock(f->h);
            return send_body(rp, 404, NULL, "", 0, NULL);
        }
        return s3_error(f, rp, 404, "NoSuchKey", "The specified key does not exist.", path);
    }
    size_t first = 0, last = o->len ? o->len - 1 : 0;
    int r = range_of(fake_http_header(rq, "Range"), o->len, &first, &last);
    if (r < 0) {
        size_t size = o->len;
        fake_http_unlock(f->h);
        char msg[128];
        snprintf(msg, sizeof msg, "The requested range is not satisfiable (object is %zu bytes)", size);
        return s3_error(f, rp, 416, "InvalidRange", msg, path);
    }
    char crange[96];
    snprintf(crange, sizeof crange, "bytes %zu-%zu/%zu", first, last, o->len);
    char etag[40], ctype[128];
    snprintf(etag, sizeof etag, "%s", o->etag);
    snprintf(ctype, sizeof ctype, "%s", o->ctype);
    size_t n = o->len ? last - first + 1 : 0;
    char *copy = xmalloc_or_die(n);
    if (n)
        memcpy(copy, o->data + first, n);
    if (head)
        f->stats.heads++;
    else
        f->stats.gets++;
    fake_http_unlock(f->h);
    const char *hdrs[] = {"ETag", etag, "Accept-Ranges", "bytes", r == 1 ? "Content-Range" : NULL, crange, NULL};
    send_body(rp, r == 1 ? 206 : 200, ctype, copy, n, hdrs);
    free(copy);
}

/*-----------------------------------------------------------------------------
 * Requests
 */
static void on_request(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    struct fake_s3 *f = ctx;
    const char *url = rq->path, *method = rq->method;
    if (rq->truncated)
        return s3_error(f, rp, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", url);
    if (verify(f, rq, rp) != 0)
        return;
    /* Path style: /bucket/key */
    size_t bl = strlen(f->bucket);
    if (url[0] != '/' || strncmp(url + 1, f->bucket, bl) != 0 || (url[1 + bl] != '/' && url[1 + bl] != '\0'))
        return s3_error(f, rp, 404, "NoSuchBucket", "The specified bucket does not exist", url);
    const char *key = url[1 + bl] == '/' ? url + 2 + bl : "";
    if (key[0] == '\0')
        return s3_error(f, rp, 405, "MethodNotAllowed", "Bucket operations are not supported by this fake", url);
    if (strcmp(method, "PUT") == 0) {
        char etag[40];
        put_object(f, key, rq, fake_http_header(rq, "Content-Type"), etag);
        const char *hdrs[] = {"ETag", etag, NULL};
        return send_body(rp, 200, NULL, "", 0, hdrs);
    }
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return get_object(f, rq, rp, key, strcmp(method, "HEAD") == 0);
    if (strcmp(method, "DELETE") == 0) {
        fake_http_lock(f->h);
        struct object *o = find(f, key);
        if (o != NULL) {
            free(o->key);
            free(o->data);
            *o = f->objs[--f->nobjs];
        }
        f->stats.deletes++;
        fake_http_unlock(f->h);
        return send_body(rp, 204, NULL, "", 0, NULL);
    }
    return s3_error(f, rp, 405, "MethodNotAllowed", "The specified method is not allowed against this resource", url);
}

/*-----------------------------------------------------------------------------
 * Life cycle and inspection
 */
struct fake_s3 *fake_s3_start(const char *bucket, const char *region, const char *access_key, const char *secret_key)
{
    struct fake_s3 *f = calloc(1, sizeof *f);
    if (f == NULL)
        die("out of memory");
    snprintf(f->bucket, sizeof f->bucket, "%s", bucket);
    snprintf(f->region, sizeof f->region, "%s", region);
    snprintf(f->access_key, sizeof f->access_key, "%s", access_key);
    snprintf(f->secret_key, sizeof f->secret_key, "%s", secret_key);
    struct fake_http_opts o = {.max_body = BODY_MAX};
    f->h = fake_http_start_opts(on_request, f, &o);
    return f;
}

void fake_s3_stop(struct fake_s3 *f)
{
    if (f == NULL)
        return;
    fake_http_stop(f->h);
    for (size_t i = 0; i < f->nobjs; i++) {
        free(f->objs[i].key);
        free(f->objs[i].data);
    }
    free(f->objs);
    free(f);
}

const char *fake_s3_url(const struct fake_s3 *f)
{
    return fake_http_url(f->h);
}

int fake_s3_count(struct fake_s3 *f)
{
    fake_http_lock(f->h);
    int n = (int)f->nobjs;
    fake_http_unlock(f->h);
    return n;
}

char *fake_s3_object(struct fake_s3 *f, const char *key, size_t *len)
{
    char *copy = NULL;
    *len = 0;
    fake_http_lock(f->h);
    struct object *o = find(f, key);
    if (o != NULL) {
        copy = xmalloc_or_die(o->len + 1);
        memcpy(copy, o->data, o->len);
        copy[o->len] = '\0';
        *len = o->len;
    }
    fake_http_unlock(f->h);
    return copy;
}

void fake_s3_object_type(struct fake_s3 *f, const char *key, char *buf, size_t cap)
{
    fake_http_lock(f->h);
    struct object *o = find(f, key);
    snprintf(buf, cap, "%s", o ? o->ctype : "");
    fake_http_unlock(f->h);
}

struct fake_s3_stats fake_s3_stats(struct fake_s3 *f)
{
    fake_http_lock(f->h);
    struct fake_s3_stats s = f->stats;
    fake_http_unlock(f->h);
    return s;
}

void fake_s3_last_error(struct fake_s3 *f, char *buf, size_t cap)
{
    fake_http_lock(f->h);
    snprintf(buf, cap, "%s", f->last_error);
    fake_http_unlock(f->h);
}
