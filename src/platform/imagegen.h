/*
 * imagegen.h — concept image generation: one interface, two generators.
 *
 *   - "local" (embedded default): the offline concept renderer
 *     (imagegen_local.c). It reads the prompt (object, materials, colours,
 *     style words; imagegen_analyze) and draws a real PNG concept board with
 *     libvips: a background toned by the style, a silhouette of the object,
 *     palette swatches of the named colours and materials, and the key
 *     attributes as text labels. The same prompt, seed and size give the
 *     same bytes.
 *   - "openai": a client of any OpenAI-compatible images API
 *     (imagegen_openai.c): POST {base}/v1/images/generations with model,
 *     prompt, n = 1, size, quality, style and response_format b64_json;
 *     Bearer key when one is set; per-attempt timeout; 429, 5xx and
 *     transport failures retried with exponential backoff (Retry-After
 *     honoured, capped); other failures mapped to an error kind.
 *
 * Every result says which generator and model made it, so the API can be
 * honest about where an image came from.
 *
 * Threads: a generator is immutable after imagegen_open and may be used
 * from any thread. imagegen_generate blocks (libvips rendering, or the
 * network for seconds): call it from a job, never a request thread.
 *
 * Caveats: the OpenAI client asks for one image per call (DALL-E 3 accepts
 * only n = 1), so n images are n calls. A provider that answers with a URL
 * instead of b64_json is refused (IMAGEGEN_E_PROVIDER): we never fetch
 * provider URLs. Provider images are sniffed, pixel-limited and re-encoded
 * without metadata (platform/image.h) before they are returned.
 */
#ifndef ARTISTRY_PLATFORM_IMAGEGEN_H
#define ARTISTRY_PLATFORM_IMAGEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct config;
struct imagegen;

/*-----------------------------------------------------------------------------
 * Prompt analysis (pure; used by the renderer and by the vision service)
 */
#define IMAGEGEN_MAX_ATTRS 6

/** A named colour or material and the sRGB colour the renderer paints it with. */
struct imagegen_swatch {
    const char *name; /* static string */
    unsigned char rgb[3];
    bool is_material;
};

/** What a prompt asks for, as far as the renderer understands it. */
struct imagegen_concept {
    const char *object; /* static canonical object name ("vase"), or NULL when none was recognised */
    const char *style;  /* static style word ("rustic"), or NULL */
    struct imagegen_swatch colours[IMAGEGEN_MAX_ATTRS];
    size_t ncolours;
    struct imagegen_swatch materials[IMAGEGEN_MAX_ATTRS];
    size_t nmaterials;
    const char *techniques[IMAGEGEN_MAX_ATTRS]; /* static ("glazed", "hand-carved"…) */
    size_t ntechniques;
};

/**
 * Find the object, style, colours, materials and techniques named in
 * prompt (case-insensitive whole words, in order of appearance, no
 * duplicates). Never fails; unknown words are ignored.
 */
void imagegen_analyze(const char *prompt, struct imagegen_concept *out);

/*-----------------------------------------------------------------------------
 * Generators
 */
enum imagegen_errkind {
    IMAGEGEN_E_NONE = 0,
    IMAGEGEN_E_INVALID,     /* the request was refused as malformed (bad size, prompt too long…) */
    IMAGEGEN_E_REFUSED,     /* content policy: the provider will not draw this prompt */
    IMAGEGEN_E_AUTH,        /* the provider refused our key (401/403) */
    IMAGEGEN_E_UNAVAILABLE, /* 429 / 5xx / transport failure after every retry: try again later */
    IMAGEGEN_E_TIMEOUT,     /* no answer within the timeout, after every retry */
    IMAGEGEN_E_PROVIDER,    /* any other provider answer we cannot use */
    IMAGEGEN_E_INTERNAL,    /* our side (libvips, memory) */
};

/** Why a generation failed; msg is safe to show the prompt's owner (no key, no raw body beyond the provider's message). */
struct imagegen_error {
    enum imagegen_errkind kind;
    int http_status;    /* the provider's last status, 0 when none */
    char code[64];      /* the provider's error code when it sent one ("content_policy_violation") */
    char msg[256];
};

/** One request: one image. */
struct imagegen_request {
    const char *prompt;  /* required, 1..4000 bytes */
    const char *style;   /* "vivid" | "natural" or NULL (OpenAI; the renderer uses style words in the prompt) */
    const char *quality; /* "standard" | "hd" or NULL */
    int width, height;   /* one of the sizes the caller validated */
    uint64_t seed;       /* the renderer's seed; providers ignore it */
    const char *user;    /* opaque end-user id passed to the provider (abuse tracking), may be NULL */
};

/** A generated image, allocated in the arena passed to imagegen_generate. */
struct imagegen_result {
    const void *data;
    size_t len;
    const char *mime; /* "image/png"… */
    const char *ext;  /* "png"… */
    int width, height;
    const char *revised_prompt; /* provider's rewrite of the prompt, or NULL */
};

/** Settings of a generator (defaults from the config: vision_generator, openai_*). */
struct imagegen_opts {
    const char *kind;     /* "local" or "openai" */
    const char *base_url; /* openai: without the trailing /v1 */
    const char *api_key;  /* openai: empty or NULL sends no Authorization header */
    const char *model;
    int timeout_ms;    /* per attempt */
    int max_attempts;  /* openai: attempts for retryable failures (>= 1) */
    int backoff_ms;    /* openai: first backoff, doubled each retry */
    int64_t max_pixels; /* refuse provider images larger than this */
};

/** Fill opts from the configuration (strings borrowed from cfg). */
void imagegen_opts_from_config(const struct config *cfg, struct imagegen_opts *opts);

/**
 * Make a generator. Returns NULL with a message in errbuf on an unknown
 * kind or a bad base URL. The caller owns it (imagegen_close).
 */
struct imagegen *imagegen_open(const struct imagegen_opts *opts, char *errbuf, size_t errlen);
void imagegen_close(struct imagegen *g);

/** "local" or "openai": what goes in an image's `generator`. */
const char *imagegen_kind(const struct imagegen *g);
/** The model name recorded with an image ("concept-board-1" for the renderer). */
const char *imagegen_model(const struct imagegen *g);

/**
 * Make one image. Blocks (see the header comment). Returns 0 with *out
 * filled (memory in arena a), or -1 with *err.
 */
int imagegen_generate(struct imagegen *g, const struct imagegen_request *req, struct arena *a,
                      struct imagegen_result *out, struct imagegen_error *err);

/** Stable name of an error kind ("refused", "unavailable"…). */
const char *imagegen_errkind_name(enum imagegen_errkind k);

/** True for kinds worth trying again later (unavailable, timeout). */
bool imagegen_error_retryable(enum imagegen_errkind k);

/*-----------------------------------------------------------------------------
 * Implementations (imagegen_local.c, imagegen_openai.c), called through imagegen_generate
 */
int imagegen__local_render(const struct imagegen_request *req, struct arena *a, struct imagegen_result *out,
                           struct imagegen_error *err);
int imagegen__openai_generate(const struct imagegen_opts *opts, const struct imagegen_request *req, struct arena *a,
                              struct imagegen_result *out, struct imagegen_error *err);

#endif
