/*
 * fake_openai.c — see fake_openai.h. Built on fake_http: the last request's
 * body and Authorization are read back from its records; the fake's own
 * state sits under the fake_http mutex.
 */
#include "fake_openai.h"

#include "api/fake_http.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

#include "platform/image.h"

struct fake_openai {
    struct fake_http *h;
    char key[128];
    bool check_key;
    int fail_status, fail_n;
    bool url_only;
    int requests;
};

static void die(const char *what)
{
    fprintf(stderr, "fake_openai: %s\n", what);
    abort();
}

static void oa_error(struct fake_http_reply *rp, unsigned status, const char *type, const char *code, const char *msg,
                     const char *param)
{
    json_t *e =
        json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "message", msg, "type", type, "param", param, "code", code);
    fake_http_reply_json(rp, status, e);
    if (status == 429)
        fake_http_reply_header(rp, "Retry-After", "0");
}

/* A flat-colour PNG of w x h, base64 (malloc'ed). */
static char *png_b64(int w, int h)
{
    VipsImage *black = NULL, *lin = NULL, *u8 = NULL;
    void *buf = NULL;
    size_t len = 0;
    double a[3] = {0, 0, 0}, b[3] = {30, 120, 200};
    if (vips_black(&black, w, h, "bands", 3, NULL) != 0 || vips_linear(black, &lin, a, b, 3, NULL) != 0 ||
        vips_cast_uchar(lin, &u8, NULL) != 0 || vips_pngsave_buffer(u8, &buf, &len, NULL) != 0)
        die("vips");
    g_object_unref(black);
    g_object_unref(lin);
    g_object_unref(u8);
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(cap);
    if (out == NULL)
        die("out of memory");
    sodium_bin2base64(out, cap, buf, len, sodium_base64_VARIANT_ORIGINAL);
    g_free(buf);
    return out;
}

static bool dalle3_size(const char *s)
{
    return strcmp(s, "1024x1024") == 0 || strcmp(s, "1792x1024") == 0 || strcmp(s, "1024x1792") == 0;
}

static void generate(struct fake_openai *f, struct fake_http_reply *rp, json_t *body)
{
    const char *prompt = json_string_value(json_object_get(body, "prompt"));
    const char *model = json_string_value(json_object_get(body, "model"));
    const char *size = json_string_value(json_object_get(body, "size"));
    const char *fmt = json_string_value(json_object_get(body, "response_format"));
    json_t *n = json_object_get(body, "n");
    if (prompt == NULL)
        return oa_error(rp, 400, "invalid_request_error", NULL, "You must provide a prompt.", "prompt");
    if (strlen(prompt) > 4000)
        return oa_error(rp, 400, "invalid_request_error", NULL, "The prompt is too long.", "prompt");
    bool dalle3 = model != NULL && strcmp(model, "dall-e-3") == 0;
    if (n != NULL && (!json_is_integer(n) || (dalle3 && json_integer_value(n) != 1)))
        return oa_error(rp, 400, "invalid_request_error", NULL, "You must provide n=1 for this model.", "n");
    if (size == NULL)
        size = "1024x1024";
    int w = 0, h = 0;
    if (sscanf(size, "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0 || w > 2048 || h > 2048 || (dalle3 && !dalle3_size(size)))
        return oa_error(rp, 400, "invalid_request_error", NULL, "The size is not supported by this model.", "size");
    if (fmt != NULL && strcmp(fmt, "b64_json") != 0 && strcmp(fmt, "url") != 0)
        return oa_error(rp, 400, "invalid_request_error", NULL, "Invalid response_format.", "response_format");
    if (strstr(prompt, "forbidden") != NULL)
        return oa_error(rp, 400, "invalid_request_error", "content_policy_violation",
                        "Your request was rejected as a result of our safety system.", NULL);
    fake_http_lock(f->h);
    bool url_only = f->url_only;
    fake_http_unlock(f->h);
    json_t *item;
    if (url_only || (fmt != NULL && strcmp(fmt, "url") == 0)) {
        item = json_pack("{s:s}", "url", "https://images.example/img.png");
    } else {
        char *b64 = png_b64(w, h);
        char revised[4200];
        snprintf(revised, sizeof revised, "REVISED: %s", prompt);
        item = json_pack("{s:s, s:s}", "b64_json", b64, "revised_prompt", revised);
        free(b64);
    }
    fake_http_reply_json(rp, 200, json_pack("{s:I, s:[o]}", "created", (json_int_t)time(NULL), "data", item));
}

static void on_request(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    struct fake_openai *f = ctx;
    const char *auth = fake_http_header(rq, "Authorization");
    json_t *body = json_loads(rq->body, 0, NULL);
    fake_http_lock(f->h);
    f->requests++;
    int fail = 0;
    if (f->fail_n > 0) {
        f->fail_n--;
        fail = f->fail_status;
    }
    fake_http_unlock(f->h);
    char want[160];
    snprintf(want, sizeof want, "Bearer %s", f->key);
    if (fail == 429)
        oa_error(rp, 429, "requests", "rate_limit_exceeded", "Rate limit reached for images.", NULL);
    else if (fail != 0)
        oa_error(rp, (unsigned)fail, "server_error", NULL, "The server had an error processing your request.", NULL);
    else if (strcmp(rq->method, "POST") != 0 || strcmp(rq->path, "/v1/images/generations") != 0)
        oa_error(rp, 404, "invalid_request_error", "unknown_url", "Unknown request URL.", NULL);
    else if (f->check_key && (auth == NULL || strcmp(auth, want) != 0))
        oa_error(rp, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.", NULL);
    else if (!json_is_object(body))
        oa_error(rp, 400, "invalid_request_error", NULL, "We could not parse the JSON body of your request.", NULL);
    else
        generate(f, rp, body);
    json_decref(body);
}

struct fake_openai *fake_openai_start(const char *api_key)
{
    if (image_init() != 0)
        die("libvips");
    struct fake_openai *f = calloc(1, sizeof *f);
    if (f == NULL)
        die("out of memory");
    f->check_key = api_key != NULL;
    snprintf(f->key, sizeof f->key, "%s", api_key ? api_key : "");
    f->h = fake_http_start(on_request, f);
    return f;
}

void fake_openai_stop(struct fake_openai *f)
{
    if (f == NULL)
        return;
    fake_http_stop(f->h);
    free(f);
}

const char *fake_openai_url(const struct fake_openai *f)
{
    return fake_http_url(f->h);
}

void fake_openai_fail_next(struct fake_openai *f, int status, int n)
{
    fake_http_lock(f->h);
    f->fail_status = status;
    f->fail_n = n;
    fake_http_unlock(f->h);
}

void fake_openai_url_only(struct fake_openai *f, bool on)
{
    fake_http_lock(f->h);
    f->url_only = on;
    fake_http_unlock(f->h);
}

int fake_openai_requests(struct fake_openai *f)
{
    fake_http_lock(f->h);
    int n = f->requests;
    fake_http_unlock(f->h);
    return n;
}

json_t *fake_openai_last_body(struct fake_openai *f)
{
    struct fake_http_record r;
    if (fake_http_last(f->h, NULL, NULL, &r) != 0)
        return NULL;
    json_t *b = json_loads(r.body, 0, NULL);
    fake_http_record_free(&r);
    return b;
}

void fake_openai_last_auth(struct fake_openai *f, char *buf, size_t cap)
{
    struct fake_http_record r;
    int rc = fake_http_last(f->h, NULL, NULL, &r);
    snprintf(buf, cap, "%.255s", rc == 0 && r.authorization != NULL ? r.authorization : "");
    fake_http_record_free(&r);
}
