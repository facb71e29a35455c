/*
 * imagegen.c — the generator handle, configuration and prompt analysis.
 *
 * Prompt analysis is a vocabulary lookup, not language understanding: each
 * word (letters, digits, '-') of the prompt is lower-cased and compared with
 * fixed tables of object types, colours, materials, techniques and style
 * words. A few two-word names ("mid century", "art deco") are matched as
 * pairs. The first object named wins; colours, materials and techniques keep
 * the order the buyer wrote them in.
 *
 * Caveats: English only; "rose" is a colour here even in "rose-shaped vase".
 */
#include "platform/imagegen.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/config.h"

struct imagegen {
    struct imagegen_opts opts;
    char *base_url, *api_key, *model; /* owned copies */
};

/*-----------------------------------------------------------------------------
 * Vocabulary
 */
struct word_alias {
    const char *word;      /* as written (singular; a trailing 's' is also accepted) */
    const char *canonical; /* what it stands for */
};

static const struct word_alias objects[] = {
    {"vase", "vase"},       {"jug", "vase"},        {"pitcher", "vase"},      {"bottle", "vase"},
    {"bowl", "bowl"},       {"plate", "plate"},     {"dish", "plate"},        {"platter", "plate"},
    {"mug", "mug"},         {"cup", "mug"},         {"teacup", "mug"},        {"lamp", "lamp"},
    {"lampshade", "lamp"},  {"chair", "chair"},     {"stool", "chair"},       {"table", "table"},
    {"desk", "table"},      {"shelf", "shelf"},     {"bookshelf", "shelf"},   {"cabinet", "shelf"},
    {"ring", "ring"},       {"bracelet", "ring"},   {"bangle", "ring"},       {"necklace", "necklace"},
    {"pendant", "necklace"}, {"earring", "necklace"}, {"rug", "rug"},         {"blanket", "rug"},
    {"quilt", "rug"},       {"throw", "rug"},       {"tapestry", "rug"},      {"pillow", "pillow"},
    {"cushion", "pillow"},  {"bag", "bag"},         {"tote", "bag"},          {"purse", "bag"},
    {"basket", "basket"},   {"candle", "candle"},   {"painting", "frame"},    {"print", "frame"},
    {"poster", "frame"},    {"mirror", "frame"},    {"frame", "frame"},       {"sculpture", "sculpture"},
    {"figurine", "sculpture"}, {"statue", "sculpture"}, {"box", "box"},       {"jewelry box", "box"},
    {"clock", "clock"},     {"spoon", "spoon"},     {"knife", "spoon"},       {"scarf", "rug"},
};

static const struct imagegen_swatch colours[] = {
    {"red", {196, 40, 40}, false},       {"crimson", {170, 20, 50}, false},  {"burgundy", {110, 20, 40}, false},
    {"pink", {236, 150, 180}, false},    {"blush", {240, 190, 190}, false},  {"rose", {220, 120, 140}, false},
    {"orange", {236, 130, 40}, false},   {"terracotta", {200, 100, 70}, false}, {"rust", {170, 80, 40}, false},
    {"yellow", {240, 210, 60}, false},   {"mustard", {210, 170, 40}, false}, {"gold", {212, 175, 55}, false},
    {"green", {60, 150, 70}, false},     {"sage", {160, 180, 150}, false},   {"olive", {120, 130, 60}, false},
    {"emerald", {20, 130, 90}, false},   {"teal", {20, 128, 128}, false},    {"turquoise", {60, 200, 190}, false},
    {"blue", {40, 90, 190}, false},      {"navy", {25, 35, 90}, false},      {"indigo", {60, 50, 130}, false},
    {"cobalt", {0, 70, 170}, false},     {"purple", {120, 60, 160}, false},  {"lavender", {190, 170, 220}, false},
    {"brown", {120, 80, 50}, false},     {"beige", {220, 200, 170}, false},  {"cream", {245, 235, 210}, false},
    {"ivory", {250, 245, 230}, false},   {"white", {250, 250, 250}, false},  {"black", {25, 25, 25}, false},
    {"grey", {128, 128, 128}, false},    {"gray", {128, 128, 128}, false},   {"charcoal", {55, 60, 65}, false},
    {"silver", {192, 192, 200}, false},  {"copper", {184, 115, 51}, false},  {"bronze", {160, 110, 50}, false},
};

