/*
 * search_text.c — the analyser shared by both search engines: words,
 * case folding, stopwords, plural stemming, phrases for suggestions, the
 * one-edit test of typo tolerance, and highlighting.
 *
 * Words are maximal runs of letters and digits of any script. Case folding
 * covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic. Stopwords are
 * Lucene's classic English list plus single letters. Stemming strips English
 * plural endings only (a few rules in the spirit of Harman's S-stemmer:
 * "vases" → "vase", "glasses" → "glass", "boxes" → "box", "stories" →
 * "story"); it runs on words of ASCII letters only. The same function
 * analyses documents and queries, so the rules need to be consistent more
 * than linguistically right.
 *
 * Caveats: characters outside the listed scripts are not case-folded; CJK
 * text has no spaces and so forms one long word (as in FTS5's unicode61
 * tokenizer). Invalid UTF-8 bytes separate words.
 */
#include <ctype.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "platform/search.h"

/*-----------------------------------------------------------------------------
 * UTF-8
 */

/* Decode one code point at s (s < end); returns its length, with *cp = 0xFFFD for an invalid byte. */
static size_t utf8_decode(const unsigned char *s, const unsigned char *end, uint32_t *cp)
{
    unsigned c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if ((size_t)(end - s) < n) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms and surrogates are invalid. */
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return n;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t search_utf8_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    size_t n = 0;
    uint32_t cp;
    while (p < end) {
        p += utf8_decode(p, end, &cp);
        n++;
    }
    return n;
}

/* Letters and digits: ASCII alphanumerics and every code point outside the punctuation and symbol blocks. */
static bool is_word_cp(uint32_t cp)
{
    if (cp < 0x80)
        return isalnum((int)cp) != 0;
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || cp == 0xFFFD)
        return false;
    if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xE000 && cp <= 0xF8FF) ||
        (cp >= 0xFE10 && cp <= 0xFE6F) || (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
        (cp >= 0xFFF0 && cp <= 0xFFFF))
        return false;
    if (cp >= 0x1F000 && cp <= 0x1FAFF) /* emoji and pictographs */
        return false;
    return true;
}

static uint32_t fold_cp(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return cp + 32;
    if (cp < 0xC0)
        return cp;
    if (cp <= 0xDE && cp != 0xD7)
        return cp + 32;
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return (cp % 2 == 0) ? cp + 1 : cp;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return (cp % 2 == 1) ? cp + 1 : cp;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
        return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 80;
    return cp;
}

/*-----------------------------------------------------------------------------
 * Words and terms
 */

static bool ascii_alnum(unsigned c)
{
    return c - '0' < 10u || (c | 32u) - 'a' < 26u;
}

bool search_next_word(const char **p, const char *end, const char **ws, const char **we)
{
    const unsigned char *s = (const unsigned char *)*p, *e = (const unsigned char *)end;
    uint32_t cp;
    size_t n;
    while (s < e) {
        if (*s < 0x80) { /* ASCII without decoding */
            if (ascii_alnum(*s))
                break;
            s++;
            continue;
        }
        n = utf8_decode(s, e, &cp);
        if (is_word_cp(cp))
            break;
        s += n;
    }
    if (s >= e) {
        *p = end;
        return false;
    }
    *ws = (const char *)s;
    while (s < e) {
        if (*s < 0x80) {
            if (!ascii_alnum(*s))
                break;
            s++;
            continue;
        }
        n = utf8_decode(s, e, &cp);
        if (!is_word_cp(cp))
            break;
        s += n;
    }
    *we = (const char *)s;
    *p = (const char *)s;
    return true;
}

/* Lucene's classic English stopword set. */
static const char *const stopwords[] = {
    "an",    "and",  "are",   "as",    "at",   "be",   "but", "by",  "for",  "if",   "in",
    "into",  "is",   "it",    "no",    "not",  "of",   "on",  "or",  "such", "that", "the",
    "their", "then", "there", "these", "they", "this", "to",  "was", "will", "with", NULL,
};

static bool is_stopword(const char *w, size_t n)
{
    if (n < 2 || n > 5) /* the lengths of the list: most words are out at once */
        return false;
    for (size_t i = 0; stopwords[i] != NULL; i++)
        if (stopwords[i][0] == w[0] && strncmp(stopwords[i], w, n) == 0 && stopwords[i][n] == '\0')
            return true;
    return false;
}

static bool ends_with(const char *w, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(w + n - k, suffix, k) == 0;
}

/* Strip an English plural ending from w[0..n) (lowercase ASCII letters); returns the new length. */
static size_t stem_plural(char *w, size_t n)
{
    if (n < 4 || w[n - 1] != 's')
        return n;
    if (ends_with(w, n, "ies") && n > 4 && !ends_with(w, n, "eies") && !ends_with(w, n, "aies")) {
        w[n - 3] = 'y';
        return n - 2;
    }
    if (ends_with(w, n, "sses"))
        return n - 2;
    if (ends_with(w, n, "xes") || ends_with(w, n, "ches") || ends_with(w, n, "shes") || ends_with(w, n, "zzes"))
        return n - 2;
    if (ends_with(w, n, "ss") || ends_with(w, n, "us") || ends_with(w, n, "is"))
        return n;
    return n - 1;
}

