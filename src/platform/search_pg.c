/*
 * search_pg.c — the PostgreSQL engine of the search index: SQL over
 * search_docs (weighted tsvector column, GIN index), the vocabulary with its
 * pg_trgm index and the suggestion tables (migrations/0006_search.pg.sql).
 *
 * The document vector is written by the C analyser in tsvector's input
 * form ('term':1A,7A 'other':3B ...) and cast, so PostgreSQL's parser and
 * dictionaries never re-tokenise the terms and a query is cast from
 * tsquery's input form the same way. Weights:
 *   A title, B tags, C materials and shop name, D description.
 * Ranking is ts_rank with weights {D 0.1, C 0.3, B 0.5, A 1.0} and
 * normalisation 1 (divide by 1 + log(document length)), which is not BM25:
 * PostgreSQL has no BM25, and this is its ranking function.
 *
 * Caveats: parameters reach the server untyped, so every parameter used
 * where PostgreSQL cannot infer a type is CAST. The prefix lengths (12) in
 * the recursive CTEs are SEARCH_PREFIX_CHARS.
 */
#include "platform/search_int.h"

#define DOC_COLS                                                                                                       \
    "product_id, shop_id, title, tags, materials, shop_name, description, tag_values, material_values, "               \
    "title_phrase, shop_phrase, popularity, updated_at, tsv"

