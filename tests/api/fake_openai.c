/*
 * fake_openai.c — see fake_openai.h.
 */
#include "fake_openai.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

#include "platform/image.h"

#define BODY_MAX (1024 * 1024)

struct fake_openai {
    struct MHD_Daemon *d;
    char url[64];
    char key[128];
    bool check_key;
    pthread_mutex_t lock;
    int fail_status, fail_n;
    bool url_only;
    int requests;
    json_t *last_body;
    char last_auth[256];
};

struct conn {
    char *body;
    size_t len;
};

static void die(const char *what)
{
    fprintf(stderr, "fake_openai: %s\n", what);
    abort();
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *body, bool retry_after)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (retry_after)
        MHD_add_response_header(r, "Retry-After", "0");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result oa_error(struct MHD_Connection *c, unsigned status, const char *type, const char *code,
                                const char *msg, const char *param)
{
    json_t *e = json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "message", msg, "type", type, "param", param, "code",
                          code);
    return send_json(c, status, e, status == 429);
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

static enum MHD_Result generate(struct fake_openai *f, struct MHD_Connection *c, json_t *body)
{
    const char *prompt = json_string_value(json_object_get(body, "prompt"));
    const char *model = json_string_value(json_object_get(body, "model"));
    const char *size = json_string_value(json_object_get(body, "size"));
    const char *fmt = json_string_value(json_object_get(body, "response_format"));
    json_t *n = json_object_get(body, "n");
    if (prompt == NULL)
        return oa_error(c, 400, "invalid_request_error", NULL, "You must provide a prompt.", "prompt");
    if (strlen(prompt) > 4000)
        return oa_error(c, 400, "invalid_request_error", NULL, "The prompt is too long.", "prompt");
    bool dalle3 = model != NULL && strcmp(model, "dall-e-3") == 0;
    if (n != NULL && (!json_is_integer(n) || (dalle3 && json_integer_value(n) != 1)))
        return oa_error(c, 400, "invalid_request_error", NULL, "You must provide n=1 for this model.", "n");
    if (size == NULL)
        size = "1024x1024";
    int w = 0, h = 0;
    if (sscanf(size, "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0 || w > 2048 || h > 2048 || (dalle3 && !dalle3_size(size)))
        return oa_error(c, 400, "invalid_request_error", NULL, "The size is not supported by this model.", "size");
    if (fmt != NULL && strcmp(fmt, "b64_json") != 0 && strcmp(fmt, "url") != 0)
        return oa_error(c, 400, "invalid_request_error", NULL, "Invalid response_format.", "response_format");
    if (strstr(prompt, "forbidden") != NULL)
        return oa_error(c, 400, "invalid_request_error", "content_policy_violation",
                        "Your request was rejected as a result of our safety system.", NULL);
    pthread_mutex_lock(&f->lock);
    bool url_only = f->url_only;
    pthread_mutex_unlock(&f->lock);
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
    return send_json(c, 200, json_pack("{s:I, s:[o]}", "created", (json_int_t)time(NULL), "data", item), false);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct fake_openai *f = cls;
    struct conn *cn = *con_cls;
    if (cn == NULL) {
        if ((cn = calloc(1, sizeof *cn)) == NULL)
            die("out of memory");
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (cn->len + *upload_data_size <= BODY_MAX) {
            char *nb = realloc(cn->body, cn->len + *upload_data_size + 1);
            if (nb == NULL)
                die("out of memory");
            cn->body = nb;
            memcpy(cn->body + cn->len, upload_data, *upload_data_size);
            cn->len += *upload_data_size;
            cn->body[cn->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    json_t *body = cn->body ? json_loads(cn->body, 0, NULL) : NULL;
    pthread_mutex_lock(&f->lock);
    f->requests++;
    snprintf(f->last_auth, sizeof f->last_auth, "%s", auth ? auth : "");
    json_decref(f->last_body);
    f->last_body = body ? json_incref(body) : NULL;
    int fail = 0;
    if (f->fail_n > 0) {
        f->fail_n--;
        fail = f->fail_status;
    }
    pthread_mutex_unlock(&f->lock);
    enum MHD_Result ret;
    char want[160];
    snprintf(want, sizeof want, "Bearer %s", f->key);
    if (fail == 429)
        ret = oa_error(c, 429, "requests", "rate_limit_exceeded", "Rate limit reached for images.", NULL);
    else if (fail != 0)
        ret = oa_error(c, (unsigned)fail, "server_error", NULL, "The server had an error processing your request.",
                       NULL);
    else if (strcmp(method, "POST") != 0 || strcmp(url, "/v1/images/generations") != 0)
        ret = oa_error(c, 404, "invalid_request_error", "unknown_url", "Unknown request URL.", NULL);
    else if (f->check_key && (auth == NULL || strcmp(auth, want) != 0))
        ret = oa_error(c, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.", NULL);
    else if (!json_is_object(body))
        ret = oa_error(c, 400, "invalid_request_error", NULL, "We could not parse the JSON body of your request.",
                       NULL);
    else
        ret = generate(f, c, body);
    json_decref(body);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct conn *cn = *con_cls;
    if (cn != NULL) {
        free(cn->body);
        free(cn);
    }
    *con_cls = NULL;
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
    pthread_mutex_init(&f->lock, NULL);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, f, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, f, MHD_OPTION_END);
    if (f->d == NULL)
        die("MHD_start_daemon");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", (unsigned)info->port);
    return f;
}

void fake_openai_stop(struct fake_openai *f)
{
    if (f == NULL)
        return;
    MHD_stop_daemon(f->d);
    json_decref(f->last_body);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

const char *fake_openai_url(const struct fake_openai *f)
{
    return f->url;
}

void fake_openai_fail_next(struct fake_openai *f, int status, int n)
{
    pthread_mutex_lock(&f->lock);
    f->fail_status = status;
    f->fail_n = n;
    pthread_mutex_unlock(&f->lock);
}

void fake_openai_url_only(struct fake_openai *f, bool on)
{
    pthread_mutex_lock(&f->lock);
    f->url_only = on;
    pthread_mutex_unlock(&f->lock);
}

int fake_openai_requests(struct fake_openai *f)
{
    pthread_mutex_lock(&f->lock);
    int n = f->requests;
    pthread_mutex_unlock(&f->lock);
    return n;
}

json_t *fake_openai_last_body(struct fake_openai *f)
{
    pthread_mutex_lock(&f->lock);
    json_t *b = f->last_body ? json_incref(f->last_body) : NULL;
    pthread_mutex_unlock(&f->lock);
    return b;
}

void fake_openai_last_auth(struct fake_openai *f, char *buf, size_t cap)
{
    pthread_mutex_lock(&f->lock);
    snprintf(buf, cap, "%s", f->last_auth);
    pthread_mutex_unlock(&f->lock);
}
