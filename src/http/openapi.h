/*
 * openapi.h — the OpenAPI 3.1 description, generated from the route tables.
 *
 * Paths, methods, parameters (with types, ranges, enums), request bodies
 * (from field specs), security (from auth levels) and the problem+json error
 * responses each route can give are derived from the same tables the
 * router enforces, so the document cannot drift from the code.
 * docs/openapi.json is this output, committed; a test checks it is current.
 */
#ifndef ARTISTRY_HTTP_OPENAPI_H
#define ARTISTRY_HTTP_OPENAPI_H

#include <jansson.h>
#include <stddef.h>

struct service_module;

/** Build the document for the given modules. The caller owns the result. */
json_t *openapi_build(const struct service_module *const *mods, size_t n, const char *version);

#endif
