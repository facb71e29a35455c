/*
 * arena.h — region allocator: one arena per request, job step or WebSocket message.
 *
 * Everything allocated from an arena is freed at once by arena_reset() or
 * arena_destroy(); callers never free single objects. Allocation never
 * returns NULL: on out-of-memory the process logs and aborts (as kore,
 * h2o, Redis and PostgreSQL all do), so callers do not check.
 *
 * Reset callbacks release things that are not memory (database results,
 * file descriptors, jansson values) when the arena is reset or destroyed,
 * in reverse order of registration.
 *
 * Caveats: an arena is not thread-safe; it belongs to one request.
 */
#ifndef ARTISTRY_BASE_ARENA_H
#define ARTISTRY_BASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;
struct arena_cleanup;

/** A region allocator. Zero-initialise, or use arena_init(). */
struct arena {
    struct arena_block *_head;
    struct arena_cleanup *_cleanups;
    size_t _block_size;
};

/** Prepare an empty arena whose blocks are at least block_size bytes (0: 8 KiB). */
void arena_init(struct arena *a, size_t block_size);

/** Free every block but the first and run the reset callbacks; the arena stays usable. */
void arena_reset(struct arena *a);

/** Run the reset callbacks and free all memory. */
void arena_destroy(struct arena *a);

/** Allocate size bytes aligned for any type, zeroed. Never NULL. */
void *arena_alloc(struct arena *a, size_t size);

/** Allocate n*size bytes, zeroed; aborts on multiplication overflow. */
void *arena_calloc(struct arena *a, size_t n, size_t size);

/** Copy a NUL-terminated string into the arena (NULL stays NULL). */
char *arena_strdup(struct arena *a, const char *s);

/** Copy len bytes of s and NUL-terminate. */
char *arena_strndup(struct arena *a, const char *s, size_t len);

/** printf into the arena. */
char *arena_sprintf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vsprintf(struct arena *a, const char *fmt, va_list ap);

/** Call fn(ptr) when the arena is reset or destroyed. */
void arena_on_reset(struct arena *a, void (*fn)(void *), void *ptr);

#define arena_new(a, T) ((T *)arena_alloc((a), sizeof(T)))
#define arena_array(a, T, n) ((T *)arena_calloc((a), (n), sizeof(T)))

/*-----------------------------------------------------------------------------
 * Process-wide helpers that abort on out-of-memory, for long-lived objects.
 */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

#endif
