/*
 * auth_oauth.c — OAuth 2.0 / OpenID Connect sign-in (authorization code + PKCE).
 *
 * Providers google, apple and facebook are configured alike: client id and
 * secret, authorization, token and JWKS URLs, and the expected ID-token
 * issuer (config keys oauth_<provider>_*). A provider without a client id
 * is not offered: both endpoints answer 404 not_found for it, as for an
 * unknown provider name. A client id with any other setting missing stops
 * the server at start-up.
 *
 * GET /api/v1/auth/oauth/:provider[?redirect_uri=]
 *     Makes a 256-bit state, an OIDC nonce and a PKCE verifier, stores them
 *     (with the app's redirect_uri) in oauth_states for 10 minutes, sets a
 *     cookie artistry_oauth_<provider>=<state> (HttpOnly, SameSite=Lax,
 *     Path = the callback, 10 minutes) and answers 302 to the provider with
 *     code_challenge = BASE64URL(SHA256(verifier)), method S256. The
 *     verifier never leaves the server. redirect_uri must be a path on
 *     public_url, or an absolute http(s) URL whose origin is public_url's or
 *     one of cors_origins ("*" does not count); anything else is 400.
 *
 * GET /api/v1/auth/oauth/:provider/callback?code&state | ?error&state
 *     On the request thread: the state must be well formed and equal to the
 *     browser's cookie (login CSRF: a victim's browser cannot complete a flow
 *     an attacker started). The rest is offloaded (req_offload) because it
 *     calls the provider: take the state (DELETE ... RETURNING, so it is
 *     single use), check provider and expiry, exchange the code at the token
 *     URL (client_secret_post + code_verifier), verify the id_token (RS256
 *     only, key from the provider's JWKS, see platform/jwks.h), then check
 *     iss, aud (and azp when there are several audiences), exp/iat/nbf with
 *     60 s leeway, and nonce.
 *
 * Account rule, in one transaction:
 *   1. an identity (provider, sub) exists → that user;
 *   2. else the provider must assert email_verified (true or "true"); without
 *      it sign-in is refused (oauth_failed) — creating or linking on an
 *      unverified address would let anyone pre-claim someone else's account;
 *   3. a user with that email exists → link, but only when that account's
 *      own address is verified too; otherwise 409 conflict (linking to an
 *      account whose password was set by someone who never proved the
 *      address would hand it to them);
 *   4. else a new buyer (email_verified_at = now, no password) is created and
 *      linked.
 * Suspended users get 403 account_suspended, closed ones oauth_failed.
 *
 * Answer: without redirect_uri, auth_respond_with_session's JSON (200) and
 * refresh cookie. With redirect_uri (a browser flow), the same Set-Cookie
 * headers but 302 to redirect_uri and no body: no token travels in a URL,
 * and the app gets its access token from POST /api/v1/auth/refresh with the
 * cookie. A failure after the state was taken also goes back to the app:
 * 302 to redirect_uri?error=<code> (the details are in the server log).
 * Failures before that (no state, no cookie) are problem+json.
 *
 * Caveats: the JWKS caches are file-scope state created by init for the
 * life of the process (the auth module's fini does not reach this file).
 * One cookie per provider: two sign-ins started in two tabs with the same
 * provider leave only the later one completable. Apple answers with a form
 * POST (response_mode=form_post) whenever the email or name scope is asked
 * for; the callback route is GET only, so Apple needs a POST callback before
 * it can really be enabled. Facebook's ID tokens carry no email_verified
 * claim, so by rule 2 a Facebook user can sign in only through an identity
 * already linked. The startup check does not prepare these statements (the
 * schema may not be migrated yet when modules init).
 */
#include <ctype.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "db/db.h"
#include "platform/httpc.h"
#include "platform/jwks.h"
#include "services/auth/auth.h"
#include "services/auth/auth_int.h"
#include "services/auth/auth_oauth_int.h"

#define STATE_TTL_MS (10 * 60 * 1000)
#define RAND_BYTES 32 /* state, nonce, PKCE verifier: 256 bits each */
#define RAND_B64 43   /* their base64url length, no padding */
#define COOKIE_PREFIX "artistry_oauth_"
#define TOKEN_MAX_BYTES (64 * 1024)

