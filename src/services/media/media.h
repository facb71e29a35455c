/*
 * media.h — the media service: upload, serve, delete and process images.
 */
#ifndef ARTISTRY_SERVICES_MEDIA_H
#define ARTISTRY_SERVICES_MEDIA_H

#include "http/http.h"

extern const struct service_module media_module;

#endif
