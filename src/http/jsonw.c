/*
 * jsonw.c — streaming JSON writer.
 *
 * Caveats: strings are assumed to be valid UTF-8 (everything stored came
 * through validation); control characters are escaped as \u00XX.
 */
#include "http/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"

void jw_init(struct jsonw *w, struct arena *a, size_t hint)
{
    strbuf_init(&w->sb, a, hint ? hint : 1024);
    w->depth = 0;
    w->after_key = false;
    w->has_items = 0;
    w->is_array = 0;
}

static void before_value(struct jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        uint64_t bit = UINT64_C(1) << (w->depth - 1);
        if (w->has_items & bit)
            strbuf_putc(&w->sb, ',');
        w->has_items |= bit;
    }
}

static void open_container(struct jsonw *w, char c)
{
    before_value(w);
    APP_ASSERT(w->depth < 64);
    strbuf_putc(&w->sb, c);
    w->depth++;
    uint64_t bit = UINT64_C(1) << (w->depth - 1);
    w->has_items &= ~bit;
    if (c == '[')
        w->is_array |= bit;
    else
        w->is_array &= ~bit;
}

void jw_obj(struct jsonw *w)
{
    open_container(w, '{');
}

void jw_arr(struct jsonw *w)
{
    open_container(w, '[');
}

void jw_end(struct jsonw *w)
{
    APP_ASSERT(w->depth > 0 && !w->after_key);
    w->depth--;
    strbuf_putc(&w->sb, (w->is_array & (UINT64_C(1) << w->depth)) ? ']' : '}');
}

static void put_string(struct jsonw *w, const char *s)
{
    strbuf_putc(&w->sb, '"');
    strbuf_json_escape(&w->sb, s);
    strbuf_putc(&w->sb, '"');
}

void jw_key(struct jsonw *w, const char *key)
{
    APP_ASSERT(!w->after_key);
    before_value(w);
    put_string(w, key);
    strbuf_putc(&w->sb, ':');
    w->after_key = true;
}

void jw_str(struct jsonw *w, const char *s)
{
    before_value(w);
    if (s == NULL)
        strbuf_append(&w->sb, "null", 4);
    else
        put_string(w, s);
}

void jw_int(struct jsonw *w, int64_t v)
{
    before_value(w);
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRId64, v);
    strbuf_append(&w->sb, buf, (size_t)n);
}

void jw_bool(struct jsonw *w, bool v)
{
    before_value(w);
    strbuf_puts(&w->sb, v ? "true" : "false");
}

void jw_null(struct jsonw *w)
{
    before_value(w);
    strbuf_append(&w->sb, "null", 4);
}

void jw_raw(struct jsonw *w, const char *json)
{
    before_value(w);
    strbuf_puts(&w->sb, json ? json : "null");
}

void jw_kstr(struct jsonw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

void jw_kint(struct jsonw *w, const char *key, int64_t v)
{
    jw_key(w, key);
    jw_int(w, v);
}

void jw_kmoney(struct jsonw *w, const char *key, int64_t amount, const char *currency)
{
    jw_key(w, key);
    jw_obj(w);
    jw_kint(w, "amount", amount);
    jw_kstr(w, "currency", currency);
    jw_end(w);
}

void jw_kbool(struct jsonw *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_bool(w, v);
}
