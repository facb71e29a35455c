/*
 * recs.h — recommendations: similar products, for-me (item-to-item
 * collaborative filtering blended with content), trending (see README.md).
 */
#ifndef ARTISTRY_SERVICES_RECS_H
#define ARTISTRY_SERVICES_RECS_H

#include "http/http.h"

extern const struct service_module recs_module;

#endif
