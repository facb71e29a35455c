/*
 * search.h — the search service: GET /search, /search/suggestions,
 * /search/trending, POST /search/index (admin).
 */
#ifndef ARTISTRY_SERVICES_SEARCH_H
#define ARTISTRY_SERVICES_SEARCH_H

#include "http/http.h"

extern const struct service_module search_module;

#endif