static const struct imagegen_swatch materials[] = {
    {"oak", {190, 150, 100}, true},      {"walnut", {95, 65, 45}, true},     {"maple", {220, 190, 140}, true},
    {"pine", {225, 195, 140}, true},     {"cherry", {150, 70, 50}, true},    {"wood", {160, 120, 80}, true},
    {"bamboo", {200, 180, 110}, true},   {"rattan", {200, 165, 110}, true},  {"wicker", {190, 150, 95}, true},
    {"ceramic", {230, 225, 215}, true},  {"porcelain", {245, 245, 240}, true}, {"stoneware", {170, 160, 145}, true},
    {"clay", {185, 110, 80}, true},      {"terracotta", {200, 100, 70}, true}, {"glass", {200, 225, 235}, true},
    {"leather", {140, 90, 55}, true},    {"wool", {235, 225, 205}, true},    {"felt", {170, 160, 150}, true},
    {"cotton", {245, 242, 235}, true},   {"linen", {225, 215, 195}, true},   {"silk", {240, 230, 220}, true},
    {"velvet", {120, 30, 60}, true},     {"silver", {192, 192, 200}, true},  {"gold", {212, 175, 55}, true},
    {"brass", {200, 165, 80}, true},     {"copper", {184, 115, 51}, true},   {"iron", {80, 80, 85}, true},
    {"steel", {150, 155, 160}, true},    {"marble", {235, 235, 235}, true},  {"stone", {150, 145, 140}, true},
    {"concrete", {165, 165, 160}, true}, {"resin", {210, 230, 220}, true},   {"paper", {245, 240, 225}, true},
    {"beeswax", {230, 190, 90}, true},   {"soy wax", {245, 240, 220}, true}, {"yarn", {220, 200, 190}, true},
};

static const struct word_alias techniques[] = {
    {"glazed", "glazed"},         {"glaze", "glazed"},            {"crackle", "crackle glaze"},
    {"wheel-thrown", "wheel-thrown"}, {"thrown", "wheel-thrown"}, {"hand-built", "hand-built"},
    {"carved", "carved"},         {"hand-carved", "carved"},      {"turned", "turned"},
    {"woven", "woven"},           {"handwoven", "woven"},         {"knitted", "knitted"},
    {"knit", "knitted"},          {"crocheted", "crocheted"},     {"crochet", "crocheted"},
    {"embroidered", "embroidered"}, {"embroidery", "embroidered"}, {"forged", "forged"},
    {"hammered", "hammered"},     {"engraved", "engraved"},       {"etched", "etched"},
    {"blown", "blown"},           {"stained", "stained"},         {"painted", "hand-painted"},
    {"hand-painted", "hand-painted"}, {"dyed", "dyed"},           {"printed", "printed"},
    {"stitched", "stitched"},     {"quilted", "quilted"},         {"enamel", "enamelled"},
    {"enamelled", "enamelled"},   {"macrame", "macrame"},         {"upholstered", "upholstered"},
};

