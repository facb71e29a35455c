/*
 * validate.c — parameter and body validation.
 *
 * Caveats: string lengths are counted in code points, not bytes, so a limit
 * of 100 admits 100 characters of any script; byte size is bounded anyway
 * by the body limit.
 */
#include "http/validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/ids.h"
#include "base/timeutil.h"
#include "http/http.h"

bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + len;
    while (s < end) {
        unsigned c = *s;
        if (c == 0)
            return false;
        if (c < 0x80) {
            s++;
            continue;
        }
        int n;
        unsigned cp;
        if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - s <= n)
            return false;
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates and values past U+10FFFF. */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        s += n + 1;
    }
    return true;
}

size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

bool email_valid(const char *s)
{
    size_t len = strlen(s);
    if (len < 3 || len > 254)
        return false;
    const char *at = strrchr(s, '@');
    if (at == NULL || at == s || at - s > 64)
        return false;
    for (const char *p = s; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == '@' || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' || c == ';' ||
            c == '<' || c == '>' || c == '[' || c == ']' || c == '\\' || c >= 0x7f)
            return false;
    }
    const char *d = at + 1;
    const char *dot = strrchr(d, '.');
    if (dot == NULL || dot == d || dot[1] == '\0' || strlen(dot + 1) < 2)
        return false;
    size_t label = 0;
    for (const char *p = d; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.') {
            if (label == 0 || p[-1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!(isalnum(c) || c == '-') || (label == 0 && c == '-') || ++label > 63)
            return false;
    }
    return label > 0;
}

