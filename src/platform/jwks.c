/*
 * jwks.c — JWKS fetch and cache, RS256 signature verification (OpenSSL 3).
 *
 * Design: the cache holds an array of (kid, EVP_PKEY) under `lock`. A
 * verifier takes a reference to the key it needs (EVP_PKEY_up_ref) and
 * verifies outside the lock. Fetches are serialised by a second mutex,
 * `fetch_lock`, held across the HTTP call, so verifiers whose key is cached
 * never wait behind a slow provider, and a burst of tokens with a new kid
 * causes one fetch, not one per token. After taking fetch_lock a thread
 * looks again: another thread may have fetched meanwhile.
 *
 * RSA public keys are built from the JWK's n and e (big-endian base64url)
 * with OSSL_PARAM_BLD and EVP_PKEY_fromdata, and RS256 is
 * EVP_DigestVerify with SHA-256 and the default PKCS#1 v1.5 padding.
 *
 * Caveats: the set is replaced wholesale on each successful fetch. Keys of
 * other types (EC, oct) are ignored, as are keys whose "use" is not "sig"
 * or whose "alg" is present and not RS256.
 */
#include "platform/jwks.h"

#include "platform/httpc.h"

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/timeutil.h"

#define JWKS_TTL_MS (60 * 60 * 1000)    /* how long a fetched set is trusted */
#define JWKS_MIN_REFETCH_MS (60 * 1000) /* at most one fetch per minute */
#define JWKS_MAX_BYTES (256 * 1024)     /* a key set larger than this is refused */
#define JWKS_MAX_KEYS 32
#define JWT_MAX_LEN (16 * 1024)
#define RSA_MIN_BITS 2048

struct jwk {
    char *kid; /* "" when the key has none */
    EVP_PKEY *pkey;
};

struct jwks {
    char *url;
    pthread_mutex_t lock;       /* keys, nkeys, fetched_at, tried_at */
    pthread_mutex_t fetch_lock; /* held across a fetch */
    struct jwk *keys;
    size_t nkeys;
    int64_t fetched_at; /* last successful fetch, ms; 0: never */
    int64_t tried_at;   /* last fetch attempt, ms; 0: never */
};

/*-----------------------------------------------------------------------------
 * Lifetime
 */
struct jwks *jwks_new(const char *url)
{
    struct jwks *k = xcalloc(1, sizeof *k);
    k->url = xstrdup(url);
    pthread_mutex_init(&k->lock, NULL);
    pthread_mutex_init(&k->fetch_lock, NULL);
    return k;
}

static void keys_free(struct jwk *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(keys[i].kid);
        EVP_PKEY_free(keys[i].pkey);
    }
    free(keys);
}

void jwks_free(struct jwks *k)
{
    if (k == NULL)
        return;
    keys_free(k->keys, k->nkeys);
    pthread_mutex_destroy(&k->lock);
    pthread_mutex_destroy(&k->fetch_lock);
    free(k->url);
    free(k);
}

/*-----------------------------------------------------------------------------
 * Base64url and keys
 */

