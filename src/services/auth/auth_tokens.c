/*
 * auth_tokens.c — signing keys, access tokens (JWT HS256) and refresh tokens.
 *
 * Access tokens are compact JWTs signed with HMAC-SHA256 by libjwt, with the
 * signing key's id in the `kid` header so keys can rotate: every configured
 * key verifies, the active one signs. Claims: sub (user id), role, sid
 * (auth_sessions row), jti (for the deny-list), iat, exp.
 *
 * Verification does not trust libjwt with the dangerous parts. libjwt 1.10
 * accepts `alg: none` when no key is given and picks the algorithm from the
 * token header, so before libjwt sees a token we: decode the header
 * ourselves and require alg == "HS256" exactly and a known kid; compute the
 * HMAC with that key and compare it in constant time (sodium_memcmp). Only
 * then is the token handed to jwt_decode() with the key (which checks the
 * signature again) and jwt_get_alg() checked. Claims are read from the
 * decoded JSON with strict types; libjwt 1.10 does not check exp at all.
 *
 * Refresh tokens are 256 random bits, base64url; only their SHA-256 is
 * stored, so a database leak does not yield usable tokens.
 *
 * Caveats: secrets are the raw bytes after "kid:" in jwt_keys, so they cannot
 * contain ','; use at least 32 random bytes (e.g. `openssl rand -base64 32`).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/ids.h"
#include "base/log.h"
#include "services/auth/auth_core_int.h"

#define JWT_MAX_LEN 4096
#define IAT_LEEWAY_S 60
#define LOCAL_KID "local"

/*-----------------------------------------------------------------------------
 * Key sets
 */

static bool kid_ok(const char *s, size_t n)
{
    if (n == 0 || n >= AUTH_KID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

void auth__keys_free(struct auth_keys *k)
{
    if (k == NULL)
        return;
    for (size_t i = 0; i < k->n; i++) {
        if (k->keys[i].secret != NULL) {
            sodium_memzero(k->keys[i].secret, k->keys[i].len);
            free(k->keys[i].secret);
        }
    }
    free(k->keys);
    free(k);
}

struct auth_keys *auth__keys_parse(const char *spec, const char *active_kid, char *errbuf, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(errbuf, errlen, "libsodium failed to initialise");
        return NULL;
    }
    struct auth_keys *k = xcalloc(1, sizeof *k);
    size_t cap = 0;
    const char *p = spec ? spec : "";
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\n' || p[n - 1] == '\r'))
            n--;
        const char *colon = memchr(p, ':', n);
        if (colon == NULL || !kid_ok(p, (size_t)(colon - p))) {
            snprintf(errbuf, errlen, "jwt_keys: entry %zu is not kid:secret with kid [A-Za-z0-9._-]{1,63}", k->n + 1);
            goto fail;
        }
        size_t kidlen = (size_t)(colon - p), slen = n - kidlen - 1;
        if (slen < AUTH_MIN_KEY_BYTES) {
            snprintf(errbuf, errlen, "jwt_keys: the secret of kid %.*s is %zu bytes; at least %d are required",
                     (int)kidlen, p, slen, AUTH_MIN_KEY_BYTES);
            goto fail;
        }
        for (size_t i = 0; i < k->n; i++) {
            if (strlen(k->keys[i].kid) == kidlen && memcmp(k->keys[i].kid, p, kidlen) == 0) {
                snprintf(errbuf, errlen, "jwt_keys: kid %.*s appears twice", (int)kidlen, p);
                goto fail;
            }
        }
        if (k->n == cap) {
            cap = cap ? cap * 2 : 4;
            k->keys = xrealloc(k->keys, cap * sizeof *k->keys);
        }
        struct auth_key *key = &k->keys[k->n++];
        memset(key, 0, sizeof *key);
        memcpy(key->kid, p, kidlen);
        key->secret = xmalloc(slen);
        memcpy(key->secret, colon + 1, slen);
        key->len = slen;
        p = end ? end + 1 : p + strlen(p);
    }
    if (k->n == 0) {
        snprintf(errbuf, errlen, "jwt_keys: no key");
        goto fail;
    }
    k->active = 0;
    if (active_kid != NULL && *active_kid != '\0') {
        size_t i;
        for (i = 0; i < k->n && strcmp(k->keys[i].kid, active_kid) != 0; i++)
            ;
        if (i == k->n) {
            snprintf(errbuf, errlen, "jwt_active_kid %s is not one of jwt_keys", active_kid);
            goto fail;
        }
        k->active = i;
    }
    return k;
fail:
    auth__keys_free(k);
    return NULL;
}

/* Read the local key file into buf; 0, or -1 (errno set). Waits briefly for a concurrent creator to finish. */
static int read_key_file(const char *path, char *buf, size_t cap)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            return -1;
        struct stat stbuf;
        if (fstat(fd, &stbuf) == 0 && (stbuf.st_mode & 077) != 0)
            log_warn("the JWT key file is readable by other users; chmod 600 it", "%s", path);
        ssize_t n = read(fd, buf, cap - 1);
        close(fd);
        if (n < 0)
            return -1;
        buf[n] = '\0';
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
            buf[--n] = '\0';
        if (n >= AUTH_MIN_KEY_BYTES)
            return 0;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    errno = EINVAL;
    return -1;
}

