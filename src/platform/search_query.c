/*
 * search_query.c — reading the search index: resolving query words against
 * the vocabulary (typo tolerance), running a query on the engine, and
 * prefix suggestions.
 *
 * Typo tolerance. A query word of n >= 5 characters that is not in the
 * vocabulary stands for the vocabulary terms within one edit of it
 * (Damerau–Levenshtein: insertion, deletion, substitution, transposition).
 * Candidates come from two bounded index ranges, then the edit test runs in
 * C. With m = n / 2, one edit at position p leaves the first p and the last
 * n - p - 2 characters of the word intact, so every neighbour shares
 * either the first m characters (p >= m) or the last n - m - 1 (p < m):
 *   - prefix range: term >= w[0..m) AND term < w[0..m) + 1 (both engines)
 *   - suffix: SQLite ranges over the reversed term (rterm), PostgreSQL asks
 *     its pg_trgm index for term LIKE '%' || w[m+1..n)
 * both limited to lengths n - 1 .. n + 1. The two engines return the same
 * candidate sets, so corrections are the same on both.
 *
 * Suggestions. The user's prefix is normalised like the phrases. Up to
 * SEARCH_PREFIX_CHARS characters it is one range of search_prefixes read in
 * (weight DESC) order, stopping after `limit` rows. Longer prefixes are rare
 * and specific: a range of search_phrases in phrase order, at most 200 rows,
 * of which the heaviest are kept.
 *
 * Caveats: a word with more than 2000 candidates on one side (a two-letter
 * prefix in a very large vocabulary) is corrected among the first 2000.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "db/db.h"
#include "platform/search_int.h"

/*-----------------------------------------------------------------------------
 * Resolving words
 */

/* Byte length of the first `chars` characters of s. */
static size_t prefix_bytes(const char *s, size_t chars)
{
    size_t i = 0;
    while (s[i] && chars > 0) {
        i++;
        while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

/*
 * The smallest string above every string that starts with s (s with its last
 * character incremented), in the arena; NULL when there is none.
 */
static char *range_end(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return NULL;
    size_t start = n - 1;
    while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80)
        start--;
    /* Decode the last character, add one, encode again. */
    const unsigned char *p = (const unsigned char *)s + start;
    uint32_t cp;
    size_t len = n - start;
    if (len == 1)
        cp = p[0];
    else if (len == 2)
        cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    else if (len == 3)
        cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    else
        cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) |
             (p[3] & 0x3F);
    cp++;
    if (cp == 0xD800)
        cp = 0xE000;
    if (cp > 0x10FFFF)
        return NULL;
    char *out = arena_alloc(a, start + 5);
    memcpy(out, s, start);
    char *e = out + start;
    if (cp < 0x80) {
        *e++ = (char)cp;
    } else if (cp < 0x800) {
        *e++ = (char)(0xC0 | (cp >> 6));
        *e++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *e++ = (char)(0xE0 | (cp >> 12));
        *e++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *e++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *e++ = (char)(0xF0 | (cp >> 18));
        *e++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *e++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *e++ = (char)(0x80 | (cp & 0x3F));
    }
    *e = '\0';
    return out;
}

/* Add term (docs) to w's alternatives, most documents first, when it is one edit from w->term and new. */
static void consider(struct arena *a, struct search_word *w, const char *term, int64_t docs)
{
    for (size_t i = 0; i < w->nalts; i++)
        if (strcmp(w->alts[i], term) == 0)
            return;
    if (!search_within_one_edit(w->term, term))
        return;
    size_t pos = w->nalts;
    while (pos > 0 &&
           (w->alt_docs[pos - 1] < docs || (w->alt_docs[pos - 1] == docs && strcmp(w->alts[pos - 1], term) > 0)))
        pos--;
    if (pos >= SEARCH_MAX_ALTS)
        return;
    size_t last = w->nalts < SEARCH_MAX_ALTS ? w->nalts : SEARCH_MAX_ALTS - 1;
    memmove(&w->alts[pos + 1], &w->alts[pos], (last - pos) * sizeof w->alts[0]);
    memmove(&w->alt_docs[pos + 1], &w->alt_docs[pos], (last - pos) * sizeof w->alt_docs[0]);
    w->alts[pos] = arena_strdup(a, term);
    w->alt_docs[pos] = docs;
    if (w->nalts < SEARCH_MAX_ALTS)
        w->nalts++;
}

