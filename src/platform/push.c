/*
 * push.c — mobile/web push: a JSON outbox (embedded default) or Firebase
 * Cloud Messaging HTTP v1 (push_provider = fcm), PROTOCOLS.md §4.
 *
 * FCM: POST {fcm_api_base}/v1/projects/{fcm_project_id}/messages:send with
 * "Authorization: Bearer <OAuth2 access token>" and
 *   {"message":{"token","notification":{"title","body"},"data":{k:"v"}}}
 * (data values must be strings: numbers and booleans are converted, nested
 * values sent as their JSON text, nulls dropped). 200 answers
 * {"name":"projects/…/messages/…"}, kept in out->ref.
 *
 * Access token (OAuth 2.0 service-account flow, RFC 7523): the credentials
 * file (fcm_credentials_file, Google's service-account JSON) gives
 * client_email, private_key (PEM) and token_uri (fcm_token_uri overrides
 * it). We sign a JWT assertion with RS256 (libjwt): iss = client_email,
 * scope = .../auth/firebase.messaging, aud = token_uri, iat = now,
 * exp = now + 3600, kid = private_key_id when present, and POST
 * grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<jwt>
 * to token_uri. The answer {access_token, expires_in} is cached in process,
 * keyed by client email and token URI, until 60 s before it expires; a
 * mutex guards the cache, never a network call (two workers may both fetch
 * a token at once; the later one wins, both are valid).
 *
 * Errors: {"error":{"code","message","status","details":[{"@type":
 * "…FcmError","errorCode"}]}}. UNREGISTERED (404), SENDER_ID_MISMATCH and
 * INVALID_ARGUMENT about the registration token mark the token dead
 * (out->unregistered, permanent). 401 drops the cached access token and
 * retries once with a new one. 408/429/5xx and network failures are
 * transient; other 4xx are permanent. A token endpoint that refuses the
 * assertion (400/401 invalid_grant) is permanent: the credentials are wrong.
 *
 * Outbox: <outbox>/push/<ms>-<rand>.json holding {"channel":"push","token",
 * "title","body","data","created_at"}.
 *
 * Caveats:
 *   - The credentials file is read on every token fetch (about hourly), so
 *     a rotated key is picked up without a restart.
 *   - No android/apns overrides, topics or conditions: one device per call.
 */
#include "platform/push.h"

#include <curl/curl.h>
#include <jwt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/config.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "platform/channel_int.h"

#define FCM_SCOPE "https://www.googleapis.com/auth/firebase.messaging"
#define FCM_GRANT "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define FCM_ASSERTION_TTL 3600
#define FCM_TOKEN_SLACK_MS 60000
#define FCM_TOKEN_MAX 2048
#define FCM_TOKEN_DEFAULT_URI "https://oauth2.googleapis.com/token"

/*-----------------------------------------------------------------------------
 * Outbox
 */

static int send_outbox(const struct config *cfg, const char *token, const char *title, const char *body,
                       json_t *data, struct channel_result *out)
{
    char now[40];
    time_format_rfc3339(time_now_ms(), now, sizeof now);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s}", "channel", "push", "token", token, "title", title,
                            "body", body, "data", data != NULL ? data : json_null(), "created_at", now);
    if (doc == NULL) {
        channel__fail(out, true, "push: text is not valid UTF-8");
        return -1;
    }
    int rc = channel__outbox_write(cfg, "push", doc, out);
    json_decref(doc);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Access token: service-account JWT → OAuth2 token, cached
 */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char cache_key[1024];
static char cache_token[FCM_TOKEN_MAX];
static int64_t cache_expires_ms;

struct creds {
    json_t *doc; /* owns the strings below */
    const char *email, *key, *key_id, *token_uri;
};