static int create_key_file(const char *path)
{
    unsigned char raw[32];
    char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING) + 1];
    random_bytes(raw, sizeof raw);
    sodium_bin2base64(text, sizeof text - 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    size_t len = strlen(text);
    text[len++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
    close(fd);
    sodium_memzero(text, sizeof text);
    if (rc != 0)
        unlink(path);
    return rc;
}

struct auth_keys *auth__keys_load(const struct config *cfg)
{
    char errbuf[256];
    struct auth_keys *k = NULL;
    if (cfg->jwt_keys != NULL && *cfg->jwt_keys != '\0') {
        k = auth__keys_parse(cfg->jwt_keys, cfg->jwt_active_kid, errbuf, sizeof errbuf);
        if (k == NULL)
            log_error("invalid JWT key configuration", "%s", errbuf);
        return k;
    }
    const char *dir = cfg->data_dir && *cfg->data_dir ? cfg->data_dir : ".";
    char path[4096];
    snprintf(path, sizeof path, "%s/jwt.key", dir);
    (void)mkdir(dir, 0700);
    char secret[256];
    if (read_key_file(path, secret, sizeof secret) != 0) {
        if (errno != ENOENT || (create_key_file(path) != 0 && errno != EEXIST) ||
            read_key_file(path, secret, sizeof secret) != 0) {
            log_error("cannot read or create the local JWT key", "%s: %s", path, strerror(errno));
            return NULL;
        }
        log_info("generated a local JWT signing key", "%s", path);
    }
    if (cfg->jwt_active_kid != NULL && *cfg->jwt_active_kid != '\0' && strcmp(cfg->jwt_active_kid, LOCAL_KID) != 0) {
        log_error("jwt_active_kid is set but jwt_keys is empty", "%s", cfg->jwt_active_kid);
        sodium_memzero(secret, sizeof secret);
        return NULL;
    }
    char spec[300];
    snprintf(spec, sizeof spec, LOCAL_KID ":%s", secret);
    sodium_memzero(secret, sizeof secret);
    k = auth__keys_parse(spec, NULL, errbuf, sizeof errbuf);
    sodium_memzero(spec, sizeof spec);
    if (k == NULL) {
        log_error("the local JWT key file is unusable", "%s: %s", path, errbuf);
        return NULL;
    }
    log_warn("jwt_keys is not configured: tokens are signed with a key kept in data_dir; production must set "
             "jwt_keys (ARTISTRY_JWT_KEYS) shared by every instance",
             "%s", path);
    return k;
}

static const struct auth_key *find_key(const struct auth_keys *k, const char *kid)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->keys[i].kid, kid) == 0)
            return &k->keys[i];
    return NULL;
}

/*-----------------------------------------------------------------------------
 * Access tokens
 */

char *auth__jwt_sign(const struct auth_keys *k, const struct auth_claims *c, struct arena *a)
{
    const struct auth_key *key = &k->keys[k->active];
    jwt_t *j = NULL;
    char *out = NULL, *s = NULL;
    if (jwt_new(&j) != 0)
        goto out;
    if (jwt_add_grant(j, "sub", c->sub) != 0 || jwt_add_grant(j, "role", c->role) != 0 ||
        jwt_add_grant(j, "sid", c->sid) != 0 || jwt_add_grant(j, "jti", c->jti) != 0 ||
        jwt_add_grant_int(j, "iat", (long)c->iat) != 0 || jwt_add_grant_int(j, "exp", (long)c->exp) != 0 ||
        jwt_add_header(j, "kid", key->kid) != 0 ||
        jwt_set_alg(j, JWT_ALG_HS256, key->secret, (int)key->len) != 0)
        goto out;
    s = jwt_encode_str(j);
    if (s != NULL)
        out = arena_strdup(a, s);
out:
    if (out == NULL)
        log_error("cannot sign an access token", "errno %d", errno);
    free(s);
    jwt_free(j);
    return out;
}

/* Decode one base64url segment (no padding) into buf; returns its length or -1. */
static long b64url_decode(const char *seg, size_t len, unsigned char *buf, size_t cap)
{
    size_t out = 0;
    if (len == 0 ||
        sodium_base642bin(buf, cap, seg, len, NULL, &out, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    return (long)out;
}

/* The string member `name` of o copied into a, or NULL if absent/not a non-empty string of at most max bytes. */
static const char *claim_str(json_t *o, const char *name, size_t max, struct arena *a)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v))
        return NULL;
    size_t n = json_string_length(v);
    if (n == 0 || n > max || strlen(json_string_value(v)) != n)
        return NULL;
    return arena_strdup(a, json_string_value(v));
}

static bool claim_int(json_t *o, const char *name, int64_t *out)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_integer(v))
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

