/*
 * test_media_s3.c — the media service on an S3-compatible store: the fake
 * S3 (fake_s3.h) checks every request's SigV4 signature, so these tests
 * show that our requests are signed right, that objects land where they
 * should, and that a store refusing us (wrong secret) is a clean 502
 * without hurting the server.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/fake_s3.h"
#include "api/media_testlib.h"
#include "api_client.h"

/* Suite "media" is declared in test_media.c; each test here names its own fini and timeout. */

#define BUCKET "artistry-media"
#define REGION "eu-west-3"
#define ACCESS "AKIAFAKEEXAMPLE"
#define SECRET "fake/secret+key=for-tests"

struct s3env {
    char env[5][256];
    const char *envp[7];
};

static struct api_server *start_with_s3(struct fake_s3 *f, const char *secret, struct s3env *e)
{
    snprintf(e->env[0], sizeof e->env[0], "ARTISTRY_S3_ENDPOINT=%s", fake_s3_url(f));
    snprintf(e->env[1], sizeof e->env[1], "ARTISTRY_S3_BUCKET=%s", BUCKET);
    snprintf(e->env[2], sizeof e->env[2], "ARTISTRY_S3_REGION=%s", REGION);
    snprintf(e->env[3], sizeof e->env[3], "ARTISTRY_S3_ACCESS_KEY=%s", ACCESS);
    snprintf(e->env[4], sizeof e->env[4], "ARTISTRY_S3_SECRET_KEY=%s", secret);
    for (int i = 0; i < 5; i++)
        e->envp[i] = e->env[i];
    e->envp[5] = NULL;
    static const char *const args[] = {"--rate-limit-scale", "100", "--job-poll-ms", "50", NULL};
    struct api_opts o = {.args = args, .env = e->envp};
    return api_start(&o);
}

static const char *key_of(const char *id, const char *name, char *buf, size_t cap)
{
    size_t n = strlen(id);
    snprintf(buf, cap, "%s/%s/%s", id + n - 2, id, name);
    return buf;
}

