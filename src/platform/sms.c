/*
 * sms.c — text messages: a JSON outbox (embedded default) or Twilio's
 * Programmable Messaging API (sms_provider = twilio), PROTOCOLS.md §4.
 *
 * Twilio: POST {twilio_api_base}/2010-04-01/Accounts/{sid}/Messages.json,
 * HTTP Basic auth account SID : auth token, form fields To, From (or
 * MessagingServiceSid when twilio_from is empty) and Body. 201 answers the
 * message resource; its sid (SM…) becomes out->ref. Errors answer
 * {"code","message","more_info","status"}; the error text is
 * "twilio <code>: <message>".
 *
 * Classification: an invalid destination is caught before any call
 * (E.164: '+', 8 to 15 digits, no leading 0) and is permanent; 4xx other
 * than 408/429 is permanent (bad number 21211, unsubscribed 21610, bad
 * credentials…); 408, 429, 5xx and network failures are transient, so the
 * job queue retries them.
 *
 * Outbox: <outbox>/sms/<ms>-<rand>.json holding {"channel":"sms","to",
 * "body","created_at"}; the file name is the ref.
 *
 * Caveats:
 *   - Bodies are sent as given; Twilio splits them into segments (up to
 *     1600 characters). Longer bodies are refused here (permanent).
 *   - No StatusCallback: delivery receipts are not tracked.
 */
#include "platform/sms.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "platform/channel_int.h"

#define SMS_BODY_MAX 1600 /* Twilio's limit, in characters; we count bytes, which is stricter */

/* E.164: "+" then 8-15 digits, the first not 0. */
static bool e164_valid(const char *s)
{
    if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    size_t n = 0;
    for (const char *p = s + 1; *p; p++, n++)
        if (*p < '0' || *p > '9')
            return false;
    return n >= 8 && n <= 15;
}

static int send_outbox(const struct config *cfg, const char *to, const char *body, struct channel_result *out)
{
    char now[40];
    time_format_rfc3339(time_now_ms(), now, sizeof now);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "channel", "sms", "to", to, "body", body, "created_at", now);
    int rc = doc != NULL ? channel__outbox_write(cfg, "sms", doc, out) : -1;
    if (doc == NULL)
        channel__fail(out, true, "sms: body is not valid UTF-8");
    json_decref(doc);
    return rc;
}

static void form_add(struct strbuf *b, const char *key, const char *value)
{
    char *v = curl_easy_escape(NULL, value, 0);
    if (v == NULL)
        abort();
    strbuf_printf(b, "%s%s=%s", b->len > 0 ? "&" : "", key, v);
    curl_free(v);
}

static int send_twilio(const struct config *cfg, const char *to, const char *body, struct channel_result *out)
{
    char url[1024];
    struct strbuf form;
    const char *sid = cfg->twilio_account_sid, *from = cfg->twilio_from, *mg = cfg->twilio_messaging_service_sid;
    int ret = -1;

    if (sid == NULL || sid[0] == '\0' || cfg->twilio_auth_token == NULL || cfg->twilio_auth_token[0] == '\0') {
        channel__fail(out, true, "twilio_account_sid and twilio_auth_token must be set");
        return -1;
    }
    if ((from == NULL || from[0] == '\0') && (mg == NULL || mg[0] == '\0')) {
        channel__fail(out, true, "twilio_from or twilio_messaging_service_sid must be set");
        return -1;
    }
    if (strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != strlen(sid)) {
        channel__fail(out, true, "twilio_account_sid is malformed");
        return -1;
    }
    snprintf(url, sizeof url, "%s/2010-04-01/Accounts/%s/Messages.json", cfg->twilio_api_base, sid);
    strbuf_init(&form, NULL, 256);
    form_add(&form, "To", to);
    if (from != NULL && from[0] != '\0')
        form_add(&form, "From", from);
    else
        form_add(&form, "MessagingServiceSid", mg);
    form_add(&form, "Body", body);

    static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded",
                                          "Accept: application/json", NULL};
    struct channel_http c = {.method = "POST", .url = url, .headers = headers, .body = form.data,
                             .body_len = form.len, .basic_user = sid, .basic_password = cfg->twilio_auth_token};
    if (channel__http(&c) != 0) {
        channel__fail(out, false, "twilio: %s", c.error);
        goto out;
    }
    const char *msid = json_string_value(json_object_get(c.json, "sid"));
    if (c.status >= 200 && c.status < 300 && msid != NULL) {
        snprintf(out->ref, sizeof out->ref, "%s", msid);
        ret = 0;
        goto out;
    }
    json_t *code = json_object_get(c.json, "code");
    const char *msg = json_string_value(json_object_get(c.json, "message"));
    if (c.status >= 200 && c.status < 300)
        channel__fail(out, false, "twilio: HTTP %ld without a message sid", c.status);
    else if (json_is_integer(code))
        channel__fail(out, channel__permanent(c.status), "twilio %lld: %s", (long long)json_integer_value(code),
                      msg != NULL ? msg : "error");
    else
        channel__fail(out, channel__permanent(c.status), "twilio: HTTP %ld", c.status);
out:
    if (ret != 0)
        log_warn("sms not sent", "provider=twilio status=%ld permanent=%d error=%s", c.status, out->permanent,
                 out->error);
    channel__http_free(&c);
    strbuf_free(&form);
    return ret;
}

int sms_send(const struct config *cfg, const char *to, const char *body, struct channel_result *out)
{
    memset(out, 0, sizeof *out);
    if (!e164_valid(to)) {
        channel__fail(out, true, "recipient is not an E.164 phone number (+ and 8-15 digits)");
        return -1;
    }
    if (body == NULL || body[0] == '\0' || strlen(body) > SMS_BODY_MAX) {
        channel__fail(out, true, "sms body must be 1-%d bytes", SMS_BODY_MAX);
        return -1;
    }
    const char *p = cfg->sms_provider != NULL ? cfg->sms_provider : "outbox";
    if (strcmp(p, "twilio") == 0)
        return send_twilio(cfg, to, body, out);
    if (strcmp(p, "outbox") == 0 || p[0] == '\0')
        return send_outbox(cfg, to, body, out);
    channel__fail(out, true, "sms_provider must be outbox or twilio, not %s", p);
    return -1;
}