static const struct word_alias styles[] = {
    {"minimalist", "minimalist"}, {"minimal", "minimalist"},    {"rustic", "rustic"},
    {"modern", "modern"},         {"contemporary", "modern"},  {"boho", "boho"},
    {"bohemian", "boho"},         {"vintage", "vintage"},      {"retro", "vintage"},
    {"scandinavian", "scandinavian"}, {"nordic", "scandinavian"}, {"industrial", "industrial"},
    {"mid century", "mid-century"}, {"mid-century", "mid-century"}, {"art deco", "art deco"},
    {"japanese", "japanese"},     {"wabi-sabi", "japanese"},   {"whimsical", "whimsical"},
    {"playful", "whimsical"},     {"elegant", "elegant"},      {"luxury", "elegant"},
    {"organic", "organic"},       {"bold", "bold"},            {"coastal", "coastal"},
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* True when word (lower-case, n bytes) is name or name + "s" / "es". */
static bool word_is(const char *word, size_t n, const char *name)
{
    size_t m = strlen(name);
    if (n == m)
        return memcmp(word, name, n) == 0;
    if (n == m + 1 && word[m] == 's')
        return memcmp(word, name, m) == 0;
    if (n == m + 2 && word[m] == 'e' && word[m + 1] == 's')
        return memcmp(word, name, m) == 0;
    return false;
}

static const char *alias_find(const struct word_alias *t, size_t nt, const char *w, size_t n)
{
    for (size_t i = 0; i < nt; i++)
        if (word_is(w, n, t[i].word))
            return t[i].canonical;
    return NULL;
}

static const struct imagegen_swatch *swatch_find(const struct imagegen_swatch *t, size_t nt, const char *w, size_t n)
{
    for (size_t i = 0; i < nt; i++)
        if (word_is(w, n, t[i].name))
            return &t[i];
    return NULL;
}

static void add_swatch(struct imagegen_swatch *arr, size_t *n, const struct imagegen_swatch *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(arr[i].name, s->name) == 0)
            return;
    if (*n < IMAGEGEN_MAX_ATTRS)
        arr[(*n)++] = *s;
}

static void add_technique(struct imagegen_concept *c, const char *t)
{
    for (size_t i = 0; i < c->ntechniques; i++)
        if (strcmp(c->techniques[i], t) == 0)
            return;
    if (c->ntechniques < IMAGEGEN_MAX_ATTRS)
        c->techniques[c->ntechniques++] = t;
}

/*
 * One word (or a two-word pair). A word both a material and a colour
 * ("gold", "copper", "terracotta") counts as a material when the object is
 * made of it ("gold ring") — we cannot tell, so it is recorded as both.
 * Returns true when the word was recognised.
 */
static bool take_word(struct imagegen_concept *c, const char *w, size_t n)
{
    bool hit = false;
    const char *s;
    const struct imagegen_swatch *sw;
    if (c->object == NULL && (s = alias_find(objects, NELEMS(objects), w, n)) != NULL) {
        c->object = s;
        hit = true;
    }
    if (c->style == NULL && (s = alias_find(styles, NELEMS(styles), w, n)) != NULL) {
        c->style = s;
        hit = true;
    }
    if ((sw = swatch_find(colours, NELEMS(colours), w, n)) != NULL) {
        add_swatch(c->colours, &c->ncolours, sw);
        hit = true;
    }
    if ((sw = swatch_find(materials, NELEMS(materials), w, n)) != NULL) {
        add_swatch(c->materials, &c->nmaterials, sw);
        hit = true;
    }
    if ((s = alias_find(techniques, NELEMS(techniques), w, n)) != NULL) {
        add_technique(c, s);
        hit = true;
    }
    return hit;
}

void imagegen_analyze(const char *prompt, struct imagegen_concept *out)
{
    memset(out, 0, sizeof *out);
    if (prompt == NULL)
        return;
    /* Lower-cased words, kept so a pair can be tried: prev + ' ' + this. */
    char prev[64] = "", cur[64];
    const char *p = prompt;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p) && *p != '-')
            p++;
        size_t n = 0;
        while (*p && (isalnum((unsigned char)*p) || *p == '-')) {
            if (n + 1 < sizeof cur)
                cur[n++] = (char)tolower((unsigned char)*p);
            p++;
        }
        cur[n] = '\0';
        if (n == 0)
            continue;
        if (prev[0] != '\0') {
            char pair[130];
            int m = snprintf(pair, sizeof pair, "%s %s", prev, cur);
            if (m > 0 && (size_t)m < sizeof pair)
                take_word(out, pair, (size_t)m);
        }
        take_word(out, cur, n);
        memcpy(prev, cur, n + 1);
    }
}

/*-----------------------------------------------------------------------------
 * Handles
 */