static int creds_load(const struct config *cfg, struct creds *c, struct channel_result *out)
{
    json_error_t je;
    memset(c, 0, sizeof *c);
    if (cfg->fcm_credentials_file == NULL || cfg->fcm_credentials_file[0] == '\0') {
        channel__fail(out, true, "fcm_credentials_file must be set");
        return -1;
    }
    c->doc = json_load_file(cfg->fcm_credentials_file, 0, &je);
    if (c->doc == NULL) {
        /* je.text may quote the file: it holds the private key, so say only where. */
        channel__fail(out, true, "fcm credentials file unreadable or not JSON (line %d)", je.line);
        return -1;
    }
    c->email = json_string_value(json_object_get(c->doc, "client_email"));
    c->key = json_string_value(json_object_get(c->doc, "private_key"));
    c->key_id = json_string_value(json_object_get(c->doc, "private_key_id"));
    c->token_uri = json_string_value(json_object_get(c->doc, "token_uri"));
    if (cfg->fcm_token_uri != NULL && cfg->fcm_token_uri[0] != '\0')
        c->token_uri = cfg->fcm_token_uri;
    if (c->token_uri == NULL)
        c->token_uri = FCM_TOKEN_DEFAULT_URI;
    if (c->email == NULL || c->key == NULL) {
        channel__fail(out, true, "fcm credentials file lacks client_email or private_key");
        json_decref(c->doc);
        c->doc = NULL;
        return -1;
    }
    return 0;
}

/* The cache key of a configuration (no secrets in it). */
static void creds_key(const struct config *cfg, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s|%s", cfg->fcm_credentials_file ? cfg->fcm_credentials_file : "",
             cfg->fcm_token_uri ? cfg->fcm_token_uri : "");
}

/* A signed assertion (heap, free with free()), or NULL. */
static char *make_assertion(const struct creds *c)
{
    jwt_t *j = NULL;
    char *s = NULL;
    long now = (long)(time_now_ms() / 1000);
    if (jwt_new(&j) != 0)
        return NULL;
    if (jwt_add_grant(j, "iss", c->email) == 0 && jwt_add_grant(j, "scope", FCM_SCOPE) == 0 &&
        jwt_add_grant(j, "aud", c->token_uri) == 0 && jwt_add_grant_int(j, "iat", now) == 0 &&
        jwt_add_grant_int(j, "exp", now + FCM_ASSERTION_TTL) == 0 &&
        (c->key_id == NULL || jwt_add_header(j, "kid", c->key_id) == 0) &&
        jwt_set_alg(j, JWT_ALG_RS256, (const unsigned char *)c->key, (int)strlen(c->key)) == 0)
        s = jwt_encode_str(j); /* NULL when the key is not an RSA private key */
    jwt_free(j);
    return s;
}

/* Fetch a fresh access token into tok and the cache. */
static int fetch_token(const struct config *cfg, char *tok, size_t cap, struct channel_result *out)
{
    struct creds c;
    struct strbuf form;
    char key[sizeof cache_key];
    int ret = -1;

    if (creds_load(cfg, &c, out) != 0)
        return -1;
    char *assertion = make_assertion(&c);
    if (assertion == NULL) {
        channel__fail(out, true, "fcm: the private key cannot sign an RS256 assertion");
        json_decref(c.doc);
        return -1;
    }
    strbuf_init(&form, NULL, 1024);
    char *g = curl_easy_escape(NULL, FCM_GRANT, 0), *a = curl_easy_escape(NULL, assertion, 0);
    if (g == NULL || a == NULL)
        abort();
    strbuf_printf(&form, "grant_type=%s&assertion=%s", g, a);
    curl_free(g);
    curl_free(a);
    free(assertion);

    static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded",
                                          "Accept: application/json", NULL};
    struct channel_http h = {.method = "POST", .url = c.token_uri, .headers = headers, .body = form.data,
                             .body_len = form.len};
    if (channel__http(&h) != 0) {
        channel__fail(out, false, "fcm token: %s", h.error);
        goto out;
    }
    const char *at = json_string_value(json_object_get(h.json, "access_token"));
    json_t *ttl = json_object_get(h.json, "expires_in");
    if (h.status != 200 || at == NULL || strlen(at) >= cap || strlen(at) >= sizeof cache_token) {
        const char *e = json_string_value(json_object_get(h.json, "error"));
        const char *d = json_string_value(json_object_get(h.json, "error_description"));
        /* A refused assertion means wrong credentials: retrying cannot help. 2xx without a token: say so. */
        channel__fail(out, h.status == 200 ? false : channel__permanent(h.status), "fcm token: HTTP %ld %s%s%s",
                      h.status, e ? e : "no access_token", d ? ": " : "", d ? d : "");
        goto out;
    }
    snprintf(tok, cap, "%s", at);
    int64_t life = json_is_integer(ttl) ? json_integer_value(ttl) : 3600;
    creds_key(cfg, key, sizeof key);
    pthread_mutex_lock(&cache_lock);
    snprintf(cache_key, sizeof cache_key, "%s", key);
    snprintf(cache_token, sizeof cache_token, "%s", at);
    cache_expires_ms = time_now_ms() + life * 1000;
    pthread_mutex_unlock(&cache_lock);
    ret = 0;
