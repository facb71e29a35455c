/*
 * fake_oidc.c — a local OpenID Connect provider for the API tests (see fake_oidc.h).
 *
 * Design: one libmicrohttpd daemon with its own polling thread; all fake
 * state (issued codes, token tweaks, counters) sits under one mutex because
 * the test thread changes it while the daemon thread serves.
 *
 * Caveats: test code, so allocation failures abort and sizes are small and
 * fixed (at most 64 outstanding codes).
 */
#include "api/fake_oidc.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <pthread.h>
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
    struct MHD_Daemon *d;
    char url[64];
    char client_id[128], client_secret[128];
    EVP_PKEY *key;
    char *jwks_json;
    char *pem; /* public key PEM: the HS256 key-confusion secret */
    pthread_mutex_t lock;
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
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", t->iss ? t->iss : f->url, "sub", t->sub ? t->sub : "sub-1",
                  "aud", t->aud ? t->aud : f->client_id, "iat", (json_int_t)now, "exp",
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
struct conn {
    char *body;
    size_t len;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype, const char *body,
                             const char *location)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    if (location)
        MHD_add_response_header(r, "Location", location);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result oauth_error(struct MHD_Connection *c, unsigned status, const char *code)
{
    char buf[128];
    snprintf(buf, sizeof buf, "{\"error\":\"%s\"}", code);
    return reply(c, status, "application/json", buf, NULL);
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

static enum MHD_Result handle_authorize(struct fake_oidc *f, struct MHD_Connection *c)
{
    const char *rt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "response_type");
    const char *cid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "client_id");
    const char *ru = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "redirect_uri");
    const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
    const char *nonce = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "nonce");
    const char *ch = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "code_challenge");
    const char *chm = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "code_challenge_method");
    const char *scope = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "scope");
    if (!rt || strcmp(rt, "code") != 0 || !cid || strcmp(cid, f->client_id) != 0 || !ru || !state || !nonce || !ch ||
        !chm || strcmp(chm, "S256") != 0 || strlen(ch) != 43 || !scope || !strstr(scope, "openid") ||
        strlen(ru) >= 400 || strlen(nonce) >= 128)
        return reply(c, 400, "text/plain", "bad authorization request", NULL);
    char loc[1024];
    snprintf(loc, sizeof loc, "%s", ru);
    pthread_mutex_lock(&f->lock);
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
    pthread_mutex_unlock(&f->lock);
    put_param(loc, sizeof loc, "state", state);
    return reply(c, 302, "text/plain", "", loc);
}

