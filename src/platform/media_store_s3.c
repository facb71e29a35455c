/*
 * media_store_s3.c — the media store on an S3-compatible object store.
 *
 * Wire format (Amazon S3 REST API, path-style addressing):
 *   PUT    {endpoint}/{bucket}/{key}   body = object, Content-Type
 *   GET    {endpoint}/{bucket}/{key}   Range: bytes=a-b for a slice (206)
 *   DELETE {endpoint}/{bucket}/{key}   204 (also for a missing key)
 * Each request carries x-amz-content-sha256 (hex SHA-256 of the body, of
 * the empty string for GET/DELETE), which S3 requires with SigV4, and is
 * signed by libcurl (CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3", the access
 * key and secret as user name and password); libcurl adds X-Amz-Date and
 * signs every header we set. Errors come back as XML <Error><Code>…; the
 * code goes into the error message for the log.
 *
 * Design: one curl easy handle per call (calls are rare next to their
 * transfer time; no handle is shared between threads). Response bodies go
 * through the capped collector of platform/httpc.h, then become the
 * caller's arena's (freed when it is reset), so a GET copies nothing.
 *
 * Caveats: no retries here (the callers are jobs, which retry, or an
 * upload, which the client can repeat); no multipart upload, so one object
 * is at most what one PUT takes (5 GiB on S3, far above our limits);
 * virtual-hosted–style URLs are not supported (every S3-compatible server
 * accepts path style).
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/config.h"
#include "platform/httpc.h"
#include "platform/media_store_int.h"

#define CONNECT_TIMEOUT_MS 5000L
#define TRANSFER_TIMEOUT_MS 60000L
#define ERROR_BODY_MAX (64 * 1024)
#define WHOLE_OBJECT_MAX ((size_t)1 << 30)

struct s3_store {
    char *endpoint; /* without a trailing '/' */
    char *bucket;
    char *access_key;
    char *secret_key;
    char sigv4[128]; /* "aws:amz:<region>:s3" */
};

static void s3_close(void *impl)
{
    struct s3_store *s = impl;
    if (s == NULL)
        return;
    free(s->endpoint);
    free(s->bucket);
    free(s->access_key);
    if (s->secret_key != NULL)
        OPENSSL_cleanse(s->secret_key, strlen(s->secret_key));
    free(s->secret_key);
    free(s);
    curl_global_cleanup();
}

static bool empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

void *media_store__s3_open(const struct config *cfg, char *errbuf, size_t errlen)
{
    const char *ep = cfg->s3_endpoint;
    if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0) {
        snprintf(errbuf, errlen, "s3_endpoint must start with http:// or https://, got '%s'", ep);
        return NULL;
    }
    if (empty(cfg->s3_bucket) || empty(cfg->s3_access_key) || empty(cfg->s3_secret_key) || empty(cfg->s3_region)) {
        snprintf(errbuf, errlen,
                 "s3_endpoint is set: s3_bucket, s3_region, s3_access_key and s3_secret_key are required");
        return NULL;
    }
    for (const char *p = cfg->s3_bucket; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')) {
            snprintf(errbuf, errlen, "s3_bucket '%s' is not a valid bucket name", cfg->s3_bucket);
            return NULL;
        }
    for (const char *p = cfg->s3_region; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
            snprintf(errbuf, errlen, "s3_region '%s' is not a valid region name", cfg->s3_region);
            return NULL;
        }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(errbuf, errlen, "curl_global_init failed");
        return NULL;
    }
    struct s3_store *s = xcalloc(1, sizeof *s);
    s->endpoint = xstrdup(ep);
    size_t n = strlen(s->endpoint);
    while (n > 0 && s->endpoint[n - 1] == '/')
        s->endpoint[--n] = '\0';
    s->bucket = xstrdup(cfg->s3_bucket);
    s->access_key = xstrdup(cfg->s3_access_key);
    s->secret_key = xstrdup(cfg->s3_secret_key);
    snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", cfg->s3_region);
    return s;
}

/*-----------------------------------------------------------------------------
 * One request
 */
static void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The <Code> of an S3 XML error body, or "" (copied into buf). */
static const char *s3_error_code(const struct httpc_body *b, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (b->data == NULL)
        return buf;
    const char *s = strstr(b->data, "<Code>");
    const char *e = s ? strstr(s, "</Code>") : NULL;
    if (s == NULL || e == NULL)
        return buf;
    s += 6;
    size_t n = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    buf[n] = '\0';
    return buf;
}

struct s3_call {
    const char *method; /* PUT, GET, DELETE */
    const char *key;
    const void *body; /* PUT */
    size_t body_len;
    const char *content_type;
    const char *range; /* "bytes=a-b" or NULL */
    size_t max_response;
    /* out */
    long status;
    struct httpc_body res;
};