/* Decode base64url without padding into a new heap buffer (caller frees); NULL if malformed. */
static unsigned char *b64url_decode(const char *s, size_t slen, size_t *out_len)
{
    size_t cap = slen / 4 * 3 + 3;
    unsigned char *out = xmalloc(cap + 1);
    const char *end = NULL;
    if (sodium_base642bin(out, cap, s, slen, NULL, out_len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != s + slen) {
        free(out);
        return NULL;
    }
    out[*out_len] = '\0';
    return out;
}

static BIGNUM *b64url_bn(const char *s)
{
    size_t n = 0;
    unsigned char *bin = s ? b64url_decode(s, strlen(s), &n) : NULL;
    if (bin == NULL || n == 0) {
        free(bin);
        return NULL;
    }
    BIGNUM *bn = BN_bin2bn(bin, (int)n, NULL);
    free(bin);
    return bn;
}

/* The RSA public key (n, e), or NULL if the values are malformed or the modulus is too small. */
static EVP_PKEY *rsa_from_jwk(const char *n64, const char *e64)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    BIGNUM *n = b64url_bn(n64), *e = b64url_bn(e64);

    if (n == NULL || e == NULL || BN_num_bits(n) < RSA_MIN_BITS || BN_num_bits(n) > 8192)
        goto out;
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

/* Parse a JWKS document into a new key array (caller frees with keys_free). Returns the count, or -1. */
static long parse_jwks(const char *text, size_t len, struct jwk **out)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    json_t *arr = doc ? json_object_get(doc, "keys") : NULL;
    long n = -1;
    if (!json_is_array(arr))
        goto out;
    struct jwk *keys = xcalloc(JWKS_MAX_KEYS, sizeof *keys);
    n = 0;
    size_t i;
    json_t *jwk;
    json_array_foreach(arr, i, jwk)
    {
        if (n == JWKS_MAX_KEYS)
            break;
        const char *kty = json_string_value(json_object_get(jwk, "kty"));
        const char *use = json_string_value(json_object_get(jwk, "use"));
        const char *alg = json_string_value(json_object_get(jwk, "alg"));
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        if (kty == NULL || strcmp(kty, "RSA") != 0 || (use && strcmp(use, "sig") != 0) ||
            (alg && strcmp(alg, "RS256") != 0))
            continue;
        EVP_PKEY *pkey =
            rsa_from_jwk(json_string_value(json_object_get(jwk, "n")), json_string_value(json_object_get(jwk, "e")));
        if (pkey == NULL)
            continue;
        keys[n].kid = xstrdup(kid ? kid : "");
        keys[n].pkey = pkey;
        n++;
    }
    *out = keys;
out:
    json_decref(doc);
    return n;
}

/*-----------------------------------------------------------------------------
 * Fetching
 */
/* GET the key set and replace the cached keys. Called with fetch_lock held (not lock). 0 or -1. */
static int fetch(struct jwks *k)
{
    struct httpc_body b = {.max = JWKS_MAX_BYTES};
    struct jwk *keys = NULL;
    long status = 0, n = -1;
    CURL *h = curl_easy_init();
    if (h == NULL)
        goto out;
    curl_easy_setopt(h, CURLOPT_URL, k->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "artistry-cart");
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
        log_warn("jwks fetch failed", "url=%s curl=%s status=%ld", k->url,
                 b.too_big ? "key set too large" : curl_easy_strerror(rc), status);
        goto out;
    }
    n = parse_jwks(b.data ? b.data : "", b.len, &keys);
    if (n <= 0) {
        log_warn("jwks fetch failed", "url=%s: no usable RS256 keys in the key set", k->url);
        keys_free(keys, n > 0 ? (size_t)n : 0);
        n = -1;
        goto out;
    }
    pthread_mutex_lock(&k->lock);
    struct jwk *old = k->keys;
    size_t nold = k->nkeys;
    k->keys = keys;
    k->nkeys = (size_t)n;
    k->fetched_at = time_now_ms();
    pthread_mutex_unlock(&k->lock);
    keys_free(old, nold);
out:
    if (h != NULL)
        curl_easy_cleanup(h);
    httpc_body_free(&b);
    return n > 0 ? 0 : -1;
}

/*
 * Find the key for kid (NULL: the only key) and take a reference. *stale is
 * set when the set is older than the TTL. Called with lock held.
 */
static EVP_PKEY *lookup_locked(struct jwks *k, const char *kid, bool *stale)
{
    *stale = k->fetched_at == 0 || time_now_ms() - k->fetched_at > JWKS_TTL_MS;
    EVP_PKEY *found = NULL;
    if (kid == NULL) {
        if (k->nkeys == 1)
            found = k->keys[0].pkey;
    } else {
        for (size_t i = 0; i < k->nkeys; i++)
            if (strcmp(k->keys[i].kid, kid) == 0) {
                found = k->keys[i].pkey;
                break;
            }
    }
    if (found != NULL)
        EVP_PKEY_up_ref(found);
    return found;
}

/*
 * The key for kid (a new reference), fetching the set when it is stale or
 * lacks the kid and the last attempt is a minute old; NULL if there is none.
 * *fetch_failed is set when no key could be had because the set is
 * unreachable (or was never fetched).
 */
