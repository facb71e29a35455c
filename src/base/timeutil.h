/*
 * timeutil.h — clocks and RFC 3339 timestamps.
 *
 * The database stores epoch milliseconds (UTC); JSON carries RFC 3339 UTC
 * strings with millisecond precision ("2026-11-25T21:08:17.123Z").
 */
#ifndef ARTISTRY_BASE_TIMEUTIL_H
#define ARTISTRY_BASE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/** Wall-clock milliseconds since the epoch (CLOCK_REALTIME). */
int64_t time_now_ms(void);

/** Monotonic nanoseconds, for durations. */
int64_t time_mono_ns(void);

/** Format epoch ms as RFC 3339 UTC into buf (at least 25 bytes). Returns buf. */
char *time_format_rfc3339(int64_t ms, char *buf, size_t cap);

/** Parse an RFC 3339 timestamp (with offset or Z); 0 on success, -1 if malformed. */
int time_parse_rfc3339(const char *s, int64_t *out_ms);

#endif
