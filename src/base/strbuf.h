/*
 * strbuf.h — a growable byte buffer on the heap or in an arena.
 *
 * With an arena, growth allocates from it (old space is left to the arena);
 * without one, the buffer owns heap memory released by strbuf_free().
 * The contents are always NUL-terminated.
 */
#ifndef ARTISTRY_BASE_STRBUF_H
#define ARTISTRY_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct strbuf {
    char *data;
    size_t len;
    size_t cap;
    struct arena *_arena;
};

/** Start an empty buffer; a == NULL uses the heap. */
void strbuf_init(struct strbuf *b, struct arena *a, size_t hint);
void strbuf_append(struct strbuf *b, const void *data, size_t len);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_putc(struct strbuf *b, char c);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append s as the contents of a JSON string (no quotes added). */
void strbuf_json_escape(struct strbuf *b, const char *s);
/** Free heap storage (no-op for arena buffers). */
void strbuf_free(struct strbuf *b);

#endif
