/*
 * test_imagegen.c — the generator interface and the offline concept
 * renderer (platform/imagegen.h): prompt analysis, a real PNG of the asked
 * size, deterministic bytes for prompt + seed, the silhouette painted in the
 * named colour, labels drawn (fonts present), and refused requests. The
 * OpenAI-compatible client is tested end to end against tests/api/fake_openai.c.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <vips/vips.h>

#include "base/arena.h"
#include "platform/image.h"
#include "platform/imagegen.h"

static struct arena a;
static struct imagegen *gen;

static void setup(void)
{
    arena_init(&a, 0);
    cr_assert_eq(image_init(), 0);
    struct imagegen_opts o = {.kind = "local"};
    char eb[128];
    gen = imagegen_open(&o, eb, sizeof eb);
    cr_assert_not_null(gen, "%s", eb);
}

static void teardown(void)
{
    imagegen_close(gen);
    arena_destroy(&a);
    image_fini();
}

TestSuite(imagegen, .init = setup, .fini = teardown);

Test(imagegen, analyze_finds_object_materials_colours_style)
{
    struct imagegen_concept c;
    imagegen_analyze("A rustic, hand-carved WALNUT bowl with turquoise resin inlay and brass details; Mid Century", &c);
    cr_assert_str_eq(c.object, "bowl");
    cr_assert_str_eq(c.style, "rustic");
    cr_assert_eq(c.nmaterials, 3);
    cr_assert_str_eq(c.materials[0].name, "walnut");
    cr_assert_str_eq(c.materials[1].name, "resin");
    cr_assert_str_eq(c.materials[2].name, "brass");
    cr_assert_eq(c.ncolours, 1);
    cr_assert_str_eq(c.colours[0].name, "turquoise");
    cr_assert_eq(c.ntechniques, 1);
    cr_assert_str_eq(c.techniques[0], "carved");

    imagegen_analyze("two blue vases, blue again", &c);
    cr_assert_str_eq(c.object, "vase");
    cr_assert_eq(c.ncolours, 1, "duplicates are dropped");
    imagegen_analyze("something nice", &c);
    cr_assert_null(c.object);
    cr_assert_eq(c.ncolours + c.nmaterials + c.ntechniques, 0);
    imagegen_analyze(NULL, &c);
    cr_assert_null(c.object);
}

static struct imagegen_result render(const char *prompt, uint64_t seed, int w, int h)
{
    struct imagegen_request r = {.prompt = prompt, .width = w, .height = h, .seed = seed};
    struct imagegen_result out;
    struct imagegen_error err;
    cr_assert_eq(imagegen_generate(gen, &r, &a, &out, &err), 0, "%s", err.msg);
    return out;
}

static VipsImage *decode(const struct imagegen_result *r)
{
    VipsImage *im = vips_image_new_from_buffer(r->data, r->len, "", NULL);
    cr_assert_not_null(im);
    return im;
}

Test(imagegen, local_renders_a_png_of_the_size)
{
    struct imagegen_result r = render("a tall blue ceramic vase", 7, 320, 240);
    cr_assert_eq(image_sniff(r.data, r.len), IMAGE_PNG);
    cr_assert_str_eq(r.mime, "image/png");
    cr_assert_eq(r.width, 320);
    cr_assert_eq(r.height, 240);
    VipsImage *im = decode(&r);
    cr_assert_eq(vips_image_get_width(im), 320);
    cr_assert_eq(vips_image_get_height(im), 240);
    g_object_unref(im);
    cr_assert_str_eq(imagegen_kind(gen), "local");
    cr_assert_str_eq(imagegen_model(gen), "concept-board-1");
}

Test(imagegen, local_is_deterministic_for_prompt_and_seed)
{
    struct imagegen_result a1 = render("a green wool rug, boho", 42, 256, 256);
    struct imagegen_result a2 = render("a green wool rug, boho", 42, 256, 256);
    struct imagegen_result b = render("a green wool rug, boho", 43, 256, 256);
    struct imagegen_result c = render("a red wool rug, boho", 42, 256, 256);
    cr_assert_eq(a1.len, a2.len);
    cr_assert(memcmp(a1.data, a2.data, a1.len) == 0, "same prompt and seed: same bytes");
    cr_assert(b.len != a1.len || memcmp(a1.data, b.data, a1.len) != 0, "another seed: another image");
    cr_assert(c.len != a1.len || memcmp(a1.data, c.data, a1.len) != 0, "another colour: another image");
}

/* Mean of each band over a small square around (x, y). */
static void sample(VipsImage *im, int x, int y, double rgb[3])
{
    VipsImage *crop = NULL;
    cr_assert_eq(vips_crop(im, &crop, x - 2, y - 2, 5, 5, NULL), 0);
    for (int k = 0; k < 3; k++) {
        VipsImage *band = NULL;
        cr_assert_eq(vips_extract_band(crop, &band, k, NULL), 0);
        cr_assert_eq(vips_avg(band, &rgb[k], NULL), 0);
        g_object_unref(band);
    }
    g_object_unref(crop);
}