static int scan_candidates(struct db *db, struct arena *a, struct search_word *w, enum search_q q,
                           const struct db_param *p, int np, struct db_error *err)
{
    struct db_stmt *st = db_prepare(db, search__sql(db, q), err);
    if (st == NULL)
        return -1;
    for (int i = 0; i < np; i++)
        db_bind(st, i + 1, p[i]); /* an engine may not use every parameter: its bind fails harmlessly */
    int rc;
    while ((rc = db_step(st, err)) == 1)
        consider(a, w, db_column_text(st, 0), db_column_i64(st, 1));
    db_reset(st);
    return rc < 0 ? -1 : 0;
}

static int correct(struct db *db, struct arena *a, struct search_word *w, struct db_error *err)
{
    size_t n = search_utf8_chars(w->term);
    if (n < SEARCH_TYPO_MIN_CHARS)
        return 0;
    size_t m = n / 2;
    const char *head = arena_strndup(a, w->term, prefix_bytes(w->term, m));
    const char *tail = w->term + prefix_bytes(w->term, m + 1);
    struct strbuf rev;
    strbuf_init(&rev, a, strlen(tail) + 1);
    search__reverse(&rev, tail);
    const char *head_end = range_end(a, head), *rev_end = range_end(a, rev.data);
    if (head_end == NULL || rev_end == NULL)
        return 0;
    struct db_param byprefix[] = {DB_TEXT(head), DB_TEXT(head_end), DB_I64(n - 1), DB_I64(n + 1)};
    struct db_param bysuffix[] = {DB_TEXT(tail), DB_I64(n - 1), DB_I64(n + 1), DB_TEXT(rev.data), DB_TEXT(rev_end)};
    if (scan_candidates(db, a, w, SQ_TERMS_BY_PREFIX, byprefix, 4, err) != 0 ||
        scan_candidates(db, a, w, SQ_TERMS_BY_SUFFIX, bysuffix, 5, err) != 0)
        return -1;
    return 0;
}

int search_query_resolve(struct db *db, struct arena *a, struct search_query *q, struct db_error *err)
{
    for (size_t i = 0; i < q->nwords; i++) {
        struct search_word *w = &q->words[i];
        w->nalts = 0;
        w->corrected = false;
        struct db_stmt *st = db_prepare(db, search__sql(db, SQ_TERM_GET), err);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(w->term));
        int rc = db_step(st, err);
        if (rc == 1) {
            w->alts[0] = w->term;
            w->alt_docs[0] = db_column_i64(st, 0);
            w->nalts = 1;
        }
        db_reset(st);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            w->corrected = true;
            if (correct(db, a, w, err) != 0)
                return -1;
        }
    }
    return 0;
}

/*-----------------------------------------------------------------------------
 * Matching
 */

void search__match_text(struct db *db, const struct search_query *q, struct strbuf *sb)
{
    bool pg = db_engine(db) == DB_ENGINE_PG;
    for (size_t i = 0; i < q->nwords; i++) {
        const struct search_word *w = &q->words[i];
        if (i > 0)
            strbuf_puts(sb, pg ? " & " : " AND ");
        if (w->nalts > 1)
            strbuf_putc(sb, '(');
        for (size_t k = 0; k < w->nalts; k++) {
            if (k > 0)
                strbuf_puts(sb, pg ? " | " : " OR ");
            /* Quoted: FTS5 strings double '"', tsquery lexemes double '\'' and escape '\\'. */
            char quote = pg ? '\'' : '"';
            strbuf_putc(sb, quote);
            for (const char *c = w->alts[k]; *c; c++) {
                if (*c == quote || (pg && *c == '\\'))
                    strbuf_putc(sb, *c);
                strbuf_putc(sb, *c);
            }
            strbuf_putc(sb, quote);
        }
        if (w->nalts > 1)
            strbuf_putc(sb, ')');
    }
}

