/*
 * imagegen_local.c — the offline concept renderer: a real PNG concept board
 * drawn with libvips from what imagegen_analyze finds in the prompt.
 *
 * Board layout (fractions of the canvas, so every size looks alike):
 *   - background: a tone chosen by the style word, jittered by the seed;
 *   - left panel (x 5–62 %, y 14–84 %): the object's silhouette, built from
 *     a few primitives per object type (lathe profiles for vases, bowls and
 *     lamps, rectangles for furniture, rings for jewellery…) painted in the
 *     first named colour (else the first material's colour), with a second
 *     colour or material as the accent;
 *   - right column: one swatch per named colour and material with its name;
 *   - top: the object and style as a title; bottom: materials, techniques
 *     and "offline concept renderer · seed N".
 *
 * Determinism: the only randomness is a splitmix64 stream seeded with
 * FNV-1a(prompt) XOR seed; PNG is written with metadata stripped, so the
 * same prompt, seed and size give the same bytes.
 *
 * Labels only ever contain names from the static vocabulary and numbers,
 * never prompt text, because vips_text reads Pango markup.
 *
 * Caveats: labels need a font Pango can find (fonts-dejavu-core on Debian);
 * without one the board is drawn without labels and a warning is logged
 * once. Silhouettes are schematic, not illustrations.
 */
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

