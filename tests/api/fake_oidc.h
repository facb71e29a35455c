/*
 * fake_oidc.h — a local OpenID Connect provider for the API tests.
 *
 * An HTTP server (libmicrohttpd, in the test process) on 127.0.0.1 and a
 * free port, speaking the real wire format:
 *   GET  /authorize  checks client_id, response_type=code, S256 challenge;
 *                    remembers (code → redirect_uri, challenge, nonce) and
 *                    answers 302 to redirect_uri?code=…&state=… (or
 *                    ?error=access_denied&state=… when told to refuse)
 *   POST /token      form body: checks grant_type, client_id/secret, the
 *                    code (single use), redirect_uri and that
 *                    BASE64URL(SHA256(code_verifier)) equals the challenge
 *                    (real PKCE); answers {access_token, id_token,
 *                    token_type, expires_in} or 400 {"error": "invalid_grant"}
 *   GET  /jwks       the RSA public key as a JWK (kid "k1")
 * ID tokens are signed RS256 with an RSA-2048 key made at start; struct
 * fake_oidc_token bends the next tokens (wrong nonce, issuer, alg none…).
 * The issuer is the fake's base URL.
 */
#ifndef ARTISTRY_TESTS_FAKE_OIDC_H
#define ARTISTRY_TESTS_FAKE_OIDC_H

#include <stdbool.h>

struct fake_oidc;

/** How the next ID tokens look; zero means "normal". Strings are copied. */
struct fake_oidc_token {
    const char *sub;       /* NULL: "sub-1" */
    const char *email;     /* NULL: no email claim */
    int email_verified;    /* 0: absent, 1: true, 2: the string "true" (Apple), -1: false */
    const char *name;      /* NULL: no name claim */
    const char *iss;       /* NULL: the fake's issuer */
    const char *aud;       /* NULL: the client id */
    const char *nonce;     /* NULL: the nonce given to /authorize */
    long exp_offset;       /* seconds from now; 0: +600 */
    const char *alg;       /* NULL/"RS256": signed; "none"; "HS256" (HMAC keyed with the public key PEM) */
    bool tamper;           /* corrupt the signature */
    const char *kid;       /* NULL: "k1" */
    bool refuse_authorize; /* /authorize redirects back with error=access_denied */
    bool token_error;      /* /token answers 400 invalid_grant */
};

/** Start the fake for this client. Aborts the test process on failure. */
struct fake_oidc *fake_oidc_start(const char *client_id, const char *client_secret);

/** Stop and free. NULL is a no-op. */
void fake_oidc_stop(struct fake_oidc *f);

/** Base URL ("http://127.0.0.1:<port>"), also the issuer. */
const char *fake_oidc_url(const struct fake_oidc *f);

/** Set how the next tokens look (NULL: back to normal). */
void fake_oidc_set(struct fake_oidc *f, const struct fake_oidc_token *t);

/** Requests /token and /jwks have served so far. */
int fake_oidc_token_calls(struct fake_oidc *f);
int fake_oidc_jwks_calls(struct fake_oidc *f);

#endif
