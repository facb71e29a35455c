/*
 * test_media.c — the media service on the local store: upload typed by
 * bytes, limits, metadata stripping, variants, serving (ETag, Range,
 * visibility), delete and re-processing, and the multipart edge cases.
 * The S3 flow is in test_media_s3.c.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/media_testlib.h"
#include "api_client.h"

TestSuite(media, .fini = media_testlib_fini, .timeout = 180);

static const char *const fast_args[] = {"--rate-limit-scale", "100", "--job-poll-ms", "50", NULL};

static struct api_server *start(void)
{
    struct api_opts o = {.args = fast_args};
    return api_start(&o);
}

static const char *object_path(struct api_server *s, const char *id, const char *name, char *buf, size_t cap)
{
    size_t n = strlen(id);
    snprintf(buf, cap, "%s/media/%s/%s/%s", s->data_dir, id + n - 2, id, name);
    return buf;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of regular files under dir, recursively. */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        n += S_ISDIR(st.st_mode) ? count_files(p) : 1;
    }
    closedir(d);
    return n;
}

static int media_files(struct api_server *s)
{
    char dir[400];
    snprintf(dir, sizeof dir, "%s/media", s->data_dir);
    return count_files(dir);
}

static int media_rows(struct api_server *s)
{
    char buf[32];
    cr_assert_eq(api_sql_text(s, "SELECT COUNT(*) FROM media_objects", NULL, 0, buf, sizeof buf), 1);
    return atoi(buf);
}

/* Poll GET path until it stops answering 404 (the variants job ran); returns the final response. */
static struct api_response *wait_variant(struct api_server *s, const struct api_account *a, const char *path)
{
    struct api_response *r = NULL;
    for (int i = 0; i < 600; i++) {
        r = mt_get(s, a, path, NULL);
        if (r->status != 404 || strstr(r->body, "failed") != NULL)
            return r;
        api_response_free(r);
        api_sleep_ms(100);
    }
    return mt_get(s, a, path, NULL);
}

/*-----------------------------------------------------------------------------
 * Upload and typing
 */
Test(media, each_type_is_typed_by_its_bytes_and_served_with_variants)
{
    struct api_server *s = start();
    struct api_account a;
    api_account(s, "buyer", "media-types", &a);
    static const struct {
        const char *fmt, *mime, *magic;
        bool alpha;
        int frames;
    } cases[] = {
        {"jpg", "image/jpeg", "\xff\xd8\xff", false, 1},
        {"png", "image/png", "\x89PNG", true, 1},
        {"webp", "image/webp", "WEBP", false, 1},
        {"gif", "image/gif", "GIF8", false, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mbuf img = mt_image(cases[i].fmt, 320, 240, cases[i].alpha, cases[i].frames);
        /* The name and declared type lie: only the bytes count. */
        struct api_response *r = mt_upload(s, &a, img.data, img.len, "holiday.txt", "text/plain", "avatar");
        cr_assert_eq(r->status, 201, "%s: %ld %s", cases[i].fmt, r->status, r->body);
        json_t *j = r->json;
        char id[64];
        snprintf(id, sizeof id, "%s", json_string_value(json_object_get(j, "id")));
        cr_assert_str_eq(json_string_value(json_object_get(j, "mime")), cases[i].mime);
        cr_assert_eq(json_integer_value(json_object_get(j, "width")), 320);
        cr_assert_eq(json_integer_value(json_object_get(j, "height")), 240);
        cr_assert_eq(json_integer_value(json_object_get(j, "frames")), cases[i].frames, "%s frames", cases[i].fmt);
        cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "pending");
        cr_assert_eq(strlen(json_string_value(json_object_get(j, "sha256"))), 64);
        long long bytes = json_integer_value(json_object_get(j, "bytes"));
        char loc[128], thumb_url[160];
        snprintf(loc, sizeof loc, "/api/v1/media/%s", id);
        snprintf(thumb_url, sizeof thumb_url, "%s?variant=thumbnail", loc);
        cr_assert_str_eq(api_header(r, "Location"), loc);
        json_t *urls = json_object_get(j, "urls");
        cr_assert_str_eq(json_string_value(json_object_get(urls, "original")), loc);
        cr_assert_str_eq(json_string_value(json_object_get(urls, "thumbnail")), thumb_url);
        api_response_free(r);

        /* Stored under a generated key, never the client's name. */
        char path[600];
        char name[32];
        snprintf(name, sizeof name, "original.%s", cases[i].fmt);
        cr_assert(file_exists(object_path(s, id, name, path, sizeof path)), "missing %s", path);
        char row_name[64];
        const char *p[] = {id};
        cr_assert_eq(api_sql_text(s, "SELECT original_filename FROM media_objects WHERE id = $1", p, 1, row_name,
                                  sizeof row_name),
                     1);
        cr_assert_str_eq(row_name, "holiday.txt");

        /* The original, with the sniffed type and nosniff. */
        r = mt_get(s, NULL, loc, NULL);
        cr_assert_eq(r->status, 200);
        cr_assert_str_eq(api_header(r, "Content-Type"), cases[i].mime);
        cr_assert_str_eq(api_header(r, "X-Content-Type-Options"), "nosniff");
        cr_assert_eq((long long)r->body_len, bytes);
        cr_assert(mt_contains(r->body, r->body_len > 16 ? 16 : r->body_len, cases[i].magic));
        api_response_free(r);

        /* Variants appear once the job ran, fitted in their boxes. */
        char vpath[160];
        snprintf(vpath, sizeof vpath, "%s?variant=thumbnail", loc);
        r = wait_variant(s, NULL, vpath);
        cr_assert_eq(r->status, 200, "%s thumbnail: %ld %s", cases[i].fmt, r->status, r->body);
        cr_assert_str_eq(api_header(r, "Content-Type"), cases[i].alpha ? "image/png" : "image/jpeg");
        int w = 0, h = 0;
        cr_assert(mt_dimensions(r->body, r->body_len, &w, &h));
        cr_assert(w == 200 && h == 150, "thumbnail %dx%d", w, h);
        api_response_free(r);
        snprintf(vpath, sizeof vpath, "%s?variant=webp", loc);
        r = mt_get(s, NULL, vpath, NULL);
        cr_assert_eq(r->status, 200);
        cr_assert_str_eq(api_header(r, "Content-Type"), "image/webp");
        cr_assert(r->body_len > 12 && memcmp(r->body + 8, "WEBP", 4) == 0);
        api_response_free(r);
        snprintf(vpath, sizeof vpath, "%s?variant=large", loc);
        r = mt_get(s, NULL, vpath, NULL);
        cr_assert_eq(r->status, 200);
        cr_assert(mt_dimensions(r->body, r->body_len, &w, &h));
        cr_assert(w == 320 && h == 240, "large is never enlarged: %dx%d", w, h);
        api_response_free(r);
        char st[16];
        cr_assert_str_eq(mt_wait_status(s, id, "ready", st, sizeof st), "ready");
        free(img.data);
    }
    api_stop(s);
}