#include "base/arena.h"
#include "base/log.h"
#include "platform/imagegen.h"

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [-amp, amp]. */
static int rng_jitter(struct rng *r, int amp)
{
    return (int)(rng_next(r) % (uint64_t)(2 * amp + 1)) - amp;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/*-----------------------------------------------------------------------------
 * Drawing on a memory image
 */
struct board {
    VipsImage *im;
    int w, h;
    double ink[4][3]; /* primary, accent, dark, flame */
    bool fonts_ok;
};

static void fill_rect(struct board *b, const double *ink, int x, int y, int w, int h)
{
    if (x < 0) {
        w += x;
        x = 0;
    }
    if (y < 0) {
        h += y;
        y = 0;
    }
    if (x + w > b->w)
        w = b->w - x;
    if (y + h > b->h)
        h = b->h - y;
    /* vips_draw_rect takes a non-const ink it does not modify: pass a copy. */
    double copy[3] = {ink[0], ink[1], ink[2]};
    if (w > 0 && h > 0)
        vips_draw_rect(b->im, copy, 3, x, y, w, h, "fill", TRUE, NULL);
}

/* A lathe profile: half-widths (fractions of the box's half width) at evenly spaced heights. */
struct profile {
    int n;
    float hw[8];
};

static const struct profile profiles[] = {
    {7, {0.30f, 0.24f, 0.50f, 0.90f, 1.00f, 0.80f, 0.50f}}, /* 0 vase */
    {4, {1.00f, 0.92f, 0.70f, 0.35f}},                     /* 1 bowl */
    {2, {0.45f, 1.00f}},                                   /* 2 lamp shade / basket (trapezoid) */
    {5, {0.05f, 0.50f, 0.95f, 0.50f, 0.05f}},              /* 3 ellipse-ish (plate, spoon head, flame) */
    {4, {0.10f, 0.60f, 1.00f, 0.70f}},                     /* 4 drop / pendant / sculpture */
};

static float profile_at(const struct profile *p, float t)
{
    float pos = t * (float)(p->n - 1);
    int i = (int)pos;
    if (i >= p->n - 1)
        return p->hw[p->n - 1];
    float f = pos - (float)i;
    return p->hw[i] * (1 - f) + p->hw[i + 1] * f;
}

enum prim_kind { P_RECT, P_LATHE, P_RING, P_STRIPES };

/* Coordinates are fractions of the object panel; ink indexes struct board.ink. */
struct prim {
    enum prim_kind kind;
    float x, y, w, h;
    int ink;
    int profile; /* P_LATHE: index in profiles; P_RING: thickness in % of the radius */
};

struct shape {
    const char *object;
    struct prim prims[6];
    int n;
};

static const struct shape shapes[] = {
    {"vase", {{P_LATHE, 0.25f, 0.05f, 0.50f, 0.90f, 0, 0}, {P_RECT, 0.36f, 0.55f, 0.28f, 0.04f, 1, 0}}, 2},
    {"bowl", {{P_LATHE, 0.10f, 0.45f, 0.80f, 0.35f, 0, 1}, {P_RECT, 0.10f, 0.45f, 0.80f, 0.03f, 1, 0}}, 2},
    {"plate", {{P_LATHE, 0.05f, 0.55f, 0.90f, 0.20f, 0, 3}, {P_LATHE, 0.25f, 0.60f, 0.50f, 0.10f, 1, 3}}, 2},
    {"mug",
     {{P_RING, 0.72f, 0.55f, 0.16f, 0.16f, 0, 35}, {P_RECT, 0.25f, 0.35f, 0.45f, 0.50f, 0, 0},
      {P_RECT, 0.25f, 0.42f, 0.45f, 0.05f, 1, 0}},
     3},
    {"lamp",
     {{P_LATHE, 0.25f, 0.05f, 0.50f, 0.35f, 0, 2}, {P_RECT, 0.48f, 0.40f, 0.04f, 0.45f, 2, 0},
      {P_LATHE, 0.30f, 0.82f, 0.40f, 0.10f, 1, 3}},
     3},
    {"chair",
     {{P_RECT, 0.25f, 0.10f, 0.08f, 0.80f, 0, 0}, {P_RECT, 0.25f, 0.50f, 0.50f, 0.07f, 0, 0},
      {P_RECT, 0.67f, 0.50f, 0.08f, 0.40f, 0, 0}, {P_RECT, 0.33f, 0.15f, 0.03f, 0.35f, 1, 0}},
     4},
    {"table",
     {{P_RECT, 0.08f, 0.40f, 0.84f, 0.07f, 0, 0}, {P_RECT, 0.14f, 0.47f, 0.06f, 0.43f, 0, 0},
      {P_RECT, 0.80f, 0.47f, 0.06f, 0.43f, 0, 0}, {P_RECT, 0.08f, 0.40f, 0.84f, 0.02f, 1, 0}},
     4},
    {"shelf",
     {{P_RECT, 0.15f, 0.05f, 0.05f, 0.90f, 0, 0}, {P_RECT, 0.80f, 0.05f, 0.05f, 0.90f, 0, 0},
      {P_RECT, 0.15f, 0.25f, 0.70f, 0.04f, 1, 0}, {P_RECT, 0.15f, 0.55f, 0.70f, 0.04f, 1, 0},
      {P_RECT, 0.15f, 0.85f, 0.70f, 0.04f, 1, 0}},
     5},
    {"ring", {{P_RING, 0.50f, 0.55f, 0.30f, 0.30f, 0, 18}, {P_RING, 0.50f, 0.25f, 0.08f, 0.08f, 1, 100}}, 2},
    {"necklace",
     {{P_RING, 0.50f, 0.40f, 0.35f, 0.35f, 0, 5}, {P_LATHE, 0.44f, 0.72f, 0.12f, 0.18f, 1, 4}}, 2},
    {"rug", {{P_RECT, 0.08f, 0.15f, 0.84f, 0.70f, 0, 0}, {P_STRIPES, 0.08f, 0.15f, 0.84f, 0.70f, 1, 0}}, 2},
    {"pillow",
     {{P_RECT, 0.12f, 0.30f, 0.76f, 0.45f, 0, 0}, {P_RING, 0.50f, 0.525f, 0.10f, 0.10f, 1, 100}}, 2},
    {"bag",
     {{P_RING, 0.50f, 0.35f, 0.20f, 0.20f, 2, 15}, {P_RECT, 0.20f, 0.35f, 0.60f, 0.55f, 0, 0},
      {P_RECT, 0.20f, 0.45f, 0.60f, 0.05f, 1, 0}},
     3},
    {"basket", {{P_LATHE, 0.15f, 0.35f, 0.70f, 0.55f, 0, 2}, {P_STRIPES, 0.20f, 0.40f, 0.60f, 0.45f, 1, 0}}, 2},
    {"candle",
     {{P_RECT, 0.35f, 0.35f, 0.30f, 0.55f, 0, 0}, {P_LATHE, 0.45f, 0.15f, 0.10f, 0.18f, 3, 4},
      {P_RECT, 0.49f, 0.31f, 0.02f, 0.04f, 2, 0}},
     3},
    {"frame", {{P_RECT, 0.12f, 0.10f, 0.76f, 0.80f, 1, 0}, {P_RECT, 0.20f, 0.18f, 0.60f, 0.64f, 0, 0}}, 2},
    {"sculpture",
     {{P_LATHE, 0.30f, 0.10f, 0.40f, 0.70f, 0, 4}, {P_RECT, 0.30f, 0.80f, 0.40f, 0.10f, 2, 0}}, 2},
    {"box", {{P_RECT, 0.15f, 0.40f, 0.70f, 0.45f, 0, 0}, {P_RECT, 0.12f, 0.32f, 0.76f, 0.10f, 1, 0}}, 2},
    {"clock",
     {{P_RING, 0.50f, 0.50f, 0.35f, 0.35f, 0, 100}, {P_RING, 0.50f, 0.50f, 0.35f, 0.35f, 1, 8},
      {P_RECT, 0.49f, 0.25f, 0.02f, 0.26f, 2, 0}, {P_RECT, 0.49f, 0.49f, 0.18f, 0.02f, 2, 0}},
     4},
    {"spoon", {{P_LATHE, 0.38f, 0.08f, 0.24f, 0.30f, 0, 3}, {P_RECT, 0.47f, 0.36f, 0.06f, 0.55f, 0, 0}}, 2},
    /* Nothing recognised: an abstract composition, said so in the title. */
    {NULL,
     {{P_RING, 0.40f, 0.45f, 0.25f, 0.25f, 0, 100}, {P_RECT, 0.45f, 0.45f, 0.40f, 0.40f, 1, 0}}, 2},
};

static const struct shape *shape_for(const char *object)
{
    size_t n = sizeof shapes / sizeof shapes[0];
    for (size_t i = 0; i + 1 < n; i++)
        if (object != NULL && strcmp(shapes[i].object, object) == 0)
            return &shapes[i];
    return &shapes[n - 1];
}

static void draw_lathe(struct board *b, const double *ink, const struct profile *p, int x, int y, int w, int h)
{
    int cx = x + w / 2;
    for (int row = 0; row < h; row++) {
        int hw = (int)(profile_at(p, h > 1 ? (float)row / (float)(h - 1) : 0) * (float)w / 2.0f);
        fill_rect(b, ink, cx - hw, y + row, 2 * hw + 1, 1);
    }
}

/* A ring centred at (cx, cy), outer radius r, thickness t pixels (t >= r: a disc). */
static void draw_ring(struct board *b, const double *ink, int cx, int cy, int r, int t)
{
    for (int dy = -r; dy <= r; dy++) {
        int yy = cy + dy;
        int outer = 0, inner = -1;
        while ((outer + 1) * (outer + 1) + dy * dy <= r * r)
            outer++;
        int ri = r - t;
        if (ri > 0 && dy * dy < ri * ri) {
            inner = 0;
            while ((inner + 1) * (inner + 1) + dy * dy < ri * ri)
                inner++;
        }
        if (inner < 0) {
            fill_rect(b, ink, cx - outer, yy, 2 * outer + 1, 1);
        } else {
            fill_rect(b, ink, cx - outer, yy, outer - inner, 1);
            fill_rect(b, ink, cx + inner + 1, yy, outer - inner, 1);
        }
    }
}

static void draw_prim(struct board *b, const struct prim *p, int px, int py, int pw, int ph)
{
    const double *ink = b->ink[p->ink];
    int x = px + (int)(p->x * (float)pw), y = py + (int)(p->y * (float)ph);
    int w = (int)(p->w * (float)pw), h = (int)(p->h * (float)ph);
    switch (p->kind) {
    case P_RECT:
        fill_rect(b, ink, x, y, w, h);
        break;
    case P_LATHE:
        draw_lathe(b, ink, &profiles[p->profile], x, y, w, h);
        break;
    case P_RING: {
        int r = (int)(p->w * (float)(pw < ph ? pw : ph));
        int t = r * p->profile / 100;
        draw_ring(b, ink, x, y, r, t > 0 ? t : 1);
        break;
    }
    case P_STRIPES:
        for (int i = 1; i < 6; i++)
            fill_rect(b, ink, x, y + h * i / 6, w, h / 24 + 1);
        break;
    }
}

/* Draw a label (vocabulary words only: see the header comment) at (x, y) in px_size pixels. */
static void draw_label(struct board *b, const char *text, int x, int y, int px_size, int max_w)
{
    if (!b->fonts_ok || max_w < 8)
        return;
    VipsImage *mask = NULL;
    char font[64];
    snprintf(font, sizeof font, "DejaVu Sans %d", px_size);
    if (vips_text(&mask, text, "font", font, "width", max_w, "dpi", 72, NULL) != 0) {
        static bool warned;
        if (!warned) {
            warned = true;
            char *m = vips_error_buffer_copy();
            log_warn("concept renderer: no text rendering; boards are drawn without labels", "%s", m);
            g_free(m);
        }
        b->fonts_ok = false;
        vips_error_clear();
        return;
    }
    double ink[3] = {40, 40, 40};
    vips_draw_mask(b->im, ink, 3, mask, x, y, NULL);
    g_object_unref(mask);
}

/*-----------------------------------------------------------------------------
 * The board
 */
struct style_tone {
    const char *style;
    unsigned char rgb[3];
};

static const struct style_tone tones[] = {
    {"minimalist", {246, 246, 244}}, {"rustic", {236, 224, 205}}, {"modern", {238, 240, 243}},
    {"boho", {242, 226, 210}},       {"vintage", {235, 225, 200}}, {"scandinavian", {244, 243, 238}},
    {"industrial", {205, 207, 210}}, {"mid-century", {240, 228, 200}}, {"art deco", {225, 215, 190}},
    {"japanese", {238, 234, 224}},   {"whimsical", {250, 235, 245}}, {"elegant", {232, 228, 235}},
    {"organic", {232, 236, 222}},    {"bold", {255, 244, 214}},    {"coastal", {226, 238, 242}},
};

static void set_inks(struct board *b, const struct imagegen_concept *c, struct rng *r)
{
    unsigned char prim[3] = {140, 120, 100}, acc[3] = {90, 80, 70};
    const struct imagegen_swatch *all[2 * IMAGEGEN_MAX_ATTRS];
    size_t n = 0;
    for (size_t i = 0; i < c->ncolours; i++)
        all[n++] = &c->colours[i];
    for (size_t i = 0; i < c->nmaterials; i++)
        all[n++] = &c->materials[i];
    if (n > 0)
        memcpy(prim, all[0]->rgb, 3);
    if (n > 1)
        memcpy(acc, all[1]->rgb, 3);
    else
        for (int k = 0; k < 3; k++)
            acc[k] = (unsigned char)(prim[k] * 3 / 5);
    for (int k = 0; k < 3; k++) {
        int j = rng_jitter(r, 6);
        b->ink[0][k] = prim[k] + j < 0 ? 0 : prim[k] + j > 255 ? 255 : prim[k] + j;
        b->ink[1][k] = acc[k];
        b->ink[2][k] = 50;
    }
    b->ink[3][0] = 250, b->ink[3][1] = 180, b->ink[3][2] = 40;
}

static void draw_background(struct board *b, const struct imagegen_concept *c, struct rng *r)
{
    unsigned char bg[3] = {245, 240, 232};
    for (size_t i = 0; i < sizeof tones / sizeof tones[0]; i++)
        if (c->style != NULL && strcmp(c->style, tones[i].style) == 0)
            memcpy(bg, tones[i].rgb, 3);
    double ink[3], panel[3];
    for (int k = 0; k < 3; k++) {
        int v = bg[k] + rng_jitter(r, 4);
        ink[k] = v < 0 ? 0 : v > 255 ? 255 : v;
        panel[k] = ink[k] > 12 ? ink[k] - 12 : 0;
    }
    fill_rect(b, ink, 0, 0, b->w, b->h);
    fill_rect(b, panel, b->w * 5 / 100, b->h * 14 / 100, b->w * 57 / 100, b->h * 70 / 100);
}

static void draw_swatches(struct board *b, const struct imagegen_concept *c)
{
    int x = b->w * 66 / 100, y = b->h * 14 / 100;
    int side = b->h / 10 < b->w / 10 ? b->h / 10 : b->w / 10;
    int step = side + side / 2, font = side / 3 > 9 ? side / 3 : 9;
    const struct imagegen_swatch *all[2 * IMAGEGEN_MAX_ATTRS];
    size_t n = 0;
    for (size_t i = 0; i < c->ncolours; i++)
        all[n++] = &c->colours[i];
    for (size_t i = 0; i < c->nmaterials; i++)
        all[n++] = &c->materials[i];
    for (size_t i = 0; i < n && y + side < b->h * 84 / 100; i++, y += step) {
        double ink[3] = {all[i]->rgb[0], all[i]->rgb[1], all[i]->rgb[2]}, edge[3] = {60, 60, 60};
        fill_rect(b, edge, x - 1, y - 1, side + 2, side + 2);
        fill_rect(b, ink, x, y, side, side);
        char label[64];
        snprintf(label, sizeof label, "%s%s", all[i]->name, all[i]->is_material ? " (material)" : "");
        draw_label(b, label, x + side + side / 4, y + side / 3, font, b->w - (x + side + side / 4) - 4);
    }
}

static void draw_texts(struct board *b, const struct imagegen_concept *c, uint64_t seed)
{
    int font = b->h / 20 > 10 ? b->h / 20 : 10;
    char title[128];
    snprintf(title, sizeof title, "%s%s%s", c->style ? c->style : "", c->style ? " " : "",
             c->object ? c->object : "custom piece (object not recognised)");
    draw_label(b, title, b->w * 5 / 100, b->h * 4 / 100, font, b->w * 90 / 100);
    char foot[400];
    size_t len = 0;
    foot[0] = '\0';
    for (size_t i = 0; i < c->ntechniques && len < 300; i++)
        len += (size_t)snprintf(foot + len, sizeof foot - len, "%s%s", i ? ", " : "technique: ", c->techniques[i]);
    snprintf(foot + len, sizeof foot - len, "%soffline concept renderer, seed %llu", len ? " | " : "",
             (unsigned long long)seed);
    draw_label(b, foot, b->w * 5 / 100, b->h * 89 / 100, font * 3 / 5 > 9 ? font * 3 / 5 : 9, b->w * 90 / 100);
}

int imagegen__local_render(const struct imagegen_request *req, struct arena *a, struct imagegen_result *out,
                           struct imagegen_error *err)
{
    struct imagegen_concept c;
    imagegen_analyze(req->prompt, &c);
    struct rng r = {fnv1a(req->prompt) ^ req->seed};
    struct board b = {.w = req->width, .h = req->height, .fonts_ok = true};
    VipsImage *black = NULL, *cast = NULL;
    int ret = -1;
    if (vips_black(&black, b.w, b.h, "bands", 3, NULL) != 0 || vips_cast_uchar(black, &cast, NULL) != 0 ||
        (b.im = vips_image_copy_memory(cast)) == NULL)
        goto out;
    set_inks(&b, &c, &r);
    draw_background(&b, &c, &r);
    const struct shape *sh = shape_for(c.object);
    int px = b.w * 5 / 100, py = b.h * 14 / 100, pw = b.w * 57 / 100, ph = b.h * 70 / 100;
    int dx = rng_jitter(&r, pw / 40 + 1), dy = rng_jitter(&r, ph / 40 + 1);
    for (int i = 0; i < sh->n; i++)
        draw_prim(&b, &sh->prims[i], px + dx, py + dy, pw, ph);
    draw_swatches(&b, &c);
    draw_texts(&b, &c, req->seed);
    void *buf = NULL;
    size_t len = 0;
    if (vips_pngsave_buffer(b.im, &buf, &len, "strip", TRUE, "compression", 6, NULL) != 0)
        goto out;
    arena_on_reset(a, g_free, buf);
    *out = (struct imagegen_result){.data = buf, .len = len, .mime = "image/png", .ext = "png",
                                    .width = b.w, .height = b.h};
    ret = 0;
out:
    if (ret != 0) {
        char *m = vips_error_buffer_copy();
        err->kind = IMAGEGEN_E_INTERNAL;
        snprintf(err->msg, sizeof err->msg, "the concept renderer failed: %s", m);
        g_free(m);
        vips_error_clear();
    }
    if (b.im != NULL)
        g_object_unref(b.im);
    if (cast != NULL)
        g_object_unref(cast);
    if (black != NULL)
        g_object_unref(black);
    return ret;
}