static EVP_PKEY *key_for(struct jwks *k, const char *kid, bool *fetch_failed)
{
    bool stale;
    *fetch_failed = false;
    pthread_mutex_lock(&k->lock);
    EVP_PKEY *key = lookup_locked(k, kid, &stale);
    pthread_mutex_unlock(&k->lock);
    if (key != NULL && !stale)
        return key;
    EVP_PKEY_free(key);

    pthread_mutex_lock(&k->fetch_lock);
    /* Look again: another thread may have fetched while this one waited. */
    pthread_mutex_lock(&k->lock);
    int64_t now = time_now_ms();
    key = lookup_locked(k, kid, &stale);
    bool need = (key == NULL || stale) && (k->tried_at == 0 || now - k->tried_at >= JWKS_MIN_REFETCH_MS);
    bool never = k->fetched_at == 0;
    if (need)
        k->tried_at = now;
    pthread_mutex_unlock(&k->lock);

    if (need && fetch(k) == 0) {
        EVP_PKEY_free(key);
        pthread_mutex_lock(&k->lock);
        key = lookup_locked(k, kid, &stale);
        pthread_mutex_unlock(&k->lock);
    } else if (key == NULL && (need || never)) {
        *fetch_failed = true;
    }
    pthread_mutex_unlock(&k->fetch_lock);
    return key;
}

/*-----------------------------------------------------------------------------
 * Verification
 */
static bool rs256_ok(EVP_PKEY *key, const char *signing_input, size_t input_len, const unsigned char *sig,
                     size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md != NULL && (size_t)EVP_PKEY_get_size(key) == sig_len &&
              EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)signing_input, input_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static json_t *decode_json_part(const char *s, size_t len)
{
    size_t n = 0;
    unsigned char *bin = b64url_decode(s, len, &n);
    if (bin == NULL)
        return NULL;
    json_error_t jerr;
    json_t *v = json_loadb((const char *)bin, n, JSON_REJECT_DUPLICATES, &jerr);
    free(bin);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

enum jwks_result jwks_verify_rs256(struct jwks *k, const char *token, json_t **claims, const char **why)
{
    enum jwks_result res = JWKS_INVALID;
    json_t *header = NULL, *payload = NULL;
    unsigned char *sig = NULL;
    EVP_PKEY *key = NULL;
    size_t tlen = token ? strlen(token) : 0;
    const char *dot1 = token ? memchr(token, '.', tlen) : NULL;
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', tlen - (size_t)(dot1 + 1 - token)) : NULL;

    *why = "malformed token";
    if (tlen == 0 || tlen > JWT_MAX_LEN || dot2 == NULL || memchr(dot2 + 1, '.', tlen - (size_t)(dot2 + 1 - token)))
        goto out;
    header = decode_json_part(token, (size_t)(dot1 - token));
    if (header == NULL)
        goto out;
    const char *alg = json_string_value(json_object_get(header, "alg"));
    if (alg == NULL || strcmp(alg, "RS256") != 0) {
        *why = "alg is not RS256";
        goto out;
    }
    if (json_object_get(header, "crit") != NULL) {
        *why = "critical header extensions are not supported";
        goto out;
    }
    json_t *jkid = json_object_get(header, "kid");
    if (jkid != NULL && !json_is_string(jkid))
        goto out;
    size_t sig_len = 0;
    const char *sig64 = dot2 + 1;
    sig = b64url_decode(sig64, tlen - (size_t)(sig64 - token), &sig_len);
    if (sig == NULL || sig_len == 0)
        goto out;

    bool fetch_failed = false;
    key = key_for(k, json_string_value(jkid), &fetch_failed);
    if (key == NULL) {
        res = fetch_failed ? JWKS_UNAVAILABLE : JWKS_INVALID;
        *why = fetch_failed ? "key set unavailable" : "no key with this kid";
        goto out;
    }
    if (!rs256_ok(key, token, (size_t)(dot2 - token), sig, sig_len)) {
        *why = "bad signature";
        goto out;
    }
    payload = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (payload == NULL) {
        *why = "malformed payload";
        goto out;
    }
    *claims = payload;
    payload = NULL;
    *why = NULL;
    res = JWKS_OK;
out:
    EVP_PKEY_free(key);
    free(sig);
    json_decref(header);
    json_decref(payload);
    return res;
}
