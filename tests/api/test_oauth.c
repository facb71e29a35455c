/*
 * test_oauth.c — API tests for OAuth 2.0 / OpenID Connect sign-in.
 *
 * Each test starts the fake provider (fake_oidc.h) and a server whose
 * "google" provider points at it, then walks the flow as a browser would,
 * without following redirects: GET our start endpoint (302 + state cookie),
 * GET the fake's /authorize (302 back with code and state), GET our
 * callback with the cookie. The fake enforces PKCE and signs real RS256 ID
 * tokens; the negative tests bend one thing at a time.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_client.h"
#include "api/fake_oidc.h"

TestSuite(oauth, .fini = api_cleanup_all, .timeout = 120);

#define CLIENT_ID "artistry-test-client"
#define CLIENT_SECRET "test-client-secret"
#define START "/api/v1/auth/oauth/google"

/*-----------------------------------------------------------------------------
 * Set-up
 */
static char argbuf[8][300];
static const char *args[24];

static struct api_server *start_server(struct fake_oidc *f)
{
    const char *u = fake_oidc_url(f);
    snprintf(argbuf[0], sizeof argbuf[0], "--oauth-google-auth-url=%s/authorize", u);
    snprintf(argbuf[1], sizeof argbuf[1], "--oauth-google-token-url=%s/token", u);
    snprintf(argbuf[2], sizeof argbuf[2], "--oauth-google-jwks-url=%s/jwks", u);
    snprintf(argbuf[3], sizeof argbuf[3], "--oauth-google-issuer=%s", u);
    int n = 0;
    args[n++] = "--oauth-google-client-id=" CLIENT_ID;
    args[n++] = "--oauth-google-client-secret=" CLIENT_SECRET;
    for (int i = 0; i < 4; i++)
        args[n++] = argbuf[i];
    args[n++] = "--cors-origins=http://app.example";
    args[n++] = "--public-url=http://127.0.0.1:8080";
    args[n++] = "--rate-limits=false";
    args[n++] = "--cookie-secure=false";
    args[n] = NULL;
    static struct api_opts opts;
    opts.args = args;
    return api_start(&opts);
}

struct env {
    struct fake_oidc *f;
    struct api_server *s;
};

static struct env setup(void)
{
    struct env e;
    e.f = fake_oidc_start(CLIENT_ID, CLIENT_SECRET);
    e.s = start_server(e.f);
    return e;
}

static void teardown(struct env *e)
{
    api_stop(e->s);
    fake_oidc_stop(e->f);
}

static void verified(struct fake_oidc *f, const char *sub, const char *email)
{
    struct fake_oidc_token t = {.sub = sub, .email = email, .email_verified = 1, .name = "Test Person"};
    fake_oidc_set(f, &t);
}

/*-----------------------------------------------------------------------------
 * The browser's part
 */
struct flow {
    char location[4096]; /* our start's redirect to the provider */
    char state[128];
    char cookie[256];    /* "artistry_oauth_google=<state>" */
    char callback[4096]; /* path + query of our callback, from the provider's redirect */
};

/* Value of query parameter name in url (not decoded), or "" */
static void query_value(const char *url, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    const char *q = strchr(url, '?');
    while (q != NULL) {
        q++;
        if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
            size_t n = strcspn(q + nl + 1, "&#");
            snprintf(out, cap, "%.*s", (int)n, q + nl + 1);
            return;
        }
        q = strchr(q, '&');
    }
}

static const char *header_with(const struct api_response *r, const char *name, const char *needle)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0 && strstr(r->headers[i].value, needle))
            return r->headers[i].value;
    return NULL;
}

