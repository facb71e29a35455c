/*
 * multipart.c — multipart/form-data reader over a buffered body (see multipart.h).
 *
 * Design: the delimiter CRLF "--boundary" is found with memmem, so reading
 * a part is linear in its size and the content is never copied; only
 * header parameters (name, filename, content type) are copied, unquoted,
 * into the caller's arena. Every scan is bounded by the body length and by
 * the header-block limit, so a body without line ends or boundaries costs
 * at most one pass.
 *
 * Caveats: see multipart.h (strict CRLF, no folded headers, filename*
 * ignored).
 */
#include "http/multipart.h"

#include <string.h>
#include <strings.h>

#include "base/arena.h"

#define DEFAULT_MAX_PARTS 16
#define DEFAULT_MAX_HEADER_BYTES 8192
#define DEFAULT_MAX_HEADERS 16
#define BOUNDARY_MAX 70

enum { ST_START, ST_PART, ST_DONE, ST_FAILED };

/*-----------------------------------------------------------------------------
 * Content-Type and its boundary
 */

/* RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space (not last). */
static bool is_bchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           strchr("'()+_,-./:=? ", ch) != NULL;
}

/* RFC 9110 token characters. */
static bool is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/*
 * Parse one parameter value at *pp (token or quoted-string) into the arena.
 * Quoted pairs ("\x") are unescaped; control characters other than HTAB
 * are refused. Returns the value or NULL when malformed.
 */
static char *param_value(const char **pp, const char *end, struct arena *a)
{
    const char *p = *pp;
    if (p < end && *p == '"') {
        p++;
        char *out = arena_alloc(a, (size_t)(end - p) + 1);
        size_t n = 0;
        while (p < end && *p != '"') {
            unsigned char ch = (unsigned char)*p;
            if (ch == '\\') {
                if (++p >= end)
                    return NULL;
                ch = (unsigned char)*p;
            }
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                return NULL;
            out[n++] = (char)ch;
            p++;
        }
        if (p >= end)
            return NULL; /* unterminated */
        *pp = p + 1;
        out[n] = '\0';
        return out;
    }
    const char *s = p;
    while (p < end && is_tchar((unsigned char)*p))
        p++;
    if (p == s)
        return NULL;
    *pp = p;
    return arena_strndup(a, s, (size_t)(p - s));
}

/*
 * Walk "; name=value" parameters from p to end, calling back for each.
 * Returns 0, or -1 when the list is malformed.
 */
typedef int (*param_fn)(void *ctx, const char *name, size_t nlen, char *value);

static int walk_params(const char *p, const char *end, struct arena *a, param_fn fn, void *ctx)
{
    for (;;) {
        p = skip_ws(p, end);
        if (p == end)
            return 0;
        if (*p != ';')
            return -1;
        p = skip_ws(p + 1, end);
        if (p == end)
            return 0; /* a trailing ';' is tolerated */
        const char *n = p;
        while (p < end && is_tchar((unsigned char)*p))
            p++;
        size_t nlen = (size_t)(p - n);
        if (nlen == 0)
            return -1;
        p = skip_ws(p, end);
        if (p == end || *p != '=')
            return -1;
        p = skip_ws(p + 1, end);
        char *v = param_value(&p, end, a);
        if (v == NULL || fn(ctx, n, nlen, v) != 0)
            return -1;
    }
}

static bool name_is(const char *n, size_t nlen, const char *want)
{
    return strlen(want) == nlen && strncasecmp(n, want, nlen) == 0;
}

struct ct_params {
    const char *boundary;
    bool dup;
};

static int ct_param(void *ctx, const char *name, size_t nlen, char *value)
{
    struct ct_params *c = ctx;
    if (name_is(name, nlen, "boundary")) {
        if (c->boundary != NULL)
            c->dup = true;
        c->boundary = value;
    }
    return 0;
}

