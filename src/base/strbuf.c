/*
 * strbuf.c — growable buffers.
 */
#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

void strbuf_init(struct strbuf *b, struct arena *a, size_t hint)
{
    b->_arena = a;
    b->cap = hint ? hint : 64;
    b->len = 0;
    b->data = a ? arena_alloc(a, b->cap) : xmalloc(b->cap);
    b->data[0] = '\0';
}

static void grow(struct strbuf *b, size_t need)
{
    if (b->len + need + 1 <= b->cap)
        return;
    size_t cap = b->cap * 2;
    while (cap < b->len + need + 1)
        cap *= 2;
    if (b->_arena) {
        char *p = arena_alloc(b->_arena, cap);
        memcpy(p, b->data, b->len + 1);
        b->data = p;
    } else {
        b->data = xrealloc(b->data, cap);
    }
    b->cap = cap;
}

void strbuf_append(struct strbuf *b, const void *data, size_t len)
{
    grow(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
    strbuf_append(b, s, strlen(s));
}

void strbuf_putc(struct strbuf *b, char c)
{
    grow(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n > 0) {
        grow(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
    }
    va_end(ap);
}

void strbuf_json_escape(struct strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    /* Copy runs of characters that need no escaping in one go; escapes are rare in stored text. */
    const unsigned char *p = (const unsigned char *)s;
    for (;;) {
        const unsigned char *run = p;
        while (*p >= 0x20 && *p != '"' && *p != '\\')
            p++;
        if (p > run)
            strbuf_append(b, run, (size_t)(p - run));
        if (*p == '\0')
            return;
        char esc[6] = {'\\', (char)*p, 0, 0, 0, 0};
        size_t n = 2;
        if (*p < 0x20) {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
            n = 6;
        }
        strbuf_append(b, esc, n);
        p++;
    }
}

void strbuf_free(struct strbuf *b)
{
    if (b->_arena == NULL)
        free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
