/*
 * image.h — image typing, checking and re-encoding with libvips.
 *
 * What the media service needs from an uploaded file, in order:
 *   1. image_sniff: the type from the leading bytes (JPEG, PNG, WebP, GIF),
 *      never from a file name or a client's Content-Type;
 *   2. image_probe: dimensions from the header only, so a decompression
 *      bomb (a small file declaring a huge image) is refused before any
 *      pixel is decoded;
 *   3. image_sanitize: decode fully and re-encode in the same format with
 *      every piece of metadata dropped (EXIF incl. GPS, XMP, IPTC, ICC,
 *      comments), after turning the image upright by its EXIF orientation
 *      and converting an embedded colour profile to sRGB. Re-encoding also
 *      drops anything appended to or hidden in the file (polyglots);
 *   4. image_render: a variant fitted in a box (never enlarged), as JPEG,
 *      PNG (images with alpha) or WebP.
 *
 * libvips is set up once per process (image_init): operations run on the
 * calling thread only (concurrency 1), the operation cache is off, and
 * every loader except JPEG, PNG, WebP and GIF is blocked, so no input can
 * reach the SVG, PDF, ImageMagick or other loaders libvips was built with.
 *
 * Threads: after image_init, every function may be called from any thread.
 * Decoding is CPU- and memory-heavy: call them from the slow-work pool or a
 * job, never on a request thread (image_sniff excepted).
 *
 * Caveats: animated GIF and WebP keep their frames in image_sanitize;
 * variants show the first frame. JPEG and lossy WebP re-encoding loses a
 * little quality (quality 90).
 */
#ifndef ARTISTRY_PLATFORM_IMAGE_H
#define ARTISTRY_PLATFORM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

enum image_type {
    IMAGE_UNKNOWN = 0,
    IMAGE_JPEG,
    IMAGE_PNG,
    IMAGE_WEBP,
    IMAGE_GIF,
};

enum image_errkind {
    IMAGE_E_NONE = 0,
    IMAGE_E_TYPE,    /* not one of the accepted types */
    IMAGE_E_INVALID, /* the bytes do not decode as the sniffed type */
    IMAGE_E_PIXELS,  /* over the pixel limit */
    IMAGE_E_INTERNAL,
};

/** Why a call failed; msg may quote libvips and is for logs (or a client's "detail" at most). */
struct image_error {
    enum image_errkind kind;
    char msg[256];
};

/** A decoded or produced image. */
struct image_info {
    enum image_type type;
    int width, height; /* of one frame */
    int frames;        /* 1 unless animated */
    bool has_alpha;
};

/** An encoded image in an arena. */
struct image_out {
    const void *data; /* owned by the arena passed in */
    size_t len;
    struct image_info info;
};

/**
 * Start libvips for this process (idempotent, reference-counted with
 * image_fini). Returns 0, or -1 if libvips cannot start (logged).
 */
int image_init(void);

/** Drop a reference; the last one shuts libvips down. */
void image_fini(void);

/** Type from the magic bytes, IMAGE_UNKNOWN if none of the four. Cheap: any thread. */
enum image_type image_sniff(const void *data, size_t len);

/** "image/jpeg"… for a type ("application/octet-stream" for IMAGE_UNKNOWN). */
const char *image_mime(enum image_type t);

/** File extension without the dot ("jpg", "png", "webp", "gif"; "bin" for IMAGE_UNKNOWN). */
const char *image_ext(enum image_type t);

/**
 * Read the header of data (sniffed as t) and check that width × height ×
 * frames is at most max_pixels. Decodes no pixels. Returns 0 with *info
 * filled, or -1 with err (IMAGE_E_INVALID, IMAGE_E_PIXELS).
 */
int image_probe(const void *data, size_t len, enum image_type t, int64_t max_pixels, struct image_info *info,
                struct image_error *err);

/**
 * Probe (as above), then decode and re-encode data in its own format
 * without metadata (see the header comment). The result is allocated in
 * arena a. Returns 0 or -1 with err.
 */
int image_sanitize(const void *data, size_t len, enum image_type t, int64_t max_pixels, struct arena *a,
                   struct image_out *out, struct image_error *err);

/**
 * Render data (one of the four types) fitted within box × box pixels,
 * never enlarged, without metadata, as IMAGE_WEBP when as == IMAGE_WEBP,
 * else JPEG, or PNG when the image has an alpha channel. The result is
 * allocated in arena a. Returns 0 or -1 with err.
 */
int image_render(const void *data, size_t len, int box, enum image_type as, struct arena *a, struct image_out *out,
                 struct image_error *err);

#endif
