/*
 * test_auth_email.c — API tests for password reset and email verification:
 * POST /auth/forgot-password, /auth/reset-password, /auth/verify-email and
 * /auth/verify-email/resend, with mail delivered by the job worker into the
 * server's outbox (<data-dir>/outbox, one .eml file per mail).
 *
 * Users are inserted straight into the database (password hashed with
 * auth_password_hash), so these tests do not depend on registration. The
 * parts that need a signed-in user (resend, login after a reset) run when
 * POST /auth/login works and are skipped with a note otherwise.
 *
 * Rate limits are scaled up (--rate-limit-scale) because every test here
 * calls the "auth_password" routes more often than their real quota.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_client.h"
#include "base/ids.h"
#include "services/auth/auth.h"

TestSuite(auth_email, .fini = api_cleanup_all, .timeout = 180);

#define PASSWORD "correct horse battery staple 42"
#define NEW_PASSWORD "Another long passphrase, 9 lives"
#define PUBLIC_URL "https://shop.test"
#define MAIL_WAIT_MS 15000

static const char *const server_args[] = {"--rate-limit-scale", "100",      "--job-poll-ms", "50",
                                          "--public-url",       PUBLIC_URL "/", NULL};

static struct api_server *start(void)
{
    struct api_opts o = {.args = server_args};
    return api_start(&o);
}

/*-----------------------------------------------------------------------------
 * Users, sessions, tokens
 */

struct user {
    char id[ID_MAX_LEN];
    char email[128];
};

static void make_user(struct api_server *s, struct user *u, const char *email, const char *status, bool verified)
{
    char hash[256], now[32];
    cr_assert_eq(sodium_init() >= 0, true);
    cr_assert_eq(auth_password_hash(PASSWORD, hash, sizeof hash), 0);
    id_generate("usr", u->id, sizeof u->id);
    snprintf(u->email, sizeof u->email, "%s", email);
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *p[] = {u->id, email, email, hash, status, verified ? now : NULL, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO users (id, email, email_normalized, password_hash, status, "
                              "email_verified_at, display_name, created_at, updated_at) "
                              "VALUES ($1, $2, $3, $4, $5, $6, 'Test User', $7, $7)",
                              p, 7),
                 0);
}

/* A session row as the core would write it; returns its id. */
static void make_session(struct api_server *s, const struct user *u, char *sid)
{
    char now[32], exp[32], hash[ID_MAX_LEN];
    id_generate("ses", sid, ID_MAX_LEN);
    id_generate("hsh", hash, sizeof hash);
    snprintf(now, sizeof now, "%lld", api_now_ms());
    snprintf(exp, sizeof exp, "%lld", api_now_ms() + 86400000LL);
    const char *p[] = {sid, u->id, hash, now, exp};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO auth_sessions (id, user_id, family_id, refresh_hash, created_at, "
                              "expires_at) VALUES ($1, $2, $1, $3, $4, $5)",
                              p, 5),
                 0);
}

/* Insert a token of purpose for u directly (what a mail would carry); writes the raw token. */
static void make_token(struct api_server *s, const struct user *u, const char *purpose, long long expires_at,
                       char *raw, size_t cap)
{
    unsigned char r[32], h[32];
    char hex[65], id[ID_MAX_LEN], now[32], exp[32];
    randombytes_buf(r, sizeof r);
    sodium_bin2base64(raw, cap, r, sizeof r, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    crypto_hash_sha256(h, (const unsigned char *)raw, strlen(raw));
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    id_generate("tok", id, sizeof id);
    snprintf(now, sizeof now, "%lld", api_now_ms());
    snprintf(exp, sizeof exp, "%lld", expires_at);
    const char *p[] = {id, u->id, purpose, hex, exp, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO auth_tokens (id, user_id, purpose, token_hash, expires_at, created_at) "
                              "VALUES ($1, $2, $3, $4, $5, $6)",
                              p, 6),
                 0);
}

static long long sql_count(struct api_server *s, const char *sql, const char *const *p, int n)
{
    char buf[64];
    cr_assert_eq(api_sql_text(s, sql, p, n, buf, sizeof buf), 1, "%s", sql);
    return atoll(buf);
}

