/*
 * multipart.h — a multipart/form-data reader (RFC 7578 over RFC 2046).
 *
 * The server buffers a request body before the handler runs, so the reader
 * walks that buffer: part by part (multipart_next), without copying part
 * contents (a part's data points into the body) and without assuming the
 * body is NUL-terminated. Every read is bounded by the body length, so a
 * truncated or hostile body ends in an error, never a read past the end.
 *
 *   const char *boundary, *why;
 *   if (multipart_boundary(ct, a, &boundary, &why) != MULTIPART_CT_OK) ...
 *   struct multipart_reader r;
 *   multipart_init(&r, body, len, boundary, NULL);
 *   struct multipart_part p;
 *   while ((rc = multipart_next(&r, a, &p)) == 1) ... use p ...
 *   if (rc < 0) ... r.error says why (400) ...
 *
 * What is accepted: an optional preamble, parts separated by CRLF
 * "--boundary" (transport padding of spaces or tabs allowed after it), part
 * headers as "Name: value" lines ended by CRLF, an empty line, the content,
 * and a close delimiter "--boundary--" (anything after it, the epilogue, is
 * ignored). A CRLF "--boundary" followed by anything else is content, not
 * a delimiter (RFC 2046 says it must not occur there; being lenient loses
 * nothing). Each part needs Content-Disposition: form-data with a name
 * parameter; filename and Content-Type are reported as the client's claims.
 * Content-Transfer-Encoding other than 7bit, 8bit or binary is refused
 * (RFC 7578 §4.7 deprecates it; nobody sends it).
 *
 * Caveats: header lines must end in CRLF (bare LF is refused); folded
 * (obsolete multi-line) headers are refused; the RFC 5987 `filename*`
 * parameter is ignored (RFC 7578 §4.2 says not to use it); parameter values
 * with control characters are refused.
 */
#ifndef ARTISTRY_HTTP_MULTIPART_H
#define ARTISTRY_HTTP_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

/** Bounds on a body's structure; a zero field takes its default. */
struct multipart_limits {
    size_t max_parts;        /* default 16 */
    size_t max_header_bytes; /* one part's header block, default 8192 */
    size_t max_headers;      /* header lines in one part, default 16 */
};

/** One part, valid while the body and the arena live. */
struct multipart_part {
    const char *name;         /* form field name (arena, NUL-terminated) */
    const char *filename;     /* client-supplied file name, or NULL */
    const char *content_type; /* client-supplied Content-Type, or NULL: a claim, never trust it for typing */
    const char *data;         /* contents, pointing into the body (not NUL-terminated) */
    size_t len;
};

/** Reader state; fields are private. */
struct multipart_reader {
    const char *_body;
    size_t _len, _pos;
    const char *_delim; /* "\r\n--" boundary */
    size_t _delim_len;
    struct multipart_limits _lim;
    size_t _parts;
    int _state;        /* 0: before the first boundary, 1: at a part, 2: done, 3: failed */
    const char *error; /* why multipart_next failed (static text) */
    char _delim_buf[80];
};

enum multipart_ct {
    MULTIPART_CT_OK = 0,
    MULTIPART_CT_NOT_FORM = -1, /* not multipart/form-data at all (415) */
    MULTIPART_CT_BAD = -2,      /* multipart/form-data with a missing or invalid boundary (400) */
};

/**
 * Check a Content-Type value for multipart/form-data and extract its
 * boundary parameter (quoted or not; RFC 2046 §5.1.1: 1 to 70 of its
 * allowed characters, not ending in a space) into the arena. On failure
 * *why names the problem.
 */
enum multipart_ct multipart_boundary(const char *content_type, struct arena *a, const char **boundary,
                                     const char **why);

/** Start reading body[0..len-1] with the given boundary; lim may be NULL (defaults). */
void multipart_init(struct multipart_reader *r, const char *body, size_t len, const char *boundary,
                    const struct multipart_limits *lim);

/**
 * Read the next part into *part (names are copied into the arena).
 * Returns 1 when a part was read, 0 after the close delimiter, -1 when the
 * body is malformed or over a limit (r->error says why; further calls keep
 * returning -1).
 */
int multipart_next(struct multipart_reader *r, struct arena *a, struct multipart_part *part);

#endif
