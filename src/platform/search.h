/*
 * search.h — the product search index: one interface, two engines
 * (SQLite FTS5; PostgreSQL tsvector + GIN and pg_trgm), chosen per
 * connection by db_engine().
 *
 * The index holds one document per *active* product of an *active* shop
 * (title, tags, materials, description, shop name). Writers keep it in step
 * inside their own transaction, so a product is searchable when its
 * creating transaction commits and gone from search when its archiving
 * transaction commits. Every change bumps the version counter "search"
 * (platform/versions.h), which readers that cache results compare against.
 *
 * Text goes through one analyser in C (search_text.c) before either engine
 * sees it: words are lowercased, stopwords dropped, plurals stemmed. So the
 * engines index the same terms, the vocabulary (search_terms) is exact, and
 * typo tolerance behaves the same on both.
 *
 * Caveats: callers must call search_sync_product() after every change to a
 * product's status, text, tags, materials, price, category or stock, and
 * search_sync_shop() after a shop's name, status or vacation mode changes.
 * Ranking differs by engine: BM25 with column weights on SQLite, ts_rank
 * with the four tsvector weights on PostgreSQL (see the module README).
 */
#ifndef ARTISTRY_PLATFORM_SEARCH_H
#define ARTISTRY_PLATFORM_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct db;
struct db_error;

/*-----------------------------------------------------------------------------
 * Index maintenance (search.c, search_rebuild.c)
 */

/**
 * Bring the document of product_id in line with its row, inside the
 * caller's transaction: (re)index an active product of an active shop,
 * delete anything else (draft, archived, removed, missing, shop closed).
 * Returns 0 or -1.
 */
int search_sync_product(struct db *db, const char *product_id, struct db_error *err);

/** search_sync_product() for every product of shop_id (its name and status matter). Returns 0 or -1. */
int search_sync_shop(struct db *db, const char *shop_id, struct db_error *err);

/**
 * Rebuild the whole index from the products table (inside the caller's
 * transaction). *indexed receives the number of documents (may be NULL).
 * Takes seconds on 100k products. Returns 0 or -1.
 */
int search_rebuild(struct db *db, int64_t *indexed, struct db_error *err);

/** Name of the index's row in cache_versions (platform/versions.h). */
#define SEARCH_VERSION_NAME "search"

/** The index version: moves with every committed change of the index. Returns 0 or -1. */
int search_version(struct db *db, int64_t *version, struct db_error *err);

/*-----------------------------------------------------------------------------
 * Text analysis (search_text.c); pure functions, no database
 */

#define SEARCH_TERM_MAX 64       /* bytes of an analysed term; longer words are not indexed */
#define SEARCH_QUERY_MAX_TERMS 8 /* words of a query beyond this are ignored */
#define SEARCH_MAX_ALTS 8        /* vocabulary terms one query word may stand for */
#define SEARCH_TYPO_MIN_CHARS 5  /* shorter unknown words get no corrections */

/**
 * Find the next word in [*p, end) (letters and digits, any script).
 * Returns true with the word in [*ws, *we) and *p past it; false at the end.
 */
bool search_next_word(const char **p, const char *end, const char **ws, const char **we);

/**
 * Analyse one word: case-fold, drop stopwords and single letters, stem
 * plurals. Writes the term into out (at least SEARCH_TERM_MAX + 1 bytes)
 * and returns its length; 0 when the word is not indexed.
 */
size_t search_analyze_word(const char *w, size_t n, char *out);

/** The analysed terms of text, space-separated, in order (duplicates kept), in the arena. */
char *search_analyze_text(struct arena *a, const char *text);

/**
 * A phrase as suggestions compare it: case-folded words joined by single
 * spaces (stopwords kept, nothing stemmed), at most max_chars characters,
 * cut at a character boundary; a trailing space is kept when keep_trailing
 * (the user has finished a word). In the arena; "" when nothing is left.
 */
char *search_phrase_normalize(struct arena *a, const char *text, size_t max_chars, bool keep_trailing);

