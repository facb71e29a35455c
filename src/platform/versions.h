/*
 * versions.h — version counters for renderings reused across requests.
 *
 * A reader that renders slowly-changing data (the category tree) keeps its
 * rendering with the counter it was made at, and on each request reads the
 * counter — one primary-key lookup — to decide whether the rendering is
 * still current. Every writer of that data calls versions_bump() in the
 * same transaction as its write.
 *
 * Caveats: writes made outside the application (manual SQL) must bump the
 * counter too, or readers keep serving the old rendering until the next
 * application write.
 */
#ifndef ARTISTRY_PLATFORM_VERSIONS_H
#define ARTISTRY_PLATFORM_VERSIONS_H

#include <stdint.h>

struct db;
struct db_error;

/** Read the counter of name into *out (0 if it has none). 0 or -1. */
int versions_get(struct db *db, const char *name, int64_t *out, struct db_error *err);

/** Increment the counter of name (creating it). Call inside the writer's transaction. 0 or -1. */
int versions_bump(struct db *db, const char *name, struct db_error *err);

#endif
