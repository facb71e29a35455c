/*
 * test_tokens.c — access-token signing and verification (auth_tokens.c):
 * every refusal the authenticator relies on, and key rotation.
 *
 * Forged tokens are built by hand (base64url + HMAC from libsodium), so the
 * tests do not depend on libjwt producing them.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/ids.h"
#include "services/auth/auth_core_int.h"

#define S1 "0123456789abcdef0123456789abcdef-one"
#define S2 "fedcba9876543210fedcba9876543210-two"
#define NOW 1800000000

static struct arena A;

static void setup(void)
{
    arena_init(&A, 0);
    cr_assert(sodium_init() >= 0);
}

static void teardown(void)
{
    arena_destroy(&A);
}

TestSuite(tokens, .init = setup, .fini = teardown);

static struct auth_keys *keys(const char *spec, const char *active)
{
    char err[256] = "";
    struct auth_keys *k = auth__keys_parse(spec, active, err, sizeof err);
    cr_assert(k != NULL, "keys %s: %s", spec, err);
    return k;
}

static struct auth_claims claims(void)
{
    struct auth_claims c = {
        .sub = id_new(&A, "usr"),
        .role = "buyer",
        .sid = id_new(&A, "ses"),
        .jti = "jti-1234567890",
        .iat = NOW,
        .exp = NOW + 900,
    };
    return c;
}

static int verify(const struct auth_keys *k, const char *tok, const char **why)
{
    struct auth_claims out;
    const char *w = NULL;
    int rc = auth__jwt_verify(k, tok, NOW + 1, &A, &out, &w);
    if (why)
        *why = w;
    return rc;
}

static char *b64(const void *data, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = arena_alloc(&A, cap);
    sodium_bin2base64(s, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

/* header.payload signed with HMAC-SHA256 under key (or unsigned when key is NULL: trailing '.'). */
static char *forge(const char *header_json, const char *payload_json, const char *key)
{
    char *hp = arena_sprintf(&A, "%s.%s", b64(header_json, strlen(header_json)), b64(payload_json, strlen(payload_json)));
    if (key == NULL)
        return arena_sprintf(&A, "%s.", hp);
    unsigned char mac[32];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)hp, strlen(hp));
    crypto_auth_hmacsha256_final(&st, mac);
    return arena_sprintf(&A, "%s.%s", hp, b64(mac, sizeof mac));
}

static char *payload(int64_t iat, int64_t exp)
{
    return arena_sprintf(&A,
                         "{\"sub\":\"%s\",\"role\":\"buyer\",\"sid\":\"%s\",\"jti\":\"abc\",\"iat\":%lld,\"exp\":%lld}",
                         id_new(&A, "usr"), id_new(&A, "ses"), (long long)iat, (long long)exp);
}

Test(tokens, sign_and_verify_round_trip)
{
    struct auth_keys *k = keys("k1:" S1, NULL);
    struct auth_claims c = claims();
    char *tok = auth__jwt_sign(k, &c, &A);
    cr_assert(tok != NULL);
    struct auth_claims out;
    const char *why = NULL;
    cr_assert_eq(auth__jwt_verify(k, tok, NOW + 1, &A, &out, &why), 0, "%s", why);
    cr_assert_str_eq(out.sub, c.sub);
    cr_assert_str_eq(out.sid, c.sid);
    cr_assert_str_eq(out.role, "buyer");
    cr_assert_str_eq(out.jti, c.jti);
    cr_assert_str_eq(out.kid, "k1");
    cr_assert_eq(out.exp, NOW + 900);
    cr_assert_eq(out.iat, NOW);
    /* The header names the kid and HS256. */
    char *dot = strchr(tok, '.');
    unsigned char hdr[256];
    size_t n = 0;
    cr_assert_eq(sodium_base642bin(hdr, sizeof hdr - 1, tok, (size_t)(dot - tok), NULL, &n, NULL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                 0);
    hdr[n] = 0;
    cr_assert(strstr((char *)hdr, "\"kid\":\"k1\"") && strstr((char *)hdr, "\"alg\":\"HS256\""), "%s", hdr);
    auth__keys_free(k);
}

Test(tokens, hand_made_token_with_right_key_verifies)
{
    /* Sanity check of forge(): the refusals below are for the stated reason, not a bad forgery. */
    struct auth_keys *k = keys("k1:" S1, NULL);
    const char *why = NULL;
    char *tok = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}", payload(NOW, NOW + 60), S1);
    cr_assert_eq(verify(k, tok, &why), 0, "%s", why);
    auth__keys_free(k);
}

