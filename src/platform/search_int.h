/*
 * search_int.h — shared by src/platform/search*.c only.
 *
 * Each engine has a table of SQL texts indexed by enum search_q
 * (search_sqlite.c, search_pg.c); search__sql() picks the table of the
 * connection's engine. A NULL entry means the engine has no such step
 * (FTS5 maintenance on PostgreSQL, where the tsvector is a column).
 *
 * Parameters that carry many values (a document's terms, a rebuild batch)
 * travel as one JSON text, unpacked by json_each (SQLite) or
 * json_array_elements (PostgreSQL): one statement per batch instead of one
 * round trip per value.
 */
#ifndef ARTISTRY_PLATFORM_SEARCH_INT_H
#define ARTISTRY_PLATFORM_SEARCH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/search.h"

struct arena;
struct db;
struct db_error;
struct strbuf;

enum search_q {
    /* Sync: reading the product and its current document. */
    SQ_PRODUCT,           /* $1 id → p.status, s.status, p.shop_id, p.title, p.description, p.popularity, s.name */
    SQ_PRODUCT_TAGS,      /* $1 id → tag */
    SQ_PRODUCT_MATERIALS, /* $1 id → material */
    SQ_DOC_GET,           /* $1 id → docno, title, tags, materials, shop_name, description, tag_values,
                             material_values, title_phrase, shop_phrase, popularity */
    SQ_DOC_UPSERT,        /* $1..$12 document columns, $13 now, $14 tsvector text (PostgreSQL) → docno */
    SQ_DOC_DELETE,        /* $1 product id */
    SQ_FTS_INSERT,        /* $1 docno, $2..$6 analysed fields (SQLite only) */
    SQ_FTS_DELETE,        /* $1 docno, $2..$6 the analysed fields as indexed (SQLite only) */
    SQ_SHOP_PRODUCTS,     /* $1 shop id → product ids that are or should be indexed */
    /* Vocabulary. $1: JSON [[term, reversed term], ...]. */
    SQ_TERMS_ADD,
    SQ_TERMS_SUB,
    SQ_TERMS_PURGE,
    SQ_TERM_GET,        /* $1 term → docs */
    SQ_TERMS_BY_PREFIX, /* $1 low, $2 high (exclusive), $3 min chars, $4 max chars → term, docs */
    SQ_TERMS_BY_SUFFIX, /* $1 suffix, $2 min chars, $3 max chars, $4 low, $5 high of the reversed term */
    /* Suggestion phrases. */
    SQ_PHRASE_GET,      /* $1 kind, $2 phrase → id, docs, popularity, weight */
    SQ_PHRASE_INSERT,   /* $1 kind, $2 phrase, $3 display, $4 docs, $5 popularity, $6 weight → id */
    SQ_PHRASE_UPDATE,   /* $1 id, $2 docs, $3 popularity, $4 weight */
    SQ_PHRASE_DELETE,   /* $1 id */
    SQ_PREFIXES_INSERT, /* $1 phrase, $2 weight, $3 phrase id */
    SQ_PREFIXES_DELETE, /* $1 phrase, $2 weight, $3 phrase id */
    SQ_SUGGEST_PREFIX,  /* $1 prefix, $2 limit → display, kind, docs */
    SQ_SUGGEST_RANGE,   /* $1 low, $2 high → display, kind, docs, weight, id */
    /* Querying. */
    SQ_MATCH, /* $1 engine query text, $2 cap → see search_match() */
    /* Rebuild. */
    SQ_CLEAR_FTS,
    SQ_CLEAR_DOCS,
    SQ_CLEAR_TERMS,
    SQ_CLEAR_PHRASES,
    SQ_CLEAR_PREFIXES,
    SQ_REBUILD_PAGE, /* $1 after id, $2 limit → id, shop_id, title, description, popularity, shop name,
                        tags and materials ('\n'-joined) */
    SQ_DOCS_BULK,    /* $1 JSON [[12 document columns, tsvector text], ...], $2 now;
                        NULL: one SQ_DOC_UPSERT per row */
    SQ_FTS_REBUILD,
    SQ_TERMS_BULK,   /* $1 JSON [[term, reversed, docs], ...] */
    SQ_PHRASES_BULK, /* $1 JSON [[kind, phrase, display, docs, popularity, weight], ...] */
    SQ_PREFIXES_BULK,
    SQ__COUNT,
};

/** Longest suggestion phrase kept (characters). */
#define SEARCH__PHRASE_MAX_CHARS 100

/** Fields of a document, in the order of the FTS5 columns. */
enum { F_TITLE, F_TAGS, F_MATERIALS, F_SHOP, F_DESCRIPTION, F__COUNT };

/** A search document: as indexed (search_docs) or as a product should have it now. Strings in an arena. */
struct search__doc {
    bool present;
    int64_t docno; /* SQLite: the FTS5 rowid */
    const char *shop_id;
    const char *f[F__COUNT]; /* analysed text */
    const char *tag_values, *material_values, *title_phrase, *shop_phrase;
    const char *title_display, *shop_display;
    int64_t popularity;
};

/** Fill the analysed fields and phrases of d from the product's text (d->tag_values and material_values set). */
void search__doc_analyse(struct arena *a, struct search__doc *d, const char *title, const char *description,
                         const char *shop_name);

/** One suggestion phrase a document contributes. */
struct search__contrib {
    const char *kind, *phrase, *display;
};

/** The phrases of d: its title, its shop name, each distinct tag (empty ones left out); *n receives the count. */
struct search__contrib *search__doc_contribs(struct arena *a, const struct search__doc *d, size_t *n);

/** Append d's weighted vector in tsvector input form ('term':1A,4A 'other':2B ...) to sb (PostgreSQL). */
void search__tsvector(struct arena *a, const struct search__doc *d, struct strbuf *sb);

/** Insert or update the row of document d of product id (d->docno receives its number). Returns 0 or -1. */
int search__doc_write(struct db *db, const char *id, struct search__doc *d, struct db_error *err);

/** Append terms as the JSON array [[term, reversed term], ...] the vocabulary statements take. */
void search__terms_json(struct strbuf *sb, const char *const *terms, size_t n);

/**
 * Change the suggestion phrase (kind, phrase) by ddocs documents and dpop
 * popularity: created, reweighted (prefix rows moved) or deleted at zero
 * documents. Returns 0 or -1.
 */
int search__phrase_apply(struct db *db, const char *kind, const char *phrase, const char *display, int64_t ddocs,
                         int64_t dpop, struct db_error *err);

/** The SQL of q for the connection's engine (static storage), or NULL when the engine has no such step. */
const char *search__sql(struct db *db, enum search_q q);

/** The engines' tables (search_sqlite.c, search_pg.c). */
extern const char *const search__common_sql[SQ__COUNT]; /* the same on both engines */
extern const char *const search__sqlite_sql[SQ__COUNT];
extern const char *const search__pg_sql[SQ__COUNT];

/** Build the engine's query text for a resolved query into sb (FTS5 MATCH or to_tsquery syntax). */
void search__match_text(struct db *db, const struct search_query *q, struct strbuf *sb);

/** Suggestion weight: documents first, then popularity (see the migration). */
int64_t search__weight(int64_t docs, int64_t popularity);

/** Append the code points of s in reverse order (UTF-8) to sb. */
void search__reverse(struct strbuf *sb, const char *s);

/** Append s as a JSON string (with quotes) to sb. */
void search__json_str(struct strbuf *sb, const char *s);

#endif
