/*
 * test_image.c — image typing and re-encoding (platform/image.h): magic
 * bytes, header-only probing and the pixel limit, metadata-free output in
 * every format (including the EXIF chunk libvips 8.14 adds to WebP), the
 * variant formats, and the loader block list.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <vips/vips.h>

#include "base/arena.h"
#include "platform/image.h"

static struct arena a;

static void setup(void)
{
    arena_init(&a, 0);
    cr_assert_eq(image_init(), 0);
}

static void teardown(void)
{
    arena_destroy(&a); /* frees the encoded outputs (g_free) before libvips goes */
    image_fini();
}

TestSuite(image, .init = setup, .fini = teardown);

/* An encoded test image (alpha: 4 bands with the given alpha value, 0 = 3 bands), in the arena. */
static const void *make(const char *fmt, int w, int h, int alpha, size_t *len)
{
    VipsImage *xy = NULL, *rgb = NULL, *rgba = NULL, *u8 = NULL, *img = NULL;
    cr_assert_eq(vips_xyz(&xy, w, h, NULL), 0);
    cr_assert_eq(vips_bandjoin_const1(xy, &rgb, 50, NULL), 0);
    VipsImage *src = rgb;
    if (alpha > 0) {
        cr_assert_eq(vips_bandjoin_const1(rgb, &rgba, alpha, NULL), 0);
        src = rgba;
    }
    cr_assert_eq(vips_cast(src, &u8, VIPS_FORMAT_UCHAR, NULL), 0);
    cr_assert_eq(vips_copy(u8, &img, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    void *buf = NULL;
    int rc = -1;
    if (strcmp(fmt, "jpg") == 0)
        rc = vips_jpegsave_buffer(img, &buf, len, NULL);
    else if (strcmp(fmt, "png") == 0)
        rc = vips_pngsave_buffer(img, &buf, len, NULL);
    else if (strcmp(fmt, "webp") == 0)
        rc = vips_webpsave_buffer(img, &buf, len, NULL);
    else
        rc = vips_gifsave_buffer(img, &buf, len, NULL);
    cr_assert_eq(rc, 0, "%s", vips_error_buffer());
    VipsImage *all[] = {xy, rgb, rgba, u8, img};
    for (size_t i = 0; i < 5; i++)
        if (all[i] != NULL)
            g_object_unref(all[i]);
    arena_on_reset(&a, g_free, buf);
    return buf;
}

Test(image, sniff_by_magic_only)
{
    cr_assert_eq(image_sniff("\xff\xd8\xff\xe0", 4), IMAGE_JPEG);
    cr_assert_eq(image_sniff("\x89PNG\r\n\x1a\n", 8), IMAGE_PNG);
    cr_assert_eq(image_sniff("RIFF\0\0\0\0WEBPVP8 ", 16), IMAGE_WEBP);
    cr_assert_eq(image_sniff("GIF89a", 6), IMAGE_GIF);
    cr_assert_eq(image_sniff("GIF87a", 6), IMAGE_GIF);
    cr_assert_eq(image_sniff("RIFF\0\0\0\0WAVE", 12), IMAGE_UNKNOWN);
    cr_assert_eq(image_sniff("%PDF-1.7", 8), IMAGE_UNKNOWN);
    cr_assert_eq(image_sniff("<svg", 4), IMAGE_UNKNOWN);
    cr_assert_eq(image_sniff("\xff\xd8", 2), IMAGE_UNKNOWN, "too short");
    cr_assert_eq(image_sniff(NULL, 0), IMAGE_UNKNOWN);
    cr_assert_str_eq(image_mime(IMAGE_WEBP), "image/webp");
    cr_assert_str_eq(image_ext(IMAGE_JPEG), "jpg");
    cr_assert_str_eq(image_mime(IMAGE_UNKNOWN), "application/octet-stream");
}

Test(image, probe_reads_the_header_and_checks_pixels)
{
    size_t len;
    const void *png = make("png", 40, 30, 0, &len);
    struct image_info info;
    struct image_error e;
    cr_assert_eq(image_probe(png, len, IMAGE_PNG, 1200, &info, &e), 0, "%s", e.msg);
    cr_assert(info.width == 40 && info.height == 30 && info.frames == 1);
    cr_assert_eq(image_probe(png, len, IMAGE_PNG, 1199, &info, &e), -1);
    cr_assert_eq(e.kind, IMAGE_E_PIXELS);
    cr_assert(strstr(e.msg, "40x30") != NULL, "%s", e.msg);
    cr_assert_eq(image_probe(png, len, IMAGE_JPEG, 1200, &info, &e), -1, "the type must match the bytes");
    cr_assert_eq(e.kind, IMAGE_E_TYPE);
    cr_assert_eq(image_probe(png, 20, IMAGE_PNG, 1200, &info, &e), -1, "a cut header");
    cr_assert_eq(e.kind, IMAGE_E_INVALID);
}

Test(image, sanitized_outputs_carry_no_metadata)
{
    static const struct {
        const char *fmt;
        enum image_type t;
        const char *banned[4];
    } cases[] = {
        {"jpg", IMAGE_JPEG, {"Exif", "http://ns.adobe.com", "ICC_PROFILE", NULL}},
        {"png", IMAGE_PNG, {"eXIf", "iCCP", "tEXt", NULL}},
        {"webp", IMAGE_WEBP, {"EXIF", "XMP ", "ICCP", NULL}},
        {"gif", IMAGE_GIF, {"Exif", "XMP DataXMP", NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        const void *in = make(cases[i].fmt, 33, 21, 0, &len);
        struct image_out out;
        struct image_error e;
        cr_assert_eq(image_sanitize(in, len, cases[i].t, 1000000, &a, &out, &e), 0, "%s: %s", cases[i].fmt, e.msg);
        cr_assert_eq(image_sniff(out.data, out.len), cases[i].t);
        cr_assert(out.info.width == 33 && out.info.height == 21);
        for (int k = 0; cases[i].banned[k] != NULL; k++)
            cr_assert_null(memmem(out.data, out.len, cases[i].banned[k], strlen(cases[i].banned[k])), "%s has %s",
                           cases[i].fmt, cases[i].banned[k]);
        if (cases[i].t == IMAGE_WEBP) {
            /* The container stays valid: RIFF size = length - 8, and it decodes. */
            const unsigned char *b = out.data;
            size_t riff = (size_t)b[4] | (size_t)b[5] << 8 | (size_t)b[6] << 16 | (size_t)b[7] << 24;
            cr_assert_eq(riff, out.len - 8);
            struct image_info info;
            cr_assert_eq(image_probe(out.data, out.len, IMAGE_WEBP, 1000000, &info, &e), 0, "%s", e.msg);
        }
    }
}

Test(image, variants_fit_their_box_in_the_right_format)
{
    size_t len;
    struct image_out out;
    struct image_error e;
    const void *png = make("png", 400, 100, 0, &len);
    cr_assert_eq(image_render(png, len, 200, IMAGE_UNKNOWN, &a, &out, &e), 0, "%s", e.msg);
    cr_assert_eq(out.info.type, IMAGE_JPEG);
    cr_assert(out.info.width == 200 && out.info.height == 50, "%dx%d", out.info.width, out.info.height);
    cr_assert_eq(image_render(png, len, 1000, IMAGE_WEBP, &a, &out, &e), 0, "%s", e.msg);
    cr_assert_eq(out.info.type, IMAGE_WEBP);
    cr_assert(out.info.width == 400 && out.info.height == 100, "never enlarged");
    cr_assert_null(memmem(out.data, out.len, "EXIF", 4));
    /* Real transparency keeps PNG; an alpha channel that is opaque everywhere is dropped. */
    const void *seethrough = make("png", 60, 60, 128, &len);
    cr_assert_eq(image_render(seethrough, len, 30, IMAGE_UNKNOWN, &a, &out, &e), 0, "%s", e.msg);
    cr_assert_eq(out.info.type, IMAGE_PNG);
    cr_assert(out.info.has_alpha);
    const void *opaque = make("png", 60, 60, 255, &len);
    cr_assert_eq(image_render(opaque, len, 30, IMAGE_UNKNOWN, &a, &out, &e), 0, "%s", e.msg);
    cr_assert_eq(out.info.type, IMAGE_JPEG);
    cr_assert_eq(image_render("not an image", 12, 30, IMAGE_UNKNOWN, &a, &out, &e), -1);
    cr_assert_eq(e.kind, IMAGE_E_TYPE);
}

Test(image, only_the_four_loaders_are_usable)
{
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>";
    VipsImage *im = vips_image_new_from_buffer(svg, sizeof svg - 1, "", NULL);
    cr_assert_null(im, "libvips must not load SVG once image_init ran");
    char *msg = vips_error_buffer_copy();
    g_free(msg);
    size_t len;
    const void *jpg = make("jpg", 8, 8, 0, &len);
    im = vips_image_new_from_buffer(jpg, len, "", NULL);
    cr_assert_not_null(im, "JPEG still loads: %s", vips_error_buffer());
    g_object_unref(im);
}