enum multipart_ct multipart_boundary(const char *ct, struct arena *a, const char **boundary, const char **why)
{
    static const char form[] = "multipart/form-data";
    *boundary = NULL;
    *why = NULL;
    if (ct == NULL) {
        *why = "no Content-Type";
        return MULTIPART_CT_NOT_FORM;
    }
    const char *end = ct + strlen(ct);
    const char *p = skip_ws(ct, end);
    if ((size_t)(end - p) < sizeof form - 1 || strncasecmp(p, form, sizeof form - 1) != 0 ||
        is_tchar((unsigned char)p[sizeof form - 1])) {
        *why = "Content-Type is not multipart/form-data";
        return MULTIPART_CT_NOT_FORM;
    }
    struct ct_params c = {0};
    if (walk_params(p + sizeof form - 1, end, a, ct_param, &c) != 0) {
        *why = "malformed Content-Type parameters";
        return MULTIPART_CT_BAD;
    }
    if (c.boundary == NULL || c.dup) {
        *why = c.dup ? "more than one boundary parameter" : "no boundary parameter";
        return MULTIPART_CT_BAD;
    }
    size_t n = strlen(c.boundary);
    if (n == 0 || n > BOUNDARY_MAX || c.boundary[n - 1] == ' ') {
        *why = "the boundary must be 1 to 70 characters, not ending in a space";
        return MULTIPART_CT_BAD;
    }
    for (size_t i = 0; i < n; i++)
        if (!is_bchar((unsigned char)c.boundary[i])) {
            *why = "the boundary has a character RFC 2046 does not allow";
            return MULTIPART_CT_BAD;
        }
    *boundary = c.boundary;
    return MULTIPART_CT_OK;
}

/*-----------------------------------------------------------------------------
 * Reader
 */
void multipart_init(struct multipart_reader *r, const char *body, size_t len, const char *boundary,
                    const struct multipart_limits *lim)
{
    memset(r, 0, sizeof *r);
    r->_body = body;
    r->_len = body != NULL ? len : 0;
    r->_lim.max_parts = lim && lim->max_parts ? lim->max_parts : DEFAULT_MAX_PARTS;
    r->_lim.max_header_bytes = lim && lim->max_header_bytes ? lim->max_header_bytes : DEFAULT_MAX_HEADER_BYTES;
    r->_lim.max_headers = lim && lim->max_headers ? lim->max_headers : DEFAULT_MAX_HEADERS;
    size_t bl = boundary != NULL ? strlen(boundary) : 0;
    if (bl == 0 || bl > BOUNDARY_MAX) {
        r->_state = ST_FAILED;
        r->error = "invalid boundary";
        return;
    }
    memcpy(r->_delim_buf, "\r\n--", 4);
    memcpy(r->_delim_buf + 4, boundary, bl);
    r->_delim_buf[4 + bl] = '\0';
    r->_delim = r->_delim_buf;
    r->_delim_len = 4 + bl;
    r->_state = ST_START;
}

static int fail(struct multipart_reader *r, const char *why)
{
    r->_state = ST_FAILED;
    r->error = why;
    return -1;
}

/* Bytes left from the read position. */
static size_t left(const struct multipart_reader *r)
{
    return r->_len - r->_pos;
}

enum { LINE_NOT = 0, LINE_PART = 1, LINE_CLOSE = 2, LINE_CUT = -1 };

static const char no_close[] = "the body ends before the closing boundary";

/*
 * What follows a "--boundary" that ends at pos: "--" (the close
 * delimiter), optional padding then CRLF (a part follows; *next is after
 * the CRLF), anything else (not a delimiter line: the bytes are content),
 * or the end of the body before that could be told (LINE_CUT).
 */