static int perform(struct s3_store *s, struct s3_call *c, struct media_store_error *err)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char line[256], url[4096], hash[65];
    int ret = -1;
    if (h == NULL)
        return media_store__fail(err, MEDIA_STORE_E_UPSTREAM, 0, "curl_easy_init failed");
    snprintf(url, sizeof url, "%s/%s/%s", s->endpoint, s->bucket, c->key);
    sha256_hex(c->body != NULL ? c->body : "", c->body_len, hash);
    snprintf(line, sizeof line, "x-amz-content-sha256: %s", hash);
    hdrs = curl_slist_append(hdrs, line);
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    if (c->content_type != NULL) {
        snprintf(line, sizeof line, "Content-Type: %s", c->content_type);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (c->range != NULL) {
        snprintf(line, sizeof line, "Range: %s", c->range);
        hdrs = curl_slist_append(hdrs, line);
    }
    c->res.max = c->max_response;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, TRANSFER_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
    curl_easy_setopt(h, CURLOPT_USERNAME, s->access_key);
    curl_easy_setopt(h, CURLOPT_PASSWORD, s->secret_key);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->res);
    if (strcmp(c->method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body != NULL ? c->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    } else if (strcmp(c->method, "DELETE") == 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    if (rc != CURLE_OK) {
        if (c->res.too_big)
            media_store__fail(err, MEDIA_STORE_E_UPSTREAM, (int)c->status, "S3 %s %s: response over %zu bytes",
                              c->method, c->key, c->max_response);
        else
            media_store__fail(err, MEDIA_STORE_E_UPSTREAM, 0, "S3 %s %s: %s", c->method, c->key,
                              curl_easy_strerror(rc));
        goto out;
    }
    ret = 0;
out:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return ret;
}

/* Turn a non-success status into an error naming the S3 code. */
static int status_error(struct s3_call *c, struct media_store_error *err)
{
    char code[64];
    s3_error_code(&c->res, code, sizeof code);
    enum media_store_errkind kind = MEDIA_STORE_E_UPSTREAM;
    if (c->status == 404 && (code[0] == '\0' || strcmp(code, "NoSuchKey") == 0))
        kind = MEDIA_STORE_E_NOT_FOUND;
    else if (c->status == 416)
        kind = MEDIA_STORE_E_RANGE;
    return media_store__fail(err, kind, (int)c->status, "S3 %s %s: HTTP %ld %s", c->method, c->key, c->status,
                             code[0] ? code : "(no error code)");
}

/*-----------------------------------------------------------------------------
 * Operations
 */
static int s3_put(void *impl, const char *key, const void *data, size_t len, const char *content_type,
                  struct media_store_error *err)
{
    struct s3_call c = {.method = "PUT",
                        .key = key,
                        .body = data,
                        .body_len = len,
                        .content_type = content_type ? content_type : "application/octet-stream",
                        .max_response = ERROR_BODY_MAX};
    int ret = perform(impl, &c, err);
    if (ret == 0 && c.status != 200)
        ret = status_error(&c, err);
    httpc_body_free(&c.res);
    return ret;
}

static void free_body(void *p)
{
    free(p);
}

static int s3_get(void *impl, const char *key, uint64_t offset, uint64_t length, struct arena *a, const char **data,
                  size_t *len, struct media_store_error *err)
{
    char range[64];
    bool whole = offset == 0 && length == MEDIA_STORE_TO_END;
    if (!whole) {
        if (length == MEDIA_STORE_TO_END || offset + length < offset)
            snprintf(range, sizeof range, "bytes=%llu-", (unsigned long long)offset);
        else
            snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)offset,
                     (unsigned long long)(offset + length - 1));
    }
    size_t cap = length < WHOLE_OBJECT_MAX ? (size_t)length : WHOLE_OBJECT_MAX;
    if (cap < ERROR_BODY_MAX)
        cap = ERROR_BODY_MAX; /* room for an XML error body */
    struct s3_call c = {.method = "GET", .key = key, .range = whole ? NULL : range, .max_response = cap};
    int ret = perform(impl, &c, err);
    if (ret != 0)
        goto out;
    /* A server that ignores Range answers 200 with the whole object: only usable from offset 0. */
    if (!(c.status == 206 || (c.status == 200 && offset == 0))) {
        ret = status_error(&c, err);
        goto out;
    }
    size_t n = c.res.len;
    if (length != MEDIA_STORE_TO_END && n > length)
        n = (size_t)length;
    if (c.res.data == NULL) {
        *data = arena_strdup(a, "");
    } else {
        c.res.data[n] = '\0';
        arena_on_reset(a, free_body, c.res.data);
        *data = c.res.data;
        c.res.data = NULL; /* the arena owns it now */
    }
    *len = n;
out:
    httpc_body_free(&c.res);
    return ret;
}

static int s3_del(void *impl, const char *key, struct media_store_error *err)
{
    struct s3_call c = {.method = "DELETE", .key = key, .max_response = ERROR_BODY_MAX};
    int ret = perform(impl, &c, err);
    if (ret == 0 && c.status != 204 && c.status != 200) {
        ret = status_error(&c, err);
        if (err->kind == MEDIA_STORE_E_NOT_FOUND) { /* already gone (not a missing bucket) */
            memset(err, 0, sizeof *err);
            ret = 0;
        }
    }
    httpc_body_free(&c.res);
    return ret;
}

const struct media_store_ops media_store__s3_ops = {
    .kind = "s3",
    .remote = true,
    .put = s3_put,
    .get = s3_get,
    .del = s3_del,
    .close = s3_close,
};
