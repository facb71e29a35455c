/*
 * fake_oidc.c — a local OpenID Connect provider for the API tests (see fake_oidc.h).
 *
 * Design: built on fake_http (one libmicrohttpd daemon with its own polling
 * thread); all fake state (issued codes, token tweaks, counters) sits under
 * the fake_http mutex because the test thread changes it while the daemon
 * thread serves.
 *
 * Caveats: test code, so allocation failures abort and sizes are small and
 * fixed (at most 64 outstanding codes).
 */
#include "api/fake_oidc.h"

#include "api/fake_http.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CODES 64

struct issued_code {
    char code[64];
    char redirect_uri[512];
    char challenge[64];
    char nonce[128];
    bool used;
};

struct fake_oidc {
    struct fake_http *h;
    char client_id[128], client_secret[128];
    EVP_PKEY *key;
    char *jwks_json;
    char *pem; /* public key PEM: the HS256 key-confusion secret */
    struct issued_code codes[MAX_CODES];
    int ncodes, next_code;
    int token_calls, jwks_calls;
    /* token tweaks (owned copies) */
    struct fake_oidc_token tw;
    char *tw_strings[8];
};

static void die(const char *what)
{
    fprintf(stderr, "fake_oidc: %s\n", what);
    abort();
}

static char *b64url(const void *data, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);
    if (out == NULL)
        die("out of memory");
    sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static char *bn_b64url(const EVP_PKEY *key, const char *param)
{
    BIGNUM *bn = NULL;
    if (!EVP_PKEY_get_bn_param(key, param, &bn))
        die("EVP_PKEY_get_bn_param");
    int n = BN_num_bytes(bn);
    unsigned char *buf = malloc((size_t)n);
    BN_bn2bin(bn, buf);
    char *s = b64url(buf, (size_t)n);
    free(buf);
    BN_free(bn);
    return s;
}

/*-----------------------------------------------------------------------------
 * Tokens
 */
static char *sign_token(struct fake_oidc *f, const char *nonce_seen)
{
    struct fake_oidc_token *t = &f->tw;
    const char *alg = t->alg ? t->alg : "RS256";
    long now = (long)time(NULL);
    json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", alg, "typ", "JWT", "kid", t->kid ? t->kid : "k1");
    json_t *cl =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", t->iss ? t->iss : fake_http_url(f->h), "sub",
                  t->sub ? t->sub : "sub-1", "aud", t->aud ? t->aud : f->client_id, "iat", (json_int_t)now, "exp",
                  (json_int_t)(now + (t->exp_offset ? t->exp_offset : 600)), "nonce", t->nonce ? t->nonce : nonce_seen);
    if (t->email)
        json_object_set_new(cl, "email", json_string(t->email));
    if (t->email_verified == 1)
        json_object_set_new(cl, "email_verified", json_true());
    else if (t->email_verified == 2)
        json_object_set_new(cl, "email_verified", json_string("true"));
    else if (t->email_verified == -1)
        json_object_set_new(cl, "email_verified", json_false());
    if (t->name)
        json_object_set_new(cl, "name", json_string(t->name));
    char *h = json_dumps(hdr, JSON_COMPACT), *c = json_dumps(cl, JSON_COMPACT);
    char *h64 = b64url(h, strlen(h)), *c64 = b64url(c, strlen(c));
    size_t ilen = strlen(h64) + 1 + strlen(c64);
    char *input = malloc(ilen + 1);
    snprintf(input, ilen + 1, "%s.%s", h64, c64);

    unsigned char sig[1024];
    size_t siglen = 0;
    if (strcmp(alg, "RS256") == 0) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        siglen = sizeof sig;
        if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, f->key) != 1 ||
            EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, ilen) != 1)
            die("EVP_DigestSign");
        EVP_MD_CTX_free(md);
    } else if (strcmp(alg, "HS256") == 0) {
        unsigned int n = 0;
        HMAC(EVP_sha256(), f->pem, (int)strlen(f->pem), (unsigned char *)input, ilen, sig, &n);
        siglen = n;
    }
    if (t->tamper && siglen > 0)
        sig[siglen / 2] ^= 0x01;
    char *s64 = siglen ? b64url(sig, siglen) : strdup("");
    size_t tlen = ilen + 1 + strlen(s64);
    char *tok = malloc(tlen + 1);
    snprintf(tok, tlen + 1, "%s.%s", input, s64);
    free(s64);
    free(input);
    free(h64);
    free(c64);
    free(h);
    free(c);
    json_decref(hdr);
    json_decref(cl);
    return tok;
}

/*-----------------------------------------------------------------------------
 * HTTP
 */