static int delimiter_line(const struct multipart_reader *r, size_t pos, size_t *next)
{
    const char *b = r->_body;
    if (pos + 2 <= r->_len && b[pos] == '-' && b[pos + 1] == '-')
        return LINE_CLOSE;
    if (pos + 1 == r->_len && b[pos] == '-')
        return LINE_CUT;
    while (pos < r->_len && (b[pos] == ' ' || b[pos] == '\t'))
        pos++;
    if (pos + 2 <= r->_len && b[pos] == '\r' && b[pos + 1] == '\n') {
        *next = pos + 2;
        return LINE_PART;
    }
    if (pos == r->_len || (pos + 1 == r->_len && b[pos] == '\r'))
        return LINE_CUT;
    return LINE_NOT;
}

/*
 * Find the next delimiter line at or after `from`: CRLF "--boundary" then
 * "--" or padding and CRLF. A match followed by anything else is content
 * (RFC 2046 forbids it there, but a lenient reader loses nothing), and the
 * search goes on. Returns the delimiter's offset, or -1 with r->error set.
 */
static long find_delimiter(struct multipart_reader *r, size_t from, int *kind, size_t *next)
{
    while (from <= r->_len) {
        const char *hit = memmem(r->_body + from, r->_len - from, r->_delim, r->_delim_len);
        if (hit == NULL) {
            fail(r, no_close);
            return -1;
        }
        size_t at = (size_t)(hit - r->_body);
        *kind = delimiter_line(r, at + r->_delim_len, next);
        if (*kind == LINE_CUT) {
            fail(r, "the body ends inside a boundary line");
            return -1;
        }
        if (*kind != LINE_NOT)
            return (long)at;
        from = at + 1;
    }
    fail(r, no_close);
    return -1;
}

/* Move past a delimiter line of the given kind. 1: a part follows, 0: done. */
static int after_delimiter(struct multipart_reader *r, int kind, size_t next)
{
    if (kind == LINE_CLOSE) {
        r->_pos = r->_len;
        r->_state = ST_DONE;
        return 0;
    }
    r->_pos = next;
    r->_state = ST_PART;
    return 1;
}

/* Find the first boundary: at the very start, or after a preamble on a line of its own. */
static int find_first(struct multipart_reader *r)
{
    const char *dash = r->_delim + 2; /* "--boundary" */
    size_t dlen = r->_delim_len - 2, next = 0;
    int kind;
    if (r->_len >= dlen && memcmp(r->_body, dash, dlen) == 0) {
        kind = delimiter_line(r, dlen, &next);
        if (kind == LINE_CUT)
            return fail(r, "the body ends inside a boundary line");
        if (kind != LINE_NOT)
            return after_delimiter(r, kind, next);
    }
    if (find_delimiter(r, 0, &kind, &next) < 0) {
        if (r->error == no_close)
            r->error = "the body has no boundary";
        return -1;
    }
    return after_delimiter(r, kind, next);
}

struct disposition {
    const char *name, *filename;
    bool dup;
};

static int disp_param(void *ctx, const char *name, size_t nlen, char *value)
{
    struct disposition *d = ctx;
    if (name_is(name, nlen, "name")) {
        d->dup |= d->name != NULL;
        d->name = value;
    } else if (name_is(name, nlen, "filename")) {
        d->dup |= d->filename != NULL;
        d->filename = value;
    }
    return 0; /* other parameters (filename*, creation-date...) are ignored */
}

