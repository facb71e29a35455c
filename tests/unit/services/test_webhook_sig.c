/*
 * test_webhook_sig.c — the webhook signature scheme (webhooks_sig.c)
 * against the test vectors published in docs/WEBHOOKS.md, read from that
 * file: if the code or the document changes alone, this fails. Also the
 * secret format and the registration-time URL rules (webhooks_net.c).
 *
 * The document is found at $ARTISTRY_SRC_ROOT/docs/WEBHOOKS.md, else
 * docs/WEBHOOKS.md from the working directory (scripts/test.sh runs from
 * the repository root).
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "services/webhooks/webhooks_int.h"

TestSuite(webhook_sig);

struct vector {
    int n;
    char secret[128], previous[128], timestamp[32], signature[300];
    char *body;
};

static char *read_doc(void)
{
    const char *root = getenv("ARTISTRY_SRC_ROOT");
    char path[512];
    snprintf(path, sizeof path, "%s%sdocs/WEBHOOKS.md", root ? root : "", root ? "/" : "");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (run from the repository root or set ARTISTRY_SRC_ROOT)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* Copy the rest of the line after prefix at p into out; returns the line's end. */
static const char *field(const char *p, const char *prefix, char *out, size_t cap)
{
    const char *eol = strchr(p, '\n');
    size_t len = (eol ? (size_t)(eol - p) : strlen(p)) - strlen(prefix);
    cr_assert_lt(len, cap, "%s too long in docs/WEBHOOKS.md", prefix);
    memcpy(out, p + strlen(prefix), len);
    out[len] = '\0';
    return eol ? eol : p + strlen(p);
}

/* Parse every "vector: N" block; returns how many (at most max). */
static int parse_vectors(const char *doc, struct vector *v, int max)
{
    int n = 0;
    const char *p = doc;
    while ((p = strstr(p, "\nvector: ")) != NULL && n < max) {
        struct vector *x = &v[n++];
        memset(x, 0, sizeof *x);
        x->n = atoi(p + 9);
        const char *end = strstr(p, "\n```");
        cr_assert_not_null(end, "vector %d has no closing fence", x->n);
        p = strchr(p + 1, '\n');
        while (p != NULL && p < end) {
            p++;
            char tmp[4096];
            if (strncmp(p, "secret: ", 8) == 0) {
                p = field(p, "secret: ", x->secret, sizeof x->secret);
            } else if (strncmp(p, "previous_secret: ", 17) == 0) {
                p = field(p, "previous_secret: ", x->previous, sizeof x->previous);
            } else if (strncmp(p, "timestamp: ", 11) == 0) {
                p = field(p, "timestamp: ", x->timestamp, sizeof x->timestamp);
            } else if (strncmp(p, "signature: ", 11) == 0) {
                p = field(p, "signature: ", x->signature, sizeof x->signature);
            } else if (strncmp(p, "body: ", 6) == 0) {
                p = field(p, "body: ", tmp, sizeof tmp);
                x->body = strdup(tmp);
            } else {
                p = strchr(p, '\n');
            }
        }
        cr_assert(x->secret[0] && x->timestamp[0] && x->signature[0] && x->body, "vector %d is incomplete", x->n);
        p = end;
    }
    return n;
}

Test(webhook_sig, reproduces_the_documented_vectors)
{
    char *doc = read_doc();
    struct vector v[16];
    int n = parse_vectors(doc, v, 16);
    cr_assert_geq(n, 4, "docs/WEBHOOKS.md publishes %d vectors, expected at least 4", n);
    bool saw_rotation = false, saw_utf8 = false;
    for (int i = 0; i < n; i++) {
        char got[300];
        long long t = atoll(v[i].timestamp);
        webhooks_signature_header(v[i].secret, v[i].previous[0] ? v[i].previous : NULL, t, v[i].body, strlen(v[i].body),
                                  got, sizeof got);
        cr_expect_str_eq(got, v[i].signature, "vector %d: got %s", v[i].n, got);
        /* The header's first v1 is webhooks_sign's output with the current secret. */
        char hex[WH_SIG_HEX_LEN];
        webhooks_sign(v[i].secret, t, v[i].body, strlen(v[i].body), hex);
        cr_expect_not_null(strstr(v[i].signature, hex), "vector %d: v1 not the HMAC of the secret", v[i].n);
        saw_rotation = saw_rotation || v[i].previous[0];
        for (const unsigned char *c = (const unsigned char *)v[i].body; *c; c++)
            saw_utf8 = saw_utf8 || *c >= 0x80;
        free(v[i].body);
    }
    cr_expect(saw_rotation, "no rotation (two v1) vector in the document");
    cr_expect(saw_utf8, "no non-ASCII body vector in the document");
    free(doc);
}

