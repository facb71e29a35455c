/*
 * ids.h — opaque, time-ordered identifiers with a type prefix.
 *
 * An id is "<prefix>_" followed by 26 Crockford base32 characters: 48 bits of
 * epoch milliseconds then 80 random bits (ULID layout), so ids sort by
 * creation time, index well, and reveal no counts. Example:
 * "prd_01JDQ8V7R3X1W9ZK4M2N5P6Q7R".
 */
#ifndef ARTISTRY_BASE_IDS_H
#define ARTISTRY_BASE_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ID_BODY_LEN 26
#define ID_MAX_LEN 40

struct arena;

/** Write a new id with prefix (e.g. "usr") into buf (>= ID_MAX_LEN). Thread-safe. Returns buf. */
char *id_generate(const char *prefix, char *buf, size_t cap);

/** Allocate a new id in the arena. */
char *id_new(struct arena *a, const char *prefix);

/** True if s is a well-formed id; when prefix is non-NULL it must match. */
bool id_valid(const char *s, const char *prefix);

/** Fill buf with n cryptographically random bytes (getrandom). */
void random_bytes(void *buf, size_t n);

#endif