/** True when a and b (UTF-8) are at most one edit apart: insertion, deletion, substitution or transposition. */
bool search_within_one_edit(const char *a, const char *b);

/** Number of characters (code points) of UTF-8 text. */
size_t search_utf8_chars(const char *s);

/*-----------------------------------------------------------------------------
 * Queries
 */

/** One word of a query and the vocabulary terms it matches. */
struct search_word {
    const char *term;                  /* the analysed word */
    const char *alts[SEARCH_MAX_ALTS]; /* terms it matches: itself when known, else its corrections */
    int64_t alt_docs[SEARCH_MAX_ALTS]; /* documents of each alternative */
    size_t nalts;
    bool corrected; /* not in the vocabulary; alts are corrections (maybe none) */
};

struct search_query {
    struct search_word words[SEARCH_QUERY_MAX_TERMS];
    size_t nwords;
};

/**
 * Split q into distinct analysed words (strings in the arena). Returns the
 * number of words: 0 when q has nothing searchable (empty, punctuation,
 * stopwords only).
 */
size_t search_query_parse(struct arena *a, const char *q, struct search_query *out);

/**
 * Look every word up in the vocabulary. A known word matches itself; an
 * unknown word of SEARCH_TYPO_MIN_CHARS or more characters matches the
 * vocabulary terms within one edit (most frequent first, at most
 * SEARCH_MAX_ALTS); a shorter unknown word matches nothing. Returns 0 or -1.
 */
int search_query_resolve(struct db *db, struct arena *a, struct search_query *q, struct db_error *err);

/** True when every word has at least one alternative (otherwise nothing can match). */
bool search_query_matchable(const struct search_query *q);

/** One matching document with what filters, facets and sorts need (strings valid during the callback). */
struct search_hit {
    const char *product_id;
    double score;            /* engine relevance, higher is better */
    const char *category_id; /* may be NULL */
    const char *seller_id;
    int64_t price_amount, rating_avg, rating_count, popularity, published_at;
    bool in_stock;               /* in stock and the shop is not on vacation */
    const char *tag_values;      /* normalised tags, '\n'-separated */
    const char *material_values; /* normalised materials, '\n'-separated */
};

/**
 * Run q (resolved) against the index: the `cap` most relevant active
 * products of active shops, best first, each passed to fn (which returns 0
 * to go on, -1 to stop with an error it set). Returns 0 or -1.
 */
int search_match(struct db *db, const struct search_query *q, int64_t cap,
                 int (*fn)(void *ctx, const struct search_hit *hit), void *ctx, struct db_error *err);

/**
 * Text with the words that match q wrapped in <mark>…</mark> and
 * everything else HTML-escaped, in the arena. When snippet_chars > 0 and
 * the text is longer, a window of about that many characters around the
 * first match (or the start), with "…" where it was cut.
 */
char *search_highlight(struct arena *a, const char *text, const struct search_query *q, size_t snippet_chars);

/*-----------------------------------------------------------------------------
 * Suggestions
 */

#define SEARCH_SUGGEST_MAX 10
#define SEARCH_PREFIX_CHARS 12 /* prefixes indexed per phrase (see search_prefixes) */

struct search_suggestion {
    const char *text; /* as the product, tag or shop writes it */
    const char *kind; /* "product", "tag" or "shop" */
    int64_t docs;     /* active products carrying it */
};

/**
 * Up to limit (<= SEARCH_SUGGEST_MAX) completions of prefix (raw user
 * input) among product titles, tags and shop names, most frequent first
 * (then most popular). Bounded work: one index range of at most limit rows
 * for prefixes up to SEARCH_PREFIX_CHARS characters, at most 200 rows
 * beyond. Strings in the arena. Returns 0 or -1.
 */
int search_suggest(struct db *db, struct arena *a, const char *prefix, size_t limit, struct search_suggestion *out,
                   size_t *n, struct db_error *err);

/** The SQL statements of the engine (for a start-up check): *n receives the count. */
const char *const *search_sql_all(bool pg, size_t *n);

#endif
