/*
 * validate.h — checking parameters and JSON bodies against route specs.
 *
 * Every failing field is reported (not just the first), each with a stable
 * code: required, unknown_field, invalid_type, too_short, too_long,
 * out_of_range, invalid_format, invalid_value, invalid_utf8.
 */
#ifndef ARTISTRY_HTTP_VALIDATE_H
#define ARTISTRY_HTTP_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct app_error;
struct arena;
struct field_spec;
struct param_spec;

/** True if s (len bytes) is valid UTF-8 without NUL bytes. */
bool utf8_valid(const char *s, size_t len);

/** Number of code points in valid UTF-8 s. */
size_t utf8_length(const char *s);

/** True if s looks like an email address (local@domain.tld, <= 254 bytes). */
bool email_valid(const char *s);

/**
 * Check one parameter value against its spec; on failure add a field error
 * to err and return -1.
 */
int validate_param(const struct param_spec *spec, const char *value, struct app_error *err, struct arena *a);

/**
 * Check a JSON object against a NULL-name-terminated field list (recursing
 * into nested objects and arrays). prefix is the path so far ("" at the top).
 * Returns 0 if valid, else -1 with field errors added to err.
 */
int validate_body(const struct field_spec *fields, json_t *obj, const char *prefix, struct app_error *err,
                  struct arena *a);

#endif