/* GET our start endpoint: expects 302 to the provider and the state cookie. */
static void begin(struct api_server *s, const char *query, struct flow *fl)
{
    char path[2048];
    snprintf(path, sizeof path, START "%s", query ? query : "");
    struct api_response *r = api_get(s, path);
    cr_assert_eq(r->status, 302, "start answered %ld: %s", r->status, r->body);
    const char *loc = api_header(r, "Location");
    cr_assert(loc != NULL);
    snprintf(fl->location, sizeof fl->location, "%s", loc);
    query_value(loc, "state", fl->state, sizeof fl->state);
    const char *sc = header_with(r, "Set-Cookie", "artistry_oauth_google=");
    cr_assert(sc != NULL, "no state cookie");
    snprintf(fl->cookie, sizeof fl->cookie, "%.*s", (int)strcspn(sc, ";"), sc);
    api_response_free(r);
}

/* The provider's part: GET its /authorize, keep the path of the redirect back to us. */
static void authorize(struct flow *fl)
{
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, fl->location);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    cr_assert_eq(curl_easy_perform(h), CURLE_OK);
    long status = 0;
    char *redirect = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &redirect);
    cr_assert_eq(status, 302, "/authorize answered %ld", status);
    cr_assert(redirect != NULL);
    const char *p = strstr(redirect, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    cr_assert(p != NULL && strncmp(p, "/api/v1/auth/oauth/google/callback?", 35) == 0, "redirect back is %s", redirect);
    snprintf(fl->callback, sizeof fl->callback, "%s", p);
    curl_easy_cleanup(h);
    fclose(sink);
}

static struct api_response *callback_with(struct api_server *s, const char *path, const char *cookie)
{
    char hdr[300];
    snprintf(hdr, sizeof hdr, "Cookie: %s", cookie ? cookie : "");
    const char *headers[] = {hdr, NULL};
    return api_request(s, "GET", path, cookie ? headers : NULL, NULL, 0);
}

static struct api_response *sign_in_q(struct api_server *s, const char *query)
{
    struct flow fl;
    begin(s, query, &fl);
    authorize(&fl);
    return callback_with(s, fl.callback, fl.cookie);
}

static struct api_response *sign_in(struct api_server *s)
{
    return sign_in_q(s, NULL);
}

static const char *user_id_of(const struct api_response *r)
{
    cr_assert_eq(r->status, 200, "sign-in answered %ld: %s", r->status, r->body);
    cr_assert(r->json != NULL);
    const char *id = json_string_value(json_object_get(json_object_get(r->json, "user"), "id"));
    cr_assert(id != NULL, "no user.id in %s", r->body);
    return id;
}

static int count(struct api_server *s, const char *sql)
{
    char buf[32];
    cr_assert_eq(api_sql_text(s, sql, NULL, 0, buf, sizeof buf), 1);
    return atoi(buf);
}

static void assert_refused(struct api_response *r, const char *needle)
{
    api_assert_problem(r, 401, "oauth_failed");
    const char *detail = json_string_value(json_object_get(r->json, "detail"));
    if (needle != NULL)
        cr_assert(detail && strstr(detail, needle), "detail \"%s\" lacks \"%s\"", detail ? detail : "", needle);
}

/* A sign-in whose ID token is bent by t is refused and creates nobody. */
static void refused_with(const struct fake_oidc_token *t, const char *needle)
{
    struct env e = setup();
    fake_oidc_set(e.f, t);
    struct api_response *r = sign_in(e.s);
    assert_refused(r, needle);
    cr_assert_eq(count(e.s, "SELECT count(*) FROM users"), 0);
    cr_assert_eq(count(e.s, "SELECT count(*) FROM oauth_states"), 0, "the state must be consumed");
    api_response_free(r);
    teardown(&e);
}

/*-----------------------------------------------------------------------------
 * Success
 */