Test(webhook_sig, independent_hmac_and_body_sensitivity)
{
    /* Checked with libsodium's one-shot HMAC (a different code path) on a body with a NUL byte. */
    static const char body[] = "{\"a\":1}\0tail";
    const char *secret = "whsec_abc";
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"42.", 3);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, sizeof body - 1);
    crypto_auth_hmacsha256_final(&st, mac);
    char want[WH_SIG_HEX_LEN], got[WH_SIG_HEX_LEN], other[WH_SIG_HEX_LEN];
    sodium_bin2hex(want, sizeof want, mac, sizeof mac);
    webhooks_sign(secret, 42, body, sizeof body - 1, got);
    cr_assert_str_eq(got, want);
    webhooks_sign(secret, 43, body, sizeof body - 1, other);
    cr_assert_str_neq(got, other, "the timestamp must be signed");
    webhooks_sign(secret, 42, body, 7, other);
    cr_assert_str_neq(got, other, "every body byte must be signed");
}

Test(webhook_sig, secrets_are_random_and_well_formed)
{
    char a[80], b[80];
    webhooks__new_secret(a, sizeof a);
    webhooks__new_secret(b, sizeof b);
    cr_assert_eq(strncmp(a, "whsec_", 6), 0);
    cr_assert_eq(strlen(a), 6 + 43);
    for (const char *c = a + 6; *c; c++)
        cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *c), "%s", a);
    cr_assert_str_neq(a, b);
}

Test(webhook_sig, url_rules)
{
    struct config cfg;
    config_defaults(&cfg);
    static const char *const ok[] = {"https://hooks.example.com/artistry", "https://example.com:8443/x?y=1",
                                     "https://203.0.113.9/hook", NULL};
    static const char *const refused[] = {"http://hooks.example.com/x",
                                          "ftp://example.com/x",
                                          "not a url",
                                          "https://user:pw@example.com/",
                                          "https://example.com/#frag",
                                          "https://127.0.0.1/x",
                                          "https://localhost/x",
                                          "https://a.localhost./x",
                                          "https://10.1.2.3/x",
                                          "https://192.168.1.1/x",
                                          "https://172.20.0.1/x",
                                          "https://169.254.169.254/latest",
                                          "https://[::1]/x",
                                          "https://[fe80::1]/x",
                                          "https://[fd00::1]/x",
                                          "https://[::ffff:127.0.0.1]/x",
                                          "https://2130706433/x",
                                          "https://0x7f.1/x",
                                          "https://0.0.0.0/x",
                                          "https://100.64.0.1/x",
                                          NULL};
    for (int i = 0; ok[i]; i++)
        cr_expect_null(webhooks__check_url(&cfg, ok[i]), "%s refused: %s", ok[i], webhooks__check_url(&cfg, ok[i]));
    for (int i = 0; refused[i]; i++)
        cr_expect_not_null(webhooks__check_url(&cfg, refused[i]), "%s accepted", refused[i]);
    cfg.webhooks_allow_http = true;
    cfg.webhooks_allow_private = true;
    cr_expect_null(webhooks__check_url(&cfg, "http://127.0.0.1:19600/hook"));
    cr_expect_not_null(webhooks__check_url(&cfg, "gopher://127.0.0.1/"));
    config_free(&cfg);
}
