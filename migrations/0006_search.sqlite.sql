-- 0006_search.sqlite.sql — the product search index, SQLite engine (FTS5).
-- Its PostgreSQL twin is 0006_search.pg.sql; src/platform/search*.c keeps
-- both and is the only writer. The design is in src/services/search/README.md.
--
-- search_docs holds one document per active product of an active shop, in
-- analysed form: the C analyser (src/platform/search_text.c) lowercases,
-- drops stopwords and stems every word, so both engines index exactly the
-- same terms and the vocabulary below is the engines' vocabulary.
-- search_fts is an external-content FTS5 index over it (content_rowid
-- docno), written by the same transaction as the document row.
--
-- search_terms: the vocabulary (term → number of documents), kept by every
-- sync; typo tolerance looks candidates up by prefix (term) and by suffix
-- (rterm, the term reversed) before the edit-distance check in C.
--
-- search_phrases / search_prefixes: suggestions. A phrase is a normalised
-- product title, tag or shop name with its weight (documents carrying it,
-- then their popularity, packed in one BIGINT: docs * 2^32 + popularity).
-- search_prefixes holds one row per prefix of 1..12 characters of each
-- phrase, so the top suggestions for a prefix are the first rows of one
-- index range (prefix, weight).

CREATE TABLE search_docs (
    docno               INTEGER PRIMARY KEY,      -- the search_fts rowid
    product_id          TEXT NOT NULL UNIQUE,     -- no FK: only search_sync_product writes or deletes rows
    shop_id             TEXT NOT NULL,
    title               TEXT NOT NULL,            -- analysed terms, space-separated
    tags                TEXT NOT NULL,
    materials           TEXT NOT NULL,
    shop_name           TEXT NOT NULL,
    description         TEXT NOT NULL,
    tag_values          TEXT NOT NULL,            -- product_tags values, '\n'-separated (filters, facets)
    material_values     TEXT NOT NULL,            -- product_materials values, '\n'-separated
    title_phrase        TEXT NOT NULL,            -- normalised title (suggestions)
    shop_phrase         TEXT NOT NULL,            -- normalised shop name (suggestions)
    popularity          BIGINT NOT NULL,          -- products.popularity when synced (suggestion weights)
    updated_at          BIGINT NOT NULL
);
CREATE INDEX search_docs_shop ON search_docs (shop_id);

CREATE VIRTUAL TABLE search_fts USING fts5 (
    title, tags, materials, shop_name, description,
    content = 'search_docs', content_rowid = 'docno',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE search_terms (
    term                TEXT NOT NULL PRIMARY KEY,
    rterm               TEXT NOT NULL,
    docs                BIGINT NOT NULL       -- rows at 0 are deleted by the same statement batch
) WITHOUT ROWID;
CREATE INDEX search_terms_rterm ON search_terms (rterm);

CREATE TABLE search_phrases (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('product', 'tag', 'shop')),
    phrase              TEXT NOT NULL,
    display             TEXT NOT NULL,
    docs                BIGINT NOT NULL CHECK (docs > 0),
    popularity          BIGINT NOT NULL,
    weight              BIGINT NOT NULL,
    UNIQUE (kind, phrase)
);
CREATE INDEX search_phrases_phrase ON search_phrases (phrase);

CREATE TABLE search_prefixes (
    prefix              TEXT NOT NULL,
    weight              BIGINT NOT NULL,
    phrase_id           BIGINT NOT NULL,
    PRIMARY KEY (prefix, weight, phrase_id)
) WITHOUT ROWID;
