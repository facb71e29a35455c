/*
 * auth_oauth_claims.c — the checks an OpenID Connect ID token's claims must
 * pass once its signature is verified (OIDC Core §3.1.3.7): issuer,
 * audience and authorised party, expiry / issue / not-before times with
 * LEEWAY_S of clock skew, the nonce of this sign-in, a subject; then the
 * identity it states (normalised email, whether the provider verified it,
 * a display name cut to DISPLAY_NAME_MAX bytes).
 */
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "base/arena.h"
#include "http/validate.h"
#include "services/auth/auth.h"
#include "services/auth/auth_int.h"
#include "services/auth/auth_oauth_int.h"

#define LEEWAY_S 60
#define DISPLAY_NAME_MAX 100

static bool aud_ok(json_t *claims, const char *client_id)
{
    json_t *aud = json_object_get(claims, "aud");
    const char *azp = json_string_value(json_object_get(claims, "azp"));
    bool found = false;
    if (json_is_string(aud)) {
        found = strcmp(json_string_value(aud), client_id) == 0;
    } else if (json_is_array(aud) && json_array_size(aud) > 0) {
        size_t i;
        json_t *v;
        json_array_foreach(aud, i, v)
        {
            if (!json_is_string(v))
                return false;
            if (strcmp(json_string_value(v), client_id) == 0)
                found = true;
        }
        /* OIDC Core §3.1.3.7: with several audiences the token must be for us as authorised party. */
        if (json_array_size(aud) > 1 && azp == NULL)
            return false;
    }
    if (json_object_get(claims, "azp") != NULL && (azp == NULL || strcmp(azp, client_id) != 0))
        return false;
    return found;
}

static bool num_claim(json_t *claims, const char *name, double *out)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

/* The normalised email (the same function every other sign-in path uses), or NULL if it is not an email. */
static const char *normalize_email(struct arena *a, const char *email)
{
    if (email == NULL || !email_valid(email))
        return NULL;
    return auth_email_normalize(email, a);
}

/* At most DISPLAY_NAME_MAX bytes of s, cut on a UTF-8 character boundary. */
static const char *clip_name(struct arena *a, const char *s, size_t n)
{
    if (n > DISPLAY_NAME_MAX) {
        n = DISPLAY_NAME_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return arena_strndup(a, s, n);
}

static int refuse(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

int auth__oauth_claims(struct arena *a, json_t *claims, const char *issuer, const char *client_id, const char *nonce,
                       int64_t now_s, struct identity *id, const char **why)
{
    double exp, iat, nbf;
    double now = (double)now_s;
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    const char *tok_nonce = json_string_value(json_object_get(claims, "nonce"));
    const char *sub = json_string_value(json_object_get(claims, "sub"));

    if (iss == NULL || strcmp(iss, issuer) != 0)
        return refuse(why, "the ID token comes from the wrong issuer");
    if (!aud_ok(claims, client_id))
        return refuse(why, "the ID token was issued for another client");
    if (!num_claim(claims, "exp", &exp) || now > exp + LEEWAY_S)
        return refuse(why, "the ID token has expired");
    if (!num_claim(claims, "iat", &iat) || iat > now + LEEWAY_S)
        return refuse(why, "the ID token's issue time is invalid");
    if (num_claim(claims, "nbf", &nbf) && nbf > now + LEEWAY_S)
        return refuse(why, "the ID token is not valid yet");
    if (tok_nonce == NULL || strlen(tok_nonce) != strlen(nonce) || sodium_memcmp(tok_nonce, nonce, strlen(nonce)) != 0)
        return refuse(why, "the ID token's nonce does not match this sign-in");
    if (sub == NULL || *sub == '\0' || strlen(sub) > 255)
        return refuse(why, "the ID token has no valid subject");

    id->sub = arena_strdup(a, sub);
    const char *email = json_string_value(json_object_get(claims, "email"));
    id->email_normalized = normalize_email(a, email);
    id->email = id->email_normalized ? arena_strdup(a, email) : NULL;
    json_t *ev = json_object_get(claims, "email_verified");
    /* Apple sends the string "true". */
    id->email_verified =
        id->email != NULL && (json_is_true(ev) || (json_is_string(ev) && strcmp(json_string_value(ev), "true") == 0));
    const char *name = json_string_value(json_object_get(claims, "name"));
    if (name != NULL && *name != '\0')
        id->name = clip_name(a, name, strlen(name));
    else if (id->email != NULL)
        id->name = clip_name(a, id->email, (size_t)(strchr(id->email, '@') - id->email));
    else
        id->name = "user";
    return 0;
}