/*-----------------------------------------------------------------------------
 * The outbox
 */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = '\0';
    fclose(f);
    return b;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* QP-decode the body of a message (headers kept as they are). */
static char *decoded(const char *msg)
{
    size_t n = strlen(msg);
    char *out = malloc(n + 1), *o = out;
    const char *body = strstr(msg, "\r\n\r\n");
    body = body ? body + 4 : msg + n;
    memcpy(o, msg, (size_t)(body - msg));
    o += body - msg;
    for (const char *p = body; *p; p++) {
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 2;
        } else if (p[0] == '=' && p[1] && p[2]) {
            char hx[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(hx, NULL, 16);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/*
 * Mails in the outbox addressed to `to` whose decoded text contains needle,
 * in delivery order; returns how many, and the nth (1-based, decoded, heap)
 * in *out when there are that many.
 */
static int find_mail(struct api_server *s, const char *to, const char *needle, int nth, char **out)
{
    char dir[400], path[800], toh[200];
    snprintf(dir, sizeof dir, "%s/outbox", s->data_dir);
    snprintf(toh, sizeof toh, "\r\nTo: %s\r\n", to);
    if (out)
        *out = NULL;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    char *names[256];
    int nn = 0, found = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && nn < 256) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] != '.' && l > 4 && strcmp(de->d_name + l - 4, ".eml") == 0)
            names[nn++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof names[0], cmp_str);
    for (int i = 0; i < nn; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *raw = slurp(path);
        char *m = raw ? decoded(raw) : NULL;
        free(raw);
        if (m != NULL && strstr(m, toh) != NULL && (needle == NULL || strstr(m, needle) != NULL)) {
            if (++found == nth && out != NULL) {
                *out = m;
                m = NULL;
            }
        }
        free(m);
        free(names[i]);
    }
    return found;
}

static char *wait_mail(struct api_server *s, const char *to, const char *needle, int nth)
{
    char *m = NULL;
    long long until = api_now_ms() + MAIL_WAIT_MS;
    while (find_mail(s, to, needle, nth, &m) < nth) {
        if (api_now_ms() > until) {
            api_log_tail(s, 3000);
            cr_assert_fail("mail #%d to %s containing \"%s\" did not arrive", nth, to, needle ? needle : "");
        }
        api_sleep_ms(50);
    }
    return m;
}

/* The token of the link "<PUBLIC_URL>/<path>?token=..." in a decoded mail (heap). */
static char *link_token(const char *mail, const char *path)
{
    char prefix[200];
    snprintf(prefix, sizeof prefix, "%s/%s?token=", PUBLIC_URL, path);
    const char *p = strstr(mail, prefix);
    cr_assert_not_null(p, "no %s link in:\n%s", prefix, mail);
    p += strlen(prefix);
    size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    cr_assert_eq(n, 43, "token of %zu characters", n);
    return strndup(p, n);
}