/*-----------------------------------------------------------------------------
 * Parameters
 */
const struct param_spec auth_oauth_start_params[] = {
    {"provider", PARAM_PATH, VT_STRING, true, 1, 32},
    {"redirect_uri", PARAM_QUERY, VT_STRING, false, 1, 2048},
    {0},
};

/* Besides code/state/error, providers add scope, authuser, prompt, hd (Google), iss (RFC 9207)… */
const struct param_spec auth_oauth_callback_params[] = {
    {"provider", PARAM_PATH, VT_STRING, true, 1, 32},
    {"code", PARAM_QUERY, VT_STRING, false, 1, 4096},
    {"state", PARAM_QUERY, VT_STRING, false, 0, 512},
    {"error", PARAM_QUERY, VT_STRING, false, 0, 256},
    {"error_description", PARAM_QUERY, VT_STRING, false, 0, 2048},
    {"error_uri", PARAM_QUERY, VT_STRING, false, 0, 2048},
    {"iss", PARAM_QUERY, VT_STRING, false, 0, 2048},
    {"scope", PARAM_QUERY, VT_STRING, false, 0, 2048},
    {"authuser", PARAM_QUERY, VT_STRING, false, 0, 64},
    {"prompt", PARAM_QUERY, VT_STRING, false, 0, 256},
    {"hd", PARAM_QUERY, VT_STRING, false, 0, 256},
    {"session_state", PARAM_QUERY, VT_STRING, false, 0, 1024},
    {0},
};

/*-----------------------------------------------------------------------------
 * Providers
 */
enum { PROV_GOOGLE, PROV_APPLE, PROV_FACEBOOK, PROV__COUNT };
static const char *const provider_names[PROV__COUNT] = {"google", "apple", "facebook"};

struct provider_cfg {
    const char *name, *client_id, *client_secret, *auth_url, *token_url, *jwks_url, *issuer;
};

/*
 * Key-set caches of the configured providers, made by auth__oauth_init
 * before any request thread runs and read-only afterwards (each cache locks
 * itself). Process lifetime: see Caveats.
 */
static struct jwks *jwks_caches[PROV__COUNT];

static struct provider_cfg provider_cfg(const struct config *c, int p)
{
    switch (p) {
    case PROV_GOOGLE:
        return (struct provider_cfg){"google",
                                     c->oauth_google_client_id,
                                     c->oauth_google_client_secret,
                                     c->oauth_google_auth_url,
                                     c->oauth_google_token_url,
                                     c->oauth_google_jwks_url,
                                     c->oauth_google_issuer};
    case PROV_APPLE:
        return (struct provider_cfg){"apple",
                                     c->oauth_apple_client_id,
                                     c->oauth_apple_client_secret,
                                     c->oauth_apple_auth_url,
                                     c->oauth_apple_token_url,
                                     c->oauth_apple_jwks_url,
                                     c->oauth_apple_issuer};
    default:
        return (struct provider_cfg){"facebook",
                                     c->oauth_facebook_client_id,
                                     c->oauth_facebook_client_secret,
                                     c->oauth_facebook_auth_url,
                                     c->oauth_facebook_token_url,
                                     c->oauth_facebook_jwks_url,
                                     c->oauth_facebook_issuer};
    }
}

static bool empty(const char *s)
{
    return s == NULL || *s == '\0';
}

/* The provider of this request's :provider, or -1 with err set to 404 (unknown or not configured). */
static int provider_or_reply(struct request *req, struct provider_cfg *pc, struct app_error *err)
{
    const char *name = req_param(req, "provider");
    for (int p = 0; p < PROV__COUNT; p++) {
        if (name == NULL || strcmp(name, provider_names[p]) != 0)
            continue;
        *pc = provider_cfg(req->app->cfg, p);
        if (empty(pc->client_id) || jwks_caches[p] == NULL)
            return app_error_set(err, req->arena, "not_found", "sign-in with %s is not configured on this server",
                                 provider_names[p]);
        return p;
    }
    return app_error_set(err, req->arena, "not_found", "no OAuth provider is called '%s'", name ? name : "");
}