Test(tokens, alg_none_refused)
{
    struct auth_keys *k = keys("k1:" S1, NULL);
    const char *why;
    char *p = payload(NOW, NOW + 60);
    cr_assert_eq(verify(k, forge("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k1\"}", p, NULL), &why), -1);
    cr_assert_eq(verify(k, forge("{\"alg\":\"none\",\"kid\":\"k1\"}", p, S1), &why), -1);
    cr_assert_eq(verify(k, forge("{\"alg\":\"None\",\"kid\":\"k1\"}", p, S1), &why), -1);
    cr_assert_eq(verify(k, forge("{\"kid\":\"k1\"}", p, S1), &why), -1);
    auth__keys_free(k);
}

Test(tokens, other_algorithms_refused)
{
    struct auth_keys *k = keys("k1:" S1, NULL);
    char *p = payload(NOW, NOW + 60);
    const char *algs[] = {"HS512", "HS384", "RS256", "ES256", "PS256", "hs256", "HS256 "};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        const char *why = NULL;
        char *h = arena_sprintf(&A, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"k1\"}", algs[i]);
        cr_assert_eq(verify(k, forge(h, p, S1), &why), -1, "alg %s accepted", algs[i]);
        cr_assert_str_eq(why, "algorithm not allowed");
    }
    /* alg given twice (duplicate keys) is malformed */
    cr_assert_eq(verify(k, forge("{\"alg\":\"HS256\",\"alg\":\"none\",\"kid\":\"k1\"}", p, S1), NULL), -1);
    /* typ other than JWT, or a crit header */
    cr_assert_eq(verify(k, forge("{\"alg\":\"HS256\",\"typ\":\"JWE\",\"kid\":\"k1\"}", p, S1), NULL), -1);
    cr_assert_eq(verify(k, forge("{\"alg\":\"HS256\",\"crit\":[\"x\"],\"kid\":\"k1\"}", p, S1), NULL), -1);
    auth__keys_free(k);
}

Test(tokens, wrong_key_and_unknown_kid_refused)
{
    struct auth_keys *k = keys("k1:" S1, NULL);
    char *p = payload(NOW, NOW + 60);
    const char *why = NULL;
    cr_assert_eq(verify(k, forge("{\"alg\":\"HS256\",\"kid\":\"k1\"}", p, S2), &why), -1);
    cr_assert_str_eq(why, "bad signature");
    cr_assert_eq(verify(k, forge("{\"alg\":\"HS256\",\"kid\":\"k9\"}", p, S1), &why), -1);
    cr_assert_str_eq(why, "unknown kid");
    cr_assert_eq(verify(k, forge("{\"alg\":\"HS256\"}", p, S1), &why), -1);
    cr_assert_str_eq(why, "unknown kid");
    auth__keys_free(k);
}

Test(tokens, expired_and_future_refused)
{
    struct auth_keys *k = keys("k1:" S1, NULL);
    const char *why = NULL;
    const char *h = "{\"alg\":\"HS256\",\"kid\":\"k1\"}";
    cr_assert_eq(verify(k, forge(h, payload(NOW - 1000, NOW - 100), S1), &why), -1);
    cr_assert_str_eq(why, "expired");
    cr_assert_eq(verify(k, forge(h, payload(NOW - 1000, NOW + 1), S1), &why), -1); /* exp == now */
    cr_assert_eq(verify(k, forge(h, payload(NOW + 3600, NOW + 4000), S1), &why), -1);
    cr_assert_str_eq(why, "bad iat");
    /* Signed by us, but checked after it expired */
    struct auth_claims c = claims();
    char *tok = auth__jwt_sign(k, &c, &A);
    struct auth_claims out;
    cr_assert_eq(auth__jwt_verify(k, tok, NOW + 900, &A, &out, &why), -1);
    cr_assert_eq(auth__jwt_verify(k, tok, NOW + 899, &A, &out, &why), 0);
    auth__keys_free(k);
}

