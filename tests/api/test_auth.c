/*
 * test_auth.c — API tests for register, login, logout, refresh and the
 * bearer authenticator (src/services/auth, core area).
 *
 * Every test starts its own server on a fresh database. The per-IP rate
 * limiter is switched off (ARTISTRY_RATE_LIMITS=false) so these tests see the
 * account throttle alone; its thresholds are shrunk through the hidden
 * ARTISTRY_AUTH_* variables (README.md in the service).
 *
 * Caveats: the "other address" tests connect from 127.0.0.2.. to the server
 * on 127.0.0.1, which Linux allows on the loopback interface.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "api/api_client.h"

TestSuite(auth, .fini = api_cleanup_all, .timeout = 120);

#define PW "Velvet-otter-paints-42"
#define KEY1 "k1:0123456789abcdef0123456789abcdef-one"
#define KEY2 "k2:fedcba9876543210fedcba9876543210-two"

static const char *const base_env[] = {"ARTISTRY_RATE_LIMITS=false", NULL};

/*-----------------------------------------------------------------------------
 * Helpers
 */

static struct api_server *start(void)
{
    static struct api_opts o = {.env = base_env};
    return api_start(&o);
}

static struct api_response *post(struct api_server *s, const char *path, const char *json, const char *bearer)
{
    char *h = NULL;
    if (bearer != NULL)
        cr_assert(asprintf(&h, "Authorization: Bearer %s", bearer) > 0);
    const char *hdrs[] = {h, NULL};
    struct api_response *r = api_post_json(s, path, json, bearer ? hdrs : NULL);
    free(h);
    return r;
}

static const char *jstr(const struct api_response *r, const char *key)
{
    return r->json ? json_string_value(json_object_get(r->json, key)) : NULL;
}

/* Register email/PW and return the response (201 asserted). */
static struct api_response *register_user(struct api_server *s, const char *email, const char *name)
{
    char body[512];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"" PW "\",\"display_name\":\"%s\"}", email, name);
    struct api_response *r = post(s, "/api/v1/auth/register", body, NULL);
    cr_assert_eq(r->status, 201, "register %s: %ld %s", email, r->status, r->body);
    return r;
}

static struct api_response *login(struct api_server *s, const char *email, const char *password)
{
    char body[512];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    return post(s, "/api/v1/auth/login", body, NULL);
}

/* Copy of the access token of a session response. */
static char *access_of(const struct api_response *r)
{
    const char *t = jstr(r, "access_token");
    cr_assert(t != NULL, "no access_token in %s", r->body);
    return strdup(t);
}

static char *refresh_of(const struct api_response *r)
{
    const char *t = jstr(r, "refresh_token");
    cr_assert(t != NULL, "no refresh_token in %s", r->body);
    return strdup(t);
}

/* Status of an authenticated request with this access token, through the guard only. */
static long probe(struct api_server *s, const char *access)
{
    /* A route guarded by AUTH_USER whose handler never runs: the body has an undeclared field,
     * which the validator (after the guard) refuses with 422. */
    char *h = NULL;
    cr_assert(asprintf(&h, "Authorization: Bearer %s", access) > 0);
    const char *hdrs[] = {h, NULL};
    struct api_response *r = api_post_json(s, "/api/v1/auth/verify-email/resend", "{\"no_such_field\":1}", hdrs);
    free(h);
    long st = r->status;
    api_response_free(r);
    return st;
}

static bool authed(long status)
{
    /* Past the guard: whatever the handler or validator says, it is not 401/403. */
    return status != 401 && status != 403 && status != 0;
}

static double ms_since(const struct timeval *t0)
{
    struct timeval t1;
    gettimeofday(&t1, NULL);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_usec - t0->tv_usec) / 1e3;
}

/* POST JSON from a given loopback source address over a fresh socket; returns the status, body in *body. */
static int post_from(struct api_server *s, const char *src_ip, const char *path, const char *json, char **body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, src_ip, &src.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&src, sizeof src), 0, "bind %s", src_ip);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&dst, sizeof dst), 0);
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     path, strlen(json), json);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    ssize_t k;
    while ((k = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)k;
    buf[len] = '\0';
    close(fd);
    int status = api_raw_status(buf);
    if (body)
        *body = buf;
    else
        free(buf);
    return status;
}

static int login_from(struct api_server *s, const char *ip, const char *email, const char *password)
{
    char body[512];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    return post_from(s, ip, "/api/v1/auth/login", body, NULL);
}