/*-----------------------------------------------------------------------------
 * Small helpers: randomness, URLs, cookies
 */
static void random_b64(char out[RAND_B64 + 1])
{
    unsigned char raw[RAND_BYTES];
    random_bytes(raw, sizeof raw);
    sodium_bin2base64(out, RAND_B64 + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

static bool is_b64url(const char *s, size_t len)
{
    if (s == NULL || strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

/* Append s percent-encoded (RFC 3986 unreserved characters stay as they are). */
static void url_encode(struct strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            strbuf_putc(b, (char)*p);
        } else {
            strbuf_putc(b, '%');
            strbuf_putc(b, hex[*p >> 4]);
            strbuf_putc(b, hex[*p & 15]);
        }
    }
}

static void form_field(struct strbuf *b, const char *name, const char *value)
{
    if (b->len > 0)
        strbuf_putc(b, '&');
    strbuf_puts(b, name);
    strbuf_putc(b, '=');
    url_encode(b, value);
}

/* Length of "scheme://authority" at the start of url, or 0 if url is not absolute http(s) without userinfo. */
static size_t origin_len(const char *url)
{
    size_t n;
    if (strncmp(url, "https://", 8) == 0)
        n = 8;
    else if (strncmp(url, "http://", 7) == 0)
        n = 7;
    else
        return 0;
    size_t start = n;
    while (url[n] && url[n] != '/' && url[n] != '?' && url[n] != '#') {
        if (url[n] == '@' || url[n] == '\\')
            return 0;
        n++;
    }
    return n > start ? n : 0;
}

static bool same_origin(const char *a, size_t alen, const char *b, size_t blen)
{
    while (blen > 0 && b[blen - 1] == '/')
        blen--;
    return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* public_url without a trailing slash, in the arena. */
static const char *public_base(struct request *req)
{
    const char *pub = req->app->cfg->public_url ? req->app->cfg->public_url : "";
    size_t n = strlen(pub);
    while (n > 0 && pub[n - 1] == '/')
        n--;
    return arena_strndup(req->arena, pub, n);
}

static const char *callback_url(struct request *req, const char *provider)
{
    return arena_sprintf(req->arena, "%s/api/v1/auth/oauth/%s/callback", public_base(req), provider);
}

static const char *cookie_path(struct request *req, const char *provider)
{
    const char *base = public_base(req);
    size_t o = origin_len(base);
    return arena_sprintf(req->arena, "%s/api/v1/auth/oauth/%s/callback", o ? base + o : "", provider);
}

/*
 * Check the app's redirect_uri: a path on public_url ("/account", not "//x"),
 * or an absolute http(s) URL whose origin is public_url's or a listed CORS
 * origin. *out gets the absolute URL (NULL when uri is NULL). 0, or -1 with
 * err set (400).
 */
static int check_redirect(struct request *req, const char *uri, const char **out, struct app_error *err)
{
    *out = NULL;
    if (uri == NULL)
        return 0;
    for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '\\')
            goto refuse;
    const char *base = public_base(req);
    size_t base_o = origin_len(base);
    if (uri[0] == '/') {
        if (uri[1] == '/' || base_o == 0)
            goto refuse;
        *out = arena_sprintf(req->arena, "%.*s%s", (int)base_o, base, uri);
        return 0;
    }
    size_t o = origin_len(uri);
    if (o == 0)
        goto refuse;
    if (base_o > 0 && same_origin(uri, o, base, base_o)) {
        *out = uri;
        return 0;
    }
    const char *list = req->app->cfg->cors_origins ? req->app->cfg->cors_origins : "";
    while (*list) {
        while (*list == ' ' || *list == ',')
            list++;
        size_t n = strcspn(list, ",");
        size_t m = n;
        while (m > 0 && list[m - 1] == ' ')
            m--;
        if (m > 0 && !(m == 1 && list[0] == '*') && same_origin(uri, o, list, m)) {
            *out = uri;
            return 0;
        }
        list += n;
    }
refuse:
    app_error_add_field(err, req->arena, "redirect_uri", "not_allowed",
                        "must be a path or a URL on this site or an allowed origin");
    return app_error_set(err, req->arena, "invalid_parameter",
                         "parameter 'redirect_uri' is not an allowed return address");
}

/* True when the Cookie header holds name=value (compared in constant time). */
static bool cookie_matches(struct request *req, const char *name, const char *value)
{
    const char *h = req_header(req, "Cookie");
    size_t nlen = strlen(name), vlen = strlen(value);
    bool found = false;
    while (h != NULL && *h) {
        while (*h == ' ' || *h == ';')
            h++;
        size_t n = strcspn(h, ";");
        if (n == nlen + 1 + vlen && strncmp(h, name, nlen) == 0 && h[nlen] == '=' &&
            sodium_memcmp(h + nlen + 1, value, vlen) == 0)
            found = true;
        h += n;
    }
    return found;
}

static void set_state_cookie(struct request *req, const char *provider, const char *value, int max_age)
{
    res_header(req, "Set-Cookie",
               arena_sprintf(req->arena, "%s%s=%s; Path=%s; Max-Age=%d; HttpOnly; SameSite=Lax%s", COOKIE_PREFIX,
                             provider, value, cookie_path(req, provider), max_age,
                             req->app->cfg->cookie_secure ? "; Secure" : ""));
}

/* A provider-supplied error code reduced to [A-Za-z0-9_.-], at most 64 characters, for messages. */
static const char *safe_token(struct request *req, const char *s)
{
    s = s ? s : "";
    char *out = arena_strndup(req->arena, s, strnlen(s, 64));
    for (char *p = out; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            *p = '?';
    return out;
}

/*-----------------------------------------------------------------------------
 * GET /api/v1/auth/oauth/:provider
 */
int auth_handle_oauth_start(struct request *req, struct app_error *err)
{
    struct provider_cfg pc;
    const char *redirect;
    struct db_error dberr = {0};
    char state[RAND_B64 + 1], nonce[RAND_B64 + 1], verifier[RAND_B64 + 1], challenge[RAND_B64 + 1];
    unsigned char digest[crypto_hash_sha256_BYTES];

    if (provider_or_reply(req, &pc, err) < 0 ||
        check_redirect(req, req_param(req, "redirect_uri"), &redirect, err) != 0)
        return -1;
    random_b64(state);
    random_b64(nonce);
    random_b64(verifier);
    crypto_hash_sha256(digest, (const unsigned char *)verifier, RAND_B64);
    sodium_bin2base64(challenge, sizeof challenge, digest, sizeof digest, sodium_base64_VARIANT_URLSAFE_NO_PADDING);

    int64_t now = time_now_ms();
    /* Abandoned flows are swept here: cheap (indexed) and keeps the table small without a job. */
    struct db_param purge[] = {DB_I64(now)};
    if (db_exec(req->db, auth__oauth_sql(OAUTH_Q_STATE_PURGE), purge, 1, &dberr) < 0)
        return req_db_error(req, &dberr, err);
    struct db_param row[] = {
        DB_TEXT(state), DB_TEXT(pc.name),          DB_TEXT(nonce), DB_TEXT(verifier), DB_TEXT(redirect),
        DB_I64(now),    DB_I64(now + STATE_TTL_MS)};
    if (db_exec(req->db, auth__oauth_sql(OAUTH_Q_STATE_INSERT), row, 7, &dberr) < 0)
        return req_db_error(req, &dberr, err);

    struct strbuf q;
    strbuf_init(&q, req->arena, 512);
    form_field(&q, "response_type", "code");
    form_field(&q, "client_id", pc.client_id);
    form_field(&q, "redirect_uri", callback_url(req, pc.name));
    form_field(&q, "scope", "openid email profile");
    form_field(&q, "state", state);
    form_field(&q, "nonce", nonce);
    form_field(&q, "code_challenge", challenge);
    form_field(&q, "code_challenge_method", "S256");
    const char *sep = strchr(pc.auth_url, '?') ? "&" : "?";
    res_header(req, "Location", arena_sprintf(req->arena, "%s%s%s", pc.auth_url, sep, q.data));
    set_state_cookie(req, pc.name, state, STATE_TTL_MS / 1000);
    res_empty(req, 302);
    return 0;
}

/*-----------------------------------------------------------------------------
 * The code exchange (offloaded: blocks on the provider)
 */
static int oauth_fail(struct request *req, const char *provider, struct app_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Set oauth_failed with a client-safe message and log it; returns -1. */
static int oauth_fail(struct request *req, const char *provider, struct app_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = arena_vsprintf(req->arena, fmt, ap);
    va_end(ap);
    log_warn("oauth sign-in failed", "provider=%s request_id=%s: %s", provider, req->request_id, msg);
    return app_error_set(err, req->arena, "oauth_failed", "%s", msg);
}

/* POST the code to the token URL; *id_token gets the ID token (arena). 0, or -1 with err set. */
static int exchange_code(struct request *req, const struct provider_cfg *pc, const char *code, const char *verifier,
                         const char **id_token, struct app_error *err)
{
    int rc = -1;
    struct httpc_body b = {.max = TOKEN_MAX_BYTES};
    struct curl_slist *hdrs = NULL;
    json_t *doc = NULL;
    long status = 0;
    struct strbuf form;
    strbuf_init(&form, req->arena, 512);
    form_field(&form, "grant_type", "authorization_code");
    form_field(&form, "code", code);
    form_field(&form, "redirect_uri", callback_url(req, pc->name));
    form_field(&form, "client_id", pc->client_id);
    form_field(&form, "client_secret", pc->client_secret);
    form_field(&form, "code_verifier", verifier);

    CURL *h = curl_easy_init();
    if (h == NULL) {
        app_error_set(err, req->arena, "internal_error", "could not start an outbound request");
        goto out;
    }
    hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    curl_easy_setopt(h, CURLOPT_URL, pc->token_url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)form.len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "artistry-cart");
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        log_warn("oauth token request failed", "provider=%s url=%s: %s", pc->name, pc->token_url,
                 b.too_big ? "response too large" : curl_easy_strerror(cc));
        if (cc == CURLE_OPERATION_TIMEDOUT)
            app_error_set(err, req->arena, "upstream_timeout", "the %s sign-in service did not answer in time",
                          pc->name);
        else
            app_error_set(err, req->arena, "upstream_error", "the %s sign-in service could not be reached", pc->name);
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    json_error_t jerr;
    doc = b.data ? json_loadb(b.data, b.len, 0, &jerr) : NULL;
    if (status >= 400 && status < 500) {
        const char *e = json_string_value(json_object_get(doc, "error"));
        oauth_fail(req, pc->name, err, "%s refused the authorization code (%s)", pc->name,
                   e ? safe_token(req, e) : arena_sprintf(req->arena, "HTTP %ld", status));
        goto out;
    }
    if (status != 200 || !json_is_object(doc)) {
        log_warn("oauth token request failed", "provider=%s: HTTP %ld, %s", pc->name, status,
                 doc ? "unexpected JSON" : "not JSON");
        app_error_set(err, req->arena, "upstream_error", "the %s sign-in service gave an unusable answer", pc->name);
        goto out;
    }
    const char *tt = json_string_value(json_object_get(doc, "token_type"));
    const char *idt = json_string_value(json_object_get(doc, "id_token"));
    if (idt == NULL || (tt != NULL && strcasecmp(tt, "Bearer") != 0)) {
        oauth_fail(req, pc->name, err, "%s returned no ID token", pc->name);
        goto out;
    }
    *id_token = arena_strdup(req->arena, idt);
    rc = 0;
out:
    json_decref(doc);
    httpc_body_free(&b);
    curl_slist_free_all(hdrs);
    if (h != NULL)
        curl_easy_cleanup(h);
    return rc;
}

/*-----------------------------------------------------------------------------
 * GET /api/v1/auth/oauth/:provider/callback
 */
struct taken_state {
    const char *nonce, *verifier, *redirect;
};

/* Take (delete) the state row and check it; 0, or -1 with err set. */
static int take_state(struct request *req, const struct provider_cfg *pc, const char *state, struct taken_state *ts,
                      struct app_error *err)
{
    struct db_error dberr = {0};
    struct db_stmt *st = db_prepare(req->db, auth__oauth_sql(OAUTH_Q_STATE_TAKE), &dberr);
    if (st == NULL)
        return req_db_error(req, &dberr, err);
    db_bind(st, 1, DB_TEXT(state));
    int r = db_step(st, &dberr);
    if (r < 0)
        return req_db_error(req, &dberr, err);
    if (r == 0) {
        db_reset(st);
        return oauth_fail(req, pc->name, err, "this sign-in is unknown or was already completed; start again");
    }
    const char *provider = arena_strdup(req->arena, db_column_text(st, 0));
    ts->nonce = arena_strdup(req->arena, db_column_text(st, 1));
    ts->verifier = arena_strdup(req->arena, db_column_text(st, 2));
    ts->redirect = arena_strdup(req->arena, db_column_text(st, 3));
    int64_t expires_at = db_column_i64(st, 4);
    while ((r = db_step(st, &dberr)) == 1)
        ;
    db_reset(st);
    if (r < 0)
        return req_db_error(req, &dberr, err);
    if (strcmp(provider, pc->name) != 0) {
        ts->redirect = NULL; /* not this flow's: do not send the browser anywhere */
        return oauth_fail(req, pc->name, err, "this sign-in was started with another provider");
    }
    if (time_now_ms() > expires_at)
        return oauth_fail(req, pc->name, err, "this sign-in took too long; start again");
    return 0;
}

/* Everything after the cookie check. ts->redirect is set once the state is known. */
static int complete_flow(struct request *req, struct taken_state *ts, struct app_error *err)
{
    struct provider_cfg pc;
    int p = provider_or_reply(req, &pc, err);
    if (p < 0 || take_state(req, &pc, req_param(req, "state"), ts, err) != 0)
        return -1;

    /* RFC 9207: a provider that names itself must be the one this flow went to (mix-up attacks). */
    const char *iss = req_param(req, "iss");
    if (iss != NULL && strcmp(iss, pc.issuer) != 0)
        return oauth_fail(req, pc.name, err, "the answer names another issuer than %s", pc.name);

    const char *perr = req_param(req, "error");
    if (perr != NULL) {
        return oauth_fail(req, pc.name, err, "%s did not authorise the sign-in (%s)", pc.name, safe_token(req, perr));
    }
    const char *code = req_param(req, "code");
    if (empty(code))
        return oauth_fail(req, pc.name, err, "the provider's answer has no authorization code");

    const char *id_token = NULL;
    if (exchange_code(req, &pc, code, ts->verifier, &id_token, err) != 0)
        return -1;

    json_t *claims = NULL;
    const char *why = NULL;
    enum jwks_result vr = jwks_verify_rs256(jwks_caches[p], id_token, &claims, &why);
    if (vr == JWKS_UNAVAILABLE) {
        log_warn("oauth sign-in failed", "provider=%s: %s", pc.name, why);
        return app_error_set(err, req->arena, "upstream_error", "the %s signing keys could not be fetched", pc.name);
    }
    if (vr != JWKS_OK)
        return oauth_fail(req, pc.name, err, "the ID token could not be verified (%s)", why);
    struct identity id = {0};
    const char *bad = NULL;
    int rc = auth__oauth_claims(req->arena, claims, pc.issuer, pc.client_id, ts->nonce, time_now_ms() / 1000, &id,
                                &bad);
    json_decref(claims);
    if (rc != 0)
        return oauth_fail(req, pc.name, err, "%s", bad);

    struct link_ctx x = {.arena = req->arena, .provider = pc.name, .id = &id, .now = time_now_ms()};
    struct db_error dberr = {0};
    if (db_tx(req->db, 3, auth__oauth_link_tx, &x, &dberr) != 0)
        return req_db_error(req, &dberr, err);
    switch (x.outcome) {
    case LINK_OK:
        break;
    case LINK_SUSPENDED:
        return app_error_set(err, req->arena, "account_suspended", "this account is suspended");
    case LINK_CLOSED:
        return oauth_fail(req, pc.name, err, "this account has been closed");
    case LINK_NO_VERIFIED_EMAIL:
        return oauth_fail(req, pc.name, err,
                          "%s did not confirm an email address for this account, so it cannot be used to sign up",
                          pc.name);
    case LINK_LOCAL_UNVERIFIED:
        return app_error_set(err, req->arena, "conflict",
                             "an account with this email exists but its address is not verified; sign in with "
                             "your password (or reset it) and verify the address first");
    }

    if (auth_respond_with_session(req, x.user_id, 200, err) != 0)
        return -1;
    if (ts->redirect != NULL) {
        /* Browser flow: keep the session's Set-Cookie, drop the body (no tokens in or beside the URL). */
        req->status = 302;
        req->res_body = NULL;
        req->res_len = 0;
        req->content_type = NULL;
        res_header(req, "Location", ts->redirect);
    }
    return 0;
}

/* redirect with error=<code> appended to its query (before any fragment). */
static const char *with_error(struct request *req, const char *redirect, const char *code)
{
    size_t frag = strcspn(redirect, "#");
    const char *q = memchr(redirect, '?', frag);
    return arena_sprintf(req->arena, "%.*s%serror=%s%s", (int)frag, redirect, q ? "&" : "?", code, redirect + frag);
}

/* Offloaded: runs on the slow-work pool with its own req->db. */
static int oauth_finish(struct request *req, struct app_error *err)
{
    struct taken_state ts = {0};
    if (complete_flow(req, &ts, err) == 0)
        return 0;
    if (ts.redirect == NULL)
        return -1;
    log_info("oauth sign-in failed; back to the app", "request_id=%s code=%s: %s", req->request_id,
             err->code ? err->code : "", err->msg ? err->msg : "");
    res_header(req, "Location", with_error(req, ts.redirect, err->code ? err->code : "internal_error"));
    res_empty(req, 302);
    return 0;
}

int auth_handle_oauth_callback(struct request *req, struct app_error *err)
{
    struct provider_cfg pc;
    if (provider_or_reply(req, &pc, err) < 0)
        return -1;
    const char *state = req_param(req, "state");
    if (!is_b64url(state, RAND_B64))
        return oauth_fail(req, pc.name, err, "the provider's answer has no valid state");
    const char *cookie = arena_sprintf(req->arena, COOKIE_PREFIX "%s", pc.name);
    if (!cookie_matches(req, cookie, state))
        return oauth_fail(req, pc.name, err,
                          "this sign-in was not started in this browser (state cookie missing "
                          "or different); start again");
    set_state_cookie(req, pc.name, "", 0);
    return req_offload(req, oauth_finish, err);
}

/*-----------------------------------------------------------------------------
 * Start-up
 */
int auth__oauth_init(struct app *app)
{
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("oauth: could not initialise libsodium or libcurl", NULL);
        return -1;
    }
    for (int p = 0; p < PROV__COUNT; p++) {
        struct provider_cfg pc = provider_cfg(app->cfg, p);
        if (empty(pc.client_id))
            continue;
        if (empty(pc.client_secret) || empty(pc.auth_url) || empty(pc.token_url) || empty(pc.jwks_url) ||
            empty(pc.issuer)) {
            log_error("oauth: provider misconfigured",
                      "oauth_%s_client_id is set, so oauth_%s_client_secret, _auth_url, _token_url, _jwks_url and "
                      "_issuer are required",
                      pc.name, pc.name);
            return -1;
        }
        if (jwks_caches[p] == NULL)
            jwks_caches[p] = jwks_new(pc.jwks_url);
    }
    return 0;
}

void auth__oauth_fini(struct app *app)
{
    (void)app;
    for (int p = 0; p < PROV__COUNT; p++) {
        jwks_free(jwks_caches[p]);
        jwks_caches[p] = NULL;
    }
}
