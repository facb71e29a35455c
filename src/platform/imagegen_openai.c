/*
 * imagegen_openai.c — client of an OpenAI-compatible images API
 * (PROTOCOLS.md §3): OpenAI DALL-E 3 / gpt-image-1, LocalAI, vLLM-Omni,
 * stable-diffusion.cpp's sd-server.
 *
 * One call: POST {base}/v1/images/generations, JSON
 *   {"model","prompt","n":1,"size":"WxH","response_format":"b64_json",
 *    ["quality"], ["style"], ["user"]}
 * with "Authorization: Bearer <key>" when a key is configured. Answer
 * {"created", "data":[{"b64_json","revised_prompt"}]}; errors
 * {"error":{"message","type","param","code"}}.
 *
 * Status mapping (after retries for the retryable ones):
 *   200 with a decodable image        → success
 *   400 code content_policy_violation
 *       (or type/message naming a safety system) → IMAGEGEN_E_REFUSED
 *   400 / 404 / 422 other             → IMAGEGEN_E_INVALID (the provider's message)
 *   401 / 403                         → IMAGEGEN_E_AUTH
 *   408 / 409 / 429 / 5xx, transport  → retried with backoff (first
 *                                       backoff_ms, doubled; a Retry-After of
 *                                       at most 30 s replaces it), then
 *                                       IMAGEGEN_E_UNAVAILABLE
 *   timeout                           → retried, then IMAGEGEN_E_TIMEOUT
 *   200 without b64_json, bad image   → IMAGEGEN_E_PROVIDER
 *
 * Caveats: the key is never logged or put in an error message. Response
 * bodies are capped at 64 MiB (a 1792x1024 PNG in base64 is ~5 MiB).
 */
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/arena.h"
#include "platform/httpc.h"
#include "platform/image.h"
#include "platform/imagegen.h"

#define MAX_BODY (64u * 1024 * 1024)
#define MAX_RETRY_AFTER_MS 30000

struct attempt {
    long status;
    CURLcode cc;
    long retry_after_ms; /* -1: none */
    struct httpc_body body;
};

static size_t on_header(char *buf, size_t size, size_t n, void *userdata)
{
    struct attempt *at = userdata;
    size_t len = size * n;
    if (len > 12 && strncasecmp(buf, "retry-after:", 12) == 0) {
        char tmp[32];
        size_t m = len - 12 < sizeof tmp - 1 ? len - 12 : sizeof tmp - 1;
        memcpy(tmp, buf + 12, m);
        tmp[m] = '\0';
        char *end;
        double secs = strtod(tmp, &end);
        if (end != tmp && secs >= 0)
            at->retry_after_ms = (long)(secs * 1000);
    }
    return len;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static char *request_body(const struct imagegen_opts *o, const struct imagegen_request *r)
{
    char size[32];
    snprintf(size, sizeof size, "%dx%d", r->width, r->height);
    json_t *b = json_pack("{s:s, s:s, s:i, s:s, s:s}", "model", o->model, "prompt", r->prompt, "n", 1, "size", size,
                          "response_format", "b64_json");
    if (r->quality != NULL)
        json_object_set_new(b, "quality", json_string(r->quality));
    if (r->style != NULL)
        json_object_set_new(b, "style", json_string(r->style));
    if (r->user != NULL)
        json_object_set_new(b, "user", json_string(r->user));
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return text;
}

static void one_attempt(const struct imagegen_opts *o, const char *url, const char *body, struct attempt *at)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    char auth[1100];
    if (o->api_key != NULL && o->api_key[0] != '\0') {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->api_key);
        hdrs = curl_slist_append(hdrs, auth);
    }
    at->body = (struct httpc_body){.max = MAX_BODY};
    at->retry_after_ms = -1;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->timeout_ms < 10000 ? o->timeout_ms : 10000));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &at->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, at);
    at->cc = curl_easy_perform(h);
    at->status = 0;
    if (at->cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &at->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
}

static bool retryable(const struct attempt *at)
{
    if (at->cc != CURLE_OK)
        return !at->body.too_big;
    return at->status == 408 || at->status == 409 || at->status == 429 || at->status >= 500;
}

