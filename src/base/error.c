/*
 * error.c — building struct app_error values in an arena.
 */
#include "base/error.h"

#include <stdarg.h>
#include <string.h>

#include "base/arena.h"

int app_error_set(struct app_error *err, struct arena *a, const char *code, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    err->msg = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return -1;
}

void app_error_add_field(struct app_error *err, struct arena *a, const char *field, const char *code,
                         const char *message)
{
    /* A hostile body can name thousands of bad fields; the first ones are enough to act on. */
    if (err->nfields >= APP_ERROR_MAX_FIELDS)
        return;
    if (err->nfields == err->_cap) {
        size_t cap = err->_cap ? err->_cap * 2 : 4;
        struct field_error *f = arena_array(a, struct field_error, cap);
        if (err->nfields)
            memcpy(f, err->fields, err->nfields * sizeof *f);
        err->fields = f;
        err->_cap = cap;
    }
    struct field_error *fe = &err->fields[err->nfields++];
    fe->field = arena_strdup(a, field);
    fe->code = code;
    fe->message = arena_strdup(a, message);
}
