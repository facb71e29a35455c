/*
 * media_testlib.c — helpers for the media API tests (see media_testlib.h).
 *
 * Caveats: test code; failures assert through Criterion.
 */
#include "api/media_testlib.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

static bool vips_started;

static void vips_up(void)
{
    if (vips_started)
        return;
    cr_assert(VIPS_INIT("artistry-tests") == 0, "VIPS_INIT: %s", vips_error_buffer());
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_started = true;
}

void media_testlib_fini(void)
{
    api_cleanup_all();
    if (vips_started)
        vips_shutdown();
    vips_started = false;
}

static struct mbuf from_glib(void *buf, size_t len)
{
    struct mbuf m = {malloc(len ? len : 1), len};
    cr_assert(m.data != NULL);
    memcpy(m.data, buf, len);
    g_free(buf);
    return m;
}

struct mbuf mt_image(const char *fmt, int w, int h, bool alpha, int frames)
{
    vips_up();
    if (frames < 1)
        frames = 1;
    VipsImage *xy = NULL, *two = NULL, *three = NULL, *four = NULL, *u8 = NULL, *img = NULL;
    /* A gradient: red grows with x, green with y, blue constant; frames differ in blue. */
    cr_assert(vips_xyz(&xy, w, h * frames, NULL) == 0, "%s", vips_error_buffer());
    cr_assert(vips_linear1(xy, &two, 255.0 / (w > h ? w : h), 0, NULL) == 0);
    cr_assert(vips_bandjoin_const1(two, &three, 96, NULL) == 0);
    VipsImage *src = three;
    if (alpha) {
        cr_assert(vips_bandjoin_const1(three, &four, 200, NULL) == 0);
        src = four;
    }
    cr_assert(vips_cast(src, &u8, VIPS_FORMAT_UCHAR, NULL) == 0);
    cr_assert(vips_copy(u8, &img, "interpretation", VIPS_INTERPRETATION_sRGB, NULL) == 0);
    if (frames > 1) {
        vips_image_set_int(img, "page-height", h);
        int delays[16] = {0};
        for (int i = 0; i < frames && i < 16; i++)
            delays[i] = 100;
        vips_image_set_array_int(img, "delay", delays, frames < 16 ? frames : 16);
    }
    void *buf = NULL;
    size_t len = 0;
    int rc = -1;
    if (strcmp(fmt, "png") == 0)
        rc = vips_pngsave_buffer(img, &buf, &len, NULL);
    else if (strcmp(fmt, "jpg") == 0)
        rc = vips_jpegsave_buffer(img, &buf, &len, "Q", 90, NULL);
    else if (strcmp(fmt, "webp") == 0)
        rc = vips_webpsave_buffer(img, &buf, &len, NULL);
    else if (strcmp(fmt, "gif") == 0)
        rc = vips_gifsave_buffer(img, &buf, &len, NULL);
    cr_assert(rc == 0, "encode %s: %s", fmt, vips_error_buffer());
    VipsImage *all[] = {xy, two, three, four, u8, img};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i] != NULL)
            g_object_unref(all[i]);
    return from_glib(buf, len);
}

bool mt_dimensions(const void *data, size_t len, int *w, int *h)
{
    vips_up();
    VipsImage *im = vips_image_new_from_buffer(data, len, "", NULL);
    if (im == NULL) {
        vips_error_clear();
        return false;
    }
    *w = vips_image_get_width(im);
    *h = vips_image_get_page_height(im);
    g_object_unref(im);
    return true;
}

/*-----------------------------------------------------------------------------
 * Forms and uploads
 */
static void put(struct mbuf *b, size_t *cap, const void *d, size_t n)
{
    if (b->len + n > *cap) {
        while (b->len + n > *cap)
            *cap = *cap ? *cap * 2 : 1024;
        b->data = realloc(b->data, *cap);
        cr_assert(b->data != NULL);
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
}

static void puts_(struct mbuf *b, size_t *cap, const char *s)
{
    put(b, cap, s, strlen(s));
}

struct mbuf mt_form(const struct mt_part *parts)
{
    struct mbuf b = {0};
    size_t cap = 0;
    char line[512];
    for (const struct mt_part *p = parts; p->name != NULL; p++) {
        puts_(&b, &cap, "--" MT_BOUNDARY "\r\n");
        if (p->filename != NULL)
            snprintf(line, sizeof line, "Content-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n", p->name,
                     p->filename);
        else
            snprintf(line, sizeof line, "Content-Disposition: form-data; name=\"%s\"\r\n", p->name);
        puts_(&b, &cap, line);
        if (p->ctype != NULL) {
            snprintf(line, sizeof line, "Content-Type: %s\r\n", p->ctype);
            puts_(&b, &cap, line);
        }
        puts_(&b, &cap, "\r\n");
        put(&b, &cap, p->data, p->len);
        puts_(&b, &cap, "\r\n");
    }
    puts_(&b, &cap, "--" MT_BOUNDARY "--\r\n");
    return b;
}

struct api_response *mt_upload_form(struct api_server *s, const struct api_account *acct, const struct mbuf *form)
{
    const char *h[] = {"Content-Type: multipart/form-data; boundary=" MT_BOUNDARY, acct ? acct->auth : NULL, NULL};
    return api_request(s, "POST", "/api/v1/media/upload", h, form->data, form->len);
}

struct api_response *mt_upload(struct api_server *s, const struct api_account *acct, const void *file, size_t len,
                               const char *filename, const char *ctype, const char *kind)
{
    struct mt_part parts[3] = {{"file", filename ? filename : "upload.bin", ctype, file, len}};
    if (kind != NULL)
        parts[1] = (struct mt_part){"kind", NULL, NULL, kind, strlen(kind)};
    struct mbuf form = mt_form(parts);
    struct api_response *r = mt_upload_form(s, acct, &form);
    free(form.data);
    return r;
}

void mt_upload_ok(struct api_server *s, const struct api_account *acct, const struct mbuf *img, const char *kind,
                  char *id, size_t cap)
{
    struct api_response *r = mt_upload(s, acct, img->data, img->len, "picture.png", "image/png", kind);
    cr_assert_eq(r->status, 201, "upload: %ld %s", r->status, r->body);
    const char *v = json_string_value(json_object_get(r->json, "id"));
    cr_assert(v != NULL);
    snprintf(id, cap, "%s", v);
    api_response_free(r);
}

struct api_response *mt_get(struct api_server *s, const struct api_account *acct, const char *path,
                            const char *const *extra)
{
    const char *h[8] = {0};
    int n = 0;
    if (acct != NULL)
        h[n++] = acct->auth;
    for (int i = 0; extra != NULL && extra[i] != NULL && n < 7; i++)
        h[n++] = extra[i];
    return api_request(s, "GET", path, h, NULL, 0);
}

const char *mt_wait_status(struct api_server *s, const char *id, const char *want, char *buf, size_t cap)
{
    const char *p[] = {id};
    buf[0] = '\0';
    for (int i = 0; i < 600; i++) {
        if (api_sql_text(s, "SELECT status FROM media_objects WHERE id = $1", p, 1, buf, cap) == 1 &&
            strcmp(buf, want) == 0)
            break;
        api_sleep_ms(100);
    }
    return buf;
}

bool mt_contains(const void *data, size_t len, const char *needle)
{
    return len > 0 && memmem(data, len, needle, strlen(needle)) != NULL;
}
