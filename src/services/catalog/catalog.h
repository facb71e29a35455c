/*
 * catalog.h — the catalog service: categories (products, reviews and
 * wishlists join it in the catalog issue).
 *
 * GET  /api/v1/categories   the active category tree, ordered by position
 * POST /api/v1/categories   (admin) create a category under an optional parent
 */
#ifndef ARTISTRY_SERVICES_CATALOG_H
#define ARTISTRY_SERVICES_CATALOG_H

#include "http/http.h"

extern const struct service_module catalog_module;

#endif
