/*
 * vision.h — AI Vision: concept images from a buyer's words, refinement,
 * saved concepts, and matching artisans to a concept (see README.md here).
 */
#ifndef ARTISTRY_SERVICES_VISION_H
#define ARTISTRY_SERVICES_VISION_H

#include "http/http.h"

extern const struct service_module vision_module;

#endif