Test(oauth, start_redirects_with_pkce_and_binds_the_browser)
{
    struct env e = setup();
    struct flow fl;
    begin(e.s, NULL, &fl);
    char v[512];
    cr_assert(strncmp(fl.location, fake_oidc_url(e.f), strlen(fake_oidc_url(e.f))) == 0);
    query_value(fl.location, "response_type", v, sizeof v);
    cr_assert_str_eq(v, "code");
    query_value(fl.location, "client_id", v, sizeof v);
    cr_assert_str_eq(v, CLIENT_ID);
    query_value(fl.location, "redirect_uri", v, sizeof v);
    cr_assert_str_eq(v, "http%3A%2F%2F127.0.0.1%3A8080%2Fapi%2Fv1%2Fauth%2Foauth%2Fgoogle%2Fcallback");
    query_value(fl.location, "scope", v, sizeof v);
    cr_assert_str_eq(v, "openid%20email%20profile");
    query_value(fl.location, "code_challenge_method", v, sizeof v);
    cr_assert_str_eq(v, "S256");
    query_value(fl.location, "code_challenge", v, sizeof v);
    cr_assert_eq(strlen(v), 43);
    query_value(fl.location, "nonce", v, sizeof v);
    cr_assert_eq(strlen(v), 43);
    cr_assert_eq(strlen(fl.state), 43, "state is 256 bits, base64url");

    /* The verifier stays on the server. */
    char verifier[128];
    const char *params[] = {fl.state};
    cr_assert_eq(api_sql_text(e.s, "SELECT pkce_verifier FROM oauth_states WHERE state = $1", params, 1, verifier,
                              sizeof verifier),
                 1);
    cr_assert(strlen(verifier) >= 43 && strstr(fl.location, verifier) == NULL);

    /* The cookie binding the browser to the state. */
    struct api_response *r = api_get(e.s, START);
    const char *sc = header_with(r, "Set-Cookie", "artistry_oauth_google=");
    cr_assert(sc && strcasestr(sc, "HttpOnly") && strcasestr(sc, "SameSite=Lax") && strstr(sc, "Max-Age=600") &&
                  strstr(sc, "Path=/api/v1/auth/oauth/google/callback"),
              "state cookie is %s", sc ? sc : "(none)");
    api_response_free(r);
    teardown(&e);
}

