/*
 * error.h — the application error carried out of failing functions.
 *
 * Fields follow PostgreSQL's ereport: a stable machine `code` (snake_case,
 * mapped to an HTTP status by one table in src/http/errors.c), a `msg` safe
 * to show the client, optional `detail` and `hint`, and `log_detail` that is
 * written to the server log only. Validation failures also carry a list of
 * field errors.
 *
 * Functions return 0 on success and -1 on failure, filling *err (allocated in
 * the caller's arena) on failure.
 */
#ifndef ARTISTRY_BASE_ERROR_H
#define ARTISTRY_BASE_ERROR_H

#include <stddef.h>

struct arena;

/** One bad field in a validation error. */
struct field_error {
    const char *field;   /* JSON pointer-ish path: "email", "items[2].quantity" */
    const char *code;    /* stable: "required", "too_long", "invalid_format", ... */
    const char *message; /* human readable */
};

struct app_error {
    const char *code;
    const char *msg;
    const char *detail;
    const char *hint;
    const char *log_detail;
    struct field_error *fields;
    size_t nfields;
    size_t _cap;
    int status;       /* 0: from the code table; otherwise overrides it */
    long retry_after; /* seconds, for 429/503; 0: none */
};

/** Set code and message (printf-style) on err; returns -1 so callers can `return app_error_set(...)`. */
int app_error_set(struct app_error *err, struct arena *a, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define APP_ERROR_MAX_FIELDS 50

/** Append one field error (strings are copied into the arena); at most APP_ERROR_MAX_FIELDS are kept. */
void app_error_add_field(struct app_error *err, struct arena *a, const char *field, const char *code,
                         const char *message);

#endif
