/*
 * fake_fcm.c — a local OAuth2 token endpoint and FCM HTTP v1 API (see
 * fake_fcm.h).
 *
 * The JWT assertion is verified with libjwt given only the public key, and
 * its algorithm must be RS256, so an unsigned or HMAC-signed assertion is
 * refused like a badly signed one.
 *
 * Caveats: access tokens live until revoked (expires_in is advisory).
 */
#include "api/fake_fcm.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCOPE "https://www.googleapis.com/auth/firebase.messaging"
#define GRANT "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define MAX_DEAD 8

struct fake_fcm {
    struct fake_http *h;
    char project[64];
    char send_path[160];
    char token_uri[128];
    char *private_pem, *public_pem, *other_private_pem;
    char dead[MAX_DEAD][160];
    int ndead;
    int generation; /* tokens of older generations are revoked */
    int issued, accepted;
    unsigned fail_next;
};

static void die(const char *what)
{
    fprintf(stderr, "fake_fcm: %s\n", what);
    abort();
}

/*-----------------------------------------------------------------------------
 * Keys
 */

static char *bio_string(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        die("out of memory");
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    return s;
}

/* An RSA-2048 key: the private half as PKCS#8 PEM, the public half (when pub) as SubjectPublicKeyInfo PEM. */
static void make_key(char **priv, char **pub)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);
    if (k == NULL)
        die("EVP_RSA_gen");
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL || PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1)
        die("PEM_write_bio_PrivateKey");
    *priv = bio_string(b);
    BIO_free(b);
    if (pub != NULL) {
        b = BIO_new(BIO_s_mem());
        if (b == NULL || PEM_write_bio_PUBKEY(b, k) != 1)
            die("PEM_write_bio_PUBKEY");
        *pub = bio_string(b);
        BIO_free(b);
    }
    EVP_PKEY_free(k);
}

/*-----------------------------------------------------------------------------
 * Handlers
 */

