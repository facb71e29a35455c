/*
 * channel.c — the shared half of the delivery adapters: JSON outbox files,
 * one libcurl exchange, status classification (see channel_int.h).
 *
 * The outbox mirrors the mailer's .eml outbox (same directory, written the
 * same atomic way) with one subdirectory per channel, so a developer running
 * offline finds every message the server "sent" in one place:
 *   <outbox>/NAME.eml, <outbox>/sms/NAME.json, <outbox>/push/NAME.json.
 *
 * Caveats:
 *   - The outbox holds message bodies (they may carry links): files are 0600
 *     and the directories 0700.
 *   - A redirect is never followed: providers answer directly, and following
 *     one would resend credentials to another host.
 */
#include "platform/channel_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/fsutil.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "platform/httpc.h"

#define CHANNEL_CONNECT_TIMEOUT_MS 5000L
#define CHANNEL_TIMEOUT_MS 20000L

void channel__fail(struct channel_result *out, bool permanent, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->error, sizeof out->error, fmt, ap);
    va_end(ap);
    out->permanent = permanent;
}

bool channel__permanent(long status)
{
    return status >= 400 && status < 500 && status != 408 && status != 429;
}

/*-----------------------------------------------------------------------------
 * Outbox
 */

void channel__outbox_dir(const struct config *cfg, const char *sub, char *buf, size_t cap)
{
    if (cfg->mail_outbox != NULL && cfg->mail_outbox[0] != '\0')
        snprintf(buf, cap, "%s/%s", cfg->mail_outbox, sub);
    else
        snprintf(buf, cap, "%s/outbox/%s", cfg->data_dir != NULL && cfg->data_dir[0] ? cfg->data_dir : ".", sub);
}

int channel__outbox_write(const struct config *cfg, const char *sub, json_t *doc, struct channel_result *out)
{
    char dir[2048], name[96], final[2200];
    unsigned char rnd[8];
    channel__outbox_dir(cfg, sub, dir, sizeof dir);
    if (fs_mkdirs(dir, 0700) != 0) {
        channel__fail(out, false, "outbox %s cannot be created: %s", dir, strerror(errno));
        return -1;
    }
    random_bytes(rnd, sizeof rnd);
    snprintf(name, sizeof name, "%013lld-%02x%02x%02x%02x%02x%02x%02x%02x.json", (long long)time_now_ms(), rnd[0],
             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    snprintf(final, sizeof final, "%s/%s", dir, name);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (text == NULL) {
        channel__fail(out, true, "outbox: message cannot be encoded");
        return -1;
    }
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (line == NULL) {
        free(text);
        channel__fail(out, false, "outbox: out of memory");
        return -1;
    }
    memcpy(line + len, "\n", 2);
    int rc = fs_write_atomic(final, line, len + 1, 0600);
    int e = errno;
    free(line);
    if (rc != 0) {
        channel__fail(out, false, "outbox file cannot be written in %s: %s", dir, strerror(e));
        return -1;
    }
    snprintf(out->ref, sizeof out->ref, "%s", name);
    return 0;
}

/*-----------------------------------------------------------------------------
 * HTTP
 */

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    struct channel_http *c = ud;
    size_t n = size * nitems, wl = strlen(c->want_header);
    if (n > wl + 1 && strncasecmp(buf, c->want_header, wl) == 0 && buf[wl] == ':') {
        const char *v = buf + wl + 1, *e = buf + n;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
            e--;
        size_t vl = (size_t)(e - v) < sizeof c->header_value - 1 ? (size_t)(e - v) : sizeof c->header_value - 1;
        memcpy(c->header_value, v, vl);
        c->header_value[vl] = '\0';
    }
    return n;
}

int channel__http(struct channel_http *c)
{
    struct httpc_body b = {.max = CHANNEL_MAX_RESPONSE};
    struct curl_slist *hdr = NULL;
    int ret = -1;

    c->status = 0;
    c->response = NULL;
    c->json = NULL;
    c->header_value[0] = '\0';
    c->error[0] = '\0';
    CURL *h = curl_easy_init();
    if (h == NULL) {
        snprintf(c->error, sizeof c->error, "libcurl could not start");
        return -1;
    }
    for (size_t i = 0; c->headers != NULL && c->headers[i] != NULL; i++)
        hdr = curl_slist_append(hdr, c->headers[i]);
    hdr = curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body != NULL ? c->body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(c->body != NULL ? c->body_len : 0));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CHANNEL_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms > 0 ? c->timeout_ms : CHANNEL_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "artistry-cart");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (c->want_header != NULL) {
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    }
    if (c->basic_user != NULL) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->basic_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->basic_password != NULL ? c->basic_password : "");
    }
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK || b.too_big) {
        /* Never the URL: it may name an account; never the body: it holds the message. */
        snprintf(c->error, sizeof c->error, "%s", b.too_big ? "response too large" : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    c->response = b.data != NULL ? b.data : xstrdup("");
    b.data = NULL;
    c->json = json_loads(c->response, JSON_REJECT_DUPLICATES, NULL);
    ret = 0;
out:
    httpc_body_free(&b);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return ret;
}

void channel__http_free(struct channel_http *c)
{
    free(c->response);
    c->response = NULL;
    json_decref(c->json);
    c->json = NULL;
}