/* Decode one application/x-www-form-urlencoded value of name from body into out. */
static bool form_value(const char *body, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = body;
    while (p && *p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t o = 0;
            for (size_t i = nl + 1; i < len && o + 1 < cap; i++) {
                if (p[i] == '%' && i + 2 < len) {
                    char hex[3] = {p[i + 1], p[i + 2], 0};
                    out[o++] = (char)strtol(hex, NULL, 16);
                    i += 2;
                } else {
                    out[o++] = p[i] == '+' ? ' ' : p[i];
                }
            }
            out[o] = '\0';
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

static enum MHD_Result handle_token(struct fake_oidc *f, struct MHD_Connection *c, const char *body)
{
    char gt[64], cid[128], sec[128], code[64], ru[512], ver[256];
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    pthread_mutex_lock(&f->lock);
    f->token_calls++;
    bool fail = f->tw.token_error;
    pthread_mutex_unlock(&f->lock);
    if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0)
        return oauth_error(c, 400, "invalid_request");
    if (!form_value(body, "grant_type", gt, sizeof gt) || strcmp(gt, "authorization_code") != 0)
        return oauth_error(c, 400, "unsupported_grant_type");
    if (!form_value(body, "client_id", cid, sizeof cid) || !form_value(body, "client_secret", sec, sizeof sec) ||
        strcmp(cid, f->client_id) != 0 || strcmp(sec, f->client_secret) != 0)
        return oauth_error(c, 401, "invalid_client");
    if (fail || !form_value(body, "code", code, sizeof code) || !form_value(body, "redirect_uri", ru, sizeof ru) ||
        !form_value(body, "code_verifier", ver, sizeof ver))
        return oauth_error(c, 400, "invalid_grant");

    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)ver, strlen(ver));
    char *challenge = b64url(digest, sizeof digest);
    char nonce[128] = "";
    bool ok = false;
    pthread_mutex_lock(&f->lock);
    for (int i = 0; i < MAX_CODES; i++) {
        struct issued_code *ic = &f->codes[i];
        if (ic->code[0] && strcmp(ic->code, code) == 0) {
            ok = !ic->used && strcmp(ic->redirect_uri, ru) == 0 && strcmp(ic->challenge, challenge) == 0;
            ic->used = true;
            snprintf(nonce, sizeof nonce, "%s", ic->nonce);
        }
    }
    char *idt = ok ? sign_token(f, nonce) : NULL;
    pthread_mutex_unlock(&f->lock);
    free(challenge);
    if (!ok)
        return oauth_error(c, 400, "invalid_grant");
    json_t *res = json_pack("{s:s, s:s, s:s, s:i}", "access_token", "fake-access-token", "id_token", idt, "token_type",
                            "Bearer", "expires_in", 3600);
    char *text = json_dumps(res, JSON_COMPACT);
    enum MHD_Result r = reply(c, 200, "application/json", text, NULL);
    free(text);
    free(idt);
    json_decref(res);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct fake_oidc *f = cls;
    struct conn *cn = *con_cls;
    if (cn == NULL) {
        cn = calloc(1, sizeof *cn);
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (cn->len + *upload_size < 65536) {
            cn->body = realloc(cn->body, cn->len + *upload_size + 1);
            memcpy(cn->body + cn->len, upload, *upload_size);
            cn->len += *upload_size;
            cn->body[cn->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/authorize") == 0)
        return handle_authorize(f, c);
    if (strcmp(method, "POST") == 0 && strcmp(url, "/token") == 0)
        return handle_token(f, c, cn->body ? cn->body : "");
    if (strcmp(method, "GET") == 0 && strcmp(url, "/jwks") == 0) {
        pthread_mutex_lock(&f->lock);
        f->jwks_calls++;
        pthread_mutex_unlock(&f->lock);
        return reply(c, 200, "application/json", f->jwks_json, NULL);
    }
    return reply(c, 404, "text/plain", "not found", NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct conn *cn = *con_cls;
    if (cn != NULL) {
        free(cn->body);
        free(cn);
        *con_cls = NULL;
    }
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
    pthread_mutex_init(&f->lock, NULL);
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

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, f, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, f, MHD_OPTION_END);
    if (f->d == NULL)
        die("MHD_start_daemon");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", (unsigned)info->port);
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
    MHD_stop_daemon(f->d);
    clear_tweaks(f);
    EVP_PKEY_free(f->key);
    free(f->jwks_json);
    free(f->pem);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

const char *fake_oidc_url(const struct fake_oidc *f)
{
    return f->url;
}

void fake_oidc_set(struct fake_oidc *f, const struct fake_oidc_token *t)
{
    pthread_mutex_lock(&f->lock);
    clear_tweaks(f);
    if (t != NULL) {
        f->tw = *t;
        const char **fields[] = {&f->tw.sub, &f->tw.email, &f->tw.name, &f->tw.iss,
                                 &f->tw.aud, &f->tw.nonce, &f->tw.alg,  &f->tw.kid};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (*fields[i] != NULL)
                *fields[i] = f->tw_strings[i] = strdup(*fields[i]);
    }
    pthread_mutex_unlock(&f->lock);
}

int fake_oidc_token_calls(struct fake_oidc *f)
{
    pthread_mutex_lock(&f->lock);
    int n = f->token_calls;
    pthread_mutex_unlock(&f->lock);
    return n;
}

int fake_oidc_jwks_calls(struct fake_oidc *f)
{
    pthread_mutex_lock(&f->lock);
    int n = f->jwks_calls;
    pthread_mutex_unlock(&f->lock);
    return n;
}
