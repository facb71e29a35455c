/*
 * log.c — JSON-lines logging to stderr.
 *
 * Caveats: the level is a process-wide setting read without a lock; it is set
 * once at start-up before threads exist.
 */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/timeutil.h"

static enum log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    min_level = level;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void log_write_line(const char *line, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, line, len);
        if (n <= 0)
            return;
        line += n;
        len -= (size_t)n;
    }
}

void log_json_escape(char *dst, size_t cap, size_t *len, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = *len;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (n + 7 >= cap)
            break;
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char)c;
        } else if (c < 0x20) {
            dst[n++] = '\\';
            dst[n++] = 'u';
            dst[n++] = '0';
            dst[n++] = '0';
            dst[n++] = hex[c >> 4];
            dst[n++] = hex[c & 15];
        } else {
            dst[n++] = (char)c;
        }
    }
    dst[n] = '\0';
    *len = n;
}

void log_msg(enum log_level level, const char *msg, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char line[4096];
    char ts[40];
    time_format_rfc3339(time_now_ms(), ts, sizeof ts);
    size_t len = (size_t)snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[level]);
    log_json_escape(line, sizeof line - 64, &len, msg);
    if (fmt != NULL) {
        char detail[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        memcpy(line + len, "\",\"detail\":\"", 12);
        len += 12;
        log_json_escape(line, sizeof line - 8, &len, detail);
    }
    memcpy(line + len, "\"}\n", 3);
    len += 3;
    log_write_line(line, len);
}

_Noreturn void app_panic(const char *file, int line, const char *what)
{
    log_msg(LOG_ERROR, "assertion failed", "%s:%d: %s", file, line, what);
    abort();
}