static int count_rows(struct api_server *s, const char *sql, const char *param)
{
    char buf[64];
    const char *p[] = {param};
    cr_assert(api_sql_text(s, sql, p, param ? 1 : 0, buf, sizeof buf) == 1, "query failed: %s", sql);
    return atoi(buf);
}

/* Base64url without padding, for hand-made tokens. */
static void b64url(const void *data, size_t len, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/*-----------------------------------------------------------------------------
 * Register
 */

Test(auth, register_success)
{
    struct api_server *s = start();
    const char *name = "Ada <script>alert(1)</script> & O'Brien \\\"; DROP TABLE users; --";
    char body[512];
    snprintf(body, sizeof body,
             "{\"email\":\"Ada.Lovelace@Example.COM\",\"password\":\"" PW "\",\"display_name\":\"%s\"}",
             "Ada <script>alert(1)</script> & O'Brien \\\\\\\"; DROP TABLE users; --");
    struct api_response *r = post(s, "/api/v1/auth/register", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    json_t *u = json_object_get(r->json, "user");
    cr_assert(json_is_object(u));
    cr_assert_str_eq(json_string_value(json_object_get(u, "email")), "Ada.Lovelace@Example.COM");
    cr_assert_str_eq(json_string_value(json_object_get(u, "role")), "buyer");
    cr_assert_str_eq(json_string_value(json_object_get(u, "display_name")), name);
    cr_assert(json_is_false(json_object_get(u, "email_verified")));
    cr_assert_str_eq(jstr(r, "token_type"), "Bearer");
    cr_assert_eq(json_integer_value(json_object_get(r->json, "expires_in")), 900);
    const char *refresh = jstr(r, "refresh_token");
    cr_assert(refresh != NULL && strlen(refresh) == 43);
    cr_assert(jstr(r, "access_token") != NULL && strchr(jstr(r, "access_token"), '.') != NULL);

    const char *cookie = api_header(r, "Set-Cookie");
    cr_assert(cookie != NULL);
    char want[128];
    snprintf(want, sizeof want, "artistry_refresh=%s;", refresh);
    cr_assert(strstr(cookie, want) == cookie, "cookie %s", cookie);
    cr_assert(strstr(cookie, "HttpOnly") && strstr(cookie, "Secure") && strstr(cookie, "SameSite=Strict") &&
                  strstr(cookie, "Path=/api/v1/auth") && strstr(cookie, "Max-Age=604800"),
              "cookie %s", cookie);

    /* Stored exactly, normalised copy lower-cased, password hashed with argon2id, refresh token hashed. */
    char buf[512];
    const char *id = json_string_value(json_object_get(u, "id"));
    const char *p[] = {id};
    cr_assert_eq(api_sql_text(s, "SELECT display_name FROM users WHERE id = $1", p, 1, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, name);
    cr_assert_eq(api_sql_text(s, "SELECT email_normalized FROM users WHERE id = $1", p, 1, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, "ada.lovelace@example.com");
    cr_assert_eq(api_sql_text(s, "SELECT password_hash FROM users WHERE id = $1", p, 1, buf, sizeof buf), 1);
    cr_assert(strncmp(buf, "$argon2id$", 10) == 0, "hash %s", buf);
    cr_assert_eq(count_rows(s, "SELECT COUNT(*) FROM auth_sessions WHERE refresh_hash = $1", refresh), 0);
    cr_assert_eq(count_rows(s, "SELECT COUNT(*) FROM auth_sessions WHERE user_id = $1", id), 1);

    /* The access token works. */
    cr_assert(authed(probe(s, jstr(r, "access_token"))));
    api_response_free(r);
    api_stop(s);
}

Test(auth, register_duplicate_email)
{
    struct api_server *s = start();
    api_response_free(register_user(s, "dup@example.com", "One"));
    struct api_response *r = post(s, "/api/v1/auth/register",
                                  "{\"email\":\"DUP@Example.com\",\"password\":\"" PW "\",\"display_name\":\"Two\"}",
                                  NULL);
    api_assert_problem(r, 409, "already_exists");
    api_response_free(r);
    api_stop(s);
}

static bool has_field_error(const struct api_response *r, const char *field, const char *code)
{
    json_t *errs = json_object_get(r->json, "errors"), *e;
    size_t i;
    json_array_foreach(errs, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0 &&
            (code == NULL || strcmp(json_string_value(json_object_get(e, "code")), code) == 0))
            return true;
    }
    return false;
}

Test(auth, register_validation)
{
    struct api_server *s = start();
    struct {
        const char *body;
        long status;
        const char *field, *code;
    } cases[] = {
        {"{}", 422, "email", NULL},
        {"{\"email\":\"a@example.com\",\"display_name\":\"A\"}", 422, "password", NULL},
        {"{\"email\":\"a@example.com\",\"password\":\"" PW "\"}", 422, "display_name", NULL},
        {"{\"email\":\"a@example.com\",\"password\":\"" PW "\",\"display_name\":\"A\",\"role\":\"admin\"}", 422,
         "role", NULL},
        {"{\"email\":42,\"password\":\"" PW "\",\"display_name\":\"A\"}", 422, "email", NULL},
        {"{\"email\":\"a@example.com\",\"password\":[],\"display_name\":\"A\"}", 422, "password", NULL},
        {"{\"email\":\"not-an-email\",\"password\":\"" PW "\",\"display_name\":\"A\"}", 422, "email", NULL},
        {"{\"email\":\"a@example.com\",\"password\":\"short\",\"display_name\":\"A\"}", 422, "password",
         "too_short"},
        {"{\"email\":\"a@example.com\",\"password\":\"password123456\",\"display_name\":\"A\"}", 422, "password",
         "too_common"},
        {"{\"email\":\"a@example.com\",\"password\":\"Sunshine2024!\",\"display_name\":\"A\"}", 422, "password",
         "too_common"},
        {"{\"email\":\"marguerite@example.com\",\"password\":\"xXmargueriteXx9\",\"display_name\":\"A\"}", 422,
         "password", "contains_email"},
        {"{\"email\":\"a@example.com\",\"password\":\"aaaaaaaaaaaaaa\",\"display_name\":\"A\"}", 422, "password",
         "repeated_characters"},
        {"{\"email\":\"a@example.com\",\"password\":\"abcdefghijklmnop\",\"display_name\":\"A\"}", 422, "password",
         "sequence"},
        {"{\"email\":\"a@example.com\",\"password\":\"3456789012345\",\"display_name\":\"A\"}", 422, "password",
         "sequence"},
        {"{\"email\":\"a@example.com\",\"password\":\"" PW "\",\"display_name\":\"   \"}", 422, "display_name",
         "required"},
        {"{\"email\":\"a@example.com\",\"password\":\"" PW "\",\"display_name\":\"a\\u0007b\"}", 422,
         "display_name", "invalid_characters"},
        {"{\"email\":\"a@example.com\",\"password\":\"" PW "\",\"display_name\":\"\"}", 422, "display_name", NULL},
        /* a lone surrogate is not UTF-8 */
        {"{\"email\":\"a@example.com\",\"password\":\"" PW "\",\"display_name\":\"\\udc00\"}", 400, NULL, NULL},
        {"{\"email\":\"a@example.com\",\"password\":\"" PW "\",\"display_name\":\"A\"", 400, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_response *r = post(s, "/api/v1/auth/register", cases[i].body, NULL);
        cr_assert_eq(r->status, cases[i].status, "case %zu: %ld %s", i, r->status, r->body);
        if (cases[i].field != NULL)
            cr_assert(has_field_error(r, cases[i].field, cases[i].code), "case %zu: %s", i, r->body);
        api_response_free(r);
    }
    /* Over-long display name and password (code points) */
    char body[2048], longname[200], longpw[400];
    memset(longname, 'n', 81);
    longname[81] = '\0';
    memset(longpw, 'q', 129);
    longpw[129] = '\0';
    snprintf(body, sizeof body, "{\"email\":\"a@example.com\",\"password\":\"%s\",\"display_name\":\"%s\"}", longpw,
             longname);
    struct api_response *r = post(s, "/api/v1/auth/register", body, NULL);
    cr_assert_eq(r->status, 422, "%s", r->body);
    cr_assert(has_field_error(r, "display_name", "too_long") && has_field_error(r, "password", "too_long"), "%s",
              r->body);
    api_response_free(r);
    /* 80 code points of a 2-byte script are fine (lengths count characters, not bytes) */
    char name80[400] = "";
    for (int i = 0; i < 80; i++)
        strcat(name80, "\xc3\xa9");
    snprintf(body, sizeof body, "{\"email\":\"long@example.com\",\"password\":\"" PW "\",\"display_name\":\"%s\"}",
             name80);
    r = post(s, "/api/v1/auth/register", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    api_response_free(r);
    /* Raw invalid UTF-8 in the body */
    const char bad[] = "{\"email\":\"b@example.com\",\"password\":\"" PW "\",\"display_name\":\"\xff\xfe\"}";
    r = api_post_json(s, "/api/v1/auth/register", bad, NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    api_response_free(r);
    /* Wrong content type */
    const char *ct[] = {"Content-Type: text/plain", NULL};
    r = api_request(s, "POST", "/api/v1/auth/register", ct, "{}", 2);
    cr_assert_eq(r->status, 415);
    api_response_free(r);
    cr_assert_eq(count_rows(s, "SELECT COUNT(*) FROM users", NULL), 1);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Login
 */

Test(auth, login_success_and_failures_look_alike)
{
    struct api_server *s = start();
    api_response_free(register_user(s, "Carol@Example.com", "Carol"));

    struct api_response *r = login(s, "carol@EXAMPLE.com", PW);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(jstr(r, "access_token") && jstr(r, "refresh_token"));
    cr_assert(api_header(r, "Set-Cookie") != NULL);
    cr_assert(authed(probe(s, jstr(r, "access_token"))));
    api_response_free(r);

    struct timeval t0;
    gettimeofday(&t0, NULL);
    struct api_response *wrong = login(s, "carol@example.com", "not-the-password-at-all");
    double t_wrong = ms_since(&t0);
    gettimeofday(&t0, NULL);
    struct api_response *unknown = login(s, "nobody@example.com", "not-the-password-at-all");
    double t_unknown = ms_since(&t0);
    api_assert_problem(wrong, 401, "invalid_credentials");
    api_assert_problem(unknown, 401, "invalid_credentials");
    cr_assert_str_eq(jstr(wrong, "detail"), jstr(unknown, "detail"));
    cr_assert_str_eq(jstr(wrong, "title"), jstr(unknown, "title"));
    cr_assert_eq(json_object_size(wrong->json), json_object_size(unknown->json));
    /* Both ran an argon2id verification (tens of ms at the interactive limits). */
    cr_assert(t_wrong > 15 && t_unknown > 15, "wrong %.1f ms, unknown %.1f ms", t_wrong, t_unknown);
    cr_assert(t_unknown > t_wrong / 4 && t_wrong > t_unknown / 4, "wrong %.1f ms, unknown %.1f ms", t_wrong,
              t_unknown);
    api_response_free(wrong);
    api_response_free(unknown);

    /* Attempts are recorded. */
    cr_assert_eq(count_rows(s, "SELECT COUNT(*) FROM login_attempts WHERE email_normalized = $1",
                            "carol@example.com"),
                 2);
    api_stop(s);
}

Test(auth, login_validation)
{
    struct api_server *s = start();
    const char *bodies[] = {
        "{}",
        "{\"email\":\"a@example.com\"}",
        "{\"password\":\"x\"}",
        "{\"email\":\"a@example.com\",\"password\":\"x\",\"remember\":true}",
        "{\"email\":\"a@example.com\",\"password\":12}",
        "{\"email\":\"a@example.com\",\"password\":\"\"}",
        "{\"email\":\"' OR 1=1 --\",\"password\":\"x\"}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct api_response *r = post(s, "/api/v1/auth/login", bodies[i], NULL);
        api_assert_problem(r, 422, "validation_failed");
        api_response_free(r);
    }
    struct api_response *r = post(s, "/api/v1/auth/login", "[1,2", NULL);
    api_assert_problem(r, 400, "malformed_json");
    api_response_free(r);
    api_stop(s);
}

Test(auth, login_suspended_and_deleted)
{
    struct api_server *s = start();
    struct api_response *reg = register_user(s, "sus@example.com", "Sus");
    const char *id = json_string_value(json_object_get(json_object_get(reg->json, "user"), "id"));
    const char *p[] = {id};
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET status = 'suspended' WHERE id = $1", p, 1), 0);
    /* Wrong password: the same 401 as anyone (the status is not revealed). */
    struct api_response *r = login(s, "sus@example.com", "not-the-password-at-all");
    api_assert_problem(r, 401, "invalid_credentials");
    api_response_free(r);
    r = login(s, "sus@example.com", PW);
    api_assert_problem(r, 403, "account_suspended");
    api_response_free(r);
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET status = 'deleted' WHERE id = $1", p, 1), 0);
    r = login(s, "sus@example.com", PW);
    api_assert_problem(r, 401, "invalid_credentials");
    api_response_free(r);
    api_response_free(reg);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * The authenticator
 */

Test(auth, bearer_refusals)
{
    struct api_server *s = start();
    struct api_response *reg = register_user(s, "bear@example.com", "Bear");
    char *access = access_of(reg);

    /* No header, other schemes, garbage */
    struct api_response *r = post(s, "/api/v1/auth/logout", NULL, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    const char *basic[] = {"Authorization: Basic YTpi", NULL};
    r = api_post_json(s, "/api/v1/auth/logout", "{}", basic);
    api_assert_problem(r, 401, "invalid_token");
    cr_assert(api_header(r, "WWW-Authenticate") != NULL);
    api_response_free(r);
    r = post(s, "/api/v1/auth/logout", "{}", "not.a.jwt");
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);

    /* alg none: same header fields and claims, no signature */
    char *dot1 = strchr(access, '.'), *dot2 = strchr(dot1 + 1, '.');
    char hdr[256], forged[4200];
    const char none_hdr[] = "{\"alg\":\"none\",\"kid\":\"local\",\"typ\":\"JWT\"}";
    b64url(none_hdr, strlen(none_hdr), hdr, sizeof hdr);
    snprintf(forged, sizeof forged, "%s.%.*s.", hdr, (int)(dot2 - dot1 - 1), dot1 + 1);
    r = post(s, "/api/v1/auth/logout", "{}", forged);
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);
    /* alg none with the original signature kept */
    snprintf(forged, sizeof forged, "%s.%s", hdr, dot1 + 1);
    r = post(s, "/api/v1/auth/logout", "{}", forged);
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);
    /* HS256 signed with another key (the attacker's) */
    const char hs_hdr[] = "{\"alg\":\"HS256\",\"kid\":\"local\",\"typ\":\"JWT\"}";
    b64url(hs_hdr, strlen(hs_hdr), hdr, sizeof hdr);
    char signing[4096];
    snprintf(signing, sizeof signing, "%s.%.*s", hdr, (int)(dot2 - dot1 - 1), dot1 + 1);
    unsigned char mac[32];
    const char attacker_key[] = "attacker-key-attacker-key-attacker-key";
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)attacker_key, strlen(attacker_key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)signing, strlen(signing));
    crypto_auth_hmacsha256_final(&st, mac);
    char sig[64];
    b64url(mac, sizeof mac, sig, sizeof sig);
    snprintf(forged, sizeof forged, "%s.%s", signing, sig);
    r = post(s, "/api/v1/auth/logout", "{}", forged);
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);
    /* Tampered signature */
    snprintf(forged, sizeof forged, "%s", access);
    size_t n = strlen(forged);
    forged[n - 2] = forged[n - 2] == 'A' ? 'B' : 'A';
    r = post(s, "/api/v1/auth/logout", "{}", forged);
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);

    /* The genuine token still works. */
    cr_assert(authed(probe(s, access)));
    free(access);
    api_response_free(reg);
    api_stop(s);
}

Test(auth, suspension_and_revocation_apply_at_once)
{
    struct api_server *s = start();
    struct api_response *reg = register_user(s, "eve@example.com", "Eve");
    char *access = access_of(reg), *refresh = refresh_of(reg);
    const char *id = json_string_value(json_object_get(json_object_get(reg->json, "user"), "id"));
    const char *p[] = {id};
    cr_assert(authed(probe(s, access)));

    /* Suspension alone: refused at once with account_suspended. */
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET status = 'suspended' WHERE id = $1", p, 1), 0);
    cr_assert_eq(probe(s, access), 403);
    /* Re-activated: works again (the session was not revoked). */
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET status = 'active' WHERE id = $1", p, 1), 0);
    cr_assert(authed(probe(s, access)));
    /* Revoking every session (what auth_revoke_all_sessions does) stops the token and the refresh token. */
    const char *pr[] = {id, "1"};
    cr_assert_eq(api_sql_exec(s,
                              "UPDATE auth_sessions SET revoked_at = CAST($2 AS BIGINT), revoke_reason = 'suspended' "
                              "WHERE user_id = $1",
                              pr, 2),
                 0);
    cr_assert_eq(probe(s, access), 401);
    char body[256];
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", refresh);
    struct api_response *r = post(s, "/api/v1/auth/refresh", body, NULL);
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);

    /* tokens_valid_after in the future refuses older tokens too. */
    struct api_response *l = login(s, "eve@example.com", PW);
    cr_assert_eq(l->status, 200);
    char *access2 = access_of(l);
    cr_assert(authed(probe(s, access2)));
    char future[32];
    snprintf(future, sizeof future, "%lld", api_now_ms() + 5000);
    const char *pt[] = {id, future};
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET tokens_valid_after = CAST($2 AS BIGINT) WHERE id = $1", pt, 2), 0);
    cr_assert_eq(probe(s, access2), 401);

    free(access);
    free(access2);
    free(refresh);
    api_response_free(l);
    api_response_free(reg);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Logout
 */

Test(auth, logout_denylists_token_and_revokes_session)
{
    struct api_server *s = start();
    struct api_response *reg = register_user(s, "lou@example.com", "Lou");
    char *access = access_of(reg), *refresh = refresh_of(reg);
    struct api_response *other = login(s, "lou@example.com", PW);
    cr_assert_eq(other->status, 200);
    char *access_other = access_of(other);

    struct api_response *r = post(s, "/api/v1/auth/logout", NULL, access);
    cr_assert_eq(r->status, 204, "%s", r->body);
    const char *cookie = api_header(r, "Set-Cookie");
    cr_assert(cookie && strstr(cookie, "artistry_refresh=;") && strstr(cookie, "Max-Age=0"), "%s",
              cookie ? cookie : "(none)");
    api_response_free(r);

    cr_assert_eq(probe(s, access), 401);
    r = post(s, "/api/v1/auth/logout", NULL, access);
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);
    char body[256];
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", refresh);
    r = post(s, "/api/v1/auth/refresh", body, NULL);
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);
    cr_assert_eq(count_rows(s, "SELECT COUNT(*) FROM revoked_tokens", NULL), 1);
    cr_assert_eq(count_rows(s, "SELECT COUNT(*) FROM auth_sessions WHERE revoke_reason = 'logout'", NULL), 1);

    /* The other session is untouched. */
    cr_assert(authed(probe(s, access_other)));
    free(access);
    free(refresh);
    free(access_other);
    api_response_free(other);
    api_response_free(reg);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Refresh
 */

Test(auth, refresh_rotates_and_reuse_revokes_family)
{
    struct api_server *s = start();
    struct api_response *reg = register_user(s, "rot@example.com", "Rot");
    char *r0 = refresh_of(reg);
    char body[256];

    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", r0);
    struct api_response *a = post(s, "/api/v1/auth/refresh", body, NULL);
    cr_assert_eq(a->status, 200, "%s", a->body);
    char *r1 = refresh_of(a), *access1 = access_of(a);
    cr_assert_str_neq(r0, r1);
    cr_assert(api_header(a, "Set-Cookie") && strstr(api_header(a, "Set-Cookie"), r1));
    cr_assert(authed(probe(s, access1)));

    /* The refresh cookie alone works too (web clients). */
    char cookie[256];
    snprintf(cookie, sizeof cookie, "Cookie: theme=dark; artistry_refresh=%s; other=1", r1);
    const char *h[] = {cookie, NULL};
    struct api_response *b = api_post_json(s, "/api/v1/auth/refresh", "{}", h);
    cr_assert_eq(b->status, 200, "%s", b->body);
    char *r2 = refresh_of(b), *access2 = access_of(b);

    /* Reuse of r0 (already rotated): 401, and the whole family is revoked, the newest token included. */
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", r0);
    struct api_response *c = post(s, "/api/v1/auth/refresh", body, NULL);
    api_assert_problem(c, 401, "invalid_token");
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", r2);
    struct api_response *d = post(s, "/api/v1/auth/refresh", body, NULL);
    api_assert_problem(d, 401, "invalid_token");
    cr_assert_eq(probe(s, access2), 401);
    cr_assert_eq(probe(s, access1), 401);
    cr_assert_eq(count_rows(s, "SELECT COUNT(*) FROM auth_sessions WHERE revoke_reason = 'reuse_detected'", NULL),
                 3);

    /* Failure paths */
    struct api_response *e = post(s, "/api/v1/auth/refresh", "{}", NULL);
    api_assert_problem(e, 401, "invalid_token");
    api_response_free(e);
    e = post(s, "/api/v1/auth/refresh", "{\"refresh_token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", NULL);
    api_assert_problem(e, 401, "invalid_token");
    api_response_free(e);
    e = post(s, "/api/v1/auth/refresh", "{\"refresh_token\":\"'; DROP TABLE auth_sessions; --\"}", NULL);
    api_assert_problem(e, 401, "invalid_token");
    api_response_free(e);
    e = post(s, "/api/v1/auth/refresh", "{\"refresh_token\":5}", NULL);
    api_assert_problem(e, 422, "validation_failed");
    api_response_free(e);
    e = post(s, "/api/v1/auth/refresh", "{\"refresh_token\":\"x\",\"extra\":1}", NULL);
    api_assert_problem(e, 422, "validation_failed");
    api_response_free(e);

    free(r0);
    free(r1);
    free(r2);
    free(access1);
    free(access2);
    api_response_free(a);
    api_response_free(b);
    api_response_free(c);
    api_response_free(d);
    api_response_free(reg);
    api_stop(s);
}

struct race {
    struct api_server *s;
    const char *token;
    int status;
};

static void *race_refresh(void *arg)
{
    struct race *r = arg;
    char body[256];
    snprintf(body, sizeof body, "{\"refresh_token\":\"%s\"}", r->token);
    r->status = post_from(r->s, "127.0.0.1", "/api/v1/auth/refresh", body, NULL);
    return NULL;
}

Test(auth, concurrent_refresh_only_one_wins)
{
    struct api_server *s = start();
    struct api_response *reg = register_user(s, "race@example.com", "Race");
    char *tok = refresh_of(reg);
    enum { N = 6 };
    struct race rs[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        rs[i] = (struct race){s, tok, 0};
        pthread_create(&th[i], NULL, race_refresh, &rs[i]);
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_assert(rs[i].status == 200 || rs[i].status == 401, "status %d", rs[i].status);
        ok += rs[i].status == 200;
    }
    cr_assert_eq(ok, 1, "%d refreshes of one token succeeded", ok);
    free(tok);
    api_response_free(reg);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Key rotation
 */

Test(auth, key_rotation)
{
    const char *env[] = {"ARTISTRY_RATE_LIMITS=false", "ARTISTRY_JWT_KEYS=" KEY1 "," KEY2,
                         "ARTISTRY_JWT_ACTIVE_KID=k1", NULL};
    struct api_opts o = {.env = env};
    struct api_server *s = api_start(&o);
    struct api_response *reg = register_user(s, "kr@example.com", "Kr");
    char *old = access_of(reg);
    cr_assert(authed(probe(s, old)));

    /* k2 becomes the signing key; k1 still verifies. */
    env[2] = "ARTISTRY_JWT_ACTIVE_KID=k2";
    api_restart(s);
    cr_assert(authed(probe(s, old)));
    struct api_response *l = login(s, "kr@example.com", PW);
    cr_assert_eq(l->status, 200);
    char *fresh = access_of(l);
    char hdr[256];
    size_t hl = (size_t)(strchr(fresh, '.') - fresh);
    size_t outlen = 0;
    cr_assert_eq(sodium_base642bin((unsigned char *)hdr, sizeof hdr - 1, fresh, hl, NULL, &outlen, NULL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                 0);
    hdr[outlen] = '\0';
    cr_assert(strstr(hdr, "\"kid\":\"k2\"") != NULL, "header %s", hdr);

    /* k1 removed: its tokens stop verifying; k2's still do. */
    env[1] = "ARTISTRY_JWT_KEYS=" KEY2;
    api_restart(s);
    cr_assert_eq(probe(s, old), 401);
    cr_assert(authed(probe(s, fresh)));

    free(old);
    free(fresh);
    api_response_free(l);
    api_response_free(reg);
    api_stop(s);
}

Test(auth, local_key_survives_restart)
{
    struct api_server *s = start();
    struct api_response *reg = register_user(s, "lk@example.com", "Lk");
    char *access = access_of(reg);
    char path[400];
    snprintf(path, sizeof path, "%s/jwt.key", s->data_dir);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "no %s", path);
    cr_assert_eq(st.st_mode & 0777, 0600);
    api_restart(s);
    cr_assert(authed(probe(s, access)));
    free(access);
    api_response_free(reg);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Brute-force protection
 */

Test(auth, pair_lock_and_expiry)
{
    const char *env[] = {"ARTISTRY_RATE_LIMITS=false", "ARTISTRY_AUTH_FREE_FAILURES=2",
                         "ARTISTRY_AUTH_BASE_DELAY_MS=2000", "ARTISTRY_AUTH_MAX_DELAY_MS=2000",
                         "ARTISTRY_AUTH_ACCOUNT_THRESHOLD=1000", NULL};
    struct api_opts o = {.env = env};
    struct api_server *s = api_start(&o);
    api_response_free(register_user(s, "bf@example.com", "Bf"));
    for (int i = 0; i < 3; i++) {
        struct api_response *r = login(s, "bf@example.com", "wrong-password-guess");
        api_assert_problem(r, 401, "invalid_credentials");
        api_response_free(r);
    }
    /* Locked: even the right password is refused, quickly (no hashing), with Retry-After. */
    struct timeval t0;
    gettimeofday(&t0, NULL);
    struct api_response *r = login(s, "bf@example.com", PW);
    double t = ms_since(&t0);
    api_assert_problem(r, 429, "rate_limited");
    const char *ra = api_header(r, "Retry-After");
    cr_assert(ra != NULL && atoi(ra) >= 1 && atoi(ra) <= 2, "Retry-After %s", ra ? ra : "(none)");
    cr_assert(t < 1000, "%.1f ms", t);
    api_response_free(r);
    /* Unknown emails are throttled the same way (no existence leak). */
    for (int i = 0; i < 3; i++)
        api_response_free(login(s, "ghost@example.com", "wrong-password-guess"));
    r = login(s, "ghost@example.com", "wrong-password-guess");
    api_assert_problem(r, 429, "rate_limited");
    api_response_free(r);
    /* Other accounts are not affected. */
    api_response_free(register_user(s, "bystander@example.com", "By"));
    r = login(s, "bystander@example.com", PW);
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    /* After the delay the right password works and clears the count. */
    api_sleep_ms(2200);
    r = login(s, "bf@example.com", PW);
    cr_assert_eq(r->status, 200, "%s", r->body);
    api_response_free(r);
    r = login(s, "bf@example.com", "wrong-password-guess");
    api_assert_problem(r, 401, "invalid_credentials");
    api_response_free(r);
    api_stop(s);
}

Test(auth, delays_grow)
{
    const char *env[] = {"ARTISTRY_RATE_LIMITS=false", "ARTISTRY_AUTH_FREE_FAILURES=1",
                         "ARTISTRY_AUTH_BASE_DELAY_MS=1000", "ARTISTRY_AUTH_MAX_DELAY_MS=60000",
                         "ARTISTRY_AUTH_ACCOUNT_THRESHOLD=1000", NULL};
    struct api_opts o = {.env = env};
    struct api_server *s = api_start(&o);
    api_response_free(login(s, "grow@example.com", "wrong-password-guess")); /* free */
    api_response_free(login(s, "grow@example.com", "wrong-password-guess")); /* lock 1 s */
    struct api_response *r = login(s, "grow@example.com", "x");
    api_assert_problem(r, 429, "rate_limited");
    cr_assert_eq(atoi(api_header(r, "Retry-After")), 1);
    api_response_free(r);
    api_sleep_ms(1100);
    api_response_free(login(s, "grow@example.com", "wrong-password-guess")); /* lock 2 s */
    r = login(s, "grow@example.com", "x");
    api_assert_problem(r, 429, "rate_limited");
    cr_assert_eq(atoi(api_header(r, "Retry-After")), 2);
    api_response_free(r);
    api_stop(s);
}

Test(auth, account_lock_spares_known_addresses)
{
    const char *env[] = {"ARTISTRY_RATE_LIMITS=false", "ARTISTRY_AUTH_FREE_FAILURES=100",
                         "ARTISTRY_AUTH_ACCOUNT_THRESHOLD=3", "ARTISTRY_AUTH_ACCOUNT_LOCK_MS=2500", NULL};
    struct api_opts o = {.env = env};
    struct api_server *s = api_start(&o);
    api_response_free(register_user(s, "known@example.com", "Known"));
    /* The owner signs in from 127.0.0.1: a known address from now on. */
    cr_assert_eq(login_from(s, "127.0.0.1", "known@example.com", PW), 200);
    /* A distributed attack: three failures from three addresses lock the account for unknown addresses. */
    cr_assert_eq(login_from(s, "127.0.0.2", "known@example.com", "guess-one-guess"), 401);
    cr_assert_eq(login_from(s, "127.0.0.3", "known@example.com", "guess-two-guess"), 401);
    cr_assert_eq(login_from(s, "127.0.0.4", "known@example.com", "guess-three-guess"), 401);
    cr_assert_eq(login_from(s, "127.0.0.5", "known@example.com", "guess-four-guess"), 429);
    cr_assert_eq(login_from(s, "127.0.0.6", "known@example.com", PW), 429);
    /* The owner's known address is not locked out. */
    cr_assert_eq(login_from(s, "127.0.0.1", "known@example.com", PW), 200);
    /* The lock is temporary. */
    api_sleep_ms(2700);
    cr_assert_eq(login_from(s, "127.0.0.6", "known@example.com", PW), 200);
    api_stop(s);
}