/* Every answer also carries Cache-Control: no-store (added by on_request). */
static void oauth_error(struct fake_http_reply *rp, unsigned status, const char *code)
{
    char buf[128];
    snprintf(buf, sizeof buf, "{\"error\":\"%s\"}", code);
    fake_http_reply_text(rp, status, "application/json", buf);
}

/* Append "&name=value" percent-encoded. */
static void put_param(char *dst, size_t cap, const char *name, const char *value)
{
    size_t n = strlen(dst);
    n += (size_t)snprintf(dst + n, cap - n, "%s%s=", strchr(dst, '?') ? "&" : "?", name);
    for (const unsigned char *p = (const unsigned char *)value; *p && n + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
            dst[n++] = (char)*p;
        else
            n += (size_t)snprintf(dst + n, cap - n, "%%%02X", *p);
    }
    dst[n] = '\0';
}

static void handle_authorize(struct fake_oidc *f, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    const char *rt = fake_http_arg(rq, "response_type");
    const char *cid = fake_http_arg(rq, "client_id");
    const char *ru = fake_http_arg(rq, "redirect_uri");
    const char *state = fake_http_arg(rq, "state");
    const char *nonce = fake_http_arg(rq, "nonce");
    const char *ch = fake_http_arg(rq, "code_challenge");
    const char *chm = fake_http_arg(rq, "code_challenge_method");
    const char *scope = fake_http_arg(rq, "scope");
    if (!rt || strcmp(rt, "code") != 0 || !cid || strcmp(cid, f->client_id) != 0 || !ru || !state || !nonce || !ch ||
        !chm || strcmp(chm, "S256") != 0 || strlen(ch) != 43 || !scope || !strstr(scope, "openid") ||
        strlen(ru) >= 400 || strlen(nonce) >= 128)
        return fake_http_reply_text(rp, 400, "text/plain", "bad authorization request");
    char loc[1024];
    snprintf(loc, sizeof loc, "%s", ru);
    fake_http_lock(f->h);
    if (f->tw.refuse_authorize) {
        put_param(loc, sizeof loc, "error", "access_denied");
    } else {
        struct issued_code *ic = &f->codes[f->ncodes++ % MAX_CODES];
        memset(ic, 0, sizeof *ic);
        snprintf(ic->code, sizeof ic->code, "code-%d-%ld", ++f->next_code, (long)time(NULL));
        snprintf(ic->redirect_uri, sizeof ic->redirect_uri, "%s", ru);
        snprintf(ic->challenge, sizeof ic->challenge, "%s", ch);
        snprintf(ic->nonce, sizeof ic->nonce, "%s", nonce);
        put_param(loc, sizeof loc, "code", ic->code);
        put_param(loc, sizeof loc, "scope", "openid email profile");
    }
    fake_http_unlock(f->h);
    put_param(loc, sizeof loc, "state", state);
    fake_http_reply_text(rp, 302, "text/plain", "");
    fake_http_reply_header(rp, "Location", loc);
}

/* The url-decoded form field name of body into out (false when absent or too long). */
static bool form_value(const char *body, const char *name, char *out, size_t cap)
{
    return fake_http_form_value(body, name, out, cap) == 0;
}

static void handle_token(struct fake_oidc *f, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    char gt[64], cid[128], sec[128], code[64], ru[512], ver[256];
    const char *body = rq->body;
    const char *ct = fake_http_header(rq, "Content-Type");
    fake_http_lock(f->h);
    f->token_calls++;
    bool fail = f->tw.token_error;
    fake_http_unlock(f->h);
    if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0)
        return oauth_error(rp, 400, "invalid_request");
    if (!form_value(body, "grant_type", gt, sizeof gt) || strcmp(gt, "authorization_code") != 0)
        return oauth_error(rp, 400, "unsupported_grant_type");
    if (!form_value(body, "client_id", cid, sizeof cid) || !form_value(body, "client_secret", sec, sizeof sec) ||
        strcmp(cid, f->client_id) != 0 || strcmp(sec, f->client_secret) != 0)
        return oauth_error(rp, 401, "invalid_client");
    if (fail || !form_value(body, "code", code, sizeof code) || !form_value(body, "redirect_uri", ru, sizeof ru) ||
        !form_value(body, "code_verifier", ver, sizeof ver))
        return oauth_error(rp, 400, "invalid_grant");

    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)ver, strlen(ver));
    char *challenge = b64url(digest, sizeof digest);
    char nonce[128] = "";
    bool ok = false;
    fake_http_lock(f->h);
    for (int i = 0; i < MAX_CODES; i++) {
        struct issued_code *ic = &f->codes[i];
        if (ic->code[0] && strcmp(ic->code, code) == 0) {
            ok = !ic->used && strcmp(ic->redirect_uri, ru) == 0 && strcmp(ic->challenge, challenge) == 0;
            ic->used = true;
            snprintf(nonce, sizeof nonce, "%s", ic->nonce);
        }
    }
    char *idt = ok ? sign_token(f, nonce) : NULL;
    fake_http_unlock(f->h);
    free(challenge);
    if (!ok)
        return oauth_error(rp, 400, "invalid_grant");
    fake_http_reply_json(rp, 200,
                         json_pack("{s:s, s:s, s:s, s:i}", "access_token", "fake-access-token", "id_token", idt,
                                   "token_type", "Bearer", "expires_in", 3600));
    free(idt);
}