/* Parse one header line [p, end) into the part. 0 or -1 (r->error set). */
static int header_line(struct multipart_reader *r, const char *p, const char *end, struct arena *a,
                       struct multipart_part *part, bool *seen_disp)
{
    if (*p == ' ' || *p == '\t')
        return fail(r, "folded part headers are not supported");
    const char *colon = p;
    while (colon < end && is_tchar((unsigned char)*colon))
        colon++;
    if (colon == p || colon == end || *colon != ':')
        return fail(r, "a part header line is malformed");
    size_t nlen = (size_t)(colon - p);
    const char *v = skip_ws(colon + 1, end);
    const char *vend = end;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
        vend--;
    for (const char *q = v; q < vend; q++)
        if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
            return fail(r, "a part header has a control character");
    if (name_is(p, nlen, "Content-Disposition")) {
        static const char fd[] = "form-data";
        if (*seen_disp)
            return fail(r, "a part has two Content-Disposition headers");
        *seen_disp = true;
        if ((size_t)(vend - v) < sizeof fd - 1 || strncasecmp(v, fd, sizeof fd - 1) != 0 ||
            is_tchar((unsigned char)v[sizeof fd - 1]))
            return fail(r, "a part's Content-Disposition is not form-data");
        struct disposition d = {0};
        if (walk_params(v + sizeof fd - 1, vend, a, disp_param, &d) != 0 || d.dup)
            return fail(r, "a part's Content-Disposition parameters are malformed");
        if (d.name == NULL)
            return fail(r, "a part's Content-Disposition has no name");
        part->name = d.name;
        part->filename = d.filename;
    } else if (name_is(p, nlen, "Content-Type")) {
        if (part->content_type != NULL)
            return fail(r, "a part has two Content-Type headers");
        part->content_type = arena_strndup(a, v, (size_t)(vend - v));
    } else if (name_is(p, nlen, "Content-Transfer-Encoding")) {
        size_t n = (size_t)(vend - v);
        if (!((n == 4 && strncasecmp(v, "7bit", 4) == 0) || (n == 4 && strncasecmp(v, "8bit", 4) == 0) ||
              (n == 6 && strncasecmp(v, "binary", 6) == 0)))
            return fail(r, "a part uses a Content-Transfer-Encoding other than 7bit, 8bit or binary");
    }
    return 0;
}

/* Read the header block at the read position, through the empty line. */
static int read_headers(struct multipart_reader *r, struct arena *a, struct multipart_part *part)
{
    const char *b = r->_body;
    size_t limit = r->_pos + (left(r) < r->_lim.max_header_bytes ? left(r) : r->_lim.max_header_bytes);
    size_t nlines = 0;
    bool seen_disp = false;
    for (;;) {
        const char *line = b + r->_pos;
        const char *cr = memchr(line, '\r', limit - r->_pos);
        if (cr == NULL || (size_t)(cr - b) + 1 >= r->_len || cr[1] != '\n') {
            if (cr != NULL && (size_t)(cr - b) + 1 < r->_len)
                return fail(r, "a part header line has a bare CR");
            return fail(r, limit < r->_len ? "a part's headers are too large" : "the body ends inside part headers");
        }
        if (memchr(line, '\n', (size_t)(cr - line)) != NULL)
            return fail(r, "a part header line ends in a bare LF");
        r->_pos = (size_t)(cr - b) + 2;
        if (cr == line)
            break; /* the empty line */
        if (++nlines > r->_lim.max_headers)
            return fail(r, "a part has too many headers");
        if (header_line(r, line, cr, a, part, &seen_disp) != 0)
            return -1;
        if (r->_pos > limit)
            return fail(r, "a part's headers are too large");
    }
    if (!seen_disp)
        return fail(r, "a part has no Content-Disposition");
    return 0;
}

int multipart_next(struct multipart_reader *r, struct arena *a, struct multipart_part *part)
{
    memset(part, 0, sizeof *part);
    if (r->_state == ST_FAILED)
        return -1;
    if (r->_state == ST_DONE)
        return 0;
    if (r->_state == ST_START) {
        int rc = find_first(r);
        if (rc <= 0)
            return rc;
    }
    if (++r->_parts > r->_lim.max_parts)
        return fail(r, "the body has too many parts");
    if (read_headers(r, a, part) != 0)
        return -1;
    int kind;
    size_t next = 0;
    long at = find_delimiter(r, r->_pos, &kind, &next);
    if (at < 0) {
        memset(part, 0, sizeof *part);
        return -1;
    }
    part->data = r->_body + r->_pos;
    part->len = (size_t)at - r->_pos;
    after_delimiter(r, kind, next);
    return 1;
}