int auth__jwt_verify(const struct auth_keys *k, const char *token, int64_t now_s, struct arena *a,
                     struct auth_claims *out, const char **why)
{
    json_t *hdr = NULL, *claims = NULL;
    jwt_t *j = NULL;
    char *grants = NULL;
    int rc = -1;
    unsigned char buf[JWT_MAX_LEN];
    memset(out, 0, sizeof *out);
    *why = "malformed";

    size_t len = token ? strlen(token) : 0;
    if (len == 0 || len > JWT_MAX_LEN)
        goto out;
    const char *dot1 = NULL, *dot2 = NULL;
    for (size_t i = 0; i < len; i++) {
        char c = token[i];
        if (c == '.') {
            if (dot2 != NULL)
                goto out; /* more than three segments: a JWE or garbage */
            if (dot1 == NULL)
                dot1 = token + i;
            else
                dot2 = token + i;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '_')) {
            goto out;
        }
    }
    if (dot1 == NULL || dot2 == NULL || dot2[1] == '\0')
        goto out; /* an empty signature is what alg "none" produces */

    /* 1. The header, decoded by us: only HS256 with a known key. */
    long n = b64url_decode(token, (size_t)(dot1 - token), buf, sizeof buf);
    if (n < 0 || (hdr = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
        !json_is_object(hdr))
        goto out;
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    if (alg == NULL || strcmp(alg, "HS256") != 0) {
        *why = "algorithm not allowed";
        goto out;
    }
    json_t *typ = json_object_get(hdr, "typ");
    if (json_object_get(hdr, "crit") != NULL || (typ != NULL && !(json_is_string(typ) &&
                                                                   strcmp(json_string_value(typ), "JWT") == 0))) {
        *why = "unsupported header";
        goto out;
    }
    const char *kid = json_string_value(json_object_get(hdr, "kid"));
    const struct auth_key *key = kid ? find_key(k, kid) : NULL;
    if (key == NULL) {
        *why = "unknown kid";
        goto out;
    }

    /* 2. The signature, checked by us in constant time. */
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key->secret, key->len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, (unsigned long long)(dot2 - token));
    crypto_auth_hmacsha256_final(&st, mac);
    n = b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), buf, sizeof buf);
    if (n != (long)sizeof mac || sodium_memcmp(mac, buf, sizeof mac) != 0) {
        *why = "bad signature";
        goto out;
    }

    /* 3. libjwt parses it, with the key (never NULL), and must agree on the algorithm. */
    if (jwt_decode(&j, token, key->secret, (int)key->len) != 0 || j == NULL || jwt_get_alg(j) != JWT_ALG_HS256) {
        *why = "rejected by libjwt";
        goto out;
    }
    grants = jwt_get_grants_json(j, NULL);
    if (grants == NULL || (claims = json_loads(grants, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
        !json_is_object(claims))
        goto out;

    /* 4. Claims, strictly typed. */
    out->sub = claim_str(claims, "sub", ID_MAX_LEN, a);
    out->role = claim_str(claims, "role", 16, a);
    out->sid = claim_str(claims, "sid", ID_MAX_LEN, a);
    out->jti = claim_str(claims, "jti", 64, a);
    out->kid = arena_strdup(a, key->kid);
    if (out->sub == NULL || out->role == NULL || out->sid == NULL || out->jti == NULL ||
        !claim_int(claims, "iat", &out->iat) || !claim_int(claims, "exp", &out->exp)) {
        *why = "missing claims";
        goto out;
    }
    if (!id_valid(out->sub, "usr") || !id_valid(out->sid, "ses") ||
        (strcmp(out->role, "buyer") != 0 && strcmp(out->role, "seller") != 0 && strcmp(out->role, "admin") != 0)) {
        *why = "malformed claims";
        goto out;
    }
    if (out->exp <= now_s) {
        *why = "expired";
        goto out;
    }
    if (out->iat > now_s + IAT_LEEWAY_S || out->exp <= out->iat) {
        *why = "bad iat";
        goto out;
    }
    rc = 0;
    *why = NULL;
out:
    if (rc != 0) {
        out->sub = out->role = out->sid = out->jti = out->kid = NULL;
    }
    free(grants);
    jwt_free(j);
    json_decref(hdr);
    json_decref(claims);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Refresh tokens and ids
 */

static char *random_b64(struct arena *a, size_t nbytes)
{
    unsigned char raw[64];
    APP_ASSERT(nbytes <= sizeof raw);
    random_bytes(raw, nbytes);
    size_t cap = sodium_base64_ENCODED_LEN(nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = arena_alloc(a, cap);
    sodium_bin2base64(s, cap, raw, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return s;
}

char *auth__refresh_token_new(struct arena *a)
{
    return random_b64(a, 32);
}

char *auth__jti_new(struct arena *a)
{
    return random_b64(a, 16);
}

char *auth__token_hash(const char *token, struct arena *a)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    char *hex = arena_alloc(a, sizeof h * 2 + 1);
    sodium_bin2hex(hex, sizeof h * 2 + 1, h, sizeof h);
    return hex;
}