static int parse_int(const char *s, long long *out)
{
    if (*s == '\0')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static bool in_enum(const char *const *values, const char *s)
{
    for (; values != NULL && *values != NULL; values++)
        if (strcmp(*values, s) == 0)
            return true;
    return false;
}

static void bad(struct app_error *err, struct arena *a, const char *field, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void bad(struct app_error *err, struct arena *a, const char *field, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    app_error_add_field(err, a, field, code, msg);
}

/* Shared checks on a string value; returns 0 or -1 (error added). */
static int check_string(enum value_type type, int64_t min, int64_t max, const char *id_prefix,
                        const char *const *enum_values, const char *field, const char *v, struct app_error *err,
                        struct arena *a)
{
    size_t len = strlen(v);
    if (!utf8_valid(v, len)) {
        bad(err, a, field, "invalid_utf8", "must be valid UTF-8 text");
        return -1;
    }
    long long n;
    int64_t t;
    switch (type) {
    case VT_STRING: {
        size_t cps = utf8_length(v);
        if (min > 0 && (int64_t)cps < min) {
            bad(err, a, field, min == 1 ? "required" : "too_short", "must be at least %lld characters",
                (long long)min);
            return -1;
        }
        if (max > 0 && (int64_t)cps > max) {
            bad(err, a, field, "too_long", "must be at most %lld characters", (long long)max);
            return -1;
        }
        return 0;
    }
    case VT_ID:
        if (!id_valid(v, id_prefix)) {
            bad(err, a, field, "invalid_format", "must be an id of the form %s_…", id_prefix ? id_prefix : "xxx");
            return -1;
        }
        return 0;
    case VT_ENUM:
        if (!in_enum(enum_values, v)) {
            struct strbuf_like {
                char buf[256];
            } s;
            size_t off = 0;
            s.buf[0] = '\0';
            for (const char *const *e = enum_values; e && *e && off < sizeof s.buf - 1; e++)
                off += (size_t)snprintf(s.buf + off, sizeof s.buf - off, "%s%s", off ? ", " : "", *e);
            bad(err, a, field, "invalid_value", "must be one of: %s", s.buf);
            return -1;
        }
        return 0;
    case VT_EMAIL:
        if (!email_valid(v)) {
            bad(err, a, field, "invalid_format", "must be an email address");
            return -1;
        }
        return 0;
    case VT_TIME:
        if (time_parse_rfc3339(v, &t) != 0) {
            bad(err, a, field, "invalid_format", "must be an RFC 3339 timestamp");
            return -1;
        }
        return 0;
    case VT_INT:
    case VT_MONEY:
        if (parse_int(v, &n) != 0) {
            bad(err, a, field, "invalid_type", "must be an integer");
            return -1;
        }
        if (type == VT_MONEY && n < 0) {
            bad(err, a, field, "out_of_range", "must be zero or more (minor units)");
            return -1;
        }
        if ((min != 0 || max != 0) && (n < min || n > max)) {
            bad(err, a, field, "out_of_range", "must be between %lld and %lld", (long long)min, (long long)max);
            return -1;
        }
        return 0;
    case VT_BOOL:
        if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0")) {
            bad(err, a, field, "invalid_type", "must be true or false");
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}

int validate_param(const struct param_spec *spec, const char *value, struct app_error *err, struct arena *a)
{
    return check_string(spec->type, spec->min, spec->max, spec->id_prefix, spec->enum_values, spec->name, value, err,
                        a);
}

static const char *type_name(enum value_type t)
{
    switch (t) {
    case VT_INT:
    case VT_MONEY:
        return "an integer";
    case VT_BOOL:
        return "a boolean";
    case VT_OBJECT:
        return "an object";
    case VT_ARRAY:
        return "an array";
    default:
        return "a string";
    }
}

static int check_value(const struct field_spec *f, json_t *v, const char *path, struct app_error *err,
                       struct arena *a);

static int check_value(const struct field_spec *f, json_t *v, const char *path, struct app_error *err, struct arena *a)
{
    if (json_is_null(v)) {
        if (f->nullable)
            return 0;
        bad(err, a, path, "invalid_type", "must not be null");
        return -1;
    }
    switch (f->type) {
    case VT_ANY:
        return 0;
    case VT_INT:
    case VT_MONEY: {
        if (!json_is_integer(v)) {
            bad(err, a, path, "invalid_type", "must be %s", type_name(f->type));
            return -1;
        }
        json_int_t n = json_integer_value(v);
        if (f->type == VT_MONEY && n < 0) {
            bad(err, a, path, "out_of_range", "must be zero or more (minor units)");
            return -1;
        }
        if ((f->min != 0 || f->max != 0) && (n < f->min || n > f->max)) {
            bad(err, a, path, "out_of_range", "must be between %lld and %lld", (long long)f->min, (long long)f->max);
            return -1;
        }
        return 0;
    }
    case VT_BOOL:
        if (!json_is_boolean(v)) {
            bad(err, a, path, "invalid_type", "must be a boolean");
            return -1;
        }
        return 0;
    case VT_OBJECT:
        if (!json_is_object(v)) {
            bad(err, a, path, "invalid_type", "must be an object");
            return -1;
        }
        return f->fields ? validate_body(f->fields, v, path, err, a) : 0;
    case VT_ARRAY: {
        if (!json_is_array(v)) {
            bad(err, a, path, "invalid_type", "must be an array");
            return -1;
        }
        size_t n = json_array_size(v);
        if (f->min > 0 && (int64_t)n < f->min) {
            bad(err, a, path, "too_short", "must have at least %lld items", (long long)f->min);
            return -1;
        }
        if (f->max > 0 && (int64_t)n > f->max) {
            bad(err, a, path, "too_long", "must have at most %lld items", (long long)f->max);
            return -1;
        }
        int rc = 0;
        if (f->fields != NULL) {
            /* Array items: fields[0] describes each item (its name is ignored). */
            for (size_t i = 0; i < n; i++) {
                char *ip = arena_sprintf(a, "%s[%zu]", path, i);
                if (check_value(&f->fields[0], json_array_get(v, i), ip, err, a) != 0)
                    rc = -1;
            }
        }
        return rc;
    }
    default:
        if (!json_is_string(v)) {
            bad(err, a, path, "invalid_type", "must be %s", type_name(f->type));
            return -1;
        }
        return check_string(f->type, f->min, f->max, f->id_prefix, f->enum_values, path, json_string_value(v), err,
                            a);
    }
}

int validate_body(const struct field_spec *fields, json_t *obj, const char *prefix, struct app_error *err,
                  struct arena *a)
{
    int rc = 0;
    if (!json_is_object(obj)) {
        bad(err, a, *prefix ? prefix : "body", "invalid_type", "must be a JSON object");
        return -1;
    }
    for (const struct field_spec *f = fields; f->name != NULL; f++) {
        const char *path = *prefix ? arena_sprintf(a, "%s.%s", prefix, f->name) : f->name;
        json_t *v = json_object_get(obj, f->name);
        if (v == NULL) {
            if (f->required) {
                bad(err, a, path, "required", "is required");
                rc = -1;
            }
            continue;
        }
        if (check_value(f, v, path, err, a) != 0)
            rc = -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool known = false;
        for (const struct field_spec *f = fields; f->name != NULL && !known; f++)
            known = strcmp(f->name, key) == 0;
        if (!known) {
            const char *path = *prefix ? arena_sprintf(a, "%s.%s", prefix, key) : key;
            bad(err, a, path, "unknown_field", "is not a known field");
            rc = -1;
        }
    }
    return rc;
}
