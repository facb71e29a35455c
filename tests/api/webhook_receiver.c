/*
 * webhook_receiver.c — the signature-verifying webhook receiver of
 * test_webhooks.c (see webhook_receiver.h).
 *
 * Caveats: test code; at most WHRX_MSGS requests are recorded.
 */
#include "api/webhook_receiver.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_client.h"

static bool hmac_matches(const char *secret, const char *t, const char *body, size_t len, const char *hex)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char want[2 * sizeof mac + 1];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, strlen(t));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(want, sizeof want, mac, sizeof mac);
    return strlen(hex) == strlen(want) && sodium_memcmp(want, hex, strlen(want)) == 0;
}

static void whrx_handle(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    struct whrx *r = ctx;
    const char *sig = fake_http_header(rq, "Artistry-Signature");
    const char *ts = fake_http_header(rq, "Artistry-Webhook-Timestamp");
    const char *hid = fake_http_header(rq, "Artistry-Webhook-Id");
    const char *ct = fake_http_header(rq, "Content-Type");
    json_t *body = json_loadb(rq->body, rq->body_len, 0, NULL);
    fake_http_lock(r->h);
    struct whrx_path *p = NULL;
    for (int i = 0; i < r->npaths; i++)
        if (strcmp(r->paths[i].path, rq->path) == 0)
            p = &r->paths[i];
    struct whrx_msg *m = r->nmsgs < WHRX_MSGS ? &r->msgs[r->nmsgs++] : NULL;
    unsigned status = 404;
    if (m != NULL) {
        memset(m, 0, sizeof *m);
        snprintf(m->path, sizeof m->path, "%s", rq->path);
        snprintf(m->id, sizeof m->id, "%s", body ? json_string_value(json_object_get(body, "id")) : "");
        snprintf(m->type, sizeof m->type, "%s", body ? json_string_value(json_object_get(body, "type")) : "");
        snprintf(m->hdr_id, sizeof m->hdr_id, "%s", hid ? hid : "");
        m->body = strdup(rq->body);
    }
    if (p != NULL && m != NULL && sig != NULL && ts != NULL && ct != NULL && strcmp(ct, "application/json") == 0) {
        char copy[512], t[32] = "";
        snprintf(copy, sizeof copy, "%s", sig);
        for (char *save = NULL, *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
            if (strncmp(part, "t=", 2) == 0) {
                snprintf(t, sizeof t, "%s", part + 2);
            } else if (strncmp(part, "v1=", 3) == 0) {
                m->nv1++;
                if (hmac_matches(p->secret, t, rq->body, rq->body_len, part + 3))
                    m->sig_ok = strcmp(t, ts) == 0 && llabs(atoll(t) - (long long)time(NULL)) <= 300;
                if (p->previous[0] && hmac_matches(p->previous, t, rq->body, rq->body_len, part + 3))
                    m->prev_ok = true;
            }
        }
    }
    if (p != NULL) {
        status = p->fail_first > 0 ? 500 : p->status ? p->status : 200;
        if (p->fail_first > 0)
            p->fail_first--;
    }
    fake_http_unlock(r->h);
    json_decref(body);
    if (status >= 300) {
        /* 1 KB + more: an invalid UTF-8 byte, and a 2-byte character across the 1024-byte cut. */
        char big[5001];
        memset(big, 'x', 5000);
        memcpy(big + 1023, "\xc3\xa9\xff", 3);
        big[10] = '\xfe';
        big[5000] = '\0';
        return fake_http_reply_text(rp, status, "text/plain", big);
    }
    fake_http_reply_json(rp, status, json_pack("{s:b}", "received", 1));
}

struct whrx *whrx_start(void)
{
    struct whrx *r = calloc(1, sizeof *r);
    r->h = fake_http_start(whrx_handle, r);
    return r;
}

void whrx_stop(struct whrx *r)
{
    fake_http_stop(r->h);
    for (int i = 0; i < r->nmsgs; i++)
        free(r->msgs[i].body);
    free(r);
}

/* Register (or update) a path's secret and behaviour. */
void whrx_path(struct whrx *r, const char *path, const char *secret, const char *previous, unsigned status,
               int fail_first)
{
    fake_http_lock(r->h);
    struct whrx_path *p = NULL;
    for (int i = 0; i < r->npaths; i++)
        if (strcmp(r->paths[i].path, path) == 0)
            p = &r->paths[i];
    if (p == NULL)
        p = &r->paths[r->npaths++];
    snprintf(p->path, sizeof p->path, "%s", path);
    snprintf(p->secret, sizeof p->secret, "%s", secret);
    snprintf(p->previous, sizeof p->previous, "%s", previous ? previous : "");
    p->status = status;
    p->fail_first = fail_first;
    fake_http_unlock(r->h);
}

/* Messages received on path (of type, when not NULL); copy of the last into *last when not NULL. */
int whrx_count(struct whrx *r, const char *path, const char *type, struct whrx_msg *last)
{
    int n = 0;
    fake_http_lock(r->h);
    for (int i = 0; i < r->nmsgs; i++) {
        if (strcmp(r->msgs[i].path, path) != 0 || (type && strcmp(r->msgs[i].type, type) != 0))
            continue;
        n++;
        if (last) {
            *last = r->msgs[i];
            last->body = NULL;
        }
    }
    fake_http_unlock(r->h);
    return n;
}

int whrx_wait(struct whrx *r, const char *path, const char *type, int want, struct whrx_msg *last)
{
    int n = 0;
    for (int i = 0; i < 400 && (n = whrx_count(r, path, type, last)) < want; i++)
        api_sleep_ms(25);
    return n;
}
