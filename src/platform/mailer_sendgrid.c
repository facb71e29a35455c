/*
 * mailer_sendgrid.c — the SendGrid v3 Mail Send transport of the mailer
 * (chosen when sendgrid_api_key is set), PROTOCOLS.md §4.
 *
 * POST {sendgrid_api_base}/v3/mail/send, "Authorization: Bearer <key>",
 *   {"personalizations":[{"to":[{"email"}]}],
 *    "from":{"email"[,"name"]}, "subject",
 *    "content":[{"type":"text/plain","value"}[,{"type":"text/html","value"}]],
 *    "custom_args":{"message_id"}}     (when the mail has a message id)
 * 202 with an empty body means accepted; the X-Message-Id response header,
 * when present, becomes the ref. Errors answer
 * {"errors":[{"message","field","help"}]}; the first one or two become the
 * error text. 4xx other than 408/429 is permanent (bad key 401, forbidden
 * sender 403, malformed body 400); 408, 429, 5xx and network failures are
 * transient.
 *
 * The same checks as the SMTP path run before (mailer_check, the From
 * value), so both transports accept exactly the same mails.
 *
 * Caveats: the key is sent to whatever sendgrid_api_base names; keep it
 * https in production.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "platform/channel_int.h"
#include "platform/mailer_int.h"

#define SENDGRID_KEY_MAX 512

/* "message (field)" of errors[i], into buf. */
static void error_text(json_t *errs, size_t i, char *buf, size_t cap)
{
    json_t *e = json_array_get(errs, i);
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *field = json_string_value(json_object_get(e, "field"));
    snprintf(buf, cap, "%s%s%s%s", msg != NULL ? msg : "error", field ? " (" : "", field ? field : "",
             field ? ")" : "");
}

int mailer__send_sendgrid(const struct config *cfg, const struct mail *m, struct channel_result *out)
{
    char name[300], addr[300], url[1024], auth[SENDGRID_KEY_MAX + 32];
    char *body = NULL;
    int ret = -1;

    memset(out, 0, sizeof *out);
    if (strlen(cfg->sendgrid_api_key) > SENDGRID_KEY_MAX) {
        channel__fail(out, true, "sendgrid_api_key is too long");
        return -1;
    }
    if (mailer__from_parts(cfg->mail_from, name, sizeof name, addr, sizeof addr) != 0) {
        channel__fail(out, true, "mail_from is not \"Name <addr@host>\" or \"addr@host\"");
        return -1;
    }
    json_t *from = json_pack("{s:s}", "email", addr);
    if (name[0] != '\0')
        json_object_set_new(from, "name", json_string(name));
    json_t *content = json_pack("[{s:s, s:s}]", "type", "text/plain", "value", m->text);
    if (m->html != NULL)
        json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text/html", "value", m->html));
    json_t *doc = json_pack("{s:[{s:[{s:s}]}], s:o, s:s, s:o}", "personalizations", "to", "email", m->to, "from",
                            from, "subject", m->subject, "content", content);
    if (doc != NULL && m->message_id != NULL)
        json_object_set_new(doc, "custom_args", json_pack("{s:s}", "message_id", m->message_id));
    body = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (body == NULL) {
        channel__fail(out, true, "sendgrid: mail cannot be encoded as JSON");
        return -1;
    }

    snprintf(url, sizeof url, "%s/v3/mail/send", cfg->sendgrid_api_base);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->sendgrid_api_key);
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    struct channel_http c = {.method = "POST", .url = url, .headers = headers, .body = body,
                             .body_len = strlen(body), .want_header = "X-Message-Id"};
    if (channel__http(&c) != 0) {
        channel__fail(out, false, "sendgrid: %s", c.error);
        goto out;
    }
    if (c.status >= 200 && c.status < 300) {
        snprintf(out->ref, sizeof out->ref, "%s", c.header_value);
        ret = 0;
        goto out;
    }
    json_t *errs = json_object_get(c.json, "errors");
    char e1[200] = "", e2[200] = "";
    if (json_array_size(errs) > 0)
        error_text(errs, 0, e1, sizeof e1);
    if (json_array_size(errs) > 1)
        error_text(errs, 1, e2, sizeof e2);
    channel__fail(out, channel__permanent(c.status), "sendgrid: HTTP %ld%s%s%s%s", c.status, e1[0] ? ": " : "", e1,
                  e2[0] ? "; " : "", e2);
out:
    if (ret != 0) {
        const char *d = strchr(m->to, '@');
        log_warn("mail not sent", "transport=sendgrid status=%ld permanent=%d to_domain=%s error=%s", c.status,
                 out->permanent, d ? d + 1 : "?", out->error);
    }
    channel__http_free(&c);
    free(body);
    return ret;
}
