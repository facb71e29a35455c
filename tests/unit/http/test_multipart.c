/*
 * test_multipart.c — the multipart/form-data reader: Content-Type and
 * boundary rules (RFC 2046 §5.1.1), part headers (RFC 7578 §4.2), limits,
 * and bodies that are truncated or malformed in every place.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "http/multipart.h"

static struct arena a;
static void setup(void)
{
    arena_init(&a, 0);
}
static void teardown(void)
{
    arena_destroy(&a);
}

TestSuite(multipart, .init = setup, .fini = teardown);

/*-----------------------------------------------------------------------------
 * Content-Type
 */
Test(multipart, boundary_from_content_type)
{
    const char *b, *why;
    cr_assert_eq(multipart_boundary("multipart/form-data; boundary=abc123", &a, &b, &why), MULTIPART_CT_OK);
    cr_assert_str_eq(b, "abc123");
    cr_assert_eq(multipart_boundary("Multipart/Form-Data;charset=utf-8;  BOUNDARY=\"a b'()+_,-./:=?\"", &a, &b, &why),
                 MULTIPART_CT_OK);
    cr_assert_str_eq(b, "a b'()+_,-./:=?");
    cr_assert_eq(multipart_boundary("multipart/form-data; boundary=\"q\\\"x\"", &a, &b, &why), MULTIPART_CT_BAD,
                 "'\"' is not a boundary character");

    cr_assert_eq(multipart_boundary(NULL, &a, &b, &why), MULTIPART_CT_NOT_FORM);
    cr_assert_eq(multipart_boundary("application/json", &a, &b, &why), MULTIPART_CT_NOT_FORM);
    cr_assert_eq(multipart_boundary("multipart/mixed; boundary=x", &a, &b, &why), MULTIPART_CT_NOT_FORM);
    cr_assert_eq(multipart_boundary("multipart/form-datax; boundary=x", &a, &b, &why), MULTIPART_CT_NOT_FORM);

    cr_assert_eq(multipart_boundary("multipart/form-data", &a, &b, &why), MULTIPART_CT_BAD);
    cr_assert(why != NULL && strstr(why, "boundary") != NULL);
    cr_assert_eq(multipart_boundary("multipart/form-data; boundary=", &a, &b, &why), MULTIPART_CT_BAD);
    cr_assert_eq(multipart_boundary("multipart/form-data; boundary=\"\"", &a, &b, &why), MULTIPART_CT_BAD);
    cr_assert_eq(multipart_boundary("multipart/form-data; boundary=\"ends \"", &a, &b, &why), MULTIPART_CT_BAD);
    cr_assert_eq(multipart_boundary("multipart/form-data; boundary=\"unterminated", &a, &b, &why), MULTIPART_CT_BAD);
    cr_assert_eq(multipart_boundary("multipart/form-data; boundary=a; boundary=b", &a, &b, &why), MULTIPART_CT_BAD);
    cr_assert_eq(multipart_boundary("multipart/form-data boundary=a", &a, &b, &why), MULTIPART_CT_BAD);
    char longb[128] = "multipart/form-data; boundary=";
    memset(longb + strlen(longb), 'x', 71);
    cr_assert_eq(multipart_boundary(longb, &a, &b, &why), MULTIPART_CT_BAD, "71 characters");
    longb[strlen(longb) - 1] = '\0';
    cr_assert_eq(multipart_boundary(longb, &a, &b, &why), MULTIPART_CT_OK, "70 characters");
}

/*-----------------------------------------------------------------------------
 * Bodies
 */
/* Read every part of body; returns multipart_next's last result and fills parts[]. */
static int read_all(const char *body, size_t len, const char *boundary, struct multipart_part *parts, int *n,
                    const char **error)
{
    struct multipart_reader r;
    multipart_init(&r, body, len, boundary, NULL);
    int rc;
    *n = 0;
    while ((rc = multipart_next(&r, &a, &parts[*n])) == 1)
        (*n)++;
    *error = r.error;
    return rc;
}

