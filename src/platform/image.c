/*
 * image.c — image typing, checking and re-encoding with libvips (see image.h).
 *
 * Loading: every decode names its loader (vips_jpegload_buffer…) from the
 * sniffed type instead of letting libvips guess, and the process-wide
 * block list (image_init) leaves only the four loaders usable even for
 * calls that do guess (vips_thumbnail_buffer, on our own re-encoded
 * originals). Loaders run with fail_on=error, so a corrupt or truncated
 * image is refused rather than half-decoded.
 *
 * libvips images are lazy: a load reads the header, pixels are decoded
 * when a save pulls them. image_probe therefore costs a header parse, and
 * the pixel limit is checked before any decode. Sequential access streams
 * the pixels through in strips; only an EXIF rotation needs random access
 * (and so the whole image in memory).
 *
 * Memory: encoded outputs are g_malloc'd by libvips and handed to the
 * caller's arena (g_free on reset), so callers never free them.
 *
 * Caveats: libvips keeps one process-wide error buffer; messages copied
 * from it (vips_error_buffer_copy, which also clears it) can in rare races
 * carry another thread's text. They are for logs only. libvips warnings go
 * to our log at debug level rather than to stderr.
 */
#include "platform/image.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

#include "base/arena.h"
#include "base/log.h"

#define SANITIZE_JPEG_Q 90
#define SANITIZE_WEBP_Q 90
#define VARIANT_JPEG_Q 82
#define VARIANT_WEBP_Q 80
#define PNG_COMPRESSION 6

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int init_refs;
static bool shut_down;

/*-----------------------------------------------------------------------------
 * Set-up
 */
static void on_vips_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
    (void)data;
    if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
        log_warn("libvips", "%s: %s", domain ? domain : "?", message);
    else
        log_debug("libvips", "%s: %s", domain ? domain : "?", message);
}

int image_init(void)
{
    int ret = 0;
    pthread_mutex_lock(&init_lock);
    if (init_refs > 0) {
        init_refs++;
        goto out;
    }
    if (shut_down) {
        /* libvips cannot start again after vips_shutdown in the same process. */
        log_error("libvips was already shut down in this process", NULL);
        ret = -1;
        goto out;
    }
    if (VIPS_INIT("artistry") != 0) {
        char *m = vips_error_buffer_copy();
        log_error("cannot start libvips", "%s", m);
        g_free(m);
        ret = -1;
        goto out;
    }
    g_log_set_handler("VIPS", G_LOG_LEVEL_MASK, on_vips_log, NULL);
    /* Our pools bound the parallelism; libvips must not add threads of its own per operation. */
    vips_concurrency_set(1);
    /* No operation cache: every image is seen once, and a cache would hold decoded pixels. */
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    vips_operation_block_set("VipsForeignLoadPng", FALSE);
    vips_operation_block_set("VipsForeignLoadWebp", FALSE);
    vips_operation_block_set("VipsForeignLoadNsgif", FALSE);
    init_refs = 1;
out:
    pthread_mutex_unlock(&init_lock);
    return ret;
}

void image_fini(void)
{
    pthread_mutex_lock(&init_lock);
    if (init_refs > 0 && --init_refs == 0) {
        vips_shutdown();
        shut_down = true;
    }
    pthread_mutex_unlock(&init_lock);
}

/*-----------------------------------------------------------------------------
 * Types
 */