static struct api_response *post(struct api_server *s, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct api_response *post(struct api_server *s, const char *path, const char *fmt, ...)
{
    char body[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return api_post_json(s, path, body, NULL);
}

static char *forgot_and_get_token(struct api_server *s, const struct user *u, int nth)
{
    struct api_response *r = post(s, "/api/v1/auth/forgot-password", "{\"email\":\"%s\"}", u->email);
    cr_assert_eq(r->status, 202, "forgot-password: %ld %s", r->status, r->body);
    api_response_free(r);
    char *m = wait_mail(s, u->email, "reset-password?token=", nth);
    char *t = link_token(m, "reset-password");
    free(m);
    return t;
}

static long reset(struct api_server *s, const char *token, const char *password, struct api_response **keep)
{
    struct api_response *r =
        post(s, "/api/v1/auth/reset-password", "{\"token\":\"%s\",\"password\":\"%s\"}", token, password);
    long st = r->status;
    if (keep)
        *keep = r;
    else
        api_response_free(r);
    return st;
}

/* Sign in; returns the response when login works (200), NULL when it is not available yet. */
static struct api_response *login(struct api_server *s, const char *email, const char *password)
{
    struct api_response *r = post(s, "/api/v1/auth/login", "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    if (r->status == 501 || r->status == 404) {
        api_response_free(r);
        return NULL;
    }
    return r;
}

/*-----------------------------------------------------------------------------
 * forgot-password
 */

Test(auth_email, forgot_password_same_answer_for_unknown_email)
{
    struct api_server *s = start();
    struct user u;
    make_user(s, &u, "ana@example.com", "active", true);

    struct api_response *a = post(s, "/api/v1/auth/forgot-password", "{\"email\":\"ana@example.com\"}");
    struct api_response *b = post(s, "/api/v1/auth/forgot-password", "{\"email\":\"nobody@example.com\"}");
    cr_assert_eq(a->status, 202, "%ld %s", a->status, a->body);
    cr_assert_eq(b->status, 202, "%ld %s", b->status, b->body);
    cr_assert_str_eq(a->body, b->body, "answers differ");
    const char *ca = api_header(a, "Content-Type"), *cb = api_header(b, "Content-Type");
    cr_assert(ca && cb && strcmp(ca, cb) == 0);
    api_response_free(a);
    api_response_free(b);

    char *m = wait_mail(s, u.email, "reset-password?token=", 1);
    cr_assert_not_null(strstr(m, "Subject: Reset your Artistry Cart password\r\n"));
    char *tok = link_token(m, "reset-password");
    /* The link uses public_url without its trailing slash; only the hash is stored. */
    const char *p[] = {u.id, tok};
    cr_assert_eq(sql_count(s, "SELECT COUNT(*) FROM auth_tokens WHERE user_id = $1 AND purpose = 'password_reset'",
                           p, 1),
                 1);
    cr_assert_eq(sql_count(s, "SELECT COUNT(*) FROM auth_tokens WHERE token_hash = $2 AND user_id = $1", p, 2), 0,
                 "raw token stored");
    char hash[80];
    cr_assert_eq(api_sql_text(s, "SELECT token_hash FROM auth_tokens WHERE user_id = $1", p, 1, hash, sizeof hash),
                 1);
    cr_assert_eq(strlen(hash), 64);
    /* Nobody else got mail, and the job payload holding the link is cleared once delivered. */
    cr_assert_eq(find_mail(s, "nobody@example.com", NULL, 1, NULL), 0);
    long long until = api_now_ms() + 5000;
    const char *np[] = {tok};
    while (sql_count(s, "SELECT COUNT(*) FROM jobs WHERE payload LIKE '%' || $1 || '%'", np, 1) > 0) {
        cr_assert(api_now_ms() < until, "the token stayed in the jobs table after delivery");
        api_sleep_ms(50);
    }
    /* Neither the token nor the body is logged. */
    char *log = api_log(s);
    cr_assert_null(strstr(log, tok), "the token is in the server log");
    cr_assert_null(strstr(log, "Someone (hopefully you)"), "the mail body is in the server log");
    free(log);
    free(tok);
    free(m);
    api_stop(s);
}

Test(auth_email, forgot_password_case_insensitive_and_inactive_accounts)
{
    struct api_server *s = start();
    struct user u, sus;
    make_user(s, &u, "mixed@example.com", "active", false);
    make_user(s, &sus, "suspended@example.com", "suspended", true);

    struct api_response *r = post(s, "/api/v1/auth/forgot-password", "{\"email\":\"MiXeD@Example.COM\"}");
    cr_assert_eq(r->status, 202);
    api_response_free(r);
    free(wait_mail(s, u.email, "reset-password?token=", 1));

    r = post(s, "/api/v1/auth/forgot-password", "{\"email\":\"suspended@example.com\"}");
    cr_assert_eq(r->status, 202);
    api_response_free(r);
    /* Give the worker time to deliver anything it wrongly queued. */
    api_sleep_ms(800);
    cr_assert_eq(find_mail(s, sus.email, NULL, 1, NULL), 0, "a suspended account got a reset mail");
    const char *p[] = {sus.id};
    cr_assert_eq(sql_count(s, "SELECT COUNT(*) FROM auth_tokens WHERE user_id = $1", p, 1), 0);
    api_stop(s);
}

Test(auth_email, forgot_password_validation)
{
    struct api_server *s = start();
    struct api_response *r = post(s, "/api/v1/auth/forgot-password", "{\"email\":\"not-an-email\"}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = post(s, "/api/v1/auth/forgot-password", "{}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = post(s, "/api/v1/auth/forgot-password", "{\"email\":\"a@example.com\",\"extra\":1}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = post(s, "/api/v1/auth/forgot-password", "{\"email\":");
    api_assert_problem(r, 400, "malformed_json");
    api_response_free(r);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * reset-password
 */

Test(auth_email, reset_password_flow)
{
    struct api_server *s = start();
    struct user u;
    make_user(s, &u, "reset@example.com", "active", false);
    char sid[ID_MAX_LEN];
    make_session(s, &u, sid);
    /* A real session too, when login is available. */
    char *refresh = NULL, auth[1200] = "";
    struct api_response *lr = login(s, u.email, PASSWORD);
    if (lr != NULL) {
        cr_assert_eq(lr->status, 200, "login: %ld %s", lr->status, lr->body);
        refresh = strdup(json_string_value(json_object_get(lr->json, "refresh_token")));
        snprintf(auth, sizeof auth, "Authorization: Bearer %s",
                 json_string_value(json_object_get(lr->json, "access_token")));
        api_response_free(lr);
    } else {
        cr_log_warn("POST /auth/login not available yet: refresh-token revocation checked through the table only");
    }

    char *tok = forgot_and_get_token(s, &u, 1);

    /* Policy failures are 422 and leave the token usable. */
    struct api_response *r;
    cr_assert_eq(reset(s, tok, "short", &r), 422);
    api_assert_problem(r, 422, "validation_failed");
    cr_assert_not_null(strstr(r->body, "\"password\""), "field not named: %s", r->body);
    api_response_free(r);
    cr_assert_eq(reset(s, tok, "reset@example.com123456", &r), 422, "password containing the email accepted");
    api_response_free(r);

    cr_assert_eq(reset(s, tok, NEW_PASSWORD, &r), 204, "reset: %ld %s", r->status, r->body);
    api_response_free(r);

    /* Single use. */
    cr_assert_eq(reset(s, tok, NEW_PASSWORD " again", &r), 400);
    api_assert_problem(r, 400, "invalid_or_expired_token");
    api_response_free(r);

    /* The stored hash is the new password's; the email counts as verified; sessions are revoked. */
    char hash[256];
    const char *p[] = {u.id, sid};
    cr_assert_eq(api_sql_text(s, "SELECT password_hash FROM users WHERE id = $1", p, 1, hash, sizeof hash), 1);
    cr_assert(auth_password_verify(NEW_PASSWORD, hash), "new password not stored");
    cr_assert(!auth_password_verify(PASSWORD, hash));
    cr_assert_eq(sql_count(s, "SELECT COUNT(*) FROM users WHERE id = $1 AND email_verified_at IS NOT NULL", p, 1),
                 1);
    cr_assert_eq(sql_count(s, "SELECT COUNT(*) FROM auth_sessions WHERE user_id = $1 AND revoked_at IS NULL", p, 1),
                 0, "sessions survive a password reset");

    /* The user is told. */
    char *m = wait_mail(s, u.email, "password of your Artistry Cart account was changed", 1);
    cr_assert_not_null(strstr(m, "Subject: Your Artistry Cart password was changed\r\n"));
    free(m);

    if (refresh != NULL) {
        const char *h[] = {auth, NULL};
        r = api_post_json(s, "/api/v1/auth/verify-email/resend", "{}", h);
        cr_assert_eq(r->status, 401, "access token still works after a reset: %ld", r->status);
        api_response_free(r);
        r = post(s, "/api/v1/auth/refresh", "{\"refresh_token\":\"%s\"}", refresh);
        cr_assert_eq(r->status, 401, "refresh token still works after a reset: %ld", r->status);
        api_response_free(r);
        lr = login(s, u.email, PASSWORD);
        cr_assert_eq(lr->status, 401, "old password still works");
        api_response_free(lr);
        lr = login(s, u.email, NEW_PASSWORD);
        cr_assert_eq(lr->status, 200, "new password refused: %ld %s", lr->status, lr->body);
        api_response_free(lr);
        free(refresh);
    }
    free(tok);
    api_stop(s);
}

Test(auth_email, reset_password_only_newest_token_works)
{
    struct api_server *s = start();
    struct user u;
    make_user(s, &u, "twice@example.com", "active", true);
    char *t1 = forgot_and_get_token(s, &u, 1);
    char *t2 = forgot_and_get_token(s, &u, 2);
    cr_assert_str_neq(t1, t2);
    struct api_response *r;
    cr_assert_eq(reset(s, t1, NEW_PASSWORD, &r), 400);
    api_assert_problem(r, 400, "invalid_or_expired_token");
    api_response_free(r);
    cr_assert_eq(reset(s, t2, NEW_PASSWORD, NULL), 204);
    free(t1);
    free(t2);
    api_stop(s);
}

Test(auth_email, reset_password_expired_and_bad_tokens)
{
    struct api_server *s = start();
    struct user u;
    make_user(s, &u, "late@example.com", "active", true);
    char *tok = forgot_and_get_token(s, &u, 1);
    const char *p[] = {u.id};
    cr_assert_eq(api_sql_exec(s, "UPDATE auth_tokens SET expires_at = 1 WHERE user_id = $1", p, 1), 0);
    struct api_response *r;
    cr_assert_eq(reset(s, tok, NEW_PASSWORD, &r), 400);
    api_assert_problem(r, 400, "invalid_or_expired_token");
    api_response_free(r);

    cr_assert_eq(reset(s, "not-a-real-token", NEW_PASSWORD, &r), 400);
    api_assert_problem(r, 400, "invalid_or_expired_token");
    api_response_free(r);

    /* A verification token is not a reset token. */
    char vt[64];
    make_token(s, &u, "email_verification", api_now_ms() + 3600000, vt, sizeof vt);
    cr_assert_eq(reset(s, vt, NEW_PASSWORD, &r), 400);
    api_assert_problem(r, 400, "invalid_or_expired_token");
    api_response_free(r);

    /* A suspended account cannot be reset even with a valid token. */
    char rt[64];
    make_token(s, &u, "password_reset", api_now_ms() + 3600000, rt, sizeof rt);
    cr_assert_eq(api_sql_exec(s, "UPDATE users SET status = 'suspended' WHERE id = $1", p, 1), 0);
    cr_assert_eq(reset(s, rt, NEW_PASSWORD, &r), 400);
    api_response_free(r);

    /* Validation: missing fields, unknown fields, wrong types. */
    r = post(s, "/api/v1/auth/reset-password", "{\"token\":\"%s\"}", rt);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = post(s, "/api/v1/auth/reset-password", "{\"password\":\"%s\"}", NEW_PASSWORD);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = post(s, "/api/v1/auth/reset-password", "{\"token\":1,\"password\":\"%s\"}", NEW_PASSWORD);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = post(s, "/api/v1/auth/reset-password", "{\"token\":\"%s\",\"password\":\"%s\",\"x\":true}", rt, NEW_PASSWORD);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    free(tok);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * verify-email
 */

Test(auth_email, verify_email_token)
{
    struct api_server *s = start();
    struct user u;
    make_user(s, &u, "verify@example.com", "active", false);
    const char *p[] = {u.id};
    char tok[64], expired[64], reset_tok[64];
    make_token(s, &u, "email_verification", api_now_ms() + 3600000, tok, sizeof tok);
    make_token(s, &u, "email_verification", 1, expired, sizeof expired);
    make_token(s, &u, "password_reset", api_now_ms() + 3600000, reset_tok, sizeof reset_tok);

    struct api_response *r = post(s, "/api/v1/auth/verify-email", "{\"token\":\"%s\"}", expired);
    api_assert_problem(r, 400, "invalid_or_expired_token");
    api_response_free(r);
    r = post(s, "/api/v1/auth/verify-email", "{\"token\":\"%s\"}", reset_tok);
    api_assert_problem(r, 400, "invalid_or_expired_token");
    api_response_free(r);
    cr_assert_eq(sql_count(s, "SELECT COUNT(*) FROM users WHERE id = $1 AND email_verified_at IS NULL", p, 1), 1);

    r = post(s, "/api/v1/auth/verify-email", "{\"token\":\"%s\"}", tok);
    cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
    api_response_free(r);
    cr_assert_eq(sql_count(s, "SELECT COUNT(*) FROM users WHERE id = $1 AND email_verified_at IS NOT NULL", p, 1), 1);

    r = post(s, "/api/v1/auth/verify-email", "{\"token\":\"%s\"}", tok);
    api_assert_problem(r, 400, "invalid_or_expired_token");
    api_response_free(r);

    r = post(s, "/api/v1/auth/verify-email", "{}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    r = post(s, "/api/v1/auth/verify-email", "{\"token\":\"\"}");
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    api_stop(s);
}

Test(auth_email, resend_verification)
{
    struct api_server *s = start();
    struct api_response *r = post(s, "/api/v1/auth/verify-email/resend", "{}");
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);

    struct user u;
    make_user(s, &u, "resend@example.com", "active", false);
    struct api_response *lr = login(s, u.email, PASSWORD);
    if (lr == NULL) {
        cr_log_warn("POST /auth/login not available yet: resend skipped");
        api_stop(s);
        return;
    }
    cr_assert_eq(lr->status, 200, "login: %ld %s", lr->status, lr->body);
    char auth[1200];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s",
             json_string_value(json_object_get(lr->json, "access_token")));
    api_response_free(lr);
    const char *h[] = {auth, NULL};

    r = api_post_json(s, "/api/v1/auth/verify-email/resend", "{}", h);
    cr_assert_eq(r->status, 202, "%ld %s", r->status, r->body);
    api_response_free(r);
    r = api_post_json(s, "/api/v1/auth/verify-email/resend", "{}", h);
    cr_assert_eq(r->status, 202);
    api_response_free(r);
    char *m1 = wait_mail(s, u.email, "verify-email?token=", 1);
    char *m2 = wait_mail(s, u.email, "verify-email?token=", 2);
    char *t1 = link_token(m1, "verify-email"), *t2 = link_token(m2, "verify-email");
    cr_assert_not_null(strstr(m1, "Subject: Confirm your email address\r\n"));

    /* Only the newest link works. */
    r = post(s, "/api/v1/auth/verify-email", "{\"token\":\"%s\"}", t1);
    api_assert_problem(r, 400, "invalid_or_expired_token");
    api_response_free(r);
    r = post(s, "/api/v1/auth/verify-email", "{\"token\":\"%s\"}", t2);
    cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
    api_response_free(r);

    r = api_post_json(s, "/api/v1/auth/verify-email/resend", "{}", h);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert(json_is_true(json_object_get(r->json, "email_verified")));
    api_response_free(r);
    r = api_post_json(s, "/api/v1/auth/verify-email/resend", "{\"x\":1}", h);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    free(t1);
    free(t2);
    free(m1);
    free(m2);
    api_stop(s);
}

/* Registration sends the verification mail in the same transaction that creates the account. */
Test(auth_email, register_sends_verification)
{
    struct api_server *s = start();
    struct api_response *r = post(s, "/api/v1/auth/register",
                                  "{\"email\":\"New.Maker@Example.com\",\"password\":\"%s\",\"display_name\":\"Mara\"}",
                                  PASSWORD);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    api_response_free(r);
    char *m = wait_mail(s, "New.Maker@Example.com", "verify-email?token=", 1);
    char *t = link_token(m, "verify-email");
    r = post(s, "/api/v1/auth/verify-email", "{\"token\":\"%s\"}", t);
    cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
    api_response_free(r);
    /* A failed registration (duplicate email, any case) sends nothing more. */
    r = post(s, "/api/v1/auth/register",
             "{\"email\":\"new.maker@example.com\",\"password\":\"%s\",\"display_name\":\"Mara\"}", PASSWORD);
    api_assert_problem(r, 409, "already_exists");
    api_response_free(r);
    free(m);
    free(t);
    api_stop(s);
}