size_t search_analyze_word(const char *w, size_t n, char *out)
{
    const unsigned char *s = (const unsigned char *)w, *e = s + n;
    size_t len = 0, chars = 0;
    bool ascii_letters = true;
    /* Most words are ASCII: fold them byte by byte. */
    while (s < e && *s < 0x80) {
        if (len + 4 > SEARCH_TERM_MAX)
            return 0;
        unsigned char c = *s++;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        else if (c < 'a' || c > 'z')
            ascii_letters = false;
        out[len++] = (char)c;
        chars++;
    }
    while (s < e) {
        uint32_t cp;
        s += utf8_decode(s, e, &cp);
        cp = fold_cp(cp);
        if (cp > 0x7F || !isalpha((int)cp))
            ascii_letters = false;
        if (len + 4 > SEARCH_TERM_MAX)
            return 0; /* too long to be a word anyone searches for */
        len += utf8_encode(cp, out + len);
        chars++;
    }
    out[len] = '\0';
    if (chars == 0 || (chars == 1 && ascii_letters) || is_stopword(out, len))
        return 0;
    if (ascii_letters)
        len = stem_plural(out, len);
    out[len] = '\0';
    return len;
}

char *search_analyze_text(struct arena *a, const char *text)
{
    struct strbuf sb;
    size_t tlen = text ? strlen(text) : 0;
    strbuf_init(&sb, a, tlen + 1);
    const char *p = text, *end = text + tlen, *ws, *we;
    char term[SEARCH_TERM_MAX + 1];
    while (tlen > 0 && search_next_word(&p, end, &ws, &we)) {
        size_t n = search_analyze_word(ws, (size_t)(we - ws), term);
        if (n == 0)
            continue;
        if (sb.len > 0)
            strbuf_putc(&sb, ' ');
        strbuf_append(&sb, term, n);
    }
    return sb.data;
}

char *search_phrase_normalize(struct arena *a, const char *text, size_t max_chars, bool keep_trailing)
{
    size_t tlen = strlen(text);
    struct strbuf sb;
    strbuf_init(&sb, a, tlen + 2);
    const unsigned char *s = (const unsigned char *)text, *e = s + tlen;
    size_t chars = 0;
    bool pending_space = false;
    while (s < e && chars < max_chars) {
        uint32_t cp;
        s += utf8_decode(s, e, &cp);
        if (!is_word_cp(cp)) {
            pending_space = sb.len > 0;
            continue;
        }
        if (pending_space) {
            strbuf_putc(&sb, ' ');
            pending_space = false;
            if (++chars == max_chars)
                break;
        }
        char buf[4];
        strbuf_append(&sb, buf, utf8_encode(fold_cp(cp), buf));
        chars++;
    }
    if (pending_space && keep_trailing && chars < max_chars)
        strbuf_putc(&sb, ' ');
    return sb.data;
}

/*-----------------------------------------------------------------------------
 * Edit distance
 */

/* Decode s into at most cap code points; returns the count, or cap + 1 when longer. */
static size_t decode_all(const char *s, uint32_t *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + strlen(s);
    size_t n = 0;
    while (p < e) {
        if (n == cap)
            return cap + 1;
        p += utf8_decode(p, e, &out[n++]);
    }
    return n;
}

bool search_within_one_edit(const char *sa, const char *sb)
{
    uint32_t a[SEARCH_TERM_MAX + 1], b[SEARCH_TERM_MAX + 1];
    size_t la = decode_all(sa, a, SEARCH_TERM_MAX), lb = decode_all(sb, b, SEARCH_TERM_MAX);
    if (la > SEARCH_TERM_MAX || lb > SEARCH_TERM_MAX)
        return false;
    if (la < lb) {
        /* Make a the longer one: an insertion into a is a deletion from b. */
        return search_within_one_edit(sb, sa);
    }
    if (la - lb > 1)
        return false;
    size_t i = 0;
    while (i < lb && a[i] == b[i])
        i++;
    if (i == lb)
        return true;  /* equal, or one extra character at the end */
    if (la == lb + 1) /* deletion of a[i] */
        return memcmp(a + i + 1, b + i, (lb - i) * sizeof *a) == 0;
    /* Same length: substitution at i, or transposition of i and i + 1. */
    if (memcmp(a + i + 1, b + i + 1, (la - i - 1) * sizeof *a) == 0)
        return true;
    return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           memcmp(a + i + 2, b + i + 2, (la - i - 2) * sizeof *a) == 0;
}

/*-----------------------------------------------------------------------------
 * Queries and highlighting
 */