#define BODY(s) (s), sizeof(s) - 1

Test(multipart, reads_fields_and_files)
{
    static const char body[] = "preamble to ignore\r\n"
                               "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"kind\"\r\n"
                               "\r\n"
                               "avatar\r\n"
                               "--XyZ  \t\r\n" /* transport padding */
                               "content-disposition: FORM-DATA; filename=\"a \\\"b\\\".png\"; name=file\r\n"
                               "Content-Type:  image/png \r\n"
                               "Content-Transfer-Encoding: binary\r\n"
                               "X-Other: ignored\r\n"
                               "\r\n"
                               "\x89PNG\r\n--XyZnot-a-boundary\r\n\0bytes\r\n"
                               "--XyZ--\r\n"
                               "epilogue --XyZ garbage";
    struct multipart_part p[4];
    int n;
    const char *err;
    cr_assert_eq(read_all(BODY(body), "XyZ", p, &n, &err), 0, "%s", err);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(p[0].name, "kind");
    cr_assert_null(p[0].filename);
    cr_assert_null(p[0].content_type);
    cr_assert_eq(p[0].len, 6);
    cr_assert(memcmp(p[0].data, "avatar", 6) == 0);
    cr_assert_str_eq(p[1].name, "file");
    cr_assert_str_eq(p[1].filename, "a \"b\".png");
    cr_assert_str_eq(p[1].content_type, "image/png");
    static const char want[] = "\x89PNG\r\n--XyZnot-a-boundary\r\n\0bytes";
    cr_assert_eq(p[1].len, sizeof want - 1, "binary content with CRLF, NUL and a boundary look-alike");
    cr_assert(memcmp(p[1].data, want, sizeof want - 1) == 0);
}