Test(imagegen, local_paints_the_silhouette_in_the_named_colour)
{
    struct imagegen_result r = render("a tall blue ceramic vase", 1, 400, 400);
    VipsImage *im = decode(&r);
    /* Panel: x 5..62 %, y 14..84 %; the vase body is widest around 70 % of its height. */
    double rgb[3];
    sample(im, 400 * 5 / 100 + 400 * 57 / 200, 400 * 14 / 100 + 400 * 70 * 75 / 10000, rgb);
    cr_assert(rgb[2] > 150 && rgb[0] < 80, "vase body is blue: %.0f %.0f %.0f", rgb[0], rgb[1], rgb[2]);
    g_object_unref(im);
}

Test(imagegen, local_draws_labels)
{
    /* The title band (y 4..10 %) holds dark text pixels only if text rendering works. */
    struct imagegen_result r = render("a minimalist oak table", 3, 400, 400);
    VipsImage *im = decode(&r), *crop = NULL;
    cr_assert_eq(vips_crop(im, &crop, 20, 16, 300, 24, NULL), 0);
    double min;
    cr_assert_eq(vips_min(crop, &min, NULL), 0);
    cr_assert_lt(min, 120, "no label pixels in the title band (fonts missing?)");
    g_object_unref(crop);
    g_object_unref(im);
}

Test(imagegen, refuses_bad_requests)
{
    struct imagegen_request r = {.prompt = "", .width = 100, .height = 100};
    struct imagegen_result out;
    struct imagegen_error err;
    cr_assert_eq(imagegen_generate(gen, &r, &a, &out, &err), -1);
    cr_assert_eq(err.kind, IMAGEGEN_E_INVALID);
    r.prompt = "vase";
    r.width = 0;
    cr_assert_eq(imagegen_generate(gen, &r, &a, &out, &err), -1);
    cr_assert_eq(err.kind, IMAGEGEN_E_INVALID);
}

Test(imagegen, open_checks_kind_and_url)
{
    char eb[128];
    struct imagegen_opts o = {.kind = "dream"};
    cr_assert_null(imagegen_open(&o, eb, sizeof eb));
    cr_assert(strstr(eb, "dream") != NULL);
    o = (struct imagegen_opts){.kind = "openai", .base_url = "ftp://x"};
    cr_assert_null(imagegen_open(&o, eb, sizeof eb));
    o = (struct imagegen_opts){.kind = "openai", .base_url = "http://127.0.0.1:9/", .model = "sd-xl"};
    struct imagegen *g = imagegen_open(&o, eb, sizeof eb);
    cr_assert_not_null(g);
    cr_assert_str_eq(imagegen_kind(g), "openai");
    cr_assert_str_eq(imagegen_model(g), "sd-xl");
    cr_assert(imagegen_error_retryable(IMAGEGEN_E_UNAVAILABLE));
    cr_assert(!imagegen_error_retryable(IMAGEGEN_E_REFUSED));
    imagegen_close(g);
}