static void google_error(struct fake_http_reply *rp, unsigned status, const char *gstatus, const char *message,
                         const char *fcm_code, bool token_field)
{
    json_t *e = json_pack("{s:i, s:s, s:s}", "code", (int)status, "message", message, "status", gstatus);
    if (fcm_code != NULL) {
        json_t *d = json_pack("[{s:s, s:s}]", "@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                              "errorCode", fcm_code);
        if (token_field)
            json_array_append_new(d, json_pack("{s:s, s:[{s:s, s:s}]}", "@type",
                                               "type.googleapis.com/google.rpc.BadRequest", "fieldViolations",
                                               "field", "message.token", "description", "Invalid registration token"));
        json_object_set_new(e, "details", d);
    }
    fake_http_reply_json(rp, status, json_pack("{s:o}", "error", e));
}

static const char *claim(jwt_t *j, const char *name)
{
    const char *v = jwt_get_grant(j, name);
    return v != NULL ? v : "";
}

static void handle_token(struct fake_fcm *f, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    char grant[128], assertion[8192];
    const char *why = NULL;
    jwt_t *j = NULL;
    long now = (long)time(NULL);

    if (fake_http_form_value(rq->body, "grant_type", grant, sizeof grant) != 0 || strcmp(grant, GRANT) != 0) {
        fake_http_reply_json(rp, 400, json_pack("{s:s, s:s}", "error", "unsupported_grant_type", "error_description",
                                                "Invalid grant_type"));
        return;
    }
    if (fake_http_form_value(rq->body, "assertion", assertion, sizeof assertion) != 0)
        why = "Missing assertion.";
    else if (jwt_decode(&j, assertion, (const unsigned char *)f->public_pem, (int)strlen(f->public_pem)) != 0 ||
             j == NULL || jwt_get_alg(j) != JWT_ALG_RS256)
        why = "Invalid JWT Signature.";
    else if (strcmp(claim(j, "iss"), FAKE_FCM_CLIENT_EMAIL) != 0)
        why = "Invalid issuer.";
    else if (strcmp(claim(j, "scope"), SCOPE) != 0)
        why = "Invalid OAuth scope or ID token audience provided.";
    else if (strcmp(claim(j, "aud"), f->token_uri) != 0)
        why = "Invalid JWT audience.";
    else if (jwt_get_grant_int(j, "iat") > now + 60 || jwt_get_grant_int(j, "exp") <= now ||
             jwt_get_grant_int(j, "exp") - jwt_get_grant_int(j, "iat") > 3600)
        why = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.";
    jwt_free(j);
    if (why != NULL) {
        fake_http_reply_json(rp, 400, json_pack("{s:s, s:s}", "error", "invalid_grant", "error_description", why));
        return;
    }
    fake_http_lock(f->h);
    int n = ++f->issued, gen = f->generation;
    fake_http_unlock(f->h);
    char tok[64];
    snprintf(tok, sizeof tok, "ya29.fake-%d-%d", gen, n);
    fake_http_reply_json(rp, 200,
                         json_pack("{s:s, s:i, s:s}", "access_token", tok, "expires_in", 3599, "token_type", "Bearer"));
}

static bool token_live(struct fake_fcm *f, const char *auth)
{
    int gen = -1, n = 0;
    if (auth == NULL || sscanf(auth, "Bearer ya29.fake-%d-%d", &gen, &n) != 2)
        return false;
    fake_http_lock(f->h);
    bool ok = gen == f->generation && n >= 1 && n <= f->issued;
    fake_http_unlock(f->h);
    return ok;
}

static void handle_send(struct fake_fcm *f, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    const char *ct = fake_http_header(rq, "Content-Type");
    if (!token_live(f, fake_http_header(rq, "Authorization")))
        return google_error(rp, 401, "UNAUTHENTICATED",
                            "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                            "cookie or other valid authentication credential.",
                            NULL, false);
    fake_http_lock(f->h);
    unsigned fail = f->fail_next;
    f->fail_next = 0;
    fake_http_unlock(f->h);
    if (fail != 0)
        return google_error(rp, fail, fail == 429 ? "RESOURCE_EXHAUSTED" : fail == 503 ? "UNAVAILABLE" : "INTERNAL",
                            "Temporary failure", fail == 429 ? "QUOTA_EXCEEDED" : fail == 503 ? "UNAVAILABLE"
                                                                                              : "INTERNAL",
                            false);
    json_t *b = ct != NULL && strncmp(ct, "application/json", 16) == 0 ? json_loads(rq->body, 0, NULL) : NULL;
    json_t *m = json_object_get(b, "message");
    const char *token = json_string_value(json_object_get(m, "token"));
    json_t *data = json_object_get(m, "data"), *notif = json_object_get(m, "notification");
    const char *bad = NULL;
    if (!json_is_object(m) || token == NULL)
        bad = "Recipient of the message is not set.";
    else if (notif != NULL && (!json_is_object(notif) || !json_is_string(json_object_get(notif, "title")) ||
                               !json_is_string(json_object_get(notif, "body"))))
        bad = "Invalid value at 'message.notification'";
    else if (data != NULL) {
        const char *k;
        json_t *v;
        if (!json_is_object(data))
            bad = "Invalid value at 'message.data'";
        json_object_foreach(data, k, v) {
            if (!json_is_string(v))
                bad = "Invalid value at 'message.data[0].value' (TYPE_STRING)";
        }
    }
    if (bad != NULL) {
        json_decref(b);
        return google_error(rp, 400, "INVALID_ARGUMENT", bad, "INVALID_ARGUMENT", false);
    }
    bool dead = false;
    fake_http_lock(f->h);
    for (int i = 0; i < f->ndead; i++)
        dead = dead || strcmp(f->dead[i], token) == 0;
    bool malformed = strncmp(token, "malformed", 9) == 0;
    int n = dead || malformed ? 0 : ++f->accepted;
    fake_http_unlock(f->h);
    json_decref(b);
    if (dead)
        return google_error(rp, 404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED", false);
    if (malformed)
        return google_error(rp, 400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token",
                            "INVALID_ARGUMENT", true);
    char name[200];
    snprintf(name, sizeof name, "projects/%s/messages/0:%d%%fake", f->project, n);
    fake_http_reply_json(rp, 200, json_pack("{s:s}", "name", name));
}

static void handle(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    struct fake_fcm *f = ctx;
    if (strcmp(rq->method, "POST") == 0 && strcmp(rq->path, "/token") == 0)
        return handle_token(f, rq, rp);
    if (strcmp(rq->method, "POST") == 0 && strcmp(rq->path, f->send_path) == 0)
        return handle_send(f, rq, rp);
    google_error(rp, 404, "NOT_FOUND", "Not found", NULL, false);
}

/*-----------------------------------------------------------------------------
 * Life cycle and knobs
 */

struct fake_fcm *fake_fcm_start(const char *project_id)
{
    struct fake_fcm *f = calloc(1, sizeof *f);
    if (f == NULL)
        die("out of memory");
    snprintf(f->project, sizeof f->project, "%s", project_id);
    snprintf(f->send_path, sizeof f->send_path, "/v1/projects/%s/messages:send", project_id);
    make_key(&f->private_pem, &f->public_pem);
    make_key(&f->other_private_pem, NULL);
    f->h = fake_http_start(handle, f);
    snprintf(f->token_uri, sizeof f->token_uri, "%s/token", fake_http_url(f->h));
    return f;
}

void fake_fcm_stop(struct fake_fcm *f)
{
    if (f == NULL)
        return;
    fake_http_stop(f->h);
    free(f->private_pem);
    free(f->public_pem);
    free(f->other_private_pem);
    free(f);
}

const char *fake_fcm_url(const struct fake_fcm *f)
{
    return fake_http_url(f->h);
}

struct fake_http *fake_fcm_http(struct fake_fcm *f)
{
    return f->h;
}

void fake_fcm_write_credentials(struct fake_fcm *f, const char *path, bool sign_with_other_key)
{
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "service_account", "project_id",
                            f->project, "private_key_id", "0123456789abcdef0123456789abcdef01234567", "private_key",
                            sign_with_other_key ? f->other_private_pem : f->private_pem, "client_email",
                            FAKE_FCM_CLIENT_EMAIL, "client_id", "100000000000000000001", "token_uri", f->token_uri);
    if (doc == NULL || json_dump_file(doc, path, JSON_INDENT(2)) != 0)
        die("cannot write the credentials file");
    json_decref(doc);
}

void fake_fcm_kill_token(struct fake_fcm *f, const char *token)
{
    fake_http_lock(f->h);
    if (f->ndead < MAX_DEAD)
        snprintf(f->dead[f->ndead++], sizeof f->dead[0], "%s", token);
    fake_http_unlock(f->h);
}

void fake_fcm_revoke_access_tokens(struct fake_fcm *f)
{
    fake_http_lock(f->h);
    f->generation++;
    fake_http_unlock(f->h);
}

void fake_fcm_fail_next(struct fake_fcm *f, unsigned status)
{
    fake_http_lock(f->h);
    f->fail_next = status;
    fake_http_unlock(f->h);
}

int fake_fcm_tokens_issued(struct fake_fcm *f)
{
    fake_http_lock(f->h);
    int n = f->issued;
    fake_http_unlock(f->h);
    return n;
}

int fake_fcm_accepted(struct fake_fcm *f)
{
    fake_http_lock(f->h);
    int n = f->accepted;
    fake_http_unlock(f->h);
    return n;
}