enum image_type image_sniff(const void *data, size_t len)
{
    const unsigned char *b = data;
    if (b == NULL)
        return IMAGE_UNKNOWN;
    if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return IMAGE_JPEG;
    if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return IMAGE_PNG;
    if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return IMAGE_WEBP;
    if (len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
        return IMAGE_GIF;
    return IMAGE_UNKNOWN;
}

const char *image_mime(enum image_type t)
{
    switch (t) {
    case IMAGE_JPEG:
        return "image/jpeg";
    case IMAGE_PNG:
        return "image/png";
    case IMAGE_WEBP:
        return "image/webp";
    case IMAGE_GIF:
        return "image/gif";
    case IMAGE_UNKNOWN:
        break;
    }
    return "application/octet-stream";
}

const char *image_ext(enum image_type t)
{
    switch (t) {
    case IMAGE_JPEG:
        return "jpg";
    case IMAGE_PNG:
        return "png";
    case IMAGE_WEBP:
        return "webp";
    case IMAGE_GIF:
        return "gif";
    case IMAGE_UNKNOWN:
        break;
    }
    return "bin";
}

/*-----------------------------------------------------------------------------
 * Helpers
 */
static int fail(struct image_error *err, enum image_errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct image_error *err, enum image_errkind kind, const char *fmt, ...)
{
    err->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Fail with libvips' message appended (and its buffer cleared). */
static int vfail(struct image_error *err, enum image_errkind kind, const char *what)
{
    char *m = vips_error_buffer_copy();
    size_t n = m ? strlen(m) : 0;
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
        m[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (m[i] == '\n')
            m[i] = ' ';
    fail(err, kind, "%s: %s", what, n ? m : "libvips gave no reason");
    g_free(m);
    return -1;
}

static void unref(VipsImage **im)
{
    if (*im != NULL)
        g_object_unref(*im);
    *im = NULL;
}

/* Replace *im by next (which took its own reference to *im, if it needs one). */
static void swap_in(VipsImage **im, VipsImage *next)
{
    unref(im);
    *im = next;
}

/*
 * Decode data with the loader for t. all_frames: every frame of an animated
 * GIF/WebP (stacked vertically, "page-height" set); else the first only.
 * The image refers to data, which must outlive it.
 */
static VipsImage *load(const void *data, size_t len, enum image_type t, bool all_frames, VipsAccess access)
{
    VipsImage *im = NULL;
    void *buf = (void *)(uintptr_t)data; /* libvips' buffer loaders take a non-const pointer; they only read */
    int n = all_frames ? -1 : 1;
    int rc = -1;
    switch (t) {
    case IMAGE_JPEG:
        rc = vips_jpegload_buffer(buf, len, &im, "access", access, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
        break;
    case IMAGE_PNG:
        rc = vips_pngload_buffer(buf, len, &im, "access", access, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
        break;
    case IMAGE_WEBP:
        rc = vips_webpload_buffer(buf, len, &im, "access", access, "n", n, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
        break;
    case IMAGE_GIF:
        rc = vips_gifload_buffer(buf, len, &im, "access", access, "n", n, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
        break;
    case IMAGE_UNKNOWN:
        break;
    }
    if (rc != 0)
        unref(&im);
    return im;
}

static void describe(VipsImage *im, enum image_type t, struct image_info *info)
{
    int ph = vips_image_get_page_height(im);
    info->type = t;
    info->width = vips_image_get_width(im);
    info->height = ph;
    info->frames = ph > 0 ? vips_image_get_height(im) / ph : 1;
    info->has_alpha = vips_image_hasalpha(im) != 0;
}

static int check_pixels(VipsImage *im, int64_t max_pixels, struct image_error *err)
{
    int64_t w = vips_image_get_width(im), h = vips_image_get_height(im); /* h: all frames */
    if (w <= 0 || h <= 0)
        return fail(err, IMAGE_E_INVALID, "the image has no pixels");
    if (w * h > max_pixels)
        return fail(err, IMAGE_E_PIXELS, "the image is %lldx%lld pixels%s, over the limit of %lld pixels", (long long)w,
                    (long long)vips_image_get_page_height(im),
                    h != vips_image_get_page_height(im) ? " per frame, all frames together" : "",
                    (long long)max_pixels);
    return 0;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/*
 * libvips 8.14's webpsave writes an EXIF chunk of its own (orientation,
 * resolution) even with strip set. Drop the ICCP, EXIF and XMP chunks
 * from the RIFF container in place and clear their VP8X flags. Returns the
 * new length, or 0 if the container is not what libwebp writes.
 */
static size_t webp_drop_metadata(unsigned char *b, size_t len)
{
    if (len < 12 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WEBP", 4) != 0)
        return 0;
    size_t in = 12, out = 12;
    while (in + 8 <= len) {
        size_t size = le32(b + in + 4);
        size_t whole = 8 + size + (size & 1);
        if (whole > len - in)
            return 0;
        bool drop = memcmp(b + in, "EXIF", 4) == 0 || memcmp(b + in, "XMP ", 4) == 0 || memcmp(b + in, "ICCP", 4) == 0;
        if (!drop) {
            memmove(b + out, b + in, whole);
            if (memcmp(b + out, "VP8X", 4) == 0 && size >= 1)
                b[out + 8] &= (unsigned char)~(0x20 | 0x08 | 0x04); /* ICC, EXIF, XMP flags */
            out += whole;
        }
        in += whole;
    }
    if (in != len)
        return 0;
    put_le32(b + 4, (uint32_t)(out - 8));
    return out;
}

/* Encode im as type t without metadata into the arena. */
static int save(VipsImage *im, enum image_type t, int quality, struct arena *a, struct image_out *out,
                struct image_error *err)
{
    void *buf = NULL;
    size_t len = 0;
    int rc = -1;
    switch (t) {
    case IMAGE_JPEG:
        rc = vips_jpegsave_buffer(im, &buf, &len, "strip", TRUE, "Q", quality, "optimize_coding", TRUE, NULL);
        break;
    case IMAGE_PNG:
        rc = vips_pngsave_buffer(im, &buf, &len, "strip", TRUE, "compression", PNG_COMPRESSION, NULL);
        break;
    case IMAGE_WEBP:
        rc = vips_webpsave_buffer(im, &buf, &len, "strip", TRUE, "Q", quality, NULL);
        break;
    case IMAGE_GIF:
        rc = vips_gifsave_buffer(im, &buf, &len, "strip", TRUE, NULL);
        break;
    case IMAGE_UNKNOWN:
        break;
    }
    if (rc != 0 || buf == NULL) {
        g_free(buf);
        return vfail(err, IMAGE_E_INVALID, "cannot decode or encode the image");
    }
    if (t == IMAGE_WEBP && (len = webp_drop_metadata(buf, len)) == 0) {
        g_free(buf);
        return fail(err, IMAGE_E_INTERNAL, "the WebP encoder wrote a container we cannot read");
    }
    arena_on_reset(a, g_free, buf);
    out->data = buf;
    out->len = len;
    describe(im, t, &out->info);
    return 0;
}

/*
 * Turn an embedded colour profile (or CMYK) into plain sRGB before the
 * profile is stripped, so colours survive. A profile lcms cannot use is
 * ignored (the pixels are kept as they are).
 */
static void to_srgb(VipsImage **im)
{
    VipsImage *x = NULL;
    bool cmyk = vips_image_get_interpretation(*im) == VIPS_INTERPRETATION_CMYK;
    if (vips_image_get_typeof(*im, VIPS_META_ICC_NAME) != 0 && vips_icc_present()) {
        if (vips_icc_transform(*im, &x, "srgb", "embedded", TRUE, "intent", VIPS_INTENT_RELATIVE, NULL) == 0) {
            swap_in(im, x);
            return;
        }
        char *m = vips_error_buffer_copy();
        log_debug("colour profile ignored", "%s", m);
        g_free(m);
    }
    if (cmyk && vips_colourspace(*im, &x, VIPS_INTERPRETATION_sRGB, NULL) == 0)
        swap_in(im, x);
    else if (cmyk)
        g_free(vips_error_buffer_copy());
}

/*
 * An alpha channel that is opaque everywhere (GIFs always load with one,
 * many PNGs carry one) is dropped, so such a variant can be a JPEG. Only
 * for variants: they are at most 2048 pixels square, so holding one
 * decoded in memory is cheap. Any failure leaves the image as it was.
 */
static void drop_opaque_alpha(VipsImage **im)
{
    VipsImage *alpha = NULL, *flat = NULL;
    double min = 0;
    if (!vips_image_hasalpha(*im))
        return;
    /* Measuring the alpha reads the pixels once and saving reads them again: decode into memory first. */
    VipsImage *mem = vips_image_copy_memory(*im);
    if (mem == NULL) {
        g_free(vips_error_buffer_copy());
        return;
    }
    swap_in(im, mem);
    if (vips_extract_band(*im, &alpha, vips_image_get_bands(*im) - 1, NULL) != 0 || vips_min(alpha, &min, NULL) != 0) {
        g_free(vips_error_buffer_copy());
        goto out;
    }
    VipsBandFormat f = vips_image_get_format(*im);
    double opaque = f == VIPS_FORMAT_UCHAR ? 255 : f == VIPS_FORMAT_USHORT ? 65535 : -1;
    if (opaque > 0 && min >= opaque) {
        if (vips_flatten(*im, &flat, NULL) == 0)
            swap_in(im, flat);
        else
            g_free(vips_error_buffer_copy());
    }
out:
    unref(&alpha);
}

/*-----------------------------------------------------------------------------
 * Operations
 */
int image_probe(const void *data, size_t len, enum image_type t, int64_t max_pixels, struct image_info *info,
                struct image_error *err)
{
    memset(err, 0, sizeof *err);
    memset(info, 0, sizeof *info);
    if (t == IMAGE_UNKNOWN || image_sniff(data, len) != t)
        return fail(err, IMAGE_E_TYPE, "the bytes are not a %s image", image_ext(t));
    VipsImage *im = load(data, len, t, true, VIPS_ACCESS_SEQUENTIAL);
    if (im == NULL)
        return vfail(err, IMAGE_E_INVALID, "cannot read the image header");
    int ret = check_pixels(im, max_pixels, err);
    if (ret == 0)
        describe(im, t, info);
    unref(&im);
    return ret;
}

int image_sanitize(const void *data, size_t len, enum image_type t, int64_t max_pixels, struct arena *a,
                   struct image_out *out, struct image_error *err)
{
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    struct image_info info;
    int ret = -1;
    VipsImage *im = NULL, *x = NULL;
    if (image_probe(data, len, t, max_pixels, &info, err) != 0)
        return -1;
    bool animated = info.frames > 1;
    im = load(data, len, t, true, VIPS_ACCESS_SEQUENTIAL);
    if (im == NULL) {
        vfail(err, IMAGE_E_INVALID, "cannot read the image");
        goto out;
    }
    if (!animated && vips_image_get_orientation(im) > 1) {
        /* Rotating needs random access: load again that way, then turn it upright. */
        unref(&im);
        im = load(data, len, t, false, VIPS_ACCESS_RANDOM);
        if (im == NULL || vips_autorot(im, &x, NULL) != 0) {
            vfail(err, IMAGE_E_INVALID, "cannot rotate the image upright");
            goto out;
        }
        swap_in(&im, x);
    }
    if (!animated)
        to_srgb(&im);
    ret = save(im, t, t == IMAGE_WEBP ? SANITIZE_WEBP_Q : SANITIZE_JPEG_Q, a, out, err);
out:
    unref(&im);
    return ret;
}

int image_render(const void *data, size_t len, int box, enum image_type as, struct arena *a, struct image_out *out,
                 struct image_error *err)
{
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    if (image_sniff(data, len) == IMAGE_UNKNOWN)
        return fail(err, IMAGE_E_TYPE, "the source is not an image of an accepted type");
    if (box < 1)
        return fail(err, IMAGE_E_INTERNAL, "bad box %d", box);
    VipsImage *im = NULL;
    void *buf = (void *)(uintptr_t)data;
    if (vips_thumbnail_buffer(buf, len, &im, box, "height", box, "size", VIPS_SIZE_DOWN, NULL) != 0)
        return vfail(err, IMAGE_E_INVALID, "cannot make a variant");
    drop_opaque_alpha(&im);
    enum image_type fmt = as == IMAGE_WEBP ? IMAGE_WEBP : vips_image_hasalpha(im) ? IMAGE_PNG : IMAGE_JPEG;
    int ret = save(im, fmt, fmt == IMAGE_WEBP ? VARIANT_WEBP_Q : VARIANT_JPEG_Q, a, out, err);
    unref(&im);
    return ret;
}