Test(media, renamed_non_images_are_refused_by_their_bytes)
{
    struct api_server *s = start();
    struct api_account a;
    api_account(s, "buyer", "media-renamed", &a);
    static const char text[] = "Dear diary, this is not a picture.\n";
    static const char pdf[] = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>";
    static const char html[] = "<html><script>alert(1)</script></html>";
    const struct {
        const char *data, *name, *ctype;
        size_t len;
    } cases[] = {
        {text, "photo.jpg", "image/jpeg", sizeof text - 1},
        {pdf, "photo.jpg", "image/jpeg", sizeof pdf - 1},
        {svg, "logo.png", "image/png", sizeof svg - 1},
        {html, "pic.gif", "image/gif", sizeof html - 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_response *r = mt_upload(s, &a, cases[i].data, cases[i].len, cases[i].name, cases[i].ctype, NULL);
        api_assert_problem(r, 415, "unsupported_image_type");
        api_response_free(r);
    }
    /* Right magic, wrong body: it must decode as what it claims to be. */
    static const char fake_jpeg[] = "\xff\xd8\xff\xe0 this is text pretending to be a JPEG";
    struct api_response *r = mt_upload(s, &a, fake_jpeg, sizeof fake_jpeg - 1, "x.jpg", "image/jpeg", NULL);
    api_assert_problem(r, 422, "invalid_image");
    api_response_free(r);
    /* A real PNG cut in half. */
    struct mbuf png = mt_image("png", 64, 64, false, 1);
    r = mt_upload(s, &a, png.data, png.len / 2, "half.png", "image/png", NULL);
    api_assert_problem(r, 422, "invalid_image");
    api_response_free(r);
    free(png.data);
    cr_assert_eq(media_rows(s), 0, "nothing recorded");
    cr_assert_eq(media_files(s), 0, "nothing stored");
    api_assert_alive(s);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Limits
 */
Test(media, oversize_files_and_bodies_are_413)
{
    const char *args[] = {
        "--rate-limit-scale", "100", "--media-max-upload-bytes", "4096", "--max-upload", "262144", NULL};
    struct api_opts o = {.args = args};
    struct api_server *s = api_start(&o);
    struct api_account a;
    api_account(s, "buyer", "media-big", &a);
    struct mbuf big = mt_image("png", 200, 200, false, 1); /* a gradient PNG: well over 4 KiB */
    cr_assert(big.len > 4096 && big.len < 262144, "%zu", big.len);
    struct api_response *r = mt_upload(s, &a, big.data, big.len, "big.png", "image/png", NULL);
    api_assert_problem(r, 413, "payload_too_large");
    api_response_free(r);
    /* Over the body cap: refused by the HTTP layer before the form is read. */
    size_t n = 300000;
    unsigned char *huge = calloc(1, n);
    r = mt_upload(s, &a, huge, n, "huge.png", "image/png", NULL);
    api_assert_problem(r, 413, "payload_too_large");
    api_response_free(r);
    free(huge);
    /* A small one still fits. */
    struct mbuf small = mt_image("jpg", 16, 16, false, 1);
    r = mt_upload(s, &a, small.data, small.len, "small.jpg", "image/jpeg", NULL);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    api_response_free(r);
    free(big.data);
    free(small.data);
    api_stop(s);
}

static unsigned long crc32_of(const unsigned char *p, size_t n)
{
    unsigned long c = 0xffffffffUL;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320UL & (0UL - (c & 1)));
    }
    return c ^ 0xffffffffUL;
}

