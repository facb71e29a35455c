/*
 * fake_twilio.c — a local Twilio Messages API (see fake_twilio.h).
 *
 * Caveats: E.164 check only ('+', 8-15 digits); one segment per 160 bytes.
 */
#include "api/fake_twilio.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BAD 8

struct fake_twilio {
    struct fake_http *h;
    char sid[64];
    char path[160];
    char auth[400]; /* "Basic base64(sid:token)" */
    struct {
        char number[32];
        int code;
        char message[160];
    } bad[MAX_BAD];
    int nbad;
    unsigned fail_next;
    int accepted;
};

static void twilio_error(struct fake_http_reply *rp, unsigned status, int code, const char *message)
{
    char more[96];
    snprintf(more, sizeof more, "https://www.twilio.com/docs/errors/%d", code);
    fake_http_reply_json(rp, status,
                         json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", message, "more_info", more,
                                   "status", (int)status));
}

static bool e164(const char *s)
{
    size_t n = strlen(s);
    return n >= 9 && n <= 16 && s[0] == '+' && s[1] != '0' && strspn(s + 1, "0123456789") == n - 1;
}

static void handle(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    struct fake_twilio *f = ctx;
    char to[64], from[64], mg[64], body[2048], msg[200];
    const char *auth = fake_http_header(rq, "Authorization");
    const char *ct = fake_http_header(rq, "Content-Type");

    if (strcmp(rq->method, "POST") != 0 || strcmp(rq->path, f->path) != 0)
        return twilio_error(rp, 404, 20404, "The requested resource was not found");
    if (auth == NULL || strcmp(auth, f->auth) != 0)
        return twilio_error(rp, 401, 20003, "Authenticate");
    if (ct == NULL || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0)
        return twilio_error(rp, 400, 20001, "Content-Type must be application/x-www-form-urlencoded");
    fake_http_lock(f->h);
    unsigned fail = f->fail_next;
    f->fail_next = 0;
    fake_http_unlock(f->h);
    if (fail != 0)
        return twilio_error(rp, fail, fail == 429 ? 20429 : 20500,
                            fail == 429 ? "Too Many Requests" : "An internal server error has occurred");
    if (fake_http_form_value(rq->body, "To", to, sizeof to) != 0)
        return twilio_error(rp, 400, 21604, "A 'To' phone number is required.");
    bool has_from = fake_http_form_value(rq->body, "From", from, sizeof from) == 0;
    bool has_mg = fake_http_form_value(rq->body, "MessagingServiceSid", mg, sizeof mg) == 0;
    if (!has_from && !has_mg)
        return twilio_error(rp, 400, 21603, "A 'From' phone number is required.");
    if (fake_http_form_value(rq->body, "Body", body, sizeof body) != 0 || body[0] == '\0')
        return twilio_error(rp, 400, 21602, "Message body is required.");
    if (!e164(to)) {
        snprintf(msg, sizeof msg, "The 'To' number %s is not a valid phone number.", to);
        return twilio_error(rp, 400, 21211, msg);
    }
    fake_http_lock(f->h);
    for (int i = 0; i < f->nbad; i++) {
        if (strcmp(f->bad[i].number, to) == 0) {
            int code = f->bad[i].code;
            snprintf(msg, sizeof msg, "%s", f->bad[i].message);
            fake_http_unlock(f->h);
            return twilio_error(rp, 400, code, msg);
        }
    }
    int n = ++f->accepted;
    fake_http_unlock(f->h);

    char sid[40], uri[200], segs[8];
    snprintf(sid, sizeof sid, "SM%032x", (unsigned)n);
    snprintf(uri, sizeof uri, "/2010-04-01/Accounts/%s/Messages/%s.json", f->sid, sid);
    snprintf(segs, sizeof segs, "%zu", strlen(body) / 160 + 1);
    json_t *res = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:n, s:s, s:s, s:s}", "sid", sid,
                            "account_sid", f->sid, "status", has_from ? "queued" : "accepted", "to", to, "body", body,
                            "num_segments", segs, "direction", "outbound-api", "error_code", "error_message",
                            "uri", uri, "api_version", "2010-04-01", "date_created",
                            "Tue, 25 Nov 2025 21:08:17 +0000");
    json_object_set_new(res, "from", has_from ? json_string(from) : json_null());
    if (has_mg)
        json_object_set_new(res, "messaging_service_sid", json_string(mg));
    fake_http_reply_json(rp, 201, res);
}

struct fake_twilio *fake_twilio_start(const char *account_sid, const char *auth_token)
{
    struct fake_twilio *f = calloc(1, sizeof *f);
    char cred[200], b64[300];
    if (f == NULL || sodium_init() < 0)
        abort();
    snprintf(f->sid, sizeof f->sid, "%s", account_sid);
    snprintf(f->path, sizeof f->path, "/2010-04-01/Accounts/%s/Messages.json", account_sid);
    snprintf(cred, sizeof cred, "%s:%s", account_sid, auth_token);
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)cred, strlen(cred), sodium_base64_VARIANT_ORIGINAL);
    snprintf(f->auth, sizeof f->auth, "Basic %s", b64);
    f->h = fake_http_start(handle, f);
    return f;
}

void fake_twilio_stop(struct fake_twilio *f)
{
    if (f == NULL)
        return;
    fake_http_stop(f->h);
    free(f);
}

const char *fake_twilio_url(const struct fake_twilio *f)
{
    return fake_http_url(f->h);
}

struct fake_http *fake_twilio_http(struct fake_twilio *f)
{
    return f->h;
}

void fake_twilio_bad_number(struct fake_twilio *f, const char *number, int code, const char *message)
{
    fake_http_lock(f->h);
    if (f->nbad < MAX_BAD) {
        snprintf(f->bad[f->nbad].number, sizeof f->bad[0].number, "%s", number);
        f->bad[f->nbad].code = code;
        snprintf(f->bad[f->nbad].message, sizeof f->bad[0].message, "%s", message);
        f->nbad++;
    }
    fake_http_unlock(f->h);
}

void fake_twilio_fail_next(struct fake_twilio *f, unsigned status)
{
    fake_http_lock(f->h);
    f->fail_next = status;
    fake_http_unlock(f->h);
}

int fake_twilio_accepted(struct fake_twilio *f)
{
    fake_http_lock(f->h);
    int n = f->accepted;
    fake_http_unlock(f->h);
    return n;
}