size_t search_query_parse(struct arena *a, const char *q, struct search_query *out)
{
    memset(out, 0, sizeof *out);
    const char *p = q, *end = q + strlen(q), *ws, *we;
    char term[SEARCH_TERM_MAX + 1];
    while (out->nwords < SEARCH_QUERY_MAX_TERMS && search_next_word(&p, end, &ws, &we)) {
        size_t n = search_analyze_word(ws, (size_t)(we - ws), term);
        if (n == 0)
            continue;
        bool dup = false;
        for (size_t i = 0; i < out->nwords && !dup; i++)
            dup = strcmp(out->words[i].term, term) == 0;
        if (!dup)
            out->words[out->nwords++].term = arena_strndup(a, term, n);
    }
    return out->nwords;
}

bool search_query_matchable(const struct search_query *q)
{
    if (q->nwords == 0)
        return false;
    for (size_t i = 0; i < q->nwords; i++)
        if (q->words[i].nalts == 0)
            return false;
    return true;
}

/* A cheap first test of a raw word: can its analysed form start like one of the query's terms? */
static bool may_match(const struct search_query *q, const char *ws)
{
    unsigned char c = (unsigned char)*ws;
    if (c >= 0x80)
        return true;
    if (c >= 'A' && c <= 'Z')
        c = (unsigned char)(c + 32);
    for (size_t i = 0; i < q->nwords; i++)
        for (size_t k = 0; k < q->words[i].nalts; k++)
            if ((unsigned char)q->words[i].alts[k][0] == c)
                return true;
    return false;
}

static bool term_matches(const struct search_query *q, const char *term)
{
    for (size_t i = 0; i < q->nwords; i++) {
        const struct search_word *w = &q->words[i];
        if (strcmp(w->term, term) == 0)
            return true;
        for (size_t k = 0; k < w->nalts; k++)
            if (strcmp(w->alts[k], term) == 0)
                return true;
    }
    return false;
}

static void html_escape(struct strbuf *sb, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':
            strbuf_puts(sb, "&amp;");
            break;
        case '<':
            strbuf_puts(sb, "&lt;");
            break;
        case '>':
            strbuf_puts(sb, "&gt;");
            break;
        case '"':
            strbuf_puts(sb, "&quot;");
            break;
        case '\'':
            strbuf_puts(sb, "&#39;");
            break;
        default:
            strbuf_putc(sb, s[i]);
        }
    }
}

/* Byte offset of the start of the character `back` characters before off (not before 0). */
static size_t chars_back(const char *text, size_t off, size_t back)
{
    while (off > 0 && back > 0) {
        off--;
        if (((unsigned char)text[off] & 0xC0) != 0x80)
            back--;
    }
    return off;
}

/* Byte offset `fwd` characters after off (not past len). */
static size_t chars_fwd(const char *text, size_t len, size_t off, size_t fwd)
{
    while (off < len && fwd > 0) {
        off++;
        while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80)
            off++;
        fwd--;
    }
    return off;
}

char *search_highlight(struct arena *a, const char *text, const struct search_query *q, size_t snippet_chars)
{
    size_t len = text ? strlen(text) : 0;
    size_t from = 0, to = len;
    const char *p, *ws, *we;
    char term[SEARCH_TERM_MAX + 1];
    if (snippet_chars > 0 && search_utf8_chars(text) > snippet_chars) {
        /* Centre-left the window on the first match; snap both ends to word boundaries. */
        size_t first = 0;
        p = text;
        while (search_next_word(&p, text + len, &ws, &we)) {
            if (!may_match(q, ws))
                continue;
            size_t n = search_analyze_word(ws, (size_t)(we - ws), term);
            if (n > 0 && term_matches(q, term)) {
                first = (size_t)(ws - text);
                break;
            }
        }
        from = first == 0 ? 0 : chars_back(text, first, snippet_chars / 4);
        while (from > 0 && from < first && text[from - 1] != ' ')
            from++;
        to = chars_fwd(text, len, from, snippet_chars);
        while (to < len && to > from && text[to] != ' ' && text[to - 1] != ' ')
            to--;
        if (to <= from)
            to = chars_fwd(text, len, from, snippet_chars);
    }
    struct strbuf sb;
    strbuf_init(&sb, a, (to - from) + 64);
    if (from > 0)
        strbuf_puts(&sb, "\xE2\x80\xA6"); /* … */
    size_t done = from;
    p = text + from;
    while (search_next_word(&p, text + to, &ws, &we)) {
        if (!may_match(q, ws))
            continue;
        size_t n = search_analyze_word(ws, (size_t)(we - ws), term);
        if (n == 0 || !term_matches(q, term))
            continue;
        html_escape(&sb, text + done, (size_t)(ws - text) - done);
        strbuf_puts(&sb, "<mark>");
        html_escape(&sb, ws, (size_t)(we - ws));
        strbuf_puts(&sb, "</mark>");
        done = (size_t)(we - text);
    }
    html_escape(&sb, text + done, to - done);
    if (to < len)
        strbuf_puts(&sb, "\xE2\x80\xA6");
    return sb.data;
}