static void put_be32(unsigned char *p, unsigned long v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A real PNG whose IHDR now declares w x h (CRC fixed), pixel data unchanged: a decompression bomb's header. */
static struct mbuf png_bomb(unsigned long w, unsigned long h)
{
    struct mbuf png = mt_image("png", 8, 8, false, 1);
    cr_assert(memcmp(png.data + 12, "IHDR", 4) == 0);
    put_be32(png.data + 16, w);
    put_be32(png.data + 20, h);
    put_be32(png.data + 29, crc32_of(png.data + 12, 17));
    return png;
}

/* A real JPEG whose SOF now declares w x h. */
static struct mbuf jpeg_bomb(unsigned w, unsigned h)
{
    struct mbuf jpg = mt_image("jpg", 8, 8, false, 1);
    for (size_t i = 2; i + 9 < jpg.len; i++)
        if (jpg.data[i] == 0xFF && (jpg.data[i + 1] == 0xC0 || jpg.data[i + 1] == 0xC2)) {
            jpg.data[i + 5] = (unsigned char)(h >> 8);
            jpg.data[i + 6] = (unsigned char)h;
            jpg.data[i + 7] = (unsigned char)(w >> 8);
            jpg.data[i + 8] = (unsigned char)w;
            return jpg;
        }
    cr_assert_fail("no SOF marker");
    return jpg;
}

Test(media, pixel_limit_refuses_bombs_before_decoding)
{
    struct api_server *s = start();
    struct api_account a;
    api_account(s, "buyer", "media-bomb", &a);
    /* 60000 x 60000 = 3.6 gigapixels declared by a file of a few hundred bytes. */
    struct mbuf bombs[] = {png_bomb(60000, 60000), jpeg_bomb(60000, 60000)};
    for (size_t i = 0; i < 2; i++) {
        struct api_response *r = mt_upload(s, &a, bombs[i].data, bombs[i].len, "bomb", NULL, NULL);
        api_assert_problem(r, 422, "image_too_many_pixels");
        cr_assert(strstr(r->body, "60000x60000") != NULL, "%s", r->body);
        api_response_free(r);
        free(bombs[i].data);
    }
    api_assert_alive(s);
    cr_assert_eq(media_rows(s), 0);
    api_stop(s);

    /* A configured limit applies to honest images too. */
    const char *args[] = {"--rate-limit-scale", "100", "--media-max-pixels", "10000", NULL};
    struct api_opts o = {.args = args};
    s = api_start(&o);
    api_account(s, "buyer", "media-px", &a);
    struct mbuf img = mt_image("webp", 200, 100, false, 1);
    struct api_response *r = mt_upload(s, &a, img.data, img.len, "wide.webp", "image/webp", NULL);
    api_assert_problem(r, 422, "image_too_many_pixels");
    api_response_free(r);
    free(img.data);
    img = mt_image("webp", 100, 100, false, 1);
    r = mt_upload(s, &a, img.data, img.len, "square.webp", "image/webp", NULL);
    cr_assert_eq(r->status, 201, "exactly at the limit: %ld %s", r->status, r->body);
    api_response_free(r);
    free(img.data);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Metadata
 */
static void put_be16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

/* One big-endian TIFF IFD entry. */
static unsigned char *ifd_entry(unsigned char *p, unsigned tag, unsigned type, unsigned long count, unsigned long value)
{
    put_be16(p, tag);
    put_be16(p + 2, type);
    put_be32(p + 4, count);
    if (type == 3 && count == 1) { /* a SHORT sits in the first two bytes */
        put_be16(p + 8, (unsigned)value);
        put_be16(p + 10, 0);
    } else {
        put_be32(p + 8, value);
    }
    return p + 12;
}

/*
 * A JPEG carrying metadata: an APP1 Exif segment (Orientation 6 = rotate 90°
 * clockwise to display, an ImageDescription, and a GPS IFD with latitude
 * 48°51'29.7"N), an APP1 XMP packet with a GPS position, an APP2 ICC
 * segment lcms cannot use, and a COM comment. The image itself is 64 x 32.
 */
static struct mbuf jpeg_with_metadata(void)
{
    struct mbuf base = mt_image("jpg", 64, 32, false, 1);
    unsigned char tiff[120] = {0};
    memcpy(tiff, "MM\0\x2a", 4);
    put_be32(tiff + 4, 8);
    put_be16(tiff + 8, 3); /* IFD0: 3 entries, sorted by tag */
    unsigned char *e = tiff + 10;
    e = ifd_entry(e, 0x010E, 2, 16, 104);                 /* ImageDescription → offset 104 */
    e = ifd_entry(e, 0x0112, 3, 1, 6);                    /* Orientation */
    e = ifd_entry(e, 0x8825, 4, 1, 50);                   /* GPS IFD at 50 */
    put_be32(e, 0);                                       /* no IFD1 */
    put_be16(tiff + 50, 2);                               /* GPS IFD: 2 entries */
    e = ifd_entry(tiff + 52, 0x0001, 2, 2, 0x4E000000UL); /* GPSLatitudeRef "N" */
    e = ifd_entry(e, 0x0002, 5, 3, 80);                   /* GPSLatitude → offset 80 */
    put_be32(e, 0);
    unsigned long rationals[6] = {48, 1, 51, 1, 2970, 100};
    for (int i = 0; i < 6; i++)
        put_be32(tiff + 80 + 4 * i, rationals[i]);
    memcpy(tiff + 104, "GPS-SECRET-HOME", 16);

    static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
                              "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description "
                              "xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='48,51.5N' "
                              "exif:UserComment='XMP-SECRET'/></rdf:RDF></x:xmpmeta>";
    static const char icc[] = "ICC_PROFILE\0\x01\x01ICC-SECRET-not-a-real-profile";
    static const char com[] = "COMMENT-SECRET";

    size_t cap = base.len + 1024, n = 0;
    unsigned char *out = malloc(cap);
    /* SOI, then JFIF APP0 when present, then our segments, then the rest. */
    size_t rest = 2;
    if (base.data[2] == 0xFF && base.data[3] == 0xE0)
        rest = 4 + (size_t)((base.data[4] << 8) | base.data[5]);
    memcpy(out, base.data, rest);
    n = rest;
    out[n++] = 0xFF, out[n++] = 0xE1;
    put_be16(out + n, 2 + 6 + sizeof tiff);
    n += 2;
    memcpy(out + n, "Exif\0\0", 6);
    n += 6;
    memcpy(out + n, tiff, sizeof tiff);
    n += sizeof tiff;
    out[n++] = 0xFF, out[n++] = 0xE1;
    put_be16(out + n, (unsigned)(2 + sizeof xmp - 1));
    n += 2;
    memcpy(out + n, xmp, sizeof xmp - 1);
    n += sizeof xmp - 1;
    out[n++] = 0xFF, out[n++] = 0xE2;
    put_be16(out + n, (unsigned)(2 + sizeof icc - 1));
    n += 2;
    memcpy(out + n, icc, sizeof icc - 1);
    n += sizeof icc - 1;
    out[n++] = 0xFF, out[n++] = 0xFE;
    put_be16(out + n, (unsigned)(2 + sizeof com - 1));
    n += 2;
    memcpy(out + n, com, sizeof com - 1);
    n += sizeof com - 1;
    memcpy(out + n, base.data + rest, base.len - rest);
    n += base.len - rest;
    free(base.data);
    return (struct mbuf){out, n};
}

static const char *const secrets[] = {
    "Exif", "GPS-SECRET-HOME", "http://ns.adobe.com/xap", "XMP-SECRET", "ICC-SECRET", "COMMENT-SECRET", NULL};

static void assert_clean(const char *what, const void *data, size_t len)
{
    for (int i = 0; secrets[i] != NULL; i++)
        cr_assert(!mt_contains(data, len, secrets[i]), "%s still contains \"%s\"", what, secrets[i]);
}

Test(media, exif_gps_xmp_icc_and_comments_are_stripped)
{
    struct api_server *s = start();
    struct api_account a;
    api_account(s, "buyer", "media-exif", &a);
    struct mbuf jpg = jpeg_with_metadata();
    for (int i = 0; secrets[i] != NULL; i++)
        cr_assert(mt_contains(jpg.data, jpg.len, secrets[i]), "the test file lacks %s", secrets[i]);
    struct api_response *r = mt_upload(s, &a, jpg.data, jpg.len, "IMG_0001.JPG", "image/jpeg", "review_image");
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    char id[64];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(r->json, "id")));
    /* EXIF orientation 6 was applied before the tag went: 64x32 stored upright as 32x64. */
    cr_assert_eq(json_integer_value(json_object_get(r->json, "width")), 32);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "height")), 64);
    api_response_free(r);

    char path[160];
    snprintf(path, sizeof path, "/api/v1/media/%s", id);
    r = mt_get(s, NULL, path, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(api_header(r, "Content-Type"), "image/jpeg");
    assert_clean("served original", r->body, r->body_len);
    int w, h;
    cr_assert(mt_dimensions(r->body, r->body_len, &w, &h) && w == 32 && h == 64, "%dx%d", w, h);
    api_response_free(r);

    /* On disk too, and in every variant. */
    char file[600];
    FILE *f = fopen(object_path(s, id, "original.jpg", file, sizeof file), "rb");
    cr_assert(f != NULL, "%s", file);
    unsigned char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_clean("stored original", buf, n);
    char st[16];
    cr_assert_str_eq(mt_wait_status(s, id, "ready", st, sizeof st), "ready");
    for (const char *const *v = (const char *const[]){"thumbnail", "medium", "large", "webp", NULL}; *v; v++) {
        snprintf(path, sizeof path, "/api/v1/media/%s?variant=%s", id, *v);
        r = mt_get(s, NULL, path, NULL);
        cr_assert_eq(r->status, 200, "%s: %ld", *v, r->status);
        assert_clean(*v, r->body, r->body_len);
        api_response_free(r);
    }
    free(jpg.data);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Serving
 */
Test(media, etag_304_and_cache_headers)
{
    struct api_server *s = start();
    struct api_account a;
    api_account(s, "buyer", "media-etag", &a);
    struct mbuf img = mt_image("png", 40, 30, false, 1);
    char id[64], path[128];
    mt_upload_ok(s, &a, &img, "avatar", id, sizeof id);
    snprintf(path, sizeof path, "/api/v1/media/%s", id);
    struct api_response *r = mt_get(s, NULL, path, NULL);
    cr_assert_eq(r->status, 200);
    const char *p[] = {id};
    char sha[80], etag[96];
    cr_assert_eq(api_sql_text(s, "SELECT sha256 FROM media_objects WHERE id = $1", p, 1, sha, sizeof sha), 1);
    snprintf(etag, sizeof etag, "\"%s\"", sha);
    cr_assert_str_eq(api_header(r, "ETag"), etag, "strong ETag from the sha256");
    cr_assert_str_eq(api_header(r, "Cache-Control"), "public, max-age=31536000, immutable");
    cr_assert_str_eq(api_header(r, "Accept-Ranges"), "bytes");
    cr_assert(strncmp(api_header(r, "Content-Disposition"), "inline", 6) == 0);
    api_response_free(r);

    char inm[160];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *h1[] = {inm, NULL};
    r = mt_get(s, NULL, path, h1);
    cr_assert_eq(r->status, 304);
    cr_assert_eq(r->body_len, 0);
    cr_assert_str_eq(api_header(r, "ETag"), etag);
    api_response_free(r);
    snprintf(inm, sizeof inm, "If-None-Match: \"other\", W/%s", etag);
    r = mt_get(s, NULL, path, h1);
    cr_assert_eq(r->status, 304, "weak comparison over a list");
    api_response_free(r);
    const char *h2[] = {"If-None-Match: \"something-else\"", NULL};
    r = mt_get(s, NULL, path, h2);
    cr_assert_eq(r->status, 200);
    api_response_free(r);

    /* A variant has its own ETag, from its own bytes. */
    char st[16], vpath[160];
    cr_assert_str_eq(mt_wait_status(s, id, "ready", st, sizeof st), "ready");
    snprintf(vpath, sizeof vpath, "%s?variant=thumbnail", path);
    r = mt_get(s, NULL, vpath, NULL);
    cr_assert_eq(r->status, 200);
    char vetag[96];
    snprintf(vetag, sizeof vetag, "%s", api_header(r, "ETag"));
    cr_assert(vetag[0] == '"' && strcmp(vetag, etag) != 0, "%s", vetag);
    api_response_free(r);
    snprintf(inm, sizeof inm, "If-None-Match: %s", vetag);
    r = mt_get(s, NULL, vpath, h1);
    cr_assert_eq(r->status, 304);
    api_response_free(r);
    free(img.data);
    api_stop(s);
}

Test(media, range_requests_206_and_416)
{
    struct api_server *s = start();
    struct api_account a;
    api_account(s, "buyer", "media-range", &a);
    struct mbuf img = mt_image("jpg", 120, 90, false, 1);
    char id[64], path[128];
    mt_upload_ok(s, &a, &img, NULL, id, sizeof id);
    snprintf(path, sizeof path, "/api/v1/media/%s", id);
    struct api_response *full = mt_get(s, NULL, path, NULL);
    cr_assert_eq(full->status, 200);
    size_t size = full->body_len;
    cr_assert(size > 100);

    const char *h[] = {"Range: bytes=0-9", NULL};
    struct api_response *r = mt_get(s, NULL, path, h);
    cr_assert_eq(r->status, 206);
    cr_assert_eq(r->body_len, 10);
    cr_assert(memcmp(r->body, full->body, 10) == 0);
    char want[64];
    snprintf(want, sizeof want, "bytes 0-9/%zu", size);
    cr_assert_str_eq(api_header(r, "Content-Range"), want);
    cr_assert_str_eq(api_header(r, "Content-Type"), "image/jpeg");
    api_response_free(r);

    h[0] = "Range: bytes=-5";
    r = mt_get(s, NULL, path, h);
    cr_assert_eq(r->status, 206);
    cr_assert_eq(r->body_len, 5);
    cr_assert(memcmp(r->body, full->body + size - 5, 5) == 0, "the last five bytes");
    api_response_free(r);

    char mid[64];
    snprintf(mid, sizeof mid, "Range: bytes=50-%zu", size + 1000);
    h[0] = mid;
    r = mt_get(s, NULL, path, h);
    cr_assert_eq(r->status, 206);
    cr_assert_eq(r->body_len, size - 50, "clamped to the end");
    cr_assert(memcmp(r->body, full->body + 50, size - 50) == 0);
    api_response_free(r);

    char beyond[64];
    snprintf(beyond, sizeof beyond, "Range: bytes=%zu-", size);
    h[0] = beyond;
    r = mt_get(s, NULL, path, h);
    api_assert_problem(r, 416, "range_not_satisfiable");
    snprintf(want, sizeof want, "bytes */%zu", size);
    cr_assert_str_eq(api_header(r, "Content-Range"), want);
    cr_assert(api_header(r, "ETag") == NULL, "no cache validators on a refusal");
    api_response_free(r);

    /* Ignored ranges: several, other units, malformed, or If-Range with another validator. */
    const char *ignored[] = {"Range: bytes=0-1,4-5", "Range: pages=1-2", "Range: bytes=9-3", "Range: bytes=abc", NULL};
    for (int i = 0; ignored[i] != NULL; i++) {
        h[0] = ignored[i];
        r = mt_get(s, NULL, path, h);
        cr_assert_eq(r->status, 200, "%s: %ld", ignored[i], r->status);
        cr_assert_eq(r->body_len, size);
        api_response_free(r);
    }
    const char *h2[] = {"Range: bytes=0-9", "If-Range: \"not-the-etag\"", NULL};
    r = mt_get(s, NULL, path, h2);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(r->body_len, size);
    api_response_free(r);

    /* HEAD: same headers, no body. */
    r = api_request(s, "HEAD", path, NULL, NULL, 0);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(r->body_len, 0);
    char len[32];
    snprintf(len, sizeof len, "%zu", size);
    cr_assert_str_eq(api_header(r, "Content-Length"), len);
    cr_assert_str_eq(api_header(r, "Content-Type"), "image/jpeg");
    api_response_free(r);
    api_response_free(full);
    free(img.data);
    api_stop(s);
}

Test(media, private_kinds_only_to_owner_and_admin)
{
    struct api_server *s = start();
    struct api_account owner, other, admin;
    api_account(s, "buyer", "media-own", &owner);
    api_account(s, "buyer", "media-other", &other);
    api_account(s, "admin", "media-adm", &admin);
    struct mbuf img = mt_image("png", 30, 30, false, 1);
    char priv[64], pub[64], path[128];
    mt_upload_ok(s, &owner, &img, "message_attachment", priv, sizeof priv);
    mt_upload_ok(s, &owner, &img, "review_image", pub, sizeof pub);
    snprintf(path, sizeof path, "/api/v1/media/%s", priv);
    struct api_response *r = mt_get(s, NULL, path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = mt_get(s, &other, path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = mt_get(s, &owner, path, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(api_header(r, "Cache-Control"), "private, no-cache");
    api_response_free(r);
    r = mt_get(s, &admin, path, NULL);
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    const char *bad[] = {"Authorization: Bearer not-a-token", NULL};
    r = api_request(s, "GET", path, bad, NULL, 0);
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);
    /* Public kinds: anyone. */
    snprintf(path, sizeof path, "/api/v1/media/%s", pub);
    r = mt_get(s, NULL, path, NULL);
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    /* Unknown but well-formed id: 404; malformed id or variant: 400. */
    r = mt_get(s, NULL, "/api/v1/media/med_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = mt_get(s, NULL, "/api/v1/media/usr_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/media/%s?variant=huge", pub);
    r = mt_get(s, NULL, path, NULL);
    api_assert_problem(r, 400, "invalid_parameter");
    api_response_free(r);
    free(img.data);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Delete and process
 */
Test(media, delete_by_owner_admin_and_others)
{
    struct api_server *s = start();
    struct api_account owner, other, admin;
    api_account(s, "buyer", "media-del", &owner);
    api_account(s, "buyer", "media-del2", &other);
    api_account(s, "admin", "media-deladm", &admin);
    struct mbuf img = mt_image("jpg", 50, 50, false, 1);
    char pub[64], priv[64], adm[64], path[128];
    mt_upload_ok(s, &owner, &img, "avatar", pub, sizeof pub);
    mt_upload_ok(s, &owner, &img, "personalization", priv, sizeof priv);
    mt_upload_ok(s, &owner, &img, "other", adm, sizeof adm);
    char st[16];
    cr_assert_str_eq(mt_wait_status(s, pub, "ready", st, sizeof st), "ready");

    snprintf(path, sizeof path, "/api/v1/media/%s", pub);
    struct api_response *r = api_as(s, NULL, "DELETE", path, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &other, "DELETE", path, NULL);
    api_assert_problem(r, 403, "forbidden"); /* a public object: its existence is no secret */
    api_response_free(r);
    snprintf(path, sizeof path, "/api/v1/media/%s", priv);
    r = api_as(s, &other, "DELETE", path, NULL);
    api_assert_problem(r, 404, "not_found"); /* a private one: not even that */
    api_response_free(r);

    snprintf(path, sizeof path, "/api/v1/media/%s", pub);
    r = api_as(s, &owner, "DELETE", path, NULL);
    cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
    api_response_free(r);
    r = mt_get(s, NULL, path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &owner, "DELETE", path, NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    /* The job removes the original and the variants. */
    char file[600];
    object_path(s, pub, "original.jpg", file, sizeof file);
    for (int i = 0; i < 600 && file_exists(file); i++)
        api_sleep_ms(100);
    cr_assert(!file_exists(file), "%s still there", file);
    object_path(s, pub, "thumbnail.jpg", file, sizeof file);
    cr_assert(!file_exists(file), "%s still there", file);

    /* An admin may delete anyone's. */
    snprintf(path, sizeof path, "/api/v1/media/%s", adm);
    r = api_as(s, &admin, "DELETE", path, NULL);
    cr_assert_eq(r->status, 204);
    api_response_free(r);
    free(img.data);
    api_stop(s);
}

Test(media, delete_refused_while_a_product_uses_it)
{
    struct api_server *s = start();
    struct api_account seller;
    api_account(s, "seller", "media-prod", &seller);
    struct mbuf img = mt_image("png", 50, 50, true, 1);
    char id[64], path[128];
    mt_upload_ok(s, &seller, &img, "product_image", id, sizeof id);
    char now[32];
    snprintf(now, sizeof now, "%lld", api_now_ms());
    const char *pp[] = {"prd_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", seller.id, seller.shop_id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO products (id, seller_id, shop_id, slug, title, price_amount, currency, "
                              "created_at, updated_at) VALUES ($1, $2, $3, 'mug', 'Mug', 1500, 'USD', "
                              "CAST($4 AS BIGINT), CAST($4 AS BIGINT))",
                              pp, 4),
                 0);
    const char *ip[] = {"pim_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", "prd_01JDQ8V7R3X1W9ZK4M2N5P6Q7R", id, now};
    cr_assert_eq(api_sql_exec(s,
                              "INSERT INTO product_images (id, product_id, media_id, position, is_primary, created_at) "
                              "VALUES ($1, $2, $3, 0, 1, CAST($4 AS BIGINT))",
                              ip, 4),
                 0);
    snprintf(path, sizeof path, "/api/v1/media/%s", id);
    struct api_response *r = api_as(s, &seller, "DELETE", path, NULL);
    api_assert_problem(r, 409, "media_in_use");
    api_response_free(r);
    r = mt_get(s, NULL, path, NULL);
    cr_assert_eq(r->status, 200, "still served");
    api_response_free(r);
    /* Detached, it can go. */
    const char *dp[] = {id};
    cr_assert_eq(api_sql_exec(s, "DELETE FROM product_images WHERE media_id = $1", dp, 1), 0);
    r = api_as(s, &seller, "DELETE", path, NULL);
    cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
    api_response_free(r);
    free(img.data);
    api_stop(s);
}

Test(media, process_reruns_variants_for_owner_only)
{
    struct api_server *s = start();
    struct api_account owner, other;
    api_account(s, "buyer", "media-proc", &owner);
    api_account(s, "buyer", "media-proc2", &other);
    struct mbuf img = mt_image("gif", 60, 40, false, 1);
    char id[64], path[160];
    mt_upload_ok(s, &owner, &img, NULL, id, sizeof id);
    char st[16];
    cr_assert_str_eq(mt_wait_status(s, id, "ready", st, sizeof st), "ready");
    /* Pretend the job failed for good and its variants are gone. */
    const char *p[] = {id};
    cr_assert_eq(api_sql_exec(s, "UPDATE media_objects SET status = 'failed', variants = '{}' WHERE id = $1", p, 1), 0);
    snprintf(path, sizeof path, "/api/v1/media/%s?variant=medium", id);
    struct api_response *r = mt_get(s, NULL, path, NULL);
    api_assert_problem(r, 404, "variant_not_ready");
    cr_assert(strstr(r->body, "process") != NULL, "says how to retry: %s", r->body);
    api_response_free(r);

    snprintf(path, sizeof path, "/api/v1/media/%s/process", id);
    r = api_as(s, NULL, "POST", path, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    r = api_as(s, &other, "POST", path, NULL);
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = api_as(s, &owner, "POST", "/api/v1/media/med_01JDQ8V7R3X1W9ZK4M2N5P6Q7R/process", NULL);
    api_assert_problem(r, 404, "not_found");
    api_response_free(r);
    r = api_as(s, &owner, "POST", path, "{}");
    api_assert_problem(r, 415, "unsupported_media_type"); /* takes no body */
    api_response_free(r);
    r = api_as(s, &owner, "POST", path, NULL);
    cr_assert_eq(r->status, 202, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "status")), "pending");
    cr_assert(strncmp(json_string_value(json_object_get(r->json, "job_id")), "job_", 4) == 0);
    api_response_free(r);
    cr_assert_str_eq(mt_wait_status(s, id, "ready", st, sizeof st), "ready");
    snprintf(path, sizeof path, "/api/v1/media/%s?variant=medium", id);
    r = mt_get(s, NULL, path, NULL);
    cr_assert_eq(r->status, 200);
    api_response_free(r);
    free(img.data);
    api_stop(s);
}

/*-----------------------------------------------------------------------------
 * Requests that are not a good upload
 */
Test(media, upload_auth_and_malformed_forms)
{
    struct api_server *s = start();
    struct api_account a, seller;
    api_account(s, "buyer", "media-form", &a);
    api_account(s, "seller", "media-formsel", &seller);
    struct mbuf img = mt_image("png", 20, 20, false, 1);

    struct api_response *r = mt_upload(s, NULL, img.data, img.len, "a.png", NULL, NULL);
    api_assert_problem(r, 401, "unauthenticated");
    api_response_free(r);
    struct api_account bad = a;
    snprintf(bad.auth, sizeof bad.auth, "Authorization: Bearer %s", "eyJhbGciOiJIUzI1NiJ9.e30.bad");
    r = mt_upload(s, &bad, img.data, img.len, "a.png", NULL, NULL);
    api_assert_problem(r, 401, "invalid_token");
    api_response_free(r);

    /* Not a form at all: 415. */
    const char *hj[] = {"Content-Type: image/png", a.auth, NULL};
    r = api_request(s, "POST", "/api/v1/media/upload", hj, img.data, img.len);
    api_assert_problem(r, 415, "unsupported_media_type");
    api_response_free(r);
    /* A form without a boundary, or a body that breaks off: 400. */
    const char *hb[] = {"Content-Type: multipart/form-data", a.auth, NULL};
    r = api_request(s, "POST", "/api/v1/media/upload", hb, "x", 1);
    api_assert_problem(r, 400, "malformed_multipart");
    api_response_free(r);
    struct mt_part file_only[] = {{"file", "a.png", "image/png", img.data, img.len}, {0}};
    struct mbuf form = mt_form(file_only);
    struct mbuf cut = {form.data, form.len - 20};
    r = mt_upload_form(s, &a, &cut);
    api_assert_problem(r, 400, "malformed_multipart");
    cr_assert(strstr(r->body, "closing boundary") != NULL, "%s", r->body);
    api_response_free(r);
    free(form.data);
    static char no_disp[] = "--" MT_BOUNDARY "\r\nContent-Type: image/png\r\n\r\nxx\r\n--" MT_BOUNDARY "--\r\n";
    form = (struct mbuf){(unsigned char *)no_disp, sizeof no_disp - 1};
    r = mt_upload_form(s, &a, &form);
    api_assert_problem(r, 400, "malformed_multipart");
    api_response_free(r);

    /* Well-formed, wrong fields: 422 naming them. */
    struct mt_part no_file[] = {{"kind", NULL, NULL, "avatar", 6}, {0}};
    form = mt_form(no_file);
    r = mt_upload_form(s, &a, &form);
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(strstr(r->body, "\"field\":\"file\"") != NULL, "%s", r->body);
    api_response_free(r);
    free(form.data);
    struct mt_part extra[] = {{"file", "a.png", NULL, img.data, img.len}, {"caption", NULL, NULL, "hi", 2}, {0}};
    form = mt_form(extra);
    r = mt_upload_form(s, &a, &form);
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(strstr(r->body, "\"field\":\"caption\"") != NULL, "%s", r->body);
    api_response_free(r);
    free(form.data);
    struct mt_part two[] = {
        {"file", "a.png", NULL, img.data, img.len}, {"file", "b.png", NULL, img.data, img.len}, {0}};
    form = mt_form(two);
    r = mt_upload_form(s, &a, &form);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);
    free(form.data);
    r = mt_upload(s, &a, img.data, img.len, "a.png", NULL, "wallpaper");
    api_assert_problem(r, 422, "validation_failed");
    cr_assert(strstr(r->body, "\"field\":\"kind\"") != NULL, "%s", r->body);
    api_response_free(r);
    r = mt_upload(s, &a, "", 0, "empty.png", NULL, NULL);
    api_assert_problem(r, 422, "validation_failed");
    api_response_free(r);

    /* Shop imagery is for sellers. */
    r = mt_upload(s, &a, img.data, img.len, "a.png", NULL, "product_image");
    api_assert_problem(r, 403, "forbidden");
    api_response_free(r);
    r = mt_upload(s, &seller, img.data, img.len, "a.png", NULL, "product_image");
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "kind")), "product_image");
    api_response_free(r);
    cr_assert_eq(media_rows(s), 1, "only the seller's upload was recorded");
    free(img.data);
    api_assert_alive(s);
    api_stop(s);
}
