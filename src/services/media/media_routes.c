/*
 * media_routes.c — the media service's route table, module start-up and
 * the helpers its files share.
 *
 * Start-up: check the SQL, start libvips (platform/image.h), open the
 * media store (local directory or S3, platform/media_store.h) and register
 * the media.* jobs. A store that cannot be opened (bad S3 settings, an
 * unwritable directory) stops the server from starting.
 *
 * Caveats: the store and limits live in one module-level struct, set at
 * init and read-only afterwards (like the auth module's keys).
 */
#include "services/media/media.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "platform/image.h"
#include "platform/media_store.h"
#include "services/media/media_int.h"

static struct media_state state;

struct media_state *media__state(void)
{
    return &state;
}

const char *const media__kinds[] = {"avatar",       "shop_logo",          "shop_banner",     "product_image",
                                    "review_image", "message_attachment", "personalization", "milestone_delivery",
                                    "vision_image", "shipping_label",     "other",           NULL};

bool media__kind_private(const char *kind)
{
    static const char *const private_kinds[] = {"message_attachment", "personalization", "milestone_delivery",
                                                "shipping_label",     "vision_image",    NULL};
    for (const char *const *k = private_kinds; *k != NULL; k++)
        if (strcmp(*k, kind) == 0)
            return true;
    return false;
}

const char *const media__variant_names[] = {"original", "thumbnail", "medium", "large", "webp", NULL};

const char *media__key(struct arena *a, const char *id, const char *name, const char *ext)
{
    size_t n = strlen(id);
    return arena_sprintf(a, "%s/%s/%s.%s", n >= 2 ? id + n - 2 : "00", id, name, ext);
}

const char *media__sha256_hex(struct arena *a, const void *data, size_t len)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char *hex = arena_alloc(a, 65);
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return hex;
}

bool media__is_admin(const struct request *req)
{
    return req->role != NULL && strcmp(req->role, "admin") == 0;
}

int media__store_error(struct request *req, const struct media_store_error *serr, struct app_error *err)
{
    err->log_detail = arena_sprintf(req->arena, "media store (%s): %s", media_store_kind(state.store), serr->msg);
    return app_error_set(err, req->arena, "storage_error", "the media store could not complete the request");
}

/*-----------------------------------------------------------------------------
 * Routes
 */
static const struct param_spec id_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "med"},
    {0},
};

static const struct param_spec get_params[] = {
    {.name = "id", .source = PARAM_PATH, .type = VT_ID, .required = true, .id_prefix = "med"},
    {.name = "variant", .source = PARAM_QUERY, .type = VT_ENUM, .enum_values = media__variant_names},
    {0},
};

static const struct route media_routes[] = {
    {HTTP_POST, "/api/v1/media/upload", media_handle_upload, AUTH_USER, NULL, NULL, ROUTE_BODY_RAW | ROUTE_BIG_BODY,
     "Upload an image (multipart/form-data: file, optional kind); typed by its bytes, metadata stripped"},
    {HTTP_GET, "/api/v1/media/:id", media_handle_get, AUTH_OPTIONAL, get_params, NULL, ROUTE_READONLY,
     "The bytes of a media object or of one of its variants (ETag, Range)"},
    {HTTP_DELETE, "/api/v1/media/:id", media_handle_delete, AUTH_USER, id_params, NULL, 0,
     "Delete a media object (owner or admin)"},
    {HTTP_POST, "/api/v1/media/:id/process", media_handle_process, AUTH_USER, id_params, NULL, 0,
     "Make the variants of a media object again (owner or admin)"},
};

/*-----------------------------------------------------------------------------
 * Start and stop
 */
static bool image_started;

static void media_fini(struct app *app)
{
    (void)app;
    media_store_close(state.store);
    state.store = NULL;
    if (image_started)
        image_fini();
    image_started = false;
}

static int media_init(struct app *app)
{
    const char *sql[MEDIA_Q__COUNT];
    char eb[512];
    for (int q = 0; q < MEDIA_Q__COUNT; q++)
        sql[q] = media__sql((enum media_query)q);
    if (app_check_sql(app, "media", sql, MEDIA_Q__COUNT) != 0)
        return -1;
    if (image_init() != 0)
        return -1;
    image_started = true;
    state.max_bytes = app->cfg->media_max_upload_bytes;
    state.max_pixels = app->cfg->media_max_pixels;
    state.store = media_store_open(app->cfg, eb, sizeof eb);
    if (state.store == NULL) {
        log_error("cannot open the media store", "%s", eb);
        media_fini(app); /* a module whose init failed gets no fini call */
        return -1;
    }
    media__register_jobs(app->jobs);
    log_info("media store", "%s", media_store_kind(state.store));
    return 0;
}

const struct service_module media_module = {
    .name = "media",
    .init = media_init,
    .fini = media_fini,
    .routes = media_routes,
    .nroutes = sizeof media_routes / sizeof media_routes[0],
};