out:
    channel__http_free(&h);
    strbuf_free(&form);
    json_decref(c.doc);
    return ret;
}

/* The cached token for cfg into tok, or -1 when there is none still valid. */
static int cached_token(const struct config *cfg, char *tok, size_t cap)
{
    char key[sizeof cache_key];
    int rc = -1;
    creds_key(cfg, key, sizeof key);
    pthread_mutex_lock(&cache_lock);
    if (cache_token[0] != '\0' && strcmp(cache_key, key) == 0 &&
        cache_expires_ms - FCM_TOKEN_SLACK_MS > time_now_ms() && strlen(cache_token) < cap) {
        snprintf(tok, cap, "%s", cache_token);
        rc = 0;
    }
    pthread_mutex_unlock(&cache_lock);
    return rc;
}

/* Forget tok if it is still the cached one (the server refused it). */
static void drop_token(const char *tok)
{
    pthread_mutex_lock(&cache_lock);
    if (strcmp(cache_token, tok) == 0)
        cache_token[0] = '\0';
    pthread_mutex_unlock(&cache_lock);
}

/*-----------------------------------------------------------------------------
 * messages:send
 */

/* FCM data: a flat map of strings. */
static json_t *string_map(json_t *data)
{
    json_t *m = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(data, k, v) {
        char buf[64];
        if (json_is_string(v)) {
            json_object_set(m, k, v);
        } else if (json_is_integer(v)) {
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
            json_object_set_new(m, k, json_string(buf));
        } else if (json_is_real(v)) {
            snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
            json_object_set_new(m, k, json_string(buf));
        } else if (json_is_boolean(v)) {
            json_object_set_new(m, k, json_string(json_is_true(v) ? "true" : "false"));
        } else if (!json_is_null(v)) {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            if (s != NULL)
                json_object_set_new(m, k, json_string(s));
            free(s);
        }
    }
    return m;
}

/* Read an FCM error body into out. */
static void read_error(long status, json_t *body, struct channel_result *out)
{
    json_t *e = json_object_get(body, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *st = json_string_value(json_object_get(e, "status"));
    const char *code = NULL;
    bool token_field = false;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(e, "details"), i, d) {
        if (code == NULL)
            code = json_string_value(json_object_get(d, "errorCode"));
        size_t k;
        json_t *fv;
        json_array_foreach(json_object_get(d, "fieldViolations"), k, fv) {
            const char *field = json_string_value(json_object_get(fv, "field"));
            token_field = token_field || (field != NULL && strcmp(field, "message.token") == 0);
        }
    }
    if (code == NULL)
        code = st != NULL ? st : "UNKNOWN";
    bool dead = strcmp(code, "UNREGISTERED") == 0 || strcmp(code, "SENDER_ID_MISMATCH") == 0 ||
                (strcmp(code, "INVALID_ARGUMENT") == 0 &&
                 (token_field || (msg != NULL && strcasestr(msg, "registration token") != NULL)));
    channel__fail(out, dead || channel__permanent(status), "fcm %s (HTTP %ld): %s", code, status,
                  msg != NULL ? msg : "error");
    out->unregistered = dead;
}

