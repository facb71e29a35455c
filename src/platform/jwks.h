/*
 * jwks.h — JSON Web Key Sets fetched over HTTP, and RS256 JWT verification.
 *
 * An OpenID provider publishes its signing keys at a JWKS URL. A struct jwks
 * caches the RSA keys of one such URL by key id, in memory, for an hour; a
 * token naming a kid the cache does not know makes it fetch the set again,
 * at most once a minute (so forged kids cannot turn us into a fetch
 * amplifier). A failed refresh keeps the keys it had.
 *
 * Only RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) is accepted.
 * The algorithm comes from the token header but is checked against that one
 * value before any key is used, so "none", HS256 signed with the public key
 * (key confusion) and anything else are refused. Keys under 2048 bits are
 * ignored.
 *
 * Caveats: fetching blocks (connect timeout 5 s, total 10 s): call
 * jwks_verify_rs256() only from offloaded work or jobs, never on a request
 * thread. The cache lifetime is fixed; Cache-Control from the provider is
 * not consulted.
 */
#ifndef ARTISTRY_PLATFORM_JWKS_H
#define ARTISTRY_PLATFORM_JWKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct jwks;

/**
 * A key-set cache for url (copied). Nothing is fetched until the first
 * verification. The caller owns the result; release with jwks_free().
 */
struct jwks *jwks_new(const char *url);

/** Release the cache and its keys. NULL is a no-op. Not while another thread uses it. */
void jwks_free(struct jwks *k);

/** Outcome of jwks_verify_rs256(). */
enum jwks_result {
    JWKS_OK = 0,
    JWKS_INVALID = -1,     /* malformed token, wrong alg, unknown kid, bad signature */
    JWKS_UNAVAILABLE = -2, /* the key set could not be fetched and no cached key applies */
};

/**
 * Verify the compact JWS `token`: header alg must be "RS256", the key is
 * the one named by the header's kid (or the set's only key when the token
 * has no kid), and the signature must verify. On success returns JWKS_OK
 * and stores the payload object in *claims (a new reference: the caller
 * json_decref()s it). On failure *why points at a static reason for the log
 * ("alg is not RS256", "bad signature", ...) and *claims is untouched.
 * Claims (iss, aud, exp...) are NOT checked here. Thread-safe; may block on
 * a fetch.
 */
enum jwks_result jwks_verify_rs256(struct jwks *k, const char *token, json_t **claims, const char **why);

#endif
