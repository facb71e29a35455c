/*
 * log.h — structured logging: one JSON object per line on stderr.
 *
 * Lines are built in a stack buffer and written with one write(2), so lines
 * from different threads never interleave. Never log passwords, tokens,
 * card data or message bodies.
 *
 * Caveats: messages longer than 4 KiB are truncated.
 */
#ifndef ARTISTRY_BASE_LOG_H
#define ARTISTRY_BASE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/** Set the minimum level written (default LOG_INFO). */
void log_set_level(enum log_level level);

/** Parse "debug", "info", "warn", "error"; -1 if unknown. */
int log_level_parse(const char *s);

/** Log msg at level; fmt/... form an optional "detail" field (may be NULL). */
void log_msg(enum log_level level, const char *msg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(msg, ...) log_msg(LOG_DEBUG, (msg), __VA_ARGS__)
#define log_info(msg, ...) log_msg(LOG_INFO, (msg), __VA_ARGS__)
#define log_warn(msg, ...) log_msg(LOG_WARN, (msg), __VA_ARGS__)
#define log_error(msg, ...) log_msg(LOG_ERROR, (msg), __VA_ARGS__)

/** Write an already formatted line (must end in '\n') in one write(2). */
void log_write_line(const char *line, size_t len);

/** Append s to dst (capacity cap, current length *len) as JSON string contents, escaped. */
void log_json_escape(char *dst, size_t cap, size_t *len, const char *s);

/** Report a broken invariant with file and line, then abort. */
_Noreturn void app_panic(const char *file, int line, const char *what);

#define APP_ASSERT(cond)                                                                                               \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            app_panic(__FILE__, __LINE__, #cond);                                                                      \
    } while (0)
#define APP_PANIC(what) app_panic(__FILE__, __LINE__, (what))

#endif
