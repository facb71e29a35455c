/*
 * media_routes.c — the media service's route table.
 */
#include "services/media/media.h"

#include "app.h"

static const struct route media_routes[] = {
    {0},
};

const struct service_module media_module = {
    .name = "media",
    .routes = media_routes,
    .nroutes = 0,
};