Test(tokens, tampered_payload_and_signature_refused)
{
    struct auth_keys *k = keys("k1:" S1, NULL);
    struct auth_claims c = claims();
    char *tok = auth__jwt_sign(k, &c, &A);
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    /* Payload replaced by one claiming admin, signature kept */
    char *adm = arena_sprintf(&A,
                              "{\"sub\":\"%s\",\"role\":\"admin\",\"sid\":\"%s\",\"jti\":\"%s\",\"iat\":%d,\"exp\":%d}",
                              c.sub, c.sid, c.jti, NOW, NOW + 900);
    char *t1 = arena_sprintf(&A, "%.*s.%s%s", (int)(dot1 - tok), tok, b64(adm, strlen(adm)), dot2);
    const char *why;
    cr_assert_eq(verify(k, t1, &why), -1);
    cr_assert_str_eq(why, "bad signature");
    /* One character of the payload flipped */
    char *t2 = arena_strdup(&A, tok);
    t2[dot1 - tok + 5] = t2[dot1 - tok + 5] == 'A' ? 'B' : 'A';
    cr_assert_eq(verify(k, t2, NULL), -1);
    /* Signature flipped, truncated, removed, extended */
    char *t3 = arena_strdup(&A, tok);
    size_t n = strlen(t3);
    t3[n - 3] = t3[n - 3] == 'A' ? 'B' : 'A';
    cr_assert_eq(verify(k, t3, NULL), -1);
    cr_assert_eq(verify(k, arena_strndup(&A, tok, n - 4), NULL), -1);
    cr_assert_eq(verify(k, arena_strndup(&A, tok, (size_t)(dot2 - tok) + 1), NULL), -1);
    cr_assert_eq(verify(k, arena_sprintf(&A, "%sAAAA", tok), NULL), -1);
    /* Extra segment, bad characters, padding, empty */
    cr_assert_eq(verify(k, arena_sprintf(&A, "%s.x", tok), NULL), -1);
    cr_assert_eq(verify(k, arena_sprintf(&A, "%s=", tok), NULL), -1);
    cr_assert_eq(verify(k, "", NULL), -1);
    cr_assert_eq(verify(k, "..", NULL), -1);
    cr_assert_eq(verify(k, tok, NULL), 0);
    auth__keys_free(k);
}

Test(tokens, missing_or_mistyped_claims_refused)
{
    struct auth_keys *k = keys("k1:" S1, NULL);
    const char *h = "{\"alg\":\"HS256\",\"kid\":\"k1\"}";
    const char *usr = id_new(&A, "usr"), *ses = id_new(&A, "ses");
    const char *bodies[] = {
        arena_sprintf(&A, "{\"role\":\"buyer\",\"sid\":\"%s\",\"jti\":\"a\",\"iat\":%d,\"exp\":%d}", ses, NOW, NOW + 60),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"sid\":\"%s\",\"jti\":\"a\",\"iat\":%d,\"exp\":%d}", usr, ses, NOW, NOW + 60),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"role\":\"buyer\",\"jti\":\"a\",\"iat\":%d,\"exp\":%d}", usr, NOW, NOW + 60),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"role\":\"buyer\",\"sid\":\"%s\",\"iat\":%d,\"exp\":%d}", usr, ses, NOW, NOW + 60),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"role\":\"buyer\",\"sid\":\"%s\",\"jti\":\"a\",\"exp\":%d}", usr, ses, NOW + 60),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"role\":\"buyer\",\"sid\":\"%s\",\"jti\":\"a\",\"iat\":%d}", usr, ses, NOW),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"role\":\"buyer\",\"sid\":\"%s\",\"jti\":\"a\",\"iat\":%d,\"exp\":\"%d\"}", usr, ses, NOW, NOW + 60),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"role\":\"buyer\",\"sid\":\"%s\",\"jti\":\"a\",\"iat\":%d,\"exp\":%d.5}", usr, ses, NOW, NOW + 60),
        arena_sprintf(&A, "{\"sub\":42,\"role\":\"buyer\",\"sid\":\"%s\",\"jti\":\"a\",\"iat\":%d,\"exp\":%d}", ses, NOW, NOW + 60),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"role\":\"root\",\"sid\":\"%s\",\"jti\":\"a\",\"iat\":%d,\"exp\":%d}", usr, ses, NOW, NOW + 60),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"role\":\"buyer\",\"sid\":\"%s\",\"jti\":\"a\",\"iat\":%d,\"exp\":%d}", ses, ses, NOW, NOW + 60),
        arena_sprintf(&A, "{\"sub\":\"%s\",\"role\":\"buyer\",\"sid\":\"%s\",\"jti\":\"\",\"iat\":%d,\"exp\":%d}", usr, ses, NOW, NOW + 60),
        "[1,2,3]",
        "not json",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        cr_assert_eq(verify(k, forge(h, bodies[i], S1), NULL), -1, "body %zu accepted: %s", i, bodies[i]);
    auth__keys_free(k);
}

