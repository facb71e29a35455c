/*
 * jsonw.h — a streaming JSON writer into an arena-backed string buffer.
 *
 * For hot read endpoints: it writes the response bytes directly, with no
 * per-node allocation (building a jansson tree costs a malloc per value and
 * dominated the profile of list endpoints). Commas are managed by the
 * writer; keys and strings are escaped. The caller must nest correctly
 * (open/close pairs), which the debug assertions check.
 *
 *   struct jsonw w; jw_init(&w, req->arena, 4096);
 *   jw_obj(&w); jw_key(&w, "data"); jw_arr(&w); ... jw_end(&w); jw_end(&w);
 *   res_jsonw(req, 200, &w);
 *
 * Caveats: depth is limited to 64 levels.
 */
#ifndef ARTISTRY_HTTP_JSONW_H
#define ARTISTRY_HTTP_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "base/strbuf.h"

struct arena;

struct jsonw {
    struct strbuf sb;
    int depth;
    bool after_key;
    uint64_t has_items; /* bit d: the container at depth d already has an element */
    uint64_t is_array;  /* bit d: the container at depth d is an array */
};

/** Start writing into a buffer allocated from a (hint: expected size). */
void jw_init(struct jsonw *w, struct arena *a, size_t hint);
void jw_obj(struct jsonw *w);
void jw_arr(struct jsonw *w);
/** Close the innermost object or array. */
void jw_end(struct jsonw *w);
void jw_key(struct jsonw *w, const char *key);
/** A string value; NULL writes null. */
void jw_str(struct jsonw *w, const char *s);
void jw_int(struct jsonw *w, int64_t v);
void jw_bool(struct jsonw *w, bool v);
void jw_null(struct jsonw *w);
/** Already-serialised JSON (trusted: e.g. a JSON column written by this server). NULL writes null. */
void jw_raw(struct jsonw *w, const char *json);

/* Key + value shorthands. */
void jw_kstr(struct jsonw *w, const char *key, const char *s);
void jw_kint(struct jsonw *w, const char *key, int64_t v);
void jw_kbool(struct jsonw *w, const char *key, bool v);
/** Money as the API writes it everywhere: "key": {"amount": minor units, "currency": "USD"}. */
void jw_kmoney(struct jsonw *w, const char *key, int64_t amount, const char *currency);

#endif
