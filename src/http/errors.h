/*
 * errors.h — the one table mapping stable error codes to HTTP statuses, and
 * RFC 9457 problem+json rendering.
 *
 * A problem body has type ("https://artistry.cart/problems/<code>", or
 * about:blank for plain HTTP errors), title (stable per code), status,
 * detail, instance (the request path), code, request_id, and errors[] for
 * validation failures ({field, code, message}).
 */
#ifndef ARTISTRY_HTTP_ERRORS_H
#define ARTISTRY_HTTP_ERRORS_H

#include <jansson.h>

struct app_error;

/** HTTP status for a code (500 for unknown codes). */
int http_error_status(const char *code);

/** Stable title for a code. */
const char *http_error_title(const char *code);

/** Build the problem+json body. The caller owns the result. */
json_t *http_problem_json(const struct app_error *err, int status, const char *instance, const char *request_id);

#endif