int search_match(struct db *db, const struct search_query *q, int64_t cap,
                 int (*fn)(void *ctx, const struct search_hit *hit), void *ctx, struct db_error *err)
{
    if (!search_query_matchable(q))
        return 0;
    struct strbuf sb;
    struct arena a;
    arena_init(&a, 4096);
    strbuf_init(&sb, &a, 512);
    search__match_text(db, q, &sb);
    int rc = -1;
    struct db_stmt *st = db_prepare(db, search__sql(db, SQ_MATCH), err);
    if (st == NULL)
        goto out;
    db_bind(st, 1, DB_TEXT(sb.data));
    db_bind(st, 2, DB_I64(cap));
    int step;
    while ((step = db_step(st, err)) == 1) {
        struct search_hit h = {
            .product_id = db_column_text(st, 0),
            .score = db_column_f64(st, 1),
            .category_id = db_column_text(st, 2),
            .seller_id = db_column_text(st, 3),
            .price_amount = db_column_i64(st, 4),
            .rating_avg = db_column_i64(st, 5),
            .rating_count = db_column_i64(st, 6),
            .popularity = db_column_i64(st, 7),
            .published_at = db_column_i64(st, 8),
            .in_stock = db_column_i64(st, 9) != 0,
            .tag_values = db_column_text(st, 10),
            .material_values = db_column_text(st, 11),
        };
        if (h.tag_values == NULL)
            h.tag_values = "";
        if (h.material_values == NULL)
            h.material_values = "";
        if (fn(ctx, &h) != 0) {
            db_reset(st);
            goto out;
        }
    }
    db_reset(st);
    rc = step < 0 ? -1 : 0;
out:
    arena_destroy(&a);
    return rc;
}

/*-----------------------------------------------------------------------------
 * Suggestions
 */

struct ranged {
    struct search_suggestion s;
    int64_t weight, id;
};

static int cmp_ranged(const void *x, const void *y)
{
    const struct ranged *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return a->id > b->id ? -1 : a->id < b->id;
}

int search_suggest(struct db *db, struct arena *a, const char *prefix, size_t limit, struct search_suggestion *out,
                   size_t *n, struct db_error *err)
{
    *n = 0;
    if (limit > SEARCH_SUGGEST_MAX)
        limit = SEARCH_SUGGEST_MAX;
    const char *norm = search_phrase_normalize(a, prefix, SEARCH__PHRASE_MAX_CHARS, true);
    if (norm[0] == '\0' || limit == 0)
        return 0;
    if (search_utf8_chars(norm) <= SEARCH_PREFIX_CHARS) {
        struct db_stmt *st = db_prepare(db, search__sql(db, SQ_SUGGEST_PREFIX), err);
        if (st == NULL)
            return -1;
        db_bind(st, 1, DB_TEXT(norm));
        db_bind(st, 2, DB_I64(limit));
        int rc;
        while ((rc = db_step(st, err)) == 1 && *n < limit) {
            out[*n].text = arena_strdup(a, db_column_text(st, 0));
            out[*n].kind = arena_strdup(a, db_column_text(st, 1));
            out[*n].docs = db_column_i64(st, 2);
            (*n)++;
        }
        db_reset(st);
        return rc < 0 ? -1 : 0;
    }
    const char *end = range_end(a, norm);
    if (end == NULL)
        return 0;
    struct db_stmt *st = db_prepare(db, search__sql(db, SQ_SUGGEST_RANGE), err);
    if (st == NULL)
        return -1;
    db_bind(st, 1, DB_TEXT(norm));
    db_bind(st, 2, DB_TEXT(end));
    struct ranged *r = arena_array(a, struct ranged, 200);
    size_t nr = 0;
    int rc;
    while ((rc = db_step(st, err)) == 1 && nr < 200) {
        r[nr].s.text = arena_strdup(a, db_column_text(st, 0));
        r[nr].s.kind = arena_strdup(a, db_column_text(st, 1));
        r[nr].s.docs = db_column_i64(st, 2);
        r[nr].weight = db_column_i64(st, 3);
        r[nr].id = db_column_i64(st, 4);
        nr++;
    }
    db_reset(st);
    if (rc < 0)
        return -1;
    qsort(r, nr, sizeof *r, cmp_ranged);
    for (size_t i = 0; i < nr && *n < limit; i++)
        out[(*n)++] = r[i].s;
    return 0;
}