Test(multipart, empty_parts_and_empty_forms)
{
    struct multipart_part p[4];
    int n;
    const char *err;
    cr_assert_eq(read_all(BODY("--b--"), "b", p, &n, &err), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(read_all(BODY("--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n\r\n--b--"), "b", p, &n, &err),
                 0, "%s", err);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(p[0].name, "");
    cr_assert_eq(p[0].len, 0);
}

Test(multipart, malformed_bodies_fail_cleanly)
{
    static const struct {
        const char *body;
        const char *why; /* a word of the error */
    } cases[] = {
        {"", "no boundary"},
        {"no boundary here at all", "no boundary"},
        {"--b", "ends inside a boundary line"},
        {"--bX\r\n", "no boundary"},
        {"--b junk\r\n", "no boundary"},
        {"--b  \r", "ends inside a boundary line"},
        {"--b\r\n", "ends inside part headers"},
        {"--b\r\nContent-Disposition: form-data; name=a\r\n", "ends inside part headers"},
        {"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nxx", "closing boundary"},
        {"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nxx\r\n--b", "ends inside a boundary line"},
        {"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nxx\r\n--bb\r\n", "closing boundary"},
        {"--b\r\nContent-Disposition: form-data; name=a\n\r\nx\r\n--b--", "bare LF"},
        {"--b\r\nContent-Disposition: form-data; name=a\rx\r\n\r\nx\r\n--b--", "bare CR"},
        {"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "no Content-Disposition"},
        {"--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--", "not form-data"},
        {"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", "no name"},
        {"--b\r\nContent-Disposition: form-data; filename=x\r\n\r\nx\r\n--b--", "no name"},
        {"--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nx\r\n--b--", "parameters"},
        {"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", "parameters"},
        {"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\n\"\r\n\r\nx\r\n--b--", "parameters"},
        {"--b\r\nContent-Disposition: form-data; name=\"unterminated\r\n\r\nx\r\n--b--", "parameters"},
        {"--b\r\nContent-Disposition: form-data; name=\"a\";\r\n x: folded\r\n\r\nx\r\n--b--", "folded"},
        {"--b\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nx\r\n--b--",
         "two Content-Disposition"},
        {"--b\r\nContent-Disposition: form-data; name=a\r\nContent-Type: a\r\nContent-Type: b\r\n\r\nx\r\n--b--",
         "two Content-Type"},
        {"--b\r\nContent-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: base64\r\n\r\nx\r\n--b--",
         "Content-Transfer-Encoding"},
        {"--b\r\nnot a header\r\n\r\nx\r\n--b--", "malformed"},
        {"--b\r\n: no name\r\n\r\nx\r\n--b--", "malformed"},
        {"--b\r\nContent-Disposition: form-data; name=a\x01\r\n\r\nx\r\n--b--", "control character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct multipart_part p[4];
        int n;
        const char *err;
        int rc = read_all(cases[i].body, strlen(cases[i].body), "b", p, &n, &err);
        cr_assert_eq(rc, -1, "case %zu (%s) was accepted", i, cases[i].body);
        cr_assert(err != NULL && strstr(err, cases[i].why) != NULL, "case %zu: error \"%s\", expected \"%s\"", i,
                  err ? err : "(none)", cases[i].why);
    }
}

Test(multipart, limits)
{
    /* Too many parts. */
    char body[4096] = "";
    for (int i = 0; i < 17; i++)
        strcat(body, "--b\r\nContent-Disposition: form-data; name=p\r\n\r\nv\r\n");
    strcat(body, "--b--");
    struct multipart_limits lim = {0};
    struct multipart_reader r;
    struct multipart_part p;
    int rc, n = 0;
    multipart_init(&r, body, strlen(body), "b", &lim);
    while ((rc = multipart_next(&r, &a, &p)) == 1)
        n++;
    cr_assert_eq(rc, -1);
    cr_assert_eq(n, 16, "the default allows 16 parts");
    cr_assert(strstr(r.error, "too many parts") != NULL);
    cr_assert_eq(multipart_next(&r, &a, &p), -1, "stays failed");

    /* Too many header lines, and a header block over its byte limit. */
    char hdrs[4096] = "--b\r\nContent-Disposition: form-data; name=p\r\n";
    for (int i = 0; i < 20; i++)
        strcat(hdrs, "X-A: b\r\n");
    strcat(hdrs, "\r\nv\r\n--b--");
    multipart_init(&r, hdrs, strlen(hdrs), "b", NULL);
    cr_assert_eq(multipart_next(&r, &a, &p), -1);
    cr_assert(strstr(r.error, "too many headers") != NULL, "%s", r.error);
    lim = (struct multipart_limits){.max_header_bytes = 64, .max_headers = 100};
    multipart_init(&r, hdrs, strlen(hdrs), "b", &lim);
    cr_assert_eq(multipart_next(&r, &a, &p), -1);
    cr_assert(strstr(r.error, "too large") != NULL, "%s", r.error);

    /* A bad boundary passed straight to init fails at the first read. */
    multipart_init(&r, "--\r\n", 4, "", NULL);
    cr_assert_eq(multipart_next(&r, &a, &p), -1);
}

Test(multipart, never_reads_past_the_end)
{
    /* Every prefix of a valid body is refused (or, at full length, read) without touching bytes beyond it. */
    static const char body[] = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n"
                               "Content-Type: image/png\r\n\r\n0123456789\r\n--b--\r\n";
    for (size_t len = 0; len < sizeof body - 1; len++) {
        char *copy = malloc(len ? len : 1); /* exactly len bytes: ASan flags any over-read */
        memcpy(copy, body, len);
        struct multipart_part p[2];
        int n;
        const char *err;
        int rc = read_all(copy, len, "b", p, &n, &err);
        bool complete = len >= sizeof body - 1 - 2; /* the closing CRLF after "--b--" is epilogue */
        cr_assert(complete ? rc == 0 : rc == -1, "prefix of %zu bytes: rc %d", len, rc);
        free(copy);
    }
}
