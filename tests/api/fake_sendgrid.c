/*
 * fake_sendgrid.c — a local SendGrid Mail Send API (see fake_sendgrid.h).
 *
 * Caveats: checks the shape SendGrid documents for the fields we send, not
 * every rule (attachments, categories, send_at… are ignored).
 */
#include "api/fake_sendgrid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELP "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"

struct fake_sendgrid {
    struct fake_http *h;
    char auth[300];
    unsigned fail_next;
    int accepted;
};

static void sg_error(struct fake_http_reply *rp, unsigned status, const char *message, const char *field)
{
    json_t *e = json_pack("{s:s, s:s?, s:s?}", "message", message, "field", field, "help", field ? HELP : NULL);
    fake_http_reply_json(rp, status, json_pack("{s:[o]}", "errors", e));
}

static bool nonempty_string(json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0;
}

/* NULL when the body is acceptable, else the message; *field names the field. */
static const char *check(json_t *b, const char **field)
{
    json_t *ps = json_object_get(b, "personalizations");
    *field = "personalizations";
    if (!json_is_array(ps) || json_array_size(ps) == 0)
        return "The personalizations field is required and must have at least one personalization.";
    size_t i;
    json_t *p;
    json_array_foreach(ps, i, p) {
        json_t *to = json_object_get(p, "to");
        *field = "personalizations.0.to";
        if (!json_is_array(to) || json_array_size(to) == 0)
            return "The to array is required for all personalization objects, and must have at least one email "
                   "object with a valid email address.";
        size_t k;
        json_t *t;
        json_array_foreach(to, k, t) {
            if (!nonempty_string(json_object_get(t, "email")) ||
                strchr(json_string_value(json_object_get(t, "email")), '@') == NULL)
                return "Does not contain a valid address.";
        }
    }
    *field = "from.email";
    json_t *from = json_object_get(b, "from");
    if (!json_is_object(from) || !nonempty_string(json_object_get(from, "email")))
        return "The from object must be provided for every email send. It is an object that requires the email "
               "parameter, but may also contain a name parameter.";
    if (json_object_get(b, "template_id") != NULL)
        return NULL;
    *field = "subject";
    if (!nonempty_string(json_object_get(b, "subject")))
        return "The subject is required. You can get around this requirement if you use a template with a subject "
               "defined or if every personalization has a subject defined.";
    *field = "content";
    json_t *content = json_object_get(b, "content");
    if (!json_is_array(content) || json_array_size(content) == 0)
        return "Unless a valid template_id is provided, the content parameter is required. There must be at least "
               "one defined content block.";
    json_t *c;
    json_array_foreach(content, i, c) {
        if (!nonempty_string(json_object_get(c, "type")) || !json_is_string(json_object_get(c, "value")))
            return "Content blocks need a type and a value.";
        if (i == 0 && strcmp(json_string_value(json_object_get(c, "type")), "text/plain") != 0)
            return "If present, text/plain content must be first, followed by any other content.";
    }
    return NULL;
}

static void handle(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    struct fake_sendgrid *f = ctx;
    const char *auth = fake_http_header(rq, "Authorization");
    const char *ct = fake_http_header(rq, "Content-Type");
    const char *field = NULL;

    if (strcmp(rq->method, "POST") != 0 || strcmp(rq->path, "/v3/mail/send") != 0)
        return sg_error(rp, 404, "Not Found", NULL);
    if (auth == NULL || strcmp(auth, f->auth) != 0)
        return sg_error(rp, 401, "The provided authorization grant is invalid, expired, or revoked", NULL);
    fake_http_lock(f->h);
    unsigned fail = f->fail_next;
    f->fail_next = 0;
    fake_http_unlock(f->h);
    if (fail != 0)
        return sg_error(rp, fail,
                        fail == 429 ? "Too many requests" : fail < 500 ? "Bad Request" : "Internal server error", NULL);
    json_t *b = ct != NULL && strncmp(ct, "application/json", 16) == 0
                    ? json_loads(rq->body, JSON_REJECT_DUPLICATES, NULL)
                    : NULL;
    if (!json_is_object(b)) {
        json_decref(b);
        return sg_error(rp, 400, "Bad Request", NULL);
    }
    const char *bad = check(b, &field);
    json_decref(b);
    if (bad != NULL)
        return sg_error(rp, 400, bad, field);
    fake_http_lock(f->h);
    int n = ++f->accepted;
    fake_http_unlock(f->h);
    char id[64];
    fake_sendgrid_message_id(n, id, sizeof id);
    fake_http_reply_text(rp, 202, NULL, NULL);
    fake_http_reply_header(rp, "X-Message-Id", id);
}

struct fake_sendgrid *fake_sendgrid_start(const char *api_key)
{
    struct fake_sendgrid *f = calloc(1, sizeof *f);
    if (f == NULL)
        abort();
    snprintf(f->auth, sizeof f->auth, "Bearer %s", api_key);
    f->h = fake_http_start(handle, f);
    return f;
}

void fake_sendgrid_stop(struct fake_sendgrid *f)
{
    if (f == NULL)
        return;
    fake_http_stop(f->h);
    free(f);
}

const char *fake_sendgrid_url(const struct fake_sendgrid *f)
{
    return fake_http_url(f->h);
}

struct fake_http *fake_sendgrid_http(struct fake_sendgrid *f)
{
    return f->h;
}

void fake_sendgrid_fail_next(struct fake_sendgrid *f, unsigned status)
{
    fake_http_lock(f->h);
    f->fail_next = status;
    fake_http_unlock(f->h);
}

int fake_sendgrid_accepted(struct fake_sendgrid *f)
{
    fake_http_lock(f->h);
    int n = f->accepted;
    fake_http_unlock(f->h);
    return n;
}

void fake_sendgrid_message_id(int n, char *buf, size_t cap)
{
    snprintf(buf, cap, "fakeSG%06dmsgQ", n);
}