static void on_request(void *ctx, const struct fake_http_request *rq, struct fake_http_reply *rp)
{
    struct fake_oidc *f = ctx;
    if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path, "/authorize") == 0) {
        handle_authorize(f, rq, rp);
    } else if (strcmp(rq->method, "POST") == 0 && strcmp(rq->path, "/token") == 0) {
        handle_token(f, rq, rp);
    } else if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path, "/jwks") == 0) {
        fake_http_lock(f->h);
        f->jwks_calls++;
        fake_http_unlock(f->h);
        fake_http_reply_text(rp, 200, "application/json", f->jwks_json);
    } else {
        fake_http_reply_text(rp, 404, "text/plain", "not found");
    }
    fake_http_reply_header(rp, "Cache-Control", "no-store");
}

/*-----------------------------------------------------------------------------
 * Lifetime
 */
struct fake_oidc *fake_oidc_start(const char *client_id, const char *client_secret)
{
    struct fake_oidc *f = calloc(1, sizeof *f);
    if (f == NULL || sodium_init() < 0)
        die("init");
    snprintf(f->client_id, sizeof f->client_id, "%s", client_id);
    snprintf(f->client_secret, sizeof f->client_secret, "%s", client_secret);
    f->key = EVP_RSA_gen(2048);
    if (f->key == NULL)
        die("EVP_RSA_gen");
    char *n = bn_b64url(f->key, OSSL_PKEY_PARAM_RSA_N), *e = bn_b64url(f->key, OSSL_PKEY_PARAM_RSA_E);
    json_t *jwks = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}", "keys", "kty", "RSA", "kid", "k1", "use", "sig",
                             "alg", "RS256", "n", n, "e", e);
    f->jwks_json = json_dumps(jwks, JSON_COMPACT);
    json_decref(jwks);
    free(n);
    free(e);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, f->key);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    f->pem = strndup(data, (size_t)len);
    BIO_free(bio);
    struct fake_http_opts o = {.max_body = 65535};
    f->h = fake_http_start_opts(on_request, f, &o);
    return f;
}

static void clear_tweaks(struct fake_oidc *f)
{
    for (size_t i = 0; i < sizeof f->tw_strings / sizeof f->tw_strings[0]; i++) {
        free(f->tw_strings[i]);
        f->tw_strings[i] = NULL;
    }
    memset(&f->tw, 0, sizeof f->tw);
}

void fake_oidc_stop(struct fake_oidc *f)
{
    if (f == NULL)
        return;
    fake_http_stop(f->h);
    clear_tweaks(f);
    EVP_PKEY_free(f->key);
    free(f->jwks_json);
    free(f->pem);
    free(f);
}

const char *fake_oidc_url(const struct fake_oidc *f)
{
    return fake_http_url(f->h);
}

void fake_oidc_set(struct fake_oidc *f, const struct fake_oidc_token *t)
{
    fake_http_lock(f->h);
    clear_tweaks(f);
    if (t != NULL) {
        f->tw = *t;
        const char **fields[] = {&f->tw.sub, &f->tw.email, &f->tw.name, &f->tw.iss,
                                 &f->tw.aud, &f->tw.nonce, &f->tw.alg,  &f->tw.kid};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (*fields[i] != NULL)
                *fields[i] = f->tw_strings[i] = strdup(*fields[i]);
    }
    fake_http_unlock(f->h);
}

int fake_oidc_token_calls(struct fake_oidc *f)
{
    fake_http_lock(f->h);
    int n = f->token_calls;
    fake_http_unlock(f->h);
    return n;
}

int fake_oidc_jwks_calls(struct fake_oidc *f)
{
    fake_http_lock(f->h);
    int n = f->jwks_calls;
    fake_http_unlock(f->h);
    return n;
}