void imagegen_opts_from_config(const struct config *cfg, struct imagegen_opts *opts)
{
    *opts = (struct imagegen_opts){
        .kind = cfg->vision_generator,
        .base_url = cfg->openai_base_url,
        .api_key = cfg->openai_api_key,
        .model = cfg->openai_model,
        .timeout_ms = cfg->openai_timeout_ms,
        .max_attempts = 3,
        .backoff_ms = 500,
        .max_pixels = cfg->media_max_pixels,
    };
}

struct imagegen *imagegen_open(const struct imagegen_opts *opts, char *errbuf, size_t errlen)
{
    const char *kind = opts->kind ? opts->kind : "local";
    if (strcmp(kind, "local") != 0 && strcmp(kind, "openai") != 0) {
        snprintf(errbuf, errlen, "unknown image generator \"%s\" (local or openai)", kind);
        return NULL;
    }
    const char *base = opts->base_url ? opts->base_url : "";
    if (strcmp(kind, "openai") == 0 && strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
        snprintf(errbuf, errlen, "openai_base_url must be an http(s) URL");
        return NULL;
    }
    struct imagegen *g = xcalloc(1, sizeof *g);
    g->opts = *opts;
    g->opts.kind = strcmp(kind, "local") == 0 ? "local" : "openai";
    /* Without the trailing slash, so paths join with one. */
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    g->base_url = xmalloc(bl + 1);
    memcpy(g->base_url, base, bl);
    g->base_url[bl] = '\0';
    g->api_key = xstrdup(opts->api_key ? opts->api_key : "");
    g->model = xstrdup(opts->model && opts->model[0] ? opts->model : "dall-e-3");
    g->opts.base_url = g->base_url;
    g->opts.api_key = g->api_key;
    g->opts.model = g->model;
    if (g->opts.max_attempts < 1)
        g->opts.max_attempts = 1;
    if (g->opts.timeout_ms <= 0)
        g->opts.timeout_ms = 60000;
    if (g->opts.max_pixels <= 0)
        g->opts.max_pixels = 40000000;
    return g;
}

void imagegen_close(struct imagegen *g)
{
    if (g == NULL)
        return;
    free(g->base_url);
    free(g->api_key);
    free(g->model);
    free(g);
}

const char *imagegen_kind(const struct imagegen *g)
{
    return g->opts.kind;
}

const char *imagegen_model(const struct imagegen *g)
{
    return strcmp(g->opts.kind, "local") == 0 ? "concept-board-1" : g->opts.model;
}

int imagegen_generate(struct imagegen *g, const struct imagegen_request *req, struct arena *a,
                      struct imagegen_result *out, struct imagegen_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    if (req->prompt == NULL || req->prompt[0] == '\0' || strlen(req->prompt) > 4000 || req->width <= 0 ||
        req->height <= 0 || req->width > 4096 || req->height > 4096) {
        err->kind = IMAGEGEN_E_INVALID;
        snprintf(err->msg, sizeof err->msg, "the prompt must be 1 to 4000 bytes and the size at most 4096x4096");
        return -1;
    }
    if (strcmp(g->opts.kind, "local") == 0)
        return imagegen__local_render(req, a, out, err);
    return imagegen__openai_generate(&g->opts, req, a, out, err);
}

const char *imagegen_errkind_name(enum imagegen_errkind k)
{
    switch (k) {
    case IMAGEGEN_E_NONE:
        return "none";
    case IMAGEGEN_E_INVALID:
        return "invalid";
    case IMAGEGEN_E_REFUSED:
        return "refused";
    case IMAGEGEN_E_AUTH:
        return "auth";
    case IMAGEGEN_E_UNAVAILABLE:
        return "unavailable";
    case IMAGEGEN_E_TIMEOUT:
        return "timeout";
    case IMAGEGEN_E_PROVIDER:
        return "provider";
    case IMAGEGEN_E_INTERNAL:
        return "internal";
    }
    return "internal";
}

bool imagegen_error_retryable(enum imagegen_errkind k)
{
    return k == IMAGEGEN_E_UNAVAILABLE || k == IMAGEGEN_E_TIMEOUT;
}