const char *const search__pg_sql[SQ__COUNT] = {
    [SQ_PRODUCT] = "SELECT p.status, s.status, p.shop_id, p.title, p.description, p.popularity, s.name "
                   "FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id = $1",
    [SQ_PRODUCT_TAGS] = "SELECT tag FROM product_tags WHERE product_id = $1",
    [SQ_PRODUCT_MATERIALS] = "SELECT material FROM product_materials WHERE product_id = $1",
    [SQ_DOC_GET] = "SELECT 0, title, tags, materials, shop_name, description, tag_values, material_values, "
                   "title_phrase, shop_phrase, popularity FROM search_docs WHERE product_id = $1",
    [SQ_DOC_UPSERT] = "INSERT INTO search_docs (" DOC_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                      "$12, $13, CAST($14 AS tsvector)) ON CONFLICT (product_id) DO UPDATE SET "
                      "shop_id = excluded.shop_id, title = excluded.title, tags = excluded.tags, "
                      "materials = excluded.materials, shop_name = excluded.shop_name, "
                      "description = excluded.description, tag_values = excluded.tag_values, "
                      "material_values = excluded.material_values, title_phrase = excluded.title_phrase, "
                      "shop_phrase = excluded.shop_phrase, popularity = excluded.popularity, "
                      "updated_at = excluded.updated_at, tsv = excluded.tsv RETURNING 0",
    [SQ_DOC_DELETE] = "DELETE FROM search_docs WHERE product_id = $1",
    [SQ_FTS_INSERT] = NULL,
    [SQ_FTS_DELETE] = NULL,
    [SQ_SHOP_PRODUCTS] = "SELECT id FROM products WHERE shop_id = $1 AND status = 'active' "
                         "UNION SELECT product_id FROM search_docs WHERE shop_id = $1",

    [SQ_TERMS_ADD] = "INSERT INTO search_terms (term, docs) SELECT e ->> 0, 1 "
                     "FROM json_array_elements(CAST($1 AS json)) AS j(e) "
                     "ON CONFLICT (term) DO UPDATE SET docs = search_terms.docs + 1",
    [SQ_TERMS_SUB] = "UPDATE search_terms SET docs = docs - 1 "
                     "WHERE term IN (SELECT e ->> 0 FROM json_array_elements(CAST($1 AS json)) AS j(e))",
    [SQ_TERMS_PURGE] = "DELETE FROM search_terms WHERE docs <= 0 "
                       "AND term IN (SELECT e ->> 0 FROM json_array_elements(CAST($1 AS json)) AS j(e))",
    [SQ_TERM_GET] = "SELECT docs FROM search_terms WHERE term = $1",
    [SQ_TERMS_BY_PREFIX] = "SELECT term, docs FROM search_terms WHERE term >= $1 AND term < $2 "
                           "AND length(term) BETWEEN $3 AND $4 LIMIT 2000",
    /* The pg_trgm index answers LIKE '%suffix'; $4 and $5 (the reversed bounds) are SQLite's. */
    [SQ_TERMS_BY_SUFFIX] = "SELECT term, docs FROM search_terms WHERE term LIKE '%' || CAST($1 AS TEXT) "
                           "AND length(term) BETWEEN $2 AND $3 LIMIT 2000",

    [SQ_PHRASE_GET] = "SELECT id, docs, popularity, weight FROM search_phrases WHERE kind = $1 AND phrase = $2",
    [SQ_PHRASE_INSERT] = "INSERT INTO search_phrases (kind, phrase, display, docs, popularity, weight) "
                         "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    [SQ_PHRASE_UPDATE] = "UPDATE search_phrases SET docs = $2, popularity = $3, weight = $4 WHERE id = $1",
    [SQ_PHRASE_DELETE] = "DELETE FROM search_phrases WHERE id = $1",
    [SQ_PREFIXES_INSERT] = "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 12) "
                           "INSERT INTO search_prefixes (prefix, weight, phrase_id) "
                           "SELECT substr(CAST($1 AS TEXT), 1, n), CAST($2 AS BIGINT), CAST($3 AS BIGINT) FROM k "
                           "WHERE n <= length(CAST($1 AS TEXT))",
    [SQ_PREFIXES_DELETE] = "DELETE FROM search_prefixes WHERE weight = $2 AND phrase_id = $3 AND prefix IN "
                           "(WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 12) "
                           "SELECT substr(CAST($1 AS TEXT), 1, n) FROM k WHERE n <= length(CAST($1 AS TEXT)))",
    [SQ_SUGGEST_PREFIX] = "SELECT ph.display, ph.kind, ph.docs FROM search_prefixes x "
                          "JOIN search_phrases ph ON ph.id = x.phrase_id "
                          "WHERE x.prefix = $1 ORDER BY x.weight DESC, x.phrase_id DESC LIMIT $2",
    [SQ_SUGGEST_RANGE] = "SELECT display, kind, docs, weight, id FROM search_phrases "
                         "WHERE phrase >= $1 AND phrase < $2 ORDER BY phrase LIMIT 200",

    [SQ_MATCH] = "SELECT m.product_id, m.score, p.category_id, p.seller_id, p.price_amount, p.rating_avg, "
                 "p.rating_count, p.popularity, COALESCE(p.published_at, p.created_at), "
                 "CASE WHEN p.in_stock = 1 AND s.vacation_mode = 0 THEN 1 ELSE 0 END, "
                 "m.tag_values, m.material_values "
                 "FROM (SELECT d.product_id, d.tag_values, d.material_values, "
                 "             ts_rank('{0.1, 0.3, 0.5, 1.0}', d.tsv, q.q, 1) AS score "
                 "      FROM search_docs d, CAST(CAST($1 AS TEXT) AS tsquery) AS q(q) "
                 "      WHERE d.tsv @@ q.q ORDER BY score DESC LIMIT $2) m "
                 "JOIN products p ON p.id = m.product_id "
                 "JOIN shops s ON s.id = p.shop_id "
                 "WHERE p.status = 'active' AND s.status = 'active' ORDER BY m.score DESC, m.product_id",

    [SQ_CLEAR_FTS] = NULL,
    [SQ_CLEAR_DOCS] = "DELETE FROM search_docs",
    [SQ_CLEAR_TERMS] = "DELETE FROM search_terms",
    [SQ_CLEAR_PHRASES] = "DELETE FROM search_phrases",
    [SQ_CLEAR_PREFIXES] = "DELETE FROM search_prefixes",
    [SQ_REBUILD_PAGE] = "SELECT p.id, p.shop_id, p.title, p.description, p.popularity, s.name, "
                        "(SELECT string_agg(t.tag, E'\\n') FROM product_tags t WHERE t.product_id = p.id), "
                        "(SELECT string_agg(m.material, E'\\n') FROM product_materials m "
                        " WHERE m.product_id = p.id) "
                        "FROM products p JOIN shops s ON s.id = p.shop_id "
                        "WHERE p.status = 'active' AND s.status = 'active' AND p.id > $1 ORDER BY p.id LIMIT $2",
    [SQ_DOCS_BULK] = "INSERT INTO search_docs (" DOC_COLS ") SELECT e ->> 0, e ->> 1, e ->> 2, e ->> 3, e ->> 4, "
                     "e ->> 5, e ->> 6, e ->> 7, e ->> 8, e ->> 9, e ->> 10, CAST(e ->> 11 AS BIGINT), "
                     "CAST($2 AS BIGINT), CAST(e ->> 12 AS tsvector) "
                     "FROM json_array_elements(CAST($1 AS json)) AS j(e)",
    [SQ_FTS_REBUILD] = NULL,
    [SQ_TERMS_BULK] = "INSERT INTO search_terms (term, docs) SELECT e ->> 0, CAST(e ->> 2 AS BIGINT) "
                      "FROM json_array_elements(CAST($1 AS json)) AS j(e)",
    [SQ_PHRASES_BULK] = "INSERT INTO search_phrases (kind, phrase, display, docs, popularity, weight) "
                        "SELECT e ->> 0, e ->> 1, e ->> 2, CAST(e ->> 3 AS BIGINT), CAST(e ->> 4 AS BIGINT), "
                        "CAST(e ->> 5 AS BIGINT) FROM json_array_elements(CAST($1 AS json)) AS j(e)",
    [SQ_PREFIXES_BULK] = "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 12) "
                         "INSERT INTO search_prefixes (prefix, weight, phrase_id) "
                         "SELECT substr(ph.phrase, 1, k.n), ph.weight, ph.id FROM search_phrases ph, k "
                         "WHERE k.n <= length(ph.phrase)",
};
