/*
 * media_testlib.h — helpers shared by the media API tests (test_media.c,
 * test_media_s3.c): images made with libvips in the test process,
 * multipart bodies, uploads, and waiting for the variants job.
 *
 * libvips starts on first use in a test process; media_testlib_fini()
 * (the suites' .fini) shuts it down again so LeakSanitizer sees no
 * outstanding allocations.
 */
#ifndef ARTISTRY_TESTS_MEDIA_TESTLIB_H
#define ARTISTRY_TESTS_MEDIA_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "api_client.h"

/** A heap buffer (free with free()). */
struct mbuf {
    unsigned char *data;
    size_t len;
};

/**
 * An image of w x h pixels (a colour gradient) encoded as fmt: "png",
 * "jpg", "webp" or "gif"; with an alpha channel when alpha; with `frames`
 * frames stacked (GIF/WebP animation) when frames > 1.
 */
struct mbuf mt_image(const char *fmt, int w, int h, bool alpha, int frames);

/**
 * A multipart/form-data body with the boundary MT_BOUNDARY. Each part is
 * given by name, filename (NULL: a plain field), content type (NULL: none)
 * and bytes. Terminate the list with a NULL name.
 */
#define MT_BOUNDARY "----artistry-test-7MA4YWxkTrZu0gW"
struct mt_part {
    const char *name, *filename, *ctype;
    const void *data;
    size_t len;
};
struct mbuf mt_form(const struct mt_part *parts);

/** POST /api/v1/media/upload with the form, as acct (NULL: anonymous). */
struct api_response *mt_upload_form(struct api_server *s, const struct api_account *acct, const struct mbuf *form);

/** Upload one file part (and a kind field unless kind is NULL). */
struct api_response *mt_upload(struct api_server *s, const struct api_account *acct, const void *file, size_t len,
                               const char *filename, const char *ctype, const char *kind);

/** Upload, assert 201, copy the new id into id. */
void mt_upload_ok(struct api_server *s, const struct api_account *acct, const struct mbuf *img, const char *kind,
                  char *id, size_t cap);

/** GET path as acct with extra header lines (NULL-terminated, may be NULL). */
struct api_response *mt_get(struct api_server *s, const struct api_account *acct, const char *path,
                            const char *const *extra);

/** Poll the media row until its status is `want` (or give up after ~60 s); returns the last status seen. */
const char *mt_wait_status(struct api_server *s, const char *id, const char *want, char *buf, size_t cap);

/** True if the bytes contain needle. */
bool mt_contains(const void *data, size_t len, const char *needle);

/** Width and height of an encoded image (libvips header read); false if it does not load. */
bool mt_dimensions(const void *data, size_t len, int *w, int *h);

/** Shut libvips down if a test started it; also stops leftover servers (suite .fini). */
void media_testlib_fini(void);

#endif