Test(media, s3_store_round_trip, .fini = media_testlib_fini, .timeout = 180)
{
    struct fake_s3 *f = fake_s3_start(BUCKET, REGION, ACCESS, SECRET);
    struct s3env e;
    struct api_server *s = start_with_s3(f, SECRET, &e);
    struct api_account a;
    api_account(s, "buyer", "media-s3", &a);
    struct mbuf img = mt_image("png", 300, 200, false, 1);
    char id[64], path[160], key[160];
    mt_upload_ok(s, &a, &img, "review_image", id, sizeof id);

    /* The original is in the bucket under the generated key, with its sniffed type. */
    size_t len = 0;
    char *obj = fake_s3_object(f, key_of(id, "original.png", key, sizeof key), &len);
    cr_assert(obj != NULL, "no object %s in the fake S3", key);
    char ctype[64];
    fake_s3_object_type(f, key, ctype, sizeof ctype);
    cr_assert_str_eq(ctype, "image/png");

    /* Served through the store (on the slow pool): same bytes, ranges work. */
    snprintf(path, sizeof path, "/api/v1/media/%s", id);
    struct api_response *r = mt_get(s, NULL, path, NULL);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_eq(r->body_len, len);
    cr_assert(memcmp(r->body, obj, len) == 0);
    api_response_free(r);
    const char *h[] = {"Range: bytes=8-23", NULL};
    r = mt_get(s, NULL, path, h);
    cr_assert_eq(r->status, 206);
    cr_assert_eq(r->body_len, 16);
    cr_assert(memcmp(r->body, obj + 8, 16) == 0);
    api_response_free(r);
    free(obj);

    /* The variants job reads the original back and writes four objects. */
    char st[16];
    cr_assert_str_eq(mt_wait_status(s, id, "ready", st, sizeof st), "ready");
    cr_assert_eq(fake_s3_count(f), 5);
    obj = fake_s3_object(f, key_of(id, "thumbnail.jpg", key, sizeof key), &len);
    cr_assert(obj != NULL && len > 3 && (unsigned char)obj[0] == 0xFF, "thumbnail %s", key);
    free(obj);
    snprintf(path, sizeof path, "/api/v1/media/%s?variant=webp", id);
    r = mt_get(s, NULL, path, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(api_header(r, "Content-Type"), "image/webp");
    api_response_free(r);
    struct fake_s3_stats stats = fake_s3_stats(f);
    cr_assert_eq(stats.bad_signatures, 0);
    cr_assert(stats.puts == 5 && stats.gets >= 3, "puts %d gets %d", stats.puts, stats.gets);

    /* Delete: the job empties the bucket. */
    snprintf(path, sizeof path, "/api/v1/media/%s", id);
    r = api_as(s, &a, "DELETE", path, NULL);
    cr_assert_eq(r->status, 204);
    api_response_free(r);
    for (int i = 0; i < 600 && fake_s3_count(f) > 0; i++)
        api_sleep_ms(100);
    cr_assert_eq(fake_s3_count(f), 0);
    cr_assert_eq(fake_s3_stats(f).refused, 0, "every request was accepted");
    free(img.data);
    api_stop(s);
    fake_s3_stop(f);
}

Test(media, s3_wrong_secret_is_a_clean_502, .fini = media_testlib_fini, .timeout = 180)
{
    struct fake_s3 *f = fake_s3_start(BUCKET, REGION, ACCESS, SECRET);
    struct s3env e;
    struct api_server *s = start_with_s3(f, "not-the-secret", &e);
    struct api_account a;
    api_account(s, "buyer", "media-s3bad", &a);
    struct mbuf img = mt_image("jpg", 64, 64, false, 1);
    struct api_response *r = mt_upload(s, &a, img.data, img.len, "a.jpg", "image/jpeg", NULL);
    api_assert_problem(r, 502, "storage_error");
    cr_assert(strstr(r->body, "fake/secret") == NULL && strstr(r->body, "not-the-secret") == NULL,
              "no secret in the answer");
    api_response_free(r);
    char code[64];
    fake_s3_last_error(f, code, sizeof code);
    cr_assert_str_eq(code, "SignatureDoesNotMatch");
    cr_assert_eq(fake_s3_stats(f).bad_signatures, 1);
    cr_assert_eq(fake_s3_count(f), 0);
    char buf[16];
    cr_assert_eq(api_sql_text(s, "SELECT COUNT(*) FROM media_objects", NULL, 0, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, "0", "no row for a file that was not stored");
    /* The log says why, for the operator. */
    const char *needles[] = {"SignatureDoesNotMatch", NULL};
    char *line = api_log_wait_line(s, needles, 5000);
    cr_assert(line != NULL, "the S3 error code is logged");
    free(line);
    api_assert_alive(s);
    free(img.data);
    api_stop(s);
    fake_s3_stop(f);
}

/*-----------------------------------------------------------------------------
 * The fake itself refuses what S3 would refuse
 */
static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* PUT body to the fake signed with secret (NULL: unsigned); payload_hash overrides x-amz-content-sha256. */
static long put_signed(struct fake_s3 *f, const char *secret, const char *body, const char *payload_hash)
{
    char url[256], hdr[128];
    snprintf(url, sizeof url, "%s/%s/x/y.bin", fake_s3_url(f), BUCKET);
    CURL *h = curl_easy_init();
    struct curl_slist *l = NULL;
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", payload_hash);
    l = curl_slist_append(l, hdr);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    if (secret != NULL) {
        curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:" REGION ":s3");
        curl_easy_setopt(h, CURLOPT_USERNAME, ACCESS);
        curl_easy_setopt(h, CURLOPT_PASSWORD, secret);
    }
    long status = 0;
    cr_assert_eq(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(l);
    curl_easy_cleanup(h);
    return status;
}

Test(media, fake_s3_checks_sigv4, .fini = media_testlib_fini, .timeout = 180)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct fake_s3 *f = fake_s3_start(BUCKET, REGION, ACCESS, SECRET);
    /* sha256("hello") */
    const char *hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    char code[64];
    cr_assert_eq(put_signed(f, SECRET, "hello", hello), 200);
    cr_assert_eq(fake_s3_count(f), 1);
    cr_assert_eq(put_signed(f, "wrong", "hello", hello), 403);
    fake_s3_last_error(f, code, sizeof code);
    cr_assert_str_eq(code, "SignatureDoesNotMatch");
    cr_assert_eq(put_signed(f, SECRET, "hellO", hello), 400, "the body does not match its signed hash");
    fake_s3_last_error(f, code, sizeof code);
    cr_assert_str_eq(code, "XAmzContentSHA256Mismatch");
    cr_assert_eq(put_signed(f, NULL, "hello", hello), 403);
    fake_s3_last_error(f, code, sizeof code);
    cr_assert_str_eq(code, "AccessDenied");
    struct fake_s3_stats st = fake_s3_stats(f);
    cr_assert_eq(st.puts, 1);
    cr_assert_eq(st.refused, 3);
    fake_s3_stop(f);
    curl_global_cleanup();
}
