/*
 * arena.c — region allocator.
 *
 * Blocks form a singly linked list, newest first. The first block is kept on
 * reset so that a request arena reused across keep-alive requests does not
 * touch malloc on its hot path. Oversized allocations get a block of their own.
 *
 * Caveats: alignment is that of max_align_t.
 */
#include "base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

struct arena_cleanup {
    struct arena_cleanup *next;
    void (*fn)(void *);
    void *ptr;
};

#define ARENA_ALIGN (alignof(max_align_t))

static void oom(size_t size)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"out of memory\",\"size\":%zu}\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q == NULL)
        oom(size);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

void arena_init(struct arena *a, size_t block_size)
{
    a->_head = NULL;
    a->_cleanups = NULL;
    a->_block_size = block_size ? block_size : 8192;
}

static void run_cleanups(struct arena *a)
{
    struct arena_cleanup *c = a->_cleanups;
    a->_cleanups = NULL;
    while (c != NULL) {
        struct arena_cleanup *next = c->next;
        c->fn(c->ptr);
        c = next;
    }
}

void arena_reset(struct arena *a)
{
    run_cleanups(a);
    struct arena_block *b = a->_head;
    if (b == NULL)
        return;
    /* Keep the oldest block (the last in the list): it has the default size. */
    while (b->next != NULL) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    b->used = 0;
    a->_head = b;
}

void arena_destroy(struct arena *a)
{
    run_cleanups(a);
    struct arena_block *b = a->_head;
    while (b != NULL) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->_head = NULL;
}

void *arena_alloc(struct arena *a, size_t size)
{
    if (a->_block_size == 0)
        a->_block_size = 8192;
    size_t need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    if (need < size)
        oom(size);
    struct arena_block *b = a->_head;
    if (b == NULL || b->size - b->used < need) {
        size_t bsize = need > a->_block_size ? need : a->_block_size;
        struct arena_block *nb = xmalloc(sizeof(*nb) + bsize);
        nb->size = bsize;
        nb->used = 0;
        if (b != NULL && need > a->_block_size) {
            /* An oversized block goes behind the current one so the current keeps serving. */
            nb->next = b->next;
            b->next = nb;
            nb->used = need;
            memset(nb->data, 0, size);
            return nb->data;
        }
        nb->next = b;
        a->_head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    memset(p, 0, size);
    return p;
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        oom(SIZE_MAX);
    return arena_alloc(a, n * size);
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    if (s == NULL)
        return NULL;
    return arena_strndup(a, s, strlen(s));
}

char *arena_vsprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_sprintf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void arena_on_reset(struct arena *a, void (*fn)(void *), void *ptr)
{
    struct arena_cleanup *c = arena_new(a, struct arena_cleanup);
    c->fn = fn;
    c->ptr = ptr;
    c->next = a->_cleanups;
    a->_cleanups = c;
}