Test(oauth, happy_path_creates_a_verified_buyer_whose_tokens_work)
{
    struct env e = setup();
    verified(e.f, "g-100", "New.Person@Example.com");
    struct api_response *r = sign_in(e.s);
    const char *uid = user_id_of(r);
    const char *access = json_string_value(json_object_get(r->json, "access_token"));
    cr_assert(access != NULL && json_string_value(json_object_get(r->json, "refresh_token")) != NULL);

    const char *p[] = {uid};
    char buf[256];
    cr_assert_eq(api_sql_text(e.s, "SELECT email_normalized FROM users WHERE id = $1", p, 1, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, "new.person@example.com");
    cr_assert_eq(api_sql_text(e.s,
                              "SELECT role || '/' || status || '/' || (CASE WHEN password_hash IS NULL THEN 'nopw' "
                              "ELSE 'pw' END) || '/' || (CASE WHEN email_verified_at IS NULL THEN 'unverified' ELSE "
                              "'verified' END) || '/' || display_name FROM users WHERE id = $1",
                              p, 1, buf, sizeof buf),
                 1);
    cr_assert_str_eq(buf, "buyer/active/nopw/verified/Test Person");
    cr_assert_eq(api_sql_text(e.s, "SELECT provider || ':' || subject FROM oauth_identities WHERE user_id = $1", p, 1,
                              buf, sizeof buf),
                 1);
    cr_assert_str_eq(buf, "google:g-100");
    cr_assert_eq(count(e.s, "SELECT count(*) FROM oauth_states"), 0, "the state is single use");

    char authz[2100];
    snprintf(authz, sizeof authz, "Authorization: Bearer %s", access);
    const char *h[] = {authz, NULL};
    struct api_response *out = api_post_json(e.s, "/api/v1/auth/logout", "{}", h);
    cr_assert_eq(out->status, 204, "logout with the OAuth session answered %ld: %s", out->status, out->body);
    api_response_free(out);
    api_response_free(r);
    teardown(&e);
}

Test(oauth, same_identity_signs_in_the_same_user_and_keys_are_cached)
{
    struct env e = setup();
    verified(e.f, "g-200", "again@example.com");
    struct api_response *a = sign_in(e.s);
    struct api_response *b = sign_in(e.s);
    cr_assert_str_eq(user_id_of(a), user_id_of(b));
    cr_assert_eq(count(e.s, "SELECT count(*) FROM users"), 1);
    cr_assert_eq(count(e.s, "SELECT count(*) FROM oauth_identities"), 1);
    cr_assert_eq(fake_oidc_jwks_calls(e.f), 1, "the key set is fetched once and cached");

    /* The identity is what counts: a changed (even unverified) email still signs in the same user. */
    struct fake_oidc_token t = {.sub = "g-200", .email = "changed@example.com", .email_verified = -1};
    fake_oidc_set(e.f, &t);
    struct api_response *c = sign_in(e.s);
    cr_assert_str_eq(user_id_of(c), user_id_of(a));
    api_response_free(a);
    api_response_free(b);
    api_response_free(c);
    teardown(&e);
}

static void insert_password_user(struct api_server *s, const char *id, const char *email, bool verified_email)
{
    const char *p[] = {id, email};
    cr_assert_eq(api_sql_exec(s,
                              verified_email
                                  ? "INSERT INTO users (id, email, email_normalized, password_hash, display_name, "
                                    "email_verified_at, created_at, updated_at) VALUES ($1, $2, $2, "
                                    "'$argon2id$v=19$m=65536,t=2,p=1$x$y', 'Existing', 1, 1, 1)"
                                  : "INSERT INTO users (id, email, email_normalized, password_hash, display_name, "
                                    "created_at, updated_at) VALUES ($1, $2, $2, "
                                    "'$argon2id$v=19$m=65536,t=2,p=1$x$y', 'Existing', 1, 1)",
                              p, 2),
                 0);
}

Test(oauth, verified_email_links_to_existing_password_user)
{
    struct env e = setup();
    insert_password_user(e.s, "usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", "owner@example.com", true);
    verified(e.f, "g-300", "Owner@Example.com");
    struct api_response *r = sign_in(e.s);
    cr_assert_str_eq(user_id_of(r), "usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R");
    cr_assert_eq(count(e.s, "SELECT count(*) FROM users"), 1);
    char buf[64];
    cr_assert_eq(
        api_sql_text(e.s, "SELECT user_id FROM oauth_identities WHERE subject = 'g-300'", NULL, 0, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, "usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R");
    api_response_free(r);
    teardown(&e);
}

Test(oauth, apple_style_string_true_counts_as_verified)
{
    struct env e = setup();
    struct fake_oidc_token t = {.sub = "a-1", .email = "apple@example.com", .email_verified = 2};
    fake_oidc_set(e.f, &t);
    struct api_response *r = sign_in(e.s);
    user_id_of(r);
    api_response_free(r);
    teardown(&e);
}

/*-----------------------------------------------------------------------------
 * Linking rules
 */
Test(oauth, unverified_provider_email_neither_links_nor_creates)
{
    struct env e = setup();
    insert_password_user(e.s, "usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7S", "victim@example.com", true);
    struct fake_oidc_token t = {.sub = "g-400", .email = "victim@example.com", .email_verified = -1};
    fake_oidc_set(e.f, &t);
    struct api_response *r = sign_in(e.s);
    assert_refused(r, "did not confirm an email");
    api_response_free(r);

    struct fake_oidc_token t2 = {.sub = "g-401", .email = "nobody@example.com"}; /* claim absent */
    fake_oidc_set(e.f, &t2);
    r = sign_in(e.s);
    assert_refused(r, "did not confirm an email");
    cr_assert_eq(count(e.s, "SELECT count(*) FROM users"), 1);
    cr_assert_eq(count(e.s, "SELECT count(*) FROM oauth_identities"), 0);
    api_response_free(r);
    teardown(&e);
}

Test(oauth, account_with_unverified_local_email_is_not_linked)
{
    struct env e = setup();
    insert_password_user(e.s, "usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7T", "squat@example.com", false);
    verified(e.f, "g-500", "squat@example.com");
    struct api_response *r = sign_in(e.s);
    api_assert_problem(r, 409, "conflict");
    cr_assert_eq(count(e.s, "SELECT count(*) FROM oauth_identities"), 0);
    api_response_free(r);
    teardown(&e);
}

Test(oauth, suspended_user_is_refused)
{
    struct env e = setup();
    verified(e.f, "g-600", "later-suspended@example.com");
    struct api_response *r = sign_in(e.s);
    const char *p[] = {user_id_of(r)};
    cr_assert_eq(api_sql_exec(e.s, "UPDATE users SET status = 'suspended' WHERE id = $1", p, 1), 0);
    struct api_response *again = sign_in(e.s);
    api_assert_problem(again, 403, "account_suspended");
    api_response_free(again);
    api_response_free(r);
    teardown(&e);
}

/*-----------------------------------------------------------------------------
 * State and browser binding
 */
Test(oauth, unknown_state_is_refused)
{
    struct env e = setup();
    const char *state = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    char path[256], cookie[128];
    snprintf(path, sizeof path, START "/callback?code=x&state=%s", state);
    snprintf(cookie, sizeof cookie, "artistry_oauth_google=%s", state);
    struct api_response *r = callback_with(e.s, path, cookie);
    assert_refused(r, "unknown or was already completed");
    api_response_free(r);
    r = callback_with(e.s, START "/callback?code=x&state=short", "artistry_oauth_google=short");
    assert_refused(r, "no valid state");
    api_response_free(r);
    r = callback_with(e.s, START "/callback?code=x", NULL);
    assert_refused(r, "no valid state");
    api_response_free(r);
    cr_assert_eq(fake_oidc_token_calls(e.f), 0);
    teardown(&e);
}

Test(oauth, state_is_single_use)
{
    struct env e = setup();
    verified(e.f, "g-700", "once@example.com");
    struct flow fl;
    begin(e.s, NULL, &fl);
    authorize(&fl);
    struct api_response *r = callback_with(e.s, fl.callback, fl.cookie);
    user_id_of(r);
    api_response_free(r);
    int calls = fake_oidc_token_calls(e.f);
    r = callback_with(e.s, fl.callback, fl.cookie);
    assert_refused(r, "already completed");
    cr_assert_eq(fake_oidc_token_calls(e.f), calls, "a replayed state never reaches the token endpoint");
    api_response_free(r);
    teardown(&e);
}

Test(oauth, expired_state_is_refused)
{
    struct env e = setup();
    verified(e.f, "g-800", "slow@example.com");
    struct flow fl;
    begin(e.s, NULL, &fl);
    authorize(&fl);
    const char *p[] = {fl.state};
    cr_assert_eq(api_sql_exec(e.s, "UPDATE oauth_states SET expires_at = 1 WHERE state = $1", p, 1), 0);
    struct api_response *r = callback_with(e.s, fl.callback, fl.cookie);
    assert_refused(r, "took too long");
    cr_assert_eq(count(e.s, "SELECT count(*) FROM oauth_states"), 0);
    cr_assert_eq(fake_oidc_token_calls(e.f), 0);
    api_response_free(r);
    teardown(&e);
}

Test(oauth, callback_without_the_browser_cookie_is_refused)
{
    struct env e = setup();
    verified(e.f, "g-900", "csrf@example.com");
    struct flow fl;
    begin(e.s, NULL, &fl);
    authorize(&fl);
    struct api_response *r = callback_with(e.s, fl.callback, NULL);
    assert_refused(r, "not started in this browser");
    api_response_free(r);
    r = callback_with(e.s, fl.callback, "artistry_oauth_google=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
    assert_refused(r, "not started in this browser");
    api_response_free(r);
    cr_assert_eq(fake_oidc_token_calls(e.f), 0);
    /* The flow's own browser can still finish it. */
    r = callback_with(e.s, fl.callback, fl.cookie);
    user_id_of(r);
    const char *clear = header_with(r, "Set-Cookie", "artistry_oauth_google=;");
    cr_assert(clear && strstr(clear, "Max-Age=0"), "the state cookie is cleared");
    api_response_free(r);
    teardown(&e);
}

/*-----------------------------------------------------------------------------
 * ID token checks
 */
Test(oauth, wrong_nonce_is_refused)
{
    struct fake_oidc_token t = {.sub = "x", .email = "x@example.com", .email_verified = 1, .nonce = "other-nonce"};
    refused_with(&t, "nonce");
}

Test(oauth, wrong_issuer_is_refused)
{
    struct fake_oidc_token t = {
        .sub = "x", .email = "x@example.com", .email_verified = 1, .iss = "https://evil.example"};
    refused_with(&t, "issuer");
}

Test(oauth, wrong_audience_is_refused)
{
    struct fake_oidc_token t = {.sub = "x", .email = "x@example.com", .email_verified = 1, .aud = "another-client"};
    refused_with(&t, "another client");
}

Test(oauth, expired_id_token_is_refused)
{
    struct fake_oidc_token t = {.sub = "x", .email = "x@example.com", .email_verified = 1, .exp_offset = -3600};
    refused_with(&t, "expired");
}

Test(oauth, tampered_signature_is_refused)
{
    struct fake_oidc_token t = {.sub = "x", .email = "x@example.com", .email_verified = 1, .tamper = true};
    refused_with(&t, "bad signature");
}

Test(oauth, alg_none_is_refused)
{
    struct fake_oidc_token t = {.sub = "x", .email = "x@example.com", .email_verified = 1, .alg = "none"};
    refused_with(&t, "not RS256");
}

Test(oauth, hs256_signed_with_the_public_key_is_refused)
{
    struct fake_oidc_token t = {.sub = "x", .email = "x@example.com", .email_verified = 1, .alg = "HS256"};
    refused_with(&t, "not RS256");
}

Test(oauth, unknown_kid_is_refused_and_refetch_is_rate_limited)
{
    struct env e = setup();
    verified(e.f, "g-kid", "kid@example.com");
    struct api_response *r = sign_in(e.s); /* fetches the set once */
    user_id_of(r);
    api_response_free(r);
    struct fake_oidc_token t = {.sub = "g-kid", .email = "kid@example.com", .email_verified = 1, .kid = "rotated"};
    fake_oidc_set(e.f, &t);
    r = sign_in(e.s);
    assert_refused(r, "no key with this kid");
    api_response_free(r);
    r = sign_in(e.s);
    assert_refused(r, "no key with this kid");
    api_response_free(r);
    cr_assert_eq(fake_oidc_jwks_calls(e.f), 1, "an unknown kid refetches at most once a minute");
    teardown(&e);
}

/*-----------------------------------------------------------------------------
 * Provider errors
 */
Test(oauth, token_endpoint_error_is_a_clear_problem)
{
    struct fake_oidc_token t = {.sub = "x", .email = "x@example.com", .email_verified = 1, .token_error = true};
    refused_with(&t, "invalid_grant");
}

Test(oauth, provider_refusal_is_a_clear_problem)
{
    struct fake_oidc_token t = {.refuse_authorize = true};
    refused_with(&t, "access_denied");
}

Test(oauth, unknown_and_unconfigured_providers_are_404)
{
    struct env e = setup();
    struct api_response *r = api_get(e.s, "/api/v1/auth/oauth/myspace");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_get(e.s, "/api/v1/auth/oauth/myspace/callback?code=x&state=y");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_get(e.s, "/api/v1/auth/oauth/apple");
    api_assert_problem(r, 404, "not_found");
    cr_assert(strstr(r->body, "not configured"), "%s", r->body);
    api_response_free(r);
    r = api_get(e.s, "/api/v1/auth/oauth/facebook/callback?code=x&state=y");
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    teardown(&e);
}

Test(oauth, half_configured_provider_stops_start_up)
{
    struct api_cmd res;
    const char *cmd[] = {"serve", "--oauth-apple-client-id=abc", "--listen=127.0.0.1:0", NULL};
    char dir[] = "/tmp/oauth-halfXXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    char env_db[300], env_dd[300];
    snprintf(env_db, sizeof env_db, "ARTISTRY_DATABASE_URL=%s/db.sqlite", dir);
    snprintf(env_dd, sizeof env_dd, "ARTISTRY_DATA_DIR=%s", dir);
    const char *env[] = {env_db, env_dd, NULL};
    api_run(cmd, env, 15000, &res);
    cr_assert_neq(res.status, 0, "serve started with a half-configured provider");
    cr_assert(strstr(res.err, "oauth_apple") || strstr(res.out, "oauth_apple"), "stderr: %s", res.err);
    api_cmd_free(&res);
    char rm[400];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    cr_assert_eq(system(rm), 0);
}

/*-----------------------------------------------------------------------------
 * Browser return address
 */
Test(oauth, redirect_uri_must_be_ours_or_allowed)
{
    struct env e = setup();
    const char *bad[] = {"?redirect_uri=https://evil.example/x", "?redirect_uri=//evil.example/x",
                         "?redirect_uri=javascript:alert(1)", "?redirect_uri=http://app.example@evil.example/",
                         "?redirect_uri=http://127.0.0.1:8080.evil.example/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, START "%s", bad[i]);
        struct api_response *r = api_get(e.s, path);
        api_assert_problem(r, 400, "invalid_parameter");
        api_response_free(r);
    }
    cr_assert_eq(count(e.s, "SELECT count(*) FROM oauth_states"), 0);
    teardown(&e);
}

Test(oauth, browser_flow_returns_to_the_app_with_the_cookie_and_no_tokens)
{
    struct env e = setup();
    verified(e.f, "g-br", "browser@example.com");
    struct api_response *r = sign_in_q(e.s, "?redirect_uri=http%3A%2F%2Fapp.example%2Fwelcome%3Fx%3D1");
    cr_assert_eq(r->status, 302, "answered %ld: %s", r->status, r->body);
    const char *loc = api_header(r, "Location");
    cr_assert(loc && strcmp(loc, "http://app.example/welcome?x=1") == 0, "Location %s", loc ? loc : "(none)");
    cr_assert_eq(r->body_len, 0, "no body (no tokens) on the redirect: %s", r->body);
    cr_assert(strstr(loc, "token") == NULL);
    cr_assert(header_with(r, "Set-Cookie", "artistry_refresh=") != NULL, "the refresh cookie is set");
    cr_assert_eq(count(e.s, "SELECT count(*) FROM auth_sessions"), 1, "a session was started");
    api_response_free(r);

    /* A path on our own site, and an error going back to the app. */
    fake_oidc_set(e.f, &(struct fake_oidc_token){.refuse_authorize = true});
    r = sign_in_q(e.s, "?redirect_uri=/account%23top");
    cr_assert_eq(r->status, 302, "answered %ld: %s", r->status, r->body);
    loc = api_header(r, "Location");
    cr_assert(loc && strcmp(loc, "http://127.0.0.1:8080/account?error=oauth_failed#top") == 0, "Location %s",
              loc ? loc : "(none)");
    api_response_free(r);
    teardown(&e);
}

Test(oauth, callback_iss_parameter_must_name_the_provider)
{
    struct env e = setup();
    verified(e.f, "g-iss", "iss@example.com");
    struct flow fl;
    begin(e.s, NULL, &fl);
    authorize(&fl);
    char path[4200];
    snprintf(path, sizeof path, "%s&iss=https%%3A%%2F%%2Fevil.example", fl.callback);
    struct api_response *r = callback_with(e.s, path, fl.cookie);
    assert_refused(r, "another issuer");
    cr_assert_eq(fake_oidc_token_calls(e.f), 0, "refused before the code is spent");
    api_response_free(r);

    begin(e.s, NULL, &fl);
    authorize(&fl);
    snprintf(path, sizeof path, "%s&iss=%s", fl.callback, fake_oidc_url(e.f));
    r = callback_with(e.s, path, fl.cookie);
    user_id_of(r);
    api_response_free(r);
    teardown(&e);
}