static int send_fcm(const struct config *cfg, const char *token, const char *title, const char *body, json_t *data,
                    struct channel_result *out)
{
    char url[1024], tok[FCM_TOKEN_MAX], auth[FCM_TOKEN_MAX + 32];
    char *payload = NULL;
    int ret = -1;
    long status = 0;

    if (cfg->fcm_project_id == NULL || cfg->fcm_project_id[0] == '\0' ||
        strspn(cfg->fcm_project_id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(cfg->fcm_project_id)) {
        channel__fail(out, true, "fcm_project_id must be set (lowercase letters, digits, '-')");
        return -1;
    }
    snprintf(url, sizeof url, "%s/v1/projects/%s/messages:send", cfg->fcm_api_base, cfg->fcm_project_id);
    json_t *msg = json_pack("{s:{s:s, s:{s:s, s:s}}}", "message", "token", token, "notification", "title", title,
                            "body", body);
    if (msg == NULL) {
        channel__fail(out, true, "push: text is not valid UTF-8");
        return -1;
    }
    if (json_is_object(data) && json_object_size(data) > 0)
        json_object_set_new(json_object_get(msg, "message"), "data", string_map(data));
    payload = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);

    for (int attempt = 0; attempt < 2; attempt++) {
        bool fresh = false;
        if (cached_token(cfg, tok, sizeof tok) != 0) {
            if (fetch_token(cfg, tok, sizeof tok, out) != 0)
                goto out;
            fresh = true;
        }
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
        const char *headers[] = {auth, "Content-Type: application/json; charset=utf-8", NULL};
        struct channel_http h = {.method = "POST", .url = url, .headers = headers, .body = payload,
                                 .body_len = strlen(payload)};
        if (channel__http(&h) != 0) {
            channel__fail(out, false, "fcm: %s", h.error);
            goto out;
        }
        status = h.status;
        const char *name = json_string_value(json_object_get(h.json, "name"));
        if (status == 200 && name != NULL) {
            snprintf(out->ref, sizeof out->ref, "%s", name);
            ret = 0;
        } else if (status == 401 && attempt == 0) {
            /* Revoked or expired early: a new token, once (a fresh one refused is a real refusal). */
            drop_token(tok);
            if (fresh)
                attempt = 1;
            read_error(status, h.json, out);
        } else if (status == 200) {
            channel__fail(out, false, "fcm: HTTP 200 without a message name");
        } else {
            read_error(status, h.json, out);
        }
        channel__http_free(&h);
        if (ret == 0 || status != 401 || attempt == 1)
            break;
        memset(out, 0, sizeof *out);
    }
out:
    if (ret != 0)
        log_warn("push not sent", "provider=fcm status=%ld permanent=%d unregistered=%d error=%s", status,
                 out->permanent, out->unregistered, out->error);
    free(payload);
    return ret;
}

int push_send(const struct config *cfg, const char *device_token, const char *title, const char *body,
              json_t *data, struct channel_result *out)
{
    memset(out, 0, sizeof *out);
    if (device_token == NULL || device_token[0] == '\0' || strlen(device_token) > 4096) {
        channel__fail(out, true, "device token is empty or too long");
        out->unregistered = true;
        return -1;
    }
    if (title == NULL || body == NULL) {
        channel__fail(out, true, "push needs a title and a body");
        return -1;
    }
    if (data != NULL && !json_is_object(data)) {
        channel__fail(out, true, "push data must be an object");
        return -1;
    }
    const char *p = cfg->push_provider != NULL ? cfg->push_provider : "outbox";
    if (strcmp(p, "fcm") == 0)
        return send_fcm(cfg, device_token, title, body, data, out);
    if (strcmp(p, "outbox") == 0 || p[0] == '\0')
        return send_outbox(cfg, device_token, title, body, data, out);
    channel__fail(out, true, "push_provider must be outbox or fcm, not %s", p);
    return -1;
}