/* The provider's {"error":{...}} into err (code and message, truncated). */
static void provider_error(const struct attempt *at, struct imagegen_error *err)
{
    json_t *root = at->body.data ? json_loads(at->body.data, 0, NULL) : NULL;
    json_t *e = json_object_get(root, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *type = json_string_value(json_object_get(e, "type"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    snprintf(err->code, sizeof err->code, "%s", code ? code : type ? type : "");
    snprintf(err->msg, sizeof err->msg, "the image provider answered %ld: %s", at->status,
             msg ? msg : "no error message");
    bool safety = (code && strcmp(code, "content_policy_violation") == 0) ||
                  (type && strstr(type, "safety") != NULL) || (msg && strstr(msg, "safety system") != NULL);
    if (at->status == 401 || at->status == 403)
        err->kind = IMAGEGEN_E_AUTH;
    else if (safety)
        err->kind = IMAGEGEN_E_REFUSED;
    else if (at->status == 400 || at->status == 404 || at->status == 422)
        err->kind = IMAGEGEN_E_INVALID;
    else
        err->kind = IMAGEGEN_E_PROVIDER;
    json_decref(root);
}

/* data[0].b64_json → a sanitized image in the arena. */
static int decode_image(const struct imagegen_opts *o, const struct attempt *at, struct arena *a,
                        struct imagegen_result *out, struct imagegen_error *err)
{
    json_t *root = json_loads(at->body.data ? at->body.data : "", 0, NULL);
    json_t *d0 = json_array_get(json_object_get(root, "data"), 0);
    const char *b64 = json_string_value(json_object_get(d0, "b64_json"));
    const char *revised = json_string_value(json_object_get(d0, "revised_prompt"));
    int ret = -1;
    err->kind = IMAGEGEN_E_PROVIDER;
    if (b64 == NULL) {
        snprintf(err->msg, sizeof err->msg, "the image provider sent no b64_json image%s",
                 json_object_get(d0, "url") ? " (only a URL, which we do not fetch)" : "");
        goto out;
    }
    size_t blen = strlen(b64), len = 0;
    unsigned char *raw = arena_alloc(a, blen / 4 * 3 + 3);
    if (sodium_base642bin(raw, blen / 4 * 3 + 3, b64, blen, "\r\n", &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        snprintf(err->msg, sizeof err->msg, "the image provider's b64_json is not base64");
        goto out;
    }
    enum image_type t = image_sniff(raw, len);
    struct image_out img;
    struct image_error ierr = {0};
    if (t == IMAGE_UNKNOWN || image_sanitize(raw, len, t, o->max_pixels, a, &img, &ierr) != 0) {
        snprintf(err->msg, sizeof err->msg, "the image provider's image is not a usable JPEG, PNG or WebP");
        goto out;
    }
    *out = (struct imagegen_result){.data = img.data, .len = img.len, .mime = image_mime(img.info.type),
                                    .ext = image_ext(img.info.type), .width = img.info.width,
                                    .height = img.info.height,
                                    .revised_prompt = revised ? arena_strdup(a, revised) : NULL};
    err->kind = IMAGEGEN_E_NONE;
    ret = 0;
out:
    json_decref(root);
    return ret;
}

int imagegen__openai_generate(const struct imagegen_opts *o, const struct imagegen_request *r, struct arena *a,
                              struct imagegen_result *out, struct imagegen_error *err)
{
    char *body = request_body(o, r);
    char *url = arena_sprintf(a, "%s/v1/images/generations", o->base_url);
    long backoff = o->backoff_ms > 0 ? o->backoff_ms : 1;
    int ret = -1;
    for (int n = 1;; n++) {
        struct attempt at = {0};
        one_attempt(o, url, body, &at);
        if (at.cc == CURLE_OK && at.status == 200) {
            ret = decode_image(o, &at, a, out, err);
            httpc_body_free(&at.body);
            break;
        }
        if (!retryable(&at) || n >= o->max_attempts) {
            err->http_status = (int)at.status;
            if (at.cc == CURLE_OPERATION_TIMEDOUT) {
                err->kind = IMAGEGEN_E_TIMEOUT;
                snprintf(err->msg, sizeof err->msg, "the image provider did not answer within %d ms (%d attempts)",
                         o->timeout_ms, n);
            } else if (at.cc != CURLE_OK) {
                err->kind = at.body.too_big ? IMAGEGEN_E_PROVIDER : IMAGEGEN_E_UNAVAILABLE;
                snprintf(err->msg, sizeof err->msg, "the image provider could not be reached: %s (%d attempts)",
                         curl_easy_strerror(at.cc), n);
            } else {
                provider_error(&at, err);
                if (retryable(&at))
                    err->kind = IMAGEGEN_E_UNAVAILABLE;
            }
            httpc_body_free(&at.body);
            break;
        }
        long wait = at.retry_after_ms >= 0 && at.retry_after_ms <= MAX_RETRY_AFTER_MS ? at.retry_after_ms : backoff;
        httpc_body_free(&at.body);
        sleep_ms(wait);
        backoff *= 2;
    }
    free(body);
    return ret;
}
