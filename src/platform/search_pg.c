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
    [SQ_FTS_INSERT] = NULL,
    [SQ_FTS_DELETE] = NULL,

    [SQ_TERMS_ADD] = "INSERT INTO search_terms (term, docs) SELECT e ->> 0, 1 "
                     "FROM json_array_elements(CAST($1 AS json)) AS j(e) "
                     "ON CONFLICT (term) DO UPDATE SET docs = search_terms.docs + 1",
    [SQ_TERMS_SUB] = "UPDATE search_terms SET docs = docs - 1 "
                     "WHERE term IN (SELECT e ->> 0 FROM json_array_elements(CAST($1 AS json)) AS j(e))",
    [SQ_TERMS_PURGE] = "DELETE FROM search_terms WHERE docs <= 0 "
                       "AND term IN (SELECT e ->> 0 FROM json_array_elements(CAST($1 AS json)) AS j(e))",
    [SQ_TERMS_BY_SUFFIX] = "SELECT term, docs FROM search_terms WHERE term LIKE '%' || CAST($1 AS TEXT) "
                           "AND length(term) BETWEEN $2 AND $3 LIMIT 2000",

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
};
