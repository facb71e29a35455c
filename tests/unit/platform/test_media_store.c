/*
 * test_media_store.c — the media store: key rules, the local directory
 * backend, and the S3 backend against the fake S3 of the API tests (which
 * verifies SigV4 signatures).
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/fake_http.c" /* the fakes run on it */
#include "api/fake_s3.c"
#include "base/arena.h"
#include "base/config.h"
#include "platform/media_store.h"

static struct arena a;
static struct config cfg;
static char dir[64];

static void setup(void)
{
    arena_init(&a, 0);
    config_defaults(&cfg);
    snprintf(dir, sizeof dir, "/tmp/artistry-store-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
    arena_destroy(&a);
    config_free(&cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(media_store, .init = setup, .fini = teardown);

Test(media_store, key_rules)
{
    const char *good[] = {"ab/med_01/original.jpg", "x", "a-b_c.d/e", NULL};
    const char *bad[] = {NULL, "", "/abs", "a//b", "a/", "../x", "a/../b", "a/./b", ".", "a b", "a\\b", "é",
                         "a?b", "a%2Fb", NULL};
    for (int i = 0; good[i] != NULL; i++)
        cr_assert(media_store_key_valid(good[i]), "%s", good[i]);
    for (int i = 1; bad[i] != NULL; i++)
        cr_assert(!media_store_key_valid(bad[i]), "%s", bad[i]);
    cr_assert(!media_store_key_valid(NULL));
    char longkey[260];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    cr_assert(!media_store_key_valid(longkey));
}

/* The same behaviour from both backends. */
static void exercise(struct media_store *s)
{
    struct media_store_error e;
    const char *data;
    size_t len;
    cr_assert_eq(media_store_put(s, "Q7/med_1/original.png", "0123456789", 10, "image/png", &e), 0, "%s", e.msg);
    cr_assert_eq(media_store_get(s, "Q7/med_1/original.png", 0, MEDIA_STORE_TO_END, &a, &data, &len, &e), 0, "%s",
                 e.msg);
    cr_assert_eq(len, 10);
    cr_assert(memcmp(data, "0123456789", 10) == 0 && data[10] == '\0');
    cr_assert_eq(media_store_get(s, "Q7/med_1/original.png", 3, 4, &a, &data, &len, &e), 0, "%s", e.msg);
    cr_assert_eq(len, 4);
    cr_assert(memcmp(data, "3456", 4) == 0);
    cr_assert_eq(media_store_get(s, "Q7/med_1/original.png", 8, 100, &a, &data, &len, &e), 0, "%s", e.msg);
    cr_assert_eq(len, 2, "a read past the end returns what exists");
    cr_assert_eq(media_store_get(s, "Q7/med_1/original.png", 6, MEDIA_STORE_TO_END, &a, &data, &len, &e), 0);
    cr_assert_eq(len, 4);
    cr_assert_eq(media_store_get(s, "Q7/med_1/original.png", 10, 1, &a, &data, &len, &e), -1);
    cr_assert_eq(e.kind, MEDIA_STORE_E_RANGE, "%s", e.msg);
    cr_assert_eq(media_store_get(s, "Q7/med_1/missing.png", 0, MEDIA_STORE_TO_END, &a, &data, &len, &e), -1);
    cr_assert_eq(e.kind, MEDIA_STORE_E_NOT_FOUND, "%s", e.msg);
    /* Replace. */
    cr_assert_eq(media_store_put(s, "Q7/med_1/original.png", "abc", 3, NULL, &e), 0);
    cr_assert_eq(media_store_get(s, "Q7/med_1/original.png", 0, MEDIA_STORE_TO_END, &a, &data, &len, &e), 0);
    cr_assert(len == 3 && memcmp(data, "abc", 3) == 0);
    /* Bad keys never reach the backend. */
    cr_assert_eq(media_store_put(s, "../escape", "x", 1, NULL, &e), -1);
    cr_assert_eq(e.kind, MEDIA_STORE_E_INVALID);
    cr_assert_eq(media_store_get(s, "a/../b", 0, 1, &a, &data, &len, &e), -1);
    cr_assert_eq(e.kind, MEDIA_STORE_E_INVALID);
    /* Delete, twice. */
    cr_assert_eq(media_store_delete(s, "Q7/med_1/original.png", &e), 0, "%s", e.msg);
    cr_assert_eq(media_store_delete(s, "Q7/med_1/original.png", &e), 0, "deleting a missing object succeeds");
    cr_assert_eq(media_store_get(s, "Q7/med_1/original.png", 0, MEDIA_STORE_TO_END, &a, &data, &len, &e), -1);
    cr_assert_eq(e.kind, MEDIA_STORE_E_NOT_FOUND);
}

Test(media_store, local_directory)
{
    char eb[256];
    cfg.media_dir = dir;
    struct media_store *s = media_store_open(&cfg, eb, sizeof eb);
    cr_assert(s != NULL, "%s", eb);
    cr_assert_str_eq(media_store_kind(s), "local");
    cr_assert(!media_store_remote(s));
    exercise(s);
    /* Files live at <dir>/<key>; a delete removes the directories it emptied. */
    struct media_store_error e;
    cr_assert_eq(media_store_put(s, "ZZ/med_2/thumbnail.jpg", "t", 1, NULL, &e), 0);
    char path[200];
    snprintf(path, sizeof path, "%s/ZZ/med_2/thumbnail.jpg", dir);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640);
    cr_assert_eq(media_store_delete(s, "ZZ/med_2/thumbnail.jpg", &e), 0);
    snprintf(path, sizeof path, "%s/ZZ", dir);
    cr_assert_neq(stat(path, &st), 0, "empty directories are removed");
    cr_assert_eq(stat(dir, &st), 0, "the root stays");
    media_store_close(s);

    /* The default is <data_dir>/media, created on open. */
    cfg.media_dir = "";
    cfg.data_dir = dir;
    s = media_store_open(&cfg, eb, sizeof eb);
    cr_assert(s != NULL, "%s", eb);
    snprintf(path, sizeof path, "%s/media", dir);
    cr_assert_eq(stat(path, &st), 0);
    media_store_close(s);

    /* An unusable directory stops start-up with a reason. */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    snprintf(path, sizeof path, "%s/file/media", dir);
    cfg.media_dir = path;
    cr_assert_null(media_store_open(&cfg, eb, sizeof eb));
    cr_assert(strstr(eb, "media directory") != NULL, "%s", eb);
}

Test(media_store, s3_settings_are_checked)
{
    char eb[256];
    cfg.s3_endpoint = "ftp://example";
    cr_assert_null(media_store_open(&cfg, eb, sizeof eb));
    cr_assert(strstr(eb, "http") != NULL, "%s", eb);
    cfg.s3_endpoint = "http://127.0.0.1:9";
    cr_assert_null(media_store_open(&cfg, eb, sizeof eb));
    cr_assert(strstr(eb, "s3_bucket") != NULL, "%s", eb);
    cfg.s3_bucket = "Bad_Bucket";
    cfg.s3_access_key = "AK";
    cfg.s3_secret_key = "SK";
    cr_assert_null(media_store_open(&cfg, eb, sizeof eb));
    cr_assert(strstr(eb, "bucket name") != NULL, "%s", eb);
}

Test(media_store, s3_against_the_fake)
{
    struct fake_s3 *f = fake_s3_start("media", "us-east-1", "AKID", "s3cr3t");
    char eb[256], endpoint[80];
    snprintf(endpoint, sizeof endpoint, "%s/", fake_s3_url(f)); /* a trailing slash is tolerated */
    cfg.s3_endpoint = endpoint;
    cfg.s3_bucket = "media";
    cfg.s3_region = "us-east-1";
    cfg.s3_access_key = "AKID";
    cfg.s3_secret_key = "s3cr3t";
    struct media_store *s = media_store_open(&cfg, eb, sizeof eb);
    cr_assert(s != NULL, "%s", eb);
    cr_assert_str_eq(media_store_kind(s), "s3");
    cr_assert(media_store_remote(s));
    exercise(s);
    cr_assert_eq(fake_s3_stats(f).bad_signatures, 0);
    media_store_close(s);

    /* Wrong secret: the store refuses, and we say so. */
    cfg.s3_secret_key = "wrong";
    s = media_store_open(&cfg, eb, sizeof eb);
    struct media_store_error e;
    cr_assert_eq(media_store_put(s, "a/b", "x", 1, NULL, &e), -1);
    cr_assert_eq(e.kind, MEDIA_STORE_E_UPSTREAM);
    cr_assert_eq(e.http_status, 403);
    cr_assert(strstr(e.msg, "SignatureDoesNotMatch") != NULL, "%s", e.msg);
    media_store_close(s);

    /* Wrong bucket: a 404 that is not a missing key. */
    cfg.s3_secret_key = "s3cr3t";
    cfg.s3_bucket = "other";
    s = media_store_open(&cfg, eb, sizeof eb);
    cr_assert_eq(media_store_delete(s, "a/b", &e), -1);
    cr_assert(strstr(e.msg, "NoSuchBucket") != NULL, "%s", e.msg);
    media_store_close(s);

    /* Nobody listening: a transport error, not a hang. */
    fake_s3_stop(f);
    cfg.s3_bucket = "media";
    s = media_store_open(&cfg, eb, sizeof eb);
    cr_assert_eq(media_store_put(s, "a/b", "x", 1, NULL, &e), -1);
    cr_assert_eq(e.kind, MEDIA_STORE_E_UPSTREAM);
    media_store_close(s);
}
