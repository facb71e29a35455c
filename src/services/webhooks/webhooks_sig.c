/*
 * webhooks_sig.c — endpoint secrets and delivery signatures.
 *
 * The scheme (docs/WEBHOOKS.md, whose test vectors
 * tests/unit/services/test_webhook_sig.c checks against this code):
 *   signed payload  "<t>.<raw body>", t = unix seconds of the attempt
 *   key             the secret string's bytes, "whsec_" prefix included
 *   signature       lowercase hex HMAC-SHA256
 *   header          Artistry-Signature: t=<t>,v1=<sig>[,v1=<sig of the
 *                   previous secret during a rotation's grace period>]
 * The key is the secret exactly as shown to the user, so a receiver needs
 * no decoding step.
 *
 * Caveats: secrets are stored usable (they sign), not hashed: see the
 * webhook_endpoints comment in migrations/0001_core.sql.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "services/webhooks/webhooks_int.h"

void webhooks_sign(const char *secret, int64_t t, const char *body, size_t len, char out[WH_SIG_HEX_LEN])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[32];
    int n = snprintf(ts, sizeof ts, "%" PRId64 ".", t);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, (unsigned long long)len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, WH_SIG_HEX_LEN, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

char *webhooks_signature_header(const char *secret, const char *previous, int64_t t, const char *body, size_t len,
                                char *buf, size_t cap)
{
    char a[WH_SIG_HEX_LEN], b[WH_SIG_HEX_LEN];
    webhooks_sign(secret, t, body, len, a);
    if (previous != NULL && previous[0] != '\0') {
        webhooks_sign(previous, t, body, len, b);
        snprintf(buf, cap, "t=%" PRId64 ",v1=%s,v1=%s", t, a, b);
    } else {
        snprintf(buf, cap, "t=%" PRId64 ",v1=%s", t, a);
    }
    return buf;
}

char *webhooks__new_secret(char *buf, size_t cap)
{
    unsigned char raw[32];
    char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    random_bytes(raw, sizeof raw);
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(buf, cap, "whsec_%s", b64);
    sodium_memzero(raw, sizeof raw);
    return buf;
}