Test(tokens, key_rotation)
{
    struct auth_keys *old = keys("k1:" S1, NULL);
    struct auth_claims c = claims();
    char *t1 = auth__jwt_sign(old, &c, &A);

    /* Both keys configured, k2 signs: the k1 token still verifies, new tokens use k2. */
    struct auth_keys *both = keys("k1:" S1 ",k2:" S2, "k2");
    cr_assert_eq(verify(both, t1, NULL), 0);
    char *t2 = auth__jwt_sign(both, &c, &A);
    struct auth_claims out;
    const char *why;
    cr_assert_eq(auth__jwt_verify(both, t2, NOW + 1, &A, &out, &why), 0);
    cr_assert_str_eq(out.kid, "k2");
    cr_assert_eq(verify(old, t2, NULL), -1);

    /* k1 removed: its tokens no longer verify. */
    struct auth_keys *new = keys("k2:" S2, NULL);
    cr_assert_eq(verify(new, t1, &why), -1);
    cr_assert_str_eq(why, "unknown kid");
    cr_assert_eq(verify(new, t2, NULL), 0);
    /* Same kid, different secret (a key replaced without a new kid): refused. */
    struct auth_keys *swapped = keys("k1:" S2, NULL);
    cr_assert_eq(verify(swapped, t1, NULL), -1);
    auth__keys_free(old);
    auth__keys_free(both);
    auth__keys_free(new);
    auth__keys_free(swapped);
}

Test(tokens, key_spec_parsing)
{
    char err[256];
    cr_assert_null(auth__keys_parse("", NULL, err, sizeof err));
    cr_assert_null(auth__keys_parse("k1:short", NULL, err, sizeof err));
    cr_assert(strstr(err, "at least 32") != NULL, "%s", err);
    cr_assert_null(auth__keys_parse("nocolon", NULL, err, sizeof err));
    cr_assert_null(auth__keys_parse("bad kid:" S1, NULL, err, sizeof err));
    cr_assert_null(auth__keys_parse("k1:" S1 ",k1:" S2, NULL, err, sizeof err));
    cr_assert_null(auth__keys_parse("k1:" S1, "k2", err, sizeof err));
    struct auth_keys *k = auth__keys_parse(" k1:" S1 " , k2:" S2 " ", "k2", err, sizeof err);
    cr_assert(k != NULL, "%s", err);
    cr_assert_eq(k->n, 2);
    cr_assert_eq(k->active, 1);
    cr_assert_eq(k->keys[0].len, strlen(S1));
    auth__keys_free(k);
}

Test(tokens, refresh_tokens_are_random_and_hashed)
{
    char *a = auth__refresh_token_new(&A), *b = auth__refresh_token_new(&A);
    cr_assert_eq(strlen(a), 43);
    cr_assert_str_neq(a, b);
    char *h = auth__token_hash(a, &A);
    cr_assert_eq(strlen(h), 64);
    cr_assert_str_eq(h, auth__token_hash(a, &A));
    cr_assert_str_neq(h, auth__token_hash(b, &A));
    cr_assert_str_eq(auth__token_hash("abc", &A), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
