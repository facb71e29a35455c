/*
 * vision_routes.c — the vision service's route table, specs, module state.
 *
 * Ids: sessions "vis_…", images "vim_…", saved concepts "cpt_…".
 *
 * The module opens its own image generator (vision_generator: local or
 * openai) and its own handle on the media store (the same directory or
 * bucket the media service serves from), and starts libvips (reference
 * counted with the media module).
 */
#include "services/vision/vision.h"

#include <stdio.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "platform/image.h"
#include "platform/imagegen.h"
#include "platform/media_store.h"
#include "services/vision/vision_int.h"

static struct vision_state state;

struct vision_state *vision__state(void)
{
    return &state;
}

static const char *const sizes[] = {"256x256", "512x512", "1024x1024", "1792x1024", "1024x1792", NULL};
static const char *const qualities[] = {"standard", "hd", NULL};

static const struct field_spec generate_body[] = {
    {.name = "prompt", .type = VT_STRING, .required = true, .min = 3, .max = 1000},
    {.name = "style", .type = VT_STRING, .min = 1, .max = 40},
    {.name = "count", .type = VT_INT, .min = 1, .max = 4},
    {.name = "size", .type = VT_ENUM, .enum_values = sizes},
    {.name = "quality", .type = VT_ENUM, .enum_values = qualities},
    {.name = "seed", .type = VT_INT, .min = 0, .max = 2147483647},
    {.name = "category_id", .type = VT_ID, .id_prefix = "cat"},
    {0},
};

static const struct field_spec refine_body[] = {
    {.name = "session_id", .type = VT_ID, .required = true, .id_prefix = "vis"},
    {.name = "prompt", .type = VT_STRING, .required = true, .min = 2, .max = 1000},
    {.name = "image_id", .type = VT_ID, .id_prefix = "vim"},
    {.name = "count", .type = VT_INT, .min = 1, .max = 4},
    {.name = "seed", .type = VT_INT, .min = 0, .max = 2147483647},
    {0},
};

static const struct param_spec session_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "vis"},
    {0},
};

static const struct param_spec concept_id_param[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "cpt"},
    {0},
};

static const struct param_spec list_params[] = {
    {.name = "limit", .source = PARAM_QUERY, .type = VT_INT, .min = 1, .max = 100},
    {.name = "cursor", .source = PARAM_QUERY, .type = VT_STRING, .min = 1, .max = 100},
    {0},
};

static const struct field_spec save_body[] = {
    {.name = "image_id", .type = VT_ID, .required = true, .id_prefix = "vim"},
    {.name = "title", .type = VT_STRING, .required = true, .min = 1, .max = 120},
    {.name = "notes", .type = VT_STRING, .max = 2000},
    {0},
};

static const struct field_spec match_body[] = {
    {.name = "session_id", .type = VT_ID, .id_prefix = "vis"},
    {.name = "concept_id", .type = VT_ID, .id_prefix = "cpt"},
    {.name = "text", .type = VT_STRING, .min = 2, .max = 1000},
    {.name = "category_id", .type = VT_ID, .id_prefix = "cat"},
    {.name = "limit", .type = VT_INT, .min = 1, .max = 50},
    {0},
};

static const struct route vision_routes[] = {
    {HTTP_POST, "/api/v1/vision/generate", vision_handle_generate, AUTH_USER, NULL, generate_body, ROUTE_BODY_JSON,
     "Start a vision session: concept images for a prompt (202; images render in the background)"},
    {HTTP_POST, "/api/v1/vision/refine", vision_handle_refine, AUTH_USER, NULL, refine_body, ROUTE_BODY_JSON,
     "Refine a session with a follow-up prompt, optionally building on one of its images (202)"},
    {HTTP_GET, "/api/v1/vision/sessions", vision_handle_list_sessions, AUTH_USER, list_params, NULL, ROUTE_READONLY,
     "My vision sessions, newest first"},
    {HTTP_GET, "/api/v1/vision/sessions/:id", vision_handle_get_session, AUTH_USER, session_id_param, NULL,
     ROUTE_READONLY, "One of my sessions with every image (pending / ready / failed) and its refinement history"},
    {HTTP_POST, "/api/v1/vision/sessions/:id/save", vision_handle_save, AUTH_USER, session_id_param, save_body,
     ROUTE_BODY_JSON, "Save a ready image of the session as a concept a custom order can reference"},
    {HTTP_GET, "/api/v1/vision/concepts/:id", vision_handle_get_concept, AUTH_USER, concept_id_param, NULL,
     ROUTE_READONLY, "One of my saved concepts"},
    {HTTP_POST, "/api/v1/vision/match-artisans", vision_handle_match, AUTH_USER, NULL, match_body, ROUTE_BODY_JSON,
     "Artisans ranked for a session, a saved concept or free text, with scores and reasons"},
};

static int vision_init(struct app *app)
{
    const char *q[VISION_Q__COUNT];
    for (int i = 0; i < VISION_Q__COUNT; i++)
        q[i] = vision__sql((enum vision_query)i);
    if (app_check_sql(app, "vision", q, VISION_Q__COUNT) != 0)
        return -1;
    if (image_init() != 0)
        return -1;
    char eb[256];
    struct imagegen_opts o;
    imagegen_opts_from_config(app->cfg, &o);
    state.gen = imagegen_open(&o, eb, sizeof eb);
    if (state.gen == NULL) {
        log_error("vision: cannot set up the image generator", "%s", eb);
        image_fini();
        return -1;
    }
    state.store = media_store_open(app->cfg, eb, sizeof eb);
    if (state.store == NULL) {
        log_error("vision: cannot open the media store", "%s", eb);
        imagegen_close(state.gen);
        image_fini();
        return -1;
    }
    state.per_minute = app->cfg->vision_per_minute;
    state.daily_cap = app->cfg->vision_daily_cap;
    vision__register_jobs(app->jobs);
    log_info("vision: image generator", "%s (%s)", imagegen_kind(state.gen), imagegen_model(state.gen));
    return 0;
}

static void vision_fini(struct app *app)
{
    (void)app;
    if (state.gen == NULL)
        return;
    media_store_close(state.store);
    imagegen_close(state.gen);
    state = (struct vision_state){0};
    image_fini();
}

const struct service_module vision_module = {
    .name = "vision",
    .init = vision_init,
    .routes = vision_routes,
    .nroutes = sizeof vision_routes / sizeof vision_routes[0],
    .fini = vision_fini,
};
